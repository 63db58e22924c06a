"""A till's new ids are UUIDv7: still unique and accepted wherever a uuid is, and made in
time order, which is what keeps a long-lived till's unique indexes cheap to add to."""

from __future__ import annotations

import re
import time
import uuid

from o2pos.core.ids import new_id
from tests.conftest import Store

CANONICAL = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def test_new_ids_are_version_7_and_carry_the_time() -> None:
    before = time.time_ns() // 1_000_000
    made = new_id()
    after = time.time_ns() // 1_000_000
    assert CANONICAL.match(made), made
    parsed = uuid.UUID(made)
    assert parsed.version == 7 and parsed.variant == uuid.RFC_4122
    assert before <= int(made.replace("-", "")[:12], 16) <= after


def test_ids_made_later_sort_later_and_never_repeat() -> None:
    first = [new_id() for _ in range(2000)]
    time.sleep(0.002)  # a later millisecond for sure
    later = [new_id() for _ in range(2000)]
    assert len(set(first + later)) == 4000
    assert max(first) < min(later)


def test_a_sale_its_receipt_and_its_event_get_such_ids(store: Store) -> None:
    from o2pos.core.models import Journal, Receipt, Sale

    store.open_register()
    store.cash_sale("8901234567890")
    for made in (
        Sale.select().order_by(Sale.id.desc()).get().uuid,
        Receipt.select().order_by(Receipt.id.desc()).get().uuid,
        Journal.select().order_by(Journal.seq.desc()).get().event_id,
    ):
        assert uuid.UUID(made).version == 7, made
