"""Stock at the till: the oversell policy (``[store] oversell``), what a bill leaves in
stock, lots and serials always strict, and where an employee works (their locations)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from o2pos.core import auth, sales, stock
from o2pos.core.errors import NotFound, PermissionDenied, ValidationError
from o2pos.core.models import Employee, Journal, Product, SaleLine, SerialNumber, Stock
from tests.conftest import Store


def policy(store: Store, oversell: str) -> None:
    settings = store.ctx.settings
    store.ctx.settings = replace(settings, store=replace(settings.store, oversell=oversell))


def product_id(sku: str) -> int:
    return Product.get(Product.sku == sku).id


def test_warn_adds_the_line_and_says_how_far_short(store: Store) -> None:
    ctx = store.ctx
    bill = store.bill("49*SOAP")
    assert stock.on_bill(ctx, bill, product_id("SOAP")).left == 1_000
    [line] = sales.add_item(ctx, bill, "2*SOAP", store.cashier)
    assert line.qty_milli == 51_000  # added, beyond stock
    left = stock.on_bill(ctx, bill, product_id("SOAP"))
    assert (left.available, left.on_bill, left.left) == (50_000, 51_000, -1_000)


def test_refuse_adds_nothing_beyond_what_is_available(store: Store) -> None:
    ctx = store.ctx
    policy(store, "refuse")
    bill = store.bill("48*SOAP")
    with pytest.raises(stock.OutOfStock, match="Only 50 pcs of Neem Soap 100 g in stock"):
        sales.add_item(ctx, bill, "3*SOAP", store.cashier)
    [line] = sales.lines_of(sales.get(bill))
    assert line.qty_milli == 48_000  # nothing added
    sales.add_item(ctx, bill, "2*SOAP", store.cashier)  # exactly what there is
    with pytest.raises(stock.OutOfStock):
        sales.add_item(ctx, bill, "SOAP", store.cashier)
    with pytest.raises(stock.OutOfStock):
        sales.set_qty(ctx, bill, line.id, 51_000, store.cashier)
    assert sales.set_qty(ctx, bill, line.id, 10_000, store.cashier).qty_milli == 10_000
    # reserved for a delivery is not available: on hand 50, 45 promised
    Stock.update(reserved_milli=45_000).where(Stock.product == product_id("SOAP")).execute()
    with pytest.raises(stock.OutOfStock, match="Only 5 pcs"):
        sales.add_item(ctx, store.bill(), "6*SOAP", store.cashier)
    # a product never stocked here is not sold either
    Stock.delete().where(Stock.product == product_id("COLA")).execute()
    with pytest.raises(stock.OutOfStock, match="Only 0 pcs"):
        store.bill("COLA")


def test_lots_and_serials_are_strict_whatever_the_policy(store: Store) -> None:
    ctx = store.ctx
    policy(store, "warn")
    with pytest.raises(ValidationError, match="Only 7 of Toned Milk"):
        store.bill("8*MILK")  # 50 on hand, but its lots hold 2 + 5
    assert SaleLine.select().count() == 0
    with pytest.raises(NotFound):
        sales.add_item(ctx, store.bill(), "PHONE", store.cashier, serial="SN9")
    SerialNumber.update(location="WH").where(SerialNumber.serial == "SN2").execute()
    with pytest.raises(ValidationError, match="SN2 of Earbuds is at WH, not here"):
        sales.add_item(ctx, store.bill(), "PHONE", store.cashier, serial="SN2")
    ctx.session_location = "WH"  # signed in at WH, it sells there
    sales.add_item(ctx, store.bill(), "PHONE", store.cashier, serial="SN2")
    with pytest.raises(ValidationError, match="SN1 of Earbuds is at MAIN"):
        sales.add_item(ctx, store.bill(), "PHONE", store.cashier, serial="SN1")


def test_levels_of_several_products_in_one_read(store: Store) -> None:
    ids = [product_id("SOAP"), product_id("COLA"), 999_999]
    Stock.update(reserved_milli=2000).where(Stock.product == ids[1]).execute()
    found = stock.levels(store.ctx, ids)
    assert found[ids[0]] == stock.Level(50_000)
    assert found[ids[1]].available == 48_000
    assert found[999_999] == stock.Level()
    assert stock.levels(store.ctx, ids, "WH")[ids[0]] == stock.Level()


def test_an_employees_locations_the_tills_own_first(store: Store) -> None:
    ctx = store.ctx
    clerk = store.people["stock"]
    assert auth.locations_of(ctx, clerk) == ["MAIN"]  # none set: the till's own only
    changed = auth.set_locations(ctx, "stock", ["WH", "MAIN", "WH"])
    assert changed.locations == "WH,MAIN"
    assert auth.locations_of(ctx, changed) == ["MAIN", "WH"]
    event = Journal.select().where(Journal.event_type == "employee.changed").get()
    assert json.loads(event.payload) == {"employee": "stock", "locations": ["WH", "MAIN"]}
    auth.choose_location(ctx, changed, "WH")
    assert ctx.location == "WH" and ctx.session_location == "WH"
    auth.choose_location(ctx, changed, "MAIN")
    assert ctx.session_location is None
    with pytest.raises(PermissionDenied, match="does not work at SHOP2"):
        auth.choose_location(ctx, changed, "SHOP2")
    auth.choose_location(ctx, changed, "WH")
    auth.end_session(ctx)
    assert ctx.location == "MAIN"
    only = auth.set_locations(ctx, "cashier", ["WH"])
    assert auth.locations_of(ctx, only) == ["WH"]  # one place: no question, and not here
    with pytest.raises(ValidationError, match="not a location code"):
        auth.set_locations(ctx, "stock", ["W H"])
    with pytest.raises(NotFound):
        auth.set_locations(ctx, "nobody", ["WH"])
    with pytest.raises(PermissionDenied):
        auth.set_locations(ctx, "stock", [], actor=store.cashier)
    assert auth.set_locations(ctx, "stock", [], actor=store.people["admin"]).locations == ""
    assert Employee.get(Employee.code == "stock").locations == ""
