"""Ids of what a till creates and the central keeps (journal events, bills, receipts,
returns, vouchers…): UUIDv7 (RFC 9562), the time in milliseconds first, then 74 random bits.

A uuid4 lands at a random place in its unique index. On a till with years of history that
is a cold page of a big B-tree read and rewritten for every event, bill and receipt: with
1,000,000 events the journal's INSERT cost twice a new till's, the receipt's 2.3×. A UUIDv7
made now sorts beside the others made today, so those inserts touch the same few pages a
new till's do. Uniqueness is the random part's, as with a uuid4; a till whose clock is
wrong loses only the ordering, which nothing relies on.
"""

from __future__ import annotations

import os
import time
import uuid


def new_id() -> str:
    """A new UUIDv7 in its canonical text form."""
    raw = bytearray((time.time_ns() // 1_000_000).to_bytes(6, "big") + os.urandom(10))
    raw[6] = 0x70 | (raw[6] & 0x0F)  # version 7
    raw[8] = 0x80 | (raw[8] & 0x3F)  # the RFC's variant
    return str(uuid.UUID(bytes=bytes(raw)))
