"""``o2pos reprint NUMBER|--last``: a copy of any document, from the shell."""

from __future__ import annotations

from typing import Annotated

import typer

from .common import ConfigOption, config_of, context_of, fail


def reprint(
    number: Annotated[
        str | None, typer.Argument(help="Bill, receipt, return, cash or Z number")
    ] = None,
    last: Annotated[bool, typer.Option("--last", help="The most recent document")] = False,
    preview: Annotated[
        bool, typer.Option("--preview", help="Show the slip's text; print nothing")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Print a copy of a document (marked COPY); without a printer, show it."""
    from o2pos.core.errors import DomainError
    from o2pos.printing import documents, service

    if bool(number) == last:
        raise fail("Give a document number or --last", 2)
    settings = config_of(config)
    ctx = context_of(config)
    printer = settings.printer
    try:
        doc = documents.last(ctx) if last else documents.find(ctx, number or "")
    except DomainError as exc:
        raise fail(str(exc)) from exc
    if preview or printer.kind == "none":
        typer.echo(service.slip_of(ctx, printer, doc, copy=True).text())
        if printer.kind == "none" and not preview:
            typer.echo('(no printer configured: [printer] kind = "none")', err=True)
        return
    service.queue_document(ctx, printer, doc, copy=True)
    outcome = service.Spooler(ctx, printer).run_once()
    if outcome.busy:
        typer.echo(f"Queued a copy of {doc.number}; the till is printing and prints it next.")
    elif outcome.error:
        raise fail(
            f"{outcome.error}. The copy of {doc.number} waits in the queue and prints when "
            "the printer is back (the till retries)."
        )
    else:
        typer.echo(f"Printed a copy of {doc.number} ({outcome.printed} slip(s) sent).")
