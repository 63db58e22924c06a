"""The network monitor inside the till: sync rounds in a background loop.

Probe, push and pull run off the UI thread (``background.BackgroundLoop``); the result
reaches the status bar and F12 as a message. httpx is imported inside the worker, off the
start-up path. With no central configured there is no loop at all: the till says
"no central".
"""

from __future__ import annotations

from typing import Any

from textual.message import Message

from o2pos.core import syncstate
from o2pos.tui.background import BackgroundLoop
from o2pos.tui.guard import SYNC_EXTRA


class SyncUpdated(Message):
    """A round ended: ``summary`` is what ``o2pos sync status --json`` would print."""

    def __init__(self, summary: dict[str, Any]) -> None:
        super().__init__()
        self.summary = summary


class SyncMonitor(BackgroundLoop):
    name = "sync"

    def __init__(self, app: Any) -> None:
        super().__init__(app)
        self.engine: Any = None

    @property
    def configured(self) -> bool:
        return bool(self.app.config.central.url)

    def work(self) -> tuple[dict[str, Any], float]:
        ctx = self.app.ctx
        if self.engine is None:
            try:
                from o2pos.sync.setup import make_engine
            except ImportError as exc:
                error = f"Sync needs the sync extra: {SYNC_EXTRA} ({exc})"
                syncstate.note(ctx, state="offline", online=False, error=error)
                return syncstate.summary(ctx), 3600.0
            from o2pos.sync.client import SyncError

            central = self.app.config.central
            try:
                self.engine = make_engine(ctx, central)
            except SyncError as exc:  # a config the till cannot use: an alert, not "connecting"
                syncstate.note(ctx, state=exc.kind, online=False, error=exc.message)
                return syncstate.summary(ctx), 3600.0
        outcome = self.engine.run_once()
        return syncstate.summary(ctx), self.engine.next_delay(outcome)

    def deliver(self, result: dict[str, Any]) -> None:
        self.app.post_message(SyncUpdated(result))
