"""Hash-correct events from a registered terminal's head, to post to a live central.

The fuzzer and the malformed-payload tests build events the way a till's journal does
(seq after seq, each hash over its content and the one before) with any payload at all, so
the central has no protocol reason to refuse them and only the payload is on trial.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from o2pos.central import models as cm
from o2pos.core.journal import GENESIS_HASH
from tests.events import next_event
from tests.sync.conftest import Central

Event = dict[str, Any]


def sale_payload(total: int = 100, paid: int | None = None, **extra: Any) -> dict[str, Any]:
    """A bill as a till writes it, paid in cash (or left unpaid with ``paid=0``)."""
    paid = total if paid is None else paid
    receipt = f"R-{uuid.uuid4().hex[:8]}"
    return {
        "uuid": str(uuid.uuid4()),
        "number": f"S-{uuid.uuid4().hex[:8]}",
        "session_id": None,
        "customer": None,
        "interstate": False,
        "lines": [],
        "order_discount": None,
        "coupon": None,
        "subtotal": total,
        "discount_total": 0,
        "taxable_total": total,
        "tax_total": 0,
        "taxes": [],
        "round_off": 0,
        "total": total,
        "paid": paid,
        "balance": total - paid,
        "on_account": False,
        "receipt": receipt if paid else None,
        "receipt_uuid": str(uuid.uuid4()),
        "tendered": paid,
        "applied": paid,
        "received": paid,
        "credit_given": 0,
        "change": 0,
        "payments": (
            [
                {
                    "method": "cash",
                    "kind": "cash",
                    "tendered": paid,
                    "amount": paid,
                    "reference": None,
                }
            ]
            if paid
            else []
        ),
        **extra,
    }


@dataclass
class Chain:
    """A registered terminal's journal as the central holds it: events go on from its head."""

    central: Central
    http: httpx.Client
    name: str
    token: str
    seq: int = 0
    head: str = GENESIS_HASH
    sent: list[Event] = field(default_factory=list)

    def event(self, event_type: str, payload: Any) -> Event:
        """The next event of this journal, with the hash its content calls for."""
        self.seq += 1
        event = next_event(self.name, self.seq, self.head, event_type, payload)
        self.head = event["hash"]
        return event

    def post(self, events: list[Event]) -> httpx.Response:
        self.sent += events
        return self.http.post(
            "/v1/journal",
            json={"terminal_id": self.name, "events": events},
            headers={"Authorization": f"Bearer {self.token}"},
        )

    def stored(self, events: list[Event]) -> dict[str, Any]:
        """Post ``events``: every one is stored and the head is the last one's."""
        response = self.post(events)
        assert response.status_code == 200, response.text
        answer = response.json()
        assert answer["stored"] == len(events), answer
        assert (answer["acked_seq"], answer["acked_hash"]) == (self.seq, self.head)
        return answer

    def flags(self) -> dict[int, str]:
        self.central.bind()
        return dict(
            cm.Event.select(cm.Event.seq, cm.Event.flag)
            .where(cm.Event.terminal == self.name, cm.Event.flag.is_null(False))
            .tuples()
        )

    def sale(self, uuid_: str) -> cm.Sale | None:
        self.central.bind()
        return cm.Sale.get_or_none(cm.Sale.uuid == uuid_)
