"""Customer groups and price lists: choosing a customer reprices the bill (issue 15)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from o2pos.core import auth, demo, masterdata, pricelists, sales
from o2pos.core import db as schema
from o2pos.core.bootstrap import ensure_reference_data
from o2pos.core.context import Context
from o2pos.core.db import create_schema, open_database
from o2pos.core.errors import ValidationError
from o2pos.core.models import (
    Customer,
    CustomerGroup,
    Employee,
    Journal,
    PriceListEntry,
    Product,
    Sale,
    SaleLine,
    tuples,
)
from o2pos.core.payments import Tender
from o2pos.core.settings import Settings, TerminalSettings
from tests.conftest import Clock, Store

WHOLESALE = [
    {"sku": "RICE1", "price": 17000},
    # five cakes of soap or more: 32.00 each
    {"sku": "SOAP", "price": 3200, "min_qty_milli": 5000},
    # the whole of the beverages category 10 % off, from the 1st of December only
    {"category": "Beverages", "percent_off_bp": 1000, "valid_from": "2026-12-01"},
]


def record(kind: str, key: str, data: dict[str, Any], version: int) -> dict[str, Any]:
    return {"kind": kind, "key": key, "version": version, "data": data}


def load_groups(store: Store, entries: list[dict[str, Any]] | None = None) -> None:
    """The central's groups and wholesale list, pulled as master data, and a wholesale
    customer (Lakshmi) and a staff one (Tamil Traders, no list: list prices)."""
    Product.update(category="Beverages").where(Product.sku == "COLA").execute()
    masterdata.apply(
        store.ctx,
        [
            record(
                "price_list", "WHOLESALE", {"name": "Wholesale", "entries": entries or WHOLESALE}, 1
            ),
            record("customer_group", "retail", {"name": "Retail", "price_list": None}, 2),
            record(
                "customer_group", "wholesale", {"name": "Wholesale", "price_list": "WHOLESALE"}, 3
            ),
            record(
                "customer",
                "c-local",
                {
                    "name": "Lakshmi Rao",
                    "phone": "9845000001",
                    "email": None,
                    "gstin": None,
                    "state_code": "29",
                    "group_code": "wholesale",
                },
                4,
            ),
        ],
        4,
    )


def customer(uuid: str) -> int:
    return Customer.get(Customer.uuid == uuid).id


def prices(sale_id: int) -> list[tuple[str, int, int]]:
    return [(ln.sku, ln.qty_milli, ln.unit_price) for ln in sales.lines_of(sales.get(sale_id))]


def test_choosing_a_wholesale_customer_reprices_the_bill_with_a_notice(store: Store) -> None:
    load_groups(store)
    sale_id = store.bill("RICE1", "SOAP", "COLA")
    assert sales.get(sale_id).total == 18900 + 4000 + 4000
    sales.set_customer(store.ctx, sale_id, customer("c-local"), store.cashier)
    sale = sales.get(sale_id)
    # rice has a wholesale price; soap's needs five; cola's category offer starts in December
    assert prices(sale_id) == [("RICE1", 1000, 17000), ("SOAP", 1000, 4000), ("COLA", 1000, 4000)]
    assert sale.total == 17000 + 4000 + 4000
    assert sale.notice == "Wholesale prices: 1 line repriced"
    assert pricelists.customer_group(store.ctx, sale) == "wholesale"


def test_back_to_walk_in_returns_to_list_prices(store: Store) -> None:
    load_groups(store)
    sale_id = store.bill("RICE1", "RICE1")
    sales.set_customer(store.ctx, sale_id, customer("c-local"), store.cashier)
    assert sales.get(sale_id).total == 2 * 17000
    sales.set_customer(store.ctx, sale_id, None, store.cashier)
    sale = sales.get(sale_id)
    assert prices(sale_id) == [("RICE1", 2000, 18900)]
    assert (sale.total, sale.notice) == (2 * 18900, "List prices: 1 line repriced")
    assert pricelists.customer_group(store.ctx, sale) is None


def test_a_customer_without_a_group_is_retail_and_pays_list_prices(store: Store) -> None:
    load_groups(store)
    sale_id = store.bill("RICE1")
    sales.set_customer(store.ctx, sale_id, customer("c-tn"), store.cashier)
    sale = sales.get(sale_id)
    assert pricelists.customer_group(store.ctx, sale) == "retail"
    assert prices(sale_id) == [("RICE1", 1000, 18900)] and sale.notice is None


def test_a_scan_after_the_customer_gets_the_group_price_quietly(store: Store) -> None:
    load_groups(store)
    sale = sales.new(store.ctx, store.cashier)
    sales.set_customer(store.ctx, sale.id, customer("c-local"), store.cashier)
    sales.add_item(store.ctx, sale.id, "RICE1", store.cashier)
    assert prices(sale.id) == [("RICE1", 1000, 17000)]
    assert sales.get(sale.id).notice is None
    # the same item again adds to its line at the group's price
    sales.add_item(store.ctx, sale.id, "RICE1", store.cashier)
    assert prices(sale.id) == [("RICE1", 2000, 17000)]


def test_a_minimum_quantity_applies_as_the_quantity_grows(store: Store) -> None:
    load_groups(store)
    sale = sales.new(store.ctx, store.cashier)
    sales.set_customer(store.ctx, sale.id, customer("c-local"), store.cashier)
    sales.add_item(store.ctx, sale.id, "4*SOAP", store.cashier)
    assert prices(sale.id) == [("SOAP", 4000, 4000)]
    sales.add_item(store.ctx, sale.id, "SOAP", store.cashier)
    assert prices(sale.id) == [("SOAP", 5000, 3200)]
    assert sales.get(sale.id).notice == "Wholesale prices: 1 line repriced"
    [line] = sales.lines_of(sales.get(sale.id))
    sales.set_qty(store.ctx, sale.id, line.id, 4000, store.cashier)
    assert prices(sale.id) == [("SOAP", 4000, 4000)]


def test_validity_dates_decide_which_entries_count(store: Store) -> None:
    load_groups(store)
    sale_id = store.bill("COLA")
    sales.set_customer(store.ctx, sale_id, customer("c-local"), store.cashier)
    assert prices(sale_id) == [("COLA", 1000, 4000)]
    store.clock.advance(days=11)  # 1 December: the category's 10 % off begins
    sales.add_item(store.ctx, sale_id, "COLA", store.cashier)
    assert prices(sale_id) == [("COLA", 2000, 3600)]
    assert sales.get(sale_id).total == 7200


def test_a_managers_override_keeps_its_price(store: Store) -> None:
    load_groups(store)
    sale_id = store.bill("RICE1", "SOAP")
    rice, _soap = sales.lines_of(sales.get(sale_id))
    approval = store.approval(auth.Perm.PRICE_OVERRIDE)
    sales.override_price(store.ctx, sale_id, rice.id, 18000, store.cashier, approval)
    sales.set_customer(store.ctx, sale_id, customer("c-local"), store.cashier)
    assert prices(sale_id) == [("RICE1", 1000, 18000), ("SOAP", 1000, 4000)]
    assert sales.get(sale_id).notice is None
    # the list price given by a manager on a wholesale bill is an override too
    sale2 = store.bill("RICE1")
    sales.set_customer(store.ctx, sale2, customer("c-local"), store.cashier)
    [line] = sales.lines_of(sales.get(sale2))
    approval = store.approval(auth.Perm.PRICE_OVERRIDE)
    sales.override_price(store.ctx, sale2, line.id, 18900, store.cashier, approval)
    sales.add_item(store.ctx, sale2, "SOAP", store.cashier)
    assert SaleLine.get_by_id(line.id).unit_price == 18900


def test_the_completed_bill_carries_the_group_price(store: Store) -> None:
    load_groups(store)
    store.open_register()
    sale_id = store.bill("RICE1")
    sales.set_customer(store.ctx, sale_id, customer("c-local"), store.cashier)
    sales.checkout(store.ctx, sale_id, [Tender("cash", 17000)], store.cashier)
    event = Journal.get(Journal.event_type == "sale.completed")
    [line] = json.loads(event.payload)["lines"]
    assert (line["list_price"], line["unit_price"], line["price_overridden"]) == (
        18900,
        17000,
        False,
    )


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"price": 100}, "names a product"),
        ({"sku": "A", "category": "B", "price": 100}, "names a product"),
        ({"sku": "A"}, "a price or a percent"),
        ({"sku": "A", "percent_off_bp": 1000}, "for a category"),
        ({"category": "B", "percent_off_bp": 10001}, "for a category"),
        ({"sku": "A", "price": -1}, "negative"),
        ({"sku": "A", "price": 1, "min_qty_milli": -1}, "minimum quantity"),
        ({"sku": "A", "price": 1, "valid_from": "2026-13-01"}, "not a date"),
        ({"sku": "A", "price": 1, "valid_from": "2026-12-02", "valid_to": "2026-12-01"}, "after"),
        ({"sku": "A", "price": 1, "colour": "red"}, "has the fields"),
    ],
)
def test_a_bad_price_list_changes_nothing(
    store: Store, entry: dict[str, Any], message: str
) -> None:
    load_groups(store)
    bad = record("price_list", "WHOLESALE", {"name": "W", "entries": [entry]}, 5)
    with pytest.raises(ValidationError, match=message):
        masterdata.apply(store.ctx, [bad], 5)
    assert PriceListEntry.select().count() == len(WHOLESALE)


ENTRY = st.fixed_dictionaries(
    {
        "sku": st.sampled_from(["A", None]),
        "price": st.integers(0, 50000),
        "min_qty_milli": st.integers(0, 5).map(lambda q: q * 1000),
    }
)


@given(st.lists(ENTRY, max_size=6), st.integers(1, 6), st.integers(0, 50000))
def test_a_price_list_price_is_an_entrys_or_the_list_price(
    raw: list[dict[str, Any]], qty: int, list_price: int
) -> None:
    """Whatever the entries, a line pays one of them that it qualifies for, or the list
    price when none does; a product's own entries win over its category's."""
    entries = [
        pricelists.check_entry(
            "P",
            {
                "sku": e["sku"],
                "category": None if e["sku"] else "C",
                "price": e["price"],
                "min_qty_milli": e["min_qty_milli"],
            },
        )
        for e in raw
    ]
    price = pricelists.price_for(entries, "A", "C", list_price, qty * 1000, date(2026, 12, 1))
    usable = [e for e in entries if e.min_qty_milli <= qty * 1000]
    own = [e for e in usable if e.sku == "A"]
    if not usable:
        assert price == list_price
    else:
        assert price in {e.price for e in (own or usable)}
        assert price >= 0


def test_sale_of_a_group_customer_is_priced_in_every_order(store: Store) -> None:
    """Customer first or items first, the bill comes to the same."""
    load_groups(store)
    first = store.bill("RICE1", "5*SOAP")
    sales.set_customer(store.ctx, first, customer("c-local"), store.cashier)
    second = sales.new(store.ctx, store.cashier)
    sales.set_customer(store.ctx, second.id, customer("c-local"), store.cashier)
    for code in ("5*SOAP", "RICE1"):
        sales.add_item(store.ctx, second.id, code, store.cashier)
    assert Sale.get_by_id(first).total == Sale.get_by_id(second.id).total == 17000 + 5 * 3200


def test_the_demo_till_has_groups_lists_and_customers_in_each(tmp_path: Path) -> None:
    """``o2pos init --demo`` without a central: the same groups as the central's demo."""
    settings = Settings(terminal=TerminalSettings(id="T1", data_dir=tmp_path))
    db = open_database(settings.terminal.db_path)
    create_schema(db)
    ctx = Context(db=db, settings=settings, clock=Clock())
    ensure_reference_data(ctx)
    demo.load_demo(ctx)
    store = Store(ctx, Clock(), {"cashier": Employee.get(Employee.role == "cashier")})
    groups = dict(tuples(Customer.select(Customer.phone, Customer.group_code)))
    assert (groups["9845900001"], groups["9845900003"], groups["9845900004"]) == (
        "wholesale",
        "staff",
        "retail",
    )
    rice = Product.get(Product.sku == "STA-000018")  # Daawat Rozana 1 kg, 115.00
    sale_id = store.bill(rice.barcode)
    balaji = Customer.get(Customer.phone == "9845900001").id
    sales.set_customer(store.ctx, sale_id, balaji, store.cashier)
    assert prices(sale_id) == [("STA-000018", 1000, 10500)]
    staff = Customer.get(Customer.phone == "9845900003").id
    sales.set_customer(store.ctx, sale_id, staff, store.cashier)
    assert prices(sale_id) == [("STA-000018", 1000, 10350)]  # Staples 10 % off
    assert sales.get(sale_id).notice == "Staff prices: 1 line repriced"
    db.close()


ACTIONS = ["RICE1", "4*SOAP", "SOAP", "COLA", "customer"]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(order=st.permutations(ACTIONS))
def test_the_cart_changes_in_every_order_give_the_same_bill(store: Store, order: list[str]) -> None:
    """Scans and choosing the wholesale customer, in any order: the same lines at the same
    prices (soap reaches its tier of five whenever the fifth piece comes)."""
    if not CustomerGroup.select().exists():
        load_groups(store)
    sale = sales.new(store.ctx, store.cashier)
    for action in order:
        if action == "customer":
            sales.set_customer(store.ctx, sale.id, customer("c-local"), store.cashier)
        else:
            sales.add_item(store.ctx, sale.id, action, store.cashier)
    assert sorted(prices(sale.id)) == [
        ("COLA", 1000, 4000),
        ("RICE1", 1000, 17000),
        ("SOAP", 5000, 3200),
    ]
    assert sales.get(sale.id).total == 17000 + 5 * 3200 + 4000
    sales.cancel(store.ctx, sale.id, store.manager)


def test_a_file_of_schema_16_gets_customer_groups(store: Store) -> None:
    """Step 17: a till database from before groups gains the customer's group and the
    groups, price-list, scheme and points tables, and sells at list prices as before."""
    database = store.ctx.db
    for table in ("customer_group", "price_list_entry", "loyalty_scheme", "points_balance"):
        database.execute_sql(f"DROP TABLE {table}")
    database.execute_sql("DROP TABLE points_move")
    database.execute_sql("ALTER TABLE customer DROP COLUMN group_code")
    database.execute_sql("PRAGMA user_version = 16")
    schema.create_schema(database)
    assert "group_code" in {c.name for c in database.get_columns("customer")}
    assert database.execute_sql("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
    load_groups(store)
    sale_id = store.bill("RICE1")
    sales.set_customer(store.ctx, sale_id, customer("c-local"), store.cashier)
    assert prices(sale_id) == [("RICE1", 1000, 17000)]


def test_a_file_of_schema_18_gets_the_price_list_indexes(store: Store) -> None:
    """Step 19: a reprice reads a bill's own entries through an index, not the whole list."""
    database = store.ctx.db
    for column in ("sku", "category"):
        database.execute_sql(f"DROP INDEX price_list_entry_price_list_{column}")
    database.execute_sql("PRAGMA user_version = 18")
    schema.create_schema(database)
    plan = database.execute_sql(
        "EXPLAIN QUERY PLAN SELECT price FROM price_list_entry "
        "WHERE price_list = 'W' AND sku IN ('RICE1')"
    ).fetchall()
    assert "price_list_entry_price_list_sku" in " ".join(str(row[-1]) for row in plan)
