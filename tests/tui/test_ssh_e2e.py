"""A thin client over SSH: OpenSSH's server on 127.0.0.1, a till account that lands in the
till and nowhere else (``ForceCommand``, no forwarding), a cash sale at 80×24, TERM=linux.

``./scripts/test`` installs openssh-server, creates the ``o2pos-till`` account and installs
o2pos for it in a venv of its own (``$O2POS_TILL_VENV``; the till's user cannot read the
test runner's interpreter); the server itself is started here with a config of its own, as
docs/deployment.md describes.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tui.test_tmux_e2e import Tmux

USER = "o2pos-till"
SSHD = "/usr/sbin/sshd"
TILL_VENV = Path(os.environ.get("O2POS_TILL_VENV", "/opt/o2pos-till-venv"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def ssh_till() -> Iterator[dict]:
    assert Path(SSHD).exists(), "./scripts/test installs openssh-server"
    account = pwd.getpwnam(USER)  # ./scripts/test creates it
    home = Path(tempfile.mkdtemp(prefix="o2pos-ssh-", dir="/tmp"))
    os.chmod(home, 0o755)
    data = home / "till"
    data.mkdir()
    config = data / "o2pos.toml"
    config.write_text(f'[terminal]\ndata_dir = "{data}"\n', encoding="utf-8")
    subprocess.run(
        [sys.executable, "-m", "o2pos", "init", "--demo", "-c", str(config)],
        check=True,
        capture_output=True,
    )
    for path in [data, *data.rglob("*")]:
        os.chown(path, account.pw_uid, account.pw_gid)
    keys = home / "keys"
    keys.mkdir(mode=0o700)
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(keys / "host")], check=True
    )
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(keys / "client")], check=True
    )
    authorized = home / "authorized_keys"
    shutil.copy(keys / "client.pub", authorized)
    os.chmod(authorized, 0o644)
    port = free_port()
    assert (TILL_VENV / "bin" / "o2pos").exists(), "./scripts/test installs the till's venv"
    till = f"{TILL_VENV}/bin/o2pos run --config {config}"
    sshd_config = home / "sshd_config"
    sshd_config.write_text(
        f"""Port {port}
ListenAddress 127.0.0.1
HostKey {keys / "host"}
PidFile {home / "sshd.pid"}
AuthorizedKeysFile {authorized}
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AllowUsers {USER}
ForceCommand {till}
PermitTTY yes
AllowTcpForwarding no
AllowStreamLocalForwarding no
AllowAgentForwarding no
X11Forwarding no
PermitTunnel no
PermitUserEnvironment no
AcceptEnv TERM
""",
        encoding="utf-8",
    )
    Path("/run/sshd").mkdir(exist_ok=True)
    log = home / "sshd.log"
    server = subprocess.Popen([SSHD, "-D", "-f", str(sshd_config), "-E", str(log)])
    deadline = time.monotonic() + 10
    while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
        assert time.monotonic() < deadline, log.read_text() if log.exists() else "no sshd"
        time.sleep(0.1)
    ssh = [
        "ssh", "-i", str(keys / "client"), "-p", str(port),
        "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
        "-o", "LogLevel=ERROR", f"{USER}@127.0.0.1",
    ]  # fmt: skip
    yield {"ssh": ssh, "home": home, "log": log}
    server.terminate()
    server.wait(timeout=10)
    shutil.rmtree(home, ignore_errors=True)


def test_a_cash_sale_over_ssh_with_term_linux(ssh_till: dict) -> None:
    tmux = Tmux(ssh_till["home"])
    try:
        command = " ".join(["env", "TERM=linux", *ssh_till["ssh"][:1], "-tt", *ssh_till["ssh"][1:]])
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


def test_the_till_account_gets_the_till_and_nothing_else(ssh_till: dict) -> None:
    """``ForceCommand``, ``AllowTcpForwarding no``: the account is the till, not a door."""
    ssh = ssh_till["ssh"]
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
    assert "refused local port forward" in ssh_till["log"].read_text()
