"""A till that has sold for years: does a long history slow what a cashier waits for?

    python benchmarks/history.py [--events 1000000] [--per-day 1000]

Two tills in temporary directories, both ``o2pos init --demo``: a **new** one, and one
given a **history** of about ``--events`` journal events by a bulk generator. The generator
rings up a template day through the real core (``simulate``: a register session opened,
sales, the session closed with its Z report), then writes that day again and again,
straight into SQLite in big transactions: every business row of each sale (the bill, its
lines, receipt, tender, allocation and stock moves) with new ids, uuids and numbers, in a
closed register session of its own per day, and the journal entries of the day with new
event ids and timestamps, chained and hashed exactly as ``journal.append`` does. The result
passes ``journal verify --full`` (checked here) and reads as years of days of ``--per-day``
sales; then a register session is opened on it, as on the new till.

On each till, the same measures, the first four timed in rounds that alternate between the
two tills (the host's speed varies by half within minutes, and what lands on one till's
turn must land on the other's too):

- **start-up**: ``o2pos run`` in a real terminal to its login screen drawn (``startup.py``'s
  measure: tmux, 80×24; median of ``--runs``, one a round);
- **pending count**: what the status bar shows, ``syncstate.pending_count`` (median of 200);
- **sale commit**: a 5-line cash sale's checkout (median of ``--sales``);
- **report x**: the open session's X report (median of 20);
- **journal verify**: the incremental check (what runs before each push: from the
  checkpoint on) after one more sale, and the full walk.

Target (issue 16): start-up, pending count, sale commit and report x cost the same on both
within noise (≤ 1.25× here, as the machines are shared), and the incremental check does
not grow with the history. Also printed: the database's size per 100,000 sales.

``run()`` returns the lines of the project's one table (``benchmarks/all.py``).
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import startup
from common import Row, init_demo, table, timed_checkouts

from o2pos.commands.common import context_of
from o2pos.core import integrity, journal, register, reports, syncstate
from o2pos.core.context import Context
from o2pos.core.journal import hash_with_payload
from o2pos.core.models import Employee, database
from o2pos.core.simulate import simulate

SAME = 1.25  # "the same within noise" on a shared machine

# each cloned business table: the columns that must be new per copy, and what they point at
SALE_TABLES = ("sale_line", "receipt_allocation", "stock_move")


@dataclass
class Template:
    """One real day of the till, read back from its tables and journal."""

    columns: dict[str, list[str]]  # table: its columns, id first
    sales: list[dict[str, Any]]  # one per sale: its rows per table
    events: list[dict[str, Any]]  # the day's journal entries, in order


def _rows(con: sqlite3.Connection, sql: str, *args: Any) -> list[dict[str, Any]]:
    cur = con.execute(sql, args)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def template_day(ctx: Context, per_day: int) -> Template:
    """A day rung up through the core: open, ``per_day`` sales (at most 200), close."""
    count = min(per_day, 200)
    first = journal.last_seq(ctx) + 1
    simulate(ctx, count, seed=16)
    manager = Employee.get(Employee.code == "manager")
    session = register.current_session(ctx)
    assert session is not None
    register.close_session(ctx, manager, register.expected_cash(session))
    con = sqlite3.connect(ctx.settings.terminal.db_path)
    columns = {
        table: [r[1] for r in con.execute(f"PRAGMA table_info({table})")]
        for table in ("sale", "receipt", "tender", *SALE_TABLES)
    }
    day = []
    for sale in _rows(con, "SELECT * FROM sale WHERE status = 'completed' ORDER BY id"):
        allocations = _rows(con, "SELECT * FROM receipt_allocation WHERE sale_id = ?", sale["id"])
        receipts = [
            _rows(con, "SELECT * FROM receipt WHERE id = ?", a["receipt_id"])[0]
            for a in allocations
        ]
        day.append(
            {
                "sale": sale,
                "sale_line": _rows(con, "SELECT * FROM sale_line WHERE sale_id = ?", sale["id"]),
                "receipt_allocation": allocations,
                "receipt": receipts,
                "tender": [
                    t
                    for r in receipts
                    for t in _rows(con, "SELECT * FROM tender WHERE receipt_id = ?", r["id"])
                ],
                "stock_move": _rows(
                    con, "SELECT * FROM stock_move WHERE document = ?", sale["number"]
                ),
            }
        )
    events = _rows(con, "SELECT * FROM journal WHERE seq >= ? ORDER BY seq", first)
    con.close()
    return Template(columns, day, events)


def _insert(con: sqlite3.Connection, table: str, columns: list[str], rows: list[tuple]) -> None:
    if rows:
        marks = ", ".join("?" * len(columns))
        con.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


def write_history(ctx: Context, template: Template, events: int, per_day: int) -> int:
    """Days cloned from ``template`` until the journal holds ``events`` more; the sales."""
    import orjson

    path = ctx.settings.terminal.db_path
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=wal")
    con.execute("PRAGMA synchronous=off")  # a generator: durability is not what is measured
    seq, prev = con.execute("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
    next_id = {
        t: con.execute(f"SELECT COALESCE(MAX(id), 0) FROM {t}").fetchone()[0] + 1
        for t in ("sale", "receipt", "register_session", *SALE_TABLES, "tender")
    }
    session_row = _rows(con, "SELECT * FROM register_session ORDER BY id DESC LIMIT 1")[0]
    session_cols = list(session_row)
    start = datetime(2020, 1, 1, 9, 0)
    per_template = len(template.sales)
    sold = 0
    day = 0
    written = 0
    cols = template.columns
    sale_events = [e for e in template.events if e["event_type"] == "sale.completed"]
    assert len(sale_events) == per_template, "one sale.completed per template sale"
    first = template.events.index(sale_events[0])
    last = template.events.index(sale_events[-1])
    prefix, suffix = template.events[:first], template.events[last + 1 :]
    while written < events:
        moment = start + timedelta(days=day)
        stamp = moment.isoformat(sep=" ")
        created = moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        con.execute("BEGIN")
        sid = next_id["register_session"]
        next_id["register_session"] += 1
        session = {
            **session_row,
            "id": sid,
            "z_number": f"Z-H-{day:06d}",
            "opened_at": stamp,
            "closed_at": stamp,
        }
        _insert(con, "register_session", session_cols, [tuple(session.values())])
        rows: dict[str, list[tuple]] = {t: [] for t in cols}
        day_events: list[tuple[dict[str, Any], dict[str, Any]]] = [
            (e, orjson.loads(e["payload"])) for e in prefix
        ]
        for n in range(per_day):
            model = template.sales[n % per_template]
            event = sale_events[n % per_template]
            sale_seq = seq + len(day_events) + 1
            sale_id, number = next_id["sale"], f"S-H-{sold + 1:08d}"
            next_id["sale"] += 1
            sold += 1
            sale = {
                **model["sale"],
                "id": sale_id,
                "uuid": str(uuid.uuid4()),
                "number": number,
                "session_id": sid,
                "created_at": stamp,
                "completed_at": stamp,
            }
            rows["sale"].append(tuple(sale[c] for c in cols["sale"]))
            payload = orjson.loads(event["payload"])
            payload.update(uuid=sale["uuid"], number=number)
            receipt_ids = {}
            for receipt in model["receipt"]:
                rid = next_id["receipt"]
                next_id["receipt"] += 1
                receipt_ids[receipt["id"]] = rid
                copy = {
                    **receipt,
                    "id": rid,
                    "uuid": str(uuid.uuid4()),
                    "number": f"R-H-{rid:08d}",
                    "session_id": sid,
                    "created_at": stamp,
                }
                rows["receipt"].append(tuple(copy[c] for c in cols["receipt"]))
                if payload.get("receipt") == receipt["number"]:
                    payload["receipt"] = copy["number"]
            day_events.append((event, payload))
            for tender in model["tender"]:
                copy = {**tender, "id": None, "receipt_id": receipt_ids[tender["receipt_id"]]}
                rows["tender"].append(tuple(copy[c] for c in cols["tender"]))
            for line in model["sale_line"]:
                copy = {**line, "id": None, "sale_id": sale_id}
                rows["sale_line"].append(tuple(copy[c] for c in cols["sale_line"]))
            for alloc in model["receipt_allocation"]:
                copy = {
                    **alloc,
                    "id": None,
                    "sale_id": sale_id,
                    "receipt_id": receipt_ids[alloc["receipt_id"]],
                }
                rows["receipt_allocation"].append(
                    tuple(copy[c] for c in cols["receipt_allocation"])
                )
            for move in model["stock_move"]:
                copy = {**move, "id": None, "document": number, "seq": sale_seq}
                rows["stock_move"].append(tuple(copy[c] for c in cols["stock_move"]))
        day_events += [(e, orjson.loads(e["payload"])) for e in suffix]
        for name in ("sale", "receipt", "tender", *SALE_TABLES):
            _insert(con, name, cols[name], rows[name])
        entries = []
        for event, payload in day_events:
            seq += 1
            fields = {
                "seq": seq,
                "event_id": str(uuid.uuid4()),
                "terminal_id": event["terminal_id"],
                "event_type": event["event_type"],
                "created_at": created,
                "employee_id": event["employee_id"],
                "approved_by": event["approved_by"],
                "prev_hash": prev,
            }
            digest, text = hash_with_payload(payload=payload, **fields, check=False)
            entries.append((*fields.values(), text, digest))
            prev = digest
        con.executemany(
            "INSERT INTO journal (seq, event_id, terminal_id, event_type, created_at, "
            "employee_id, approved_by, prev_hash, payload, hash) VALUES (?,?,?,?,?,?,?,?,?,?)",
            entries,
        )
        written += len(entries)
        con.execute("COMMIT")
        day += 1
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return sold


def _times(fn: Callable[[], Any], times: int) -> list[float]:
    taken = []
    for _ in range(times):
        started = time.perf_counter()
        fn()
        taken.append(time.perf_counter() - started)
    return taken


@dataclass
class TillFigures:
    events: int
    startup: float
    pending: float
    commit: float
    report: float
    verify_quick: float
    verify_full: float
    db_bytes: int
    sales: int


def _open(directory: Path) -> tuple[Context, Employee]:
    """The till in ``directory``, its cashier, and a register session open for selling."""
    os.chdir(directory)
    ctx = context_of(None)
    cashier = Employee.get(Employee.code == "cashier")
    if register.current_session(ctx) is None:
        register.open_session(ctx, cashier, 200000)
    return ctx, cashier


def alternating(
    tills: list[Path], sales_timed: int, runs: int, rounds: int = 5
) -> list[dict[str, list[float]]]:
    """Each till's start-ups, pending counts, sale commits and X reports (seconds), timed in
    rounds that alternate between the tills, on connections kept open: whatever else the
    machine does lands on both alike. Timed one till after the other, the same build once
    gave the old till's commit 1.30× and once 0.76×, and its X report 1.56× once."""
    times: list[dict[str, list[float]]] = [
        {"startup": [], "pending": [], "commit": [], "report": []} for _ in tills
    ]
    rngs = [random.Random(7) for _ in tills]
    rounds = max(1, min(rounds, sales_timed))  # a short run (all.py --quick): fewer rounds
    startup.compile_o2pos()
    opened = [_open(directory) for directory in tills]
    for round_no in range(max(rounds, runs)):
        for index, (ctx, cashier) in enumerate(opened):
            mine = times[index]
            if round_no < runs:
                mine["startup"].append(startup.till(tills[index]).seconds)
            if round_no >= rounds:
                continue
            database.initialize(ctx.db)  # the models read and write this till's database
            mine["commit"] += timed_checkouts(
                ctx, cashier, rngs[index], max(1, sales_timed // rounds)
            )
            mine["pending"] += _times(lambda c=ctx: syncstate.pending_count(c), 40)
            mine["report"] += _times(lambda c=ctx: reports.x_report(c), 4)
    for ctx, _ in opened:
        ctx.db.close()
    return times


def figures(directory: Path, timed: dict[str, list[float]]) -> TillFigures:
    ctx, _ = _open(directory)
    assert integrity.check(ctx).ok  # a checkpoint at the end, as after a push round
    simulate(ctx, 1, seed=3)  # one more sale since: what the next push checks
    started = time.perf_counter()
    quick = integrity.check(ctx)
    verify_quick = time.perf_counter() - started
    started = time.perf_counter()
    full = integrity.check(ctx, full=True)
    verify_full = time.perf_counter() - started
    assert quick.ok and full.ok, (quick, full)
    count = journal.last_seq(ctx)
    sold = int(ctx.db.execute_sql("SELECT COUNT(*) FROM sale").fetchone()[0])
    ctx.db.close()
    return TillFigures(
        count,
        statistics.median(timed["startup"]),
        statistics.median(timed["pending"]),
        statistics.median(timed["commit"]),
        statistics.median(timed["report"]),
        verify_quick,
        verify_full,
        (directory / "data" / "o2pos.db").stat().st_size,
        sold,
    )


@dataclass
class HistoryResults:
    new: TillFigures
    old: TillFigures
    generated_seconds: float
    generated_sales: int


def measure(events: int, per_day: int, sales_timed: int, runs: int) -> HistoryResults:
    with tempfile.TemporaryDirectory(prefix="o2pos-history-") as tmp:
        new_dir, old_dir = Path(tmp, "new"), Path(tmp, "old")
        for d in (new_dir, old_dir):
            d.mkdir()
            init_demo(d)
        os.chdir(old_dir)
        ctx = context_of(None)
        started = time.perf_counter()
        template = template_day(ctx, per_day)
        ctx.db.close()
        sold = write_history(ctx, template, events, per_day)
        generated = time.perf_counter() - started
        ctx = context_of(None)
        assert integrity.check(ctx, full=True).ok, "the generated chain does not verify"
        ctx.db.close()
        new_times, old_times = alternating([new_dir, old_dir], sales_timed, runs)
        new = figures(new_dir, new_times)
        old = figures(old_dir, old_times)
        os.chdir(tmp)
    return HistoryResults(new, old, generated, sold)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms" if seconds < 0.1 else f"{seconds:.2f} s"


def rows(r: HistoryResults) -> list[Row]:
    n = f"{r.old.events:,} events"
    out = []
    for name, attr in (
        ("start-up, till → login ready", "startup"),
        ("pending count (status bar)", "pending"),
        ("sale commit, 5-line cash sale", "commit"),
        ("report x, the open session", "report"),
        ("journal verify, incremental (1 new sale)", "verify_quick"),
    ):
        old, new = getattr(r.old, attr), getattr(r.new, attr)
        ratio = old / new if new else float("nan")
        out.append(
            Row(
                "long history",
                f"{name}, a till of {n}",
                f"{_ms(old)}: **{ratio:.2f}×**",
                f"a new till ({r.new.events:,} events): {_ms(new)}",
                f"≤ {SAME}×",
                ratio <= SAME,
            )
        )
    per_100k = r.old.db_bytes / r.old.sales * 100_000 / 2**20
    out.append(
        Row(
            "long history",
            f"journal verify --full, a till of {n}",
            _ms(r.old.verify_full),
            f"database {r.old.db_bytes / 2**20:,.0f} MiB for {r.old.sales:,} sales: "
            f"{per_100k:,.0f} MiB per 100,000 sales; generated in {r.generated_seconds:.0f} s",
        )
    )
    return out


def run(
    events: int = 1_000_000, per_day: int = 1000, sales_timed: int = 100, runs: int = 5
) -> list[Row]:
    return rows(measure(events, per_day, sales_timed, runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--per-day", type=int, default=1000)
    parser.add_argument("--sales", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    result = measure(args.events, args.per_day, args.sales, args.runs)
    print(
        table(
            [(r.measure, r.result, r.beside, r.target) for r in rows(result)],
            ("measure", "result", "beside it", "target"),
        )
    )


if __name__ == "__main__":
    main()
