"""The demo store's buy 2 get 1 free, tried as a new user would: the real ``o2pos run`` in
tmux at 80×24, the soap scanned three times, one taken off, the bill paid."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

from tests.terminal import Tmux
from tests.tui.test_tmux_e2e import o2pos, open_till

DETTOL = "8901054000003"  # Dettol Original Soap 125 g, 48.00: buy 2 get 1 free in the demo


def test_the_third_soap_is_free_on_the_screen_and_the_bill(tmp_path: Path) -> None:
    o2pos(tmp_path, "init", "--demo")
    tmux = Tmux(tmp_path)
    try:
        open_till(tmux, f"{sys.executable} -m o2pos run")
        for count in (1, 2):
            tmux.burst(DETTOL, "Enter")
            tmux.wait_for(f"Dettol Original Soap 125 g × {count}")
        tmux.burst(DETTOL, "Enter")
        screen = tmux.wait_for("Buy 2 get 1 free applies: 1 Dettol Original Soap 125 g free.")
        assert "· Buy 2 get 1 free" in screen and "TOTAL 96.00" in screen
        tmux.keys("C-q")
        tmux.wait_for("Quantity of Dettol")
        tmux.keys("BSpace", "2", "Enter")
        screen = tmux.wait_for("Buy 2 get 1 free no longer applies: 1 Dettol Original Soap")
        assert "not free." in screen and "TOTAL 96.00" in screen
        tmux.keys("C-q")
        tmux.wait_for("Quantity of Dettol")
        tmux.keys("BSpace", "3", "Enter")
        tmux.wait_for("Buy 2 get 1 free applies")
        tmux.keys("F10")
        tmux.wait_for("Payment")
        tmux.keys("Enter")
        tmux.wait_for("S-T1-000001 paid")
    finally:
        tmux.close()
    con = sqlite3.connect(tmp_path / "data" / "o2pos.db")
    (text,) = con.execute(
        "SELECT payload FROM journal WHERE event_type = 'sale.completed'"
    ).fetchone()
    con.close()
    bill = json.loads(text)
    [line] = bill["lines"]
    assert line["offers"] == [{"code": "DETTOL-B2G1", "name": "Buy 2 get 1 free", "amount": 4800}]
    assert (bill["total"], bill["offer_discount"]) == (9600, 4800)
