"""Loyalty points on the till: earned on what was paid, on the slip, taken back by returns,
redeemed as a tender (issue 15)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from o2pos.core import loyalty, masterdata, returns, sales
from o2pos.core.errors import PaymentError
from o2pos.core.eventschema import problem
from o2pos.core.models import Customer, Journal, Product, SaleLine
from o2pos.core.payments import Tender
from o2pos.core.returns import ReturnItem
from o2pos.printing import documents, layouts
from o2pos.printing.layouts import Options
from tests.conftest import Store

SCHEME = {
    "spend_per_point": 10000,  # a point per ₹100
    "category_rates": {"Household": 20000},  # double
    "excluded": ["COLA"],
    "point_value": 100,  # a point pays ₹1
    "min_redeem": 10,
    "active": True,
}


def setup_points(store: Store, balance: int = 0) -> str:
    Product.update(category="Household").where(Product.sku == "SOAP").execute()
    records: list[dict[str, Any]] = [
        {"kind": "loyalty", "key": "default", "version": 1, "data": SCHEME}
    ]
    if balance:
        records.append(
            {
                "kind": "points",
                "key": "c-local",
                "version": 2,
                "data": {"balance": balance, "as_of": {}},
            }
        )
    masterdata.apply(store.ctx, records, 2)
    store.open_register()
    return "c-local"


def checkout_for(store: Store, codes: list[str], tenders: list[Tender] | None = None) -> Any:
    sale_id = store.bill(*codes)
    sales.set_customer(
        store.ctx, sale_id, Customer.get(Customer.uuid == "c-local").id, store.cashier
    )
    due = sales.get(sale_id).total
    return sales.checkout(store.ctx, sale_id, tenders or [Tender("cash", due)], store.cashier)


def event(kind: str) -> dict[str, Any]:
    row = Journal.select().where(Journal.event_type == kind).order_by(Journal.seq.desc()).get()
    payload = json.loads(row.payload)
    assert problem(kind, payload, strict=True) is None
    return payload


def slip_text(kind: str) -> str:
    row = Journal.select().where(Journal.event_type == kind).order_by(Journal.seq.desc()).get()
    doc = documents.from_event(row)
    return layouts.slip_for(doc, store_settings(), Options(width=42)).text()


def store_settings() -> Any:
    from o2pos.core.settings import StoreSettings

    return StoreSettings(name="Test Mart", state_code="29")


def test_points_are_earned_on_what_was_paid_and_shown_on_the_slip(store: Store) -> None:
    uuid = setup_points(store, balance=40)
    # rice 189.00 earns 1.89 points' worth, soap 40.00 double (0.80), cola nothing: 2 points
    checkout_for(store, ["RICE1", "SOAP", "COLA"])
    points = event("sale.completed")["points"]
    assert points == {"customer": uuid, "earned": 2, "redeemed": 0, "balance": 42}
    assert loyalty.balance(uuid) == 42
    text = slip_text("sale.completed")
    assert "Points earned" in text and text.split("Points balance")[1].split()[0] == "42"


def test_a_walk_in_bill_earns_nothing_and_says_nothing(store: Store) -> None:
    setup_points(store)
    store.cash_sale("RICE1")
    assert "points" not in event("sale.completed")
    assert "Points" not in slip_text("sale.completed")


def test_a_return_takes_back_points_in_proportion_never_more(store: Store) -> None:
    uuid = setup_points(store)
    result = checkout_for(store, ["5*RICE1"])  # 945.00: 9 points
    assert event("sale.completed")["points"]["earned"] == 9
    [line] = SaleLine.select().where(SaleLine.sale == result.sale.id)
    taken = []
    for _ in range(5):  # one bag at a time: 1.8 points each
        returns.create(
            store.ctx, store.manager, result.sale.number, [ReturnItem(line.id, 1000)], "cash"
        )
        taken.append(event("return.completed")["points"]["reversed"])
    assert taken == [1, 2, 2, 2, 2]  # 9 × 1/5, 2/5 ... rounded down: 1, 3, 5, 7, 9
    assert loyalty.balance(uuid) == 0
    assert "Points taken back" in slip_text("return.completed")


def test_points_pay_as_a_tender_at_their_value(store: Store) -> None:
    uuid = setup_points(store, balance=50)
    # 189.00: 50 points pay 50.00, cash the rest; points are earned on the 139.00 paid
    checkout_for(store, ["RICE1"], [Tender("points", 5000), Tender("cash", 13900)])
    points = event("sale.completed")["points"]
    assert points == {"customer": uuid, "earned": 1, "redeemed": 50, "balance": 1}
    payments = event("sale.completed")["payments"]
    assert (payments[0]["kind"], payments[0]["amount"], payments[0]["reference"]) == (
        "points",
        5000,
        uuid,
    )
    assert "Points redeemed" in slip_text("sale.completed")


@pytest.mark.parametrize(
    ("balance", "amount", "message"),
    [
        (50, 5050, "steps of 1.00"),
        (50, 900, "At least 10 points"),
        (5, 1000, "has 5 points"),
    ],
)
def test_points_beyond_the_rules_are_refused(
    store: Store, balance: int, amount: int, message: str
) -> None:
    setup_points(store, balance=balance)
    with pytest.raises(PaymentError, match=message):
        checkout_for(store, ["RICE1"], [Tender("points", amount), Tender("cash", 18900)])
    assert not Journal.select().where(Journal.event_type == "sale.completed").exists()


def test_points_need_a_named_customer(store: Store) -> None:
    setup_points(store)
    sale_id = store.bill("RICE1")
    with pytest.raises(PaymentError, match="named customer"):
        sales.checkout(
            store.ctx, sale_id, [Tender("points", 1000), Tender("cash", 17900)], store.cashier
        )


@given(
    st.integers(0, 1000),
    st.integers(1, 10**7),
    st.lists(st.integers(0, 10**6), max_size=8),
)
def test_returns_never_take_back_more_than_was_earned(
    earned: int, total: int, refunds: list[int]
) -> None:
    taken, before = 0, 0
    for refund in refunds:
        step = loyalty.reversed_points(earned, total, before, refund)
        assert step >= 0
        taken += step
        before += refund
    assert taken <= earned
    if before >= total:
        assert taken == earned
