"""One store, several counters: an order saved on one till is found, claimed and paid at
another, through a real central; another store never sees it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from o2pos.central.models import OrderClaim, Payment, Sale
from o2pos.central.models import Return as CentralReturn
from o2pos.config import CentralConfig, Config
from o2pos.core import customers, models, payments, reports, returns, sales, syncstate
from o2pos.core.errors import StateError
from o2pos.core.payments import RemoteOrder, Tender
from o2pos.sync.client import CentralClient
from o2pos.sync.orders import (
    OFFLINE,
    PAID_ELSEWHERE,
    OrderRefused,
    OrdersUnavailable,
    StoreOrders,
)
from o2pos.tui.app import TillApp
from o2pos.tui.screens.payment import PaymentScreen
from tests.conftest import Store, build_store
from tests.sync.conftest import Central, Till, at, counters, free_port, make_till, shop
from tests.tui.test_flows import notice, sign_in, type_text, wait_for


def orders_of(till: Till, central: Central) -> StoreOrders:
    return StoreOrders(CentralClient(central.url, till.token, timeout=1.0))


@pytest.fixture
def tills(tmp_path: Path, central: Central) -> Iterator[dict[str, Till]]:
    """T1, T2 and T3 in one store, X in another."""
    here, there = shop(), shop()
    yield from counters(tmp_path, central, T1=here, T2=here, T3=here, X=there)


def saved_unpaid(till: Till) -> sales.Sale:
    """ctrl+s on a bill of two rice packs, then a push: the order is at the central."""
    store = at(till).store
    saved = sales.save_unpaid(store.ctx, store.bill("RICE1", "RICE1"), store.cashier)
    till.push_until_done()
    return saved


def test_an_order_saved_on_one_till_is_paid_at_another_and_credited_once(
    tills: dict[str, Till], central: Central
) -> None:
    t1, t2 = tills["T1"], tills["T2"]
    saved = saved_unpaid(t1)
    lookup = orders_of(t2, central)

    order = lookup.find(saved.number.lower())
    assert (order.number, order.terminal, order.uuid) == (saved.number, t1.name, saved.uuid)
    assert (order.total, order.paid, order.balance) == (saved.total, 0, saved.total)
    assert sum(line.qty_milli for line in order.lines) == 2000
    assert {line.name for line in order.lines} == {"Basmati Rice 1 kg"}
    assert saved.number in [o.number for o in lookup.open_orders()]

    claimed = lookup.claim(order)
    at(t2)
    assert (claimed.balance, claimed.terminal) == (saved.total, t1.name)
    receipt, settlement = payments.collect_remote(
        t2.ctx, t2.store.cashier, [claimed], [Tender("cash", saved.total + 1000)]
    )
    assert settlement.change == 1000
    # the same claim cannot pay it twice on this till, even before the push
    with pytest.raises(StateError, match="already paid"):
        payments.collect_remote(t2.ctx, t2.store.cashier, [claimed], [Tender("cash", 100)])

    at(t2).push_until_done()
    at(t1).push_until_done()
    central.bind()
    assert [(s.paid, s.balance) for s in Sale.select().where(Sale.uuid == saved.uuid)] == [
        (saved.total, 0)
    ]
    taken = Payment.select().where(Payment.receipt_uuid == receipt.uuid)
    assert [(p.terminal, p.amount) for p in taken] == [(t2.name, saved.total)]
    assert OrderClaim.get_or_none(OrderClaim.sale_uuid == saved.uuid) is None  # settled
    assert central.stats(t2.name)["flagged"] == 0

    # paid store-wide: found with no balance, listed no more, and no till may claim it
    assert lookup.find(saved.number).balance == 0
    assert saved.number not in [o.number for o in lookup.open_orders()]
    with pytest.raises(OrderRefused, match="already paid") as refused:
        orders_of(tills["T3"], central).claim(order)
    assert refused.value.code == "paid"


def test_another_store_cannot_see_or_claim_the_order(
    tills: dict[str, Till], central: Central
) -> None:
    saved = saved_unpaid(tills["T1"])
    order = orders_of(tills["T2"], central).find(saved.number)
    elsewhere = orders_of(tills["X"], central)
    with pytest.raises(OrderRefused, match=f"No order numbered {saved.number}") as refused:
        elsewhere.find(saved.number)
    assert refused.value.code == "not_found"
    assert saved.number not in [o.number for o in elsewhere.open_orders()]
    with pytest.raises(OrderRefused) as claim:
        elsewhere.claim(order)
    assert claim.value.code == "not_found"


def test_two_tills_claiming_one_order_at_once_exactly_one_wins(
    tills: dict[str, Till], central: Central
) -> None:
    saved = saved_unpaid(tills["T1"])
    order = orders_of(tills["T2"], central).find(saved.number)
    rivals = [tills["T2"], tills["T3"]]
    start = threading.Barrier(len(rivals))
    results: dict[str, RemoteOrder | OrderRefused] = {}

    def claim(till: Till) -> None:
        lookup = orders_of(till, central)
        start.wait()
        try:
            results[till.name] = lookup.claim(order)
        except OrderRefused as exc:
            results[till.name] = exc

    threads = [threading.Thread(target=claim, args=(till,)) for till in rivals]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    winners = [name for name, r in results.items() if isinstance(r, RemoteOrder)]
    losers = [r for r in results.values() if isinstance(r, OrderRefused)]
    assert len(winners) == 1 and len(losers) == 1
    assert losers[0].code == "claimed"
    assert losers[0].details["holder"] == winners[0]
    assert winners[0] in losers[0].message

    # the winner asking again with its claim id renews the same claim; the loser still waits
    winner = next(t for t in rivals if t.name == winners[0])
    loser = next(t for t in rivals if t.name != winners[0])
    first = results[winner.name]
    assert isinstance(first, RemoteOrder)
    again = orders_of(winner, central).claim(order, claim_id=first.claim_id)
    assert again == first
    with pytest.raises(OrderRefused, match="taking payment"):
        orders_of(loser, central).claim(order)
    # released, the order is the loser's to take
    assert orders_of(winner, central).release(first) is True
    assert orders_of(loser, central).claim(order).balance == saved.total


def test_other_tills_orders_are_unavailable_offline_and_own_orders_still_work(
    tills: dict[str, Till],
) -> None:
    t2 = at(tills["T2"])
    mine = sales.save_unpaid(t2.ctx, t2.store.bill("RICE1"), t2.store.cashier)
    closed = CentralConfig(url=f"http://127.0.0.1:{free_port()}", token=t2.token)
    lookup = StoreOrders.from_config(closed)
    with pytest.raises(OrdersUnavailable, match=OFFLINE):
        lookup.find("S-T1-000001")
    with pytest.raises(OrdersUnavailable, match=OFFLINE):
        lookup.open_orders()
    assert [o.number for o in payments.open_orders(t2.ctx)] == [mine.number]
    payments.collect(t2.ctx, t2.store.cashier, [mine.number], [Tender("cash", mine.total)])


def test_a_payment_beyond_the_balance_is_accepted_and_flagged(
    tills: dict[str, Till], central: Central
) -> None:
    """A till that pays its own order without a claim (offline, when the central cannot be
    asked): when both payments arrive, the second is flagged for the back office."""
    t1, t2 = tills["T1"], tills["T2"]
    saved = saved_unpaid(t1)
    lookup = orders_of(t2, central)
    claimed = lookup.claim(lookup.find(saved.number))
    payments.collect_remote(at(t2).ctx, t2.store.cashier, [claimed], [Tender("cash", saved.total)])
    t2.push_until_done()
    payments.collect(at(t1).ctx, t1.store.cashier, [saved.number], [Tender("cash", saved.total)])
    t1.push_until_done()

    from o2pos.central.reports import flagged

    central.bind()
    assert [f["reason"] for f in flagged(t1.name)] == [
        f"pays {saved.total} on sale {saved.number}, whose balance was 0"
    ]
    assert flagged(t2.name) == []


def counter_app(
    directory: Path, central: Central, store: str, url: str | None = None
) -> tuple[TillApp, Store]:
    """The till of a second counter of ``store``, as a cashier runs it, and its store."""
    name, token = central.register(store=store)
    built = build_store(directory, terminal_id=name)
    config = Config(
        settings=built.ctx.settings,
        central=CentralConfig(
            url=url or central.url, token=token, key=central.key_of(name), interval_seconds=1
        ),
    )
    return TillApp(built.ctx, config), built


async def sign_in_and_find(pilot: Any, number: str) -> None:
    """Signed in at a till whose register is open, F3 with ``number`` typed and looked up."""
    await sign_in(pilot, float_=None)
    await pilot.press("f3")
    await pilot.pause()
    await type_text(pilot, number)
    await pilot.press("enter")
    await pilot.pause()


async def test_f3_finds_another_tills_order_by_number_and_pays_it(
    tmp_path: Path, central: Central
) -> None:
    here = shop()
    (tmp_path / "T1").mkdir()
    t1 = make_till(tmp_path / "T1", central, store_name=here)
    saved = saved_unpaid(t1)
    app, _ = counter_app(tmp_path / "T2", central, here)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await pilot.press("f3")
        await pilot.pause()
        await type_text(pilot, saved.number)
        await pilot.press("enter")
        await wait_for(pilot, lambda: "held for this till" in notice(app))
        await pilot.press("f10")  # the claim is renewed first, in a worker
        await wait_for(pilot, lambda: isinstance(app.screen, PaymentScreen))
        await pilot.press("enter")  # cash, the amount due filled in
        await wait_for(pilot, lambda: "received" in notice(app))
        await wait_for(pilot, lambda: syncstate.pending_count(app.ctx) == 0)
    central.bind()
    assert [(s.paid, s.balance) for s in Sale.select().where(Sale.uuid == saved.uuid)] == [
        (saved.total, 0)
    ]
    t1.engine.client.close()
    t1.ctx.db.close()


async def test_f3_says_other_tills_bills_are_unavailable_offline_and_its_own_work(
    tmp_path: Path, central: Central
) -> None:
    app, store = counter_app(tmp_path, central, shop(), url=f"http://127.0.0.1:{free_port()}")
    store.open_register()
    mine = sales.save_unpaid(app.ctx, store.bill("RICE1"), store.cashier)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, float_=None)
        await pilot.press("f3")
        await pilot.pause()
        await type_text(pilot, "S-T9-000001")
        await pilot.press("enter")
        await wait_for(pilot, lambda: OFFLINE in notice(app))
        assert "this till's own work" in notice(app)
        await type_text(pilot, mine.number)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("f10")
        await pilot.pause()
        await pilot.press("enter")
        await wait_for(pilot, lambda: "received" in notice(app))
    assert models.Sale.get_by_id(mine.id).balance == 0


def test_a_lease_that_runs_out_frees_the_order_and_its_old_holder_cannot_renew_it(
    tills: dict[str, Till], central: Central
) -> None:
    """A till that claimed and then died: once its lease ends another counter takes the
    order, and the old claim can no longer be renewed to pay it."""
    saved = saved_unpaid(tills["T1"])
    dead, alive = orders_of(tills["T2"], central), orders_of(tills["T3"], central)
    order = dead.find(saved.number)
    stale = dead.claim(order, lease_seconds=1)
    with pytest.raises(OrderRefused, match=f"Terminal {tills['T2'].name}"):
        alive.claim(order)
    taken: RemoteOrder | None = None
    for _ in range(300):  # waits on the central's answer changing, not on a duration
        try:
            taken = alive.claim(order)
            break
        except OrderRefused:
            threading.Event().wait(0.1)
    assert taken is not None and taken.balance == saved.total
    with pytest.raises(OrderRefused, match=f"Terminal {tills['T3'].name}") as refused:
        dead.renew(stale)
    assert refused.value.code == "claimed"
    assert alive.renew(taken) == taken


def test_a_till_paying_its_own_pushed_order_claims_it_first(
    tills: dict[str, Till], central: Central
) -> None:
    """Another counter holding or having paid the order refuses the till that made it; the
    till's own claim makes another counter wait; an order not yet pushed needs no claim."""
    t1, t2, t3 = tills["T1"], tills["T2"], tills["T3"]
    saved = saved_unpaid(t1)
    unpushed = sales.save_unpaid(at(t1).ctx, t1.store.bill("RICE1"), t1.store.cashier)
    pushed = payments.pushed_orders(t1.ctx, [saved.number.lower(), unpushed.number])
    assert [(o.uuid, o.number, o.balance) for o in pushed] == [
        (saved.uuid, saved.number, saved.total)
    ]

    # T1's own claim: T3 trying at the same time is told T1 holds it; cancelled, it is free
    mine = orders_of(t1, central).claim_own(pushed)
    with pytest.raises(OrderRefused, match=f"Terminal {t1.name}") as held:
        orders_of(t3, central).claim(orders_of(t3, central).find(saved.number))
    assert held.value.details["holder"] == t1.name
    orders_of(t1, central).release_all(mine)

    # T2 holds it: T1 is told who, and claims nothing
    lookup = orders_of(t2, central)
    claimed = lookup.claim(lookup.find(saved.number))
    with pytest.raises(OrderRefused, match=f"Terminal {t2.name}"):
        orders_of(t1, central).claim_own(pushed)
    # T2 pays and pushes: T1 is told it was paid at another counter
    payments.collect_remote(at(t2).ctx, t2.store.cashier, [claimed], [Tender("cash", saved.total)])
    t2.push_until_done()
    with pytest.raises(OrderRefused, match=f"{saved.number} {PAID_ELSEWHERE}") as paid:
        orders_of(t1, central).claim_own(pushed)
    assert paid.value.code == "paid"


def own_counter_app(till: Till, central: Central, url: str | None = None) -> TillApp:
    """The till ``till`` as its cashier runs it, with its central (or an unreachable one)."""
    config = Config(
        settings=till.ctx.settings,
        central=CentralConfig(
            url=url or central.url,
            token=till.token,
            key=central.key_of(till.name),
            interval_seconds=1,
        ),
    )
    at(till)
    return TillApp(till.ctx, config)


async def test_f3_refuses_its_own_order_once_paid_at_another_counter(
    tills: dict[str, Till], central: Central
) -> None:
    t1, t2 = tills["T1"], tills["T2"]
    saved = saved_unpaid(t1)
    lookup = orders_of(t2, central)
    claimed = lookup.claim(lookup.find(saved.number))
    payments.collect_remote(at(t2).ctx, t2.store.cashier, [claimed], [Tender("cash", saved.total)])
    t2.push_until_done()
    app = own_counter_app(t1, central)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_and_find(pilot, saved.number)
        # refused at once when the till has pulled what T2 took, else by the claim at F10
        if PAID_ELSEWHERE not in notice(app):
            await pilot.press("f10")
        await wait_for(pilot, lambda: PAID_ELSEWHERE in notice(app))
        assert not isinstance(app.screen, PaymentScreen)
    assert models.Sale.get_by_id(saved.id).balance == saved.total
    assert receipts_recorded(t1) == 0  # nothing paid, nothing journaled
    central.bind()
    assert [(s.paid, s.balance) for s in Sale.select().where(Sale.uuid == saved.uuid)] == [
        (saved.total, 0)
    ]


async def test_f3_holds_its_own_order_while_paying_frees_it_when_cancelled_then_pays(
    tills: dict[str, Till], central: Central
) -> None:
    t1, t2 = tills["T1"], tills["T2"]
    saved = saved_unpaid(t1)
    app = own_counter_app(t1, central)
    rival = orders_of(t2, central)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_and_find(pilot, saved.number)
        await pilot.press("f10")
        await wait_for(pilot, lambda: isinstance(app.screen, PaymentScreen))
        with pytest.raises(OrderRefused, match=f"Terminal {t1.name}"):
            rival.claim(rival.find(saved.number))
        await pilot.press("escape")  # the cashier cancels: the bill is free at once
        await wait_for(pilot, lambda: rival.find(saved.number).held_by is None)
        await pilot.press("f10")  # and pays it after all: its receipt settles the claim
        await wait_for(pilot, lambda: isinstance(app.screen, PaymentScreen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: "received" in notice(app))
        assert "offline" not in notice(app)
        await wait_for(pilot, lambda: syncstate.pending_count(app.ctx) == 0)
    central.bind()
    assert [(s.paid, s.balance) for s in Sale.select().where(Sale.uuid == saved.uuid)] == [
        (saved.total, 0)
    ]
    assert OrderClaim.get_or_none(OrderClaim.sale_uuid == saved.uuid) is None
    assert central.stats(t1.name)["flagged"] == 0
    with pytest.raises(OrderRefused, match="already paid"):
        rival.claim(rival.find(saved.number))


async def test_f3_pays_its_own_pushed_order_offline_and_says_it_will_be_checked(
    tills: dict[str, Till], central: Central
) -> None:
    t1 = tills["T1"]
    saved = saved_unpaid(t1)
    app = own_counter_app(t1, central, url=f"http://127.0.0.1:{free_port()}")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_and_find(pilot, saved.number)
        await pilot.press("f10")
        await wait_for(pilot, lambda: isinstance(app.screen, PaymentScreen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: "received" in notice(app))
        assert "paid offline" in notice(app)
    assert models.Sale.get_by_id(saved.id).balance == 0


def receipts_recorded(till: Till) -> int:
    at(till)
    events = models.Journal.select().where(models.Journal.event_type == "receipt.recorded")
    return int(events.count()) + int(models.Receipt.select().count())


def test_the_till_that_made_an_order_paid_elsewhere_lists_it_no_more_and_refunds_it(
    tills: dict[str, Till], central: Central
) -> None:
    """T1's bill paid at T2: after a pull T1 knows it is paid (its own drawer never saw the
    money), so F3 neither lists nor takes it, and a cash refund of a line goes through once."""
    t1, t2 = tills["T1"], tills["T2"]
    saved = saved_unpaid(t1)
    at(t1)
    assert saved.number in [o.number for o in payments.open_orders(t1.ctx)]
    claimed = orders_of(t2, central).claim(orders_of(t2, central).find(saved.number))
    at(t2)
    payments.collect_remote(t2.ctx, t2.store.cashier, [claimed], [Tender("cash", saved.total)])
    t2.push_until_done()

    assert at(t1).engine.run_once().ok  # the pull brings what T2 took for it
    assert saved.number not in [o.number for o in payments.open_orders(t1.ctx)]
    assert reports.x_report(t1.ctx)["unpaid_total"] == 0  # T1's shift owes nothing on it
    with pytest.raises(StateError, match="was paid at another counter"):
        payments.payable_order(t1.ctx, saved.number)
    line = models.SaleLine.get(models.SaleLine.sale == saved.id)
    refund = returns.create(
        t1.ctx, t1.store.manager, saved.number, [returns.ReturnItem(line.id, 1000)], "cash"
    )
    assert refund.total == saved.total // 2
    t1.push_until_done()
    central.bind()
    assert [
        r.total for r in CentralReturn.select().where(CentralReturn.sale_uuid == saved.uuid)
    ] == [saved.total // 2]
    assert central.stats(t1.name)["flagged"] == 0
    assert central.stats(t2.name)["flagged"] == 0


def test_a_part_paid_elsewhere_leaves_the_rest_owed_at_the_till_that_made_it(
    tills: dict[str, Till], central: Central
) -> None:
    t1, t2 = tills["T1"], tills["T2"]
    store = at(t1).store
    customer = models.Customer.select().first()
    bill = store.bill("RICE1", "RICE1")
    sales.set_customer(store.ctx, bill, customer.id, store.cashier)
    saved = sales.save_unpaid(store.ctx, bill, store.cashier)
    t1.push_until_done()
    claimed = orders_of(t2, central).claim(orders_of(t2, central).find(saved.number))
    at(t2)
    payments.collect_remote(t2.ctx, t2.store.cashier, [claimed], [Tender("cash", 5000)])
    t2.push_until_done()

    assert at(t1).engine.run_once().ok
    view = payments.payable_order(t1.ctx, saved.number)
    assert (view.paid, view.balance) == (5000, saved.total - 5000)
    assert payments.collect_terms(t1.ctx, [saved.number])[0] == saved.total - 5000
    dues = customers.own_dues(t1.ctx, customer.id)  # what F7 says offline
    assert (dues.outstanding, dues.invoices[0].paid) == (saved.total - 5000, 5000)


def test_central_stats_says_an_order_paid_at_another_till_is_owed_no_more(
    tills: dict[str, Till], central: Central
) -> None:
    t1, t2 = tills["T1"], tills["T2"]
    saved = saved_unpaid(t1)
    assert central.stats(t1.name)["sales_unpaid"] == saved.total
    claimed = orders_of(t2, central).claim(orders_of(t2, central).find(saved.number))
    at(t2)
    payments.collect_remote(t2.ctx, t2.store.cashier, [claimed], [Tender("cash", saved.total)])
    t2.push_until_done()
    assert (central.stats(t1.name)["sales_unpaid"], central.stats(t2.name)["sales_count"]) == (
        0,
        0,
    )


async def test_after_paying_a_bill_picked_from_the_list_f3_takes_the_next_number(
    tills: dict[str, Till], central: Central
) -> None:
    """↓ Enter picks a bill, F10 Enter pays it: the number box has the keys again, so the
    next bill scanned is not typed into the list."""
    t1 = tills["T1"]
    first, second = saved_unpaid(t1), saved_unpaid(t1)
    app = own_counter_app(t1, central)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, float_=None)
        await pilot.press("f3")
        await pilot.pause()
        await pilot.press("down", "enter")  # the oldest open bill
        await pilot.pause()
        await pilot.press("f10")
        await wait_for(pilot, lambda: isinstance(app.screen, PaymentScreen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: "received" in notice(app))
        await type_text(pilot, second.number)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("f10")
        await wait_for(pilot, lambda: isinstance(app.screen, PaymentScreen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: models.Sale.get_by_id(second.id).balance == 0)
    assert [models.Sale.get_by_id(s.id).balance for s in (first, second)] == [0, 0]
