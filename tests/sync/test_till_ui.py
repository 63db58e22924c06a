"""The till's own view of sync, driven by keys against a real central."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from textual.widgets import Static

from o2pos.config import CentralConfig, Config
from o2pos.core import simulate as sim
from o2pos.core import syncstate
from o2pos.tui.app import TillApp
from o2pos.tui.screens.sync_status import SyncStatusDialog
from o2pos.tui.widgets.status_bar import StatusBar
from tests.conftest import build_store
from tests.sync.conftest import Central
from tests.sync.test_sync import _forge, assert_central_matches
from tests.tui.test_flows import scan, sign_in, status_text, wait_for


def till_app(tmp_path: Path, central: Central, interval: int = 1) -> TillApp:
    name, token = central.register()
    store = build_store(tmp_path, terminal_id=name)
    config = Config(
        settings=store.ctx.settings,
        central=CentralConfig(
            url=central.url, token=token, key=central.key_of(name), interval_seconds=interval
        ),
    )
    return TillApp(store.ctx, config)


async def test_a_sale_reaches_the_central_while_the_cashier_works(
    tmp_path: Path, central: Central
) -> None:
    app = till_app(tmp_path, central)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await scan(pilot, "RICE1")
        await pilot.press("f10")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        await wait_for(pilot, lambda: syncstate.pending_count(app.ctx) == 0)
        await wait_for(pilot, lambda: "online · 0 to send" in status_text(app))
        await pilot.press("f12")
        await pilot.pause()
        assert isinstance(app.screen, SyncStatusDialog)
        body = str(app.screen.query_one("#sync-body", Static).render())
        assert "ok (online)" in body
        last = syncstate.summary(app.ctx)["last_seq"]
        assert f"Acknowledged  {last} of {last} events" in body
    # (the price may be the central's: master data is pulled in the same rounds)
    assert central.stats(app.ctx.terminal_id)["sales_count"] == 1
    assert_central_matches(SimpleNamespace(ctx=app.ctx, name=app.ctx.terminal_id), central)


async def test_push_now_from_f12_and_forged_history_shown_as_an_alert(
    tmp_path: Path, central: Central
) -> None:
    app = till_app(tmp_path, central, interval=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await wait_for(pilot, lambda: app.sync_summary is not None)  # the first round
        sim.simulate(app.ctx, 3, seed=1)
        assert syncstate.pending_count(app.ctx) > 0
        await pilot.press("f12")
        await pilot.pause()
        await pilot.press("p")
        await wait_for(pilot, lambda: syncstate.pending_count(app.ctx) == 0)
        await pilot.press("escape")
        await pilot.pause()
        # someone edits history on the till: the till sees it and stops sending
        _forge(app.ctx.settings.terminal.db_path, seq=2)
        sim.simulate(app.ctx, 1, seed=2)
        await pilot.press("f12")
        await pilot.pause()
        await pilot.press("p")
        await wait_for(pilot, lambda: app.sync_summary and app.sync_summary["alert"])
        await pilot.pause()
        alert = str(app.screen.query_one("#sync-alert", Static).render())
        assert "call support" in alert
        await pilot.press("escape")
        await pilot.pause()
        assert "SYNC DAMAGED F12" in status_text(app)
        assert app.screen.query_one(StatusBar).has_class("sync-alert")
        # the till keeps selling through it
        await scan(pilot, "SOAP")
        await pilot.press("f10")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert "paid" in str(app.screen.query_one("#notice", Static).render())


async def test_a_till_whose_central_is_down_sells_and_catches_up_later(
    tmp_path: Path, central: Central
) -> None:
    from tests.sync.conftest import free_port

    name, token = central.register()
    store = build_store(tmp_path, terminal_id=name)
    dead = f"http://127.0.0.1:{free_port()}"
    config = Config(
        settings=store.ctx.settings,
        central=CentralConfig(url=dead, token=token, interval_seconds=1),
    )
    app = TillApp(store.ctx, config)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await scan(pilot, "RICE1")
        await pilot.press("f10")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        await wait_for(pilot, lambda: "offline ·" in status_text(app))
        assert syncstate.pending_count(app.ctx) > 0
    # the network comes back (here: the right address); a later round sends everything
    from o2pos.sync.client import CentralClient
    from o2pos.sync.engine import SyncEngine

    engine = SyncEngine(
        store.ctx, CentralClient(central.url, token), lock_path=tmp_path / "sync.lock"
    )
    assert engine.run_once(pull=False).ok
    assert_central_matches(SimpleNamespace(ctx=store.ctx, name=name), central)  # type: ignore[arg-type]


async def test_a_central_failing_round_after_round_shows_stuck_in_red_with_its_error(
    tmp_path: Path, central: Central
) -> None:
    from urllib.parse import urlparse

    from tests.sync.faultproxy import FaultProxy

    parts = urlparse(central.url)
    with FaultProxy((parts.hostname or "127.0.0.1", parts.port or 80)) as proxy:
        name, token = central.register()
        store = build_store(tmp_path, terminal_id=name)
        config = Config(
            settings=store.ctx.settings,
            central=CentralConfig(
                url=proxy.url, token=token, key=central.key_of(name), interval_seconds=3600
            ),
        )
        app = TillApp(store.ctx, config)
        proxy.set_mode("http_500")
        async with app.run_test(size=(80, 24)) as pilot:
            await sign_in(pilot)
            await pilot.press("f12")
            await pilot.pause()
            for _ in range(20):  # "p: push now", round after round, until the alert
                if app.sync_summary and app.sync_summary["state"] == "stuck":
                    break
                await wait_for(pilot, lambda: not app.sync.running)
                await pilot.press("p")
                await wait_for(pilot, lambda: not app.sync.running)
            body = str(app.screen.query_one("#sync-body", Static).render())
            assert "stuck" in body and "HTTP 500 from the central" in body
            alert = str(app.screen.query_one("#sync-alert", Static).render())
            assert "keeps failing" in alert
            await pilot.press("escape")
            await pilot.pause()
            assert "SYNC STUCK F12" in status_text(app)
            assert app.screen.query_one(StatusBar).has_class("sync-alert")
            # the central comes right: the next push clears it
            proxy.set_mode("pass")
            await pilot.press("f12")
            await pilot.pause()
            await pilot.press("p")
            await wait_for(pilot, lambda: app.sync_summary["state"] == "ok")
            await pilot.press("escape")
            await pilot.pause()
            assert not app.screen.query_one(StatusBar).has_class("sync-alert")
