"""Crashes and interleavings: kill -9 of push and daemon, and a hypothesis state machine."""

from __future__ import annotations

import random
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
from tests.sync.faultproxy import FaultProxy
from tests.sync.test_sync import assert_central_matches


def write_config(directory: Path, name: str, url: str, token: str, **central: object) -> Path:
    extra = "".join(f"{key} = {value}\n" for key, value in central.items())
    path = directory / "o2pos.toml"
    path.write_text(
        f'[terminal]\nid = "{name}"\ndata_dir = "{directory}"\n'
        f'[central]\nurl = "{url}"\ntoken = "{token}"\n{extra}',
        encoding="utf-8",
    )
    return path


@pytest.fixture
def crash_till(tmp_path: Path, central: Central) -> Iterator[SimpleNamespace]:
    name, token = central.register()
    store = build_store(tmp_path, terminal_id=name)
    store.open_register()
    config = write_config(tmp_path, name, central.url, token, batch_size=5, interval_seconds=1)
    yield SimpleNamespace(store=store, ctx=store.ctx, name=name, token=token, config=config)
    store.ctx.db.close()


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
    crash_till: SimpleNamespace, central: Central
) -> None:
    rng = random.Random(4242)
    sim.simulate(crash_till.ctx, 150, seed=1)
    killed_mid_way = 0
    for round_no in range(20):
        proc = subprocess.Popen(
            o2pos_cmd("sync", "push", "--config", str(crash_till.config)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.3, 1.6))
        if proc.poll() is None:
            killed_mid_way += 1
        proc.kill()  # SIGKILL: no cleanup of any kind
        proc.wait()
        # the till keeps selling between crashes
        sim.simulate(crash_till.ctx, 25, seed=100 + round_no)
        # whatever the central holds is a prefix of our journal, each event once
        held = central.events(crash_till.name)
        local = [(r.seq, r.hash, r.event_id) for r in Journal.select().order_by(Journal.seq)]
        assert held == local[: len(held)]
        assert syncstate.acked(crash_till.ctx)[0] <= len(held)
    assert killed_mid_way >= 5  # the kills really landed while pushing
    _clean_push(crash_till, central)


def test_kill_9_of_the_daemon_then_a_clean_push(
    crash_till: SimpleNamespace, central: Central
) -> None:
    rng = random.Random(7)
    for round_no in range(6):
        sim.simulate(crash_till.ctx, 40, seed=round_no)
        proc = subprocess.Popen(
            o2pos_cmd("sync", "daemon", "--config", str(crash_till.config)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.5, 2.0))
        proc.kill()
        proc.wait()
    _clean_push(crash_till, central)


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
