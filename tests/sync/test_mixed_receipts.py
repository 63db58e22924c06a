"""One receipt at F3 for bills of several tills: this till's own and others', each held at
the central before it is recorded; if one cannot be held, nothing is paid and the cashier
reads which bill and why."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from textual.widgets import Static

from o2pos.central.models import OrderClaim, Sale
from o2pos.core import models, sales, syncstate
from o2pos.tui.app import TillApp
from o2pos.tui.screens.payment import PaymentScreen
from tests.sync.conftest import Central, Till, make_till, shop
from tests.sync.test_store_orders import counter_app, orders_of, saved_unpaid
from tests.tui.test_flows import notice, sign_in, type_text, wait_for


async def choose(pilot: object, app: TillApp, number: str, *, remote: bool) -> None:
    await type_text(pilot, number)
    await pilot.press("enter")  # type: ignore[attr-defined]
    if remote:
        await wait_for(pilot, lambda: f"{number} of till" in notice(app))
    else:
        await wait_for(pilot, lambda: number in [o.number for o in app.screen.chosen])


def store_of(tmp_path: Path, central: Central, *labels: str) -> tuple[str, list[Till]]:
    here = shop()
    tills = []
    for label in labels:
        (tmp_path / label).mkdir()
        tills.append(make_till(tmp_path / label, central, store_name=here))
    return here, tills


def close(*tills: Till) -> None:
    for till in tills:
        till.engine.client.close()
        till.ctx.db.close()


async def test_one_receipt_pays_bills_of_three_tills_and_the_central_credits_each_once(
    tmp_path: Path, central: Central
) -> None:
    here, (t1, t3) = store_of(tmp_path, central, "T1", "T3")
    first, second = saved_unpaid(t1), saved_unpaid(t3)
    app, store = counter_app(tmp_path / "T2", central, here)
    store.open_register()
    mine = sales.save_unpaid(app.ctx, store.bill("SOAP"), store.cashier)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, float_=None)
        await wait_for(pilot, lambda: syncstate.pending_count(app.ctx) == 0)  # mine pushed
        await pilot.press("f3")
        await pilot.pause()
        await choose(pilot, app, first.number, remote=True)
        await choose(pilot, app, mine.number, remote=False)
        await choose(pilot, app, second.number, remote=True)
        await pilot.press("f10")
        await wait_for(pilot, lambda: isinstance(app.screen, PaymentScreen))
        assert app.screen.due == first.total + mine.total + second.total
        await pilot.press("enter")  # cash, the amount due
        await wait_for(pilot, lambda: "received" in notice(app))
        await wait_for(pilot, lambda: syncstate.pending_count(app.ctx) == 0)
    assert models.Receipt.select().count() == 1
    assert models.Sale.get_by_id(mine.id).balance == 0
    central.bind()
    paid = {
        s.uuid: s.balance
        for s in Sale.select().where(Sale.uuid.in_([first.uuid, second.uuid, mine.uuid]))
    }
    assert paid == {first.uuid: 0, second.uuid: 0, mine.uuid: 0}
    assert OrderClaim.select().where(OrderClaim.sale_uuid.in_(list(paid))).count() == 0
    assert central.stats(app.ctx.terminal_id)["flagged"] == 0
    close(t1, t3)


async def test_a_bill_that_cannot_be_held_stops_the_whole_receipt_and_is_named(
    tmp_path: Path, central: Central
) -> None:
    here, (t1, t3) = store_of(tmp_path, central, "T1", "T3")
    theirs = saved_unpaid(t1)
    app, store = counter_app(tmp_path / "T2", central, here)
    store.open_register()
    mine = sales.save_unpaid(app.ctx, store.bill("SOAP"), store.cashier)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, float_=None)
        await wait_for(pilot, lambda: syncstate.pending_count(app.ctx) == 0)
        rival = orders_of(t3, central)
        rival.claim(rival.find(mine.number))  # T3 is taking payment for T2's own bill
        await pilot.press("f3")
        await pilot.pause()
        await choose(pilot, app, theirs.number, remote=True)
        await choose(pilot, app, mine.number, remote=False)
        await pilot.press("f10")
        await wait_for(pilot, lambda: f"Terminal {t3.name}" in notice(app))
        assert mine.number in notice(app)
        assert not isinstance(app.screen, PaymentScreen)
    models.database.initialize(app.ctx.db)
    assert receipts_recorded_here() == 0
    assert models.Sale.get_by_id(mine.id).balance == mine.total
    assert orders_of(t1, central).find(theirs.number).balance == theirs.total
    close(t1, t3)


def receipts_recorded_here() -> int:
    events = models.Journal.select().where(models.Journal.event_type == "receipt.recorded")
    return int(events.count()) + int(models.Receipt.select().count())


def short_lease(app: TillApp) -> None:
    """A lease of one second, as ``[central] claim_lease_seconds = 1`` gives."""
    app.config = replace(app.config, central=replace(app.config.central, claim_lease_seconds=1))


async def test_a_lease_run_out_while_counting_cash_is_renewed_as_the_payment_is_confirmed(
    tmp_path: Path, central: Central
) -> None:
    here, (t1,) = store_of(tmp_path, central, "T1")
    theirs = saved_unpaid(t1)
    app, store = counter_app(tmp_path / "T2", central, here)
    store.open_register()
    short_lease(app)
    watcher = orders_of(t1, central)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, float_=None)
        await pilot.press("f3")
        await pilot.pause()
        await choose(pilot, app, theirs.number, remote=True)
        await pilot.press("f10")
        await wait_for(pilot, lambda: isinstance(app.screen, PaymentScreen))
        # the cashier counts cash until the central no longer holds the bill for T2
        await wait_for(pilot, lambda: watcher.find(theirs.number).held_by is None)
        await pilot.press("enter")
        await wait_for(pilot, lambda: "received" in notice(app))
        await wait_for(pilot, lambda: syncstate.pending_count(app.ctx) == 0)
    central.bind()
    assert [s.balance for s in Sale.select().where(Sale.uuid == theirs.uuid)] == [0]
    assert central.stats(app.ctx.terminal_id)["flagged"] == 0
    close(t1)


async def test_a_bill_taken_by_another_counter_while_counting_cash_is_not_paid(
    tmp_path: Path, central: Central
) -> None:
    here, (t1, t3) = store_of(tmp_path, central, "T1", "T3")
    theirs = saved_unpaid(t1)
    app, store = counter_app(tmp_path / "T2", central, here)
    store.open_register()
    short_lease(app)
    rival = orders_of(t3, central)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, float_=None)
        await pilot.press("f3")
        await pilot.pause()
        await choose(pilot, app, theirs.number, remote=True)
        await pilot.press("f10")
        await wait_for(pilot, lambda: isinstance(app.screen, PaymentScreen))
        # T2's lease runs out while its cashier counts; T3 takes the bill
        await wait_for(pilot, lambda: rival.find(theirs.number).held_by is None)
        rival.claim(rival.find(theirs.number), lease_seconds=600)
        await pilot.press("enter")
        error = lambda: str(app.screen.query_one(".error", Static).render())  # noqa: E731
        await wait_for(pilot, lambda: "nothing was paid" in error())
        assert theirs.number in error() and f"Terminal {t3.name}" in error()
        assert isinstance(app.screen, PaymentScreen)  # the cashier reads it, Esc goes back
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, PaymentScreen))
    models.database.initialize(app.ctx.db)
    assert receipts_recorded_here() == 0
    assert rival.find(theirs.number).held_by == t3.name
    close(t1, t3)
