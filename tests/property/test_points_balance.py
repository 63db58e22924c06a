"""At the central, a customer's points never go below zero, whatever order tills' earnings,
redemptions (reserved online or taken offline) and returns arrive in; a reservation never
holds more than is free (``o2pos/central/points.py``). Runs on SQLite and, when
``O2POS_TEST_PG`` names a server, on PostgreSQL; every example has a customer of its own."""

from __future__ import annotations

import os
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from o2pos.central import points
from o2pos.central.models import Terminal
from o2pos.central.orders import OrderRefusal
from o2pos.central.store import add_terminal, open_central, write

PG_URL = os.environ.get("O2POS_TEST_PG", "")
TILLS = ("P1", "P2", "P3")


@pytest.fixture(scope="module", params=["sqlite", *(["postgres"] if PG_URL else [])])
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    url = PG_URL if request.param == "postgres" else str(tmp_path_factory.mktemp("c") / "c.db")
    open_central(url)
    for name in TILLS:
        if Terminal.get_or_none(Terminal.name == name) is None:
            add_terminal(name)
    return url


def balance_of(customer: str) -> int:
    """The central's balance (a customer nothing ever moved for has none: 0)."""
    return int(points.lookup(customer)["balance"])


STEP = st.tuples(
    st.sampled_from(TILLS),
    st.sampled_from(["earn", "redeem_online", "redeem_offline", "return"]),
    st.integers(0, 60),
)


@settings(max_examples=60, deadline=None)
@given(steps=st.lists(STEP, max_size=25))
def test_points_never_go_below_zero_at_the_central(
    database: str, steps: list[tuple[str, str, int]]
) -> None:
    open_central(database, create=False)
    customer = str(uuid.uuid4())
    seqs = dict.fromkeys(TILLS, 0)
    expected = 0
    last = None
    for till, kind, amount in steps:
        terminal = Terminal.get_by_id(till)
        flags: list[str] = []
        held = None
        if kind == "redeem_online":
            try:
                held = points.reserve(terminal, customer, str(uuid.uuid4()), max(amount, 1), 900)
            except OrderRefusal as refusal:
                assert refusal.status == 409 and max(amount, 1) > expected
                continue
            assert held["account"]["available"] >= 0
        earned = amount if kind == "earn" else 0
        taken = 0 if kind == "earn" else (held["points"] if held else amount)
        seqs[till] += 1
        if earned or taken:  # an event that moves nothing leaves no trace to resend against
            last = (till, seqs[till])
        with write():
            points.move(
                till, seqs[till], customer, earned, taken, held and held["reservation_id"], flags
            )
        # what would go below zero stops at zero and is flagged, never silently merged
        assert bool(flags) == (expected + earned - taken < 0)
        expected = max(0, expected + earned - taken)
        assert balance_of(customer) == expected >= 0
    # an event sent again counts nothing twice
    if last is not None:
        with write():
            points.move(*last, customer, 10**6, 0, None, [])  # that seq was counted
        assert balance_of(customer) == expected
