"""The till under the terminals it meets: the real ``o2pos run`` in tmux with TERM set to
xterm, xterm-256color, screen and linux, keys sent as those terminals send them (from
terminfo), a resize in the middle of a bill, and no F-keys at all.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.terminal import Tmux
from tests.tui.test_tmux_e2e import o2pos, open_till

TERMS = ["xterm", "xterm-256color", "screen", "linux"]
BARCODE = "8901001000018"  # Daawat Rozana Basmati Rice 5 kg, ₹545.00 in the demo store
SGR = re.compile(r"\x1b\[([0-9;]*)m")


def terminfo(term: str, capability: str) -> bytes:
    """What a terminal of type ``term`` sends for a key, e.g. ``kf10`` (F10)."""
    out = subprocess.run(["tput", "-T", term, capability], capture_output=True, check=True)
    assert out.stdout.startswith(b"\x1b"), (term, capability, out.stdout)
    return out.stdout


def send_bytes(tmux: Tmux, data: bytes) -> None:
    tmux.run("send-keys", "-H", *(f"{byte:02x}" for byte in data))


def colours_used(tmux: Tmux) -> set[str]:
    """The colour forms on screen: 'rgb' (24-bit), '256' (the 256 palette) or '16'."""
    forms = set()
    for params in SGR.findall(tmux.run("capture-pane", "-p", "-e")):
        codes = params.split(";")
        for i, code in enumerate(codes):
            if code in ("38", "48") and i + 1 < len(codes):
                forms.add({"2": "rgb", "5": "256"}[codes[i + 1]])
            elif code.isdigit() and (30 <= int(code) <= 47 or 90 <= int(code) <= 107):
                forms.add("16")
    return forms


def wait_until(tmux: Tmux, check: Callable[[list[str]], bool], timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        screen = tmux.screen().removesuffix("\n")
        if check(screen.split("\n")):
            return screen
        time.sleep(0.2)
    size = tmux.run("display", "-p", "#{window_width}x#{window_height}").strip()
    raise AssertionError(f"the screen ({size}) never got there:\n{tmux.screen()}")


HELP_LAST_LINE = "ctrl+f then 1-9, 0, -, ="


def close_help(tmux: Tmux) -> None:
    """Escape, then wait until F1's help is gone. Only then may a barcode follow: an ESC
    the till reads together with the next bytes is the start of alt+8, not Escape, and how
    soon it reads depends on how busy the machine is."""
    tmux.keys("Escape")
    wait_until(tmux, lambda lines: not any(HELP_LAST_LINE in line for line in lines))


@pytest.mark.parametrize("term", TERMS)
def test_a_cash_sale_with_the_keys_each_terminal_sends(tmp_path: Path, term: str) -> None:
    o2pos(tmp_path, "init", "--demo")
    tmux = Tmux(tmp_path)
    try:
        open_till(tmux, f"env TERM={term} {sys.executable} -m o2pos run")
        tmux.burst(BARCODE, "Enter")
        tmux.wait_for("Daawat Rozana")
        send_bytes(tmux, terminfo(term, "kf1"))  # F1 as this terminal sends it
        tmux.wait_for("Keys")
        tmux.keys("Escape")
        send_bytes(tmux, terminfo(term, "kf10"))
        tmux.wait_for("Payment")
        tmux.keys("Enter")
        tmux.wait_for("S-T1-000001 paid")
        if term == "xterm-256color":
            assert "rgb" not in colours_used(tmux)  # no COLORTERM: the 256 palette at most
        else:
            # 16-colour terminals get the ANSI theme: the terminal's own palette, nothing
            # the Linux console would have to guess at
            assert colours_used(tmux) == {"16"}
    finally:
        tmux.close()
    report = json.loads(o2pos(tmp_path, "report", "x", "--json"))
    assert report["sales_count"] == 1 and report["sales_total"] == 54500


def test_a_terminal_without_f_keys_sells_with_ctrl_f_and_a_digit(tmp_path: Path) -> None:
    o2pos(tmp_path, "init", "--demo")
    tmux = Tmux(tmp_path)
    try:
        open_till(tmux, f"env TERM=vt100 {sys.executable} -m o2pos run")
        tmux.keys("C-f", "1")  # F1 lists every key with its other form
        screen = tmux.wait_for(HELP_LAST_LINE)
        assert "f10/^F 0" in screen and "f12/^F =" in screen
        close_help(tmux)
        tmux.burst(BARCODE, "Enter")
        tmux.wait_for("Daawat Rozana")
        tmux.keys("C-f", "0")  # F10
        tmux.wait_for("Payment")
        tmux.keys("Enter")
        tmux.wait_for("S-T1-000001 paid")
    finally:
        tmux.close()


def test_the_till_survives_resizes_in_the_middle_of_a_bill(tmp_path: Path) -> None:
    o2pos(tmp_path, "init", "--demo")
    tmux = Tmux(tmp_path)
    try:
        open_till(tmux, f"{sys.executable} -m o2pos run")
        tmux.burst(BARCODE, "Enter")
        tmux.wait_for("Daawat Rozana")
        for width, height in [(132, 43), (40, 12), (100, 30), (80, 24)]:
            tmux.run("resize-window", "-x", str(width), "-y", str(height))
            # redrawn at the new size: the item box reaches the right edge, the key bar the
            # bottom row
            screen = wait_until(
                tmux, lambda lines, w=width: w in map(len, lines) and "F1 Keys" in lines[-1]
            )
            assert len(screen.split("\n")) == height and "cashier" in screen
            if height >= 24:
                assert "Daawat Rozana" in screen  # the bill is still there
        tmux.burst("2*LOOSE-10001", "Enter")  # and the till still takes keys
        tmux.wait_for("Onion")
        tmux.keys("F10")
        tmux.wait_for("Payment")
        tmux.keys("Enter")
        tmux.wait_for("S-T1-000001 paid")
    finally:
        tmux.close()
    report = json.loads(o2pos(tmp_path, "report", "x", "--json"))
    assert report["sales_count"] == 1


def test_no_key_in_a_real_terminal_gets_a_kiosk_to_its_shell(tmp_path: Path) -> None:
    """In a terminal, ctrl+c, ctrl+z and ctrl+\\ are signals unless the till turns them
    into keys: none may stop or suspend the kiosk (a shell would be right behind it)."""
    o2pos(tmp_path, "init", "--demo")
    tmux = Tmux(tmp_path)
    try:
        open_till(tmux, f"{sys.executable} -m o2pos run --kiosk; echo SHELL-REACHED; sleep 30")
        for key in ("C-c", "C-z", "C-\\", "C-q", "C-d", "Escape"):
            tmux.keys(key)
        # the till has read all of them and still answers: F1 opens its help and Escape
        # closes it (a till that stopped or was suspended would do neither)
        tmux.keys("F1")
        tmux.wait_for(HELP_LAST_LINE)
        close_help(tmux)
        tmux.burst(BARCODE, "Enter")  # still the till, still selling
        screen = tmux.wait_for("Daawat Rozana")
        assert "SHELL-REACHED" not in screen
        tmux.keys("C-e")  # leaving takes a manager's code and PIN
        tmux.wait_for("manager")
        # Tab, not Enter, to the PIN: Tab moves the focus before the next key is read, while
        # Enter moves it a moment later, so on a busy machine the PIN would land in the code
        tmux.keys("manager", "Tab", "222222", "Enter")
        tmux.wait_for("SHELL-REACHED")
    finally:
        tmux.close()
