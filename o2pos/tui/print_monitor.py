"""The printer's spooler inside the till: queued slips print in a background loop.

A slip is queued after its sale committed and the loop is started at once; a printer that
fails leaves the job queued and the loop retries with a growing wait (5 s up to a minute),
so the queue of customers never waits for paper. python-escpos is imported in the worker.
"""

from __future__ import annotations

from typing import Any

from textual.message import Message

from o2pos.core import printqueue
from o2pos.tui.background import BackgroundLoop


class PrinterUpdated(Message):
    def __init__(self, waiting: int, error: str) -> None:
        super().__init__()
        self.waiting = waiting
        self.error = error


class PrintMonitor(BackgroundLoop):
    name = "printer"

    def __init__(self, app: Any) -> None:
        super().__init__(app)
        self.spooler: Any = None
        self.failures = 0

    @property
    def configured(self) -> bool:
        return self.app.config.printer.kind != "none"

    def kick(self) -> None:
        """Something was queued: print it now, or right after the round under way."""
        if not self.run_now():
            self._arm(0.2)

    def work(self) -> tuple[PrinterUpdated, float]:
        if self.spooler is None:
            from o2pos.printing.service import Spooler

            self.spooler = Spooler(self.app.ctx, self.app.config.printer)
        outcome = self.spooler.run_once()
        if outcome.error:
            self.failures += 1
            delay = min(60.0, 5.0 * 2 ** (self.failures - 1))
        else:
            self.failures = 0
            delay = 30.0  # a job queued by another process (o2pos reprint) is picked up
        state = printqueue.state()
        return PrinterUpdated(state["waiting"], outcome.error or state["error"]), delay

    def deliver(self, result: PrinterUpdated) -> None:
        self.app.post_message(result)
