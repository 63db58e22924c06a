"""``o2pos reprint NUMBER|--last``: a copy of any document, from the shell."""

from __future__ import annotations

from pathlib import Path
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


def invoice(
    number: Annotated[str, typer.Argument(help="Bill number, e.g. S-T1-000042")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the PDF here (and print nothing)")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Make the A4 tax invoice (PDF) of a bill: seller's and buyer's GSTIN, place of supply,
    lines with HSN codes, tax per rate and per HSN code. Saved in [printer] a4_dir and
    printed with [printer] a4_command when one is set."""
    from o2pos.core.errors import DomainError
    from o2pos.printing import a4, documents

    settings = config_of(config)
    ctx = context_of(config)
    try:
        doc = documents.find(ctx, number)
        path, problem = a4.make(
            ctx.settings.store,
            doc,
            settings.printer.a4_dir,
            settings.printer.a4_command,
            ctx.settings.terminal.data_dir,
            out,
        )
    except (DomainError, a4.NotABill) as exc:
        raise fail(str(exc)) from exc
    except OSError as exc:
        raise fail(f"Cannot write the invoice: {exc}") from exc
    typer.echo(f"Tax invoice {doc.number}: {path}")
    if problem:
        raise fail(f"{problem}. The PDF is saved: print it from there.")
    if settings.printer.a4_command and out is None:
        typer.echo("Sent to the A4 printer.")
