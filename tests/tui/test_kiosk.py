"""Kiosk mode: nothing but a manager's PIN leaves the till."""

from __future__ import annotations

from dataclasses import replace

from textual.command import CommandPalette

from o2pos.config import Config, KioskConfig
from o2pos.tui.app import TillApp
from o2pos.tui.approval import ManagerPinDialog
from o2pos.tui.screens.login import LoginScreen
from o2pos.tui.screens.sales import SalesScreen
from tests.conftest import Store
from tests.tui.test_flows import sign_in, type_text


def kiosk_app(store: Store) -> TillApp:
    config = Config(settings=store.ctx.settings, kiosk=KioskConfig(enabled=True))
    return TillApp(store.ctx, config)


async def test_quit_keys_and_the_palette_do_nothing_in_kiosk_mode(store: Store) -> None:
    app = kiosk_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        for key in ("ctrl+q", "ctrl+c", "ctrl+p", "ctrl+backslash"):
            await pilot.press(key)
            await pilot.pause()
            assert app.is_running, key
            assert isinstance(app.screen, LoginScreen), key
            assert not app.screen.query(CommandPalette)
        await sign_in(pilot)
        assert isinstance(app.screen, SalesScreen)
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, SalesScreen)


async def test_a_cashiers_pin_does_not_leave_a_managers_does(store: Store) -> None:
    app = kiosk_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert isinstance(app.screen, ManagerPinDialog)
        await type_text(pilot, "cashier")
        await pilot.press("enter")
        await type_text(pilot, "1111")
        await pilot.press("enter")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, ManagerPinDialog)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen)
        await pilot.press("ctrl+e")
        await pilot.pause()
        await type_text(pilot, "manager")
        await pilot.press("enter")
        await type_text(pilot, "222222")
        await pilot.press("enter")
        await pilot.pause()
    assert app.return_code == 0 and not app.is_running


async def test_outside_kiosk_mode_ctrl_e_leaves_and_ctrl_q_does_not(store: Store) -> None:
    """ctrl+q is the sales screen's Qty: it once quit the till (Textual's own binding won)."""
    config = Config(settings=store.ctx.settings, kiosk=replace(KioskConfig(), enabled=False))
    app = TillApp(store.ctx, config)
    async with app.run_test(size=(80, 24)) as pilot:
        for key in ("ctrl+q", "ctrl+c", "ctrl+p"):
            await pilot.press(key)
            await pilot.pause()
            assert app.is_running and isinstance(app.screen, LoginScreen), key
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert not app.is_running
    assert app.return_code == 0
