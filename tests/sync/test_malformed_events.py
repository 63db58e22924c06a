"""Events with correct hashes and payloads the central cannot project (issue 12, part 1).

A till that journaled such an event (a bug in an old version, a damaged disk) sends it with
a hash that matches: the central must store it, flag it with the reason, keep it out of the
reporting tables and project the sales behind it. Never a 5xx: a till retries a 5xx for
ever, and every sale behind the bad event would stay on the till.

Each case below crashed the central's projection before it was guarded (500, or 503
"busy"), stored a float as a sale's ``paid``, or (a text too long for its column) would
have on PostgreSQL.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from o2pos.central import models as cm
from tests.sync.chain import Chain, sale_payload
from tests.sync.conftest import Central, o2pos_cmd

BIG = 2**63 - 1


@pytest.fixture
def http(central: Central) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=central.url, timeout=httpx.Timeout(30.0, connect=5.0)) as client:
        yield client


@pytest.fixture
def chain(central: Central, http: httpx.Client) -> Chain:
    name, token = central.register()
    return Chain(central, http, name, token)


def bad_then_good(chain: Chain, event_type: str, payload: Any) -> tuple[str, str]:
    """A bad event and a good sale behind it: both stored; (the bad one's flag, the sale)."""
    good = sale_payload()
    bad = chain.event(event_type, payload)
    answer = chain.stored([bad, chain.event("sale.completed", good)])
    assert answer["flagged"] == [bad["seq"]], answer
    projected = chain.sale(good["uuid"])
    assert projected is not None and (projected.total, projected.paid) == (100, 100)
    return chain.flags()[bad["seq"]], good["uuid"]


# --- each crash, reproduced ------------------------------------------------------------------


def test_a_list_where_a_sales_uuid_belongs_is_flagged_not_a_500(chain: Chain) -> None:
    flag, _ = bad_then_good(chain, "sale.completed", sale_payload(uuid=["not", "a", "uuid"]))
    assert "not projected" in flag and "payload.uuid is a list" in flag


def test_an_object_where_a_session_id_belongs_is_flagged_not_a_500(chain: Chain) -> None:
    payload = {"session_id": {"id": 1}, "kind": "in", "amount": 100, "reason": "coins"}
    flag, _ = bad_then_good(chain, "register.cash_moved", payload)
    assert "payload.session_id is an object" in flag


def test_allocations_true_is_flagged_not_a_500(chain: Chain) -> None:
    payload = {"receipt": None, "payments": [], "allocations": True}
    flag, _ = bad_then_good(chain, "receipt.recorded", payload)
    assert "payload.allocations is true/false, not a list" in flag


def test_an_allocation_with_a_list_for_its_sale_is_flagged(chain: Chain) -> None:
    payload = {"allocations": [{"sale": "S-1", "sale_uuid": ["x"], "amount": 1}]}
    flag, _ = bad_then_good(chain, "receipt.recorded", payload)
    assert "payload.allocations[0].sale_uuid is a list" in flag


def test_a_customer_with_a_list_for_a_phone_is_flagged_not_busy(chain: Chain) -> None:
    payload = {"uuid": str(uuid.uuid4()), "name": "Asha", "phone": ["98450", "12345"]}
    flag, _ = bad_then_good(chain, "customer.created", payload)
    assert "payload.phone is a list, not text" in flag
    chain.central.bind()
    assert cm.MasterRecord.get_or_none(cm.MasterRecord.key == payload["uuid"]) is None


def test_cash_in_beyond_a_bigint_in_total_is_flagged_and_the_session_keeps_its_sum(
    chain: Chain,
) -> None:
    """Each amount fits, their sum does not: the second movement is flagged, not summed."""
    opened = chain.event("register.opened", {"session_id": 7, "opening_float": 0})
    first = chain.event("register.cash_moved", {"session_id": 7, "kind": "in", "amount": BIG})
    chain.stored([opened, first])
    good = sale_payload()
    second = chain.event("register.cash_moved", {"session_id": 7, "kind": "in", "amount": 1})
    answer = chain.stored([second, chain.event("sale.completed", good)])
    assert answer["flagged"] == [second["seq"]]
    assert "out of range" in chain.flags()[second["seq"]]
    chain.central.bind()
    session = cm.RegisterSession.get(
        cm.RegisterSession.terminal == chain.name, cm.RegisterSession.session_id == 7
    )
    assert (session.cash_in, type(session.cash_in)) == (BIG, int)
    assert chain.sale(good["uuid"]) is not None


def test_paying_a_bigint_against_a_sale_keeps_its_paid_a_whole_number(chain: Chain) -> None:
    """A receipt whose allocation would take ``paid`` past 2**63-1: flagged, paid unchanged."""
    sold = sale_payload(total=100, paid=100)
    chain.stored([chain.event("sale.completed", sold)])
    payment = {
        "receipt": "R-BIG",
        "receipt_uuid": str(uuid.uuid4()),
        "payments": [],
        "allocations": [{"sale": sold["number"], "sale_uuid": sold["uuid"], "amount": BIG}],
    }
    flag, _ = bad_then_good(chain, "receipt.recorded", payment)
    assert "out of range" in flag
    chain.central.bind()
    row = cm.Sale.select(cm.Sale.paid, cm.Sale.balance).where(cm.Sale.uuid == sold["uuid"])
    assert row.tuples().get() == (100, 0)
    if chain.central.backend == "sqlite":  # PostgreSQL's BIGINT column holds no float at all
        paid = cm.Sale._meta.database.execute_sql(
            "SELECT typeof(paid) FROM sale WHERE uuid = ?", (sold["uuid"],)
        ).fetchone()
        assert paid == ("integer",)


def test_text_too_long_for_its_column_is_flagged(chain: Chain) -> None:
    """PostgreSQL refuses a VARCHAR(255) overflow: it must be caught before SQL, everywhere."""
    flag, _ = bad_then_good(chain, "sale.completed", sale_payload(number="S" * 300))
    assert "payload.number is longer than 255 characters" in flag


def test_a_reason_quoting_a_key_with_a_nul_stores_no_nul(chain: Chain) -> None:
    """PostgreSQL keeps no NUL in text: the flag itself must not fail to store (a 500)."""
    flag, _ = bad_then_good(chain, "master.applied", {"counts": {"a\x00b": []}})
    assert "\x00" not in flag and 'payload.counts["a\\u0000b"] is a list' in flag


# --- what the back office sees ---------------------------------------------------------------


def test_flagged_events_are_counted_and_listed_per_terminal(chain: Chain) -> None:
    bad_then_good(chain, "register.opened", {"session_id": True, "opening_float": 0})
    bad_then_good(chain, "sale.completed", {**sale_payload(), "total": [1]})
    db = chain.central.db_url
    stats = json.loads(run("central", "stats", "--json", "--db", db))
    assert stats[chain.name]["flagged"] == 2
    listed = json.loads(run("central", "flagged", "--terminal", chain.name, "--json", "--db", db))
    assert [(row["seq"], row["event_type"]) for row in listed] == [
        (1, "register.opened"),
        (3, "sale.completed"),
    ]
    assert all(row["terminal"] == chain.name for row in listed)
    assert "payload.session_id is true/false" in listed[0]["reason"]
    assert "payload.total is a list" in listed[1]["reason"]
    text = run("central", "flagged", "--terminal", chain.name.lower(), "--db", db)
    assert f"{chain.name}" in text and "register.opened" in text and "payload.total" in text


def test_flagged_for_a_terminal_nobody_registered_says_so(central: Central) -> None:
    result = subprocess.run(
        o2pos_cmd("central", "flagged", "--terminal", "NOPE9", "--db", central.db_url),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result
    assert "NOPE9" in result.stderr and "Traceback" not in result.stderr


def run(*args: str) -> str:
    result = subprocess.run(o2pos_cmd(*args), capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout
