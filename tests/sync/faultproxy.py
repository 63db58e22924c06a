"""A fault-injecting HTTP/1.1 proxy that sits between a till and the central service in tests.

Why it exists: the till's promise is "keep selling, sync later, never lose or double-count a
sale". Unit tests with a mocked transport cannot show what really happens when a request is lost
*after* the server committed it, when a response is cut in half, or when the server is simply not
there. This proxy reproduces those failures on a real TCP connection, deterministically, so the
sync code is tested against the same bytes (and the same httpx exceptions) it meets in a shop.

It is deliberately small and stdlib-only: blocking sockets, one daemon thread per client
connection, a fresh upstream connection per request. Faults are chosen per request, in this order:
one-shot faults from :meth:`FaultProxy.queue`, then (with probability ``rate``) a random fault
from :meth:`FaultProxy.randomize`, then the persistent mode from :meth:`FaultProxy.set_mode`.

Faults (the names are the contract; see :data:`FAULTS`):

``pass``
    Forward the request and relay the whole response.
``refuse``
    As a mode: the listening socket is closed, so new connects fail with ECONNREFUSED, and open
    client connections are closed too; when the mode changes away from ``refuse`` the proxy
    listens again on the same port. As a one-shot (queued or random) fault: the client connection
    that carried the request is closed without a response, and the listener is closed for
    ``seconds`` (default 0.2) so the next connection attempt(s) are refused; the proxy then
    listens again by itself. Connects refused by the kernel never reach the proxy, so
    ``applied["refuse"]`` counts only requests the proxy saw and killed.
``drop_before``
    Read the whole request and close the client connection; nothing is forwarded.
``drop_after``
    Forward, read the upstream's whole response (so the server has committed), then close the
    client connection without sending a byte.
``reset_mid_body``
    Forward, read the whole response, send the head and half the body, then reset (RST).
``delay``
    Wait ``seconds`` (default 3.0), then forward and relay. The client has normally timed out by
    then, but the server still processes the request: that is the point.
``http_500`` / ``http_429`` / ``http_503``
    Answer with that status and a small JSON body without forwarding; 429 and 503 carry
    ``Retry-After: retry_after`` (default 1). The connection stays usable (keep-alive).
``http_413``
    Answer 413 without forwarding, as the central does for a body holding more than it parses
    (``central.limits``); making a real till batch that large takes thousands of bill lines.
``truncated``
    Forward, read the whole response, send the head (with the original ``Content-Length``) and
    part of the body, then close cleanly (FIN).

For the partial faults, an empty body cannot be cut, so half of the response *head* is sent
instead; either way the client sees a broken response, never a short valid one. A response whose
body is delimited by the connection closing (no ``Content-Length``, not chunked) cannot be
truncated detectably; FastAPI/uvicorn always frame their bodies, so this does not arise there.

Besides faults, a test can *hold* one chosen request (:meth:`FaultProxy.hold`): the proxy keeps
it, before forwarding it or with the upstream's whole answer in hand, until the test releases it.
Meanwhile the test knows exactly where the client is (waiting for that answer) and can act then,
e.g. kill it, instead of guessing with a sleep how far a slow or fast machine got.

The ``delay`` fault and one-shot ``refuse`` windows are measured on a clock, real time unless the
proxy is given a :class:`ManualClock`, which moves only when the test advances it: a delay then
ends when the test says so, never because the machine was slower or faster than expected.

Not supported, because the till never needs them: ``Expect: 100-continue``, protocol upgrades,
pipelined requests being answered out of order (they are simply handled in order).
"""

from __future__ import annotations

import collections
import contextlib
import json
import logging
import random
import select
import socket
import struct
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType, TracebackType

__all__ = ["FAULTS", "Clock", "FaultProxy", "FaultSpec", "Hold", "ManualClock"]

_log = logging.getLogger(__name__)

#: Every fault name the proxy understands, mapped to its parameters and their defaults.
_DEFAULT_PARAMS: Mapping[str, Mapping[str, float]] = MappingProxyType(
    {
        "pass": {},
        "refuse": {"seconds": 0.2},
        "drop_before": {},
        "drop_after": {},
        "reset_mid_body": {},
        "delay": {"seconds": 3.0},
        "http_500": {},
        "http_429": {"retry_after": 1},
        "http_503": {"retry_after": 1},
        "http_413": {},
        "truncated": {},
    }
)
FAULTS: frozenset[str] = frozenset(_DEFAULT_PARAMS)

#: A queued fault: a bare name, or a name with parameters, e.g. ``("delay", {"seconds": 0.5})``.
FaultSpec = str | tuple[str, Mapping[str, float]]

_CANNED_STATUS = {"http_500": 500, "http_429": 429, "http_503": 503, "http_413": 413}
_REASONS = {
    413: "Content Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}

# How often the accept thread wakes to notice stop() or the end of a one-shot refuse window;
# it bounds how long stop() waits for that thread.
_POLL_SECONDS = 0.05
# A keep-alive connection idle this long is closed, as a real server would; stop() does not rely
# on it (it shuts sockets down), it only stops a forgotten client from pinning a thread forever.
_IDLE_TIMEOUT = 60.0
# Upstream connect/read limit: generous, because ``delay`` tests want the server to finish.
_UPSTREAM_TIMEOUT = 30.0
# Pause between sending half a body and resetting, so the client has really received the partial
# response before the RST arrives (a reset can discard data still queued for sending).
_RESET_PAUSE = 0.05
_MAX_HEAD = 64 * 1024
_JOIN_TIMEOUT = 2.0


class _BadMessage(Exception):
    """A peer sent something that is not HTTP/1.1 as the proxy understands it: end the link."""


class _UpstreamError(Exception):
    """Talking to upstream failed; ``forwarded`` says whether the request had been sent in full.

    The distinction matters: before forwarding the proxy may answer 502 (nothing happened
    upstream), after forwarding it must not invent an answer (the server may have committed).
    """

    def __init__(self, message: str, *, forwarded: bool) -> None:
        super().__init__(message)
        self.forwarded = forwarded


@dataclass(frozen=True)
class _Fault:
    name: str
    params: Mapping[str, float]
    one_shot: bool


@dataclass(frozen=True)
class _Randomizer:
    rate: float
    faults: tuple[_Fault, ...]
    rng: random.Random


@dataclass(frozen=True)
class _Request:
    method: str
    target: str  # as on the request line, e.g. "/v1/master?since=0"
    head: bytes
    body: bytes
    close: bool  # the client asked for the connection to end after this exchange


@dataclass(frozen=True)
class _Response:
    head: bytes  # any interim 1xx responses, then the final status line and headers
    body: bytes  # exactly as framed on the wire (raw chunked encoding included)
    close: bool  # the connection must end after relaying this response


@dataclass
class _Reader:
    """Buffered reads from a blocking socket, because HTTP framing needs exact byte counts."""

    sock: socket.socket
    buf: bytearray = field(default_factory=bytearray)

    def _fill(self) -> bool:
        data = self.sock.recv(65536)
        self.buf += data
        return bool(data)

    def _take(self, n: int) -> bytes:
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def head(self) -> bytes | None:
        """The next message head including its blank line; None on a clean EOF between messages."""
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end >= 0:
                return self._take(end + 4)
            if len(self.buf) > _MAX_HEAD:
                raise _BadMessage("message head too large")
            if not self._fill():
                if self.buf:
                    raise _BadMessage("connection closed in the middle of a message head")
                return None

    def exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            if not self._fill():
                raise _BadMessage(f"connection closed with {n - len(self.buf)} bytes missing")
        return self._take(n)

    def line(self) -> bytes:
        while (end := self.buf.find(b"\r\n")) < 0:
            if not self._fill():
                raise _BadMessage("connection closed in the middle of a line")
        return self._take(end + 2)

    def until_close(self) -> bytes:
        while self._fill():
            pass
        return self._take(len(self.buf))

    def chunked(self) -> bytes:
        """The raw chunked body, size lines and trailers included, so it can be relayed as is."""
        out = bytearray()
        while True:
            size_line = self.line()
            out += size_line
            try:
                size = int(size_line.split(b";", 1)[0].strip(), 16)
            except ValueError as exc:
                raise _BadMessage(f"bad chunk size line {size_line!r}") from exc
            if size == 0:
                while (trailer := self.line()) != b"\r\n":
                    out += trailer
                out += trailer
                return bytes(out)
            out += self.exact(size + 2)


def _parse_head(head: bytes) -> tuple[list[bytes], dict[str, str]]:
    """Split a head into its start line parts and lower-cased headers (repeats comma-joined)."""
    lines = head[:-4].split(b"\r\n")
    start = lines[0].split(b" ", 2)
    if len(start) < 2:
        raise _BadMessage(f"bad start line {lines[0]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if not sep:
            raise _BadMessage(f"bad header line {line!r}")
        key = name.strip().lower().decode("latin-1")
        text = value.strip().decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return start, headers


def _wants_close(version: bytes, headers: Mapping[str, str]) -> bool:
    tokens = {token.strip().lower() for token in headers.get("connection", "").split(",")}
    if version.upper() == b"HTTP/1.0":
        return "keep-alive" not in tokens
    return "close" in tokens


def _read_body(reader: _Reader, headers: Mapping[str, str], *, is_response: bool) -> bytes | None:
    """The raw body; None means "delimited by the connection closing" (responses only)."""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return reader.chunked()
    length = headers.get("content-length")
    if length is not None:
        try:
            return reader.exact(int(length))
        except ValueError as exc:
            raise _BadMessage(f"bad Content-Length {length!r}") from exc
    return None if is_response else b""


def _read_request(reader: _Reader) -> _Request | None:
    head = reader.head()
    if head is None:
        return None
    start, headers = _parse_head(head)
    if len(start) != 3:
        raise _BadMessage(f"bad request line {start!r}")
    body = _read_body(reader, headers, is_response=False) or b""
    return _Request(
        method=start[0].decode("latin-1").upper(),
        target=start[1].decode("latin-1"),
        head=head,
        body=body,
        close=_wants_close(start[2], headers),
    )


def _read_response(reader: _Reader, request: _Request) -> _Response:
    prefix = b""
    while True:
        head = reader.head()
        if head is None:
            raise _BadMessage("upstream closed without a response")
        start, headers = _parse_head(head)
        try:
            status = int(start[1])
        except ValueError as exc:
            raise _BadMessage(f"bad status line {start!r}") from exc
        if 100 <= status < 200 and status != 101:
            prefix += head  # interim response: relay it, the real one follows
            continue
        break
    if request.method == "HEAD" or status in (204, 304):
        body: bytes | None = b""
    else:
        body = _read_body(reader, headers, is_response=True)
    if body is None:
        return _Response(head=prefix + head, body=reader.until_close(), close=True)
    return _Response(head=prefix + head, body=body, close=_wants_close(start[0], headers))


def _canned(status: int, detail: str, *, close: bool, retry_after: int | None = None) -> bytes:
    """A complete JSON response shaped like FastAPI's errors (``{"detail": ...}``)."""
    body = json.dumps({"detail": detail}).encode()
    lines = [
        f"HTTP/1.1 {status} {_REASONS[status]}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
    ]
    if retry_after is not None:
        lines.append(f"Retry-After: {retry_after}")
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _partial(response: _Response) -> bytes:
    """Head plus half the body; half the head when there is no body to cut."""
    if response.body:
        return response.head + response.body[: len(response.body) // 2]
    return response.head[: len(response.head) // 2]


def _resolve(spec: FaultSpec, *, one_shot: bool) -> _Fault:
    """Validate a fault name and its parameters now, so a typo fails in the test, not mid-run."""
    name, params = (spec, {}) if isinstance(spec, str) else spec
    if name not in _DEFAULT_PARAMS:
        raise ValueError(f"unknown fault {name!r}; known faults: {', '.join(sorted(FAULTS))}")
    defaults = _DEFAULT_PARAMS[name]
    unknown = set(params) - set(defaults)
    if unknown:
        allowed = ", ".join(sorted(defaults)) or "none"
        raise ValueError(f"fault {name!r} takes no {sorted(unknown)} (parameters: {allowed})")
    merged = {**defaults, **params}
    for key, value in merged.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ValueError(f"{name}: {key} must be a non-negative number, got {value!r}")
        if key == "retry_after" and not isinstance(value, int):
            raise ValueError(f"{name}: retry_after must be whole seconds, got {value!r}")
    return _Fault(name=name, params=MappingProxyType(merged), one_shot=one_shot)


class Clock:
    """Real time, for the ``delay`` fault and one-shot ``refuse`` windows."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float, interrupt: threading.Event) -> bool:
        """Wait ``seconds``; returns True at once when ``interrupt`` is set (the proxy stops)."""
        return interrupt.wait(seconds)


class ManualClock(Clock):
    """Time that moves only when the test calls :meth:`advance`.

    Given to a proxy, a ``delay`` or a one-shot ``refuse`` window lasts until the test has
    advanced the clock past it, however slow or fast the machine: a test can act "during the
    delay" without racing it.
    """

    def __init__(self) -> None:
        self._now = 0.0
        self._changed = threading.Condition()

    def monotonic(self) -> float:
        with self._changed:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._changed:
            self._now += seconds
            self._changed.notify_all()

    def sleep(self, seconds: float, interrupt: threading.Event) -> bool:
        with self._changed:
            until = self._now + seconds
            while self._now < until and not interrupt.is_set():
                self._changed.wait(_POLL_SECONDS)  # polls: stop() sets the event, not notify
        return interrupt.is_set()


class Hold:
    """One request the proxy keeps in hand until the test releases it (see FaultProxy.hold)."""

    def __init__(self, method: str, path: str, *, skip: int, answered: bool) -> None:
        self.method = method.upper()
        self.path = path
        self.answered = answered
        #: whether the held request was sent in full to upstream (so far)
        self.forwarded = False
        self._skip = skip
        self._forward = True
        self._state = threading.Lock()  # "taken by a request" and "released" change together
        self._taken = False
        self._arrived = threading.Event()
        self._released = threading.Event()
        self._finished = threading.Event()

    def __repr__(self) -> str:
        where = "with its answer" if self.answered else "before forwarding"
        return f"<Hold {self.method} {self.path} {where} skip={self._skip}>"

    def _matches(self, request: _Request) -> bool:
        return request.method == self.method and request.target.split("?", 1)[0] == self.path

    @property
    def arrived(self) -> bool:
        """A matching request is (or was) held."""
        return self._arrived.is_set()

    def wait(self, timeout: float) -> bool:
        """Wait until a matching request is held; False if none came within ``timeout``."""
        return self._arrived.wait(timeout)

    def release(self, *, forward: bool = True, timeout: float = 30.0) -> None:
        """Let the held request go, and return once the proxy is done with it.

        ``forward=True``: a request held before forwarding is forwarded now and its answer
        relayed; a held answer is relayed. ``forward=False``: the request, or the answer, is
        dropped and the client connection closed. A hold released before any request matched
        it is cancelled.
        """
        with self._state:
            self._forward = forward
            self._released.set()
            taken = self._taken
        if taken and not self._finished.wait(timeout):
            raise TimeoutError(f"{self!r} was released but not finished within {timeout} s")

    def _take(self) -> bool:
        """Claim this hold for a request; False once it was released (cancelled)."""
        with self._state:
            self._taken = not self._released.is_set()
            return self._taken


class FaultProxy:
    """A TCP proxy for HTTP/1.1 that applies one fault per request (see the module docstring).

    Thread-safe: faults can be changed from the test thread while requests are in flight; a
    request uses the fault chosen when its full request had been read.
    """

    def __init__(
        self,
        upstream: tuple[str, int],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Clock | None = None,
    ) -> None:
        self._upstream = upstream
        self._clock = clock or Clock()
        self._host = host
        self._port = port
        self._lock = threading.Lock()
        self._forwarded_changed = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._listener: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None
        self._threads: set[threading.Thread] = set()
        self._clients: set[socket.socket] = set()
        self._upstreams: set[socket.socket] = set()
        self._mode = _resolve("pass", one_shot=False)
        self._queue: collections.deque[_Fault] = collections.deque()
        self._random: _Randomizer | None = None
        self._holds: list[Hold] = []
        self._refuse_until = 0.0
        self._forwarded = 0
        self._accepted = 0
        #: How many times each fault (including ``"pass"``) was applied to a request.
        self.applied: collections.Counter[str] = collections.Counter()

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> FaultProxy:
        """Bind the listener and start accepting; the port chosen here is kept for life."""
        with self._lock:
            if self._accept_thread is not None:
                raise RuntimeError("FaultProxy can only be started once")
            self._listener = self._bind()
            self._port = self._listener.getsockname()[1]
            self._sync_listener()  # a mode of "refuse" set before start() closes it again
            self._accept_thread = threading.Thread(
                target=self._accept_loop, name=f"faultproxy-accept-{self._port}", daemon=True
            )
            self._accept_thread.start()
        return self

    def stop(self) -> None:
        """Close the listener and every open connection, then join the threads.

        Sockets are shut down rather than closed from here: shutdown wakes a thread blocked in
        recv/send on Linux, closing under its feet would not (and could recycle the descriptor).
        Joins are bounded, and all threads are daemons, so stop() never hangs a test run.
        """
        self._stopping.set()
        with self._lock:
            self._close_listener()
            for sock in self._clients | self._upstreams:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            threads = list(self._threads)
            accept_thread = self._accept_thread
        if accept_thread is not None:
            accept_thread.join(_JOIN_TIMEOUT)
        for thread in threads:
            thread.join(_JOIN_TIMEOUT)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- public state ----------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The listening port; fixed for the proxy's life, even across ``refuse`` periods."""
        if self._port == 0:
            raise RuntimeError("the port is chosen by start()")
        return self._port

    @property
    def url(self) -> str:
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    @property
    def forwarded(self) -> int:
        """Requests sent in full to upstream (whatever happened to the response afterwards)."""
        return self._forwarded

    @property
    def accepted(self) -> int:
        """Client connections accepted; lets tests check keep-alive reuse and reconnects."""
        return self._accepted

    def wait_forwarded(self, count: int, timeout: float = 5.0) -> bool:
        """Wait until ``forwarded >= count``: ``delay`` forwards after the client has given up."""
        with self._forwarded_changed:
            return self._forwarded_changed.wait_for(lambda: self._forwarded >= count, timeout)

    # -- choosing faults -------------------------------------------------------------------

    def set_mode(self, fault: str, **params: float) -> None:
        """Apply ``fault`` to every request from now on (after queued and random faults).

        Switching to ``refuse`` closes the listener and the open client connections before
        returning; switching away listens again on the same port before returning (unless a
        one-shot refuse window is still running, which then ends on its own).
        """
        resolved = _resolve((fault, params), one_shot=False)
        with self._lock:
            self._mode = resolved
            if self._accept_thread is None:
                return
            if resolved.name == "refuse":
                self._shutdown_clients()
            self._sync_listener()

    def queue(self, *faults: FaultSpec) -> None:
        """Apply these faults once each, in order, to the next requests, before the mode.

        Each item is a name or ``(name, params)``, e.g. ``("delay", {"seconds": 0.5})``.
        All items are validated before any is queued.
        """
        resolved = [_resolve(spec, one_shot=True) for spec in faults]
        with self._lock:
            self._queue.extend(resolved)

    def clear(self) -> None:
        """Forget queued one-shot faults (between examples of a state machine)."""
        with self._lock:
            self._queue.clear()

    def randomize(
        self,
        rate: float,
        kinds: Sequence[str],
        rng: random.Random,
        *,
        params: Mapping[str, Mapping[str, float]] | None = None,
    ) -> None:
        """For each request (queue empty): with probability ``rate`` a fault from ``kinds``.

        The choice uses only ``rng``, so a seeded soak test replays exactly. Random faults are
        one-shot (a random ``refuse`` refuses briefly). ``params`` maps a kind to its parameters,
        e.g. ``{"delay": {"seconds": 0.2}}``. ``rate=0`` switches randomization off.
        """
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"rate must be between 0 and 1, got {rate!r}")
        params = params or {}
        unused = set(params) - set(kinds)
        if unused:
            raise ValueError(f"params given for faults not in kinds: {sorted(unused)}")
        faults = tuple(_resolve((kind, params.get(kind, {})), one_shot=True) for kind in kinds)
        if rate > 0 and not faults:
            raise ValueError("kinds must not be empty when rate > 0")
        with self._lock:
            self._random = _Randomizer(rate, faults, rng) if rate > 0 else None

    def hold(self, method: str, path: str, *, skip: int = 0, answered: bool = False) -> Hold:
        """Hold the next request for ``method`` ``path`` (query ignored) after ``skip`` others.

        With ``answered=False`` the request is held before it is forwarded: upstream has not
        seen it. With ``answered=True`` it is forwarded and the upstream's whole answer read
        (the server has committed) before the hold: the client still has no answer. Either
        way :meth:`Hold.wait` then returns True, and the request stays held until
        :meth:`Hold.release`; a held request bypasses the faults. Holds are matched in the
        order they were made.
        """
        if skip < 0:
            raise ValueError(f"skip must not be negative, got {skip!r}")
        held = Hold(method, path, skip=skip, answered=answered)
        with self._lock:
            self._holds.append(held)
        return held

    def _take_hold(self, request: _Request) -> Hold | None:
        with self._lock:
            self._holds = [h for h in self._holds if not h._released.is_set()]
            for held in self._holds:
                if held._matches(request):
                    if held._skip:
                        held._skip -= 1
                        return None
                    self._holds.remove(held)
                    return held if held._take() else None
            return None

    def _pick_fault(self) -> _Fault:
        with self._lock:
            if self._queue:
                fault = self._queue.popleft()
            elif self._random is not None and self._random.rng.random() < self._random.rate:
                fault = self._random.rng.choice(self._random.faults)
            else:
                fault = self._mode
            self.applied[fault.name] += 1
            return fault

    # -- listening -------------------------------------------------------------------------

    def _bind(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            # SO_REUSEADDR lets a refuse period end on the same port despite TIME_WAIT leftovers.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self._host, self._port))
            sock.listen(128)
            sock.setblocking(False)  # accept() runs under the lock and must never block
        except OSError:
            sock.close()
            raise
        return sock

    def _sync_listener(self) -> None:
        """Open or close the listener to match the mode and any refuse window. Lock held."""
        want = (
            not self._stopping.is_set()
            and self._mode.name != "refuse"
            and self._clock.monotonic() >= self._refuse_until
        )
        if want and self._listener is None:
            self._listener = self._bind()
        elif not want:
            self._close_listener()

    def _close_listener(self) -> None:
        """Stop listening *now*, so the very next connect is refused. Lock held.

        close() alone is not enough: while the accept thread sits in select() the kernel holds a
        reference to the socket, which keeps listening (and queueing connects that are then
        reset, not refused) until select() returns. shutdown() leaves LISTEN state at once on
        Linux and wakes select().
        """
        if self._listener is None:
            return
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self._listener = None

    def _shutdown_clients(self) -> None:
        """Wake and end every client connection's thread (it closes its own socket). Lock held."""
        for conn in self._clients:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def _accept_loop(self) -> None:
        """Accept connections; also reopens the listener when a one-shot refuse window ends.

        select() runs without the lock (with a short timeout) and accept() with it, so another
        thread may close the listener at any time: a stale or recycled descriptor costs at most
        one spurious wake-up, detected by comparing the listener object.
        """
        while not self._stopping.is_set():
            with self._lock:
                try:
                    self._sync_listener()
                except OSError as exc:  # port taken meanwhile: keep trying, the test will see it
                    _log.warning("faultproxy could not listen again on %s: %s", self._port, exc)
                listener = self._listener
            if listener is None:
                self._stopping.wait(_POLL_SECONDS)
                continue
            try:
                readable, _, _ = select.select([listener], [], [], _POLL_SECONDS)
            except (OSError, ValueError):
                continue  # closed by set_mode/stop/a one-shot refuse while we waited
            if readable:
                self._accept_one(listener)
        with self._lock:
            self._close_listener()

    def _accept_one(self, listener: socket.socket) -> None:
        with self._lock:
            if listener is not self._listener or self._stopping.is_set():
                return
            try:
                conn, _addr = listener.accept()
            except OSError:  # BlockingIOError, ECONNABORTED: nothing to accept after all
                return
            conn.settimeout(_IDLE_TIMEOUT)
            self._accepted += 1
            self._clients.add(conn)
            thread = threading.Thread(
                target=self._serve, args=(conn,), name=f"faultproxy-conn-{self._port}", daemon=True
            )
            self._threads.add(thread)
            thread.start()  # under the lock, so stop() never joins an unstarted thread

    def _refuse_briefly(self, seconds: float) -> None:
        with self._lock:
            self._refuse_until = max(self._refuse_until, self._clock.monotonic() + seconds)
            self._sync_listener()

    # -- serving a connection --------------------------------------------------------------

    def _serve(self, conn: socket.socket) -> None:
        """Handle requests on one client connection until a fault or either side ends it.

        OSError (resets, broken pipes, timeouts, sockets shut down by stop()) and malformed
        messages are expected when faults are flying, so they end the connection quietly.
        """
        reader = _Reader(conn)
        try:
            while not self._stopping.is_set():
                request = _read_request(reader)
                if request is None:
                    return
                held = self._take_hold(request)
                if held is not None:
                    keep = self._apply_hold(conn, request, held)
                else:
                    keep = self._apply(conn, request, self._pick_fault())
                if not keep:
                    return
        except (OSError, _BadMessage) as exc:
            _log.debug("faultproxy client connection ended: %r", exc)
        finally:
            with self._lock:
                self._clients.discard(conn)
                conn.close()  # under the lock: stop() must never shut down a recycled fd
                self._threads.discard(threading.current_thread())

    def _apply(self, conn: socket.socket, request: _Request, fault: _Fault) -> bool:
        """Apply one fault to one request; True when the connection can carry another request."""
        name = fault.name
        if name == "refuse":
            if fault.one_shot:
                self._refuse_briefly(fault.params["seconds"])
            return False
        if name == "drop_before":
            return False
        if name in _CANNED_STATUS:
            retry_after = fault.params.get("retry_after")
            conn.sendall(
                _canned(
                    _CANNED_STATUS[name],
                    f"injected fault: {name}",
                    close=request.close,
                    retry_after=None if retry_after is None else int(retry_after),
                )
            )
            return not request.close
        if name == "delay" and self._clock.sleep(fault.params["seconds"], self._stopping):
            return False

        try:
            response = self._exchange(request)
        except _UpstreamError as exc:
            _log.debug("faultproxy upstream failed: %s", exc)
            if not exc.forwarded:
                conn.sendall(_canned(502, f"faultproxy: upstream failed: {exc}", close=True))
            return False

        if name in ("pass", "delay"):
            conn.sendall(response.head + response.body)
            return not (request.close or response.close)
        if name == "drop_after":
            return False
        conn.sendall(_partial(response))
        if name == "truncated":
            conn.shutdown(socket.SHUT_WR)  # FIN: a clean close, only the body is short
            return False
        # reset_mid_body: linger on with a zero timeout turns the close() in _serve into an RST.
        time.sleep(_RESET_PAUSE)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        return False

    def _apply_hold(self, conn: socket.socket, request: _Request, held: Hold) -> bool:
        """Hold one request (or its answer) until released; True when the link can go on."""
        try:
            response: _Response | None = None
            if held.answered:
                response = self._exchange_for(held, request)
            held._arrived.set()
            while not held._released.wait(_POLL_SECONDS):
                if self._stopping.is_set():
                    return False
            if not held._forward:
                return False
            if response is None and not held.answered:
                response = self._exchange_for(held, request)
            if response is None:  # upstream failed: nothing to relay, and no answer invented
                return False
            conn.sendall(response.head + response.body)
            return not (request.close or response.close)
        finally:
            held._finished.set()

    def _exchange_for(self, held: Hold, request: _Request) -> _Response | None:
        try:
            response = self._exchange(request)
        except _UpstreamError as exc:
            _log.debug("faultproxy upstream failed for %r: %s", held, exc)
            held.forwarded = exc.forwarded
            return None
        held.forwarded = True
        return response

    def _exchange(self, request: _Request) -> _Response:
        """Send the request unchanged on a fresh upstream connection and read the response."""
        try:
            upstream = socket.create_connection(self._upstream, timeout=_UPSTREAM_TIMEOUT)
        except OSError as exc:
            raise _UpstreamError(f"connect: {exc}", forwarded=False) from exc
        with self._lock:
            self._upstreams.add(upstream)
        forwarded = False
        try:
            if self._stopping.is_set():
                raise _UpstreamError("proxy stopping", forwarded=False)
            upstream.sendall(request.head + request.body)
            forwarded = True
            with self._forwarded_changed:
                self._forwarded += 1
                self._forwarded_changed.notify_all()
            return _read_response(_Reader(upstream), request)
        except (OSError, _BadMessage) as exc:
            raise _UpstreamError(str(exc) or repr(exc), forwarded=forwarded) from exc
        finally:
            with self._lock:
                self._upstreams.discard(upstream)
                upstream.close()
