"""Work that must never stall a keystroke: a thread worker that re-arms a timer.

Each round runs in a Textual thread worker on its own database connection; when it ends,
the UI thread takes the result and sets the timer for the next round. A round never
overlaps the previous one, and an exception in a round is logged, never shown as a crash.
The network monitor and the printer's spooler are both such loops.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from textual.timer import Timer

from o2pos.threads import spawn

if TYPE_CHECKING:
    from o2pos.tui.app import TillApp

log = logging.getLogger("o2pos.tui")

P = ParamSpec("P")
T = TypeVar("T")
# seconds a closing till gives thread work still under way (a slip printing, a commit)
GRACE = 1.0


class LeavingExecutor(ThreadPoolExecutor):
    """Where the till's event loop runs thread workers (``TillApp.on_mount`` installs it):
    each call in a daemon thread of its own, and shutting down waits ``GRACE`` at most.

    ``asyncio.run`` shuts the loop's executor down once the app has gone, and a thread pool
    waits for every thread: a push or a lookup that the central left unanswered held the
    closed till for the request's whole timeout (13 s by default) before the shell, or a
    kiosk's restart, came back (``o2pos.threads`` says why cutting them off is safe).

    ``grace=None`` waits for every thread, as a thread pool does: a headless app (the tests,
    the benchmarks) must not leave a worker writing after it, through models that the next
    app may have bound to another database."""

    def __init__(self, grace: float | None = GRACE) -> None:
        super().__init__(max_workers=1)  # its own pool is never used: see ``submit``
        self.grace = grace
        self._threads: set[threading.Thread] = set()
        self._guard = threading.Lock()

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        future, thread = spawn("o2pos-worker", fn, *args, **kwargs)
        with self._guard:  # the threads still running, for ``shutdown``
            self._threads = {t for t in self._threads if t.is_alive()} | {thread}
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if not wait:
            return
        with self._guard:
            running = list(self._threads)
        deadline = None if self.grace is None else time.monotonic() + self.grace
        for thread in running:
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))


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
