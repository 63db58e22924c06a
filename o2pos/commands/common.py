"""What every command shares: the --config option, loading it, opening the till database.

Loading and opening live in ``o2pos.commands.base``, which imports no typer (the till
starts without it); they are imported here for the commands.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from o2pos.commands.base import config_of, context_of, fail

__all__ = ["ConfigOption", "ImportKind", "config_of", "context_of", "echo_import", "fail", "group"]


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
