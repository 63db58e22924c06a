"""Delivery at any counter: a bill marked for delivery on T1 is found through the central and
delivered at T2; what is pending is counted store-wide; two tills delivering the last unit
at once are both accepted and flagged; a return at another till releases what was pending."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from o2pos.central import stock as central_stock
from o2pos.central.models import Terminal
from o2pos.central.reports import flagged
from o2pos.central.store import write
from o2pos.config import CentralConfig
from o2pos.core import deliveries, returns, sales, stock
from o2pos.core.errors import ValidationError
from o2pos.core.models import Delivery, Product, StockMove
from o2pos.core.payments import Tender
from o2pos.core.returns import ReturnItem
from o2pos.sync.client import CentralClient
from o2pos.sync.deliveries import OFFLINE_BILLS, OrderRefused, OrdersUnavailable, StoreDeliveries
from o2pos.sync.returns import StoreSales
from tests.sync.conftest import Central, Till, at, counters, free_port, shop


@pytest.fixture
def tills(tmp_path: Path, central: Central) -> Iterator[dict[str, Till]]:
    """T1 and T2, two counters of one store, and X, a till of another store."""
    here = shop()
    yield from counters(tmp_path, central, T1=here, T2=here, X=shop())


def central_rice(central: Central, till: Till) -> tuple[int, int]:
    """The central's on hand and reserved of RICE1 at MAIN, in the store of ``till``."""
    central.bind()
    store = str(Terminal.get_by_id(till.name).store)
    [row] = [r for r in central_stock.report(store, "MAIN") if r.sku == "RICE1"]
    return row.on_hand, row.reserved


def receive_rice(central: Central, till: Till, qty: int) -> None:
    central.bind()
    with write():
        central_stock.receive(str(Terminal.get_by_id(till.name).store), "MAIN", {"RICE1": qty})


def lookup(till: Till, central: Central) -> StoreDeliveries:
    return StoreDeliveries(CentralClient(central.url, till.token, timeout=1.0))


def to_deliver_on(till: Till, *codes: str, mode: str = "home") -> str:
    """A paid bill of ``codes`` on ``till`` marked for delivery, pushed; its number."""
    store = at(till).store
    sale_id = store.bill(*codes)
    sales.set_delivery(store.ctx, sale_id, mode, store.cashier)
    sales.set_customer(store.ctx, sale_id, 1, store.cashier)
    due = sales.get(sale_id).total
    sale = sales.checkout(store.ctx, sale_id, [Tender("cash", due)], store.cashier).sale
    till.push_until_done()
    return str(sale.number)


def no_of(bill: deliveries.DeliveryBill, sku: str) -> int:
    return next(line.line_no for line in bill.lines if line.sku == sku)


def pending_of(bill: deliveries.DeliveryBill) -> dict[str, int]:
    return {line.sku: line.pending_milli for line in bill.lines}


def test_a_t1_bill_is_delivered_at_t2_then_finished_at_t1(
    tills: dict[str, Till], central: Central
) -> None:
    t1, t2, x = tills["T1"], tills["T2"], tills["X"]
    receive_rice(central, t1, 50_000)
    number = to_deliver_on(t1, "3*RICE1", "SOAP")
    assert central_rice(central, t1) == (50_000, 3000)  # sold, still in the store

    # T2 finds it in the store's pending list, and by number; another store does not
    listed = lookup(t2, central).pending(location="MAIN")
    assert [(p.number, p.terminal, p.customer_name, p.lines, p.pending_milli) for p in listed] == [
        (number, t1.name, "Lakshmi Rao", 2, 4000)
    ]
    assert lookup(t2, central).pending(name="lakshmi")[0].number == number
    assert lookup(t2, central).pending(location="BRANCH9") == []
    assert lookup(x, central).pending() == []
    with pytest.raises(OrderRefused) as refused:
        lookup(x, central).bill(number)
    assert refused.value.code == "not_found"

    copy = lookup(t2, central).bill(number.lower())
    at(t2)
    bill = deliveries.view(t2.ctx, number, copy)
    assert (bill.local, bill.terminal, bill.location, bill.mode) == (False, t1.name, "MAIN", "home")
    assert pending_of(bill) == {"RICE1": 3000, "SOAP": 1000}
    rice = no_of(bill, "RICE1")
    note = deliveries.deliver(
        t2.ctx, t2.store.cashier, number, {rice: 2000}, "courier", "AWB 42", central=copy
    )
    # not pushed yet: T2 counts its own delivery on top of the central's (stale) copy
    assert pending_of(deliveries.view(t2.ctx, number, copy)) == {"RICE1": 1000, "SOAP": 1000}
    with pytest.raises(deliveries.ValidationError, match="only 1 of 3"):
        deliveries.deliver(t2.ctx, t2.store.cashier, number, {rice: 2000}, "home", central=copy)
    moved = StockMove.get(StockMove.document == note.number)
    assert (moved.on_hand_milli, moved.reserved_milli, moved.location) == (-2000, -2000, "MAIN")
    assert Delivery.get(Delivery.number == note.number).sale_terminal == t1.name
    t2.push_until_done()
    assert central_rice(central, t2) == (48_000, 1000)

    # T1 asks the central about its own bill: T2's shipment is counted
    fresh = lookup(t1, central).bill(number)
    at(t1)
    own = deliveries.view(t1.ctx, number, fresh)
    assert own.local and own.central
    assert [(ln.sku, ln.delivered_milli, ln.pending_milli) for ln in own.lines] == [
        ("RICE1", 2000, 1000),
        ("SOAP", 0, 1000),
    ]
    # offline it knows only its own deliveries, and says what it knows
    assert pending_of(deliveries.view(t1.ctx, number)) == {"RICE1": 3000, "SOAP": 1000}
    with pytest.raises(deliveries.ValidationError, match="only 1 of 3"):
        deliveries.deliver(t1.ctx, t1.store.cashier, number, {rice: 2000}, "home", central=fresh)
    deliveries.deliver(
        t1.ctx,
        t1.store.cashier,
        number,
        {rice: 1000, no_of(own, "SOAP"): 1000},
        "pickup",
        central=fresh,
    )
    t1.push_until_done()

    done = lookup(t2, central).bill(number)
    assert [(ln.delivered_milli, ln.pending_milli) for ln in done.lines] == [(3000, 0), (1000, 0)]
    assert lookup(t2, central).pending() == []
    assert central_rice(central, t1) == (47_000, 0)
    # each till, having pulled, shows the central's level: no move counted twice
    for till in (t1, t2):
        assert at(till).engine.run_once().ok
        product = Product.get(Product.sku == "RICE1")
        level = stock.level(till.ctx, product.id)
        assert (level.on_hand, level.reserved) == (47_000, 0)
        stats = central.stats(till.name)
        assert (stats["flagged"], stats["over_delivered"]) == (0, 0)


def test_two_tills_deliver_the_last_units_at_once_both_kept_and_flagged(
    tills: dict[str, Till], central: Central
) -> None:
    t1, t2 = tills["T1"], tills["T2"]
    number = to_deliver_on(t1, "2*SOAP")
    copy = lookup(t2, central).bill(number)
    soap = no_of(copy, "SOAP")
    # T1 delivers both offline; T2, with the central's copy, delivers both too
    deliveries.deliver(at(t1).ctx, t1.store.cashier, number, {soap: 2000}, "home")
    deliveries.deliver(at(t2).ctx, t2.store.cashier, number, {soap: 2000}, "pickup", central=copy)
    at(t2).push_until_done()
    at(t1).push_until_done()  # accepted: it happened; flagged, never refused

    assert central.stats(t1.name)["over_delivered"] == 1
    assert central.stats(t2.name)["over_delivered"] == 0
    central.bind()
    [(reason,)] = [(f["reason"],) for f in flagged(t1.name)]
    assert "over-delivered" in reason and f"line {soap} of sale {number}" in reason
    assert "where 0 was left to deliver" in reason
    line = lookup(t2, central).bill(number).lines[0]
    assert (line.delivered_milli, line.pending_milli) == (4000, 0)


def test_a_return_at_t2_of_a_t1_delivery_bill_releases_what_was_pending(
    tills: dict[str, Till], central: Central
) -> None:
    t1, t2 = tills["T1"], tills["T2"]
    receive_rice(central, t1, 50_000)
    number = to_deliver_on(t1, "3*RICE1")
    rice = no_of(deliveries.view(at(t1).ctx, number), "RICE1")
    deliveries.deliver(t1.ctx, t1.store.cashier, number, {rice: 1000}, "home")
    t1.push_until_done()

    sold = StoreSales(CentralClient(central.url, t2.token, timeout=1.0))
    sale = sold.sale(number)
    assert (sale.delivery, sale.location, sale.lines[0].pending_milli) == ("home", "MAIN", 2000)
    claim = sold.claim_return(sale, [ReturnItem(rice, 2000)])
    at(t2)
    returns.create_remote(
        t2.ctx, t2.store.manager, sale, [ReturnItem(rice, 2000)], "cash", claim_id=claim.claim_id
    )
    product = Product.get(Product.sku == "RICE1")
    [move] = StockMove.select().where(StockMove.kind == "return", StockMove.product == product)
    assert (move.on_hand_milli, move.reserved_milli, move.location) == (0, -2000, "MAIN")
    t2.push_until_done()

    line = lookup(t1, central).bill(number).lines[0]
    assert (line.delivered_milli, line.returned_milli, line.pending_milli) == (1000, 2000, 0)
    assert lookup(t1, central).pending() == []
    assert central.stats(t2.name)["flagged"] == 0
    # one went, two were never delivered: nothing is held, one pack less in the store
    assert central_rice(central, t1) == (49_000, 0)


def test_a_bill_not_for_delivery_and_the_central_out_of_reach(
    tills: dict[str, Till], central: Central
) -> None:
    t1, t2 = tills["T1"], tills["T2"]
    taken = str(at(t1).store.cash_sale("SOAP").sale.number)
    t1.push_until_done()
    with pytest.raises(OrderRefused, match="not marked for delivery") as refused:
        lookup(t2, central).bill(taken)
    assert refused.value.code == "not_for_delivery"
    gone = CentralConfig(url=f"http://127.0.0.1:{free_port()}", token=t2.token)
    far = StoreDeliveries.connect(gone)
    with pytest.raises(OrdersUnavailable, match=OFFLINE_BILLS):
        far.bill(taken)
    with pytest.raises(OrdersUnavailable, match=OFFLINE_BILLS):
        far.pending()
    far.close()


def test_a_copy_fetched_before_a_delivery_was_pushed_never_lets_it_go_twice(
    tills: dict[str, Till], central: Central
) -> None:
    """The Delivery screen keeps the central's copy it fetched; after the first shipment is
    pushed (so no longer unsent), that copy alone would show nothing delivered."""
    t1 = tills["T1"]
    receive_rice(central, t1, 50_000)
    number = to_deliver_on(t1, "3*RICE1")
    copy = lookup(t1, central).bill(number)
    rice = no_of(copy, "RICE1")
    first = deliveries.deliver(t1.ctx, t1.store.cashier, number, {rice: 2000}, "home", central=copy)
    assert first.pending_milli == 1000
    t1.push_until_done()  # acknowledged: no longer among the unsent events
    second = deliveries.deliver(
        t1.ctx, t1.store.cashier, number, {rice: 1000}, "home", central=copy
    )
    assert second.pending_milli == 0
    with pytest.raises(ValidationError, match="only"):
        deliveries.deliver(t1.ctx, t1.store.cashier, number, {rice: 1000}, "home", central=copy)
    t1.push_until_done()
    assert central_rice(central, t1) == (47_000, 0)
