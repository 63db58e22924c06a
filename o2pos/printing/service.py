"""Queue a document's slip, and work the queue: what the till and ``o2pos reprint`` call.

``queue_document`` runs right after the business operation committed (never inside it), so
printing can neither block nor undo a sale; ``Spooler.run_once`` runs in a worker thread
(the till) or once (the CLI), under a process lock so two processes never print the same
job. A job that fails stays first in line and is tried again; slips never print out of
order, and a printed one never prints again unless a copy is asked for. One the till was
stopped while sending prints again at the next run, marked as a copy (``core.printqueue``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from o2pos.core import printqueue
from o2pos.core.context import Context
from o2pos.core.filelock import ProcessLock

from . import documents, layouts
from .slip import Slip

log = logging.getLogger("o2pos.printing")


def wants_drawer(doc: documents.Document) -> bool:
    """Cash changed hands: the drawer opens (a card-only bill keeps it shut)."""
    payload = doc.payload
    if doc.kind == "cash":
        return True
    if doc.kind == "return":
        return payload.get("refund_kind") == "cash"
    if doc.kind in ("bill", "receipt"):
        return any(p.get("kind") == "cash" for p in payload.get("payments") or [])
    return False


def options_for(
    printer: Any, cache_dir: Path, *, copy: bool = False, drawer: bool = False
) -> layouts.Options:
    return layouts.Options(
        width=printer.width,
        footer=printer.footer.replace("\\n", "\n"),
        qr=printer.qr,
        currency=currency(printer.profile, cache_dir),
        copy=copy,
        drawer=drawer and printer.drawer,
    )


_CURRENCY: dict[str, str] = {}


def currency(profile: str, cache_dir: Path) -> str:
    if profile not in _CURRENCY:
        from .escpos_out import currency_symbol  # escpos loads here, off the start-up path

        _CURRENCY[profile] = currency_symbol(profile, cache_dir=cache_dir)
    return _CURRENCY[profile]


def cache_dir_of(ctx: Context) -> Path:
    """python-escpos's capabilities cache lives with the till's data, not in /tmp."""
    return ctx.settings.terminal.data_dir / "escpos-cache"


def slip_of(ctx: Context, printer: Any, doc: documents.Document, *, copy: bool = False) -> Slip:
    drawer = not copy and wants_drawer(doc)
    options = options_for(printer, cache_dir_of(ctx), copy=copy, drawer=drawer)
    return layouts.slip_for(doc, ctx.settings.store, options)


def queue_document(
    ctx: Context, printer: Any, doc: documents.Document, *, copy: bool = False
) -> int | None:
    """Queue the slip of ``doc``; None when this till has no printer."""
    if printer.kind == "none":
        return None
    slip = slip_of(ctx, printer, doc, copy=copy)
    return printqueue.enqueue(ctx, slip.kind, slip.number, slip.to_json(), copy=copy)


def queue_drawer(ctx: Context, printer: Any, reason: str = "no sale") -> int | None:
    """A no-sale: open the drawer, print nothing."""
    if printer.kind == "none" or not printer.drawer:
        return None
    slip = Slip(kind="drawer", number=reason, width=printer.width, drawer=True)
    return printqueue.enqueue(ctx, "drawer", reason, slip.to_json())


@dataclass
class SpoolOutcome:
    printed: int = 0
    waiting: int = 0
    error: str = ""
    busy: bool = False


class Spooler:
    def __init__(self, ctx: Context, printer: Any) -> None:
        self.ctx = ctx
        self.printer = printer
        self.cache_dir = cache_dir_of(ctx)
        self.lock = ProcessLock(ctx.settings.terminal.data_dir / "print.lock")

    def run_once(self) -> SpoolOutcome:
        """Print what waits, in order, until the queue is empty or the printer fails."""
        if not self.lock.acquire():
            return SpoolOutcome(waiting=printqueue.state()["waiting"], busy=True)
        try:
            return self._run()
        finally:
            self.lock.release()

    def _run(self) -> SpoolOutcome:
        from .escpos_out import render
        from .transport import PrinterCutOff, PrinterError, send

        outcome = SpoolOutcome()
        while True:
            jobs = printqueue.pending()
            if not jobs:
                break
            for job in jobs:
                try:
                    slip = Slip.from_json(job.body)
                    if job.status == "sending" and not slip.items:
                        # a drawer kick alone (no sale): it may have opened the drawer; it
                        # must not open it again, with no one there, nor print a blank copy
                        printqueue.mark_printed(self.ctx, job.id)
                        continue
                    if job.status == "sending":  # cut off by a till that stopped: see printqueue
                        slip = slip.resent()
                        printqueue.resend_as(self.ctx, job.id, slip.to_json())
                    data = render(slip, profile=self.printer.profile, cache_dir=self.cache_dir)
                except Exception as exc:  # a slip that cannot be drawn must not block the rest
                    log.exception("print job %s cannot be rendered", job.id)
                    printqueue.mark_unprintable(self.ctx, job.id, f"{type(exc).__name__}: {exc}")
                    continue
                printqueue.mark_sending(self.ctx, job.id)
                try:
                    send(data, self.printer)
                except PrinterError as exc:
                    # cut off under way, it stays 'sending': sent again as a copy, no kick
                    cut_off = isinstance(exc, PrinterCutOff)
                    printqueue.mark_failed(self.ctx, job.id, str(exc), cut_off=cut_off)
                    outcome.error = str(exc)
                    outcome.waiting = printqueue.state()["waiting"]
                    return outcome
                printqueue.mark_printed(self.ctx, job.id)
                outcome.printed += 1
        return outcome
