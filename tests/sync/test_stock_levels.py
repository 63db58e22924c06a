"""Stock at the central is the sum of every till's moves; a till shows the central's level
plus its own moves the central has not counted yet, never one of them twice."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from o2pos.central import stock as central_stock
from o2pos.central.store import write
from o2pos.core import stock, syncstate
from o2pos.core.models import Product, StockMove
from o2pos.core.returns import ReturnItem, create
from o2pos.core.sales import get
from tests.sync.conftest import Central, Till, at, counters, o2pos_cmd, shop, store_of

RICE = "RICE1"


@pytest.fixture
def tills(tmp_path: Path, central: Central) -> Iterator[dict[str, Till]]:
    """T1 and T2 at the MAIN location of one store, X at the MAIN of another."""
    here, there = shop(), shop()
    yield from counters(tmp_path, central, T1=here, T2=here, X=there)


def receive(central: Central, store: str, qty: int, sku: str = RICE) -> None:
    central.bind()
    with write():
        central_stock.receive(store, "MAIN", {sku: qty})


def on_hand(till: Till, sku: str = RICE) -> int:
    at(till)
    return stock.level(till.ctx, Product.get(Product.sku == sku).id).on_hand


def central_level(central: Central, store: str, sku: str = RICE) -> central_stock.LevelRow:
    central.bind()
    rows = [r for r in central_stock.report(store, "MAIN") if r.sku == sku]
    assert len(rows) == 1, rows
    return rows[0]


def sync(till: Till) -> None:
    at(till).push_until_done()
    outcome = till.engine.run_once()
    assert outcome.ok, outcome


def test_an_offline_sale_counts_at_once_here_and_once_at_the_central(
    tills: dict[str, Till], central: Central
) -> None:
    t1, t2, x = tills["T1"], tills["T2"], tills["X"]
    store = store_of(central, t1)
    receive(central, store, 50_000)
    receive(central, store_of(central, x), 7_000)
    for till in (t1, t2, x):
        sync(till)
    assert on_hand(t1) == on_hand(t2) == 50_000
    assert on_hand(x) == 7_000  # another store's MAIN is another place

    at(t1).store.cash_sale(RICE, RICE)  # T1 sells two and does not push yet
    assert on_hand(t1) == 48_000
    at(t2).store.cash_sale(RICE)
    sync(t2)
    assert central_level(central, store).on_hand == 49_000

    assert at(t1).engine.pull().ok  # T1 pulls before it pushes
    assert syncstate.pending_count(t1.ctx) > 0
    assert on_hand(t1) == 47_000  # the central's 49 and its own two, not yet counted there

    sync(t1)
    assert central_level(central, store).on_hand == 47_000
    assert on_hand(t1) == 47_000  # counted at the central now, and not twice here
    sync(t2)
    assert on_hand(t2) == 47_000
    assert on_hand(x) == 7_000


def test_a_return_restocks_and_the_central_is_the_sum_of_the_moves(
    tills: dict[str, Till], central: Central
) -> None:
    t1, t2 = tills["T1"], tills["T2"]
    store = store_of(central, t1)
    receive(central, store, 20_000)
    for till in (t1, t2):
        sync(till)
    sold = at(t1).store.cash_sale(RICE, RICE, RICE)
    at(t2).store.cash_sale(RICE)
    at(t1)
    line = get(sold.sale.id).lines[0]
    create(
        t1.ctx,
        t1.store.cashier,
        str(sold.sale.number),
        [ReturnItem(line.id, 1000)],
        "cash",
        approval=t1.store.approval("refund"),
        reason="wrong size",
    )
    assert on_hand(t1) == 18_000
    for till in (t1, t2, t1):
        sync(till)

    moves = 0
    for till in (t1, t2):
        at(till)
        moves += sum(
            m.on_hand_milli for m in StockMove.select().join(Product).where(Product.sku == RICE)
        )
    assert moves == -3_000  # four sold, one back
    level = central_level(central, store)
    assert level.on_hand == 20_000 + moves
    assert on_hand(t1) == on_hand(t2) == level.on_hand


def test_the_central_reports_stock_per_store_and_location(
    tills: dict[str, Till], central: Central, tmp_path: Path
) -> None:
    t1 = tills["T1"]
    store = store_of(central, t1)
    receive(central, store, 12_000)
    at(t1).store.cash_sale(RICE)
    sync(t1)
    out = subprocess.run(
        o2pos_cmd("central", "stock", "--store", store, "--json", "--db", central.db_url),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rows = json.loads(out)
    assert rows == [
        {
            "store": store,
            "location": "MAIN",
            "sku": RICE,
            "on_hand": 11_000,
            "reserved": 0,
            "in_transit": 0,
        }
    ]
    text = subprocess.run(
        o2pos_cmd("central", "stock", "--store", store, "--db", central.db_url),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "RICE1" in text and "11" in text


def test_receiving_a_bad_file_says_which_row_and_changes_nothing(
    central: Central, tmp_path: Path
) -> None:
    bad = tmp_path / "in.csv"
    bad.write_text("sku,qty\nNOPE,2\n")
    done = subprocess.run(
        o2pos_cmd("central", "receive", str(bad), "--location", "MAIN", "--db", central.db_url),
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    assert "line 2" in done.stderr and "NOPE" in done.stderr


def test_the_first_pull_replaces_stock_set_up_here_by_the_centrals(
    tills: dict[str, Till], central: Central
) -> None:
    """build_store gives each product 50 here without a move; the central is the record."""
    t1 = tills["T1"]
    receive(central, store_of(central, t1), 12_000)
    at(t1).store.cash_sale(RICE)  # sold before the till ever pulled
    assert on_hand(t1) == 49_000
    assert at(t1).engine.pull().ok
    assert on_hand(t1) == 11_000  # the central's 12, less the sale it has not been sent
    assert on_hand(t1, "SOAP") == 0  # the central holds none: none here either
    sync(t1)
    assert on_hand(t1) == 11_000 == central_level(central, store_of(central, t1)).on_hand
