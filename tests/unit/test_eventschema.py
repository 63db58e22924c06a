"""The event schemas the central flags by hold for every event the till's own flows write.

If a flow adds, drops or retypes a payload key without its schema following, the central
would flag (and leave out of its reports) every such event from real tills; this test fails
first. The day below writes every event type there is, and every row is read back strictly.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from o2pos.core import (
    auth,
    counts,
    customers,
    deliveries,
    importer,
    masterdata,
    register,
    returns,
    sales,
    transfers,
    vouchers,
)
from o2pos.core.errors import AuthError
from o2pos.core.eventschema import SCHEMAS, Bool, Int, ListOf, Null, Obj, Spec, Text, problem
from o2pos.core.journal import EVENT_TYPES
from o2pos.core.models import Customer, Journal, Location
from o2pos.core.payments import Tender, collect
from o2pos.core.simulate import simulate
from tests.conftest import Store
from tests.unit.test_transfers import incoming_of


def a_day_of_every_event(store: Store, tmp_path: Path) -> None:
    """One till's day that writes each of ``EVENT_TYPES`` at least once."""
    ctx, cashier, manager = store.ctx, store.cashier, store.manager
    with pytest.raises(AuthError):
        auth.login(ctx, "nobody", "0000")  # login.failed for a code nobody has
    for _ in range(5):
        with pytest.raises(AuthError):
            auth.login(ctx, "billing", "0000")  # and for a real one, till it locks
    auth.unlock(ctx, "billing", approval=store.approval(auth.Perm.UNLOCK_EMPLOYEES))
    auth.login(ctx, "cashier", "1111")
    auth.create_employee(ctx, "helper", "Helper", "cashier", "5555", actor=store.people["admin"])
    asha = customers.create(ctx, manager, "Asha Devi", "98450 77777", "asha@example.in")
    store.open_register()

    # a named customer's bill with a line discount, an order discount, a coupon and a lot
    bill = store.bill("RICE1", "MILK", "SOAP", "TRIM")
    sales.set_customer(ctx, bill, Customer.get(Customer.uuid == "c-tn").id, cashier)
    lines = sales.lines_of(sales.get(bill))
    sales.set_line_discount(ctx, bill, lines[0].id, "percent", 500, cashier)
    sales.remove_line(ctx, bill, lines[2].id, cashier)
    sales.apply_coupon(ctx, bill, "FLAT50", cashier)
    sales.hold(ctx, bill, cashier)
    sales.recall(ctx, bill, cashier)
    due = sales.get(bill).total
    sales.checkout(ctx, bill, [Tender("upi", 10000, "UPI1"), Tender("cash", due)], cashier)

    sales.cancel(ctx, store.bill("COLA"), manager, reason="customer left")
    later = sales.save_unpaid(ctx, store.bill("TRIM"), cashier)
    sales.set_order_discount(ctx, on_account := store.bill("SOAP"), "amount", 500, manager)
    sales.set_customer(ctx, on_account, asha.id, cashier)
    rest = sales.get(on_account).total - 1000
    sales.checkout(ctx, on_account, [Tender("cash", 1000), Tender("on_account", rest)], cashier)
    collect(ctx, cashier, [later.number], [Tender("cash", later.total)])
    sold_id = store.bill("UPC1")
    sales.add_item(ctx, sold_id, "PHONE", cashier, serial="SN1")
    due = sales.get(sold_id).total
    sold = sales.checkout(ctx, sold_id, [Tender("cash", due)], cashier)
    # a gift voucher, spent in part under the central's reservation (as tendered online)
    voucher = vouchers.issue_gift_voucher(
        ctx, 5000, employee=cashier.code, expires=date(2031, 1, 1)
    )
    held = [Tender("gift_voucher", 2000, voucher.code, "5d1c3a4e-8f7b-4c2d-9e6a-1b2c3d4e5f60")]
    spent = store.bill("SOAP")
    rest = sales.get(spent).total - 2000
    sales.checkout(ctx, spent, [*held, Tender("cash", rest)], cashier)
    returns.create(
        ctx,
        manager,
        sold.sale.number,
        [returns.ReturnItem(sales.lines_of(sold.sale)[1].id, 1000)],
        "cash",
        approval=store.approval(auth.Perm.REFUND),
        reason="torn",
    )
    # a bill for home delivery, one soap delivered by courier, the other cancelled
    home = store.bill("2*SOAP")
    sales.set_delivery(ctx, home, "home", cashier)
    to_go = sales.checkout(ctx, home, [Tender("cash", sales.get(home).total)], cashier).sale
    deliveries.deliver(ctx, cashier, str(to_go.number), {1: 1000}, "courier", "AWB 77")
    [soaps] = sales.lines_of(to_go)
    returns.create(ctx, manager, str(to_go.number), [returns.ReturnItem(soaps.id, 1000)], "cash")
    gift = store.bill("SOAP")  # a gift voucher sold with goods: voucher.issued
    sales.add_gift_voucher(ctx, gift, "500", cashier)
    sales.checkout(ctx, gift, [Tender("cash", sales.get(gift).total)], cashier)
    register.move_cash(ctx, cashier, "in", 50000, "coins")
    register.move_cash(ctx, manager, "out", 20000, "milk supplier")
    register.open_drawer(ctx, manager, "change for a note")
    # where the inventory clerk works, and a count of theirs with a lot-tracked product
    clerk = store.people["stock"]
    auth.set_locations(ctx, "stock", ["MAIN", "WH"])
    count = counts.start(ctx, clerk, scope="scanned")
    counts.count_line(ctx, count.id, "SOAP", 40_000, clerk)
    counts.count_line(ctx, count.id, "MILK", 1_000, clerk)
    counts.post(ctx, count.id, clerk, store.approval(auth.Perm.APPROVE_STOCK))
    simulate(ctx, 40, seed=12)  # what the benchmarks and crash tests drive, as it is
    register.close_session(ctx, manager, 0)

    # stock sent to the warehouse, then received there one short (the till signed in at each)
    with ctx.write():
        Location.create(code="WH", name="Warehouse")
    draft = transfers.start(ctx, clerk, "WH")
    transfers.add_item(ctx, draft.id, "3*SOAP", clerk)
    transfers.add_item(ctx, draft.id, "RICE1", clerk)
    transfers.add_item(ctx, draft.id, "PHONE", clerk, serial="SN2")
    sent = transfers.send(ctx, draft.id, clerk)
    ctx.session_location = "WH"
    arrived = [transfers.Count(1, 2000, "one crushed"), transfers.Count(2, 1000)]
    arrived.append(transfers.Count(3, 1000))
    approval = store.approval(auth.Perm.APPROVE_STOCK)
    transfers.receive(ctx, clerk, incoming_of(store, sent.number), arrived, approval=approval)
    ctx.session_location = None

    products = tmp_path / "products.csv"
    products.write_text(
        "sku,barcode,name,brand,category,price,tax_class,weighed,stock\n"
        "PEN,,Good Pen,Reynolds,Stationery,25.50,GST18,no,10\n",
        encoding="utf-8",
    )
    importer.import_products(ctx, products)
    people = tmp_path / "customers.csv"
    people.write_text(
        "name,phone,email,gstin,state_code\nAnil Kumar,98450 11111,,,\n", encoding="utf-8"
    )
    importer.import_customers(ctx, people)
    record = {"name": "Exempt", "rate_bp": 0}
    masterdata.apply(ctx, [{"kind": "tax_class", "key": "GST0X", "version": 3, "data": record}], 3)


def test_every_event_type_has_a_schema() -> None:
    assert set(SCHEMAS) == EVENT_TYPES


def test_every_event_the_tills_flows_write_matches_its_schema(store: Store, tmp_path: Path) -> None:
    a_day_of_every_event(store, tmp_path)
    rows = list(Journal.select().order_by(Journal.seq))
    assert {row.event_type for row in rows} == EVENT_TYPES, "the day misses an event type"
    wrong = {
        row.seq: (row.event_type, found)
        for row in rows
        if (found := problem(row.event_type, json.loads(row.payload), strict=True))
    }
    assert wrong == {}


def test_strict_reading_catches_a_key_added_or_dropped_the_central_lets_through() -> None:
    """The till's test is stricter than the central: a new key is drift, not a bad event."""
    payload = {"employee": "cashier", "shift": 2}
    assert problem("login.succeeded", payload) is None
    assert problem("login.succeeded", payload, strict=True) == "payload.shift is not in the schema"
    assert problem("login.succeeded", {}) is None
    assert problem("login.succeeded", {}, strict=True) == "payload.employee is missing"


@pytest.mark.parametrize(
    ("event_type", "payload", "reason"),
    [
        ("register.opened", {"session_id": 0, "opening_float": 0}, "session_id is out of range"),
        ("register.opened", {"session_id": 1, "opening_float": 2**63}, "out of range"),
        ("register.opened", {"session_id": 1, "opening_float": True}, "is true/false"),
        ("sale.recalled", {"uuid": "a\x00b"}, "payload.uuid contains a NUL character"),
        ("sale.recalled", {"uuid": "u" * 37}, "payload.uuid is longer than 36 characters"),
        ("sale.held", {"uuid": [], "total": 1, "lines": 1}, "payload.uuid is a list, not text"),
        ("master.applied", {"counts": {"product": "3"}}, 'payload.counts["product"] is text'),
        ("master.applied", {"counts": {"a\x00": []}}, 'payload.counts["a\\u0000"] is a list'),
        ("register.closed", {"report": []}, "payload.session_id is missing"),
    ],
)
def test_a_payload_out_of_shape_or_range_is_named(
    event_type: str, payload: dict[str, object], reason: str
) -> None:
    found = problem(event_type, payload)
    assert found is not None and reason in found, found


ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from([0, -1, 2**31 - 1, 2**31, 2**63 - 1, 2**63, -(2**63), -(2**63) - 1]),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=300),
    st.sampled_from(["a\x00b", "x" * 255, "x" * 256, "x" * 36, "x" * 37, "x" * 10, "x" * 11]),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def plausible(spec: Spec) -> st.SearchStrategy[Any]:
    """Values a field's check mostly passes, so a test can spoil one field at a time."""
    if isinstance(spec, Null):
        return st.one_of(st.none(), plausible(spec.inner))
    if isinstance(spec, Int):
        return st.integers(spec.low, spec.high)
    if isinstance(spec, Text):
        return st.text(st.characters(blacklist_characters="\x00"), max_size=spec.max_length or 40)
    if isinstance(spec, Bool):
        return st.booleans()
    if isinstance(spec, ListOf):
        return st.just([])
    return st.just({})


FLAT = [
    (name, schema) for name, schema in SCHEMAS.items() if isinstance(schema, Obj) and schema._quick
]


@settings(max_examples=400, deadline=None, derandomize=True)
@given(data=st.data(), strict=st.booleans())
def test_the_inline_checks_say_what_each_value_s_own_check_says(
    data: st.DataObject, strict: bool
) -> None:
    """``Obj`` passes plainly right numbers, text and true/false inline; whatever it passes
    or refuses, the answer is the one the fields' own checks give."""
    name, schema = data.draw(st.sampled_from(FLAT), label="event type")
    value = {key: data.draw(plausible(spec), label=key) for key, spec in schema.fields.items()}
    spoiled = data.draw(st.sampled_from(sorted(schema.fields)), label="spoiled")
    value[spoiled] = data.draw(st.one_of(ODD, plausible(schema.fields[spoiled])), label="to")
    reference = replace(schema)
    object.__setattr__(reference, "_quick", {})  # every value through its spec's problem()
    assert schema.problem(value, strict) == reference.problem(value, strict), (name, value)
