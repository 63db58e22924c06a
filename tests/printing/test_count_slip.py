"""A posted stock count prints as a numbered document, found by its number like any other."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing

import pytest

from o2pos.core import auth, counts
from o2pos.core import db as schema
from o2pos.core.models import Role, RolePermission
from o2pos.printing import documents, layouts, service
from tests.conftest import Store
from tests.printing.printer_server import PrinterServer
from tests.printing.test_print_queue import KICK, assert_slip, network


@pytest.fixture
def printer() -> Iterator[PrinterServer]:
    server = PrinterServer().start()
    yield server
    server.stop()


def posted(store: Store) -> str:
    ctx, clerk = store.ctx, store.people["stock"]
    count = counts.start(ctx, clerk, scope="full")
    counts.count_line(ctx, count.id, "SOAP", 48_000, clerk)
    counts.count_line(ctx, count.id, "MILK", 45_000, clerk)
    done = counts.post(ctx, count.id, clerk, store.approval(auth.Perm.APPROVE_STOCK))
    assert done.number is not None
    return done.number


@pytest.mark.parametrize("width", [48, 32])
def test_the_count_slip_shows_each_variance_and_its_value(store: Store, width: int) -> None:
    number = posted(store)
    doc = documents.find(store.ctx, number.lower())
    assert (doc.kind, doc.number, doc.approved_by) == ("stock_count", number, "manager")
    slip = layouts.slip_for(doc, store.ctx.settings.store, layouts.Options(width=width))
    text = slip.text()
    assert all(len(line) <= width for line in text.splitlines())
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert "STOCK COUNT" in lines and f"Count No {number}" in lines
    assert "Counted by stock" in lines and "Location MAIN" in lines and "Scope full" in lines
    assert "Neem Soap 100 g (SOAP)" in lines
    assert "System 50, counted 48" in lines and "Variance -2 -80.00" in lines
    assert "Lot OLD: -2" in lines and "Lot NEW: -3" in lines
    assert "System 50, not counted: 0" in lines  # RICE1 and the others
    assert "Approved by manager" in lines


def test_a_count_prints_on_the_printer_without_opening_the_drawer(
    store: Store, printer: PrinterServer
) -> None:
    config = network(printer)
    number = posted(store)
    service.queue_document(store.ctx, config, documents.find(store.ctx, number))
    assert service.Spooler(store.ctx, config).run_once().printed == 1
    (job,) = printer.wait_for(1)
    assert_slip(job, "STOCK COUNT", number, "-80.00")
    assert KICK not in job


def test_a_till_from_before_counts_finds_them_by_index_and_gets_the_permission(
    store: Store,
) -> None:
    """Schema 12 -> 13: the document-number index is made again with stock.counted in it,
    and the two manager roles get approve_stock."""
    database = store.ctx.db
    database.execute_sql("DROP INDEX journal_document_number")
    database.execute_sql(
        "CREATE INDEX journal_document_number ON journal (json_extract(payload, '$.number')) "
        "WHERE event_type IN ('sale.completed', 'return.completed', 'register.cash_moved')"
    )
    RolePermission.delete().where(RolePermission.permission == "approve_stock").execute()
    database.execute_sql("PRAGMA user_version = 12")
    schema.create_schema(database)
    assert {r.role_id for r in RolePermission.select().where(
        RolePermission.permission == "approve_stock"
    )} == {"administrator", "store_manager"}  # fmt: skip
    assert Role.get_by_id("inventory")
    number = posted(store)
    path, types = "$.number", journal_types()
    with closing(sqlite3.connect(store.ctx.settings.terminal.db_path)) as con:
        plan = con.execute(
            f"EXPLAIN QUERY PLAN SELECT * FROM journal WHERE event_type IN ({types}) "
            f"AND json_extract(payload, '{path}') = ? ORDER BY seq DESC LIMIT 1",
            (number,),
        ).fetchall()[0][-1]
    assert plan == "SEARCH journal USING INDEX journal_document_number (<expr>=?)"
    assert documents.find(store.ctx, number).kind == "stock_count"


def journal_types() -> str:
    from o2pos.core.journal import DOCUMENT_NUMBERS

    [types] = [t for name, _path, t in DOCUMENT_NUMBERS if name == "journal_document_number"]
    assert "stock.counted" in types
    return ", ".join(f"'{t}'" for t in types)
