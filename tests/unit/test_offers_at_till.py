"""Offers wired into the till: the real core (SQLite file, repricing, checkout, returns)
with offers pulled as master data."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from o2pos.core import eventschema, masterdata, offerdata, returns, sales
from o2pos.core.errors import ValidationError
from o2pos.core.models import Journal, Product
from o2pos.core.payments import Tender
from o2pos.core.returns import ReturnItem
from o2pos.core.sales.promotions import promotions
from tests.conftest import Store

B2G1 = {"name": "Buy 2 get 1 free", "kind": "buy_get", "skus": ["SOAP"], "buy_qty": 2,
        "get_qty": 1, "active": True}  # fmt: skip
DRINKS = {"name": "10 % off drinks", "kind": "percent", "categories": ["Drinks"],
          "value": 1000, "active": True}  # fmt: skip
BIG_BILL = {"name": "₹50 off above ₹500", "kind": "threshold", "value_kind": "amount",
            "value": 5000, "min_total": 50000, "active": True}  # fmt: skip


def offer(store: Store, code: str, data: dict[str, Any], version: int = 1) -> None:
    """As the till gets an offer: a master-data record pulled from the central."""
    masterdata.apply(
        store.ctx, [{"kind": "offer", "key": code, "version": version, "data": data}], version
    )


def with_offers(store: Store) -> None:
    Product.update(category="Drinks").where(Product.sku == "COLA").execute()
    for number, (code, data) in enumerate(
        [("B2G1", B2G1), ("DRINKS10", DRINKS), ("BIG50", BIG_BILL)], start=1
    ):
        offer(store, code, data, number)


def line(store: Store, sale_id: int, sku: str) -> sales.LineView:
    [found] = [v for v in sales.line_views(sale_id) if v.name == product_name(sku)]
    return found


def product_name(sku: str) -> str:
    return str(Product.get(Product.sku == sku).name)


def test_three_soaps_make_one_free_named_on_the_line(store: Store) -> None:
    with_offers(store)
    sale_id = store.bill("SOAP", "SOAP")
    assert sales.get(sale_id).total == 8000
    assert promotions(store.ctx, sale_id).hints == ["add 1 more for Buy 2 get 1 free"]
    sales.add_item(store.ctx, sale_id, "SOAP", store.cashier)
    soap = line(store, sale_id, "SOAP")
    assert (soap.qty_milli, soap.offer_discount, soap.offer_name, soap.total) == (
        3000,
        4000,
        "Buy 2 get 1 free",
        8000,
    )
    sale = sales.get(sale_id)
    assert sale.total == 8000 and sale.discount_total == 4000
    assert sale.notice == "Buy 2 get 1 free applies: 1 Neem Soap 100 g free."
    assert promotions(store.ctx, sale_id).applied == [("Buy 2 get 1 free", 4000)]


def test_removing_one_says_the_free_item_is_gone(store: Store) -> None:
    with_offers(store)
    sale_id = store.bill("3*SOAP")
    soap = line(store, sale_id, "SOAP")
    sales.set_qty(store.ctx, sale_id, soap.id, 2000, store.cashier)
    sale = sales.get(sale_id)
    assert sale.total == 8000 and sale.offer_discount == 0
    assert sale.notice == ("Buy 2 get 1 free no longer applies: 1 Neem Soap 100 g not free.")
    assert line(store, sale_id, "SOAP").offer_name is None
    # the next change says nothing more about it
    sales.add_item(store.ctx, sale_id, "COLA", store.cashier)
    assert "Buy 2 get 1" not in (sales.get(sale_id).notice or "")


def test_removing_the_line_says_so_too(store: Store) -> None:
    with_offers(store)
    sale_id = store.bill("6*SOAP", "RICE1")
    assert sales.get(sale_id).offer_discount == 8000
    sales.remove_line(store.ctx, sale_id, line(store, sale_id, "SOAP").id, store.cashier)
    assert sales.get(sale_id).notice == (
        "Buy 2 get 1 free no longer applies: 2 Neem Soap 100 g not free."
    )


def test_a_category_offer_comes_before_a_manual_line_discount(store: Store) -> None:
    with_offers(store)
    sale_id = store.bill("2*COLA")
    cola = line(store, sale_id, "COLA")
    assert (cola.offer_discount, cola.offer_name, cola.total) == (800, "10 % off drinks", 7200)
    # 10 % off what the offer leaves (72.00): 7.20
    sales.set_line_discount(store.ctx, sale_id, cola.id, "percent", 1000, store.manager)
    cola = line(store, sale_id, "COLA")
    assert (cola.line_discount, cola.total) == (720, 6480)


def test_a_threshold_offer_is_shared_before_the_bill_discount(store: Store) -> None:
    with_offers(store)
    sale_id = store.bill("3*SOAP", "2*RICE1", "COLA")  # 120 + 378 + 40 = 538.00 goods
    # soap offer 40.00, drinks 4.00: 494.00 after the line offers, below 500: no threshold
    assert sales.get(sale_id).bill_offer is None
    assert promotions(store.ctx, sale_id).hints == ["add 6.00 more for ₹50 off above ₹500"]
    sales.add_item(store.ctx, sale_id, "COLA", store.cashier)  # 530.00 after line offers
    sale = sales.get(sale_id)
    assert json.loads(sale.bill_offer) == {"code": "BIG50", "name": "₹50 off above ₹500",
                                           "amount": 5000}  # fmt: skip
    assert sale.total == 57800 - 4000 - 800 - 5000
    sales.set_order_discount(store.ctx, sale_id, "percent", 1000, store.manager)
    sale = sales.get(sale_id)
    # 10 % of what the offers leave (480.00): 48.00
    assert sale.total == 48000 - 4800 and sale.offer_discount == 9800
    shares = [
        g["amount"]
        for ln in sales.lines_of(sale)
        for g in json.loads(ln.offers or "[]")
        if g["code"] == "BIG50"
    ]
    assert sum(shares) == 5000 and len(shares) == 3


def test_an_exclusive_offer_alone_when_it_gives_more(store: Store) -> None:
    with_offers(store)
    offer(store, "HALF", {"name": "Half price day", "kind": "percent", "value": 5000,
                          "exclusive": True, "active": True}, 4)  # fmt: skip
    sale_id = store.bill("3*SOAP")
    soap = line(store, sale_id, "SOAP")
    assert (soap.offer_name, soap.offer_discount) == ("Half price day", 6000)
    offer(store, "HALF", {"name": "Half price day", "kind": "percent", "value": 1000,
                          "exclusive": True, "active": True}, 5)  # fmt: skip
    sales.add_item(store.ctx, sale_id, "RICE1", store.cashier)
    sale = sales.get(sale_id)
    assert line(store, sale_id, "SOAP").offer_name == "Buy 2 get 1 free"
    assert "Half price day no longer applies." in sale.notice
    assert "Buy 2 get 1 free applies" in sale.notice


def test_a_coupon_is_refused_while_an_offer_forbids_it(store: Store) -> None:
    with_offers(store)
    offer(store, "B2G1", {**B2G1, "with_coupons": False}, 4)
    sale_id = store.bill("3*SOAP", "2*RICE1")
    with pytest.raises(ValidationError, match="Buy 2 get 1 free does not go with coupons"):
        sales.apply_coupon(store.ctx, sale_id, "FLAT50", store.cashier)
    assert sales.get(sale_id).coupon_code is None
    # a coupon on the bill before such an offer applies leaves it, and the cashier is told
    other = store.bill("2*SOAP", "2*RICE1")
    sales.apply_coupon(store.ctx, other, "FLAT50", store.cashier)
    sales.add_item(store.ctx, other, "SOAP", store.cashier)
    sale = sales.get(other)
    assert sale.coupon_code is None
    assert "Coupon FLAT50 removed: Buy 2 get 1 free does not go with coupons" in sale.notice


def test_a_bad_offer_is_refused_whole(store: Store) -> None:
    with pytest.raises(ValidationError, match="offer BAD: buy_qty and get_qty"):
        offer(store, "BAD", {"name": "Bad", "kind": "buy_get", "active": True})
    assert offerdata.listing() == []


def test_the_journal_says_which_offer_gave_what(store: Store) -> None:
    with_offers(store)
    store.open_register()
    result = store.cash_sale("3*SOAP", "2*RICE1", "2*COLA")
    event = (
        Journal.select()
        .where(Journal.event_type == "sale.completed")
        .order_by(Journal.seq.desc())
        .get()
    )
    payload = json.loads(event.payload)
    assert eventschema.problem("sale.completed", payload, strict=True) is None
    by_sku = {ln["sku"]: ln for ln in payload["lines"]}
    assert by_sku["SOAP"]["offers"][0] == {"code": "B2G1", "name": "Buy 2 get 1 free",
                                           "amount": 4000}  # fmt: skip
    assert by_sku["COLA"]["offers"][0]["code"] == "DRINKS10"
    assert payload["bill_offer"]["code"] == "BIG50"
    assert payload["offer_discount"] == 4000 + 800 + 5000
    assert sum(ln["offer_discount"] for ln in payload["lines"]) == payload["offer_discount"]
    assert result.sale.total == 57800 - 9800


def test_a_return_refunds_what_was_paid_for_the_line(store: Store) -> None:
    with_offers(store)
    store.open_register()
    result = store.cash_sale("3*SOAP")
    [soap] = sales.lines_of(result.sale)
    assert soap.total == 8000
    ret = returns.create(
        store.ctx, store.manager, result.sale.number, [ReturnItem(soap.id, 3000)], "cash"
    )
    assert ret.total == 8000  # three soaps back: what was paid, not three times 40.00


# --- properties --------------------------------------------------------------------------

CODES = ["SOAP", "COLA", "RICE1", "TRIM", "UPC1"]
cart_strategy = st.lists(st.tuples(st.sampled_from(CODES), st.integers(1, 4)), max_size=8)


def _ring(store: Store, items: list[tuple[str, int]]) -> int:
    sale_id = sales.new(store.ctx, store.cashier).id
    for code, qty in items:
        sales.add_item(store.ctx, sale_id, f"{qty}*{code}", store.cashier)
    return sale_id


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(items=cart_strategy, data=st.data())
def test_any_order_gives_the_same_bill_never_negative(
    store: Store, items: list[tuple[str, int]], data: st.DataObject
) -> None:
    if not offerdata.listing():
        with_offers(store)
        offer(store, "TRIMSOAP", {"name": "Trimmer with soap", "kind": "bundle",
                                  "skus": ["TRIM", "SOAP"], "bundle_price": 90000,
                                  "active": True}, 4)  # fmt: skip
        offer(store, "TISSUE", {"name": "₹300 off tissue", "kind": "amount", "skus": ["UPC1"],
                                "value": 30000, "active": True}, 5)  # fmt: skip
    shuffled = data.draw(st.permutations(items))
    first, second = _ring(store, items), _ring(store, list(shuffled))
    a, b = sales.get(first), sales.get(second)
    assert (a.total, a.offer_discount, a.tax_total) == (b.total, b.offer_discount, b.tax_total)
    assert a.total >= 0
    for ln in sales.lines_of(a):
        assert ln.total >= 0 and ln.offer_discount <= ln.gross
    for sale_id in (first, second):
        sales.cancel(store.ctx, sale_id, store.manager, reason="test")


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(items=st.lists(st.tuples(st.sampled_from(CODES), st.integers(1, 4)), min_size=1, max_size=5),
       parts=st.integers(1, 3))  # fmt: skip
def test_returns_never_refund_more_than_paid_per_line(
    store: Store, items: list[tuple[str, int]], parts: int
) -> None:
    if not offerdata.listing():
        with_offers(store)
        store.open_register()
    sale_id = _ring(store, items)
    due = sales.get(sale_id).total
    sale = sales.checkout(store.ctx, sale_id, [Tender("cash", due)], store.cashier).sale
    everything = 0
    for ln in sales.lines_of(sale):
        refunded = 0
        left = ln.qty_milli
        for part in range(parts):
            qty = left if part == parts - 1 else min(left, 1000)
            if qty <= 0:
                break
            ret = returns.create(
                store.ctx, store.manager, sale.number, [ReturnItem(ln.id, qty)], "cash"
            )
            refunded += ret.total - ret.round_off  # the bill's round-off goes back apart
            everything += ret.total
            left -= qty
        assert refunded <= ln.total
    assert everything == sale.total


def test_the_demo_store_ships_its_offers(store: Store) -> None:
    from o2pos.core.demo import load_demo

    Product.update(plu=None).where(Product.sku == "ONION").execute()  # the demo's onion's
    load_demo(store.ctx)
    assert [code for code, *_ in offerdata.listing()] == ["BILL3000", "DETTOL-B2G1", "SNACKS10"]
    sale_id = store.bill("8901054000003", "8901054000003")  # Dettol Original Soap 125 g
    assert promotions(store.ctx, sale_id).hints == ["add 1 more for Buy 2 get 1 free"]
    sales.add_item(store.ctx, sale_id, "8901054000003", store.cashier)
    [soap] = sales.line_views(sale_id)
    assert (soap.offer_name, soap.offer_discount) == ("Buy 2 get 1 free", 4800)
    sales.add_item(store.ctx, sale_id, "8901028000008", store.cashier)  # Lay's, Snacks
    chips = sales.line_views(sale_id)[1]
    assert (chips.offer_name, chips.offer_discount) == ("10 % off snacks", 200)
    sales.add_item(store.ctx, sale_id, "6*8901001000018", store.cashier)  # rice 5 kg, 545.00
    assert json.loads(sales.get(sale_id).bill_offer)["code"] == "BILL3000"
    assert sales.get(sale_id).offer_discount == 4800 + 200 + 10000


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(items=st.lists(st.tuples(st.sampled_from(CODES), st.integers(1, 4)), min_size=1, max_size=6),
       changes=st.lists(st.tuples(st.integers(0, 9), st.integers(0, 4)), max_size=4),
       data=st.data())  # fmt: skip
def test_changes_in_any_order_end_at_the_bill_of_the_cart_they_leave(
    store: Store,
    items: list[tuple[str, int]],
    changes: list[tuple[int, int]],
    data: st.DataObject,
) -> None:
    """Quantities changed and lines taken off after scanning give the bill that ringing up
    the cart they leave gives, in any order: offers depend on the cart, not its history."""
    if not offerdata.listing():
        with_offers(store)
    first = _ring(store, items)
    for pick, qty in changes:
        lines = sales.lines_of(sales.get(first))
        if not lines:
            break
        chosen = lines[pick % len(lines)]
        if qty == 0:
            sales.remove_line(store.ctx, first, chosen.id, store.cashier)
        else:
            sales.set_qty(store.ctx, first, chosen.id, qty * 1000, store.cashier)
    left = [(ln.sku, ln.qty_milli // 1000) for ln in sales.lines_of(sales.get(first))]
    second = _ring(store, data.draw(st.permutations(left)))
    a, b = sales.get(first), sales.get(second)
    assert (a.total, a.offer_discount, a.discount_total) == (
        b.total,
        b.offer_discount,
        b.discount_total,
    )
    assert a.total >= 0
    for sale_id in (first, second):
        sales.cancel(store.ctx, sale_id, store.manager, reason="test")


def test_a_till_from_before_offers_is_brought_up_to_date(store: Store) -> None:
    """Schema step 17 -> 18: the offer table and the offer columns of bills and lines; a
    bill from before sells on, and the offers pulled next apply to it."""
    from o2pos.core import db as schema

    database = store.ctx.db
    sale_id = store.bill("3*SOAP")
    database.execute_sql("DROP TABLE offer")
    for table, column in [
        ("sale", "offer_discount"),
        ("sale", "bill_offer"),
        ("sale", "offers_state"),
        ("sale_line", "offer_discount"),
        ("sale_line", "offers"),
    ]:
        database.execute_sql(f"ALTER TABLE {table} DROP COLUMN {column}")
    database.execute_sql("PRAGMA user_version = 17")
    schema.create_schema(database)
    assert database.execute_sql("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
    assert sales.get(sale_id).offer_discount == 0
    with_offers(store)
    sales.add_item(store.ctx, sale_id, "RICE1", store.cashier)
    assert sales.get(sale_id).offer_discount == 4000


def test_an_offer_for_a_customer_group_applies_once_such_a_customer_is_chosen(
    store: Store,
) -> None:
    """Staff 10 % names the staff group: a walk-in bill does not get it, the same bill for a
    staff customer does (the group from ``core.pricelists``), and back to walk-in it goes."""
    from o2pos.core.models import Customer

    staff = {**DRINKS, "name": "Staff 10 %", "categories": [], "groups": ["staff"]}
    offer(store, "STAFF10", staff)
    Customer.update(group_code="staff").where(Customer.uuid == "c-local").execute()
    customer = Customer.get(Customer.uuid == "c-local")
    sale_id = store.bill("RICE1")
    walk_in = sales.get(sale_id).total
    assert sales.get(sale_id).offer_discount == 0
    sales.set_customer(store.ctx, sale_id, customer.id, store.cashier)
    sale = sales.get(sale_id)
    assert sale.offer_discount == walk_in // 10
    assert line(store, sale_id, "RICE1").offer_name == "Staff 10 %"
    sales.set_customer(store.ctx, sale_id, None, store.cashier)
    assert sales.get(sale_id).offer_discount == 0
    assert sales.get(sale_id).total == walk_in
