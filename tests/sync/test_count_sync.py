"""A count with a variance at one till, while another till of the store sells the same
product: the central ends at the count less what was sold after it, and so do both tills."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from o2pos.core import auth, counts
from tests.sync.conftest import Central, Till, at, counters, shop
from tests.sync.test_stock_levels import RICE, central_level, on_hand, receive, store_of, sync


@pytest.fixture
def tills(tmp_path: Path, central: Central) -> Iterator[dict[str, Till]]:
    """T1 and T2 at the MAIN location of one store."""
    here = shop()
    yield from counters(tmp_path, central, T1=here, T2=here)


def test_a_count_and_another_tills_sale_during_it(tills: dict[str, Till], central: Central) -> None:
    t1, t2 = tills["T1"], tills["T2"]
    store = store_of(central, t1)
    receive(central, store, 50_000)
    for till in (t1, t2):
        sync(till)
    assert on_hand(t1) == on_hand(t2) == 50_000

    at(t1)
    clerk = t1.store.people["stock"]
    count = counts.start(t1.ctx, clerk)
    line = counts.count_line(t1.ctx, count.id, RICE, 48_000, clerk)  # 2 missing
    assert line.variance_milli == -2000

    at(t2).store.cash_sale(RICE, RICE, RICE)  # three sold at the other counter meanwhile
    sync(t2)
    assert central_level(central, store).on_hand == 47_000
    assert at(t1).engine.pull().ok
    assert on_hand(t1) == 47_000  # the central's level reached T1 during the count

    at(t1)
    counts.post(t1.ctx, count.id, clerk, t1.store.approval(auth.Perm.APPROVE_STOCK))
    assert on_hand(t1) == 45_000  # 48 counted, 3 sold since: the 2 missing written off
    sync(t1)
    assert central_level(central, store).on_hand == 45_000
    sync(t2)
    assert on_hand(t2) == 45_000
