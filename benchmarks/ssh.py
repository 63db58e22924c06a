"""Bytes the till sends to its terminal: what an SSH session to a thin client carries.

    python benchmarks/ssh.py [--idle 60] [--sales 10] [--ssh]

The real ``o2pos run`` in an ``o2pos init --demo`` directory, in tmux at 80×24 with
TERM=xterm-256color; ``tmux pipe-pane`` appends every byte the till writes to its terminal
to a file. A cashier signs in (cashier, Tab, 1111, Enter; a 2000 opening float) and the
screen is left to settle, then:

1. **idle**: the bytes written while nobody touches the till for ``--idle`` seconds: a
   thin client on a metered or slow link pays for every repaint nobody asked for;
2. **per sale**: ``--sales`` cash sales, each a demo barcode typed in one burst as a scanner
   does, Enter, F10, Enter; total bytes ÷ sales. Beside it, the bytes of the login screen's
   first paint (terminal set-up included) as a yardstick: a full screen.

``--ssh`` runs the same session once more through OpenSSH's server on 127.0.0.1, set up as
``tests/tui/test_ssh_e2e.py`` does (root, ``/usr/sbin/sshd``, the ``o2pos-till`` account,
o2pos installed for it in ``$O2POS_TILL_VENV``, default ``/opt/o2pos-till-venv``; that
install is what runs, so reinstall it after changing the till: ``./scripts/test`` does): the
bytes on the wire (TCP payload, read from the kernel with ``ss -ti`` before and after each
phase) and ssh's own count for the whole session (``ssh -v``: "Transferred: sent N,
received M bytes"). Without them the wire rows say ``n/a (no sshd: why)``.
"""

from __future__ import annotations

import argparse
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.terminal
from common import Row, init_demo, table

from tests.terminal import Tmux, ssh_till_server, sshd_missing

BARCODE = "8901001000018"  # a demo product a scan adds without a question
ITEM = "Daawat Rozana"
TERM = "xterm-256color"

Wire = Callable[[], tuple[int, int]]  # (bytes sent to the server, bytes received from it)


@dataclass
class Session:
    """What one session sent: to its terminal (the pane) and, through sshd, on the wire."""

    first_screen: int
    idle_seconds: float
    idle_bytes: int
    sales: int
    sale_bytes: int
    wire_idle: tuple[int, int] | None = None
    wire_sales: tuple[int, int] | None = None
    transferred: str = ""  # ssh -v's own count for the whole session


# --- driving the till ---------------------------------------------------------------------------
def size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def settle(capture: Path, quiet: float = 1.5, longest: float = 20) -> None:
    """Wait until the till has written nothing for ``quiet`` seconds (or ``longest`` passed):
    notices, focus and status repaints after a step belong to that step."""
    deadline = time.monotonic() + longest
    last, since = size(capture), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = size(capture)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return


def drive(
    tmux: Tmux, capture: Path, go: Path, idle: float, sales: int, wire: Wire | None
) -> Session:
    """Sign in, open the register, stay idle, ring up ``sales`` cash sales; count bytes."""
    tmux.pipe_to(capture)
    go.touch()  # the pane's command waits for this: the capture misses no byte
    tmux.wait_for("cashier / 1111", timeout=60)
    settle(capture)
    first_screen = size(capture)
    tmux.burst("cashier", "Tab", "1111", "Enter")
    tmux.wait_for("Open the cash register")
    tmux.keys("2000", "Enter")
    tmux.wait_for("drawer open")
    settle(capture, quiet=2)

    before, wire_before = size(capture), wire() if wire else None
    started = time.monotonic()
    time.sleep(idle)
    idle_seconds = time.monotonic() - started
    idle_bytes = size(capture) - before
    wire_idle = diff(wire(), wire_before) if wire and wire_before else None

    before, wire_before = size(capture), wire() if wire else None
    for n in range(1, sales + 1):
        tmux.burst(BARCODE, "Enter")  # as a scanner sends it
        tmux.wait_for(ITEM)
        tmux.keys("F10")
        tmux.wait_for("Payment")
        tmux.keys("Enter")
        tmux.wait_for(f"{n:06d} paid")
    settle(capture)
    sale_bytes = size(capture) - before
    wire_sales = diff(wire(), wire_before) if wire and wire_before else None
    return Session(first_screen, idle_seconds, idle_bytes, sales, sale_bytes, wire_idle, wire_sales)


def diff(after: tuple[int, int], before: tuple[int, int]) -> tuple[int, int]:
    return after[0] - before[0], after[1] - before[1]


def gated(command: str, go: Path) -> str:
    """``command`` started only once ``go`` exists, so pipe-pane is on before its first byte."""
    wait = f"while [ ! -e {shlex.quote(str(go))} ]; do sleep 0.05; done"
    return f"{wait}; exec env TERM={TERM} {command}"


def local_session(idle: float, sales: int) -> Session:
    """The till in tmux on this machine: what it writes to its terminal."""
    with tempfile.TemporaryDirectory(prefix="o2pos-ssh-bench-") as tmp:
        cwd = Path(tmp)
        init_demo(cwd)
        tmux = Tmux(cwd)
        go, capture = cwd / "go", cwd / "pane.bytes"
        tmux.start(gated(f"{shlex.quote(sys.executable)} -m o2pos run", go))
        try:
            return drive(tmux, capture, go, idle, sales, None)
        finally:
            tmux.close()


# --- through OpenSSH ----------------------------------------------------------------------------
def tcp_counters(port: int) -> tuple[int, int]:
    """The ssh client's TCP payload bytes (sent, received) so far, from the kernel."""
    out = subprocess.run(
        ["ss", "-tinH", "state", "established", f"( dport = :{port} )"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    sent = re.search(r"bytes_sent:(\d+)", out)
    received = re.search(r"bytes_received:(\d+)", out)
    if not received:
        raise RuntimeError(f"ss shows no connection to port {port}: {out!r}")
    return int(sent.group(1)) if sent else 0, int(received.group(1))


def ssh_session(idle: float, sales: int) -> Session:
    """The same session through sshd: the pane is the ssh client's terminal."""
    home = Path(tempfile.mkdtemp(prefix="o2pos-ssh-bench-", dir="/tmp"))
    try:
        with ssh_till_server(home) as till:
            port = till.port
            ssh = [till.ssh[0], "-v", "-tt", *till.ssh[1:]]
            go, capture, log = home / "go", home / "pane.bytes", home / "ssh.log"
            tmux = Tmux(home)
            command = " ".join(shlex.quote(part) for part in ssh)
            tmux.start(gated(f"{command} 2>{shlex.quote(str(log))}", go))
            try:
                session = drive(tmux, capture, go, idle, sales, lambda: tcp_counters(port))
                tmux.burst("C-e")  # leave the till: the session ends and ssh reports
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline:
                    found = re.search(r"Transferred: (.*)", log.read_text(errors="replace"))
                    if found:
                        session.transferred = found.group(1).strip()
                        break
                    time.sleep(0.2)
            finally:
                tmux.close()
        return session
    finally:
        shutil.rmtree(home, ignore_errors=True)


# --- the report ---------------------------------------------------------------------------------
def rate(count: float, seconds: float) -> str:
    return f"{count / seconds:,.1f} B/s"


def detail(local: Session, wire: Session | None, why_not: str) -> str:
    """The script's own table: each measure locally and, if measured, through sshd."""
    per_sale = local.sale_bytes / local.sales
    rows = [
        ("login screen, first paint", "terminal", f"{local.first_screen:,} B", ""),
        (
            f"idle {local.idle_seconds:.0f} s, logged in",
            "terminal",
            f"{local.idle_bytes:,} B",
            rate(local.idle_bytes, local.idle_seconds),
        ),
        (f"cash sale ({local.sales})", "terminal", f"{per_sale:,.0f} B/sale", ""),
    ]
    if wire and wire.wire_idle and wire.wire_sales:
        rows += [
            ("through sshd: login screen", "terminal", f"{wire.first_screen:,} B", ""),
            (
                f"through sshd: idle {wire.idle_seconds:.0f} s",
                "terminal / wire in / wire out",
                f"{wire.idle_bytes:,} / {wire.wire_idle[1]:,} / {wire.wire_idle[0]:,} B",
                rate(wire.wire_idle[1], wire.idle_seconds) + " in",
            ),
            (
                f"through sshd: cash sale ({wire.sales})",
                "terminal / wire in / wire out",
                f"{wire.sale_bytes / wire.sales:,.0f} / {wire.wire_sales[1] / wire.sales:,.0f}"
                f" / {wire.wire_sales[0] / wire.sales:,.0f} B/sale",
                "",
            ),
            ("through sshd: whole session (ssh -v)", "wire", wire.transferred or "?", ""),
        ]
    else:
        rows.append(("through sshd", "wire", why_not, ""))
    return table(rows, ("measure", "bytes", "count", "rate"))


SALE_TARGET = 16_000  # bytes to the terminal per cash sale (issue 16: 16 kB)


def rows(local: Session, wire: Session | None, why_not: str) -> list[Row]:
    """The lines of the project's table (``all.py``). Issue 16 sets a cash sale's bytes to
    the terminal a target (``SALE_TARGET``, without compression); idle has none but "no
    more than before"."""
    where = f"80×24, TERM={TERM}"
    per_sale = local.sale_bytes / local.sales
    result = [
        Row(
            "SSH idle",
            f"bytes to the terminal, logged-in till left alone {local.idle_seconds:.0f} s "
            f"({where})",
            f"**{local.idle_bytes:,} B** ({rate(local.idle_bytes, local.idle_seconds)})",
        ),
        Row(
            "SSH per sale",
            f"bytes to the terminal per cash sale: scan, F10, Enter ({local.sales})",
            f"**{per_sale:,.0f} B**",
            f"the login screen's first paint: {local.first_screen:,} B",
            f"≤ {SALE_TARGET:,} B",
            per_sale <= SALE_TARGET,
        ),
    ]
    if wire and wire.wire_idle and wire.wire_sales:
        total = f"; whole session (ssh -v): {wire.transferred}" if wire.transferred else ""
        result += [
            Row(
                "SSH idle",
                f"on the wire, sshd → ssh on 127.0.0.1, idle {wire.idle_seconds:.0f} s",
                f"{wire.wire_idle[1]:,} B ({rate(wire.wire_idle[1], wire.idle_seconds)})",
                f"to the terminal in that session: {wire.idle_bytes:,} B",
            ),
            Row(
                "SSH per sale",
                f"on the wire per cash sale, sshd → ssh ({wire.sales})",
                f"{wire.wire_sales[1] / wire.sales:,.0f} B "
                f"(ssh → sshd: {wire.wire_sales[0] / wire.sales:,.0f} B)",
                f"to the terminal: {wire.sale_bytes / wire.sales:,.0f} B{total}",
            ),
        ]
    else:
        result += [
            Row("SSH idle", "on the wire, sshd → ssh", why_not),
            Row("SSH per sale", "on the wire per cash sale, sshd → ssh", why_not),
        ]
    return result


def measure(
    idle: float, sales: int, through_ssh: bool, off: str = "not measured (--ssh)"
) -> tuple[Session, Session | None, str]:
    """The local session, and the one through sshd when asked for and possible (if not, the
    wire rows say ``off``)."""
    local = local_session(idle, sales)
    if not through_ssh:
        return local, None, off
    missing = sshd_missing() or ("" if shutil.which("ss") else "no ss")
    if missing:
        return local, None, f"n/a (no sshd: {missing})"
    try:
        return local, ssh_session(idle, sales), ""
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        # the terminal's figures stand on their own: keep them, say why the wire has none
        lines = str(exc).strip().splitlines() or [type(exc).__name__]
        return local, None, f"failed: {lines[0][:200]}"


def run(idle: float = 60, sales: int = 10, through_ssh: bool = True) -> list[Row]:
    return rows(*measure(idle, sales, through_ssh))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--idle", type=float, default=60, help="seconds left alone")
    parser.add_argument("--sales", type=int, default=10)
    parser.add_argument("--ssh", action="store_true", help="also through sshd, on the wire")
    args = parser.parse_args()
    if args.sales < 1 or args.idle <= 0:
        parser.error("--sales and --idle must be above zero")
    print(detail(*measure(args.idle, args.sales, args.ssh)))


if __name__ == "__main__":
    main()
