"""What every command shares: the --config option, loading it, opening the till database."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from o2pos.config import Config, ConfigError, load


class _Group(TyperGroup):
    """Lists each command with the whole first paragraph of its help, wrapped.

    Click would cut it to one line ("...", or at the first "e.g."), hiding half of it.
    """

    def format_commands(self, ctx: Any, formatter: Any) -> None:  # typer's vendored click
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is None or command.hidden:
                continue
            text = command.short_help or (command.help or "").strip().split("\n\n")[0]
            rows.append((name, " ".join(text.split())))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def group(help: str, **options: Any) -> typer.Typer:
    """A command group whose help is shown exactly as written.

    Rich markup is off (``rich_markup_mode=None``): with it, ``pip install 'o2pos[web]'`` in
    a help text lost its ``[web]``, taken for a style tag, and any ``[...]`` would. Every
    ``typer.Typer`` of the CLI is made here, so none can forget it.
    """
    return typer.Typer(help=help, rich_markup_mode=None, cls=_Group, **options)


class ImportKind(StrEnum):
    products = "products"
    customers = "customers"
    offers = "offers"


def echo_import(report: Any, file: Path) -> None:
    """Rejected rows by line on stderr, the counts on stdout; exit 1 if any row was refused."""
    for line, message in report.errors:
        typer.echo(f"{file.name}:{line}: {message}", err=True)
    typer.echo(
        f"{report.rows} rows: {report.created} created, {report.updated} updated, "
        f"{len(report.errors)} rejected"
    )
    if report.errors:
        raise typer.Exit(1)


ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="TOML config file (else $O2POS_CONFIG, else ./o2pos.toml)"),
]


def fail(message: str, code: int = 1) -> typer.Exit:
    """Every command's error line: redacted, since it often quotes text from elsewhere."""
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
    return Context(db=db, settings=config.settings)
