"""Any sequence of deliveries and returns on a bill marked for delivery, against a model of
the rule (docs/stock.md, "Delivery"): every line keeps

    delivered + pending + returned before delivery == ordered, pending never below zero,

and stock on hand and reserved change by exactly the moves written, which are what the
model expects: a delivery takes q off both, a return releases the reservation of what was
still pending and restocks only what had been delivered. A step the model refuses, the till
refuses too, and nothing changes."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from peewee import fn

from o2pos.core import deliveries, returns, sales, stock
from o2pos.core.errors import ValidationError
from o2pos.core.models import Journal, Product, SaleLine, StockMove
from o2pos.core.payments import Tender
from o2pos.core.returns import ReturnItem
from tests.conftest import Store, build_store

ITEMS = {"SOAP": "2*SOAP", "RICE1": "3*RICE1", "ONION": "1.5*ONION"}
QTY = st.sampled_from([-1000, 0, 250, 500, 1000, 1250, 2000, 3000])
STEP = st.one_of(
    st.tuples(st.just("deliver"), st.sampled_from(list(ITEMS)), QTY, st.just(True)),
    st.tuples(st.just("return"), st.sampled_from(list(ITEMS)), QTY, st.booleans()),
)

_STORE: Store | None = None


def store() -> Store:
    global _STORE
    if _STORE is None:
        _STORE = build_store(Path(tempfile.mkdtemp(prefix="o2pos-deliveries-")))
        _STORE.open_register(100000)
    return _STORE


@dataclass
class Line:
    """The model of one line: what the rule says, computed apart from the till."""

    ordered: int
    weighed: bool
    delivered: int = 0
    returned: int = 0  # every return
    returned_before: int = 0  # returned while still pending

    @property
    def pending(self) -> int:
        return self.ordered - self.delivered - self.returned_before

    def whole(self, qty: int) -> bool:
        return self.weighed or qty % 1000 == 0


def levels(s: Store) -> dict[str, stock.Level]:
    return {sku: stock.level(s.ctx, Product.get(Product.sku == sku).id) for sku in ITEMS}


def moved(sku: str, since: int) -> tuple[int, int]:
    rows = StockMove.select().join(Product).where(Product.sku == sku, StockMove.id > since)
    return sum(m.on_hand_milli for m in rows), sum(m.reserved_milli for m in rows)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(STEP, min_size=1, max_size=12))
def test_deliveries_and_returns_keep_every_line_whole(steps) -> None:
    s = store()
    ctx = s.ctx
    first_move = StockMove.select(fn.MAX(StockMove.id)).scalar() or 0  # before this bill
    start = levels(s)
    sale_id = s.bill(*ITEMS.values())
    sales.set_delivery(ctx, sale_id, "home", s.cashier)
    due = sales.get(sale_id).total
    number = str(sales.checkout(ctx, sale_id, [Tender("cash", due)], s.cashier).sale.number)
    sold = {ln.sku: ln for ln in sales.lines_of(sales.find_by_number(number))}
    model = {sku: Line(ln.qty_milli, sku == "ONION") for sku, ln in sold.items()}
    restocked = dict.fromkeys(ITEMS, 0)

    for action, sku, qty, restock in steps:
        line = model[sku]
        before = (Journal.select().count(), levels(s))
        if action == "deliver":
            ok = 0 < qty <= line.pending and line.whole(qty)
            try:
                bill = deliveries.view(ctx, number)
                no = next(ln.line_no for ln in bill.lines if ln.sku == sku)
                deliveries.deliver(ctx, s.cashier, number, {no: qty}, "home")
            except ValidationError:
                assert not ok, (action, sku, qty, line)
                assert (Journal.select().count(), levels(s)) == before
                continue
            assert ok, (action, sku, qty, line)
            line.delivered += qty
        else:
            ok = 0 < qty <= line.ordered - line.returned and line.whole(qty)
            try:
                returns.create(
                    ctx,
                    s.manager,
                    number,
                    [ReturnItem(sold[sku].id, qty, restock=restock)],
                    "credit_note",
                )
            except ValidationError:
                assert not ok, (action, sku, qty, line)
                assert (Journal.select().count(), levels(s)) == before
                continue
            assert ok, (action, sku, qty, line)
            released = min(qty, line.pending)
            line.returned += qty
            line.returned_before += released
            if restock:
                restocked[sku] += qty - released

        bill = deliveries.view(ctx, number)
        for shown in bill.lines:
            want = model[shown.sku]
            assert shown.pending_milli >= 0
            assert (
                shown.delivered_milli + shown.pending_milli + shown.returned_milli
                == shown.ordered_milli
            )
            assert (shown.delivered_milli, shown.pending_milli, shown.returned_milli) == (
                want.delivered,
                want.pending,
                want.returned_before,
            )
        now = levels(s)
        for name, want in model.items():
            on_hand, reserved = moved(name, first_move)
            assert now[name].on_hand - start[name].on_hand == on_hand
            assert now[name].reserved - start[name].reserved == reserved
            # what the rule says: delivered goods left, pending ones are held
            assert on_hand == restocked[name] - want.delivered
            assert reserved == want.pending
    assert SaleLine.select().where(SaleLine.delivered_milli < 0).count() == 0
