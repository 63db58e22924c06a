"""``o2pos run`` (and bare ``o2pos``): the till in this terminal.

No typer here: ``o2pos.cli.main`` calls ``run`` itself when the arguments are the till's own,
so a cashier's till starts without typer, the other commands' modules or pydantic (which
typer needs to convert an option's value). The typer command calls the same ``run``.
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path

from o2pos.commands.base import config_of, context_of, fail


def run(kiosk: bool = False, config: Path | None = None) -> None:
    """Start the till in this terminal."""
    from o2pos.tui.keymap import KeymapError, check_remap

    settings = config_of(config)
    try:  # a wrong [keys] entry is refused before anything is drawn
        check_remap(settings.keys)
    except KeymapError as exc:
        where = f"{settings.source}: " if settings.source else ""
        raise fail(f"{where}{exc}", 2) from exc
    # the database first: a damaged or unusable file is reported over any connection
    ctx = context_of(config)
    web = bool(os.environ.get("TEXTUAL_DRIVER"))  # o2pos serve-web runs it without a tty
    if not web and not (sys.stdin.isatty() and sys.stdout.isatty()):
        # e.g. `ssh till@host some-command`: a till with no terminal would run unseen forever
        raise fail("o2pos run needs a terminal (over SSH: ssh -t)", 2)
    # COLUMNS and LINES, when something exported them (a login script, a test runner), win
    # over the terminal's real size in Textual, and the till would never follow a resize
    os.environ.pop("COLUMNS", None)
    os.environ.pop("LINES", None)
    from o2pos.tui.app import TillApp, setup_logging

    if kiosk:
        settings = replace(settings, kiosk=replace(settings.kiosk, enabled=True))
    setup_logging(settings.settings.terminal.data_dir)
    till = TillApp(ctx, settings)
    till.run()
    if till.storage_problem is not None:  # Textual has printed its one line
        import typer

        raise typer.Exit(till.storage_problem.exit_code)
