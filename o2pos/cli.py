"""The ``o2pos`` command: what the console script runs.

The commands are a typer application (``o2pos.commands.app``). The till itself, ``o2pos``
or ``o2pos run`` with its plain options, is started here without it: importing typer and
every command's module, and the pydantic typer converts an option's value with, cost the
cashier a third of the till's start-up (issue 16). Anything else, ``--help`` or a mistake
included, goes to typer, which reads and answers it as it always did.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import NoReturn

# Database drivers peewee imports at its own import when it finds them installed, for the
# servers a till never talks to (the central's PostgreSQL: psycopg2 alone is ~10 ms and
# ~5 MiB with libpq). The till opens SQLite only.
SERVER_DRIVERS = ("psycopg2cffi", "psycopg2", "psycopg", "pymysql", "MySQLdb")


def till_args(args: list[str]) -> tuple[bool, Path | None] | None:
    """``kiosk`` and ``config`` of ``o2pos`` or ``o2pos run [--kiosk] [--config FILE]``;
    None for any other command line, which typer then reads."""
    if any(name.startswith("_") and name.endswith("_COMPLETE") for name in os.environ):
        return None  # a shell asking typer to complete a word
    if not args:
        return False, None
    if args[0] != "run":
        return None
    kiosk, config = False, None
    rest = args[1:]
    while rest:
        arg = rest.pop(0)
        if arg == "--kiosk":
            kiosk = True
        elif arg in ("--config", "-c") and rest and rest[0] and not rest[0].startswith("-"):
            config = Path(rest.pop(0))
        elif arg.startswith("--config=") and arg != "--config=":
            config = Path(arg.removeprefix("--config="))
        else:
            return None  # --help, a mistake, anything unusual: typer answers it
    return kiosk, config


def import_peewee_for_sqlite() -> None:
    """peewee, imported without the server drivers (``SERVER_DRIVERS``) it would load.

    They are hidden only while peewee is imported; peewee then knows it has none, which
    only a PostgreSQL or MySQL database would notice, and the till opens neither.
    """
    if "peewee" in sys.modules:
        return
    hidden = [name for name in SERVER_DRIVERS if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # import raises ImportError
    try:
        import peewee  # noqa: F401
    finally:
        for name in hidden:
            del sys.modules[name]


def start_till(kiosk: bool, config: Path | None) -> None:
    """The till, as typer would run ``o2pos run``: the same exit codes, and ctrl+c before
    the till has the terminal ends it with 130."""
    from o2pos.commands import till

    try:
        till.run(kiosk, config)
    except KeyboardInterrupt:
        sys.exit(130)
    except EOFError:
        print(file=sys.stderr)
        print("Aborted!", file=sys.stderr)
        sys.exit(1)
    except Exception as exc:
        import typer  # what fail() returns: only a till that cannot start imports typer

        if isinstance(exc, typer.Exit):
            sys.exit(exc.exit_code)
        raise


def main() -> None:
    """Every command runs inside this: what goes wrong with the till's files, or with the
    database under another process, ends in one line naming the file and an exit code
    (docs/cli.md), never a traceback."""
    till = till_args(sys.argv[1:])
    if till is not None:
        from o2pos import heap

        heap.hold()  # until the till's first screen is up (o2pos/heap.py)
        import_peewee_for_sqlite()
    from peewee import OperationalError

    from o2pos.core.db import SchemaError
    from o2pos.core.storage import storage_error

    try:
        if till is None:
            from o2pos.commands.app import app

            app()
        else:
            start_till(*till)
    except SchemaError as exc:
        _exit(f"error: {exc}", 2)
    except Exception as exc:
        problem = storage_error(exc)
        if problem is not None:
            _exit(f"error: {problem}", problem.exit_code)
        if not isinstance(exc, OperationalError):
            raise
        if "locked" in str(exc):
            # the busy timeout ran out: another process holds the write lock
            _exit("error: the till database is busy (another o2pos is writing); try again", 1)
        from o2pos.core.redact import redact

        _exit(f"error: database error: {redact(str(exc))}", 1)


def _exit(line: str, code: int) -> NoReturn:
    import typer

    typer.echo(line, err=True)
    sys.exit(code)
