"""Work that must never stall a keystroke: a thread worker that re-arms a timer.

Each round runs in a Textual thread worker on its own database connection; when it ends,
the UI thread takes the result and sets the timer for the next round. A round never
overlaps the previous one, and an exception in a round is logged, never shown as a crash.
The network monitor and the printer's spooler are both such loops.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from textual.timer import Timer

if TYPE_CHECKING:
    from o2pos.tui.app import TillApp

log = logging.getLogger("o2pos.tui")


class BackgroundLoop:
    name = "background"
    retry_after_crash = 30.0

    def __init__(self, app: TillApp) -> None:
        self.app = app
        self.running = False
        self._timer: Timer | None = None

    @property
    def configured(self) -> bool:
        raise NotImplementedError

    def work(self) -> tuple[Any, float]:
        """One round, in the worker thread: (result for ``deliver``, seconds to the next)."""
        raise NotImplementedError

    def deliver(self, result: Any) -> None:
        """On the UI thread, with what ``work`` returned."""
        raise NotImplementedError

    def start(self, delay: float = 0.5) -> None:
        if self.configured:
            self._arm(delay)

    def _arm(self, delay: float) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.app.set_timer(delay, self.run_now, name=self.name)

    def run_now(self) -> bool:
        """Start a round unless one is under way; returns whether one started."""
        if not self.configured or self.running:
            return False
        self.running = True
        self.app.run_worker(
            self._round, thread=True, exit_on_error=False, group=self.name, name=self.name
        )
        return True

    def _round(self) -> None:
        result: Any = None
        delay = self.retry_after_crash
        try:
            with self.app.ctx.db.connection_context():
                result, delay = self.work()
        except Exception:  # a bug here must never take the till down; log it, try later
            log.exception("%s round failed", self.name)
        self.app.call_from_thread(self._finished, result, delay)

    def _finished(self, result: Any, delay: float) -> None:
        self.running = False
        if result is not None:
            self.deliver(result)
        self._arm(delay)
