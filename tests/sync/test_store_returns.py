"""Returns at any counter: a sale made on T1 is returned at T3 from the central's copy, and
"never more than sold minus already returned" holds across tills through return claims."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Input, Static

from o2pos.central.models import Return, ReturnClaim
from o2pos.central.reports import flagged
from o2pos.config import CentralConfig
from o2pos.core import models, register, reports, returns, syncstate
from o2pos.core.returns import RemoteSale, ReturnItem
from o2pos.sync.client import CentralClient
from o2pos.sync.orders import OrderRefused, OrdersUnavailable
from o2pos.sync.returns import OFFLINE_SALES, UNCHECKED, StoreSales
from o2pos.sync.returns import ReturnClaim as Claim
from o2pos.tui.app import TillApp
from o2pos.tui.approval import ManagerPinDialog
from o2pos.tui.screens.dialogs import QuantityDialog, TextDialog
from tests.sync.conftest import Central, Till, at, counters, free_port, make_till, shop
from tests.sync.test_store_orders import own_counter_app, saved_unpaid
from tests.tui.test_flows import approve_as_manager, notice, sign_in, type_text, wait_for


@pytest.fixture
def tills(tmp_path: Path, central: Central) -> Iterator[dict[str, Till]]:
    """T1, T2 and T3, three counters of one store."""
    here = shop()
    yield from counters(tmp_path, central, T1=here, T2=here, T3=here)


def sales_of(till: Till, central: Central) -> StoreSales:
    return StoreSales(CentralClient(central.url, till.token, timeout=1.0))


def sold_on(till: Till) -> str:
    """A paid cash sale of one rice pack and two soaps on ``till``, pushed; its number."""
    store = at(till).store
    result = store.cash_sale("RICE1", "SOAP", "SOAP")
    till.push_until_done()
    return str(result.sale.number)


def soap(sale: RemoteSale) -> int:
    return next(line.line_no for line in sale.lines if line.sku == "SOAP")


def return_at(till: Till, sale: RemoteSale, claim: Claim, method: str = "cash") -> int:
    """Record the claimed return at ``till`` and push it; the refund's total."""
    at(till)
    items = [ReturnItem(no, qty) for no, qty in claim.lines.items()]
    ret = returns.create_remote(
        till.ctx, till.store.manager, sale, items, method, claim_id=claim.claim_id
    )
    till.push_until_done()
    return int(ret.total)


def returns_recorded(till: Till) -> int:
    at(till)
    events = models.Journal.select().where(models.Journal.event_type == "return.completed")
    return int(events.count())


def test_a_return_at_t3_of_a_t1_sale_then_an_over_return_at_t2_is_refused(
    tills: dict[str, Till], central: Central
) -> None:
    t1, t2, t3 = tills["T1"], tills["T2"], tills["T3"]
    number = sold_on(t1)
    lookup = sales_of(t3, central)
    sale = lookup.sale(number.lower())
    assert (sale.number, sale.terminal) == (number, t1.name)
    assert {(ln.sku, ln.qty_milli, ln.left_milli) for ln in sale.lines} == {
        ("RICE1", 1000, 1000),
        ("SOAP", 2000, 2000),
    }

    claim = lookup.claim_return(sale, [ReturnItem(soap(sale), 2000)])
    # asked again with the same id (a lost answer), it is the same claim
    again = lookup.claim_return(sale, [ReturnItem(soap(sale), 2000)], claim_id=claim.claim_id)
    assert (again.claim_id, again.lines) == (claim.claim_id, claim.lines)
    at(t3)
    drawer = register.expected_cash(register.current_session(t3.ctx))
    refund = return_at(t3, sale, claim)
    soap_line = next(ln for ln in sale.lines if ln.sku == "SOAP")
    assert refund == soap_line.total  # the whole line, rounded like a cash bill (₹80)
    at(t3)
    assert register.expected_cash(register.current_session(t3.ctx)) == drawer - refund
    x = reports.x_report(t3.ctx)
    assert (x["returns_count"], x["returns_total"]) == (1, refund)
    assert [r["amount"] for r in x["refunds"]] == [refund]
    # the same claim cannot record a second return here
    with pytest.raises(returns.StateError, match="already returned"):
        return_at(t3, sale, claim)
    assert returns_recorded(t3) == 1

    central.bind()
    projected = Return.select().where(Return.sale_uuid == sale.uuid)
    assert [(r.terminal, r.total) for r in projected] == [(t3.name, refund)]
    assert ReturnClaim.select().where(ReturnClaim.sale_uuid == sale.uuid).count() == 0
    assert central.stats(t3.name)["flagged"] == 0

    # T2 sees the soaps returned store-wide, and is refused with what is left
    other = sales_of(t2, central)
    seen = other.sale(number)
    assert [(ln.sku, ln.returned_milli, ln.left_milli) for ln in seen.lines] == [
        ("RICE1", 0, 1000),
        ("SOAP", 2000, 0),
    ]
    with pytest.raises(OrderRefused, match="More than is left to return") as refused:
        other.claim_return(seen, [ReturnItem(soap(seen), 1000)])
    assert refused.value.code == "over_return"
    assert refused.value.details["left"] == [
        {"line_no": ln.line_no, "qty_milli": 1000 if ln.sku == "RICE1" else 0} for ln in seen.lines
    ]
    # the claim asked for again after its return is in is still the same claim
    retried = lookup.claim_return(sale, [ReturnItem(soap(sale), 2000)], claim_id=claim.claim_id)
    assert retried.lines == claim.lines


def test_two_tills_claiming_the_last_unit_at_once_one_wins(
    tills: dict[str, Till], central: Central
) -> None:
    number = sold_on(tills["T1"])
    rivals = [tills["T2"], tills["T3"]]
    sale = sales_of(rivals[0], central).sale(number)
    start = threading.Barrier(len(rivals))
    results: dict[str, Claim | OrderRefused] = {}

    def claim(till: Till) -> None:
        lookup = sales_of(till, central)
        start.wait()
        try:  # both want both soaps
            results[till.name] = lookup.claim_return(sale, [ReturnItem(soap(sale), 2000)])
        except OrderRefused as exc:
            results[till.name] = exc

    threads = [threading.Thread(target=claim, args=(till,)) for till in rivals]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [name for name, r in results.items() if isinstance(r, Claim)]
    losers = [r for r in results.values() if isinstance(r, OrderRefused)]
    assert len(winners) == 1 and len(losers) == 1
    assert losers[0].code == "over_return"
    # while the winner holds them, a till that releases nothing gets nothing; released,
    # the soaps are the loser's to take
    winner = next(t for t in rivals if t.name == winners[0])
    loser = next(t for t in rivals if t.name != winners[0])
    held = results[winner.name]
    assert isinstance(held, Claim)
    assert sales_of(loser, central).sale(number).lines[1].left_milli == 0
    assert sales_of(winner, central).release_return(held) is True
    taken = sales_of(loser, central).claim_return(sale, [ReturnItem(soap(sale), 2000)])
    assert taken.lines == {soap(sale): 2000}


def test_the_till_that_made_the_sale_cannot_return_what_another_till_returned(
    tills: dict[str, Till], central: Central
) -> None:
    t1, t3 = tills["T1"], tills["T3"]
    number = sold_on(t1)
    lookup = sales_of(t3, central)
    sale = lookup.sale(number)
    return_at(t3, sale, lookup.claim_return(sale, [ReturnItem(soap(sale), 1000)]))

    mine = sales_of(t1, central)
    central_view = mine.sale(number)
    at(t1)
    own = returns.returnable_sale(number)
    assert {ln.name: ln.left_milli for ln in own.lines}["Neem Soap 100 g"] == 2000  # local
    narrowed = returns.with_central(own, central_view)
    assert {ln.name: ln.left_milli for ln in narrowed.lines}["Neem Soap 100 g"] == 1000
    with pytest.raises(OrderRefused, match="has 1 left"):
        mine.claim_return(central_view, [ReturnItem(soap(central_view), 2000)])
    claim = mine.claim_return(central_view, [ReturnItem(soap(central_view), 1000)])
    line = next(ln for ln in own.lines if ln.name == "Neem Soap 100 g")
    at(t1)
    returns.create(
        t1.ctx,
        t1.store.manager,
        number,
        [ReturnItem(line.id, 1000)],
        "cash",
        claim_id=claim.claim_id,
    )
    t1.push_until_done()
    central.bind()
    assert ReturnClaim.select().where(ReturnClaim.sale_uuid == central_view.uuid).count() == 0
    assert central.stats(t1.name)["flagged"] == 0
    assert [ln.left_milli for ln in mine.sale(number).lines] == [1000, 0]


def test_another_tills_sale_is_unavailable_offline_and_nothing_changes(
    tills: dict[str, Till], central: Central
) -> None:
    t2 = tills["T2"]
    number = sold_on(tills["T1"])
    before = syncstate.last_seq(at(t2).ctx)
    closed = CentralConfig(url=f"http://127.0.0.1:{free_port()}", token=t2.token)
    with pytest.raises(OrdersUnavailable, match="unavailable offline"):
        StoreSales.connect(closed).sale(number)
    assert syncstate.last_seq(at(t2).ctx) == before  # nothing journaled, nothing changed


def test_an_unclaimed_over_return_is_projected_and_flagged(
    tills: dict[str, Till], central: Central
) -> None:
    """T1 offline returns both soaps from its own knowledge while T3 returned one online:
    both refunds happened, so both are projected, and the second is flagged."""
    t1, t3 = tills["T1"], tills["T3"]
    number = sold_on(t1)
    lookup = sales_of(t3, central)
    sale = lookup.sale(number)
    return_at(t3, sale, lookup.claim_return(sale, [ReturnItem(soap(sale), 1000)]))
    at(t1)
    line = next(ln for ln in returns.returnable_sale(number).lines if ln.name.startswith("Neem"))
    returns.create(t1.ctx, t1.store.manager, number, [ReturnItem(line.id, 2000)], "cash")
    t1.push_until_done()

    central.bind()
    assert Return.select().where(Return.sale_uuid == sale.uuid).count() == 2
    assert [f["reason"] for f in flagged(t1.name)] == [
        f"returns 2000 of line {soap(sale)} of sale {number}, where 1000 of 2000 was left to return"
    ]


def lines_shown(app: TillApp) -> list[tuple[str, str]]:
    """(item, can return) of each line on the returns screen."""
    table = app.screen.query_one("#lines", DataTable)
    return [
        (str(row[1]), str(row[3])) for row in (table.get_row_at(i) for i in range(table.row_count))
    ]


async def open_returns(pilot: Any, number: str) -> None:
    await sign_in(pilot, float_=None)
    await pilot.press("ctrl+r")
    await pilot.pause()
    await type_text(pilot, number)
    await pilot.press("enter")


async def test_the_returns_screen_returns_another_tills_sale_under_a_claim(
    tills: dict[str, Till], central: Central
) -> None:
    t1, t3 = tills["T1"], tills["T3"]
    number = sold_on(t1)
    app = own_counter_app(t3, central)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_returns(pilot, number)
        await wait_for(pilot, lambda: f"sold at till {t1.name}" in notice(app))
        assert lines_shown(app) == [("Basmati Rice 1 kg", "1"), ("Neem Soap 100 g", "2")]
        await pilot.press("down")  # the soaps
        await pilot.press("enter")  # how many come back
        await pilot.pause()
        app.screen.query_one("#qty", Input).value = "2"
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("f10")  # claimed at the central in a worker, then a manager approves
        await wait_for(pilot, lambda: isinstance(app.screen, ManagerPinDialog))
        await approve_as_manager(pilot)
        await wait_for(pilot, lambda: isinstance(app.screen, TextDialog))
        assert "RT-" in str(app.screen.query_one("#slip-text", Static).render())
        await pilot.press("escape")
        await wait_for(pilot, lambda: lines_shown(app)[1:] == [("Neem Soap 100 g", "0")])
        await wait_for(pilot, lambda: syncstate.pending_count(app.ctx) == 0)
    assert returns_recorded(t3) == 1
    central.bind()
    assert Return.select().where(Return.terminal == t3.name).count() == 1
    assert central.stats(t3.name)["flagged"] == 0


async def test_the_returns_screen_says_another_tills_sale_is_unavailable_offline(
    tills: dict[str, Till], central: Central
) -> None:
    number = sold_on(tills["T1"])
    t2 = tills["T2"]
    app = own_counter_app(t2, central, url=f"http://127.0.0.1:{free_port()}")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_returns(pilot, number)
        await wait_for(pilot, lambda: OFFLINE_SALES in notice(app))
        assert lines_shown(app) == []
    assert returns_recorded(t2) == 0


async def test_the_returns_screen_narrows_its_own_sale_to_what_other_tills_left(
    tills: dict[str, Till], central: Central
) -> None:
    t1, t3 = tills["T1"], tills["T3"]
    number = sold_on(t1)
    lookup = sales_of(t3, central)
    sale = lookup.sale(number)
    return_at(t3, sale, lookup.claim_return(sale, [ReturnItem(soap(sale), 2000)]))
    app = own_counter_app(t1, central)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_returns(pilot, number)
        await wait_for(pilot, lambda: lines_shown(app)[1:] == [("Neem Soap 100 g", "0")])
        await pilot.press("down")
        await pilot.press("enter")
        await pilot.pause()
        app.screen.query_one("#qty", Input).value = "1"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, QuantityDialog)  # refused as typed, before any PIN
        assert "another till" in str(app.screen.query_one(".error", Static).render())


async def test_the_returns_screen_returns_its_own_sale_offline_and_says_it_is_unchecked(
    tills: dict[str, Till], central: Central
) -> None:
    t1 = tills["T1"]
    number = sold_on(t1)
    app = own_counter_app(t1, central, url=f"http://127.0.0.1:{free_port()}")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_returns(pilot, number)
        await wait_for(pilot, lambda: UNCHECKED in notice(app))
        assert lines_shown(app) == [("Basmati Rice 1 kg", "1"), ("Neem Soap 100 g", "2")]
        await pilot.press("enter")  # the rice
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("f10")
        await wait_for(pilot, lambda: isinstance(app.screen, ManagerPinDialog))
        await approve_as_manager(pilot)
        await wait_for(pilot, lambda: isinstance(app.screen, TextDialog))
        await pilot.press("escape")
        await wait_for(pilot, lambda: "not checked at other tills" in notice(app))
    assert returns_recorded(t1) == 1


async def test_a_cancelled_pin_keeps_the_claim_and_f10_again_reuses_it(
    tills: dict[str, Till], central: Central
) -> None:
    t1, t3 = tills["T1"], tills["T3"]
    number = sold_on(t1)
    app = own_counter_app(t3, central)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_returns(pilot, number)
        await wait_for(pilot, lambda: f"sold at till {t1.name}" in notice(app))
        await pilot.press("enter")  # the rice, the whole of it
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("f10")
        await wait_for(pilot, lambda: isinstance(app.screen, ManagerPinDialog))
        await pilot.press("escape")  # no manager at hand
        await pilot.pause()
        await pilot.press("f10")  # the same claim again, not refused as held by itself
        await wait_for(pilot, lambda: isinstance(app.screen, ManagerPinDialog))
        await approve_as_manager(pilot)
        await wait_for(pilot, lambda: isinstance(app.screen, TextDialog))
    assert returns_recorded(t3) == 1


async def test_turning_to_another_bill_frees_what_a_claim_held(
    tills: dict[str, Till], central: Central
) -> None:
    t1, t3 = tills["T1"], tills["T3"]
    number = sold_on(t1)
    app = own_counter_app(t3, central)
    rival = sales_of(tills["T2"], central)

    def rice_left() -> int:
        return rival.sale(number).lines[0].left_milli

    async with app.run_test(size=(80, 24)) as pilot:
        await open_returns(pilot, number)
        await wait_for(pilot, lambda: f"sold at till {t1.name}" in notice(app))
        await pilot.press("enter")  # the rice
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("f10")
        await wait_for(pilot, lambda: isinstance(app.screen, ManagerPinDialog))
        await pilot.press("escape")
        assert rice_left() == 0  # held for T3 while its cashier decides
        await pilot.press("shift+tab")
        await type_text(pilot, "S-NONE-1")
        await pilot.press("enter")
        await wait_for(pilot, lambda: rice_left() == 1000)
    assert returns_recorded(t3) == 0


def test_another_store_cannot_see_or_claim_the_sale(
    tills: dict[str, Till], central: Central, tmp_path: Path
) -> None:
    number = sold_on(tills["T1"])
    sale = sales_of(tills["T2"], central).sale(number)
    (tmp_path / "X").mkdir()
    elsewhere = make_till(tmp_path / "X", central, store_name=shop())
    try:
        lookup = sales_of(elsewhere, central)
        with pytest.raises(OrderRefused, match=f"No sale {number}") as refused:
            lookup.sale(number)
        assert refused.value.code == "not_found"
        with pytest.raises(OrderRefused) as claim:
            lookup.claim_return(sale, [ReturnItem(soap(sale), 1000)])
        assert claim.value.code == "not_found"
    finally:
        elsewhere.engine.client.close()
        elsewhere.ctx.db.close()


async def test_a_refund_the_till_refuses_after_the_claim_is_said_on_the_returns_screen(
    tills: dict[str, Till], central: Central
) -> None:
    """The refusal comes after the central's answer, in a worker's callback: it is shown,
    not lost, and nothing is returned."""
    t1 = tills["T1"]
    number = str(saved_unpaid(t1).number)
    app = own_counter_app(t1, central)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_returns(pilot, number)
        await wait_for(pilot, lambda: lines_shown(app) == [("Basmati Rice 1 kg", "2")])
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("enter")  # both packs, by cash
        await pilot.pause()
        await pilot.press("f10")
        await wait_for(pilot, lambda: "refund it on account" in notice(app))
    assert returns_recorded(t1) == 0
