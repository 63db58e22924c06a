"""What every command does first: load the config, open the till database, and the one error
line a command ends with.

No typer here: ``o2pos run`` starts the till through this module without importing typer
(``o2pos.cli``); only a command that fails pays for importing it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from o2pos.config import Config, ConfigError, load

if TYPE_CHECKING:
    import typer


def fail(message: str, code: int = 1) -> typer.Exit:
    """Every command's error line: redacted, since it often quotes text from elsewhere."""
    import typer

    from o2pos.core.redact import redact

    typer.echo(f"error: {redact(message)}", err=True)
    return typer.Exit(code)


def config_of(path: Path | None) -> Config:
    try:
        return load(path)
    except ConfigError as exc:
        raise fail(str(exc), 2) from exc


def context_of(path: Path | None, *, must_exist: bool = True) -> Any:
    from o2pos.core.context import Context
    from o2pos.core.db import create_schema, open_database, schema_exists
    from o2pos.core.storage import check_place

    config = config_of(path)
    db_path = config.settings.terminal.db_path
    check_place(db_path)  # a data_dir that is a file is not "no database: run init"
    if must_exist and not db_path.exists():
        raise fail(
            f"No till database at {db_path}: run 'o2pos init' (or 'o2pos init --demo') first"
        )
    db = open_database(db_path)
    if must_exist and not schema_exists(db):
        raise fail(f"{db_path} is not an o2pos database: run 'o2pos init' first")
    create_schema(db)  # brings a file from an older o2pos up to date; refuses a newer one
    from o2pos.core import journal

    owner = journal.owner()
    if owner is not None and not journal.same_terminal(owner, config.settings.terminal.id):
        raise fail(journal.wrong_terminal(owner, config.settings.terminal.id), 2)
    return Context(db=db, settings=config.settings)
