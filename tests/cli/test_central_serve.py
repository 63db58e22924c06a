"""``o2pos central serve`` says where it listens, then serves there (a real process)."""

from __future__ import annotations

import json
import os
import selectors
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from o2pos.core.redact import redact
from tests.sync.conftest import stop


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def _serving(cwd: Path, *args: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """Start the central; yield its first line of output (waited for, not slept on)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "o2pos", "central", "serve", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "O2POS_CENTRAL_DB": ""},
    )
    try:
        assert proc.stdout is not None
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            if not sel.select(timeout=60):
                raise AssertionError("o2pos central serve printed nothing in 60 s")
        yield proc.stdout.readline().rstrip("\n"), proc
    finally:
        stop(proc)


def _health(url: str) -> dict[str, str]:
    with urllib.request.urlopen(f"{url}/v1/health", timeout=10) as answer:
        assert answer.status == 200
        return json.loads(answer.read())


def test_serve_prints_its_address_and_database_then_serves_there(tmp_path: Path) -> None:
    port = _free_port()
    db = tmp_path / "central.db"
    with _serving(tmp_path, "--port", str(port), "--db", str(db)) as (line, _proc):
        assert line == f"o2pos central listening on http://127.0.0.1:{port} (database {db})"
        # the line comes once the port is bound: asking right away is answered
        assert _health(f"http://127.0.0.1:{port}")["status"] == "ok"


def test_port_0_prints_the_port_it_got(tmp_path: Path) -> None:
    with _serving(tmp_path, "--port", "0", "--db", "sqlite:///c.db") as (line, _proc):
        prefix = "o2pos central listening on http://127.0.0.1:"
        assert line.startswith(prefix) and line.endswith(" (database sqlite:///c.db)")
        port = int(line.removeprefix(prefix).split()[0])
        assert port > 0
        assert _health(f"http://127.0.0.1:{port}")["status"] == "ok"


def test_a_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "o2pos", "central", "serve", "--port", str(port)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert done.stdout == ""
    assert f"error: Cannot listen on 127.0.0.1:{port}" in done.stderr


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("data/central.db", "data/central.db"),
        ("postgresql://o2pos:s3cret@db:5432/o2pos", "postgresql://o2pos:***@db:5432/o2pos"),
        ("postgresql://o2pos@db/o2pos", "postgresql://o2pos@db/o2pos"),
    ],
)
def test_a_database_password_is_never_printed(url: str, shown: str) -> None:
    assert redact(url) == shown
