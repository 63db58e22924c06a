"""Stock counts (core.counts): the variance against the on hand at the moment each line was
counted, blind counts, the approval threshold, full and category counts, posting."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from o2pos.core import auth, counts, history, stock
from o2pos.core.errors import (
    ApprovalRequired,
    NotFound,
    PermissionDenied,
    StateError,
    UnknownCode,
    ValidationError,
)
from o2pos.core.models import (
    Journal,
    Lot,
    Product,
    Stock,
    StockCount,
    StockCountLine,
    StockMove,
)
from o2pos.core.settings import StockSettings
from tests.conftest import Store


def on_hand(store: Store, sku: str) -> int:
    return stock.level(store.ctx, Product.get(Product.sku == sku).id).on_hand


def approve(store: Store) -> auth.Approval:
    return store.approval(auth.Perm.APPROVE_STOCK)


def with_threshold(store: Store, rupees: int) -> None:
    store.ctx.settings = replace(store.ctx.settings, stock=StockSettings(rupees))


def test_a_variance_of_minus_two_approved_leaves_on_hand_equal_to_the_count(store: Store) -> None:
    ctx, clerk = store.ctx, store.people["stock"]
    count = counts.start(ctx, clerk)
    line = counts.count_line(ctx, count.id, "8900000000012", 48_000, clerk)  # SOAP's barcode
    assert (line.system_milli, line.variance_milli, line.value) == (50_000, -2000, -8000)
    shown = counts.view(ctx, count.id, clerk)
    assert (shown.value, shown.gross_value, shown.needs_approval) == (-8000, 8000, True)
    before = Journal.select().count()
    with pytest.raises(ApprovalRequired, match=r"worth 80\.00"):  # the default: every variance
        counts.post(ctx, count.id, clerk)
    assert Journal.select().count() == before and on_hand(store, "SOAP") == 50_000

    posted = counts.post(ctx, count.id, clerk, approve(store))
    assert (posted.number, posted.status, posted.approved_by) == (
        "SC-T1-000001",
        "posted",
        "manager",
    )
    assert on_hand(store, "SOAP") == 48_000
    event = Journal.select().where(Journal.event_type == "stock.counted").get()
    assert (event.employee_id, event.approved_by) == ("stock", "manager")
    payload = json.loads(event.payload)
    assert payload["number"] == "SC-T1-000001" and payload["location"] == "MAIN"
    assert [(ln["sku"], ln["variance_milli"], ln["value"]) for ln in payload["lines"]] == [
        ("SOAP", -2000, -8000)
    ]
    [move] = StockMove.select().where(StockMove.kind == "count")
    assert (move.on_hand_milli, move.seq, move.document) == (-2000, event.seq, "SC-T1-000001")
    with pytest.raises(StateError, match="posted"):  # once only
        counts.post(ctx, count.id, clerk, approve(store))
    # F5 lists it with its value, newest first
    [newest, *_] = history.recent_documents(ctx)
    assert (newest.number, newest.kind, newest.amount) == ("SC-T1-000001", "stock count", -8000)


def test_a_sale_during_the_count_does_not_distort_it(store: Store) -> None:
    ctx, clerk = store.ctx, store.people["stock"]
    store.open_register()
    count = counts.start(ctx, clerk)
    counts.count_line(ctx, count.id, "SOAP", 48_000, clerk)  # 48 on the shelf, 50 on record
    store.cash_sale("3*SOAP")  # three leave after they were counted
    assert on_hand(store, "SOAP") == 47_000
    assert counts.view(ctx, count.id, clerk).lines[0].variance_milli == -2000  # still 2 missing
    counts.post(ctx, count.id, store.manager)  # a manager approves their own count
    assert on_hand(store, "SOAP") == 45_000  # 48 counted, 3 sold since: not "set to 48"


def test_counting_again_replaces_the_line_with_the_on_hand_of_that_moment(store: Store) -> None:
    ctx, clerk = store.ctx, store.people["stock"]
    store.open_register()
    count = counts.start(ctx, clerk)
    counts.count_line(ctx, count.id, "SOAP", 40_000, clerk)
    store.cash_sale("2*SOAP")
    again = counts.count_line(ctx, count.id, "SOAP", 47_000, clerk)
    assert (again.system_milli, again.variance_milli) == (48_000, -1000)
    assert StockCountLine.select().count() == 1


def test_a_blind_count_hides_the_system_figure_from_the_counter(store: Store) -> None:
    ctx, clerk = store.ctx, store.people["stock"]
    count = counts.start(ctx, clerk, blind=True)
    line = counts.count_line(ctx, count.id, "SOAP", 45_000, clerk)
    assert (line.counted_milli, line.system_milli, line.variance_milli, line.value) == (
        45_000,
        None,
        None,
        None,
    )
    shown = counts.view(ctx, count.id, clerk)
    assert not shown.shows_system
    assert (shown.value, shown.gross_value, shown.needs_approval) == (None, None, None)
    with pytest.raises(ApprovalRequired) as asked:
        counts.post(ctx, count.id, clerk)
    assert "200" not in str(asked.value)  # no figure in the words either (5 × ₹40)
    seen = counts.view(ctx, count.id, store.manager)  # who approves sees it all
    assert seen.shows_system and seen.lines[0].system_milli == 50_000 and seen.value == -20000
    counts.post(ctx, count.id, clerk, approve(store))
    assert on_hand(store, "SOAP") == 45_000


def test_the_approval_threshold_goes_by_the_variances_worth_whatever_their_sign(
    store: Store,
) -> None:
    ctx, clerk = store.ctx, store.people["stock"]
    with_threshold(store, 100)  # ₹100
    small = counts.start(ctx, clerk)
    counts.count_line(ctx, small.id, "SOAP", 48_000, clerk)  # -2 × ₹40 = ₹80
    assert counts.post(ctx, small.id, clerk).approved_by is None

    swapped = counts.start(ctx, clerk)
    counts.count_line(ctx, swapped.id, "SOAP", 50_000, clerk)  # +2 (48 on record now)
    counts.count_line(ctx, swapped.id, "COLA", 48_000, clerk)  # -2, same price
    shown = counts.view(ctx, swapped.id, clerk)
    assert (shown.value, shown.gross_value, shown.needs_approval) == (0, 16000, True)
    with pytest.raises(ApprovalRequired, match=r"160\.00, above 100\.00"):
        counts.post(ctx, swapped.id, clerk)
    # an approval for something else is no approval
    with pytest.raises(PermissionDenied, match="something else"):
        counts.post(ctx, swapped.id, clerk, store.approval(auth.Perm.VOID))
    counts.post(ctx, swapped.id, clerk, approve(store))
    assert (on_hand(store, "SOAP"), on_hand(store, "COLA")) == (50_000, 48_000)


def test_a_full_count_counts_what_was_not_scanned_as_zero(store: Store) -> None:
    ctx, clerk = store.ctx, store.people["stock"]
    count = counts.start(ctx, clerk, scope="full")
    counts.count_line(ctx, count.id, "SOAP", 50_000, clerk)
    shown = counts.view(ctx, count.id, clerk)
    active = Product.select().where(Product.active == True).count()  # each has 50 here
    assert shown.uncounted == active - 1
    assert shown.gross_value is not None and shown.gross_value > 0
    posted = counts.post(ctx, count.id, store.manager)
    assert on_hand(store, "SOAP") == 50_000
    assert on_hand(store, "RICE1") == on_hand(store, "COLA") == 0
    assert on_hand(store, "OLD") == 50_000  # no longer sold, so not counted: left alone
    payload = json.loads(Journal.get(Journal.event_type == "stock.counted").payload)
    zeroed = {ln["sku"] for ln in payload["lines"] if ln["uncounted"]}
    assert "RICE1" in zeroed and "SOAP" not in zeroed
    assert payload["value"] == -sum(
        counts.line_value(50_000, p.price)
        for p in Product.select().where(Product.active == True, Product.sku != "SOAP")
    )
    assert StockCountLine.select().where(StockCountLine.count == posted.id).count() == active


def test_a_category_count_takes_only_that_category(store: Store) -> None:
    ctx, clerk = store.ctx, store.people["stock"]
    Product.update(category="Drinks").where(Product.sku.in_(["COLA", "MILK"])).execute()
    with pytest.raises(NotFound, match="category"):
        counts.start(ctx, clerk, scope="category:Toys")
    count = counts.start(ctx, clerk, scope="category:drinks")
    assert count.scope == "category:Drinks"
    with pytest.raises(ValidationError, match="not in Drinks"):
        counts.count_line(ctx, count.id, "SOAP", 1000, clerk)
    counts.count_line(ctx, count.id, "COLA", 49_000, clerk)
    assert counts.view(ctx, count.id, clerk).uncounted == 1  # MILK
    counts.post(ctx, count.id, store.manager)
    assert (on_hand(store, "COLA"), on_hand(store, "MILK"), on_hand(store, "SOAP")) == (
        49_000,
        0,
        50_000,
    )


def test_bad_input_is_refused_and_changes_nothing(store: Store) -> None:
    ctx, clerk = store.ctx, store.people["stock"]
    count = counts.start(ctx, clerk)
    for text in ("-1", "abc", "1.2345", "", "1e3"):
        with pytest.raises(ValidationError):
            counts.parse_count(text)
    assert counts.parse_count("0") == 0 and counts.parse_count("1.25") == 1250
    assert counts.parse_entry(" 48 * SOAP ") == (48_000, "SOAP")
    assert counts.parse_entry("0*COLA") == (0, "COLA") and counts.parse_entry("SOAP") == (
        None,
        "SOAP",
    )
    with pytest.raises(ValidationError, match="type the count"):
        counts.parse_entry("x*SOAP")
    with pytest.raises(ValidationError, match="whole pcs"):
        counts.count_line(ctx, count.id, "SOAP", 1500, clerk)
    with pytest.raises(ValidationError, match="0 or more"):
        counts.count_line(ctx, count.id, "SOAP", -1000, clerk)
    with pytest.raises(UnknownCode):
        counts.count_line(ctx, count.id, "NOPE", 1000, clerk)
    with pytest.raises(ValidationError, match="at least one"):
        counts.post(ctx, count.id, clerk)
    assert StockCountLine.select().count() == 0
    counts.count_line(ctx, count.id, "ONION", 1250, clerk)  # weighed: thousandths are fine
    counts.count_line(ctx, count.id, "COLA", 0, clerk)  # nothing on the shelf is a count
    assert StockCountLine.select().count() == 2


def test_who_may_count_and_cancel(store: Store) -> None:
    ctx, clerk = store.ctx, store.people["stock"]
    with pytest.raises(PermissionDenied):
        counts.start(ctx, store.cashier)
    count = counts.start(ctx, clerk)
    with pytest.raises(StateError, match="already open"):
        counts.start(ctx, store.manager)
    assert counts.current(ctx) is not None and counts.current(ctx).id == count.id  # type: ignore[union-attr]
    counts.count_line(ctx, count.id, "SOAP", 1000, clerk)
    with pytest.raises(PermissionDenied):
        counts.count_line(ctx, count.id, "SOAP", 1000, store.cashier)
    before = Journal.select().count()
    counts.cancel(ctx, count.id, clerk)
    assert StockCount.get_by_id(count.id).status == "cancelled" and counts.current(ctx) is None
    assert Journal.select().count() == before and StockMove.select().count() == 0
    with pytest.raises(StateError, match="cancelled"):
        counts.post(ctx, count.id, store.manager)
    assert on_hand(store, "SOAP") == 50_000


def test_a_count_belongs_to_its_location(store: Store) -> None:
    ctx, clerk = store.ctx, store.people["stock"]
    count = counts.start(ctx, clerk)
    counts.count_line(ctx, count.id, "SOAP", 49_000, clerk)
    ctx.session_location = "WH"
    assert counts.current(ctx) is None
    with pytest.raises(StateError, match="of MAIN"):
        counts.post(ctx, count.id, store.manager)
    ctx.session_location = None
    counts.post(ctx, count.id, store.manager)
    assert StockMove.get(StockMove.kind == "count").location == "MAIN"


def test_a_lot_tracked_loss_comes_off_the_oldest_lots_first(store: Store) -> None:
    ctx, clerk = store.ctx, store.people["stock"]
    count = counts.start(ctx, clerk)
    counts.count_line(ctx, count.id, "MILK", 45_000, clerk)  # 50 on record: 5 short
    counts.post(ctx, count.id, store.manager)
    lots = {lot.lot_no: lot.qty_milli for lot in Lot.select()}
    assert lots == {"OLD": 0, "NEW": 2000}  # 2 from OLD, 3 from NEW
    moves = sorted((m.lot_no or "", m.on_hand_milli) for m in StockMove.select())
    assert moves == [("NEW", -3000), ("OLD", -2000)]
    assert on_hand(store, "MILK") == 45_000
    payload = json.loads(Journal.get(Journal.event_type == "stock.counted").payload)
    assert payload["lines"][0]["lots"] == [
        {"lot_no": "OLD", "qty_milli": -2000},
        {"lot_no": "NEW", "qty_milli": -3000},
    ]


def test_a_count_posts_no_more_products_than_one_event_carries(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The central takes at most 65,536 values in a payload: a count beyond MAX_LINES
    products is refused before anything is written (a full one as it starts, and again as
    it is posted, stock may have come in meanwhile), never pushed to block the queue."""
    ctx, clerk = store.ctx, store.people["stock"]
    active = Product.select().where(Product.active == True).count()
    monkeypatch.setattr(counts, "MAX_LINES", active - 1)
    with pytest.raises(ValidationError, match=f"full count here takes {active} products"):
        counts.start(ctx, clerk, scope="full")
    monkeypatch.setattr(counts, "MAX_LINES", active)
    count = counts.start(ctx, clerk, scope="full")
    counts.count_line(ctx, count.id, "SOAP", 50_000, clerk)
    received = Product.create(sku="NEW1", name="New Item", price=100, tax_class="GST5")
    Stock.create(product=received, location="MAIN", qty_milli=1000)  # one more to count
    before = Journal.select().count()
    with pytest.raises(ValidationError, match="count by category"):
        counts.post(ctx, count.id, store.manager)
    assert Journal.select().count() == before and StockMove.select().count() == 0
    counts.cancel(ctx, count.id, clerk)
    monkeypatch.setattr(counts, "MAX_LINES", 1)
    small = counts.start(ctx, clerk)
    counts.count_line(ctx, small.id, "SOAP", 50_000, clerk)
    with pytest.raises(ValidationError, match="at most 1 products"):
        counts.count_line(ctx, small.id, "COLA", 50_000, clerk)
    counts.count_line(ctx, small.id, "SOAP", 49_000, clerk)  # counting it again is no new line


def test_a_count_whose_lots_would_not_fit_one_event_is_refused(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx, clerk = store.ctx, store.people["stock"]
    count = counts.start(ctx, clerk)
    counts.count_line(ctx, count.id, "MILK", 40_000, clerk)  # a loss over two lots
    counts.count_line(ctx, count.id, "SOAP", 40_000, clerk)
    monkeypatch.setattr(counts, "PAYLOAD_VALUES", 16 + 8 + 8 + 2 + 3)  # one lot's room only
    with pytest.raises(ValidationError, match="too many products and lots"):
        counts.post(ctx, count.id, store.manager)
    assert StockMove.select().count() == 0
    monkeypatch.setattr(counts, "PAYLOAD_VALUES", 16 + 8 + 8 + 2 + 6)
    counts.post(ctx, count.id, store.manager)
