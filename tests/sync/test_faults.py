"""Sync through a fault-injecting proxy: whatever the network does, each event lands once."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from o2pos.core import simulate as sim
from o2pos.core import syncstate
from tests.sync.conftest import Central, Till, make_till
from tests.sync.faultproxy import FAULTS, FaultProxy
from tests.sync.test_sync import assert_central_matches

# what the network and a struggling central do; a 413 is an answer about the batch itself
NASTY = sorted(FAULTS - {"pass", "http_413"})


@pytest.fixture
def proxy(central: Central) -> Iterator[FaultProxy]:
    parts = urlparse(central.url)
    with FaultProxy((parts.hostname or "127.0.0.1", parts.port or 80)) as p:
        yield p


@pytest.fixture
def proxied(tmp_path: Path, central: Central, proxy: FaultProxy) -> Iterator[Till]:
    till = make_till(tmp_path, central, url=proxy.url, batch_size=25, timeout=1.0)
    yield till
    till.engine.client.close()
    till.ctx.db.close()


def test_a_thousand_events_through_every_kind_of_fault_arrive_exactly_once(
    proxied: Till, central: Central, proxy: FaultProxy
) -> None:
    rng = random.Random(20261128)
    # every fault at least once, in a known order, then a random mix while sales go on
    proxy.queue(*[(k, {"seconds": 1.5}) if k == "delay" else k for k in NASTY])
    proxy.randomize(0.35, NASTY, rng, params={"delay": {"seconds": 1.5}})
    failures = 0
    for chunk in range(5):
        sim.simulate(proxied.ctx, 200, seed=100 + chunk)
        for _ in range(4):
            outcome = proxied.engine.run_once(pull=False)
            failures += not outcome.ok
            # the till never acknowledges past what the central holds
            acked = syncstate.acked(proxied.ctx)[0]
            assert acked <= central.stats(proxied.name)["high_water_seq"]
    proxy.randomize(0, NASTY, rng)
    proxied.push_until_done()
    assert syncstate.summary(proxied.ctx)["last_seq"] >= 1000
    assert failures > 0
    assert all(proxy.applied[kind] >= 1 for kind in NASTY), proxy.applied
    assert_central_matches(proxied, central)


def test_retry_after_from_the_central_is_honoured(proxied: Till, proxy: FaultProxy) -> None:
    sim.simulate(proxied.ctx, 2, seed=1)
    proxy.queue(("http_429", {"retry_after": 7}))
    outcome = proxied.engine.run_once(pull=False)
    assert outcome.state == "offline" and outcome.online  # it answered, just not yet
    assert outcome.retry_after == 7
    assert proxied.engine.next_delay(outcome) >= 7
    summary = syncstate.summary(proxied.ctx)
    assert summary["pending"] > 0 and "HTTP 429" in summary["last_error"]


def test_with_the_central_unreachable_the_till_says_offline_and_keeps_everything(
    proxied: Till, central: Central, proxy: FaultProxy
) -> None:
    proxy.set_mode("refuse")
    sim.simulate(proxied.ctx, 5, seed=2)
    outcome = proxied.engine.run_once()
    summary = syncstate.summary(proxied.ctx)
    assert outcome.state == "offline" and not summary["online"]
    assert "Cannot reach the central" in summary["last_error"]
    assert summary["pending"] == summary["last_seq"]
    delays = [proxied.engine.next_delay(outcome) for _ in range(8)]
    assert max(delays) <= proxied.engine.backoff.cap
    proxy.set_mode("pass")
    proxied.push_until_done()
    assert_central_matches(proxied, central)


def test_the_same_server_error_round_after_round_becomes_a_stuck_alert(
    proxied: Till, central: Central, proxy: FaultProxy
) -> None:
    """A central that fails the same way every time is not 'offline': someone must look."""
    from o2pos.sync.engine import STUCK_AFTER
    from tests.sync.test_damage import o2pos, till_config

    sim.simulate(proxied.ctx, 3, seed=3)
    proxy.set_mode("http_500")
    states = [proxied.engine.run_once(pull=False).state for _ in range(STUCK_AFTER)]
    assert states == ["offline"] * (STUCK_AFTER - 1) + ["stuck"]
    summary = syncstate.summary(proxied.ctx)
    assert summary["alert"] and summary["state"] == "stuck"
    assert "HTTP 500 from the central" in summary["last_error"]
    assert f"{STUCK_AFTER} rounds in a row" in summary["last_error"]
    shown = o2pos(till_config(proxied, central), "sync", "status").stdout
    assert "State:        stuck (ALERT)" in shown and "HTTP 500" in shown
    # the central comes right: the next push clears the alert
    proxy.set_mode("pass")
    proxied.push_until_done()
    assert syncstate.summary(proxied.ctx)["state"] == "ok"
    assert_central_matches(proxied, central)


def test_a_busy_central_is_waited_for_but_a_permanent_503_ends_as_stuck(
    proxied: Till, proxy: FaultProxy
) -> None:
    from o2pos.sync.engine import STUCK_AFTER

    sim.simulate(proxied.ctx, 2, seed=4)
    proxy.queue(("http_503", {"retry_after": 9}))
    busy = proxied.engine.run_once(pull=False)
    assert (busy.state, busy.retry_after) == ("offline", 9)
    assert proxied.engine.next_delay(busy) >= 9
    assert proxied.engine.run_once(pull=False).ok  # a passing overload: no alert
    sim.simulate(proxied.ctx, 1, seed=5)
    proxy.set_mode("http_503", retry_after=9)
    outcomes = [proxied.engine.run_once(pull=False) for _ in range(STUCK_AFTER)]
    assert [o.state for o in outcomes[:-1]] == ["offline"] * (STUCK_AFTER - 1)
    assert outcomes[-1].state == "stuck"
    assert proxied.engine.next_delay(outcomes[-1]) >= 9
    assert syncstate.summary(proxied.ctx)["alert"]


def test_a_batch_the_central_will_not_parse_is_sent_in_halves(
    proxied: Till, central: Central, proxy: FaultProxy
) -> None:
    """Sent as it was, a batch refused for its size would be refused every round and every
    sale behind it would wait forever."""
    sim.simulate(proxied.ctx, 20, seed=3)
    pending = syncstate.pending_count(proxied.ctx)
    assert pending > 25  # more than one batch
    proxy.queue("http_413", "http_413")  # 25 events, then 12, are too much; 6 go through
    outcome = proxied.engine.run_once(pull=False)
    assert outcome.ok, outcome
    assert outcome.sent == pending and proxy.applied["http_413"] == 2
    assert proxied.summary()["state"] == "ok" and proxied.summary()["pending"] == 0
    assert_central_matches(proxied, central)


def test_one_event_too_large_for_the_central_is_an_alert_naming_it(
    proxied: Till, central: Central, proxy: FaultProxy
) -> None:
    sim.simulate(proxied.ctx, 1, seed=3)
    first = syncstate.acked(proxied.ctx)[0] + 1
    proxy.set_mode("http_413")
    outcome = proxied.engine.run_once(pull=False)
    assert outcome.state == "rejected" and not outcome.ok
    assert f"Event seq {first} alone is too large" in outcome.error
    summary = proxied.summary()
    assert summary["alert"] and summary["state"] == "rejected" and summary["pending"] > 0
    proxy.set_mode("pass")  # the central takes it after all (a raised limit): the alert clears
    assert proxied.engine.run_once(pull=False).ok
    assert_central_matches(proxied, central)
