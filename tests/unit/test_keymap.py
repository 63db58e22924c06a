"""[keys] remaps are checked before the till starts: a wrong one is refused with a reason."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from o2pos.tui import keymap
from o2pos.tui.app import TillApp
from o2pos.tui.keymap import KeymapError, check_remap
from o2pos.tui.widgets.key_bar import fit


def test_the_default_keys_take_no_key_twice_on_any_screen() -> None:
    assert check_remap({}) == {}


def test_textuals_own_app_keys_are_not_inherited() -> None:
    """Textual's App binds ctrl+q to quit with priority: it won over the sales screen's Qty."""
    actions = {binding.action for _, binding in TillApp._merged_bindings}
    assert "quit" not in actions and "help_quit" not in actions
    keys = {key: binding.action for key, binding in TillApp._merged_bindings}
    assert keys["ctrl+c"] == "interrupt" and "ctrl+q" not in keys


@pytest.mark.parametrize(
    ("remap", "says"),
    [
        ({"payy": "f10"}, "payy: no such key action"),
        ({"pay": "ctrl+ü"}, "not a key name"),
        ({"pay": "f10,f11"}, "not a key name"),
        ({"pay": "ctrl+c"}, "never stops the till"),
        ({"quantity": "ctrl+m"}, "sends ctrl+m as Enter"),
        ({"pay": "p"}, "cannot be a printable key"),
        ({"pay": "f11"}, '"f11" would be both pay and search (sales screen)'),
        ({"x_report": "i"}, '"i" would be both cash_in and x_report (register screen)'),
        ({"lock": "f10"}, '"f10" would be both lock and pay (sales screen)'),
        ({"cart_down": "up"}, '"up" would be both cart_down and cart_up'),
    ],
)
def test_a_wrong_remap_is_refused_with_a_reason(remap: dict[str, str], says: str) -> None:
    with pytest.raises(KeymapError) as refused:
        check_remap(remap)
    assert says in str(refused.value)


def test_good_remaps_are_accepted_and_normalised() -> None:
    assert check_remap({"pay": "F12 ", "sync_status": "ctrl+z", "register_open": "p"}) == {
        "pay": "f12",
        "sync_status": "ctrl+z",
        "register_open": "p",
    }


def test_o2pos_run_refuses_a_wrong_keys_table_before_it_draws(tmp_path: Path) -> None:
    config = tmp_path / "o2pos.toml"
    config.write_text(f'[terminal]\ndata_dir = "{tmp_path}"\n[keys]\nqty = "ctrl+q"\n')
    run = subprocess.run(
        [sys.executable, "-m", "o2pos", "run", "--config", str(config)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert run.returncode == 2
    assert "qty: no such key action" in run.stderr and str(config) in run.stderr


def test_the_key_bar_shows_whole_entries_and_always_f1() -> None:
    entries = [("F10", "Pay"), ("F7", "Cust"), ("F9", "Disc"), ("F11", "Find")]
    assert fit(entries, ("F1", "Keys"), 30) == [("F10", "Pay"), ("F7", "Cust"), ("F1", "Keys")]
    assert fit(entries, ("F1", "Keys"), 5) == [("F1", "Keys")]


def test_the_short_key_forms() -> None:
    assert [keymap.short_key(k) for k in ("f10", "ctrl+q", "escape", "down", "o")] == [
        "F10",
        "^Q",
        "Esc",
        "↓",
        "o",
    ]


def test_the_customer_dialogs_down_key_is_remapped_and_checked_like_the_others() -> None:
    """Its Down came without a scope: '[keys] customer_list' was 'no such key action',
    and a clash with the dialog's own Esc was never found."""
    assert keymap.check_remap({"customer_list": "pagedown"}) == {"customer_list": "pagedown"}
    with pytest.raises(keymap.KeymapError, match="customer_list and dialog_cancel"):
        keymap.check_remap({"customer_list": "escape"})
