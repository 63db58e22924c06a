"""The core stays pure and headless commands never load the TUI."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

from tests.terminal import Tmux

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN_IN_CORE = ("textual", "rich", "httpx", "escpos", "fastapi", "uvicorn", "typer")


def loaded_after(code: str, cwd: Path) -> set[str]:
    probe = f"{code}\nimport sys\nprint('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout
    return {name.split(".")[0] for name in out.splitlines()}


def test_importing_all_of_the_core_loads_no_ui_network_or_printing(tmp_path: Path) -> None:
    modules = [p.stem for p in (ROOT / "o2pos" / "core").glob("*.py") if p.stem != "__init__"]
    code = "\n".join(f"import o2pos.core.{m}" for m in modules)
    assert not loaded_after(code, tmp_path) & set(FORBIDDEN_IN_CORE)


def test_headless_commands_do_not_load_textual(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "o2pos", "init", "--demo"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    code = (
        "import sys\n"
        "from o2pos.commands.app import app\n"
        "for args in (['journal', 'verify'], ['report', 'daily', '--json'], ['report', 'daily'],\n"
        "             ['sync', 'status', '--json'], ['sync', 'export', 'out.o2j'],\n"
        "             ['central', 'add-terminal', 'T1', '--db', 'c.db'],\n"
        "             ['central', 'stats', '--json', '--db', 'c.db']):\n"
        "    try:\n"
        "        app(args)\n"
        "    except SystemExit as exc:\n"
        "        assert not exc.code, exc.code\n"
    )
    loaded = loaded_after(code, tmp_path)
    assert "textual" not in loaded
    # a report's text is its slip's layout, which needs no printer driver
    assert "escpos" not in loaded
    # the web framework is for `central serve` and the HTTP client for talking to a central
    assert not loaded & {"fastapi", "uvicorn", "httpx"}
    assert "o2pos" in loaded


# What `o2pos run` reads from o2pos up to its login screen drawn (issue 16): the CLI and
# everything else is imported when first used
TILL_START_SCREENS = {"login", "dialogs", "sync_status"}
NOT_AT_TILL_START = {
    "typer",  # o2pos.cli starts the till itself (o2pos.commands.app is typer's)
    "pydantic",  # typer converts an option's value with it
    "psycopg2",  # peewee would load it for PostgreSQL (the central's)
    "httpx",
    "escpos",
    "fastapi",
    "uvicorn",
    "textual_serve",
}


def test_the_till_starts_with_its_login_screen_and_nothing_else(tmp_path: Path) -> None:
    """``o2pos run`` in a real terminal, to the login screen and out again (ctrl+e): the
    modules it loaded on the way."""
    subprocess.run(
        [sys.executable, "-m", "o2pos", "init", "--demo"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    listing = tmp_path / "modules.txt"
    (tmp_path / "probe.py").write_text(
        "import atexit, sys\n"
        "atexit.register(lambda: open('modules.txt', 'w').write('\\n'.join(sorted(sys.modules))))\n"
        "sys.argv = ['o2pos', 'run']\n"
        "from o2pos.cli import main\n"
        "main()\n"
    )
    tmux = Tmux(tmp_path)
    try:
        tmux.start(f"{sys.executable} probe.py")
        tmux.wait_for("Sign in to the till")
        tmux.keys("C-e")
        deadline = time.monotonic() + 20
        while not listing.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        tmux.close()
    loaded = set(listing.read_text().split())
    assert not {name.split(".")[0] for name in loaded} & NOT_AT_TILL_START
    screens = {name.split(".")[3] for name in loaded if name.startswith("o2pos.tui.screens.")}
    assert screens == TILL_START_SCREENS
    assert not {name for name in loaded if name.startswith("o2pos.commands.")} - {
        "o2pos.commands.base",
        "o2pos.commands.till",
    }


def test_import_linter_contracts_hold() -> None:
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint, "import-linter is part of the dev extra"
    done = subprocess.run([lint], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
