"""Slow and many clients cannot exhaust ``o2pos central serve`` (issue 12, section 3).

Twenty thousand connections that sent part of a request and stalled once ran the central
out of file handles, and its log grew by a traceback each. Here a real central with a small
connection limit and short timeouts is held by more stalled sockets than it may have.
"""

from __future__ import annotations

import logging
import os
import resource
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path

import httpx

from o2pos.central.serving import OncePerMinute
from tests.sync.conftest import stop, wait_until_up

SERVE = [sys.executable, "-m", "o2pos", "central", "serve"]
LIMIT = 20
STALLED_HEADERS = 3 * LIMIT
STALLED_BODIES = 5


@contextmanager
def serving(tmp_path: Path, *args: str) -> Iterator[tuple[str, Path]]:
    """``o2pos central serve`` on a port of its choosing; yields its URL and its log."""
    log = tmp_path / "serve.log"
    out = tmp_path / "serve.out"
    with log.open("wb") as err, out.open("wb") as printed:
        proc = subprocess.Popen(
            [*SERVE, "--port", "0", *args],
            cwd=tmp_path,
            stdout=printed,
            stderr=err,
        )
    try:
        wait_until_up_from(out, proc)
        url = out.read_text().split()[4]
        wait_until_up(url, proc)
        yield url, log
    finally:
        stop(proc)


def wait_until_up_from(out: Path, proc: subprocess.Popen[bytes]) -> None:
    """The address line is printed once the socket listens; wait for it, not for a time."""
    for _ in range(600):
        if out.read_text().startswith("o2pos central listening on "):
            return
        if proc.poll() is not None:
            raise AssertionError(f"serve exited with {proc.returncode}")
        with suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=0.1)
    raise AssertionError("serve printed no address")


def stalled(url: str, first_bytes: bytes) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=60)
    sock.sendall(first_bytes)
    return sock


def closed_by_server(sock: socket.socket) -> bytes:
    """Everything the server sent before it closed the socket (waits for the close).

    A socket the server closes before it has read what the client sent is reset rather
    than closed (the kernel's rule): what it sent is then lost, but it is closed all the same.
    """
    got = b""
    try:
        while chunk := sock.recv(4096):
            got += chunk
    except ConnectionResetError:
        pass
    return got


def test_stalled_connections_are_cut_and_the_central_goes_on_answering(
    tmp_path: Path,
) -> None:
    db = tmp_path / "central.db"
    args = ["--db", str(db), "--max-connections", str(LIMIT), "--header-timeout", "1"]
    with serving(tmp_path, *args, "--body-timeout", "1") as (url, log), ExitStack() as held:
        bodies = [
            held.enter_context(
                stalled(
                    url,
                    b"POST /v1/journal HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                    b"\r\nContent-Length: 1000\r\n\r\n{",
                )
            )
            for _ in range(STALLED_BODIES)
        ]
        headers = [
            held.enter_context(stalled(url, b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-A: "))
            for _ in range(STALLED_HEADERS)
        ]
        # more stalled sockets than the central may hold, and it still serves a prompt client
        with httpx.Client(base_url=url, timeout=30) as client:
            for _ in range(5):
                assert client.get("/v1/health").json()["status"] == "ok"

        # every stalled socket is closed by the server, not left open to exhaust it
        answers = {closed_by_server(sock)[:13] for sock in headers}
        assert answers <= {b"HTTP/1.1 408 ", b"HTTP/1.1 503 ", b""}, answers
        for sock in bodies:
            closed_by_server(sock)

        with httpx.Client(base_url=url, timeout=30) as client:
            assert client.get("/v1/health").json()["status"] == "ok"

    # one line per kind of event, not one per connection
    lines = log.read_text().splitlines()
    assert len(lines) <= 4, "\n".join(lines)
    assert any("did not arrive in time" in line for line in lines), lines


def test_a_connection_limit_beyond_the_open_file_limit_is_refused_at_start(
    tmp_path: Path,
) -> None:
    def low_hard_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))

    done = subprocess.run(
        [*SERVE, "--port", "0", "--db", str(tmp_path / "c.db"), "--max-connections", "1000"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=low_hard_limit,
        env={**os.environ, "O2POS_CENTRAL_DB": ""},
    )
    assert done.returncode != 0
    assert "--max-connections 1000 needs 1064 open files" in done.stderr
    assert "at most 256" in done.stderr and "Traceback" not in done.stderr


def test_a_flood_of_one_kind_is_logged_once_a_minute_with_a_count() -> None:
    now = [0.0]
    limit = OncePerMinute(clock=lambda: now[0])

    def record(msg: str, *args: object) -> logging.LogRecord:
        return logging.LogRecord("uvicorn.error", logging.WARNING, "x", 1, msg, args, None)

    flood = [record("Closed %s", n) for n in range(1000)]
    assert [limit.filter(r) for r in flood].count(True) == 1
    assert limit.filter(record("Another kind")) is True  # a new kind is not held back
    now[0] = 60.0
    summary = record("Closed %s", 1000)
    assert limit.filter(summary) is True
    assert summary.getMessage() == "Closed 1000 [and 999 more like it not logged]"
