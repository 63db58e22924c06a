"""At the central, any interleaving of claims, renewals, releases, payments and pushes of a
store's open orders by several tills, with leases running out between any two of them,
never lets an order be paid beyond its total (``o2pos/central/orders.py``,
``projection.py``).

Each till follows the till's protocol: it pays only under a claim it holds, renews that
claim just before recording the payment (as the payment dialog does on confirm) and pays
at most the balance the renewal answered; the receipt reaches the central with a later
push, and until then the claim keeps other counters away. A lease running out is the
central's clock passing (the claim's ``expires_at`` moved into the past), so an example
replays exactly; it runs out on any claim but one whose payment is on its way (a push
takes seconds, a lease minutes: ``[central] claim_lease_seconds``). Everything goes
through the central's HTTP API (``create_app``, in this process), on SQLite and, when
``O2POS_TEST_PG`` names a server, on PostgreSQL; every example has a store of its own.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from o2pos.central.api import create_app
from o2pos.central.models import OrderClaim, Sale
from o2pos.central.store import add_terminal, now, open_central
from o2pos.core.journal import GENESIS_HASH
from tests.events import next_event

PG_URL = os.environ.get("O2POS_TEST_PG", "")
TILLS = 3
ORDERS = 1  # the races are on one bill: with more, the examples rarely meet on one
TOTAL = 10000
_stores = itertools.count(1)


@pytest.fixture(scope="module", params=["sqlite", *(["postgres"] if PG_URL else [])])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    url = PG_URL if request.param == "postgres" else str(tmp_path_factory.mktemp("c") / "c.db")
    open_central(url)
    with TestClient(create_app()) as client:
        yield url, client


@dataclass
class Till:
    """A registered terminal: its journal head, the claims it holds and what it paid."""

    name: str
    token: str
    http: TestClient
    seq: int = 0
    head: str = GENESIS_HASH
    claims: dict[str, tuple[str, int]] = field(default_factory=dict)  # order -> (id, balance)
    # receipts recorded here, not pushed yet: (order, claim id, amount, balance after)
    unsent: list[tuple[str, str, int, int]] = field(default_factory=list)

    def call(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        answer = self.http.post(path, json=body, headers={"Authorization": f"Bearer {self.token}"})
        return answer.status_code, answer.json()

    def claim(self, order: str, claim_id: str) -> tuple[int, dict[str, Any]]:
        return self.call(
            f"/v1/store/orders/{order}/claim", {"claim_id": claim_id, "lease_seconds": 600}
        )

    def push(self, event_type: str, payload: dict[str, Any]) -> dict[str, Any]:
        self.seq += 1
        event = next_event(self.name, self.seq, self.head, event_type, payload)
        self.head = event["hash"]
        status, answer = self.call("/v1/journal", {"terminal_id": self.name, "events": [event]})
        assert status == 200, answer
        return answer


def unpaid_order(order: str) -> dict[str, Any]:
    """A bill of TOTAL saved unpaid (ctrl+s)."""
    return {
        "uuid": order,
        "number": f"S-{order[:8].upper()}",
        "session_id": None,
        "customer": None,
        "lines": [],
        **dict.fromkeys(("subtotal", "total", "balance"), TOTAL),
        **dict.fromkeys(("discount_total", "tax_total", "round_off", "paid"), 0),
        **dict.fromkeys(("tendered", "applied", "change"), 0),
        "receipt": None,
        "payments": [],
    }


def receipt(order: str, amount: int, balance: int) -> dict[str, Any]:
    """Cash taken for ``amount`` of the order, its balance after being ``balance``."""
    return {
        "receipt": f"R-{uuid.uuid4().hex[:8]}",
        "receipt_uuid": str(uuid.uuid4()),
        "session_id": 1,
        "customer": None,
        "due": amount,
        **dict.fromkeys(("tendered", "applied", "received"), amount),
        "credit_given": 0,
        "change": 0,
        "payments": [{"method": "cash", "kind": "cash", "tendered": amount, "amount": amount}],
        "allocations": [
            {
                "sale": f"S-{order[:8].upper()}",
                "sale_uuid": order,
                "amount": amount,
                "balance": balance,
            }
        ],
    }


def a_store(http: TestClient) -> tuple[list[Till], list[str]]:
    """Tills of a new store, and ORDERS open orders the first one saved unpaid."""
    store = f"claims{next(_stores)}-{uuid.uuid4().hex[:6]}"
    tills = []
    for _ in range(TILLS):
        name = f"Q{uuid.uuid4().hex[:7].upper()}"
        tills.append(Till(name, add_terminal(name, store).token, http))
    orders = [str(uuid.uuid4()) for _ in range(ORDERS)]
    for order in orders:
        assert tills[0].push("sale.completed", unpaid_order(order))["flagged"] == []
    return tills, orders


STEP = st.tuples(
    st.sampled_from(["claim", "claim", "renew", "release", "pay", "pay", "push", "expire"]),
    st.integers(0, TILLS - 1),
    st.integers(0, ORDERS - 1),
    st.integers(1, TOTAL),
)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(steps=st.lists(STEP, min_size=4, max_size=30))
def test_no_interleaving_pays_an_order_beyond_its_total(
    api: tuple[str, TestClient], steps: list[tuple[str, int, int, int]]
) -> None:
    url, http = api
    open_central(url, create=False)
    tills, orders = a_store(http)
    paid = dict.fromkeys(orders, 0)
    for action, index, which, amount in steps:
        order = orders[which]
        # renew, release and pay are done by a till holding a claim on the order, push by
        # one with a receipt to send, if there is one: so few steps are spent doing nothing
        able = {
            "renew": [t for t in tills if order in t.claims],
            "release": [t for t in tills if order in t.claims],
            "pay": [t for t in tills if order in t.claims],
            "push": [t for t in tills if t.unsent],
        }.get(action) or tills
        till = able[index % len(able)]
        held = till.claims.get(order)
        if action == "claim":
            status, answer = till.claim(order, str(uuid.uuid4()))
            if status == 200:
                assert answer["balance"] == TOTAL - paid[order] > 0
                till.claims[order] = (answer["claim_id"], answer["balance"])
            else:
                assert (status, answer["error"]) in ((409, "claimed"), (409, "paid"))
        elif action == "renew" and held:
            status, answer = till.claim(order, held[0])
            if status == 200:  # the same claim, or (lease gone, nobody took it) a fresh one
                assert answer["claim_id"] == held[0]
                assert answer["balance"] == TOTAL - paid[order]
            else:
                assert answer["error"] in ("claimed", "paid")
                del till.claims[order]
        elif action == "release" and held:
            status, answer = till.call(f"/v1/store/orders/{order}/release", {"claim_id": held[0]})
            assert status == 200
            del till.claims[order]
        elif action == "pay" and held:
            status, answer = till.claim(order, held[0])  # renewed as the payment is confirmed
            del till.claims[order]  # paid under it, or refused: either way it is done
            if status != 200:
                assert answer["error"] in ("claimed", "paid")
                continue
            taken = min(amount, answer["balance"])
            till.unsent.append((order, held[0], taken, answer["balance"] - taken))
        elif action == "push" and till.unsent:
            paying, _, taken, balance = till.unsent.pop(0)
            pushed = till.push("receipt.recorded", receipt(paying, taken, balance))
            assert pushed["flagged"] == []
            paid[paying] += taken
        elif action == "expire":  # the central's clock passes the leases on the order
            on_the_way = [c for t in tills for o, c, _, _ in t.unsent if o == order]
            OrderClaim.update(expires_at=now() - timedelta(seconds=1)).where(
                OrderClaim.sale_uuid == order, OrderClaim.claim_id.not_in(on_the_way)
            ).execute()

        for each in orders:
            sale = Sale.get(Sale.uuid == each)
            coming = sum(a for t in tills for o, _, a, _ in t.unsent if o == each)
            assert sale.paid == paid[each] and paid[each] + coming <= sale.total == TOTAL
            assert sale.balance == TOTAL - paid[each] >= 0
            assert OrderClaim.select().where(OrderClaim.sale_uuid == each).count() <= 1
