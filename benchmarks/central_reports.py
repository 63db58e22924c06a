"""The central's reports over ten million events (issue 16): a store's day of sales and one
terminal's stats, each beside the same on a small central measured in the same run.

    python benchmarks/central_reports.py [--events 10000000] [--baseline 10000] [--runs 20]
        [--pg postgresql://...] [--cache DIR] [--fresh]

**The generated central.** A bulk generator writes ``--events`` events straight into a
central database, with the rows ingest would have projected from them: ``stores`` stores
(``--events`` / 50,000, from 2 to 200) of ``TILLS`` tills each, day after day from
2024-01-01 until the events are written (200 × 5 tills over two years for ten million).
Each till's day, in the store's hours (09:00 to 21:00 in Kolkata): its register opened, 8
to 14 bills (cash, UPI or card; one in 25 on account or saved unpaid), now and then a
receipt paying one of its unpaid bills in full, a return of part of a bill, the register
closed: about 13.7 events a till-day. Events go in day by day across all tills, as a chain
of tills pushing would interleave them, each with its seq, a chained hash, and a short
JSON payload naming the document (**not** the till's whole bill: these reports never read
payloads, and ten million full bills would only make the file bigger). One event in a
thousand is flagged. Each sale, payment and return row is as ``projection.py`` writes it;
a terminal's counters (``event_count``, ``sales_count``, ``sales_total``) and high-water
mark are what ingest would have left. The secondary indexes are dropped for the load and
made again by ``store.upgrade``, the path an existing central's upgrade takes; on
PostgreSQL the tables are then vacuumed and analysed, as autovacuum would.

SQLite by default (a file under ``--cache``, default ``~/.cache/o2pos-benchmarks``);
PostgreSQL with ``--pg URL``, in a schema of its own (``bench_reports_<events>``), so the
other benchmarks that drop the central's tables in that database leave it alone. **A
generated central of a million events or more is kept and used again** by the next run
asking for the same size (``--fresh`` makes it again); the baseline, ``--baseline`` events
(2 stores), is made fresh every run, in a temporary file or its own schema.

**The measures**, on each central, ``--runs`` times each (median and p99; with 20 runs the
p99 is the slowest): ``reports.sales_day`` for a random store and day of the generated
range, and ``reports.stats`` for a random terminal: the functions ``o2pos central report
sales`` and ``o2pos central stats --terminal`` print (the command adds its process start).
Beside them, once each: the stats of every terminal, and the query ``stats`` made before
issue 16 (a COUNT/SUM per terminal over all events and sales). Target (issue 16): ≤ 100 ms.

``run()`` returns the lines of the project's one table (``benchmarks/all.py``); the machine
is shared, so figures are noisy.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Row, percentile
from common import table as text_table
from peewee import Database, DatabaseError, PostgresqlDatabase

from o2pos.central import models as cm
from o2pos.central.reports import sales_day, stats
from o2pos.central.store import open_central, upgrade
from o2pos.core.journal import GENESIS_HASH

TARGET = 0.100  # seconds, issue 16
TILLS = 5  # per store
ZONE = "Asia/Kolkata"
FIRST_DAY = date(2024, 1, 1)
EVENTS_PER_TILL_DAY = 13.7  # what the mix below averages
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "o2pos-benchmarks"
KEEP_FROM = 1_000_000  # events: a generated central this big is kept for the next run
MARKER = "bench:central_reports"  # the Counter row that says a generated central is whole
TABLES = ("event", "sale", "payment", "return")

EVENT_COLUMNS = (
    "id, terminal, seq, event_id, event_type, created_at, employee_id, approved_by, "
    "payload, prev_hash, hash, received_at, source, flag"
)
SALE_COLUMNS = (
    "id, uuid, terminal, number, session_id, completed_at, employee_id, customer_uuid, "
    "subtotal, discount_total, tax_total, round_off, total, paid, balance, event_id"
)
PAYMENT_COLUMNS = "id, terminal, receipt, receipt_uuid, method, kind, tendered, amount, event_id"
RETURN_COLUMNS = "id, uuid, terminal, number, sale_uuid, refund_method, total, event_id"
COLUMNS = {
    "event": EVENT_COLUMNS,
    "sale": SALE_COLUMNS,
    "payment": PAYMENT_COLUMNS,
    "return": RETURN_COLUMNS,
}
FLAGS = ("session 3 was already closed centrally", "double spent: GV-1 had 0.00 left", "odd")


def stores_for(events: int) -> int:
    return min(200, max(2, events // 50_000))


# --- the generator ---------------------------------------------------------------------------


@dataclass
class Till:
    name: str
    store: str
    seq: int = 0
    head: str = GENESIS_HASH
    sales: int = 0
    sales_total: int = 0
    numbers: int = 0
    unpaid: list[tuple[int, str, int]] = field(default_factory=list)  # (id, uuid, balance)


@dataclass
class Generated:
    events: int
    sales: int
    payments: int
    returns: int
    stores: int
    days: int
    seconds: float  # 0: found in the cache
    size: int  # bytes of the database (or the schema's tables)
    where: str


class Rows:
    """One chunk of rows per table, and the updates that go in after them."""

    def __init__(self) -> None:
        self.tables: dict[str, list[tuple[Any, ...]]] = {t: [] for t in TABLES}
        self.paid: list[tuple[int, int]] = []  # (sale id, amount): a receipt paid it later


class Generator:
    def __init__(self, events: int, seed: int = 16) -> None:
        self.target = events
        self.rng = random.Random(seed)
        self.stores = stores_for(events)
        self.days = max(1, math.ceil(events / (self.stores * TILLS * EVENTS_PER_TILL_DAY)))
        self.tills = [
            Till(f"R{s:03d}{t}", f"store{s:03d}")
            for s in range(1, self.stores + 1)
            for t in range(1, TILLS + 1)
        ]
        self.ids = dict.fromkeys(TABLES, 0)
        self.written = 0
        self.zone = ZoneInfo(ZONE)

    def _id(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def _uuid(self) -> str:
        h = f"{self.rng.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{h[16:20]}-{h[20:]}"

    def _event(
        self, rows: Rows, till: Till, kind: str, stamp: str, payload: str, received: str
    ) -> int:
        till.seq += 1
        event_id = self._uuid()
        digest = hashlib.sha256(f"{till.head}{event_id}{payload}".encode()).hexdigest()
        flag = self.rng.choice(FLAGS) if self.rng.random() < 0.001 else None
        row_id = self._id("event")
        rows.tables["event"].append(
            (
                row_id,
                till.name,
                till.seq,
                event_id,
                kind,
                stamp,
                "cashier",
                None,
                payload,
                till.head,
                digest,
                received,
                "push",
                flag,
            )
        )
        till.head = digest
        self.written += 1
        return row_id

    def _day(self, rows: Rows, till: Till, day: date) -> None:
        rng = self.rng
        opening = datetime(day.year, day.month, day.day, 9, tzinfo=self.zone).astimezone(UTC)
        minutes = sorted(rng.randrange(1, 720) for _ in range(rng.randint(8, 14)))

        def stamp(minute: int) -> tuple[str, str]:
            moment = opening + timedelta(minutes=minute, seconds=rng.randrange(60))
            return (
                moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                (moment + timedelta(seconds=5)).strftime("%Y-%m-%d %H:%M:%S.%f"),
            )

        session = day.toordinal()
        created, received = stamp(0)
        self._event(rows, till, "register.opened", created, f'{{"session_id":{session}}}', received)
        day_sales: list[tuple[str, str, int]] = []  # (uuid, number, total) for returns
        for minute in minutes:
            created, received = stamp(minute)
            total = rng.randrange(500, 500_000)
            discount = rng.choice((0, 0, 0, total // 20))
            rounding = rng.randrange(-49, 50)
            subtotal = total + discount - rounding
            tax = total * 18 // 118  # prices include GST
            till.numbers += 1
            number = f"S-{till.name}-{till.numbers:06d}"
            uuid_ = self._uuid()
            unpaid = rng.random() < 0.04
            on_account = unpaid and rng.random() < 0.5
            paid = 0 if unpaid else total
            payload = f'{{"number":"{number}","total":{total},"uuid":"{uuid_}"}}'
            event = self._event(rows, till, "sale.completed", created, payload, received)
            sale_id = self._id("sale")
            rows.tables["sale"].append(
                (
                    sale_id,
                    uuid_,
                    till.name,
                    number,
                    session,
                    created,
                    "cashier",
                    self._uuid() if unpaid else None,
                    subtotal,
                    discount,
                    tax,
                    rounding,
                    total,
                    paid,
                    total - paid,
                    event,
                )
            )
            till.sales += 1
            till.sales_total += total
            if not unpaid or on_account:
                method = (
                    "on_account"
                    if on_account
                    else rng.choice(("cash",) * 3 + ("upi", "upi", "card"))
                )
                rows.tables["payment"].append(
                    (
                        self._id("payment"),
                        till.name,
                        f"R-{number[2:]}",
                        self._uuid(),
                        method,
                        method,
                        total,
                        total,
                        event,
                    )
                )
            if unpaid:
                till.unpaid.append((sale_id, uuid_, total))
            day_sales.append((uuid_, number, total))
            if till.unpaid and rng.random() < 0.025:  # a receipt for an unpaid bill, in full
                paid_id, paid_uuid, balance = till.unpaid.pop(0)
                created, received = stamp(minute + 1)
                receipt = f"R-{till.name}-P{till.numbers:06d}"
                payload = (
                    f'{{"allocations":[{{"amount":{balance},"sale_uuid":"{paid_uuid}"}}],'
                    f'"receipt":"{receipt}"}}'
                )
                event = self._event(rows, till, "receipt.recorded", created, payload, received)
                rows.tables["payment"].append(
                    (
                        self._id("payment"),
                        till.name,
                        receipt,
                        self._uuid(),
                        "cash",
                        "cash",
                        balance,
                        balance,
                        event,
                    )
                )
                rows.paid.append((paid_id, balance))
            if rng.random() < 0.025:  # part of a bill of the day comes back, in cash
                sale_uuid, sale_number, sale_total = rng.choice(day_sales)
                created, received = stamp(minute + 2)
                uuid_ = self._uuid()
                back = max(1, sale_total // 3)
                payload = f'{{"sale_uuid":"{sale_uuid}","total":{back},"uuid":"{uuid_}"}}'
                event = self._event(rows, till, "return.completed", created, payload, received)
                rows.tables["return"].append(
                    (
                        self._id("return"),
                        uuid_,
                        till.name,
                        f"SR-{sale_number[2:]}",
                        sale_uuid,
                        "cash",
                        back,
                        event,
                    )
                )
        created, received = stamp(721)
        self._event(rows, till, "register.closed", created, f'{{"session_id":{session}}}', received)

    def chunks(self, days_per_chunk: int = 10) -> Iterator[Rows]:
        """Rows ``days_per_chunk`` days of every till at a time, until the target is met."""
        day = 0
        while self.written < self.target:
            rows = Rows()
            for _ in range(days_per_chunk):
                if self.written >= self.target:
                    break
                moment = FIRST_DAY + timedelta(days=day)
                for till in self.tills:
                    self._day(rows, till, moment)
                day += 1
            yield rows
            if self.written // 1_000_000 > (self.written - len(rows.tables["event"])) // 1_000_000:
                print(f"  … {self.written:,} events", file=sys.stderr, flush=True)
        self.days = day


# --- writing it -------------------------------------------------------------------------------


def _pg_database(url: str, schema: str) -> PostgresqlDatabase:
    parts = urlparse(url)
    return PostgresqlDatabase(
        parts.path.lstrip("/"),
        user=unquote(parts.username or "") or None,
        password=unquote(parts.password or "") or None,
        host=parts.hostname or None,
        port=parts.port,
        options=f"-c search_path={schema}",
    )


def bind(where: str) -> Database:
    """The central at ``where`` (a SQLite path, or ``pg:<schema>:<url>``), models bound."""
    if where.startswith("pg:"):
        _, schema, url = where.split(":", 2)
        db = _pg_database(url, schema)
        cm.central_db.initialize(db)
        return db
    return open_central(where, create=False)


def generated(where: str) -> int:
    """Events of a whole generated central at ``where`` (0: none, or one cut short)."""
    if not where.startswith("pg:") and not Path(where).exists():
        return 0
    db = bind(where)
    try:
        found = cm.Counter.get_or_none(cm.Counter.name == MARKER)
        return int(found.value) if found else 0
    except DatabaseError:  # no tables, no schema: nothing generated there
        return 0
    finally:
        db.close()


def size_of(where: str) -> int:
    if not where.startswith("pg:"):
        return sum(
            Path(where + end).stat().st_size for end in ("", "-wal") if Path(where + end).exists()
        )
    db = bind(where)
    schema = where.split(":", 2)[1]
    size = db.execute_sql(
        "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind = 'r'",
        (schema,),
    ).fetchone()[0]
    db.close()
    return int(size)


def _secondary_indexes(db: Database) -> list[str]:
    names = []
    for table in TABLES:
        for index in db.get_indexes(table):
            if not index.name.endswith("_pkey") and not index.name.startswith("sqlite_"):
                names.append(index.name)
    return names


def _write_sqlite(path: Path, gen: Generator) -> None:
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=off")  # a generator: a crash means generating again
    con.execute("PRAGMA synchronous=off")
    con.execute("PRAGMA cache_size=-500000")
    marks = {t: ", ".join("?" * len(COLUMNS[t].split(", "))) for t in TABLES}
    for rows in gen.chunks():
        con.execute("BEGIN")
        for table, values in rows.tables.items():
            con.executemany(
                f'INSERT INTO "{table}" ({COLUMNS[table]}) VALUES ({marks[table]})', values
            )
        con.executemany(
            "UPDATE sale SET paid = paid + ?, balance = balance - ? WHERE id = ?",
            [(amount, amount, sale) for sale, amount in rows.paid],
        )
        con.execute("COMMIT")
    con.execute("PRAGMA journal_mode=wal")
    con.close()


def _copy_text(values: list[tuple[Any, ...]]) -> io.StringIO:
    out = io.StringIO()
    for row in values:
        out.write("\t".join("\\N" if v is None else str(v) for v in row))
        out.write("\n")
    out.seek(0)
    return out


def _write_pg(db: Database, gen: Generator) -> None:
    # the foreign keys are checked once, when they are put back, not row by row
    keys = db.execute_sql(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'f' AND connamespace = current_schema()::regnamespace "
        "AND conrelid::regclass::text IN ('event', 'sale', 'payment', '\"return\"')"
    ).fetchall()
    for table, name, _ in keys:
        db.execute_sql(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    conn = db.connection()
    for rows in gen.chunks():
        with db.atomic():
            cursor = conn.cursor()
            for table, values in rows.tables.items():
                cursor.copy_expert(
                    f'COPY "{table}" ({COLUMNS[table]}) FROM STDIN', _copy_text(values)
                )
            if rows.paid:
                cursor.executemany(
                    "UPDATE sale SET paid = paid + %s, balance = balance - %s WHERE id = %s",
                    [(amount, amount, sale) for sale, amount in rows.paid],
                )
    for table in TABLES:
        db.execute_sql(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), {max(gen.ids[table], 1)})"
        )
    for table, name, definition in keys:
        db.execute_sql(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def generate(where: str, events: int) -> Generated:
    """A central of ``events`` events at ``where`` (made new); see the module docstring."""
    started = time.perf_counter()
    gen = Generator(events)
    if where.startswith("pg:"):
        _, schema, url = where.split(":", 2)
        admin = _pg_database(url, "public")
        admin.execute_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.execute_sql(f"CREATE SCHEMA {schema}")
        admin.close()
        db = bind(where)
        upgrade(db)
    else:
        for end in ("", "-wal", "-shm"):
            Path(where + end).unlink(missing_ok=True)
        db = open_central(where)
    for name in _secondary_indexes(db):
        db.execute_sql(f'DROP INDEX "{name}"')
    with db.atomic():
        cm.Terminal.insert_many(
            [
                {
                    "name": t.name,
                    "store": t.store,
                    "created_at": datetime(2023, 12, 31),
                    "high_water_hash": GENESIS_HASH,
                }
                for t in gen.tills
            ]
        ).execute()
    if where.startswith("pg:"):
        _write_pg(db, gen)
    else:
        db.close()
        _write_sqlite(Path(where), gen)
        db = open_central(where, create=False)
    print("  indexes …", file=sys.stderr, flush=True)
    upgrade(db)  # the indexes, made again as an existing central's upgrade would
    with db.atomic():
        for till in gen.tills:
            cm.Terminal.update(
                high_water_seq=till.seq,
                high_water_hash=till.head,
                event_count=till.seq,
                sales_count=till.sales,
                sales_total=till.sales_total,
                last_seen_at=datetime(2026, 1, 1),
            ).where(cm.Terminal.name == till.name).execute()
        cm.Counter.delete().where(cm.Counter.name == MARKER).execute()
        cm.Counter.insert(name=MARKER, value=gen.written).execute()
    if where.startswith("pg:"):
        for table in ("terminal", *TABLES):
            db.execute_sql(f'VACUUM ANALYZE "{table}"')
    else:
        db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    seconds = time.perf_counter() - started
    return Generated(
        gen.written,
        gen.ids["sale"],
        gen.ids["payment"],
        gen.ids["return"],
        gen.stores,
        gen.days,
        seconds,
        size_of(where),
        where,
    )


def central(where: str, events: int, fresh: bool) -> Generated:
    """The generated central at ``where``: the one there if it is whole and of this size."""
    if not fresh and generated(where) >= events:
        db = bind(where)
        counts = {
            t: db.execute_sql(f'SELECT MAX(id) FROM "{t}"').fetchone()[0] or 0 for t in TABLES
        }
        stores = cm.Terminal.select(cm.Terminal.store).distinct().count()
        last = db.execute_sql('SELECT MAX(created_at) FROM "event"').fetchone()[0]
        db.close()
        days = (date.fromisoformat(last[:10]) - FIRST_DAY).days + 1
        return Generated(
            counts["event"],
            counts["sale"],
            counts["payment"],
            counts["return"],
            stores,
            days,
            0.0,
            size_of(where),
            where,
        )
    return generate(where, events)


# --- measuring --------------------------------------------------------------------------------


@dataclass
class Timings:
    events: int
    day: list[float]
    till: list[float]
    every_till: float
    full_count: float  # the query stats made before issue 16
    sample: dict[str, Any]  # one store-day report, to show it is not empty


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def measure(g: Generated, runs: int, seed: int = 7) -> Timings:
    db = bind(g.where)
    rng = random.Random(seed)
    stores = [s for (s,) in cm.Terminal.select(cm.Terminal.store).distinct().tuples()]
    tills = [t for (t,) in cm.Terminal.select(cm.Terminal.name).tuples()]
    day_times, till_times = [], []
    sample: dict[str, Any] = {}
    for _ in range(runs):
        store = rng.choice(stores)
        day = FIRST_DAY + timedelta(days=rng.randrange(g.days))
        seconds, report = _timed(lambda: sales_day(store, day, ZONE))  # noqa: B023
        day_times.append(seconds)
        if not sample or report["sales_count"] > sample["sales_count"]:
            sample = report
        name = rng.choice(tills)
        seconds, figures = _timed(lambda: stats(name))  # noqa: B023
        assert figures[name]["events"] > 0
        till_times.append(seconds)
    every, _ = _timed(stats)
    full, _ = _timed(
        lambda: (
            db.execute_sql('SELECT terminal, COUNT(id) FROM "event" GROUP BY terminal').fetchall(),
            db.execute_sql(
                'SELECT terminal, COUNT(id), SUM(total), SUM(balance) FROM "sale" GROUP BY terminal'
            ).fetchall(),
        )
    )
    db.close()
    return Timings(g.events, day_times, till_times, every, full, sample)


# --- the figures ------------------------------------------------------------------------------


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 10 else f"{seconds:.0f} s"


def _bytes(size: int) -> str:
    return f"{size / 2**30:.1f} GiB" if size >= 2**30 else f"{size / 2**20:.0f} MiB"


def _spread(values: list[float]) -> str:
    return f"median {_ms(statistics.median(values))}, p99 {_ms(percentile(values, 99))}"


@dataclass
class Results:
    backend: str
    big: Generated
    small: Generated
    on_big: Timings
    on_small: Timings


def rows(r: Results) -> list[Row]:
    n = f"{r.big.events:,} events"
    base = f"{r.small.events:,} events"
    out = []
    for measure_name, attr in (
        ("a store's day of sales (report sales)", "day"),
        ("one terminal's stats (stats --terminal)", "till"),
    ):
        big, small = getattr(r.on_big, attr), getattr(r.on_small, attr)
        out.append(
            Row(
                "central reports",
                f"{measure_name}, {n}, {r.backend}",
                _spread(big),
                f"a central of {base}: {_spread(small)}",
                "≤ 100 ms",
                percentile(big, 99) <= TARGET,
            )
        )
    made = f"generated in {r.big.seconds:.0f} s" if r.big.seconds else "generated by an earlier run"
    out.append(
        Row(
            "central reports",
            f"every terminal's stats ({r.big.stores * TILLS:,} tills), {n}, {r.backend}",
            _ms(r.on_big.every_till),
            f"the full COUNT/SUM stats made before: {_ms(r.on_big.full_count)}; database "
            f"{_bytes(r.big.size)} ({r.big.sales:,} sales, {r.big.payments:,} payments, "
            f"{r.big.returns:,} returns; {r.big.stores} stores × {TILLS} tills × {r.big.days} "
            f"days), {made}",
        )
    )
    return out


def run(
    events: int = 10_000_000,
    baseline: int = 10_000,
    runs: int = 20,
    pg: str = "",
    cache: Path = CACHE,
    fresh: bool = False,
) -> list[Row]:
    return rows(collect(events, baseline, runs, pg, cache, fresh))


def collect(events: int, baseline: int, runs: int, pg: str, cache: Path, fresh: bool) -> Results:
    with tempfile.TemporaryDirectory(prefix="o2pos-reports-") as tmp:
        keep = events >= KEEP_FROM  # a small one is made again faster than looked for
        if pg:
            where = f"pg:bench_reports_{events}:{pg}"
            small_where = f"pg:bench_reports_baseline:{pg}"
            backend = "PostgreSQL"
        else:
            cache.mkdir(parents=True, exist_ok=True)
            where = str((cache if keep else Path(tmp)) / f"central-reports-{events}.db")
            small_where = str(Path(tmp) / "baseline.db")
            backend = "SQLite"
        shown = f"schema {where.split(':')[1]}" if pg else where
        print(f"{backend}: a central of {events:,} events, {shown} …", file=sys.stderr, flush=True)
        big = central(where, events, fresh or not keep)
        small = generate(small_where, baseline)
        on_big = measure(big, runs)
        on_small = measure(small, runs)
        if pg:
            admin = _pg_database(pg, "public")
            for done in (small_where, *(() if keep else (where,))):
                admin.execute_sql(f"DROP SCHEMA IF EXISTS {done.split(':')[1]} CASCADE")
            admin.close()
    return Results(backend, big, small, on_big, on_small)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--baseline", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--pg", default="", help="PostgreSQL URL (a schema of its own is made)")
    parser.add_argument(
        "--cache", type=Path, default=CACHE, help="where the SQLite central is kept"
    )
    parser.add_argument("--fresh", action="store_true", help="generate the central again")
    args = parser.parse_args()
    result = collect(args.events, args.baseline, args.runs, args.pg, args.cache, args.fresh)
    print(
        text_table(
            [(r.measure, r.result, r.beside, r.target) for r in rows(result)],
            ("measure", "result", "beside it", "target"),
        )
    )
    sample = result.on_big.sample
    brief = {k: v for k, v in sample.items() if k not in ("payments", "refunds", "terminals")}
    print(f"\nThe busiest store-day reported: {json.dumps(brief)}")


if __name__ == "__main__":
    main()
