"""The till sends its terminal only the cells that change (``o2pos.tui.frames``): what the
terminal then shows, colours included, must be exactly what a whole repaint shows.

In tmux at 80×24, at each step of a sale (the bill, the payment dialog over it, the bill
paid and cleared, the keys dialog and back): the pane as the till left it is captured with
its colours; then the window is widened (everything centred or right-aligned moves, so the
till has visibly drawn the wider screen) and narrowed again, which makes the till forget
what the terminal shows and send a whole frame. Both captures must be the same.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

from tests.terminal import Tmux
from tests.tui.test_tmux_e2e import o2pos, open_till

CLOCK = re.compile(r"\d\d:\d\d")


def _colours(tmux: Tmux) -> str:
    """The pane with its colours, the status bar's clock left out (a minute may turn)."""
    return CLOCK.sub("hh:mm", tmux.run("capture-pane", "-e", "-p"))


def _until(tmux: Tmux, done: object, what: str, timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        screen = _colours(tmux)
        if done(screen):  # type: ignore[operator]
            return screen
        time.sleep(0.1)
    raise AssertionError(f"{what}; the pane:\n{tmux.screen()}")


def _same_as_a_whole_repaint(tmux: Tmux) -> None:
    # the step's own frames have all arrived when two captures a moment apart agree
    before = ""
    while (now := _colours(tmux)) != before:
        before = now
        time.sleep(0.3)
    tmux.run("resize-window", "-x", "84", "-y", "24")
    _until(tmux, lambda s: s != before, "the till never drew the wider screen")
    tmux.run("resize-window", "-x", "80", "-y", "24")
    _until(
        tmux,
        lambda s: s == before,
        "what the till had sent cell by cell differs from a whole repaint of the same screen",
    )


def test_what_the_terminal_shows_is_what_a_whole_repaint_shows(tmp_path: Path) -> None:
    o2pos(tmp_path, "init", "--demo")
    tmux = Tmux(tmp_path)
    try:
        open_till(tmux, f"{sys.executable} -m o2pos run")
        tmux.burst("8901001000018", "Enter")
        tmux.wait_for("Daawat Rozana")
        tmux.burst("3*8901007000005", "Enter")
        tmux.wait_for("Madhur Pure Sugar")
        _same_as_a_whole_repaint(tmux)
        tmux.keys("F10")
        tmux.wait_for("Payment · due")
        _same_as_a_whole_repaint(tmux)
        tmux.keys("Enter")
        tmux.wait_for("S-T1-000001 paid")
        _same_as_a_whole_repaint(tmux)
        tmux.keys("F1")
        tmux.wait_for("Esc")
        _same_as_a_whole_repaint(tmux)
        tmux.keys("Escape")
        tmux.wait_for("S-T1-000001 paid")
        _same_as_a_whole_repaint(tmux)
    finally:
        tmux.close()


def test_a_lock_repaints_what_another_program_wrote_on_the_terminal(tmp_path: Path) -> None:
    """Cells are sent only where the till's own record of the screen changes, so a line
    another program wrote on the terminal (``wall`` before a reboot, a console message)
    stays wherever the next screen draws the same cells (the status bar, a blank). The
    lock (ctrl+l, and the idle lock) sends the login screen whole: from then on the
    terminal shows only the till."""
    o2pos(tmp_path, "init", "--demo")
    tmux = Tmux(tmp_path)
    try:
        open_till(tmux, f"{sys.executable} -m o2pos run")
        tty = tmux.run("display-message", "-p", "#{pane_tty}").strip()
        # over the status bar's store name, drawn the same on the bill and at login
        with open(tty, "w") as terminal:
            terminal.write("\x1b[1;2HBROADCAST")
        tmux.wait_for("BROADCAST")
        tmux.keys("C-l")
        tmux.wait_for("cashier / 1111")
        _until(
            tmux,
            lambda s: "BROADCAST" not in s and "o2pos store" in s,
            "the login screen left another program's text on the terminal",
        )
    finally:
        tmux.close()
