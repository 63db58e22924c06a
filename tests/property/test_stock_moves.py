"""No stock move without its document and journal event: random days of sales (some for
delivery, some from lots), returns and counts; every move must name the journal event that
records it, of the matching type and document number, and the levels must be the moves."""

from __future__ import annotations

import json
import tempfile
from collections import defaultdict
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from o2pos.core import auth, counts, returns, sales
from o2pos.core.models import Journal, Product, Sale, Stock, StockMove
from o2pos.core.payments import Tender
from tests.conftest import build_store

# which journal event records the moves of each kind, and where its number is
EVENT_OF_KIND = {
    "sale": "sale.completed",
    "return": "return.completed",
    "count": "stock.counted",
    "delivery": "delivery.recorded",
    "transfer_out": "transfer.sent",
    "transfer_in": "transfer.received",
}
SKUS = ["RICE1", "SOAP", "COLA", "MILK"]  # MILK is sold by lot

step = st.one_of(
    st.tuples(st.just("sale"), st.sampled_from(SKUS), st.integers(1, 4), st.booleans()),
    st.tuples(st.just("return"), st.integers(0, 9), st.integers(1, 2), st.booleans()),
    st.tuples(st.just("count"), st.sampled_from(SKUS), st.integers(0, 60), st.booleans()),
)


def run_day(steps: list[tuple[str, object, int, bool]]) -> None:
    store = build_store(Path(tempfile.mkdtemp(prefix="o2pos-moves-")))
    ctx, cashier, manager, clerk = store.ctx, store.cashier, store.manager, store.people["stock"]
    store.open_register()
    start = {row.product_id: (row.qty_milli, row.reserved_milli) for row in Stock.select()}
    sold: list[str] = []
    for kind, what, qty, flag in steps:
        if kind == "sale":
            sale_id = store.bill()
            try:
                sales.add_item(ctx, sale_id, f"{qty}*{what}", cashier)
            except Exception:  # a lot ran out: nothing was added, the bill stays empty
                sales.cancel(ctx, sale_id, cashier)
                continue
            if flag:  # for delivery: reserved now, on hand moves when it is delivered
                Sale.update(delivery="home").where(Sale.id == sale_id).execute()
            due = sales.get(sale_id).total
            done = sales.checkout(ctx, sale_id, [Tender("cash", due)], cashier)
            sold.append(str(done.sale.number))
        elif kind == "return" and sold:
            number = sold[int(str(what)) % len(sold)]
            line = sales.lines_of(sales.find_by_number(number))[0]
            if line.qty_milli - line.returned_milli < qty * 1000:
                continue
            items = [returns.ReturnItem(line.id, qty * 1000, restock=flag)]
            returns.create(ctx, manager, number, items, "cash")
        elif kind == "count":
            count = counts.start(ctx, clerk, scope="scanned", blind=flag)
            counts.count_line(ctx, count.id, str(what), qty * 1000, clerk)
            counts.post(ctx, count.id, clerk, store.approval(auth.Perm.APPROVE_STOCK))

    events = {row.seq: row for row in Journal.select()}
    level: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for move in StockMove.select():
        event = events.get(move.seq)
        assert event is not None, f"move {move.id} names no journal event (seq {move.seq})"
        assert event.event_type == EVENT_OF_KIND[move.kind], (move.kind, event.event_type)
        payload = json.loads(event.payload)
        assert payload["number"] == move.document, (payload["number"], move.document)
        assert payload.get("location", move.location) == move.location
        level[move.product_id][0] += move.on_hand_milli
        level[move.product_id][1] += move.reserved_milli
    # the levels are where the moves left them
    for row in Stock.select().where(Stock.location == "MAIN"):
        on_hand, reserved = start[row.product_id]
        moved = level[row.product_id]
        assert (row.qty_milli, row.reserved_milli) == (on_hand + moved[0], reserved + moved[1])
    # a count's moves are its variances, product by product
    for event in events.values():
        if event.event_type != "stock.counted":
            continue
        moves: dict[str, int] = defaultdict(int)
        for move in StockMove.select().where(StockMove.seq == event.seq):
            moves[Product.get_by_id(move.product_id).sku] += move.on_hand_milli
        payload = json.loads(event.payload)
        wanted = {
            ln["sku"]: ln["variance_milli"] for ln in payload["lines"] if ln["variance_milli"]
        }
        assert dict(moves) == wanted
    ctx.db.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(step, min_size=1, max_size=10))
def test_every_move_names_its_document_and_journal_event(
    steps: list[tuple[str, object, int, bool]],
) -> None:
    run_day(steps)
