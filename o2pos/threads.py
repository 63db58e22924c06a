"""Work in a daemon thread of its own, its result carried by a ``Future``.

The till's thread workers (``tui.background.LeavingExecutor``) and a push's request
(``sync.engine.Wire``) run so: a closing till never waits on a daemon thread, and what it
cuts off is what a crash could cut off too (an unanswered push is sent again and stored
once, a write under way is rolled back). No import here beyond the standard library, so
either layer may use it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


def spawn(
    name: str, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
) -> tuple[Future[T], threading.Thread]:
    """Start ``fn(*args, **kwargs)`` in a daemon thread named ``name``; its future (a
    future cancelled before the thread runs it is not run) and the thread."""
    future: Future[T] = Future()

    def run() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # whoever holds the future raises it
            future.set_exception(exc)

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return future, thread
