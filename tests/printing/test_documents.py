"""Finding any document by its number, receipts taken at checkout included, by index."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from o2pos.core import db as schema
from o2pos.core import journal, payments, register, returns, sales, transfers
from o2pos.core.errors import NotFound
from o2pos.core.models import Location
from o2pos.core.money import format_amount
from o2pos.core.payments import Tender
from o2pos.printing import documents, layouts
from tests.conftest import Store
from tests.unit.test_transfers import incoming_of


def _text(store: Store, doc: documents.Document) -> str:
    return layouts.slip_for(doc, store.ctx.settings.store, layouts.Options(width=48)).text()


def test_a_receipt_taken_at_checkout_is_found_and_prints_as_a_receipt(store: Store) -> None:
    store.open_register()
    done = store.cash_sale("RICE1", "SOAP", tendered=30000)
    assert done.receipt_number == "R-T1-000001"
    doc = documents.find(store.ctx, " r-t1-000001 ")
    assert (doc.kind, doc.number, doc.employee_id) == ("receipt", "R-T1-000001", "cashier")
    text = _text(store, doc)
    total = done.sale.total
    assert "PAYMENT RECEIPT" in text and "Receipt No" in text and "R-T1-000001" in text
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert f"Bill {done.sale.number} {format_amount(total)}" in lines
    assert "Balance left 0.00" in lines
    assert f"Amount due {format_amount(total)}" in lines
    assert "Cash 300.00" in lines and f"Change {format_amount(done.change)}" in lines
    assert f"RECEIVED Rs. {format_amount(total)}" in lines
    # the bill itself is still the bill
    assert documents.find(store.ctx, done.sale.number).kind == "bill"


def test_part_paid_at_checkout_the_receipt_shows_what_is_left_on_account(store: Store) -> None:
    store.open_register()
    sale_id = store.bill("COLA")
    sales.set_customer(store.ctx, sale_id, 1, store.cashier)
    total = sales.get(sale_id).total
    done = sales.checkout(
        store.ctx,
        sale_id,
        [Tender("cash", 1000), Tender("on_account", total - 1000)],
        store.cashier,
    )
    text = _text(store, documents.find(store.ctx, done.receipt_number or ""))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert f"Bill {done.sale.number} 10.00" in lines
    assert f"Balance left {format_amount(total - 1000)}" in lines
    assert "Customer Lakshmi Rao" in lines
    assert "RECEIVED Rs. 10.00" in lines


def test_every_kind_of_number_is_found_and_an_unknown_one_is_told(store: Store) -> None:
    ctx = store.ctx
    store.open_register()
    bill = store.cash_sale("RICE1")
    saved = sales.save_unpaid(ctx, store.bill("SOAP"), store.cashier)
    later, _ = payments.collect(ctx, store.cashier, [saved.number], [Tender("cash", 4000)])
    line = sales.lines_of(bill.sale)[0]
    back = returns.create(
        ctx, store.manager, bill.sale.number, [returns.ReturnItem(line.id, 1000)], "cash"
    )
    move = register.move_cash(ctx, store.cashier, "in", 1000, "coins")
    closed = register.close_session(ctx, store.manager, 0)
    with ctx.write():
        Location.create(code="WH", name="Warehouse")
    clerk = store.people["stock"]
    draft = transfers.start(ctx, clerk, "WH")
    transfers.add_item(ctx, draft.id, "SOAP", clerk)
    sent = transfers.send(ctx, draft.id, clerk)
    ctx.session_location = "WH"
    got = transfers.receive(ctx, clerk, incoming_of(store, sent.number), [transfers.Count(1, 1000)])
    expected = {
        bill.sale.number: ("bill", "sale.completed"),
        bill.receipt_number: ("receipt", "sale.completed"),
        saved.number: ("bill", "sale.completed"),
        later.number: ("receipt", "receipt.recorded"),
        back.number: ("return", "return.completed"),
        move.number: ("cash", "register.cash_moved"),
        closed.z_number: ("z_report", "register.closed"),
        sent.number: ("transfer", "transfer.sent"),
        got.received_number: ("transfer_in", "transfer.received"),
    }
    for number, (kind, _event) in expected.items():
        doc = documents.find(ctx, number.lower())
        assert (doc.kind, doc.number) == (kind, number)
    for missing in ("S-T1-000099", "R-T1-000099", "", "x"):
        with pytest.raises(NotFound) as refused:
            documents.find(ctx, missing)
        # the number first, and short: the notice line is 78 columns
        said = str(refused.value)
        assert said == f"{missing.upper()}: no document of this till has that number"
        assert len(said) <= 78


def test_numbers_are_looked_up_through_indexes_also_in_an_older_file(store: Store) -> None:
    """No scan of every payload: each kind of number has an index SQLite really uses."""
    database = store.ctx.db

    def plans() -> list[str]:
        # a connection of its own: sqlite3 caches statements, and a cached EXPLAIN does not
        # notice that an index was dropped
        with closing(sqlite3.connect(store.ctx.settings.terminal.db_path)) as con:
            return [
                con.execute(
                    f"EXPLAIN QUERY PLAN SELECT * FROM journal WHERE "
                    f"{journal.document_where(path, types)} = ? ORDER BY seq DESC LIMIT 1",
                    ("S-T1-000001",),
                ).fetchall()[0][-1]
                for _name, path, types in journal.DOCUMENT_NUMBERS
            ]

    names = [name for name, _path, _types in journal.DOCUMENT_NUMBERS]
    assert [f"SEARCH journal USING INDEX {name} (<expr>=?)" for name in names] == plans()
    # a file from before the indexes (schema 4) gets them when it is opened
    for name in names:
        database.execute_sql(f"DROP INDEX {name}")
    database.execute_sql("PRAGMA user_version = 4")
    assert all(plan.startswith("SCAN") for plan in plans()), plans()
    schema.create_schema(database)
    assert [f"SEARCH journal USING INDEX {name} (<expr>=?)" for name in names] == plans()


def test_o2pos_reprint_shows_a_receipt_taken_at_checkout(tmp_path: Path) -> None:
    run = [sys.executable, "-m", "o2pos"]
    for args in (["init", "--demo"], ["simulate", "--sales", "2"]):
        subprocess.run([*run, *args], cwd=tmp_path, check=True, capture_output=True)
    done = subprocess.run(
        [*run, "reprint", "R-T1-000001", "--preview"], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "PAYMENT RECEIPT" in done.stdout and "*** COPY ***" in done.stdout
    assert "R-T1-000001" in done.stdout and "Bill" in done.stdout
