"""Delivery at the till: a bill marked for delivery reserves its goods, deliveries move them
(several notes per bill), returns take back what is still pending first."""

from __future__ import annotations

import json

import pytest

from o2pos.core import auth, deliveries, returns, sales, stock
from o2pos.core.errors import NotFound, PermissionDenied, StateError, ValidationError
from o2pos.core.models import Delivery, Journal, Lot, Product, SaleLine, SerialNumber, StockMove
from o2pos.core.payments import Tender
from o2pos.core.returns import ReturnItem
from o2pos.printing import documents, layouts
from tests.conftest import Store


def level(store: Store, sku: str) -> stock.Level:
    return stock.level(store.ctx, Product.get(Product.sku == sku).id)


def to_deliver(store: Store, *codes: str, mode: str = "home", customer: bool = False) -> str:
    """A paid bill of ``codes`` marked for ``mode`` delivery; its number."""
    sale_id = store.bill(*codes)
    sales.set_delivery(store.ctx, sale_id, mode, store.cashier)
    if customer:
        sales.set_customer(store.ctx, sale_id, 1, store.cashier)
    due = sales.get(sale_id).total
    return str(sales.checkout(store.ctx, sale_id, [Tender("cash", due)], store.cashier).sale.number)


def line_no(bill: deliveries.DeliveryBill, sku: str) -> int:
    return next(ln.line_no for ln in bill.lines if ln.sku == sku)


def figures(bill: deliveries.DeliveryBill, sku: str) -> tuple[int, int, int, int]:
    ln = bill.line(line_no(bill, sku))
    return ln.ordered_milli, ln.delivered_milli, ln.pending_milli, ln.returned_milli


def events(kind: str) -> list[dict]:
    rows = Journal.select().where(Journal.event_type == kind).order_by(Journal.seq)
    return [json.loads(row.payload) for row in rows]


def test_a_bill_is_marked_and_unmarked_only_while_in_progress(store: Store) -> None:
    store.open_register()
    sale_id = store.bill("SOAP")
    sales.set_delivery(store.ctx, sale_id, "pickup", store.cashier)
    assert sales.bill_view(sale_id).delivery == "pickup"
    sales.set_delivery(store.ctx, sale_id, None, store.cashier)
    assert sales.bill_view(sale_id).delivery is None
    with pytest.raises(ValidationError, match="home or picked up later"):
        sales.set_delivery(store.ctx, sale_id, "drone", store.cashier)
    sales.set_delivery(store.ctx, sale_id, "home", store.cashier)
    sales.checkout(store.ctx, sale_id, [Tender("cash", 4000)], store.cashier)
    with pytest.raises(StateError, match="can no longer be changed"):
        sales.set_delivery(store.ctx, sale_id, None, store.cashier)
    [sold] = events("sale.completed")
    assert (sold["delivery"], sold["location"]) == ("home", "MAIN")


def test_three_units_delivered_two_then_one(store: Store) -> None:
    """The issue's acceptance: pending 0, stock moved twice, two delivery notes."""
    store.open_register()
    before = level(store, "RICE1")
    number = to_deliver(store, "3*RICE1", customer=True)
    # completion reserves: nothing leaves on hand yet
    assert level(store, "RICE1") == stock.Level(before.on_hand, before.reserved + 3000)
    bill = deliveries.view(store.ctx, number)
    rice = line_no(bill, "RICE1")
    assert figures(bill, "RICE1") == (3000, 0, 3000, 0)
    assert [p.number for p in deliveries.pending(store.ctx)] == [number]

    first = deliveries.deliver(
        store.ctx, store.cashier, number, {rice: 2000}, "courier", "AWB 123 456"
    )
    assert (first.number, first.pending_milli) == ("DN-T1-000001", 1000)
    assert figures(deliveries.view(store.ctx, number), "RICE1") == (3000, 2000, 1000, 0)
    assert level(store, "RICE1") == stock.Level(before.on_hand - 2000, before.reserved + 1000)
    assert deliveries.pending(store.ctx)[0].pending_milli == 1000

    second = deliveries.deliver(store.ctx, store.cashier, number, {rice: 1000}, "home")
    assert (second.number, second.pending_milli) == ("DN-T1-000002", 0)
    assert figures(deliveries.view(store.ctx, number), "RICE1") == (3000, 3000, 0, 0)
    assert level(store, "RICE1") == stock.Level(before.on_hand - 3000, before.reserved)
    assert deliveries.pending(store.ctx) == []

    moves = StockMove.select().where(StockMove.kind == "delivery").order_by(StockMove.id)
    assert [(m.document, m.on_hand_milli, m.reserved_milli, m.location) for m in moves] == [
        ("DN-T1-000001", -2000, -2000, "MAIN"),
        ("DN-T1-000002", -1000, -1000, "MAIN"),
    ]
    notes = events("delivery.recorded")
    assert [(n["number"], n["mode"], n["courier_ref"]) for n in notes] == [
        ("DN-T1-000001", "courier", "AWB 123 456"),
        ("DN-T1-000002", "home", ""),
    ]
    assert notes[0]["customer"]["name"] == "Lakshmi Rao"
    assert [n["lines"][0]["pending_milli"] for n in notes] == [1000, 0]
    # each move carries its note's journal seq
    seqs = {m.seq for m in moves}
    delivered = Journal.select().where(Journal.event_type == "delivery.recorded")
    assert seqs == {row.seq for row in delivered}


def test_the_delivery_note_prints_from_its_event(store: Store) -> None:
    store.open_register()
    number = to_deliver(store, "2*SOAP", "RICE1", mode="pickup", customer=True)
    bill = deliveries.view(store.ctx, number)
    note = deliveries.deliver(
        store.ctx, store.cashier, number, {line_no(bill, "SOAP"): 1000}, "pickup"
    )
    doc = documents.find(store.ctx, note.number.lower())
    text = layouts.slip_for(doc, store.ctx.settings.store, layouts.Options(width=32)).text()
    assert "DELIVERY NOTE" in text and "Delivery No" in text and note.number in text
    assert f"Against bill{number:>20}" in text and "Picked up" in text
    assert "Neem Soap" in text and "More to follow" in text and "Lakshmi Rao" in text
    assert "Received by" in text
    # the bill itself says it is to be delivered
    bill_doc = documents.find(store.ctx, number)
    bill_text = layouts.slip_for(bill_doc, store.ctx.settings.store, layouts.Options()).text()
    assert "TO BE DELIVERED" in bill_text and "Pick-up later" in bill_text


@pytest.mark.parametrize(
    ("sku", "qty", "message"),
    [
        ("SOAP", 0, "more than zero"),
        ("SOAP", -1000, "more than zero"),
        ("SOAP", 1500, "whole pcs, not 1.5"),
        ("SOAP", 3000, "only 2 of 2 ordered is still to deliver"),
        ("ONION", 1300, "only 1.25 of 1.25 ordered"),
    ],
)
def test_a_wrong_quantity_is_refused_and_changes_nothing(
    store: Store, sku: str, qty: int, message: str
) -> None:
    store.open_register()
    number = to_deliver(store, "2*SOAP", "1.25*ONION")
    bill = deliveries.view(store.ctx, number)
    journal_before, stock_before = Journal.select().count(), level(store, sku)
    with pytest.raises(ValidationError, match=message):
        deliveries.deliver(store.ctx, store.cashier, number, {line_no(bill, sku): qty}, "home")
    with pytest.raises(ValidationError, match=message):
        deliveries.check_quantity(bill, line_no(bill, sku), qty)
    assert Journal.select().count() == journal_before and level(store, sku) == stock_before
    assert Delivery.select().count() == 0
    # a weighed line is delivered in part of a kilo
    onion = line_no(bill, "ONION")
    deliveries.deliver(store.ctx, store.cashier, number, {onion: 250}, "home")
    assert figures(deliveries.view(store.ctx, number), "ONION") == (1250, 250, 1000, 0)


def test_over_delivery_after_a_partial_is_refused_whole(store: Store) -> None:
    store.open_register()
    number = to_deliver(store, "3*RICE1", "SOAP")
    bill = deliveries.view(store.ctx, number)
    rice, soap = line_no(bill, "RICE1"), line_no(bill, "SOAP")
    deliveries.deliver(store.ctx, store.cashier, number, {rice: 2000}, "home")
    with pytest.raises(ValidationError, match="only 1 of 3 ordered"):
        deliveries.deliver(store.ctx, store.cashier, number, {soap: 1000, rice: 2000}, "home")
    assert figures(deliveries.view(store.ctx, number), "SOAP") == (1000, 0, 1000, 0)
    assert Delivery.select().count() == 1


def test_modes_references_and_who_may_deliver(store: Store) -> None:
    store.open_register()
    number = to_deliver(store, "2*SOAP")
    soap = line_no(deliveries.view(store.ctx, number), "SOAP")
    deliver = deliveries.deliver
    with pytest.raises(ValidationError, match="courier's reference"):
        deliver(store.ctx, store.cashier, number, {soap: 1000}, "courier", "  ")
    with pytest.raises(ValidationError, match="not 'drone'"):
        deliver(store.ctx, store.cashier, number, {soap: 1000}, "drone")
    with pytest.raises(ValidationError, match="card number"):
        deliver(store.ctx, store.cashier, number, {soap: 1000}, "courier", "4111 1111 1111 1111")
    with pytest.raises(ValidationError, match="at most 40"):
        deliver(store.ctx, store.cashier, number, {soap: 1000}, "courier", "x" * 41)
    with pytest.raises(ValidationError, match="Choose what to deliver"):
        deliver(store.ctx, store.cashier, number, {}, "home")
    with pytest.raises(NotFound, match="no line 9"):
        deliver(store.ctx, store.cashier, number, {9: 1000}, "home")
    # the billing employee and the inventory / delivery role deliver too
    deliver(store.ctx, store.people["billing"], number, {soap: 1000}, "pickup")
    deliver(store.ctx, store.people["stock"], number, {soap: 1000}, "pickup")
    assert figures(deliveries.view(store.ctx, number), "SOAP")[2] == 0
    roles = {"administrator", "store_manager", "cashier", "billing_employee", "inventory"}
    granted = auth.RolePermission.select().where(auth.RolePermission.permission == "deliver")
    assert {row.role_id for row in granted} == roles
    role = auth.Role.get(auth.Role.code == "billing_employee")
    auth.RolePermission.delete().where(
        auth.RolePermission.role == role, auth.RolePermission.permission == auth.Perm.DELIVER
    ).execute()
    other = to_deliver(store, "SOAP")
    billing = auth.Employee.get(auth.Employee.code == "billing")  # permissions read afresh
    with pytest.raises(PermissionDenied):
        deliver(store.ctx, billing, other, {1: 1000}, "home")


def test_bills_that_cannot_be_delivered(store: Store) -> None:
    store.open_register()
    taken = store.cash_sale("SOAP").sale.number
    with pytest.raises(StateError, match="not marked for delivery"):
        deliveries.view(store.ctx, str(taken))
    with pytest.raises(NotFound, match="No bill numbered S-T1-999999"):
        deliveries.view(store.ctx, "s-t1-999999")
    draft = store.bill("SOAP")
    sales.set_delivery(store.ctx, draft, "home", store.cashier)
    sales.hold(store.ctx, draft, store.cashier)
    assert deliveries.pending(store.ctx) == []


def test_pending_list_by_location_and_customer(store: Store) -> None:
    store.open_register()
    walk_in = to_deliver(store, "SOAP")
    named = to_deliver(store, "2*COLA", customer=True, mode="pickup")
    listed = deliveries.pending(store.ctx)
    assert [(p.number, p.customer_name, p.mode, p.lines, p.pending_milli) for p in listed] == [
        (walk_in, None, "home", 1, 1000),
        (named, "Lakshmi Rao", "pickup", 1, 2000),
    ]
    assert [p.number for p in deliveries.pending(store.ctx, customer="laksh")] == [named]
    assert [p.number for p in deliveries.pending(store.ctx, customer="98450 00001")] == [named]
    assert deliveries.pending(store.ctx, customer="nobody") == []
    assert deliveries.pending(store.ctx, location="BRANCH2") == []
    # a bill made while the session works at another location belongs to it
    store.ctx.session_location = "BRANCH2"
    there = to_deliver(store, "SOAP")
    assert [p.number for p in deliveries.pending(store.ctx)] == [there]
    bill = deliveries.view(store.ctx, there)
    store.ctx.session_location = None
    deliveries.deliver(store.ctx, store.cashier, there, {bill.lines[0].line_no: 1000}, "home")
    moved = StockMove.select().where(StockMove.kind == "delivery").get()
    assert moved.location == "BRANCH2"  # from where it was reserved, whoever delivers


def test_gift_vouchers_on_a_delivery_bill_are_not_goods(store: Store) -> None:
    store.open_register()
    sale_id = store.bill("SOAP")
    sales.add_gift_voucher(store.ctx, sale_id, "500", store.cashier)
    sales.set_delivery(store.ctx, sale_id, "home", store.cashier)
    due = sales.get(sale_id).total
    number = sales.checkout(store.ctx, sale_id, [Tender("cash", due)], store.cashier).sale.number
    bill = deliveries.view(store.ctx, str(number))
    assert [ln.sku for ln in bill.lines] == ["SOAP"]
    assert deliveries.pending(store.ctx)[0].lines == 1


def refund(store: Store, number: str, sku: str, qty: int, restock: bool = True) -> None:
    line = next(ln for ln in sales.lines_of(sales.find_by_number(number)) if ln.sku == sku)
    returns.create(
        store.ctx,
        store.manager,
        number,
        [ReturnItem(line.id, qty, restock=restock)],
        "cash",
    )


def test_a_return_takes_back_what_is_pending_first(store: Store) -> None:
    """3 ordered, 1 delivered; 1 comes back: the customer cancels one not delivered (its
    reservation is released, nothing comes on hand); 2 more come back: one was pending,
    the other delivered, which comes back on hand."""
    store.open_register()
    before = level(store, "RICE1")
    number = to_deliver(store, "3*RICE1")
    rice = line_no(deliveries.view(store.ctx, number), "RICE1")
    deliveries.deliver(store.ctx, store.cashier, number, {rice: 1000}, "home")

    refund(store, number, "RICE1", 1000)
    assert figures(deliveries.view(store.ctx, number), "RICE1") == (3000, 1000, 1000, 1000)
    assert level(store, "RICE1") == stock.Level(before.on_hand - 1000, before.reserved + 1000)

    refund(store, number, "RICE1", 2000)
    assert figures(deliveries.view(store.ctx, number), "RICE1") == (3000, 1000, 0, 2000)
    assert level(store, "RICE1") == stock.Level(before.on_hand, before.reserved)
    assert deliveries.pending(store.ctx) == []

    lines = [ev["lines"][0] for ev in events("return.completed")]
    assert [(ln["qty_milli"], ln["undelivered_milli"]) for ln in lines] == [
        (1000, 1000),
        (2000, 1000),
    ]
    assert {ev["sale_location"] for ev in events("return.completed")} == {"MAIN"}
    moves = StockMove.select().where(StockMove.kind == "return").order_by(StockMove.id)
    assert [(m.on_hand_milli, m.reserved_milli) for m in moves] == [
        (0, -1000),
        (0, -1000),
        (1000, 0),
    ]
    # nothing left to deliver: a delivery now is refused
    with pytest.raises(ValidationError, match="only 0 of 3"):
        deliveries.deliver(store.ctx, store.cashier, number, {rice: 1000}, "home")


def test_a_return_of_goods_never_delivered_ignores_restock(store: Store) -> None:
    """Goods that never left are not damaged by the customer: returned 'not to restock',
    they still only release their reservation; a delivered damaged one is written off."""
    store.open_register()
    before = level(store, "SOAP")
    number = to_deliver(store, "2*SOAP")
    soap = line_no(deliveries.view(store.ctx, number), "SOAP")
    refund(store, number, "SOAP", 1000, restock=False)
    assert level(store, "SOAP") == stock.Level(before.on_hand, before.reserved + 1000)
    deliveries.deliver(store.ctx, store.cashier, number, {soap: 1000}, "home")
    refund(store, number, "SOAP", 1000, restock=False)
    assert level(store, "SOAP") == stock.Level(before.on_hand - 1000, before.reserved)


def test_lots_and_serials_on_a_delivery_bill(store: Store) -> None:
    store.open_register()
    sale_id = store.bill("MILK")
    sales.add_item(store.ctx, sale_id, "PHONE", store.cashier, serial="SN1")
    sales.set_delivery(store.ctx, sale_id, "home", store.cashier)
    due = sales.get(sale_id).total
    number = str(
        sales.checkout(store.ctx, sale_id, [Tender("cash", due)], store.cashier).sale.number
    )
    bill = deliveries.view(store.ctx, number)
    phone, milk = line_no(bill, "PHONE"), line_no(bill, "MILK")
    assert bill.line(phone).serial == "SN1" and bill.line(milk).lot_no == "OLD"
    note = deliveries.deliver(store.ctx, store.cashier, number, {phone: 1000}, "home")
    moved = StockMove.get(StockMove.document == note.number)
    assert moved.serial == "SN1"
    # the milk is cancelled before delivery: its lot is whole again
    refund(store, number, "MILK", 1000)
    assert Lot.get(Lot.lot_no == "OLD").qty_milli == 2000
    assert SerialNumber.get(SerialNumber.serial == "SN1").status == "sold"
    assert SaleLine.get(SaleLine.sku == "MILK").delivered_milli == 0


def test_a_file_of_schema_13_gets_what_deliveries_need(store: Store) -> None:
    from o2pos.core import db as schema

    database = store.ctx.db
    database.execute_sql("DELETE FROM role_permission WHERE permission = 'deliver'")
    database.execute_sql("DROP INDEX journal_document_number")  # as schema 13 had it
    database.execute_sql(
        "CREATE INDEX journal_document_number ON journal (json_extract(payload, '$.number')) "
        "WHERE event_type IN ('sale.completed', 'return.completed', 'register.cash_moved', "
        "'stock.counted')"
    )
    database.execute_sql("ALTER TABLE sale_line DROP COLUMN delivered_milli")
    database.execute_sql("PRAGMA user_version = 13")
    schema.create_schema(database)
    assert "delivered_milli" in {c.name for c in database.get_columns("sale_line")}
    granted = auth.RolePermission.select().where(auth.RolePermission.permission == "deliver")
    assert len(granted) == 5
    [index] = [i for i in database.get_indexes("journal") if i.name == "journal_document_number"]
    assert "'delivery.recorded'" in index.sql
