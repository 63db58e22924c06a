from o2pos.cli import main

main()
