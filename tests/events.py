"""Journal events as a till sends them, for tests and benchmarks that speak to the central
without a till: the next event of a terminal's chain, hashed as the central checks it."""

from __future__ import annotations

import uuid
from typing import Any

from o2pos.core.journal import wire_hash


def next_event(
    terminal: str, seq: int, prev_hash: str, event_type: str, payload: Any
) -> dict[str, Any]:
    """Event ``seq`` of ``terminal``'s journal after the one hashed ``prev_hash``."""
    event = {
        "seq": seq,
        "event_id": str(uuid.uuid4()),
        "terminal_id": terminal,
        "event_type": event_type,
        "created_at": "2026-12-01T06:00:00.000000Z",
        "employee_id": "cashier",
        "approved_by": None,
        "payload": payload,
        "prev_hash": prev_hash,
    }
    event["hash"] = wire_hash(event)
    return event
