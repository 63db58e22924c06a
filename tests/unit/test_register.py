import pytest
from peewee import IntegrityError

from o2pos.core import auth, register, reports
from o2pos.core.errors import ApprovalRequired, RegisterClosed, StateError, ValidationError
from o2pos.core.models import CashMovement, Journal, RegisterSession
from o2pos.core.payments import Tender
from o2pos.printing import documents, layouts
from tests.conftest import Store


def test_the_opening_float_cannot_be_edited(store: Store) -> None:
    store.open_register(200000)
    session = register.current_session(store.ctx)
    with pytest.raises(IntegrityError, match="cannot be edited"):
        RegisterSession.update(opening_float=1).where(RegisterSession.id == session.id).execute()
    with pytest.raises(StateError, match="already open"):
        store.open_register(100)
    assert register.current_session(store.ctx).opening_float == 200000


def test_cash_in_and_out_need_a_reason_and_cash(store: Store) -> None:
    with pytest.raises(RegisterClosed):
        register.move_cash(store.ctx, store.cashier, "in", 100, "change")
    store.open_register(100000)
    register.move_cash(store.ctx, store.cashier, "in", 50000, "coins from bank")
    register.move_cash(store.ctx, store.cashier, "out", 20000, "milk supplier")
    with pytest.raises(ValidationError, match="reason"):
        register.move_cash(store.ctx, store.cashier, "out", 100, "  ")
    with pytest.raises(ValidationError, match="not that much cash"):
        register.move_cash(store.ctx, store.cashier, "out", 10_000_000, "theft")
    assert [m.number for m in CashMovement.select()] == ["C-T1-000001", "C-T1-000002"]
    assert register.expected_cash(register.current_session(store.ctx)) == 130000


def test_no_sale_drawer_opening_is_gated_and_logged(store: Store) -> None:
    store.open_register()
    with pytest.raises(ApprovalRequired):
        register.open_drawer(store.ctx, store.cashier, "change for a 500")
    register.open_drawer(store.ctx, store.cashier, "change", store.approval(auth.Perm.NO_SALE))
    event = Journal.select().where(Journal.event_type == "drawer.opened").get()
    assert event.approved_by == "manager"


def test_close_with_a_difference_and_the_z_report(store: Store) -> None:
    store.open_register(200000)
    store.cash_sale("RICE1", tendered=50000)  # 189.00 cash, change 311.00
    store.cash_sale("SOAP")
    from o2pos.core import sales

    card = store.bill("COLA")
    sales.checkout(store.ctx, card, [Tender("card", 4000, "A1")], store.cashier)
    x = reports.x_report(store.ctx)
    assert (x["sales_count"], x["sales_total"], x["cash"]["expected_cash"]) == (3, 26900, 222900)
    with pytest.raises(ApprovalRequired):
        register.close_session(store.ctx, store.cashier, 222000)
    session = register.close_session(
        store.ctx, store.cashier, 222000, store.approval(auth.Perm.CLOSE_REGISTER)
    )
    assert (session.expected_cash, session.counted_cash, session.difference) == (
        222900,
        222000,
        -900,
    )
    assert session.z_number == "Z-T1-000001"
    z = reports.z_report(store.ctx)
    assert (z["z_number"], z["difference"], z["sales_total"]) == ("Z-T1-000001", -900, 26900)
    slip = layouts.slip_for(
        documents.z_report(store.ctx), store.ctx.settings.store, layouts.Options(width=40)
    )
    text = slip.text()
    assert "Opened          20-11-2026 11:30 cashier" in text  # 06:00 UTC, local time
    assert "Short" in text and "-9.00" in text and "Z-T1-000001" in text
    with pytest.raises(RegisterClosed):
        register.close_session(store.ctx, store.manager, 0)
    # a reprint next day reads the figures as they were at closing
    store.open_register(100000)
    store.cash_sale("TRIM")
    assert reports.z_report(store.ctx, "z-t1-000001") == z
    closed = Journal.select().where(Journal.event_type == "register.closed").get()
    assert '"difference":-900' in closed.payload


def test_cash_for_bills_and_cash_for_dues_are_reported_apart(store: Store) -> None:
    from o2pos.core import payments, sales

    store.open_register(200000)
    store.cash_sale("RICE1", tendered=50000)  # 189.00 taken at checkout, change 311.00
    saved = sales.save_unpaid(store.ctx, store.bill("SOAP"), store.cashier)
    payments.collect(store.ctx, store.cashier, [saved.number], [Tender("cash", 10000)])
    cash = register.cash_totals(register.require_open(store.ctx))
    assert cash == {
        "opening_float": 200000,
        "cash_sales": 18900,
        "cash_dues": 4000,  # 100.00 tendered, 60.00 change
        "cash_refunds": 0,
        "cash_in": 0,
        "cash_out": 0,
        "expected_cash": 222900,  # the same sum as before the split
    }
    assert reports.x_report(store.ctx)["cash"] == cash
    text = layouts.slip_for(
        documents.x_report(store.ctx), store.ctx.settings.store, layouts.Options(width=40)
    ).text()
    assert "  Cash sales                      189.00" in text
    assert "  Dues collected                   40.00" in text


def test_the_z_report_names_the_manager_who_approved_the_close(store: Store) -> None:
    store.open_register(100000)
    approval = store.approval(auth.Perm.CLOSE_REGISTER)
    session = register.close_session(store.ctx, store.cashier, 100000, approval)
    z = reports.z_report(store.ctx)
    assert (z["closed_by"], z["approved_by"]) == ("cashier", "manager")
    doc = documents.z_report(store.ctx)
    assert doc.number == session.z_number
    lines = layouts.slip_for(doc, store.ctx.settings.store, layouts.Options(width=40)).text()
    assert "Approved by                      manager" in lines.splitlines()
    # a manager closing alone: nobody approved, and the slip says nothing of it
    store.open_register(100000)
    register.close_session(store.ctx, store.manager, 100000)
    z = reports.z_report(store.ctx)
    assert (z["closed_by"], z["approved_by"]) == ("manager", None)
    text = layouts.slip_for(
        documents.z_report(store.ctx), store.ctx.settings.store, layouts.Options(width=40)
    ).text()
    assert "Approved" not in text


def test_an_older_database_learns_which_receipts_collected_dues(store: Store) -> None:
    """Schema 3 -> 4: receipt.purpose, filled in from the journal for receipts made before."""
    from o2pos.core import db as schema
    from o2pos.core import payments, sales
    from o2pos.core.models import Receipt

    store.open_register(200000)
    at_checkout = store.cash_sale("RICE1").receipt_number
    saved = sales.save_unpaid(store.ctx, store.bill("SOAP"), store.cashier)
    dues, _ = payments.collect(store.ctx, store.cashier, [saved.number], [Tender("cash", 4000)])
    database = store.ctx.db
    # the file as o2pos with schema 3 left it: no purpose column
    database.execute_sql("ALTER TABLE receipt DROP COLUMN purpose")
    database.execute_sql("PRAGMA user_version = 3")
    schema.create_schema(database)
    assert database.execute_sql("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
    purposes = dict(Receipt.select(Receipt.number, Receipt.purpose).tuples())
    assert purposes == {at_checkout: "sale", dues.number: "dues"}
    cash = register.cash_totals(register.require_open(store.ctx))
    assert (cash["cash_sales"], cash["cash_dues"]) == (18900, 4000)


def test_a_file_of_schema_19_gets_the_indexes_a_long_history_needs(store: Store) -> None:
    """Step 20: a stock move no longer writes a second index on its product, and the open
    session is found by index among the thousands a till closes over the years."""
    from o2pos.core import db as schema

    store.open_register(200000)
    store.cash_sale("RICE1")
    database = store.ctx.db
    database.execute_sql('CREATE INDEX "stock_move_product_id" ON "stock_move" ("product_id")')
    database.execute_sql("DROP INDEX register_session_terminal_id_status")
    database.execute_sql("PRAGMA user_version = 19")
    schema.create_schema(database)
    assert database.execute_sql("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
    indexes = {row[1] for row in database.execute_sql("PRAGMA index_list('stock_move')")}
    assert "stock_move_product_id" not in indexes
    assert "stock_move_product_id_location_seq" in indexes
    plan = database.execute_sql(
        "EXPLAIN QUERY PLAN SELECT * FROM register_session "
        "WHERE terminal_id = 'T1' AND status = 'open'"
    ).fetchall()
    assert "register_session_terminal_id_status" in " ".join(str(row[-1]) for row in plan)
    assert register.current_session(store.ctx) is not None  # still open, still found
    store.cash_sale("RICE1")
