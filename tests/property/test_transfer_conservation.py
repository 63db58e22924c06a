"""Random transfers from MAIN to the warehouse, received with random counts: stock is
conserved (out at MAIN = in transit = in at WH plus the recorded differences), and no
stock moves without its document and the journal event that records it."""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from o2pos.core import auth, stock, transfers
from o2pos.core.errors import ApprovalRequired, ValidationError
from o2pos.core.models import Journal, Location, Product, StockMove
from o2pos.core.transfers import Count
from tests.conftest import Store, build_store
from tests.unit.test_transfers import incoming_of

SKUS = ["RICE1", "SOAP", "COLA", "TRIM", "ONION"]
KIND_OF = {"transfer_out": "transfer.sent", "transfer_in": "transfer.received"}

# a line: what, how much (pieces, or grams of the weighed onion), and what arrived of it
# as a share of it in quarters (0: nothing, 4: all, 6: half as much again)
lines = st.lists(
    st.tuples(st.sampled_from(SKUS), st.integers(1, 6), st.integers(50, 3000), st.integers(0, 6)),
    min_size=1,
    max_size=6,
)


class Shop:
    """One till that works at MAIN and at the warehouse WH (an employee of both)."""

    def __init__(self) -> None:
        self.store = build_store(Path(tempfile.mkdtemp(prefix="o2pos-transfer-")))
        with self.store.ctx.write():
            Location.create(code="WH", name="Warehouse")


SHOP: Shop | None = None


def shop() -> Store:
    global SHOP
    if SHOP is None:
        SHOP = Shop()
    return SHOP.store


def levels(store: Store) -> dict[str, tuple[stock.Level, stock.Level]]:
    out = {}
    for sku in SKUS:
        product = Product.get(Product.sku == sku).id
        out[sku] = (stock.level(store.ctx, product, "MAIN"), stock.level(store.ctx, product, "WH"))
    return out


def footprint(store: Store) -> tuple[int, int]:
    return StockMove.select().count(), Journal.select().count()


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=lines, skip_reason=st.booleans())
def test_stock_is_conserved_across_a_transfer(plan, skip_reason) -> None:
    store = shop()
    ctx, clerk = store.ctx, store.people["stock"]
    ctx.session_location = None
    start = levels(store)

    draft = transfers.start(ctx, clerk, "WH")
    for sku, pieces, grams, _ in plan:
        qty = f"{grams // 1000}.{grams % 1000:03d}" if sku == "ONION" else str(pieces)
        transfers.add_item(ctx, draft.id, f"{qty}*{sku}", clerk)
    sent = transfers.send(ctx, draft.id, clerk)
    incoming = incoming_of(store, sent.number)
    out = Counter[str]()
    for line in incoming.lines:
        out[line.sku] += line.qty_milli
    sent_now = levels(store)
    for sku in SKUS:
        (main0, wh0), (main1, wh1) = start[sku], sent_now[sku]
        assert main0.on_hand - main1.on_hand == out[sku]  # out at MAIN
        assert wh1.in_transit - wh0.in_transit == out[sku]  # = in transit at WH
        assert wh1.on_hand == wh0.on_hand

    # what arrived of each line: a share of what was sent, in whole pieces for pieces
    share = {sku: quarter for sku, _, _, quarter in plan}
    counts = []
    for line in incoming.lines:
        got = line.qty_milli * share[line.sku] // 4
        if line.sku != "ONION":
            got -= got % 1000
        counts.append(Count(line.line_no, got, "counted at the door"))
    differs = any(
        c.received_milli != ln.qty_milli for c, ln in zip(counts, incoming.lines, strict=True)
    )
    ctx.session_location = "WH"
    # refused receipts move nothing and write nothing
    before = footprint(store)
    if differs:
        if skip_reason:
            bare = [Count(c.line_no, c.received_milli) for c in counts]
            with pytest.raises(ValidationError):
                transfers.receive(ctx, clerk, incoming, bare)
        with pytest.raises(ApprovalRequired):
            transfers.receive(ctx, clerk, incoming, counts)
    assert footprint(store) == before
    approval = store.approval(auth.Perm.APPROVE_STOCK) if differs else None
    transfers.receive(ctx, clerk, incoming, counts, approval=approval)
    ctx.session_location = None

    arrived, recorded = Counter[str](), Counter[str]()
    latest = Journal.select().where(Journal.event_type == "transfer.received")
    payload = json.loads(latest.order_by(Journal.seq.desc()).get().payload)
    assert payload["transfer"] == sent.number
    for line in payload["lines"]:
        arrived[line["sku"]] += line["received_milli"]
        recorded[line["sku"]] += line["qty_milli"] - line["received_milli"]  # short - over
    done = levels(store)
    for sku in SKUS:
        (main0, wh0), (main2, wh2) = start[sku], done[sku]
        assert wh2.on_hand - wh0.on_hand == arrived[sku]  # in at WH
        assert wh2.in_transit == wh0.in_transit  # nothing left in transit
        assert out[sku] == arrived[sku] + recorded[sku]  # out = in + the differences
        # everything at both places together changed by exactly the recorded differences
        total0 = main0.on_hand + wh0.on_hand + wh0.in_transit
        total2 = main2.on_hand + wh2.on_hand + wh2.in_transit
        assert total0 - total2 == recorded[sku]
    assert_every_move_has_its_document_and_event()


def assert_every_move_has_its_document_and_event() -> None:
    """Each transfer move carries the seq of an event of its kind that names its document,
    and a document's moves are exactly its event's lines."""
    moves: dict[tuple[str, int], Counter[tuple[str, str, str]]] = {}
    for move in StockMove.select().where(StockMove.kind.in_(list(KIND_OF))):
        sku = Product.get_by_id(move.product_id).sku
        tally = moves.setdefault((move.document, move.seq), Counter())
        tally[(sku, move.location, "on_hand")] += move.on_hand_milli
        tally[(sku, move.location, "transit")] += move.transit_milli
        event = Journal.get_or_none(Journal.seq == move.seq)
        assert event is not None and event.event_type == KIND_OF[move.kind]
    for (document, seq), tally in moves.items():
        event = Journal.get(Journal.seq == seq)
        payload = json.loads(event.payload)
        assert payload["number"] == document
        expected = Counter[tuple[str, str, str]]()
        for line in payload["lines"]:
            if event.event_type == "transfer.sent":
                expected[(line["sku"], payload["from_location"], "on_hand")] -= line["qty_milli"]
                expected[(line["sku"], payload["to_location"], "transit")] += line["qty_milli"]
            else:
                expected[(line["sku"], payload["to_location"], "on_hand")] += line["received_milli"]
                expected[(line["sku"], payload["to_location"], "transit")] -= line["qty_milli"]
        assert {k: v for k, v in tally.items() if v} == {k: v for k, v in expected.items() if v}
    documents = Journal.select().where(Journal.event_type.in_(list(KIND_OF.values()))).count()
    assert len(moves) == documents  # every transfer event moved stock, each once
