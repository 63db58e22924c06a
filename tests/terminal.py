"""The till in a real terminal, for the tests and the benchmarks alike: a tmux server of its
own, and OpenSSH's server on 127.0.0.1 with a till account set up as docs/deployment.md says.

``./scripts/test`` installs tmux and openssh-server, creates the ``o2pos-till`` account and
installs o2pos for it in a venv of its own (``$O2POS_TILL_VENV``: the till's user cannot read
the test runner's interpreter).
"""

from __future__ import annotations

import os
import pwd
import shlex
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

TILL_USER = "o2pos-till"
SSHD = "/usr/sbin/sshd"
TILL_VENV = Path(os.environ.get("O2POS_TILL_VENV", "/opt/o2pos-till-venv"))


class Tmux:
    """A tmux server of its own (``-L``) holding one pane: the till in a real terminal,
    driven by keystrokes as a cashier or a scanner sends them."""

    def __init__(self, cwd: Path) -> None:
        if not shutil.which("tmux"):
            raise RuntimeError("tmux is not installed (./scripts/test installs it)")
        self.socket = f"o2pos-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.socket_path = ""
        self.cwd = cwd

    def run(self, *args: str) -> str:
        return subprocess.run(
            ["tmux", "-L", self.socket, *args],
            cwd=self.cwd,
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    def start(self, command: str, width: int = 80, height: int = 24) -> None:
        self.run("new-session", "-d", "-x", str(width), "-y", str(height), command)
        # asked now: once the command ends, the server is gone and cannot say where it was
        self.socket_path = self.run("display", "-p", "#{socket_path}").strip()

    def keys(self, *keys: str) -> None:
        """One key at a time, as a person types."""
        for key in keys:
            self.run("send-keys", key)
            time.sleep(0.15)

    def burst(self, *keys: str) -> None:
        """All keys in one write, as fast as a scanner or a quick typist."""
        self.run("send-keys", *keys)

    def screen(self) -> str:
        return self.run("capture-pane", "-p")

    def wait_for(self, text: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise TimeoutError(f"{text!r} never appeared; the screen:\n{self.screen()}")

    def pane_pid(self) -> int:
        return int(self.run("display", "-p", "#{pane_pid}").strip())

    def pipe_to(self, path: Path) -> None:
        """Append every byte the pane's program writes to its terminal to ``path``."""
        self.run("pipe-pane", "-o", f"cat >> {shlex.quote(str(path))}")

    def close(self) -> None:
        """Stop the server and remove its socket file (tmux leaves it behind)."""
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)
        if self.socket_path.endswith(self.socket):
            Path(self.socket_path).unlink(missing_ok=True)


def sshd_missing() -> str:
    """Why an SSH till cannot be served here, or "" when it can."""
    if os.geteuid() != 0:
        return "not root"
    for tool in (SSHD, "ssh", "ssh-keygen"):
        if not shutil.which(tool):
            return f"no {tool}"
    try:
        pwd.getpwnam(TILL_USER)
    except KeyError:
        return f"no {TILL_USER} account"
    if not (TILL_VENV / "bin" / "o2pos").exists():
        return f"no {TILL_VENV}/bin/o2pos"
    return ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class SshTill:
    ssh: list[str]  # the command that reaches the till (add -tt for a terminal)
    home: Path  # the server's files, and the till's data under home / "till"
    log: Path  # sshd's own log
    port: int


@contextmanager
def ssh_till_server(home: Path) -> Iterator[SshTill]:
    """sshd on 127.0.0.1 whose only account lands in a demo till and nowhere else: the
    ``Match User`` block of docs/deployment.md (``ForceCommand``, no forwarding, keys only)."""
    missing = sshd_missing()
    if missing:
        raise RuntimeError(f"cannot serve an SSH till here: {missing}")
    account = pwd.getpwnam(TILL_USER)
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
    for name in ("host", "client"):
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(keys / name)], check=True
        )
    authorized = home / "authorized_keys"
    shutil.copy(keys / "client.pub", authorized)
    os.chmod(authorized, 0o644)
    port = free_port()
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
AllowUsers {TILL_USER}
ForceCommand {TILL_VENV}/bin/o2pos run --config {config}
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
    try:
        deadline = time.monotonic() + 10
        while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
            if time.monotonic() > deadline:
                raise RuntimeError(log.read_text() if log.exists() else "sshd did not start")
            time.sleep(0.1)
        ssh = [
            "ssh", "-i", str(keys / "client"), "-p", str(port),
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            f"{TILL_USER}@127.0.0.1",
        ]  # fmt: skip
        yield SshTill(ssh, home, log, port)
    finally:
        server.terminate()
        server.wait(timeout=10)
