"""Self-tests for the fault proxy: each fault must look to httpx exactly as the sync tests assume.

The sync integration tests reason from "the till saw exception X" to "the server did / did not
get the sale". These tests pin both halves for every fault: what the client observes, and
whether the request reached upstream (counted by a tiny upstream server started here).
"""

from __future__ import annotations

import contextlib
import json
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.sync.faultproxy import FAULTS, FaultProxy, ManualClock

# A traceback from a proxy thread is a bug even when the client-side assertion passes.
pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")

TIMEOUT = httpx.Timeout(2.0)
PAD = "x" * 2000  # big enough that "half the body" is clearly not the whole body


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _UpstreamServer

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        self.server.record(self.command, self.path, body)
        if self.path == "/chunked":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b'{"chunked": ', b"true}"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
            return
        echo = {"method": self.command, "path": self.path, "echo": body, "pad": PAD}
        payload = b"" if self.path == "/empty" else json.dumps(echo).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


class _UpstreamServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.requests: list[tuple[str, str, object]] = []

    def record(self, method: str, path: str, body: object) -> None:
        with self.lock:
            self.requests.append((method, path, body))

    @property
    def count(self) -> int:
        with self.lock:
            return len(self.requests)

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.server_address[:2]
        return str(host), int(port)


def http_client(base_url: str = "") -> httpx.Client:
    """A client with short explicit timeouts; verify=False because it is plain HTTP only and
    loading the CA bundle would cost ~40 ms per client."""
    return httpx.Client(base_url=base_url, timeout=TIMEOUT, verify=False)


def eventually(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@pytest.fixture
def upstream() -> Iterator[_UpstreamServer]:
    server = _UpstreamServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01})
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(2)


@pytest.fixture
def proxy(upstream: _UpstreamServer) -> Iterator[FaultProxy]:
    with FaultProxy(upstream.address) as fault_proxy:
        yield fault_proxy


@pytest.fixture
def client(proxy: FaultProxy) -> Iterator[httpx.Client]:
    with http_client(proxy.url) as http:
        yield http


def test_pass_relays_requests_over_one_keep_alive_connection(
    proxy: FaultProxy, client: httpx.Client, upstream: _UpstreamServer
) -> None:
    first = client.get("/status")
    second = client.post("/sales", json={"sale": 1})

    assert first.status_code == 200
    assert first.json()["method"] == "GET"
    assert second.json()["echo"] == {"sale": 1}
    assert upstream.requests == [("GET", "/status", None), ("POST", "/sales", {"sale": 1})]
    assert (proxy.applied["pass"], proxy.forwarded, proxy.accepted) == (2, 2, 1)
    assert proxy.url == f"http://127.0.0.1:{proxy.port}"


def test_pass_relays_chunked_responses(client: httpx.Client, upstream: _UpstreamServer) -> None:
    assert client.get("/chunked").json() == {"chunked": True}
    assert client.get("/status").status_code == 200  # framing kept the connection usable
    assert upstream.count == 2


def test_unknown_faults_and_parameters_are_rejected(proxy: FaultProxy) -> None:
    with pytest.raises(ValueError, match="unknown fault"):
        proxy.set_mode("explode")
    with pytest.raises(ValueError, match="unknown fault"):
        proxy.queue("pass", "explode")
    with pytest.raises(ValueError, match="unknown fault"):
        proxy.randomize(0.5, ["explode"], random.Random(1))
    with pytest.raises(ValueError, match="takes no"):
        proxy.set_mode("http_500", retry_after=1)
    with pytest.raises(ValueError, match="rate"):
        proxy.randomize(1.5, ["pass"], random.Random(1))
    with pytest.raises(ValueError, match="empty"):
        proxy.randomize(0.5, [], random.Random(1))
    assert "pass" in FAULTS and len(FAULTS) == 11


def test_refuse_mode_refuses_connects_and_listens_again_on_the_same_port(
    proxy: FaultProxy, client: httpx.Client, upstream: _UpstreamServer
) -> None:
    port = proxy.port
    assert client.get("/warm").status_code == 200  # leaves a pooled keep-alive connection

    proxy.set_mode("refuse")
    for _ in range(2):  # the pooled connection was closed too, so even it cannot be reused
        with pytest.raises(httpx.ConnectError):
            client.get("/refused")
    proxy.set_mode("pass")

    assert client.get("/back").status_code == 200
    assert proxy.port == port
    assert [path for _, path, _ in upstream.requests] == ["/warm", "/back"]


def test_refuse_mode_before_start_keeps_the_port(upstream: _UpstreamServer) -> None:
    with FaultProxy(upstream.address) as proxy, http_client() as http:
        proxy.set_mode("refuse")
        with pytest.raises(httpx.ConnectError):
            http.get(proxy.url)
        proxy.set_mode("pass")
        assert http.get(proxy.url).status_code == 200


def test_queued_refuse_kills_the_request_then_refuses_briefly(
    upstream: _UpstreamServer,
) -> None:
    clock = ManualClock()  # the refuse window ends when the test says, not when it is slow
    with FaultProxy(upstream.address, clock=clock) as proxy, http_client(proxy.url) as client:
        proxy.queue("refuse")  # for 0.2 s by default

        with pytest.raises(httpx.RemoteProtocolError):
            client.post("/sales", json={"sale": 1})
        with pytest.raises(httpx.ConnectError):
            client.post("/sales", json={"sale": 1})
        clock.advance(0.1)
        with pytest.raises(httpx.ConnectError):  # still within the window
            client.post("/sales", json={"sale": 1})
        assert upstream.count == 0
        clock.advance(0.1)
        assert eventually(lambda: _connects(proxy.port))  # listens again by itself
        assert client.post("/sales", json={"sale": 1}).status_code == 200
        assert upstream.count == 1
        assert proxy.applied["refuse"] == 1


def _connects(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


def test_drop_before_never_reaches_upstream(
    proxy: FaultProxy, client: httpx.Client, upstream: _UpstreamServer
) -> None:
    proxy.set_mode("drop_before")
    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        client.post("/sales", json={"sale": 1})
    assert (upstream.count, proxy.forwarded) == (0, 0)


def test_drop_after_loses_the_response_of_a_committed_request(
    proxy: FaultProxy, client: httpx.Client, upstream: _UpstreamServer
) -> None:
    proxy.set_mode("drop_after")
    # Same exception as drop_before: the client cannot tell whether the sale was committed.
    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        client.post("/sales", json={"sale": 1})
    assert upstream.requests == [("POST", "/sales", {"sale": 1})]
    assert proxy.forwarded == 1


def test_reset_mid_body_delivers_headers_then_a_reset(
    proxy: FaultProxy, client: httpx.Client, upstream: _UpstreamServer
) -> None:
    proxy.set_mode("reset_mid_body")
    with client.stream("POST", "/sales", json={"sale": 1}) as response:
        assert response.status_code == 200
        with pytest.raises(httpx.ReadError):
            response.read()
    with pytest.raises(httpx.ReadError):
        client.post("/sales", json={"sale": 2})
    assert upstream.count == 2


def test_truncated_body_is_a_protocol_error_not_a_short_body(
    proxy: FaultProxy, client: httpx.Client, upstream: _UpstreamServer
) -> None:
    proxy.set_mode("truncated")
    with client.stream("POST", "/sales", json={"sale": 1}) as response:
        assert response.status_code == 200
        assert int(response.headers["Content-Length"]) > 2000  # the original length
        with pytest.raises(httpx.RemoteProtocolError, match="complete message body"):
            response.read()
    with pytest.raises(httpx.RemoteProtocolError):  # nothing to cut: half the head instead
        client.get("/empty")
    assert upstream.count == 2


def test_delay_times_the_client_out_but_the_server_still_processes(
    upstream: _UpstreamServer,
) -> None:
    clock = ManualClock()  # the delay lasts until the test advances it, however slow the box
    with FaultProxy(upstream.address, clock=clock) as proxy, http_client(proxy.url) as client:
        proxy.set_mode("delay", seconds=0.3)
        with pytest.raises(httpx.ReadTimeout):
            client.post("/sales", json={"sale": 1}, timeout=httpx.Timeout(2.0, read=0.1))
        assert (upstream.count, proxy.forwarded) == (0, 0)  # not yet...

        clock.advance(0.3)
        assert proxy.wait_forwarded(1, timeout=10.0)
        assert eventually(lambda: upstream.count == 1)  # ...but it lands after the client gave up

        with ThreadPoolExecutor(1) as pool:  # a delay shorter than the client's timeout: relayed
            answer = pool.submit(client.post, "/sales", json={"sale": 2})
            assert eventually(lambda: proxy.applied["delay"] == 2)
            assert not answer.done() and proxy.forwarded == 1  # held for the delay
            clock.advance(0.3)
            assert answer.result(timeout=10).status_code == 200
        assert upstream.count == 2


@pytest.mark.parametrize(
    ("fault", "params", "status", "retry_after"),
    [
        ("http_500", {}, 500, None),
        ("http_429", {}, 429, "1"),
        ("http_429", {"retry_after": 7}, 429, "7"),
        ("http_503", {"retry_after": 2}, 503, "2"),
    ],
)
def test_http_status_faults_answer_without_forwarding(
    proxy: FaultProxy,
    client: httpx.Client,
    upstream: _UpstreamServer,
    fault: str,
    params: dict[str, int],
    status: int,
    retry_after: str | None,
) -> None:
    proxy.set_mode(fault, **params)
    response = client.post("/sales", json={"sale": 1})

    assert response.status_code == status
    assert response.headers.get("Retry-After") == retry_after
    assert response.json() == {"detail": f"injected fault: {fault}"}
    assert (upstream.count, proxy.forwarded) == (0, 0)
    proxy.set_mode("pass")
    assert client.get("/status").status_code == 200
    assert proxy.accepted == 1  # a clean error response keeps the connection alive


def test_queued_faults_come_first_in_order_then_the_mode(
    proxy: FaultProxy, client: httpx.Client, upstream: _UpstreamServer
) -> None:
    proxy.set_mode("http_500")
    proxy.queue("http_429", "pass", ("http_503", {"retry_after": 5}))

    statuses = [client.get(f"/{i}").status_code for i in range(5)]

    assert statuses == [429, 200, 503, 500, 500]
    assert proxy.applied == {"http_429": 1, "pass": 1, "http_503": 1, "http_500": 2}
    assert upstream.count == 1


def test_randomize_is_reproducible_from_the_seed(
    proxy: FaultProxy, client: httpx.Client, upstream: _UpstreamServer
) -> None:
    def run(seed: int) -> list[int]:
        proxy.randomize(0.5, ["http_500", "http_503"], random.Random(seed))
        return [client.get("/r").status_code for _ in range(20)]

    first, again = run(42), run(42)

    assert first == again
    assert set(first) == {200, 500, 503}
    assert upstream.count == 2 * first.count(200)
    proxy.randomize(0.0, [], random.Random(0))  # off: back to the mode
    assert client.get("/r").status_code == 200
    assert proxy.applied.total() == 41


def test_randomize_uses_per_kind_params_and_queue_wins(
    proxy: FaultProxy, client: httpx.Client
) -> None:
    proxy.randomize(1.0, ["http_429"], random.Random(0), params={"http_429": {"retry_after": 9}})
    proxy.queue("pass")
    assert client.get("/q").status_code == 200
    assert client.get("/r").headers["Retry-After"] == "9"


def test_unreachable_upstream_is_a_502_without_forwarding() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        dead = unused.getsockname()
    with FaultProxy(dead) as proxy, http_client() as http:
        assert http.get(proxy.url).status_code == 502
        assert proxy.forwarded == 0


def test_stop_ends_idle_and_delayed_connections_at_once(upstream: _UpstreamServer) -> None:
    # on a clock that never moves, the delay would hold its thread for ever: only stop()
    # waking it can end it, so "stop() does not wait the delay out" needs no stopwatch
    proxy = FaultProxy(upstream.address, clock=ManualClock()).start()
    with http_client(proxy.url) as http:
        assert http.get("/idle").status_code == 200  # an idle keep-alive connection stays open
        proxy.set_mode("delay", seconds=30)
        worker = threading.Thread(target=_swallow, args=(http.get, "/slow"))
        worker.start()
        assert eventually(lambda: proxy.applied["delay"] == 1)
        threads = [t for t in threading.enumerate() if t.name.endswith(f"-{proxy.port}")]
        assert len(threads) >= 2  # accepting, and the connection the delay holds

        proxy.stop()
        for thread in threads:
            thread.join(10)  # a thread stop() failed to wake would never end
        assert not any(thread.is_alive() for thread in threads)
        worker.join(10)
        assert not worker.is_alive()
        with pytest.raises(httpx.ConnectError):
            http.get("/after-stop")
    assert upstream.count == 1


def _swallow(call: Callable[[str], object], path: str) -> None:
    with contextlib.suppress(httpx.HTTPError):
        call(path)


def test_hold_keeps_a_request_from_upstream_until_released(
    proxy: FaultProxy, client: httpx.Client, upstream: _UpstreamServer
) -> None:
    held = proxy.hold("POST", "/sales", skip=1)
    assert client.get("/sales").status_code == 200  # another method: not held
    assert client.post("/sales?x=1", json={"sale": 1}).status_code == 200  # skipped
    with ThreadPoolExecutor(1) as pool:
        answer = pool.submit(client.post, "/sales", json={"sale": 2})
        assert held.wait(10)
        assert upstream.count == 2 and not held.forwarded and not answer.done()
        held.release()  # returns once the proxy is done: forwarded, answer relayed
        assert held.forwarded and upstream.count == 3
        assert answer.result(timeout=10).json()["echo"] == {"sale": 2}
    assert client.post("/sales", json={"sale": 3}).status_code == 200  # one request only
    assert proxy.applied["pass"] == 3  # a held request takes no fault


def test_hold_with_the_answer_means_the_upstream_has_committed(
    proxy: FaultProxy, client: httpx.Client, upstream: _UpstreamServer
) -> None:
    held = proxy.hold("POST", "/sales", answered=True)
    with ThreadPoolExecutor(1) as pool:
        answer = pool.submit(client.post, "/sales", json={"sale": 1})
        assert held.wait(10)
        assert held.forwarded and upstream.count == 1 and not answer.done()
        held.release(forward=False)  # the answer is lost
        with pytest.raises(httpx.RemoteProtocolError):
            answer.result(timeout=10)
    assert upstream.count == 1


def test_a_held_request_dropped_never_reaches_upstream_and_an_unused_hold_is_cancelled(
    proxy: FaultProxy, client: httpx.Client, upstream: _UpstreamServer
) -> None:
    held = proxy.hold("POST", "/sales")
    with ThreadPoolExecutor(1) as pool:
        answer = pool.submit(client.post, "/sales", json={"sale": 1})
        assert held.wait(10)
        held.release(forward=False)
        with pytest.raises(httpx.RemoteProtocolError):
            answer.result(timeout=10)
    assert (upstream.count, held.forwarded) == (0, False)
    unused = proxy.hold("POST", "/sales")
    unused.release()  # before any request: cancelled
    assert client.post("/sales", json={"sale": 2}).status_code == 200
    assert not unused.arrived and upstream.count == 1
    with pytest.raises(ValueError, match="skip"):
        proxy.hold("GET", "/", skip=-1)
