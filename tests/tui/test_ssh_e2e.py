"""A thin client over SSH: OpenSSH's server on 127.0.0.1, a till account that lands in the
till and nowhere else (``ForceCommand``, no forwarding), a cash sale at 80×24, TERM=linux.

``./scripts/test`` installs openssh-server, creates the ``o2pos-till`` account and installs
o2pos for it in a venv of its own (``$O2POS_TILL_VENV``; the till's user cannot read the
test runner's interpreter); the server itself is started here with a config of its own, as
docs/deployment.md describes.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from tests.terminal import SshTill, Tmux, free_port, ssh_till_server, sshd_missing


@pytest.fixture
def ssh_till() -> Iterator[SshTill]:
    assert not sshd_missing(), f"./scripts/test sets up the SSH till: {sshd_missing()}"
    home = Path(tempfile.mkdtemp(prefix="o2pos-ssh-", dir="/tmp"))
    try:
        with ssh_till_server(home) as till:
            yield replace(till, ssh=[*till.ssh[:-1], "-o", "LogLevel=ERROR", till.ssh[-1]])
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_a_cash_sale_over_ssh_with_term_linux(ssh_till: SshTill) -> None:
    tmux = Tmux(ssh_till.home)
    try:
        command = " ".join(["env", "TERM=linux", ssh_till.ssh[0], "-tt", *ssh_till.ssh[1:]])
        tmux.start(command)
        tmux.wait_for("cashier / 1111", timeout=30)
        tmux.burst("cashier", "Tab", "1111", "Enter")
        tmux.wait_for("Open the cash register")
        tmux.keys("2000", "Enter")
        tmux.wait_for("drawer open")
        tmux.burst("8901001000018", "Enter")
        tmux.wait_for("Daawat Rozana")
        tmux.keys("F10")
        tmux.wait_for("Payment")
        tmux.keys("Enter")
        screen = tmux.wait_for("paid")
        assert "S-T1-000001" in screen
    finally:
        tmux.close()


def test_the_till_account_gets_the_till_and_nothing_else(ssh_till: SshTill) -> None:
    """``ForceCommand``, ``AllowTcpForwarding no``: the account is the till, not a door."""
    ssh = ssh_till.ssh
    # a command of its own is ignored: ForceCommand runs the till, which wants a terminal
    # and says so (it must not linger unseen); no shell is reached
    attempt = subprocess.run(
        [*ssh, "echo", "SHELL-REACHED"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert "SHELL-REACHED" not in attempt.stdout + attempt.stderr
    assert "o2pos run needs a terminal" in attempt.stderr
    assert attempt.returncode == 2
    # no port forwarding either: the server refuses the channel
    local = free_port()
    tunnel = subprocess.Popen(
        [*ssh, "-N", "-L", f"{local}:127.0.0.1:22"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 15
        while socket.socket().connect_ex(("127.0.0.1", local)) != 0:
            assert time.monotonic() < deadline, "the ssh client never listened"
            time.sleep(0.2)
        with socket.create_connection(("127.0.0.1", local), timeout=10) as through:
            assert through.recv(100) == b""  # closed at once: nothing came through
    finally:
        tunnel.kill()
        tunnel.communicate()
    assert "refused local port forward" in ssh_till.log.read_text()
