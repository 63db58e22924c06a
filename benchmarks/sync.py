"""Sync benchmarks: a till flushing its journal to a central, and a central taking pushes from
many terminals at once, on SQLite and PostgreSQL; prints a table.

    python benchmarks/sync.py [--events 10000] [--batch 200] [--terminals 20]
                              [--per-terminal 500] [--pg postgresql://...] [--skip-pg]

1. **flush**: a till holding at least ``--events`` pending journal events (rung up by
   ``o2pos.core.simulate``; not timed) registered on a fresh SQLite central on 127.0.0.1,
   timed through ``SyncEngine.flush()`` in batches of ``--batch``; ``FLUSH_RUNS`` times,
   each a copy of the same till to a fresh central, and the median run is reported (the
   host's speed drifts by tens of percent within minutes). The floor, in the same run
   against the same server process: a plain ``httpx.Client`` posting the exact request
   bodies the engine sent (recorded on the wire) to ``/v1/bench/sink``, which only reads
   the body.
2. **ingest**: ``--terminals`` registered terminals, each with its own valid chain of
   ``--per-terminal`` events (the till's journal re-keyed and re-hashed per terminal: new
   terminal id, event ids and document uuids), pushed by one thread per terminal at once in
   batches of ``--batch``; total events/s and per-batch latency (a 503 "busy" is retried
   after 0.2 s and counted; the latency includes the retries). Beside it, the same threads
   posting the same bodies to ``/v1/bench/sink``.

The central runs in a subprocess (uvicorn, one worker, as ``o2pos central serve`` does) with
the bench endpoint; it dies with this process. ``--pg`` DROPS
the central's tables in that database first: give it a database of its own.

``measure()`` returns the runs and ``rows()`` this script's lines of the project's one table
(``benchmarks/all.py``); ``run_pg()`` is the PostgreSQL ingest alone, which ``all.py`` runs
apart so that a database that is not there costs only that row.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Row, free_port, make_store, percentile, serving, table

from o2pos.central.models import MODELS, Event, Terminal
from o2pos.central.store import add_terminal, open_central
from o2pos.core import syncstate
from o2pos.core.context import Context
from o2pos.core.db import open_database
from o2pos.core.journal import GENESIS_HASH, compute_hash, last_seq
from o2pos.core.settings import Settings, TerminalSettings
from o2pos.core.simulate import simulate
from o2pos.sync.client import CentralClient
from o2pos.sync.engine import SyncEngine

PRODUCTS = 2000  # the catalog only shapes the generated sales; it is not what is measured

SERVER = """
import os, signal, sys
if sys.platform.startswith("linux"):
    try:  # PR_SET_PDEATHSIG: go down with the benchmark even if it is killed outright
        import ctypes
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)
    except (OSError, AttributeError):
        pass
if os.getppid() != int(sys.argv[3]):
    sys.exit(1)
import uvicorn
from o2pos.central.api import create_app
from o2pos.central.store import open_central
db = open_central(sys.argv[1])
workers = int(sys.argv[4])
from o2pos.central.serving import settle_heap
if workers == 1:
    config = uvicorn.Config(create_app(bench=True), host="127.0.0.1", port=int(sys.argv[2]),
                            log_level="warning", access_log=False)
    settle_heap()  # as `o2pos central serve` does once its app is built
    uvicorn.Server(config).run()
    sys.exit(0)
import socket
from o2pos.central.serving import serve_workers
sock = socket.socket()
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", int(sys.argv[2])))
sock.listen(2048)
db.close()  # as `o2pos central serve --workers N`: each worker opens its own connection
def one(index):
    open_central(sys.argv[1], create=False)
    config = uvicorn.Config(create_app(bench=True, worker=index), log_level="warning",
                            access_log=False)
    settle_heap()
    uvicorn.Server(config).run(sockets=[sock])
sys.exit(serve_workers(sock, workers, one))
"""


# --- the central in a subprocess ------------------------------------------------------------
@contextmanager
def central_server(db_url: str, log: Path, workers: int = 1) -> Iterator[str]:
    """A central with the bench endpoint on ``db_url`` (``workers`` processes, as ``serve
    --workers``); yields its URL, stops it on exit."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-c", SERVER, db_url, str(port), str(os.getpid()), str(workers)]
    with serving(command, url, log):
        yield url


def fresh_central(db_url: str, names: list[str]) -> dict[str, str]:
    """Create (PostgreSQL: drop and recreate) the central's tables; register ``names``."""
    if db_url.startswith(("postgresql://", "postgres://")):
        db = open_central(db_url, create=False)
        db.drop_tables(MODELS, safe=True, cascade=True)
        db.close()
    db = open_central(db_url)
    tokens = {name: add_terminal(name).token for name in names}
    db.close()
    return tokens


def check_central(db_url: str, expected: dict[str, int]) -> None:
    """Every terminal's events arrived, all of them, once."""
    db = open_central(db_url, create=False)
    try:
        marks = dict(Terminal.select(Terminal.name, Terminal.high_water_seq).tuples())
        held = Event.select().count()
    finally:
        db.close()
    wrong = {n: (marks.get(n), seq) for n, seq in expected.items() if marks.get(n) != seq}
    if wrong or held != sum(expected.values()):
        raise RuntimeError(f"central holds {held} events; high-water marks off: {wrong}")


# --- the till -------------------------------------------------------------------------------
def build_till(directory: Path, events: int) -> Context:
    """A till whose journal holds at least ``events`` events, none sent yet."""
    ctx, _ = make_store(directory, PRODUCTS)
    synchronous = ctx.db.execute_sql("PRAGMA synchronous").fetchone()[0]
    ctx.db.execute_sql("PRAGMA synchronous=OFF")  # generating is not measured
    seed = 1
    while (missing := events - last_seq(ctx)) > 0:
        simulate(ctx, missing, seed=seed)
        seed += 1
    ctx.db.execute_sql(f"PRAGMA synchronous={int(synchronous)}")
    return ctx


def copy_till(template: Path, directory: Path) -> Context:
    """A till whose database is a copy of ``template``'s (as ``build_till`` left it)."""
    shutil.copytree(template, directory)
    settings = Settings(terminal=TerminalSettings(data_dir=directory))
    return Context(db=open_database(settings.terminal.db_path), settings=settings)


class Recording(httpx.HTTPTransport):
    """Keeps each request body as sent and each round trip's time (the engine's wire)."""

    def __init__(self) -> None:
        super().__init__()
        self.bodies: list[bytes] = []
        self.times: list[float] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        started = time.perf_counter()
        response = super().handle_request(request)
        response.read()
        self.times.append(time.perf_counter() - started)
        self.bodies.append(request.content)
        return response


@dataclass
class Run:
    events: int
    seconds: float
    latencies: list[float]
    retries: int = 0

    @property
    def rate(self) -> float:
        return self.events / self.seconds


def flush_run(
    ctx: Context, url: str, token: str, directory: Path, batch: int
) -> tuple[Run, list[bytes]]:
    pending = syncstate.pending_count(ctx)
    wire = Recording()
    client = CentralClient(url, token, timeout=120, transport=wire)
    engine = SyncEngine(ctx, client, lock_path=directory / "sync.lock", batch_size=batch)
    try:
        client.head()  # the connection and the server's auth path, warmed
        wire.bodies.clear()
        wire.times.clear()
        started = time.perf_counter()
        outcome = engine.flush()
        seconds = time.perf_counter() - started
    finally:
        client.close()
    if not outcome.ok or outcome.sent != pending:
        raise RuntimeError(f"flush: {outcome} with {pending} pending")
    return Run(outcome.sent, seconds, wire.times), wire.bodies


FLUSH_RUNS = 3  # the host's speed drifts by tens of percent within minutes: the median run


def flush_median(
    template: Path, workdir: Path, batch: int, runs: int = FLUSH_RUNS
) -> tuple[Run, Run, list[float], list[bytes]]:
    """``runs`` flushes of a copy of the till at ``template``, each to a fresh central with
    its floor right after it; the run of median rate, its floor, every run's rate and the
    bodies sent."""
    measured: list[tuple[Run, Run]] = []
    bodies: list[bytes] = []
    for n in range(runs):
        directory = workdir / f"flush-{n}"
        ctx = copy_till(template, directory / "till")
        central_db = str(directory / "central.db")
        token = fresh_central(central_db, [ctx.terminal_id])[ctx.terminal_id]
        try:
            with central_server(central_db, directory / "central.log") as url:
                flush, bodies = flush_run(ctx, url, token, directory / "till", batch)
                measured.append((flush, floor_run(url, token, bodies, flush.events)))
        finally:
            ctx.db.close()
    rates = [flush.rate for flush, _ in measured]
    flush, floor = sorted(measured, key=lambda pair: pair[0].rate)[len(measured) // 2]
    return flush, floor, rates, bodies


def chain_for(template: list[dict[str, Any]], name: str, source: str) -> list[dict[str, Any]]:
    """``template`` as terminal ``name`` would have written it: a new, valid chain."""

    def rekey(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: rekey(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [rekey(v) for v in value]
        if isinstance(value, str) and (key == "uuid" or key.endswith("_uuid")):
            return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{name}/{value}"))
        if isinstance(value, str) and key in ("number", "receipt", "sale"):
            return value.replace(f"-{source}-", f"-{name}-")
        return value

    prev = GENESIS_HASH
    chain = []
    for event in template:
        fields = {
            **{k: v for k, v in event.items() if k != "hash"},
            "terminal_id": name,
            "event_id": str(uuid.uuid4()),
            "payload": rekey(event["payload"]),
            "prev_hash": prev,
        }
        prev = compute_hash(**fields)
        chain.append({**fields, "hash": prev})
    return chain


def encode(name: str, events: list[dict[str, Any]]) -> bytes:
    """A push body, encoded as httpx encodes ``json=``."""
    body = {"terminal_id": name, "events": events}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


# --- posting --------------------------------------------------------------------------------
def http_client(url: str, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=url,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=120,
    )


def post_all(http: httpx.Client, path: str, bodies: list[bytes]) -> tuple[list[float], int]:
    """Post each body in turn, retrying a 503; per-body latency and the number of retries."""
    latencies = []
    retries = 0
    for body in bodies:
        started = time.perf_counter()
        while True:
            response = http.post(path, content=body)
            if response.status_code != 503:
                break
            retries += 1
            time.sleep(0.2)
        if response.status_code != 200:
            raise RuntimeError(f"{path}: HTTP {response.status_code} {response.text[:300]}")
        response.json()
        latencies.append(time.perf_counter() - started)
    return latencies, retries


def floor_run(url: str, token: str, bodies: list[bytes], events: int) -> Run:
    with http_client(url, token) as http:
        http.get("/v1/health")
        started = time.perf_counter()
        latencies, _ = post_all(http, "/v1/bench/sink", bodies)
        seconds = time.perf_counter() - started
    return Run(events, seconds, latencies)


def concurrent_run(url: str, path: str, work: dict[str, tuple[str, list[bytes]]]) -> Run:
    """One thread per terminal, all released at once, each posting its bodies in order."""
    gate = threading.Barrier(len(work) + 1)
    results: dict[str, tuple[list[float], int]] = {}
    errors: list[BaseException] = []

    def push(name: str, token: str, bodies: list[bytes]) -> None:
        try:
            with http_client(url, token) as http:
                http.get("/v1/health")
                gate.wait()
                results[name] = post_all(http, path, bodies)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
            gate.abort()

    threads = [
        threading.Thread(target=push, args=(name, token, bodies), daemon=True)
        for name, (token, bodies) in work.items()
    ]
    for thread in threads:
        thread.start()
    with suppress(threading.BrokenBarrierError):
        gate.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    if errors:
        raise errors[0]
    latencies = [t for times, _ in results.values() for t in times]
    return Run(0, seconds, latencies, retries=sum(r for _, r in results.values()))


def ingest_run(
    db_url: str,
    log: Path,
    template: list[dict[str, Any]],
    terminals: int,
    batch: int,
    sink: bool,
    workers: int = 1,
) -> tuple[Run, Run | None]:
    names = [f"B{n:03d}" for n in range(1, terminals + 1)]
    tokens = fresh_central(db_url, names)
    source = template[0]["terminal_id"]
    work = {}
    for name in names:
        chain = chain_for(template, name, source)
        bodies = [encode(name, chain[i : i + batch]) for i in range(0, len(chain), batch)]
        work[name] = (tokens[name], bodies)
    events = terminals * len(template)
    with central_server(db_url, log, workers) as url:
        floor = None
        if sink:
            floor = concurrent_run(url, "/v1/bench/sink", work)
            floor.events = events
        run = concurrent_run(url, "/v1/journal", work)
        run.events = events
    check_central(db_url, dict.fromkeys(names, len(template)))
    return run, floor


# --- the report -----------------------------------------------------------------------------
def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def row(measure: str, run: Run, note: str) -> tuple[str, ...]:
    return (
        measure,
        str(run.events),
        f"{run.rate:,.0f}",
        ms(statistics.median(run.latencies)),
        ms(percentile(run.latencies, 99)),
        note,
    )


def machine(pg_version: str) -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    parts = [
        f"{platform.system()} {platform.release()}",
        f"{os.cpu_count()} CPU ({cpu})",
        f"Python {platform.python_version()}",
        f"SQLite {sqlite3.sqlite_version}",
    ]
    if pg_version:
        parts.append(pg_version)
    return "Machine: " + ", ".join(parts) + " (client and central share it)"


def postgres_version(url: str) -> str:
    db = open_central(url, create=False)
    try:
        text = db.execute_sql("SELECT version()").fetchone()[0]
    finally:
        db.close()
    return " ".join(text.split()[:2])


@dataclass
class SyncResults:
    """Everything ``sync.py`` measures, for its own table and for ``all.py``."""

    batch: int
    terminals: int
    per_terminal: int
    batches: int
    flush: Run
    floor: Run
    ingest_sqlite: Run
    sink: Run
    ingest_pg: Run | None
    pg_version: str
    flush_rates: list[float]  # every flush's events/s; ``flush`` is the median one


def measure(
    events: int, batch: int, terminals: int, per_terminal: int, pg: str = ""
) -> SyncResults:
    """Flush and ingest in a temporary directory; ``pg`` also ingests on that PostgreSQL."""
    workdir = Path(tempfile.mkdtemp(prefix="o2pos-bench-sync-"))
    try:
        till_dir = workdir / "till"
        ctx = build_till(till_dir, max(events, per_terminal))
        template = syncstate.pending_events(ctx, per_terminal, after=0)
        ctx.db.close()
        flush, floor, rates, bodies = flush_median(till_dir, workdir, batch)

        ingest_sqlite, sink = ingest_run(
            str(workdir / "central-ingest.db"),
            workdir / "central-ingest.log",
            template,
            terminals,
            batch,
            sink=True,
        )
        assert sink is not None
        ingest_pg = None
        if pg:
            ingest_pg, _ = ingest_run(
                pg, workdir / "central-pg.log", template, terminals, batch, sink=False
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return SyncResults(
        batch,
        terminals,
        len(template),
        len(bodies),
        flush,
        floor,
        ingest_sqlite,
        sink,
        ingest_pg,
        postgres_version(pg) if pg else "",
        rates,
    )


def detail(r: SyncResults) -> str:
    """The script's own report: the machine, the sizes and a table of rates and latencies."""
    n = r.terminals
    rows = [
        row(
            "flush: SyncEngine → central (SQLite)",
            r.flush,
            f"{r.batches} batches; {r.floor.rate / r.flush.rate:.1f}× the floor's time; "
            f"median of {len(r.flush_rates)} flushes",
        ),
        row("floor: httpx, same bodies → bench sink", r.floor, "same server process"),
        row(
            f"ingest: {n} terminals at once (SQLite)",
            r.ingest_sqlite,
            f"{r.ingest_sqlite.retries} busy retries",
        ),
    ]
    if r.ingest_pg is not None:
        rows.append(
            row(
                f"ingest: {n} terminals at once (PostgreSQL)",
                r.ingest_pg,
                f"{r.ingest_pg.retries} busy retries",
            )
        )
    else:
        rows.append((f"ingest: {n} terminals at once (PostgreSQL)", "", "", "", "", "skipped"))
    rows.append(row(f"floor: {n} threads, same bodies → bench sink", r.sink, ""))
    return "\n".join(
        [
            machine(r.pg_version),
            f"Batches of {r.batch}; ingest: {n} × {r.per_terminal} events; "
            "latency is per batch (request to parsed answer)",
            table(rows, ("measure", "events", "events/s", "batch p50", "batch p99", "note")),
        ]
    )


PG_SKIPPED = "skipped (no --pg)"


def pg_skipped(terminals: int, per_terminal: int, note: str = PG_SKIPPED) -> Row:
    measure = f"{terminals} terminals × {per_terminal} events at once, central on PostgreSQL"
    return Row("ingest", measure, note)


def rate(run: Run) -> str:
    return (
        f"**{run.rate:,.0f} events/s**, batch p50 {ms(statistics.median(run.latencies))}, "
        f"p99 {ms(percentile(run.latencies, 99))}"
    )


FLUSH_TARGET = 8_000  # events/s (issue 16)


def rows(r: SyncResults, pg_note: str | None = PG_SKIPPED) -> list[Row]:
    """The lines of the project's table (``all.py``). Issue 16 sets the flush a target
    (``FLUSH_TARGET`` events/s, one till to a SQLite central); the floor beside each row
    says how far from the wire's own cost it is. Without a PostgreSQL run, its row says
    ``pg_note`` (``None``: no row; ``all.py`` runs that one apart)."""
    n, per = r.terminals, r.per_terminal
    pg = []
    if r.ingest_pg is not None:
        pg = pg_rows({1: r.ingest_pg}, None, r.pg_version, n, per)
    elif pg_note is not None:
        pg = [pg_skipped(n, per, pg_note)]
    return [
        Row(
            "flush",
            f"SyncEngine.flush() of {r.flush.events:,} events → central (SQLite), "
            f"batches of {r.batch}",
            rate(r.flush)
            + f" (median of {len(r.flush_rates)} flushes: "
            + ", ".join(f"{x:,.0f}" for x in sorted(r.flush_rates))
            + f"); {r.floor.rate / r.flush.rate:.0f}× the floor's time",
            f"httpx, same bodies → do-nothing endpoint: {r.floor.rate:,.0f} events/s",
            f"≥ {FLUSH_TARGET:,} events/s",
            r.flush.rate >= FLUSH_TARGET,
        ),
        Row(
            "ingest",
            f"{n} terminals × {per} events at once, central on SQLite",
            rate(r.ingest_sqlite) + f"; {r.ingest_sqlite.retries} busy retries",
            f"{n} threads → do-nothing endpoint: {r.sink.rate:,.0f} events/s",
        ),
        *pg,
    ]


PG_WORKERS = (1, 2)


def measure_pg(
    batch: int, terminals: int, per_terminal: int, pg: str
) -> tuple[dict[int, Run], Run | None, str]:
    """Only the ingest on PostgreSQL (``all.py`` runs it apart, so that a database that is
    not there costs these rows alone), with one central worker and with two; returns the
    runs by workers, the floor and the server's version."""
    workdir = Path(tempfile.mkdtemp(prefix="o2pos-bench-pg-"))
    runs: dict[int, Run] = {}
    sink: Run | None = None
    try:
        ctx = build_till(workdir / "till", per_terminal)
        template = syncstate.pending_events(ctx, per_terminal, after=0)
        ctx.db.close()
        for workers in PG_WORKERS:
            log = workdir / f"central-pg-{workers}.log"
            runs[workers], floor = ingest_run(
                pg, log, template, terminals, batch, sink is None, workers
            )
            sink = sink or floor
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    assert sink is not None
    return runs, sink, postgres_version(pg)


def pg_rows(
    runs: dict[int, Run], sink: Run | None, version: str, terminals: int, per: int
) -> list[Row]:
    beside = f"{terminals} threads → do-nothing endpoint: {sink.rate:,.0f} events/s" if sink else ""
    return [
        Row(
            "ingest",
            f"{terminals} terminals × {per} events at once, central on {version}, "
            + ("1 worker" if workers == 1 else f"{workers} workers"),
            rate(run) + f"; {run.retries} busy retries",
            beside,
        )
        for workers, run in runs.items()
    ]


def run_pg(batch: int, terminals: int, per_terminal: int, pg: str) -> list[Row]:
    runs, sink, version = measure_pg(batch, terminals, per_terminal, pg)
    return pg_rows(runs, sink, version, terminals, per_terminal)


def run(
    events: int = 10_000,
    batch: int = 200,
    terminals: int = 20,
    per_terminal: int = 500,
    pg: str = "",
) -> list[Row]:
    return rows(measure(events, batch, terminals, per_terminal, pg))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--terminals", type=int, default=20)
    parser.add_argument("--per-terminal", type=int, default=500)
    parser.add_argument("--pg", default="")
    parser.add_argument("--skip-pg", action="store_true")
    args = parser.parse_args()
    pg = "" if args.skip_pg else args.pg
    # a plain `kill` must still stop the centrals: turn SIGTERM into an unwinding exit
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    print(detail(measure(args.events, args.batch, args.terminals, args.per_terminal, pg)))


if __name__ == "__main__":
    main()
