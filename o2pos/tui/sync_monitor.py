"""The network monitor inside the till: a thread worker that re-arms a timer.

Each round (probe, push, pull) runs in a Textual thread worker on its own database
connection, so a slow or dead network never stalls a keystroke; when it ends, the UI thread
shows the result and sets the timer for the next round (the engine's interval when all is
well, backoff with jitter when not). httpx is imported inside the worker, off the start-up
path. With no central configured there is no worker at all: the till says "no central".
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from textual.message import Message
from textual.timer import Timer

from o2pos.core import syncstate

if TYPE_CHECKING:
    from o2pos.tui.app import TillApp

log = logging.getLogger("o2pos.sync")


class SyncUpdated(Message):
    """A round ended: ``summary`` is what ``o2pos sync status --json`` would print."""

    def __init__(self, summary: dict[str, Any]) -> None:
        super().__init__()
        self.summary = summary


class SyncMonitor:
    def __init__(self, app: TillApp) -> None:
        self.app = app
        self.engine: Any = None
        self.running = False
        self._timer: Timer | None = None

    @property
    def configured(self) -> bool:
        return bool(self.app.config.central.url)

    def start(self, delay: float = 0.5) -> None:
        if self.configured:
            self._arm(delay)

    def _arm(self, delay: float) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.app.set_timer(delay, self.run_now, name="sync")

    def run_now(self) -> bool:
        """Start a round unless one is under way; returns whether one started."""
        if not self.configured or self.running:
            return False
        self.running = True
        self.app.run_worker(
            self._round, thread=True, exit_on_error=False, group="sync", name="sync round"
        )
        return True

    def _round(self) -> None:
        """In the worker thread: one round on this thread's own connection."""
        ctx = self.app.ctx
        delay = 30.0
        summary: dict[str, Any] | None = None
        try:
            with ctx.db.connection_context():
                if self.engine is None:
                    try:
                        from o2pos.sync.setup import make_engine
                    except ImportError as exc:
                        syncstate.note(
                            ctx,
                            state="offline",
                            online=False,
                            error=f"Sync needs the sync extra: pip install 'o2pos[sync]' ({exc})",
                        )
                        self.app.call_from_thread(self._finished, syncstate.summary(ctx), 3600.0)
                        return

                    central = self.app.config.central
                    self.engine = make_engine(
                        ctx,
                        url=central.url,
                        token=central.token,
                        ca_bundle=central.ca_bundle,
                        timeout=float(central.timeout_seconds),
                        batch_size=central.batch_size,
                        interval=float(central.interval_seconds),
                    )
                outcome = self.engine.run_once()
                delay = self.engine.next_delay(outcome)
                summary = syncstate.summary(ctx)
        except Exception:  # a bug here must never take the till down; log it, try later
            log.exception("sync round failed")
        self.app.call_from_thread(self._finished, summary, delay)

    def _finished(self, summary: dict[str, Any] | None, delay: float) -> None:
        self.running = False
        if summary is not None:
            self.app.post_message(SyncUpdated(summary))
        self._arm(delay)
