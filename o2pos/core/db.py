"""Opening the till database and creating its schema.

SQLite is opened in WAL mode with ``synchronous=full`` so a committed sale survives a power
cut, with foreign keys on and a busy timeout so a second process (the sync daemon) waits
instead of failing. Triggers make the journal append-only and the opening float of a
register session immutable, below any Python code.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from peewee import DatabaseError, SqliteDatabase

from o2pos.core.journal import document_indexes
from o2pos.core.models import ALL_MODELS, database
from o2pos.core.storage import check_header, check_place, storage_error

PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": "full",
    "foreign_keys": 1,
    "busy_timeout": 5000,
    "cache_size": -16000,
    "temp_store": "memory",
}

SCHEMA_SQL = [
    # The journal is append-only: corrections are new events, never edits.
    """CREATE TRIGGER IF NOT EXISTS journal_no_update BEFORE UPDATE ON journal
       BEGIN SELECT RAISE(ABORT, 'journal is append-only: UPDATE rejected'); END""",
    """CREATE TRIGGER IF NOT EXISTS journal_no_delete BEFORE DELETE ON journal
       BEGIN SELECT RAISE(ABORT, 'journal is append-only: DELETE rejected'); END""",
    # INSERT OR REPLACE deletes the row it collides with (by seq or event id) without
    # firing a DELETE trigger: an insert may only add a row, never take one's place
    """CREATE TRIGGER IF NOT EXISTS journal_no_replace BEFORE INSERT ON journal
       WHEN EXISTS (SELECT 1 FROM journal WHERE seq = NEW.seq)
         OR EXISTS (SELECT 1 FROM journal WHERE event_id = NEW.event_id)
       BEGIN SELECT RAISE(ABORT, 'journal is append-only: REPLACE rejected'); END""",
    # A counted opening float is evidence; once saved it cannot change.
    """CREATE TRIGGER IF NOT EXISTS register_float_immutable
       BEFORE UPDATE OF opening_float ON register_session
       WHEN NEW.opening_float IS NOT OLD.opening_float
       BEGIN SELECT RAISE(ABORT, 'the opening float cannot be edited'); END""",
    # Name search: an external-content FTS5 index over the product table, kept in step by
    # triggers so an import or a pulled price list never leaves it stale.
    """CREATE VIRTUAL TABLE IF NOT EXISTS product_fts USING fts5(
         name, brand, category, sku, barcode,
         content='product', content_rowid='id',
         tokenize='unicode61 remove_diacritics 2', prefix='1 2 3')""",
    """CREATE TRIGGER IF NOT EXISTS product_fts_ai AFTER INSERT ON product BEGIN
         INSERT INTO product_fts(rowid, name, brand, category, sku, barcode)
         VALUES (new.id, new.name, new.brand, new.category, new.sku, new.barcode);
       END""",
    """CREATE TRIGGER IF NOT EXISTS product_fts_ad AFTER DELETE ON product BEGIN
         INSERT INTO product_fts(product_fts, rowid, name, brand, category, sku, barcode)
         VALUES ('delete', old.id, old.name, old.brand, old.category, old.sku, old.barcode);
       END""",
    """CREATE TRIGGER IF NOT EXISTS product_fts_au AFTER UPDATE OF name, brand, category, sku,
         barcode ON product BEGIN
         INSERT INTO product_fts(product_fts, rowid, name, brand, category, sku, barcode)
         VALUES ('delete', old.id, old.name, old.brand, old.category, old.sku, old.barcode);
         INSERT INTO product_fts(rowid, name, brand, category, sku, barcode)
         VALUES (new.id, new.name, new.brand, new.category, new.sku, new.barcode);
       END""",
    # Document numbers inside journal payloads (a reprint, a Z report by number).
    *document_indexes(),
]


def open_database(path: Path | str) -> SqliteDatabase:
    """Open (creating if needed) the database file and bind the models to it.

    Raises ``StorageError`` for a place or a file the till cannot use, naming it.
    """
    if str(path) != ":memory:":
        check_place(Path(path))
        check_header(Path(path))
    db = SqliteDatabase(str(path), pragmas=PRAGMAS, timeout=5)
    database.initialize(db)
    try:
        db.connect(reuse_if_open=True)
        # parses the schema: a scrambled first page fails here, not in the middle of a command
        db.execute_sql("SELECT count(*) FROM sqlite_master").fetchone()
    except (DatabaseError, sqlite3.DatabaseError) as exc:
        db.close()
        problem = storage_error(exc, str(path))
        if problem is None:
            raise
        raise problem from exc
    return db


def integrity_problems(db: SqliteDatabase, limit: int = 5) -> list[str]:
    """SQLite's own page-by-page check: reads the whole file, so it runs only on demand
    (``journal verify`` after it met damage), never at start-up."""
    try:
        rows = db.execute_sql(f"PRAGMA integrity_check({int(limit)})").fetchall()
    except (DatabaseError, sqlite3.DatabaseError) as exc:
        return [str(exc)]
    lines = [str(row[0]) for row in rows]
    return [] if lines == ["ok"] else lines


# Bump with every schema change and add the step that brings the version before it up to
# date to MIGRATIONS (playhouse.migrate); `create_schema` runs them in order at start-up.
SCHEMA_VERSION = 21


def _add_columns(db: SqliteDatabase, columns: dict[str, tuple[str, ...]]) -> None:
    """Each ``table: ("name TYPE ...", ...)`` column the table lacks (a step may have run
    halfway before a crash: what is there already is left alone)."""
    for table, added in columns.items():
        have = {c.name for c in db.get_columns(table)}
        for column in added:
            if column.split()[0] not in have:
                db.execute_sql(f"ALTER TABLE {table} ADD COLUMN {column}")


def _add_sync_status(db: SqliteDatabase) -> None:
    """1 -> 2: the sync_status table (created below with every missing table); nothing else."""


def _add_print_job(db: SqliteDatabase) -> None:
    """2 -> 3: the print_job table (created below with every missing table); nothing else."""


def _add_receipt_purpose(db: SqliteDatabase) -> None:
    """3 -> 4: ``receipt.purpose``, sale (taken at checkout) or dues (collected later).

    The register reports cash taken for bills and cash collected for dues apart. A receipt
    written before is a due collected when its number is a ``receipt.recorded`` event's
    (the receipts screen); every other receipt was taken at checkout (``sale.completed``).
    """
    db.execute_sql("ALTER TABLE receipt ADD COLUMN purpose VARCHAR(255) NOT NULL DEFAULT 'sale'")
    db.execute_sql(
        "UPDATE receipt SET purpose = 'dues' WHERE number IN ("
        "SELECT json_extract(payload, '$.receipt') FROM journal "
        "WHERE event_type = 'receipt.recorded')"
    )


def _add_document_indexes(db: SqliteDatabase) -> None:
    """4 -> 5: indexes on the document numbers in journal payloads (created below with
    every SCHEMA_SQL statement); nothing else."""


def _add_login_failure_and_unlock(db: SqliteDatabase) -> None:
    """5 -> 6: the login_failure table (created below) and the new unlock_employees
    permission for the two roles that have every other manager's permission."""
    db.execute_sql(
        "INSERT OR IGNORE INTO role_permission (role, permission) "
        "SELECT code, 'unlock_employees' FROM role "
        "WHERE code IN ('administrator', 'store_manager')"
    )


def _add_journal_checkpoint(db: SqliteDatabase) -> None:
    """6 -> 7: the journal_checkpoint table (created below); nothing else. Without a
    checkpoint the first check walks the whole journal once and sets one."""


def _add_remote_allocation(db: SqliteDatabase) -> None:
    """7 -> 8: the remote_allocation table (created below); nothing else."""


def _add_remote_return(db: SqliteDatabase) -> None:
    """8 -> 9: the remote_return and remote_return_line tables (created below); nothing else."""


def _add_voucher_issuer(db: SqliteDatabase) -> None:
    """9 -> 10: ``voucher.issued_by``, the till that issued a voucher (null: this one), so a
    voucher pulled from the central is told apart from this till's own when offline."""
    if "issued_by" not in {c.name for c in db.get_columns("voucher")}:
        db.execute_sql("ALTER TABLE voucher ADD COLUMN issued_by VARCHAR(255)")


def _add_paid_elsewhere(db: SqliteDatabase) -> None:
    """10 -> 11: the paid_elsewhere table (created below); nothing else."""


def _add_stock_documents(db: SqliteDatabase) -> None:
    """11 -> 12: stock moves and levels per bucket, locations per employee and bill,
    bills for delivery, and the delivery, transfer and count tables (created below)."""
    columns = {
        "stock": (
            "reserved_milli INTEGER NOT NULL DEFAULT 0",
            "transit_milli INTEGER NOT NULL DEFAULT 0",
        ),
        "employee": ("locations VARCHAR(255) NOT NULL DEFAULT ''",),
        "serial_number": ("location VARCHAR(255)",),
        "sale": ("location VARCHAR(255)", "delivery VARCHAR(255)"),
    }
    _add_columns(db, columns)


def _add_stock_counts(db: SqliteDatabase) -> None:
    """12 -> 13: stock counts are printed and reprinted by number (their ``stock.counted``
    event joins the journal's document-number index, dropped here and created again below
    with it), and the new approve_stock permission goes to the two roles that have every
    other manager's permission."""
    db.execute_sql("DROP INDEX IF EXISTS journal_document_number")
    db.execute_sql(
        "INSERT OR IGNORE INTO role_permission (role, permission) "
        "SELECT code, 'approve_stock' FROM role "
        "WHERE code IN ('administrator', 'store_manager')"
    )


def _add_deliveries(db: SqliteDatabase) -> None:
    """13 -> 14: what each bill line has delivered, the deliver permission for the roles
    that deliver; delivery notes are reprinted by number (their ``delivery.recorded`` joins
    the journal's document-number index, dropped here and created again below with it)."""
    db.execute_sql("DROP INDEX IF EXISTS journal_document_number")
    if "delivered_milli" not in {c.name for c in db.get_columns("sale_line")}:
        db.execute_sql(
            "ALTER TABLE sale_line ADD COLUMN delivered_milli INTEGER NOT NULL DEFAULT 0"
        )
    db.execute_sql(
        "INSERT OR IGNORE INTO role_permission (role, permission) SELECT code, 'deliver' "
        "FROM role WHERE code IN ('administrator', 'store_manager', 'cashier', "
        "'billing_employee', 'inventory')"
    )


def _add_transfer_notes(db: SqliteDatabase) -> None:
    """14 -> 15: transfer notes (TO) and receipt notes (TI) are printed and reprinted by
    number: their ``transfer.sent`` and ``transfer.received`` events join the journal's
    document-number index (dropped here and created again below with them)."""
    db.execute_sql("DROP INDEX IF EXISTS journal_document_number")


def _add_credit_and_hsn(db: SqliteDatabase) -> None:
    """15 -> 16: a customer's credit limit and days, a product's HSN/SAC code and the code
    each bill line was sold under; the approve_credit permission goes to the two roles
    that have every other manager's permission."""
    columns = {
        "customer": ("credit_limit INTEGER", "credit_days INTEGER"),
        "product": ("hsn VARCHAR(255)",),
        "sale_line": ("hsn VARCHAR(255)",),
    }
    _add_columns(db, columns)
    db.execute_sql(
        "INSERT OR IGNORE INTO role_permission (role, permission) "
        "SELECT code, 'approve_credit' FROM role "
        "WHERE code IN ('administrator', 'store_manager')"
    )


def _add_customer_groups(db: SqliteDatabase) -> None:
    """16 -> 17: ``customer.group_code`` (null: retail) and the customer_group,
    price_list_entry and loyalty_scheme tables (created below), pulled from the central."""
    if "group_code" not in {c.name for c in db.get_columns("customer")}:
        db.execute_sql("ALTER TABLE customer ADD COLUMN group_code VARCHAR(255)")


def _add_offers(db: SqliteDatabase) -> None:
    """17 -> 18: the offer table (created below), and what offers gave on each bill and
    line (``sales.repricing``); bills before it had no offers."""
    columns = {
        "sale": (
            "offer_discount INTEGER NOT NULL DEFAULT 0",
            "bill_offer TEXT",
            "offers_state TEXT",
        ),
        "sale_line": ("offer_discount INTEGER NOT NULL DEFAULT 0", "offers TEXT"),
    }
    _add_columns(db, columns)


def _add_price_list_indexes(db: SqliteDatabase) -> None:
    """18 -> 19: a price list's entries by product and by category (``pricelists``: a
    bill's reprice after every scan reads only its own lines' entries). A file from before
    step 17 has no such table yet: it is created afterwards, indexes and all."""
    if not db.table_exists("price_list_entry"):
        return
    for column in ("sku", "category"):
        db.execute_sql(
            f"CREATE INDEX IF NOT EXISTS price_list_entry_price_list_{column} "
            f"ON price_list_entry (price_list, {column})"
        )


def _index_for_long_history(db: SqliteDatabase) -> None:
    """19 -> 20: what keeps a sale's commit as quick on a till of a million events as on a
    new one (``benchmarks/history.py``): stock moves lose their index on the product alone,
    which (product, location, seq) already serves, so each line sold writes one index page
    fewer at a random place; the open register session is found through an index on
    (terminal, status) (created below with the table's other indexes)."""
    db.execute_sql("DROP INDEX IF EXISTS stock_move_product_id")


def _guard_journal_replace(db: SqliteDatabase) -> None:
    """20 -> 21: the journal's ``journal_no_replace`` trigger (created below with the
    others): an ``INSERT OR REPLACE`` took an old row's place without a DELETE trigger
    firing or the schema changing, so neither the triggers nor the incremental verify
    (which trusts rows before its checkpoint while the schema is unchanged) saw it."""


MIGRATIONS: dict[int, Callable[[SqliteDatabase], None]] = {
    1: _add_sync_status,
    2: _add_print_job,
    3: _add_receipt_purpose,
    4: _add_document_indexes,
    5: _add_login_failure_and_unlock,
    6: _add_journal_checkpoint,
    7: _add_remote_allocation,
    8: _add_remote_return,
    9: _add_voucher_issuer,
    10: _add_paid_elsewhere,
    11: _add_stock_documents,
    12: _add_stock_counts,
    13: _add_deliveries,
    14: _add_transfer_notes,
    15: _add_credit_and_hsn,
    16: _add_customer_groups,
    17: _add_offers,
    18: _add_price_list_indexes,
    19: _index_for_long_history,
    20: _guard_journal_replace,
}


class SchemaError(Exception):
    """The database was written by a newer o2pos, or cannot be brought up to date."""


def create_schema(db: SqliteDatabase) -> None:
    """Create every table, index and trigger that does not exist yet; migrate older files.

    A database already at this version is left alone without taking the write lock, so a
    report can start while the till is writing.
    """
    current = db.execute_sql("PRAGMA user_version").fetchone()[0]
    if current == SCHEMA_VERSION and db.table_exists("journal"):
        return
    with db.atomic("IMMEDIATE"):
        version = db.execute_sql("PRAGMA user_version").fetchone()[0]
        fresh = not db.table_exists("journal")
        if not fresh and version > SCHEMA_VERSION:
            raise SchemaError(
                f"This database has schema version {version}; this o2pos knows up to "
                f"{SCHEMA_VERSION}. Upgrade o2pos before using it."
            )
        if not fresh:
            for step in range(version, SCHEMA_VERSION):
                migrate = MIGRATIONS.get(step)
                if migrate is None:
                    raise SchemaError(f"No migration from schema version {step}")
                migrate(db)
        db.create_tables(ALL_MODELS, safe=True)
        for statement in SCHEMA_SQL:
            db.execute_sql(statement)
        db.execute_sql(f"PRAGMA user_version = {SCHEMA_VERSION}")


def schema_exists(db: SqliteDatabase) -> bool:
    return db.table_exists("journal")
