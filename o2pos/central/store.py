"""Opening the central database and managing the terminals that may talk to it.

``--db`` takes a file path or ``sqlite:///path`` (the default, for one store) or a
``postgresql://user:password@host:port/name`` URL (for many stores); the same peewee code
runs on both. Terminal tokens are 32 random bytes: only their SHA-256 is stored (a token
with that much entropy needs no slow hash), and it is printed once when issued.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, NamedTuple
from urllib.parse import unquote, urlparse

from peewee import (
    BigIntegerField,
    CharField,
    Database,
    Field,
    IntegerField,
    Model,
    OperationalError,
    PostgresqlDatabase,
    SqliteDatabase,
    TextField,
)

from o2pos.core import pinwrap
from o2pos.core.journal import GENESIS_HASH

from .models import DEFAULT_STORE, MODELS, Counter, Terminal, central_db

DEFAULT_DB = "data/central.db"
logger = logging.getLogger("o2pos.central")


class CentralError(Exception):
    """A central command cannot do what was asked (unknown terminal, bad URL ...)."""


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def open_central(url: str | Path = DEFAULT_DB, *, create: bool = True) -> Database:
    """Bind the central models to the database at ``url`` and create what is missing."""
    text = str(url)
    if text.startswith(("postgresql://", "postgres://")):
        parts = urlparse(text)
        db: Database = PostgresqlDatabase(
            parts.path.lstrip("/"),
            user=unquote(parts.username or "") or None,
            password=unquote(parts.password or "") or None,
            host=parts.hostname or None,
            port=parts.port,
        )
    else:
        path = text.removeprefix("sqlite:///") if text.startswith("sqlite:///") else text
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        db = SqliteDatabase(
            path,
            pragmas={
                "journal_mode": "wal",
                "synchronous": "full",
                "foreign_keys": 1,
                "busy_timeout": 10000,
                # the WAL is copied into the file by ``Checkpointer`` while serving; this
                # is the writer's own fallback, should that thread fall behind
                "wal_autocheckpoint": AUTOCHECKPOINT,
            },
            timeout=10,
            check_same_thread=False,
        )
    central_db.initialize(db)
    if create:
        upgrade(db)
        with db.atomic():
            Counter.insert(name="master", value=0).on_conflict_ignore().execute()
        from .master import seed_reference  # master builds on this module

        seed_reference()
    return db


def upgrade(db: Database) -> None:
    """Make the schema what the models say, whatever version of the central made it.

    New tables and indexes come from ``create_tables`` (``IF NOT EXISTS`` for each, so an
    existing database gains the indexes it lacks: on a large one, the first start after an
    upgrade builds them, and writers wait meanwhile); then the columns added since, and the
    indexes no longer used."""
    db.create_tables(MODELS, safe=True)
    add_missing_columns(db)
    drop_unused_indexes(db)


# Columns added to tables a central created before them: (table, column, SQL definition,
# the UPDATE that fills it in for the rows already there, or None).
# ``create_tables`` makes a new database whole; an existing one gets each column it lacks,
# filled in the transaction that adds it, so no ingest ever sees it half made (on
# PostgreSQL the ALTER holds the table until the commit; on SQLite the write lock does).
# Terminals registered before stores stand in the default store, with no key until they
# are registered again (``/v1/master`` tells them so). A terminal's counters
# (``Terminal``) start from its events and sales as they stand: one scan of each, once.
ADDED_COLUMNS: list[tuple[str, str, str, str | None]] = [
    ("terminal", "store", f"VARCHAR(32) NOT NULL DEFAULT '{DEFAULT_STORE}'", None),
    ("terminal", "wrap_key", "VARCHAR(64)", None),
    (
        "terminal",
        "event_count",
        "BIGINT NOT NULL DEFAULT 0",
        'UPDATE "terminal" SET "event_count" = '
        '(SELECT COUNT(*) FROM "event" WHERE "event"."terminal" = "terminal"."name")',
    ),
    (
        "terminal",
        "sales_count",
        "BIGINT NOT NULL DEFAULT 0",
        'UPDATE "terminal" SET "sales_count" = '
        '(SELECT COUNT(*) FROM "sale" WHERE "sale"."terminal" = "terminal"."name")',
    ),
    (
        "terminal",
        "sales_total",
        "BIGINT NOT NULL DEFAULT 0",
        'UPDATE "terminal" SET "sales_total" = (SELECT COALESCE(SUM("total"), 0) '
        'FROM "sale" WHERE "sale"."terminal" = "terminal"."name")',
    ),
]

# Indexes an older central made that nothing needs now: the event's terminal alone is the
# first column of (terminal, seq), and each index costs every ingest a write.
DROPPED_INDEXES = [("event", "event_terminal")]


def add_missing_columns(db: Database) -> None:
    for table, column, definition, fill in ADDED_COLUMNS:
        if column in {c.name for c in db.get_columns(table)}:
            continue
        exists = "IF NOT EXISTS " if isinstance(db, PostgresqlDatabase) else ""
        try:
            with db.atomic():
                db.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN {exists}"{column}" {definition}')
                if fill is not None:
                    db.execute_sql(fill)
        except OperationalError:
            # another process opening the same SQLite file added it first
            if column not in {c.name for c in db.get_columns(table)}:
                raise


def drop_unused_indexes(db: Database) -> None:
    for table, name in DROPPED_INDEXES:
        if name in {i.name for i in db.get_indexes(table)}:  # else no lock is taken at all
            with db.atomic():
                db.execute_sql(f'DROP INDEX IF EXISTS "{name}"')


def is_postgres(db: Database | None = None) -> bool:
    return isinstance(db or central_db.obj, PostgresqlDatabase)


@contextmanager
def write() -> Iterator[None]:
    """A write transaction that takes SQLite's write lock at BEGIN (no lock upgrades)."""
    db = central_db.obj
    if not isinstance(db, SqliteDatabase):
        with db.atomic():
            yield
        return
    with db.atomic("IMMEDIATE"):
        yield
    Checkpointer.nudge()


# pages (4 kB) in the WAL before the writer copies them into the file itself
AUTOCHECKPOINT = 4000


class Checkpointer:
    """Copies a SQLite central's write-ahead log into the database file, from a thread.

    Left to the writer, every thousandth WAL page made one ingest's commit copy them all and
    sync the file: a push in four waited ~20 ms more for that alone. Here the copy runs
    beside the next request, on the other core, right after each write (``nudge``). It is a
    PASSIVE checkpoint: it never waits for a reader or writer, and never blocks one, so a
    slow disk can only make the WAL longer, until the writer's own ``AUTOCHECKPOINT``.
    """

    _running: ClassVar[set[Checkpointer]] = set()  # of the apps serving in this process

    def __init__(self, path: str) -> None:
        self.path = path
        self._stop = False
        self._asked = 0  # writes nudged about, and of them the ones a checkpoint followed
        self._done = 0
        self._turn = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)

    @classmethod
    def nudge(cls) -> None:
        for running in list(cls._running):
            with running._turn:
                running._asked += 1
                running._turn.notify_all()

    def settle(self, timeout: float | None = None) -> bool:
        """Wait until a checkpoint has been tried after every write so far (with no reader
        holding the WAL, the file alone then holds them); False if ``timeout`` seconds
        passed first."""
        with self._turn:
            asked = self._asked
            return self._turn.wait_for(lambda: self._done >= asked, timeout)

    @classmethod
    def start(cls, db: Database) -> Checkpointer | None:
        """Start one for ``db`` (None for PostgreSQL or a database in memory)."""
        if not isinstance(db, SqliteDatabase) or db.database == ":memory:":
            return None
        checkpointer = cls(db.database)
        cls._running.add(checkpointer)
        checkpointer._thread.start()
        return checkpointer

    def stop(self) -> None:
        with self._turn:
            self._stop = True
            self._turn.notify_all()
        self._thread.join()
        Checkpointer._running.discard(self)

    def _run(self) -> None:
        try:
            connection = sqlite3.connect(self.path, timeout=0, check_same_thread=False)
        except sqlite3.Error:
            logger.warning("WAL checkpoints left to the writer: cannot open %s", self.path)
            Checkpointer._running.discard(self)
            return
        try:
            while True:
                with self._turn:
                    self._turn.wait_for(lambda: self._stop or self._asked > self._done)
                    if self._stop:
                        return
                    asked = self._asked
                # busy or unreadable: the writer's own checkpoint still stands
                with suppress(sqlite3.Error):
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                with self._turn:
                    self._done = asked
                    self._turn.notify_all()
        finally:
            connection.close()


@contextmanager
def snapshot() -> Iterator[None]:
    """Several reads that must see the database at one moment: a transaction of its own,
    REPEATABLE READ on PostgreSQL (its default gives each statement a new snapshot), a
    deferred one on SQLite (WAL: the snapshot of its first read, writers not blocked)."""
    db = central_db.obj
    if isinstance(db, PostgresqlDatabase):
        with db.atomic(isolation_level="REPEATABLE READ"):
            yield
    else:
        with db.atomic():
            yield


# field types whose conversion (``db_value``) leaves a value of this type as it is
_STORED_AS: dict[type[Field], type] = {
    CharField: str,
    TextField: str,
    IntegerField: int,
    BigIntegerField: int,
}


def bulk_insert(
    model: type[Model],
    rows: list[dict[str, Any]],
    chunk: int = 100,
    *,
    replace_on: tuple[str, ...] = (),
) -> None:
    """Insert rows with one multi-row INSERT per chunk, skipping peewee's query builder.

    Building a 100-row INSERT through peewee costs far more than the database spends on
    it; this writes the same SQL with the database's own parameter style. ``replace_on``:
    the columns of a unique index; a row already there takes the new row's other values
    (``ON CONFLICT ... DO UPDATE``, the same on SQLite and PostgreSQL).
    """
    if not rows:
        return
    db = central_db.obj
    fields = [model._meta.fields[name] for name in rows[0]]
    # (field, name, the type it stores as it is): a value already of that type skips the
    # field's conversion, a call per value that was most of building the parameters
    plain = [(f, f.name, _STORED_AS.get(type(f))) for f in fields]
    columns = ", ".join(f'"{f.column_name}"' for f in fields)
    one = "(" + ", ".join([db.param] * len(fields)) + ")"
    upsert = ""
    if replace_on:
        # the key's own columns are equal by definition: setting them anyway made SQLite
        # rewrite the unique index's entry of every row
        kept = [
            f'"{f.column_name}" = excluded."{f.column_name}"'
            for f in fields
            if f.name not in replace_on
        ]
        target = ", ".join(f'"{model._meta.fields[n].column_name}"' for n in replace_on)
        action = f"UPDATE SET {', '.join(kept)}" if kept else "NOTHING"
        upsert = f" ON CONFLICT ({target}) DO {action}"
    for start in range(0, len(rows), chunk):
        part = rows[start : start + chunk]
        params = [
            value if value is None or type(value) is same else field.db_value(value)
            for row in part
            for field, name, same in plain
            for value in (row[name],)
        ]
        db.execute_sql(
            f'INSERT INTO "{model._meta.table_name}" ({columns}) '
            f"VALUES {', '.join([one] * len(part))}{upsert}",
            params,
        )


def rows_in(
    columns: Sequence[Field], key: Field, values: Iterable[Any], chunk: int = 500
) -> list[tuple[Any, ...]]:
    """``columns`` of the rows whose ``key`` is one of ``values``, in plain SQL.

    A batch looks up hundreds of uuids at once: peewee built such an ``IN`` query (a node per
    value) in more time than the database took to answer it. No values, no query.
    """
    # as the column stores them (a number where text is kept becomes that text, as peewee's
    # IN made it): an odd payload's value must not turn the query into an error
    wanted = sorted({key.db_value(value) for value in values})
    if not wanted:
        return []
    db = central_db.obj
    table = key.model._meta.table_name
    selected = ", ".join(f'"{c.column_name}"' for c in columns)
    found: list[tuple[Any, ...]] = []
    for start in range(0, len(wanted), chunk):
        part = wanted[start : start + chunk]
        found += db.execute_sql(
            f'SELECT {selected} FROM "{table}" WHERE "{key.column_name}" '
            f"IN ({', '.join([db.param] * len(part))})",
            part,
        ).fetchall()
    return found


def lock_terminal(name: str) -> Terminal | None:
    """The terminal row, locked against concurrent ingest until the transaction ends."""
    query = Terminal.select().where(Terminal.name == name)
    if is_postgres():
        query = query.for_update()
    return query.first()


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


_NAME = re.compile(r"^[A-Z0-9]{1,8}$")


_STORE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


class Registration(NamedTuple):
    """What a till needs from ``add-terminal``, shown once: its token and its key."""

    token: str
    key: str


def store_name(text: str) -> str:
    """A store's name as stored: lower case, 1 to 32 letters, digits, '-' or '_'."""
    name = text.strip().lower()
    if not _STORE.match(name):
        raise CentralError(
            f"A store name is 1 to 32 letters, digits, '-' or '_' (not {text.strip()!r})"
        )
    return name


def add_terminal(name: str, store: str | None = None) -> Registration:
    """Register a terminal, or issue a new token and key to one already known.

    Re-registration keeps its journal and high-water mark, so a till whose token was
    revoked resumes exactly where it stopped once it has the new token; it keeps its store
    unless ``store`` names another. A new key comes with every new token: whoever may have
    taken the old token from the till's config may have taken the key beside it.
    """
    name = name.strip().upper()
    if not _NAME.match(name):
        raise CentralError("A terminal name is its till's [terminal] id: 1 to 8 letters or digits")
    chosen = store_name(store) if store is not None else None
    token = f"o2t_{name}_{secrets.token_urlsafe(32)}"
    key = pinwrap.new_key()
    fields: dict[str, Any] = {"token_hash": token_digest(token), "wrap_key": key}
    if chosen is not None:
        fields["store"] = chosen
    with write():
        updated = Terminal.update(revoked=False, **fields).where(Terminal.name == name).execute()
        if not updated:
            Terminal.insert(
                name=name,
                created_at=now(),
                high_water_hash=GENESIS_HASH,
                **{"store": DEFAULT_STORE, **fields},
            ).execute()
    return Registration(token, key)


def revoke_terminal(name: str) -> None:
    with write():
        done = Terminal.update(revoked=True).where(Terminal.name == name.strip().upper()).execute()
    if not done:
        raise CentralError(f"No terminal named {name}")


def find_by_token(token: str) -> Terminal | None:
    """The terminal this bearer token was issued to (the caller checks ``revoked``)."""
    if not token:
        return None
    return Terminal.get_or_none(Terminal.token_hash == token_digest(token))
