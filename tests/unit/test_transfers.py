"""Stock transfers at the till: a draft filled by scanning, sent (TO), received (TI)."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from contextlib import closing

import pytest

from o2pos.core import auth, journal, stock, transfers
from o2pos.core.errors import (
    ApprovalRequired,
    NotFound,
    PermissionDenied,
    StateError,
    ValidationError,
)
from o2pos.core.models import (
    Journal,
    Location,
    Lot,
    Product,
    SerialNumber,
    StockMove,
    Transfer,
    TransferLine,
)
from o2pos.core.sales.lines import SerialRequired
from o2pos.core.transfers import Count, Incoming, IncomingLine
from tests.conftest import Store


def product_id(sku: str) -> int:
    return int(Product.get(Product.sku == sku).id)


def level(store: Store, sku: str, location: str = "MAIN") -> stock.Level:
    return stock.level(store.ctx, product_id(sku), location)


@pytest.fixture
def here(store: Store) -> Store:
    """The test store, which knows a second location of the chain: the warehouse WH."""
    with store.ctx.write():
        Location.create(code="WH", name="Warehouse")
    return store


def stock_clerk(store: Store) -> auth.Employee:
    return store.people["stock"]


def sent(store: Store, *codes: str, to: str = "WH") -> Transfer:
    clerk = stock_clerk(store)
    draft = transfers.start(store.ctx, clerk, to)
    for code in codes:
        transfers.add_item(store.ctx, draft.id, code, clerk)
    return transfers.send(store.ctx, draft.id, clerk)


def incoming_of(store: Store, number: str) -> Incoming:
    """What the central would hand the receiving till: the sent event, as it was."""
    found = journal.find_document(number)
    assert found is not None
    row = found[0]
    payload = json.loads(row.payload)
    assert (row.event_type, payload["number"]) == ("transfer.sent", number)
    return Incoming(
        uuid=payload["uuid"],
        number=payload["number"],
        sent_by=row.terminal_id,
        from_location=payload["from_location"],
        to_location=payload["to_location"],
        sent_at=row.created_at,
        employee=row.employee_id,
        lines=tuple(
            IncomingLine(
                ln["line_no"],
                ln["sku"],
                ln["name"],
                ln["unit"],
                ln["qty_milli"],
                ln["lot_no"],
                ln["expiry"],
                ln["serial"],
            )
            for ln in payload["lines"]
        ),
    )


def at_warehouse(store: Store) -> None:
    """The same till, its session now at the warehouse (an employee of both locations)."""
    store.ctx.session_location = "WH"


def test_destinations_are_the_other_locations_and_the_own_one_is_refused(here: Store) -> None:
    ctx = here.ctx
    assert [d.code for d in transfers.destinations(ctx)] == ["WH"]
    assert transfers.destination(ctx, "wh").name == "Warehouse"
    with pytest.raises(ValidationError, match="at MAIN already"):
        transfers.start(ctx, stock_clerk(here), "main")
    with pytest.raises(NotFound, match="No location XX"):
        transfers.start(ctx, stock_clerk(here), "XX")
    with pytest.raises(ValidationError):
        transfers.start(ctx, stock_clerk(here), "  ")
    assert Transfer.select().count() == 0


def test_sending_moves_stock_out_and_into_transit_with_its_number_and_event(here: Store) -> None:
    transfer = sent(here, "5*SOAP", "RICE1", "SOAP")
    assert (transfer.number, transfer.status) == ("TO-T1-000001", "sent")
    assert level(here, "SOAP").on_hand == 50_000 - 6_000
    assert level(here, "SOAP", "WH") == stock.Level(0, 0, 6_000)
    assert level(here, "RICE1", "WH").in_transit == 1_000
    event = Journal.get(Journal.event_type == "transfer.sent")
    payload = json.loads(event.payload)
    assert (payload["from_location"], payload["to_location"]) == ("MAIN", "WH")
    assert [(ln["sku"], ln["qty_milli"]) for ln in payload["lines"]] == [
        ("SOAP", 6000),
        ("RICE1", 1000),
    ]
    moves = list(StockMove.select().where(StockMove.document == "TO-T1-000001"))
    assert {m.seq for m in moves} == {event.seq}
    assert sorted((m.location, m.on_hand_milli, m.transit_milli) for m in moves) == [
        ("MAIN", -6000, 0),
        ("MAIN", -1000, 0),
        ("WH", 0, 1000),
        ("WH", 0, 6000),
    ]
    assert transfers.open_draft(here.ctx) is None


def test_lots_fifo_or_chosen_and_serials_by_name_travel_with_the_transfer(here: Store) -> None:
    ctx, clerk = here.ctx, stock_clerk(here)
    draft = transfers.start(ctx, clerk, "WH")
    draft = transfers.add_item(ctx, draft.id, "3*MILK", clerk)  # 2 of OLD, then 1 of NEW
    assert [(ln.lot_no, ln.qty_milli) for ln in draft.lines] == [("OLD", 2000), ("NEW", 1000)]
    draft = transfers.add_item(ctx, draft.id, "MILK", clerk, lot_no="NEW")
    assert [(ln.lot_no, ln.qty_milli) for ln in draft.lines] == [("OLD", 2000), ("NEW", 2000)]
    with pytest.raises(ValidationError, match="Lot NEW has only 3 left"):
        transfers.add_item(ctx, draft.id, "4*MILK", clerk, lot_no="NEW")
    with pytest.raises(SerialRequired):
        transfers.add_item(ctx, draft.id, "PHONE", clerk)
    draft = transfers.add_item(ctx, draft.id, "PHONE", clerk, serial="sn2")
    with pytest.raises(ValidationError, match="already on this transfer"):
        transfers.add_item(ctx, draft.id, "PHONE", clerk, serial="SN2")
    transfers.send(ctx, draft.id, clerk)
    assert {lot.lot_no: lot.qty_milli for lot in Lot.select()} == {"OLD": 0, "NEW": 3000}
    phone = SerialNumber.get(SerialNumber.serial == "SN2")
    assert (phone.status, phone.location) == ("transit", "WH")
    payload = json.loads(Journal.get(Journal.event_type == "transfer.sent").payload)
    assert [(ln["lot_no"], ln["serial"]) for ln in payload["lines"]] == [
        ("OLD", None),
        ("NEW", None),
        (None, "SN2"),
    ]


def test_bad_input_changes_nothing(here: Store) -> None:
    ctx, clerk = here.ctx, stock_clerk(here)
    draft = transfers.start(ctx, clerk, "WH")
    draft = transfers.add_item(ctx, draft.id, "2*SOAP", clerk)
    before = list(TransferLine.select().tuples())
    for text, problem in (
        ("0*SOAP", "more than zero"),
        ("1.5*SOAP", "whole pcs"),
        ("8901234567891", "check digit"),
        ("NOPE", "Unknown barcode or SKU"),
        ("abc*SOAP", "type a quantity"),
        ("", "Scan a barcode"),
    ):
        with pytest.raises((ValidationError, NotFound), match=problem):
            transfers.add_item(ctx, draft.id, text, clerk)
    with pytest.raises(ValidationError, match="more than zero"):
        transfers.set_qty(ctx, draft.id, draft.lines[0].id, 0, clerk)
    assert list(TransferLine.select().tuples()) == before
    assert Journal.select().where(Journal.event_type == "transfer.sent").count() == 0


def test_an_empty_transfer_is_not_sent_and_a_sent_one_is_not_changed(here: Store) -> None:
    ctx, clerk = here.ctx, stock_clerk(here)
    draft = transfers.start(ctx, clerk, "WH")
    with pytest.raises(ValidationError, match="empty"):
        transfers.send(ctx, draft.id, clerk)
    transfers.add_item(ctx, draft.id, "SOAP", clerk)
    transfers.send(ctx, draft.id, clerk)
    with pytest.raises(StateError, match="sent already"):
        transfers.add_item(ctx, draft.id, "SOAP", clerk)
    with pytest.raises(StateError, match="sent already"):
        transfers.send(ctx, draft.id, clerk)


def test_quantity_and_removal_on_the_draft(here: Store) -> None:
    ctx, clerk = here.ctx, stock_clerk(here)
    draft = transfers.start(ctx, clerk, "WH")
    draft = transfers.add_item(ctx, draft.id, "SOAP", clerk)
    draft = transfers.add_item(ctx, draft.id, "2*SOAP", clerk)  # onto the same line
    assert [(ln.sku, ln.qty_milli, ln.on_hand) for ln in draft.lines] == [("SOAP", 3000, 50_000)]
    draft = transfers.add_item(ctx, draft.id, "0.25*ONION", clerk)  # weighed: parts of a kg
    draft = transfers.set_qty(ctx, draft.id, draft.lines[0].id, 7000, clerk)
    assert draft.lines[0].qty_milli == 7000
    draft = transfers.remove_line(ctx, draft.id, draft.lines[0].id, clerk)
    assert [(ln.sku, ln.qty_milli) for ln in draft.lines] == [("ONION", 250)]
    # the draft survives: found again at this location, retargeted when started anew
    with here.ctx.write():
        Location.create(code="B2", name="Branch 2")
    assert transfers.start(ctx, clerk, "B2").id == draft.id
    assert transfers.open_draft(ctx).to_location == "B2"


def test_a_cashier_may_not_send_stock(here: Store) -> None:
    with pytest.raises(PermissionDenied):
        transfers.start(here.ctx, here.cashier, "WH")


def test_receiving_all_that_was_sent(here: Store) -> None:
    transfer = sent(here, "5*SOAP", "2*MILK", "SOAP")
    incoming = incoming_of(here, transfer.number)
    at_warehouse(here)
    counts = [Count(ln.line_no, ln.qty_milli) for ln in incoming.lines]
    received = transfers.receive(here.ctx, stock_clerk(here), incoming, counts)
    assert (received.received_number, received.status) == ("TI-T1-000001", "received")
    assert received.approved_by is None
    assert level(here, "SOAP", "WH") == stock.Level(6_000, 0, 0)
    assert level(here, "MILK", "WH") == stock.Level(2_000, 0, 0)
    assert Lot.get(Lot.location == "WH", Lot.lot_no == "OLD").qty_milli == 2000
    event = Journal.get(Journal.event_type == "transfer.received")
    payload = json.loads(event.payload)
    assert (payload["number"], payload["transfer"]) == ("TI-T1-000001", transfer.number)
    assert {m.seq for m in StockMove.select().where(StockMove.document == "TI-T1-000001")} == {
        event.seq
    }


def test_a_short_line_needs_a_reason_and_a_managers_approval(here: Store) -> None:
    transfer = sent(here, "5*SOAP")
    incoming = incoming_of(here, transfer.number)
    at_warehouse(here)
    ctx, clerk = here.ctx, stock_clerk(here)
    before = Journal.select().count()
    with pytest.raises(ValidationError, match=r"1 short: give a reason"):
        transfers.receive(ctx, clerk, incoming, [Count(1, 4000)])
    with pytest.raises(ValidationError, match="not counted"):
        transfers.receive(ctx, clerk, incoming, [])
    with pytest.raises(ApprovalRequired):
        transfers.receive(ctx, clerk, incoming, [Count(1, 4000, "box torn")])
    assert (
        Journal.select().count() == before and transfers.received_here(ctx, incoming.uuid) is None
    )
    approval = here.approval(auth.Perm.APPROVE_STOCK)
    done = transfers.receive(ctx, clerk, incoming, [Count(1, 4000, "box torn")], approval=approval)
    assert done.approved_by == "manager"
    assert level(here, "SOAP", "WH") == stock.Level(4_000, 0, 0)
    line = TransferLine.get(TransferLine.transfer == done.id)
    assert (line.qty_milli, line.received_milli, line.reason) == (5000, 4000, "box torn")
    event = Journal.get(Journal.event_type == "transfer.received")
    assert event.approved_by == "manager"


def test_excess_is_a_difference_too_and_a_manager_receives_without_a_pin(here: Store) -> None:
    transfer = sent(here, "2*SOAP")
    incoming = incoming_of(here, transfer.number)
    at_warehouse(here)
    done = transfers.receive(here.ctx, here.manager, incoming, [Count(1, 3000, "one extra")])
    assert done.approved_by is None
    assert level(here, "SOAP", "WH").on_hand == 3000


def test_the_same_transfer_is_received_once(here: Store) -> None:
    transfer = sent(here, "SOAP")
    incoming = incoming_of(here, transfer.number)
    at_warehouse(here)
    transfers.receive(here.ctx, stock_clerk(here), incoming, [Count(1, 1000)])
    with pytest.raises(StateError, match="received here already"):
        transfers.receive(here.ctx, stock_clerk(here), incoming, [Count(1, 1000)])
    central_says = dataclasses.replace(
        incoming, uuid="3f9a3c1e-1d1e-4c1f-9a3c-1e1d1e4c1f9a", status="received", received_by="T9"
    )
    with pytest.raises(StateError, match="received already at T9"):
        transfers.check_incoming(here.ctx, central_says)


def test_a_transfer_is_received_only_where_it_goes(here: Store) -> None:
    transfer = sent(here, "SOAP")
    incoming = incoming_of(here, transfer.number)
    with pytest.raises(StateError, match="goes to WH, not MAIN"):
        transfers.receive(here.ctx, stock_clerk(here), incoming, [Count(1, 1000)])


def test_bad_counts_are_refused_before_anything_is_written(here: Store) -> None:
    transfer = sent(here, "2*SOAP", "RICE1")
    incoming = incoming_of(here, transfer.number)
    at_warehouse(here)
    ctx, clerk = here.ctx, stock_clerk(here)
    for counts, problem in (
        ([Count(1, -1000), Count(2, 1000)], "less than nothing"),
        ([Count(1, 1500, "x"), Count(2, 1000)], "whole pcs"),
        ([Count(1, 2000), Count(1, 2000)], "counted twice"),
        ([Count(1, 2000), Count(9, 1000)], "no line 9"),
        ([Count(1, 1000, "4111 1111 1111 1111"), Count(2, 1000)], "card"),
    ):
        with pytest.raises((ValidationError, NotFound), match=problem):
            transfers.receive(ctx, clerk, incoming, counts)
    assert transfers.received_here(ctx, incoming.uuid) is None
    assert Journal.select().where(Journal.event_type == "transfer.received").count() == 0


def test_a_lot_and_a_serial_arrive_at_the_destination(here: Store) -> None:
    ctx, clerk = here.ctx, stock_clerk(here)
    with ctx.write():
        Lot.update(expiry="2026-12-31").where(Lot.lot_no == "OLD").execute()
    draft = transfers.start(ctx, clerk, "WH")
    transfers.add_item(ctx, draft.id, "2*MILK", clerk)
    transfers.add_item(ctx, draft.id, "PHONE", clerk, serial="SN1")
    transfer = transfers.send(ctx, draft.id, clerk)
    incoming = incoming_of(here, transfer.number)
    assert incoming.lines[0].expiry == "2026-12-31"
    at_warehouse(here)
    with pytest.raises(ValidationError, match="one piece"):
        transfers.check_count(incoming, 2, 2000)
    transfers.receive(ctx, clerk, incoming, [Count(1, 2000), Count(2, 1000)])
    lot = Lot.get(Lot.location == "WH", Lot.lot_no == "OLD")
    assert (lot.qty_milli, str(lot.expiry)) == (2000, "2026-12-31")
    phone = SerialNumber.get(SerialNumber.serial == "SN1")
    assert (phone.status, phone.location) == ("available", "WH")


def test_a_product_the_till_does_not_know_stops_the_receipt(here: Store) -> None:
    transfer = sent(here, "SOAP")
    incoming = incoming_of(here, transfer.number)
    stranger = dataclasses.replace(
        incoming,
        uuid="0c5b1a8e-2f3d-4e5f-8a9b-0c1d2e3f4a5b",
        lines=(IncomingLine(1, "NEWSKU", "New Thing", "pcs", 1000),),
    )
    at_warehouse(here)
    with pytest.raises(NotFound, match="not in this till's catalog"):
        transfers.receive(here.ctx, stock_clerk(here), stranger, [Count(1, 1000)])


def test_an_older_till_database_finds_transfer_notes_by_number_through_the_index(
    here: Store,
) -> None:
    """Schema 14 -> 15: transfer and receipt notes join the journal's document-number
    index, which an older file has without them (a lookup would read every row)."""
    from o2pos.core import db as schema

    database = here.ctx.db
    sent(here, "SOAP")
    query = (
        f"EXPLAIN QUERY PLAN SELECT * FROM journal WHERE "
        f"{journal.document_where(*journal.DOCUMENT_NUMBERS[0][1:])} = ? LIMIT 1"
    )
    database.execute_sql("DROP INDEX journal_document_number")
    database.execute_sql(  # as schema 14 made it: without the transfer events
        "CREATE INDEX journal_document_number ON journal (json_extract(payload, '$.number')) "
        "WHERE event_type IN ('sale.completed', 'return.completed', 'register.cash_moved', "
        "'stock.counted', 'delivery.recorded')"
    )
    database.execute_sql("PRAGMA user_version = 14")

    def plan() -> str:  # a connection of its own: sqlite3 caches its statements
        with closing(sqlite3.connect(here.ctx.settings.terminal.db_path)) as con:
            return str(con.execute(query, ("TO-T1-000001",)).fetchone()[-1])

    assert "USING INDEX" not in plan()
    schema.create_schema(database)
    assert "USING INDEX journal_document_number" in plan()
    assert journal.find_document("TO-T1-000001") is not None


def test_a_scan_at_receipt_counts_the_first_line_of_its_product_not_yet_full(
    here: Store,
) -> None:
    incoming = Incoming(
        uuid="6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d",
        number="TO-T9-000001",
        sent_by="T9",
        from_location="WH",
        to_location="MAIN",
        sent_at="2026-11-20T05:00:00.000000Z",
        lines=(
            IncomingLine(1, "MILK", "Toned Milk 1 l", "pcs", 2000, "A"),
            IncomingLine(2, "MILK", "Toned Milk 1 l", "pcs", 1000, "B"),
            IncomingLine(3, "ONION", "Onion (loose)", "kg", 1500),
        ),
    )
    counted: dict[int, int] = {}
    for text, line_no in (
        ("MILK", 1),
        ("8900000000036", 1),
        ("MILK", 2),
        ("MILK", 2),  # all full: what arrived over goes on the last line
        ("0.5*ONION", 3),
    ):
        got, qty = transfers.match_scan(here.ctx, incoming, text, counted)
        assert got == line_no
        counted[got] = counted.get(got, 0) + qty
    assert counted == {1: 2000, 2: 2000, 3: 500}
    with pytest.raises(NotFound, match="Neem Soap 100 g is not on transfer TO-T9-000001"):
        transfers.match_scan(here.ctx, incoming, "SOAP", counted)
