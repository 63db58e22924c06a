"""Crashes and interleavings: kill -9 of push and daemon, and a hypothesis state machine.

The kills land where the test says, not where a sleep happened to end: the till talks to the
central through the fault proxy, which holds a chosen request (before the central has it, or
with the central's answer in hand) until the test has killed the process waiting for it.
"""

from __future__ import annotations

import math
import random
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlparse

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from o2pos.core import journal, syncstate
from o2pos.core import simulate as sim
from o2pos.core.models import Journal
from o2pos.sync.client import CentralClient
from o2pos.sync.engine import SyncEngine
from tests.conftest import build_store
from tests.sync.conftest import Central, make_till, o2pos_cmd
from tests.sync.faultproxy import FaultProxy, Hold
from tests.sync.test_sync import assert_central_matches


def write_config(
    directory: Path, name: str, url: str, token: str, key: str = "", **central: object
) -> Path:
    extra = "".join(f"{k} = {value}\n" for k, value in central.items())
    path = directory / "o2pos.toml"
    path.write_text(
        f'[terminal]\nid = "{name}"\ndata_dir = "{directory}"\n'
        f'[central]\nurl = "{url}"\ntoken = "{token}"\nkey = "{key}"\n{extra}',
        encoding="utf-8",
    )
    return path


BATCH = 5  # events per push request: many requests, so many places to be killed at


@pytest.fixture
def proxy(central: Central) -> Iterator[FaultProxy]:
    parts = urlparse(central.url)
    with FaultProxy((parts.hostname or "127.0.0.1", parts.port or 80)) as fault_proxy:
        yield fault_proxy


@pytest.fixture
def crash_till(tmp_path: Path, central: Central, proxy: FaultProxy) -> Iterator[SimpleNamespace]:
    name, token = central.register()
    store = build_store(tmp_path, terminal_id=name)
    store.open_register()
    # through the proxy, so a test can stop a request where it wants; a long timeout, so
    # a slow machine never turns a held request into a client-side timeout first
    config = write_config(
        tmp_path,
        name,
        proxy.url,
        token,
        central.key_of(name),
        batch_size=BATCH,
        interval_seconds=1,
        timeout_seconds=120,
    )
    yield SimpleNamespace(store=store, ctx=store.ctx, name=name, token=token, config=config)
    store.ctx.db.close()


def _hold_somewhere(
    proxy: FaultProxy, till: SimpleNamespace, central: Central, rng: random.Random
) -> tuple[Hold, str]:
    """Pick where the next push is killed: in its pull, or in its k-th batch, either before
    the central has the batch or after the central stored it but before the till heard so."""
    unsent = journal.last_seq(till.ctx) - len(central.events(till.name))
    # a push sends at least this many batches (more when the central is ahead of the till's
    # acknowledgement: the first batch then only learns the central's mark)
    batches = math.ceil(unsent / BATCH)
    where = rng.choice(["pull", "batch", "answer"]) if batches else "pull"
    if where == "pull":
        return proxy.hold("GET", "/v1/master", answered=rng.random() < 0.5), where
    skip = rng.randrange(min(batches, 8))
    held = proxy.hold("POST", "/v1/journal", skip=skip, answered=where == "answer")
    return held, where


def _kill_when_held(proc: subprocess.Popen[bytes], held: Hold) -> None:
    """kill -9 the moment ``held`` holds the process's request: mid-push by construction."""
    deadline = time.monotonic() + 120
    while not held.wait(0.05):
        if proc.poll() is not None or time.monotonic() > deadline:
            held.release()  # cancel it, so it cannot catch a later process's request
            proc.kill()
            proc.wait()
            raise AssertionError(f"exit {proc.returncode} before the request {held!r} was made")
    proc.kill()  # SIGKILL: no cleanup of any kind
    proc.wait()
    assert proc.returncode == -signal.SIGKILL  # it was still waiting on that request


def _assert_central_holds_a_prefix(till: SimpleNamespace, central: Central) -> list[tuple]:
    """Whatever the central holds is a prefix of the till's journal, each event once, and the
    till never believes the central has more than it does."""
    held = central.events(till.name)
    local = [(r.seq, r.hash, r.event_id) for r in Journal.select().order_by(Journal.seq)]
    assert held == local[: len(held)]
    assert syncstate.acked(till.ctx)[0] <= len(held)
    return held


def _clean_push(till: SimpleNamespace, central: Central) -> None:
    done = subprocess.run(
        o2pos_cmd("sync", "push", "--config", str(till.config)),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert syncstate.pending_count(till.ctx) == 0
    assert_central_matches(till, central)


def test_kill_9_of_sync_push_at_random_moments_then_a_clean_push(
    crash_till: SimpleNamespace, central: Central, proxy: FaultProxy
) -> None:
    rng = random.Random(4242)
    sim.simulate(crash_till.ctx, 150, seed=1)
    places = []
    for round_no in range(20):
        held, where = _hold_somewhere(proxy, crash_till, central, rng)
        proc = subprocess.Popen(
            o2pos_cmd("sync", "push", "--config", str(crash_till.config)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _kill_when_held(proc, held)
        before = len(central.events(crash_till.name))  # nothing else is in flight
        # the dead till's request may still reach the central, or be lost on the way
        deliver = rng.random() < 0.5
        held.release(forward=deliver)
        after = len(_assert_central_holds_a_prefix(crash_till, central))
        if where == "answer":  # the central stored a batch the till never heard about
            assert held.forwarded and syncstate.acked(crash_till.ctx)[0] < after
        elif where == "batch":  # the central has it only if it was delivered after all
            assert held.forwarded == deliver
            assert after == before if not deliver else after >= before
        places.append(where)
        # the till keeps selling between crashes
        sim.simulate(crash_till.ctx, 25, seed=100 + round_no)
        _assert_central_holds_a_prefix(crash_till, central)
    assert {"pull", "batch", "answer"} <= set(places)  # every kind of place was hit
    _clean_push(crash_till, central)


def test_kill_9_of_the_daemon_then_a_clean_push(
    crash_till: SimpleNamespace, central: Central, proxy: FaultProxy
) -> None:
    rng = random.Random(7)
    for round_no in range(6):
        sim.simulate(crash_till.ctx, 40, seed=round_no)
        later_round = round_no % 3 == 2
        if not later_round:  # killed in its first round, in the pull or in a batch
            held, _where = _hold_somewhere(proxy, crash_till, central, rng)
        proc = subprocess.Popen(
            o2pos_cmd("sync", "daemon", "--config", str(crash_till.config)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if later_round:  # killed in a later round's pull, after a whole round and a sleep
            _wait_until_all_sent(crash_till, central, proc)
            held = proxy.hold("GET", "/v1/master", answered=rng.random() < 0.5)
        _kill_when_held(proc, held)
        held.release(forward=rng.random() < 0.5)
        on_central = _assert_central_holds_a_prefix(crash_till, central)
        if later_round:  # and a pull that never finished journals nothing
            assert len(on_central) == journal.last_seq(crash_till.ctx)
    _clean_push(crash_till, central)


def _wait_until_all_sent(
    till: SimpleNamespace, central: Central, proc: subprocess.Popen[bytes]
) -> None:
    """Until the central holds the whole journal: a round has pushed everything (a round's
    pull journals before its push, so the two are never equal half-way through a round)."""
    deadline = time.monotonic() + 120
    while len(central.events(till.name)) < journal.last_seq(till.ctx):
        assert proc.poll() is None, f"the daemon exited with {proc.returncode}"
        assert time.monotonic() < deadline, "the daemon never sent everything"
        time.sleep(0.1)


class SyncMachine(RuleBasedStateMachine):
    """Sales, outages, lost answers, crashes after an answer, and pushes, in any order."""

    central: Central
    proxy: FaultProxy

    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.TemporaryDirectory()
        self.till = make_till(Path(self.tmp.name), self.central, url=self.proxy.url, timeout=2.0)
        self.proxy.set_mode("pass")
        self.seed = 0

    @rule(count=st.integers(1, 4))
    def sell(self, count: int) -> None:
        self.seed += 1
        sim.simulate(self.till.ctx, count, seed=self.seed)

    @rule(down=st.booleans())
    def network(self, down: bool) -> None:
        self.proxy.set_mode("refuse" if down else "pass")

    @rule(fault=st.sampled_from(["drop_after", "drop_before", "truncated", "http_503"]))
    def lose_the_next_answer(self, fault: str) -> None:
        self.proxy.queue(fault)

    @rule()
    def crash_after_the_answer(self) -> None:
        def crash(answer: dict) -> None:
            raise SystemExit("crash")

        self.till.engine._before_ack = crash
        try:
            self.till.engine.flush()
        except SystemExit:
            pass
        finally:
            self.till.engine._before_ack = None

    @rule()
    def push(self) -> None:
        self.till.engine.run_once(pull=False)

    @invariant()
    def central_holds_a_prefix_each_event_once(self) -> None:
        held = self.central.events(self.till.name)
        local = [(r.seq, r.hash, r.event_id) for r in Journal.select().order_by(Journal.seq)]
        assert held == local[: len(held)]
        assert syncstate.acked(self.till.ctx)[0] <= len(held)

    def teardown(self) -> None:
        self.proxy.set_mode("pass")
        self.proxy.clear()  # nothing left over for the next example
        engine = SyncEngine(
            self.till.ctx,
            CentralClient(self.central.url, self.till.token),
            lock_path=Path(self.tmp.name) / "sync.lock",
        )
        for _ in range(5):
            if engine.run_once(pull=False).ok:
                break
        assert syncstate.pending_count(self.till.ctx) == 0
        assert journal.last_seq(self.till.ctx) == self.central.stats(self.till.name)["events"]
        assert_central_matches(self.till, self.central)
        self.till.engine.client.close()
        self.till.ctx.db.close()
        self.tmp.cleanup()


def test_any_interleaving_of_sales_outages_crashes_and_pushes(central: Central) -> None:
    parts = urlparse(central.url)
    with FaultProxy((parts.hostname or "127.0.0.1", parts.port or 80)) as proxy:
        SyncMachine.central = central
        SyncMachine.proxy = proxy
        run_state_machine_as_test(
            SyncMachine,
            settings=settings(
                max_examples=12,
                stateful_step_count=12,
                deadline=None,
                suppress_health_check=list(HealthCheck),
            ),
        )
