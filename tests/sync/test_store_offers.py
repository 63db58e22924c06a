"""Offers at a real central: imported from a CSV, pulled by the tills, applied at the
counter, and what each one cost reported per store and day from the bills the tills sent."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from o2pos.central import master
from o2pos.central.reports import offers as offer_report
from o2pos.core import sales
from o2pos.core.models import Product, Stock
from o2pos.core.payments import Tender
from tests.sync.conftest import Central, Till, at, counters, o2pos_cmd, shop, store_of


@pytest.fixture
def tills(tmp_path: Path, central: Central) -> Iterator[dict[str, Till]]:
    """T1 and T2 in one store, X in another."""
    here, there = shop(), shop()
    yield from counters(tmp_path, central, T1=here, T2=here, X=there)


def test_each_offers_cost_is_reported_per_store_and_day(
    tmp_path: Path, central: Central, tills: dict[str, Till]
) -> None:
    # products of this test alone: the central (and its offers) is the whole session's
    tag = uuid.uuid4().hex[:6].upper()
    bar, juice = f"BAR{tag}", f"JUICE{tag}"
    for till in tills.values():
        at(till)
        with till.ctx.write():
            for sku, price, category in ((bar, 3000, f"Bars{tag}"), (juice, 12000, f"Juice{tag}")):
                product = Product.create(
                    sku=sku, name=sku.title(), price=price, tax_class="GST5", category=category
                )
                Stock.create(product=product, location="MAIN", qty_milli=100_000)
    csv = tmp_path / "offers.csv"
    csv.write_text(
        "code,name,kind,value,skus,categories,buy_qty,get_qty\n"
        f"B2G1{tag},Buy 2 get 1 free,buy_get,,{bar},,2,1\n"
        f"JUICE{tag},10 % off juice,percent,10,,Juice{tag},,\n"
        f"BAD{tag},No kind,,,,,,\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        o2pos_cmd("central", "import", "offers", str(csv), "--db", central.db_url),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1  # the bad row is refused, by line; the others go in
    assert f"offers.csv:4: offer BAD{tag}: kind must be one of" in done.stderr
    central.bind()
    assert {o["code"] for o in master.offers()} >= {f"B2G1{tag}", f"JUICE{tag}"}

    def sell(till: Till, *codes: str) -> int:
        store = at(till).store
        till.engine.run_once()  # pulls the offers, pushes what was sold before
        sale_id = store.bill(*codes)
        total = sales.get(sale_id).total
        sales.checkout(store.ctx, sale_id, [Tender("cash", total)], store.cashier)
        return total

    assert sell(tills["T1"], f"3*{bar}", juice) == 6000 + 10800
    assert sell(tills["T2"], f"6*{bar}") == 12000
    assert sell(tills["X"], f"2*{juice}") == 21600
    for till in tills.values():
        at(till).push_until_done()

    central.bind()
    rows = [r for r in offer_report() if r["code"].endswith(tag)]
    by_key = {(r["store"], r["code"]): r for r in rows}
    t1_store = store_of(central, tills["T1"])
    x_store = store_of(central, tills["X"])
    assert by_key[(t1_store, f"B2G1{tag}")]["times"] == 2
    assert by_key[(t1_store, f"B2G1{tag}")]["amount"] == 3000 + 6000
    assert by_key[(t1_store, f"JUICE{tag}")]["amount"] == 1200
    assert by_key[(x_store, f"JUICE{tag}")] | {"day": "-"} == {
        "store": x_store,
        "day": "-",
        "code": f"JUICE{tag}",
        "name": "10 % off juice",
        "times": 1,
        "amount": 2400,
    }
    day = by_key[(x_store, f"JUICE{tag}")]["day"]

    shown = subprocess.run(
        o2pos_cmd(
            "central", "report", "offers", "--store", t1_store, "--from", day, "--to", day,
            "--json", "--db", central.db_url,
        ),
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    listed = [r for r in json.loads(shown.stdout) if r["code"].endswith(tag)]
    assert sorted((r["code"], r["times"], r["amount"]) for r in listed) == [
        (f"B2G1{tag}", 2, 9000),
        (f"JUICE{tag}", 1, 1200),
    ]
    before = subprocess.run(
        o2pos_cmd(
            "central", "report", "offers", "--store", t1_store, "--to", "2000-01-01",
            "--db", central.db_url,
        ),
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert before.stdout.strip() == "No offers given in that time."
