"""How ``o2pos central serve`` runs uvicorn so that slow or many clients cannot exhaust it.

Twenty thousand connections that sent half a request line and stalled once ran the central
out of file handles, and its log to 243 MB of tracebacks in seconds. uvicorn itself closes
only idle keep-alive connections, so:

- ``GuardedH11`` (uvicorn's h11 protocol, subclassed) closes a connection whose request
  headers have not all arrived ``header_timeout`` seconds after the request began (a total,
  so a byte now and then does not keep it open), or whose body stalls for ``body_timeout``
  seconds between reads. Beyond ``max_connections`` it makes room by closing the oldest
  connection still waiting for its headers, or, when every connection is busy with a real
  request, answers 503 and closes the new one at once: the file handles are never all
  taken, and a client that sends its request promptly gets in.
- ``raise_fd_limit`` makes sure the process may hold that many sockets (and its database).
- ``OncePerMinute`` lets one log line of each kind through per minute and counts the rest,
  so a flood costs a line a minute, not one per connection.

Imported only by ``serve``: it imports uvicorn.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import os
import resource
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

# file handles beside the sockets: the listening socket, the database and its journal, logs
SPARE_FDS = 64

logger = logging.getLogger("o2pos.central")


@dataclass(frozen=True)
class Limits:
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    keep_alive: int = 5
    max_connections: int = 1000


class GuardedConfig(uvicorn.Config):
    """uvicorn's Config carrying the ``Limits`` that ``GuardedH11`` reads."""

    def __init__(self, app: Any, *, limits: Limits, **kwargs: Any) -> None:
        self.limits = limits
        super().__init__(app, http=GuardedH11, timeout_keep_alive=limits.keep_alive, **kwargs)


def _refusal(status: int, reason: str, code: str, message: str) -> bytes:
    body = json.dumps({"error": code, "message": message}).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n"
    )
    if status == 503:
        head += "retry-after: 1\r\n"
    return head.encode() + b"\r\n" + body


TOO_MANY = _refusal(
    503, "Service Unavailable", "busy", "The central has too many connections; try again shortly"
)
TOO_SLOW = _refusal(
    408,
    "Request Timeout",
    "timeout",
    "The request did not arrive in time; the connection is closed",
)


class GuardedH11(H11Protocol):
    def __init__(self, config: uvicorn.Config, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        assert isinstance(config, GuardedConfig)
        self.limits = config.limits
        self.read_timer: asyncio.TimerHandle | None = None
        self.reading_headers = False
        self.began = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self.began = self.loop.time()
        if len(self.connections) > self.limits.max_connections and not self._make_room():
            logger.warning(
                "Refused a connection: %d open, the limit is %d (--max-connections)",
                len(self.connections) - 1,
                self.limits.max_connections,
            )
            self.transport.write(TOO_MANY)
            self.transport.close()
            return
        self._watch()

    def _make_room(self) -> bool:
        """Close the oldest connection still waiting for its request's headers, if any: a
        client that sends its request at once gets a place from one that dawdles."""
        waiting = [
            c
            for c in self.connections
            if isinstance(c, GuardedH11) and c is not self and c.reading_headers
        ]
        if not waiting:
            return False
        oldest = min(waiting, key=lambda c: c.began)
        logger.warning("Closed a connection still sending its headers: the limit was reached")
        oldest._timed_out("headers", log=False)
        return True

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._watch()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_timer()
        super().connection_lost(exc)

    def _watch(self) -> None:
        """Arm the timer the connection's state calls for: the headers' deadline, armed
        once per request; the body's, re-armed by every read; none otherwise (between
        requests uvicorn's keep-alive timeout applies)."""
        if self.transport.is_closing():
            self._stop_timer()
            return
        state = self.conn.their_state
        if state is h11.IDLE:
            if not self.reading_headers:
                self.reading_headers = True
                self._start_timer(self.limits.header_timeout, "headers")
        elif state is h11.SEND_BODY:
            self.reading_headers = False
            self._start_timer(self.limits.body_timeout, "body")
        else:
            self.reading_headers = False
            self._stop_timer()

    def _start_timer(self, seconds: float, what: str) -> None:
        self._stop_timer()
        self.read_timer = self.loop.call_later(seconds, self._timed_out, what)

    def _stop_timer(self) -> None:
        if self.read_timer is not None:
            self.read_timer.cancel()
            self.read_timer = None

    def _timed_out(self, what: str, log: bool = True) -> None:
        self._stop_timer()
        self.reading_headers = False
        if self.transport.is_closing():
            return
        if what == "body" and self.flow.read_paused:  # the app is behind, not the client
            self._start_timer(self.limits.body_timeout, what)
            return
        if log:
            logger.warning("Closed a connection: its request %s did not arrive in time", what)
        if what == "headers":
            self.transport.write(TOO_SLOW)
        self.transport.close()


def raise_fd_limit(limits: Limits) -> int:
    """Raise the soft limit on open files to what ``max_connections`` needs; the limit.

    Raises ``RuntimeError`` if the hard limit is lower: better refused at start than out of
    file handles under load.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = limits.max_connections + SPARE_FDS
    if soft >= need:
        return soft
    if hard != resource.RLIM_INFINITY and hard < need:
        raise RuntimeError(
            f"--max-connections {limits.max_connections} needs {need} open files, and this "
            f"process may open at most {hard} (ulimit -Hn): lower --max-connections"
        )
    resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
    return need


class OncePerMinute(logging.Filter):
    """One record per kind (logger and message template) per ``window`` seconds.

    The first of a kind in a window passes; the others are counted, and the first one after
    the window says how many were left out.
    """

    def __init__(self, window: float = 60.0, clock: Callable[[], float] = time.monotonic):
        super().__init__()
        self.window = window
        self.clock = clock
        self.kinds: dict[tuple[str, Any], tuple[float, int]] = {}  # kind: (since, left out)

    def filter(self, record: logging.LogRecord) -> bool:
        kind = (record.name, record.msg)
        now = self.clock()
        since, left_out = self.kinds.get(kind, (-self.window, 0))
        if now - since < self.window:
            self.kinds[kind] = (since, left_out + 1)
            return False
        self.kinds[kind] = (now, 0)
        if left_out:
            record.msg = f"{record.getMessage()} [and {left_out} more like it not logged]"
            record.args = None
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's logging, and everything else's, to stderr through ``OncePerMinute``."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"once_a_minute": {"()": OncePerMinute}},
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "plain",
                "filters": ["once_a_minute"],
            }
        },
        "loggers": {
            "uvicorn": {"level": "WARNING"},
            "uvicorn.access": {"level": "WARNING", "propagate": False},
        },
        "root": {"handlers": ["stderr"], "level": "WARNING"},
    }


def settle_heap() -> None:
    """Put what start-up built out of the garbage collector's sight (``gc.freeze``).

    The app, its routes and their pydantic schemas are some 70,000 objects that live as
    long as the process; a push of 200 sales parses about 80,000 more, and each collection
    of the oldest generation walked all of them again: parsing a batch took twice as long in
    the server as alone. Called once the app is built, before serving (and before a fork,
    which then shares those pages with every worker).
    """
    gc.collect()
    gc.freeze()


STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}


def serve_workers(sock: socket.socket, workers: int, run_one: Callable[[int], None]) -> int:
    """Run ``run_one(index)`` (one uvicorn server on ``sock``) in ``workers`` forked processes.

    The central keeps nothing that must be single in a process: master-data versions,
    document claims and each terminal's chain are decided under PostgreSQL row locks, so
    any worker may take any request. The listening socket is made before the fork and
    shared, and the kernel hands each connection to one worker. A worker that dies is
    started again (a crash costs its in-flight requests, which the tills retry); SIGTERM or
    SIGINT stops them all and returns once they have drained. Returns the exit status.
    """
    stopping = False
    children: dict[int, tuple[int, float]] = {}  # pid: (its index, when it started)

    def start(index: int) -> None:
        # a stop arriving between the check and the child's registration would signal every
        # worker but this one, and the parent would wait for it for ever: it waits until then
        held = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            if stopping:  # it came during the pause before a restart
                return
            pid = os.fork()
            if pid == 0:  # the worker: the parent's handlers are not its own
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                signal.pthread_sigmask(signal.SIG_SETMASK, held)
                status = 0
                try:
                    run_one(index)
                except BaseException:  # a worker reports and exits, never returns to the loop
                    logger.exception("A central worker stopped on an error")
                    status = 1
                finally:
                    os._exit(status)
            children[pid] = (index, time.monotonic())
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)

    def stop(signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for index in range(workers):
        start(index)
    status = 0
    while children:
        try:
            pid, code = os.wait()
        except ChildProcessError:
            break
        except InterruptedError:  # pragma: no cover - PEP 475 retries os.wait itself
            continue
        child = children.pop(pid, None)
        if child is None or stopping:
            continue
        index, started = child
        logger.warning("Central worker %s exited (status %s); starting another", index, code)
        status = 1
        if time.monotonic() - started < 1.0:
            time.sleep(1.0)  # one that dies at once must not fork in a tight loop
        start(index)
    return 0 if stopping else status
