"""The till in a browser: `o2pos serve-web` answers on 127.0.0.1 with the till's page."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def test_serve_web_answers_on_127_0_0_1_only(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "o2pos", "init", "--demo"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "o2pos", "serve-web", "--port", str(port)],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        page = None
        while time.monotonic() < deadline:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert page is not None and page.status_code == 200
        assert "o2pos" in page.text and "<html" in page.text.lower()
        # bound to the loopback address: another address of this machine does not answer
        outside = socket.gethostbyname(socket.gethostname())
        if not outside.startswith("127."):
            with socket.socket() as probe:
                probe.settimeout(1)
                assert probe.connect_ex((outside, port)) != 0
    finally:
        server.terminate()
        server.wait(timeout=10)
