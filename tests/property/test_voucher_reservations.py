"""At the central, any interleaving of reservations, releases and redemptions of one voucher
from several tills, online, keeps its balance at or above zero and redeems each
reservation at most once (``o2pos/central/vouchers.py``).

Each till reserves before it redeems, as the payment dialog does; a till may also send a
redemption naming a reservation already redeemed (a duplicated payment line), which must
take nothing more. The central runs in this process, on SQLite and, when
``O2POS_TEST_PG`` names a server, on PostgreSQL; every example has a store of its own.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from o2pos.central import vouchers
from o2pos.central.ingest import ingest
from o2pos.central.models import StoredValue, Terminal, VoucherReservation
from o2pos.central.orders import OrderRefusal
from o2pos.central.store import add_terminal, open_central
from o2pos.core.journal import GENESIS_HASH
from tests.events import next_event

PG_URL = os.environ.get("O2POS_TEST_PG", "")
TILLS = 3
AMOUNT = 10000
_stores = itertools.count(1)


@pytest.fixture(scope="module", params=["sqlite", *(["postgres"] if PG_URL else [])])
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    url = PG_URL if request.param == "postgres" else str(tmp_path_factory.mktemp("c") / "c.db")
    open_central(url)
    return url


@dataclass
class Till:
    """A registered terminal's journal head, and the holds it believes it has."""

    name: str
    seq: int = 0
    head: str = GENESIS_HASH
    holds: list[tuple[str, int]] = field(default_factory=list)  # (reservation id, amount)
    redeemed: list[tuple[str, int]] = field(default_factory=list)

    def send(self, event_type: str, payload: dict[str, Any]) -> list[int]:
        self.seq += 1
        event = next_event(self.name, self.seq, self.head, event_type, payload)
        self.head = event["hash"]
        return ingest(self.name, [event]).flagged


def paid_with(code: str, amount: int, reservation_id: str) -> dict[str, Any]:
    """A bill of ``amount`` paid wholly with the voucher under the reservation."""
    return {
        "uuid": str(uuid.uuid4()),
        "number": f"S-{uuid.uuid4().hex[:8]}",
        "session_id": None,
        **dict.fromkeys(("subtotal", "total", "paid", "tendered", "applied"), amount),
        **dict.fromkeys(("discount_total", "tax_total", "round_off", "balance", "change"), 0),
        "receipt": f"R-{uuid.uuid4().hex[:8]}",
        "receipt_uuid": str(uuid.uuid4()),
        "payments": [
            {
                "method": "gift_voucher",
                "kind": "gift_voucher",
                "tendered": amount,
                "amount": amount,
                "reference": code,
                "reservation_id": reservation_id,
            }
        ],
    }


def a_store() -> Iterator[tuple[list[Till], str]]:
    """Tills of a new store, and a voucher of AMOUNT the first one issued."""
    store = f"prop{next(_stores)}-{uuid.uuid4().hex[:6]}"
    tills = []
    for _ in range(TILLS):
        name = f"P{uuid.uuid4().hex[:7].upper()}"
        add_terminal(name, store)
        tills.append(Till(name))
    code = f"GV-{uuid.uuid4().hex[:10].upper()}"
    payload = {
        "uuid": str(uuid.uuid4()),
        "code": code,
        "kind": "gift_voucher",
        "amount": AMOUNT,
        "expires": None,
        "sale_uuid": None,
    }
    assert tills[0].send("voucher.issued", payload) == []
    yield tills, code


STEP = st.tuples(
    st.sampled_from(["reserve", "reserve", "renew", "release", "redeem", "redeem", "repeat"]),
    st.integers(0, TILLS - 1),
    st.integers(1, AMOUNT // 2),
)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(steps=st.lists(STEP, min_size=1, max_size=25))
def test_no_interleaving_overdraws_a_voucher_or_redeems_a_hold_twice(
    database: str, steps: list[tuple[str, int, int]]
) -> None:
    open_central(database, create=False)
    tills, code = next(a_store())
    terminals = {t.name: Terminal.get_by_id(t.name) for t in tills}
    for action, index, amount in steps:
        till = tills[index]
        terminal = terminals[till.name]
        if action == "reserve":
            try:
                held = vouchers.reserve(terminal, code, str(uuid.uuid4()), amount, 3600)
            except OrderRefusal as refused:
                assert refused.code == "insufficient"
                assert refused.extra["balance"] < amount
            else:
                till.holds.append((held["reservation_id"], held["amount"]))
        elif action == "renew" and till.holds:  # the answer was lost: asked again
            rid, held_amount = till.holds[-1]
            again = vouchers.reserve(terminal, code, rid, amount, 3600)
            assert (again["reservation_id"], again["amount"]) == (rid, held_amount)
        elif action == "release" and till.holds:
            rid, _ = till.holds.pop(0)
            assert vouchers.release(terminal, code, rid)
        elif action == "redeem" and till.holds:
            rid, held_amount = till.holds.pop(0)
            assert till.send("sale.completed", paid_with(code, held_amount, rid)) == []
            till.redeemed.append((rid, held_amount))
        elif action == "repeat" and till.redeemed:  # the same hold named again
            rid, held_amount = till.redeemed[0]
            assert till.send("sale.completed", paid_with(code, held_amount, rid)) != []

        voucher = StoredValue.get(StoredValue.code == code)
        spent = sum(a for t in tills for _, a in t.redeemed)
        assert voucher.balance == AMOUNT - spent >= 0
        states = {
            r.reservation_id: r.state
            for r in VoucherReservation.select().where(VoucherReservation.voucher == voucher.id)
        }
        assert all(states[rid] == "redeemed" for t in tills for rid, _ in t.redeemed)
        live = sum(a for t in tills for _, a in t.holds)
        assert live <= voucher.balance
        assert vouchers.lookup(terminals[tills[0].name], code)["available"] == (
            voucher.balance - live
        )


def test_a_credit_note_whose_code_no_column_holds_is_flagged_not_a_crash(database: str) -> None:
    """PostgreSQL would refuse the row (a 500 that stops the till's queue): flagged instead."""
    open_central(database, create=False)
    tills, _ = next(a_store())
    payload = {
        "uuid": str(uuid.uuid4()),
        "number": "RT-1",
        "sale_uuid": str(uuid.uuid4()),
        "refund_method": "credit_note",
        "refund_kind": "credit_note",
        "credit_note": "CN" * 50,
        "total": 500,
    }
    assert tills[0].send("return.completed", payload) == [tills[0].seq]
    assert StoredValue.get_or_none(StoredValue.code == "CN" * 50) is None
