"""A real central (``o2pos central serve`` in a subprocess on 127.0.0.1) and tills that sync.

The central runs once per test session and backend: SQLite always, PostgreSQL as well when
``O2POS_TEST_PG`` names a server (``./scripts/test`` starts Debian's and sets it, so CI runs
both). Each test registers its own terminal, so tests share the server without sharing data.
"""

from __future__ import annotations

import inspect
import itertools
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import httpx
import pytest
from peewee import PostgresqlDatabase

from o2pos.central import models as central_models
from o2pos.central.store import add_terminal, open_central
from o2pos.core import models, syncstate
from o2pos.sync.client import CentralClient
from o2pos.sync.engine import SyncEngine
from tests.conftest import Store, build_store

PG_URL = os.environ.get("O2POS_TEST_PG", "")
BACKENDS = ["sqlite", *(["postgres"] if PG_URL else [])]
_names = itertools.count(1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(
    url: str,
    proc: subprocess.Popen[bytes] | None = None,
    timeout: float = 20,
    verify: Any = True,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"central exited with {proc.returncode}: {proc.stderr}")
        try:
            if httpx.get(f"{url}/v1/health", timeout=1, verify=verify).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"central at {url} did not come up")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, and SIGKILL if the server is still draining connections after a while."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def o2pos_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "o2pos", *args]


@dataclass
class Central:
    url: str
    db_url: str
    backend: str
    proc: subprocess.Popen[bytes]

    def bind(self) -> None:
        """Point this process's central models at the server's database (to read or admin)."""
        open_central(self.db_url, create=False)

    def register(self, name: str | None = None, store: str | None = None) -> tuple[str, str]:
        """A new terminal's name and token; ``key_of`` gives its key."""
        name = name or f"S{next(_names):04d}"
        self.bind()
        return name, add_terminal(name, store).token

    def key_of(self, name: str) -> str:
        """The key a till puts in [central] key (printed once by add-terminal)."""
        self.bind()
        return str(central_models.Terminal.get_by_id(name).wrap_key)

    def stats(self, name: str) -> dict[str, Any]:
        from o2pos.central.reports import stats

        self.bind()
        return stats()[name]

    def events(self, name: str) -> list[tuple[int, str, str]]:
        """(seq, hash, event_id) of every event held for ``name``, in seq order."""
        self.bind()
        event = central_models.Event
        return list(
            event.select(event.seq, event.hash, event.event_id)
            .where(event.terminal == name)
            .order_by(event.seq)
            .tuples()
        )


def _reset_postgres(url: str) -> None:
    db = open_central(url, create=False)
    db.drop_tables(central_models.MODELS, safe=True, cascade=True)
    db.close()


@pytest.fixture(scope="session", params=BACKENDS)
def central(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Central]:
    backend = request.param
    workers: tuple[str, ...] = ()
    if backend == "postgres":
        _reset_postgres(PG_URL)
        db_url = PG_URL
        workers = ("--workers", "2")
    else:
        db_url = str(tmp_path_factory.mktemp("central") / "central.db")
    port = free_port()
    log = tmp_path_factory.mktemp("central-log") / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            # on PostgreSQL as it is deployed for many tills: several workers (test_workers)
            o2pos_cmd("central", "serve", "--port", str(port), "--db", db_url, *workers),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, proc)
    except RuntimeError:
        proc.kill()
        raise RuntimeError(log.read_text()) from None
    yield Central(url, db_url, backend, proc)
    stop(proc)


@dataclass
class Till:
    store: Store
    name: str
    token: str
    engine: SyncEngine

    @property
    def ctx(self) -> Any:
        return self.store.ctx

    def summary(self) -> dict[str, Any]:
        return syncstate.summary(self.ctx)

    def push_until_done(self, rounds: int = 200) -> int:
        """Run rounds (no sleeping between them) until nothing is pending; returns rounds."""
        for count in range(1, rounds + 1):
            outcome = self.engine.run_once(pull=False)
            if outcome.ok and syncstate.pending_count(self.ctx) == 0:
                return count
        raise AssertionError(f"still pending after {rounds} rounds: {self.summary()}")


def make_till(
    directory: Path,
    central: Central,
    *,
    url: str | None = None,
    batch_size: int = 50,
    timeout: float = 5.0,
    store_name: str | None = None,
    **engine_kw: Any,
) -> Till:
    name, token = central.register(store=store_name)
    store = build_store(directory, terminal_id=name)
    store.open_register()
    client = CentralClient(url or central.url, token, timeout=timeout)
    engine = SyncEngine(
        store.ctx,
        client,
        lock_path=directory / "sync.lock",
        batch_size=batch_size,
        key=central.key_of(name),
        **engine_kw,
    )
    return Till(store, name, token, engine)


_shops = itertools.count(1)


def shop() -> str:
    """A store of its own per test: the central is shared by the whole session."""
    return f"shop{next(_shops)}-{uuid.uuid4().hex[:8]}"


def at(till: Till) -> Till:
    """Point the till models at this till's database: the tills of a test share a process."""
    models.database.initialize(till.ctx.db)
    return till


def counters(tmp_path: Path, central: Central, **stores: str) -> Iterator[dict[str, Till]]:
    """Tills named by the keywords, each in the store it is given (``T1=here, X=there``),
    closed after the test: a fixture's body (``yield from counters(...)``)."""
    made = {}
    for label, store in stores.items():
        (tmp_path / label).mkdir()
        made[label] = make_till(tmp_path / label, central, store_name=store)
    yield made
    for till in made.values():
        till.engine.client.close()
        till.ctx.db.close()


@pytest.fixture
def till(tmp_path: Path, central: Central) -> Iterator[Till]:
    t = make_till(tmp_path, central)
    yield t
    t.engine.client.close()
    t.ctx.db.close()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A till screen driven against the central (a Pilot test, a coroutine) tests the till:
    it runs against the SQLite central only. What the central stores and answers is tested
    on both backends by the synchronous tests beside it; running every screen twice would
    double the slowest part of the suite for nothing the PostgreSQL run can show."""
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        screen = inspect.iscoroutinefunction(getattr(item, "function", None))
        if screen and callspec is not None and callspec.params.get("central") == "postgres":
            dropped.append(item)
        else:
            keep.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


def pg_in_schema(schema: str) -> PostgresqlDatabase:
    """The test server's database with ``schema`` first on the search path: tables of its
    own (an old layout to upgrade), beside the test central's."""
    parts = urlparse(PG_URL)
    return PostgresqlDatabase(
        parts.path.lstrip("/"),
        user=unquote(parts.username or "") or None,
        password=unquote(parts.password or "") or None,
        host=parts.hostname,
        port=parts.port,
        options=f"-c search_path={schema}",
    )


def store_of(central: Central, till: Till) -> str:
    """The store the central has ``till`` in."""
    central.bind()
    return str(central_models.Terminal.get_by_id(till.name).store)


def pending_wire(till: Till) -> list[dict[str, Any]]:
    """The events ``till`` has not sent, as a push carries them."""
    from o2pos.core.journal import wire

    models.database.initialize(till.ctx.db)
    acked = syncstate.acked(till.ctx)[0]
    rows = models.Journal.select().where(models.Journal.seq > acked).order_by(models.Journal.seq)
    return [wire(row) for row in rows]


def crossed(
    central: Central,
    first: Callable[[], object],
    second: Callable[[], object],
    held: threading.Event,
    release: threading.Event,
) -> list[BaseException]:
    """Two writes to the central at once (an ingest, an import), each in a thread with its
    own connection; what either raised. The test's hook sets ``held`` inside the first's
    transaction and waits for ``release`` (on PostgreSQL only); the second starts then, and
    once a session waits on the first's (``pg_blocking_pids``), the first goes on. SQLite
    takes one writer at a time: there the second simply follows the first."""
    from o2pos.central.models import central_db

    central.bind()
    postgres = central.backend == "postgres"
    errors: list[BaseException] = []
    first_pid: list[int] = []

    def run(write: Callable[[], object], pids: list[int] | None = None) -> None:
        try:
            if postgres and pids is not None:  # the session the second must wait on
                pids.append(central_db.obj.execute_sql("SELECT pg_backend_pid()").fetchone()[0])
            write()
        except BaseException as exc:  # the caller's assertion says which
            errors.append(exc)
        finally:
            held.set()  # a first write that failed before its hook lets the test go on
            release.set()
            central_db.obj.close()  # this thread's own connection

    one = threading.Thread(target=run, args=(first, first_pid))
    one.start()
    if postgres:
        held.wait(timeout=60)
        if not first_pid or not one.is_alive():
            one.join()
            return errors or [AssertionError("the first write never reached its hook")]
    else:
        one.join()
    two = threading.Thread(target=run, args=(second,))
    two.start()
    if postgres and not release.is_set():
        waiting = 0
        for _ in range(600):  # until a session waits on a lock the first write holds
            waiting = central_db.obj.execute_sql(
                "SELECT count(*) FROM pg_stat_activity "
                f"WHERE {central_db.obj.param} = ANY(pg_blocking_pids(pid))",
                (first_pid[0],),
            ).fetchone()[0]
            if waiting or not two.is_alive():
                break
            time.sleep(0.05)
        release.set()
        if not waiting:
            errors.append(AssertionError("the second write never waited on the first"))
    one.join()
    two.join()
    return errors


def ingesting(till: Till) -> Callable[[], object]:
    """A push of everything ``till`` has not sent, made in-process (for ``crossed``)."""
    from o2pos.central.ingest import ingest

    events = pending_wire(till)
    return lambda: ingest(till.name, events)
