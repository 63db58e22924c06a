"""F3's list of open bills is the store's: other tills' bills are listed beside this till's
own, marked with their till, and a customer's name finds them; offline one line says why
they are missing and this till's own bills are still listed and payable."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable, Static

from o2pos.central.models import Sale
from o2pos.core import customers, models, sales, syncstate
from o2pos.sync.orders import OFFLINE
from o2pos.tui.app import TillApp
from o2pos.tui.screens.payment import PaymentScreen
from tests.sync.conftest import Central, Till, at, free_port, make_till, shop
from tests.sync.test_store_orders import counter_app, saved_unpaid
from tests.tui.test_flows import notice, sign_in, type_text, wait_for


def rows(app: TillApp) -> dict[str, list[str]]:
    """The F3 list as the cashier reads it: order number -> its cells."""
    table = app.screen.query_one("#orders", DataTable)
    return {
        str(key.value): [str(cell) for cell in table.get_row(key)]
        for key in table.rows
        if key.value is not None
    }


def others_line(app: TillApp) -> str:
    return str(app.screen.query_one("#others", Static).render())


def saved_for(till: Till, name: str, phone: str) -> sales.Sale:
    """An unpaid bill of a named customer, pushed to the central."""
    store = at(till).store
    customer = customers.create(store.ctx, store.manager, name, phone)
    bill = store.bill("RICE1")
    sales.set_customer(store.ctx, bill, customer.id, store.cashier)
    saved = sales.save_unpaid(store.ctx, bill, store.cashier)
    till.push_until_done()
    return saved


async def test_f3_lists_other_tills_open_bills_with_their_till_beside_its_own(
    tmp_path: Path, central: Central
) -> None:
    here = shop()
    (tmp_path / "T1").mkdir()
    (tmp_path / "X").mkdir()
    t1 = make_till(tmp_path / "T1", central, store_name=here)
    elsewhere = make_till(tmp_path / "X", central, store_name=shop())
    theirs = saved_unpaid(t1)
    foreign = saved_unpaid(elsewhere)
    app, store = counter_app(tmp_path / "T2", central, here)
    store.open_register()
    mine = sales.save_unpaid(app.ctx, store.bill("SOAP"), store.cashier)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, float_=None)
        await pilot.press("f3")
        await wait_for(pilot, lambda: theirs.number in rows(app))
        listed = rows(app)
        assert listed[theirs.number][-1] == t1.name  # marked with the till that made it
        assert listed[mine.number][-1] == ""  # this till's own
        assert foreign.number not in listed  # another store's bill is never shown
        assert "Other tills' bills: 1 listed" in others_line(app)
        # picked from the list, it is held for this till and paid
        await pilot.press("down")
        await wait_for(pilot, lambda: app.screen.focused is not None)
        table = app.screen.query_one("#orders", DataTable)
        table.move_cursor(row=table.get_row_index(theirs.number))
        await pilot.press("enter")
        await wait_for(pilot, lambda: "held for this till" in notice(app))
        assert rows(app)[theirs.number][-1] == f"{t1.name}✓"
        await pilot.press("f10")
        await wait_for(pilot, lambda: isinstance(app.screen, PaymentScreen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: "received" in notice(app))
        await wait_for(pilot, lambda: syncstate.pending_count(app.ctx) == 0)
        await wait_for(pilot, lambda: "Other tills' bills: 0 listed" in others_line(app))
        assert theirs.number not in rows(app)
    central.bind()
    assert [s.balance for s in Sale.select().where(Sale.uuid == theirs.uuid)] == [0]
    for till in (t1, elsewhere):
        till.engine.client.close()
        till.ctx.db.close()


async def test_f3_finds_other_tills_bills_by_customer_name(
    tmp_path: Path, central: Central
) -> None:
    here = shop()
    (tmp_path / "T1").mkdir()
    t1 = make_till(tmp_path / "T1", central, store_name=here)
    ravi = saved_for(t1, "Ravi Kumar", "98450 11111")
    asha = saved_for(t1, "Asha Devi", "98450 22222")
    walk_in = saved_unpaid(t1)
    app, store = counter_app(tmp_path / "T2", central, here)
    store.open_register()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, float_=None)
        await pilot.press("f3")
        await wait_for(pilot, lambda: walk_in.number in rows(app))
        await type_text(pilot, "rAVI")
        await pilot.press("enter")
        await wait_for(pilot, lambda: walk_in.number not in rows(app))
        await wait_for(pilot, lambda: "1 listed" in others_line(app))
        assert list(rows(app)) == [ravi.number]
        assert rows(app)[ravi.number][1] == "Ravi Kumar"
        assert "named like 'rAVI'" in notice(app)
        await pilot.press("enter")  # an empty search lists every open bill again
        await wait_for(pilot, lambda: "3 listed" in others_line(app))
        assert set(rows(app)) == {ravi.number, asha.number, walk_in.number}
    t1.engine.client.close()
    t1.ctx.db.close()


async def test_f3_offline_lists_own_bills_and_says_other_tills_are_unavailable(
    tmp_path: Path, central: Central
) -> None:
    app, store = counter_app(tmp_path, central, shop(), url=f"http://127.0.0.1:{free_port()}")
    store.open_register()
    mine = sales.save_unpaid(app.ctx, store.bill("RICE1"), store.cashier)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, float_=None)
        await pilot.press("f3")
        await wait_for(pilot, lambda: OFFLINE in others_line(app))
        assert list(rows(app)) == [mine.number]
        assert "only this till's bills" in others_line(app)
        await type_text(pilot, mine.number)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("f10")
        await wait_for(pilot, lambda: isinstance(app.screen, PaymentScreen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: "received" in notice(app))
    assert models.Sale.get_by_id(mine.id).balance == 0
