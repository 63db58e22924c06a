"""The real ``o2pos run`` process in tmux at 80×24, driven by keystrokes like a cashier."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from tests.terminal import Tmux


def o2pos(cwd: Path, *args: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "o2pos", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout


def open_till(tmux: Tmux, command: str) -> None:
    """Start the till, sign in as the cashier (typed fast) and count the float."""
    tmux.start(command)
    tmux.wait_for("cashier / 1111")
    tmux.burst("cashier", "Tab", "1111", "Enter")  # typed fast: Tab must not lag behind
    tmux.wait_for("Open the cash register")
    tmux.keys("2000", "Enter")
    tmux.wait_for("drawer open")


def test_a_cash_sale_by_keystrokes_in_a_real_terminal(tmp_path: Path) -> None:
    o2pos(tmp_path, "init", "--demo")
    tmux = Tmux(tmp_path)
    try:
        open_till(tmux, f"{sys.executable} -m o2pos run")
        tmux.burst("8901001000018", "Enter")  # a demo barcode, as a scanner sends it
        tmux.wait_for("Daawat Rozana")
        tmux.keys("F10")
        tmux.wait_for("Payment")
        tmux.keys("Enter")
        screen = tmux.wait_for("S-T1-000001 paid")
        assert "Items 0" in screen  # a fresh bill is open
    finally:
        tmux.close()
    report = json.loads(o2pos(tmp_path, "report", "x", "--json"))
    assert report["sales_count"] == 1
    assert report["cash"]["expected_cash"] == 200000 + report["sales_total"]


def test_a_bill_survives_kill_9(tmp_path: Path) -> None:
    import os
    import signal
    import sqlite3

    o2pos(tmp_path, "init", "--demo")
    tmux = Tmux(tmp_path)
    try:
        open_till(tmux, f"{sys.executable} -m o2pos run; sleep 60")
        tmux.keys("3*8901001000018", "Enter")
        tmux.wait_for("Daawat Rozana")
        tmux.keys("LOOSE-10001", "Enter")  # onions, 1 kg
        tmux.wait_for("Onion")
        shell = int(tmux.run("display", "-p", "#{pane_pid}").strip())
        till = int(
            subprocess.run(
                ["pgrep", "-P", str(shell)], capture_output=True, text=True
            ).stdout.split()[0]
        )
        os.kill(till, signal.SIGKILL)  # the power cut, as far as the till can tell
        deadline = time.monotonic() + 20
        while Path(f"/proc/{till}").exists():  # gone (its shell reaps it): no lock left
            assert time.monotonic() < deadline, f"the killed till {till} is still there"
            time.sleep(0.05)
        tmux.close()
        tmux = Tmux(tmp_path)
        tmux.start(f"{sys.executable} -m o2pos run")
        tmux.wait_for("cashier / 1111")
        tmux.keys("cashier", "Tab", "1111", "Enter")
        screen = tmux.wait_for("Resumed the bill in progress (2 lines)")
        assert "Daawat Rozana" in screen and "Onion" in screen
    finally:
        tmux.close()
    con = sqlite3.connect(tmp_path / "data" / "o2pos.db")
    (lines,) = con.execute(
        "SELECT COUNT(*) FROM sale_line JOIN sale ON sale.id = sale_line.sale_id "
        "WHERE sale.status = 'draft'"
    ).fetchone()
    assert lines == 2


def test_code_enter_pin_enter_typed_ahead_signs_in_and_approves(tmp_path: Path) -> None:
    """Enter in a code box moves to the PIN box before the next key is read: typed in one
    burst (a fast typist, a badge reader), the PIN must not land in the code box."""
    o2pos(tmp_path, "init", "--demo")
    tmux = Tmux(tmp_path)
    try:
        tmux.start(f"{sys.executable} -m o2pos run")
        tmux.wait_for("cashier / 1111")
        tmux.burst("cashier", "Enter", "1111", "Enter")
        tmux.wait_for("Open the cash register")
        tmux.keys("2000", "Enter")
        tmux.burst("8901001000018", "Enter")
        tmux.wait_for("Daawat Rozana")
        tmux.keys("C-x")  # void: a cashier needs a manager
        tmux.wait_for("Manager approval")
        tmux.burst("manager", "Enter", "222222", "Enter")
        screen = tmux.wait_for("Bill voided")
        assert "manager222222" not in screen
    finally:
        tmux.close()


def test_an_amount_then_its_reason_typed_ahead_and_down_into_a_list(tmp_path: Path) -> None:
    """Enter from an amount to its reason, and ↓ from a number box into its list, move the
    focus before the next key is read: in one burst, the reason is not lost in the
    digits-only amount box, and Enter after ↓ shows the first document."""
    o2pos(tmp_path, "init", "--demo")
    tmux = Tmux(tmp_path)
    try:
        open_till(tmux, f"{sys.executable} -m o2pos run")
        tmux.keys("F4")
        tmux.wait_for("Expected in drawer 2,000.00")
        tmux.keys("i")  # cash in: an amount and a reason
        tmux.wait_for("Cash in: money put into the drawer")
        tmux.burst("150", "Enter", "change from the bank", "Enter")
        screen = tmux.wait_for("Expected in drawer 2,150.00")
        assert "change from the bank" in screen
        tmux.keys("F5")
        tmux.wait_for("Number")
        tmux.burst("Down", "Enter")  # the newest document: the cash slip just made
        tmux.wait_for("CASH IN")
    finally:
        tmux.close()


def test_text_that_reads_as_markup_is_shown_as_typed_and_the_till_keeps_selling(
    tmp_path: Path,
) -> None:
    """A code typed or scanned with square brackets comes back in the error line. Read as
    markup, "[/]" ended the till with a MarkupError; it is shown as it was typed."""
    o2pos(tmp_path, "init", "--demo")
    tmux = Tmux(tmp_path)
    try:
        open_till(tmux, f"{sys.executable} -m o2pos run")
        tmux.burst("[/]x[b]y", "Enter")
        tmux.wait_for("Unknown barcode or SKU: [/]x[b]y")
        tmux.burst("8901001000018", "Enter")
        tmux.wait_for("Daawat Rozana")
    finally:
        tmux.close()


def test_leaving_the_till_while_the_central_leaves_a_request_unanswered_quits_at_once(
    tmp_path: Path,
) -> None:
    """The central's address accepts the connection and reads the request, but never answers
    (a hung server, a proxy with nowhere to send it). ctrl+e ends the till: the closed
    till waited for that request's whole timeout (13 s by default; 120 s here) before the
    shell, or a kiosk's restart, came back. It now gives background work a second."""
    silent = socket.create_server(("127.0.0.1", 0))
    asked = threading.Event()
    held: list[socket.socket] = []

    def take_requests() -> None:
        while True:
            try:
                conn, _ = silent.accept()
            except OSError:  # closed at the end of the test
                return
            held.append(conn)  # open, and never answered
            if conn.recv(65536):
                asked.set()

    threading.Thread(target=take_requests, daemon=True).start()
    port = silent.getsockname()[1]
    config = f'[central]\nurl = "http://127.0.0.1:{port}"\ntoken = "t"\ntimeout_seconds = 120\n'
    try:
        leave_while_asking(tmp_path, config, asked.wait)
    finally:
        silent.close()
        for conn in held:
            conn.close()


def leave_while_asking(tmp_path: Path, config: str, asking: Callable[[float], bool]) -> None:
    """The demo till with ``config`` (its central: ``timeout_seconds = 120``); once
    ``asking(timeout)`` says a request of it is on its way, ctrl+e, and the till's process
    must end long before that request's timeout would."""
    (tmp_path / "o2pos.toml").write_text(config)
    o2pos(tmp_path, "init", "--demo")
    tmux = Tmux(tmp_path)
    try:
        open_till(tmux, f"{sys.executable} -m o2pos run; echo THE-TILL-HAS-ENDED; sleep 600")
        assert asking(60), "the till never asked the central anything"
        tmux.keys("C-e")
        tmux.wait_for("THE-TILL-HAS-ENDED", timeout=60)  # not the request's 120 s
    finally:
        tmux.close()
