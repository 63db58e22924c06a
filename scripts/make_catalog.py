"""Write a large realistic product catalog as CSV, for benchmarks and load tests.

python scripts/make_catalog.py 100000 /tmp/catalog.csv [--seed 3]
o2pos import products /tmp/catalog.csv
"""

from __future__ import annotations

import argparse
from pathlib import Path

from o2pos.core.demo import catalog_rows, write_products_csv


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    written = write_products_csv(args.out, catalog_rows(args.count, seed=args.seed))
    print(f"wrote {written} products to {args.out}")


if __name__ == "__main__":
    main()
