"""``o2pos report stock`` and ``o2pos employee set --locations``: real processes on the
till's database file, made through the core (tests/conftest.py's store)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from o2pos.core import auth, counts
from o2pos.core.models import Employee, Journal, Location, Product, Stock
from tests.conftest import Store, build_store


def _till(tmp_path: Path) -> tuple[Store, Path]:
    store = build_store(tmp_path / "data")
    config = tmp_path / "o2pos.toml"
    config.write_text(f'[terminal]\ndata_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    return store, config


def _o2pos(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "o2pos", *args, "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_report_stock_gives_every_bucket_per_product_and_location(tmp_path: Path) -> None:
    store, config = _till(tmp_path)
    ctx = store.ctx
    soap = Product.get(Product.sku == "SOAP")
    Stock.update(reserved_milli=2000, transit_milli=0).where(Stock.product == soap).execute()
    Location.create(code="WH", name="Warehouse")
    Stock.create(product=soap, location="WH", qty_milli=0, transit_milli=5000)
    clerk = store.people["stock"]
    count = counts.start(ctx, clerk)
    counts.count_line(ctx, count.id, "SOAP", 47_000, clerk)
    counts.post(ctx, count.id, store.manager)  # a stock move the report must show

    done = _o2pos(config, "report", "stock", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["location"] is None
    rows = {(r["location"], r["sku"]): r for r in data["products"]}
    assert rows["MAIN", "SOAP"] == {
        "location": "MAIN",
        "sku": "SOAP",
        "name": "Neem Soap 100 g",
        "unit": "pcs",
        "on_hand_milli": 47_000,
        "reserved_milli": 2000,
        "in_transit_milli": 0,
        "available_milli": 45_000,
    }
    assert rows["WH", "SOAP"]["in_transit_milli"] == 5000
    assert rows["WH", "SOAP"]["available_milli"] == 0
    keys = [(r["location"], r["sku"]) for r in data["products"]]
    assert keys == sorted(keys)  # by location, then SKU

    only = json.loads(_o2pos(config, "report", "stock", "--json", "--location", "WH").stdout)
    assert only["location"] == "WH" and [r["sku"] for r in only["products"]] == ["SOAP"]

    text = _o2pos(config, "report", "stock", "--location", "MAIN").stdout.splitlines()
    assert text[0].split() == [
        "Location", "SKU", "Product", "On", "hand", "Reserved", "In", "transit", "Available"
    ]  # fmt: skip
    assert ["MAIN", "SOAP", "Neem", "Soap", "100", "g", "47", "2", "0", "45"] in [
        line.split() for line in text
    ]
    nowhere = _o2pos(config, "report", "stock", "--location", "SHOP9")
    assert (nowhere.returncode, nowhere.stdout) == (0, "No stock at SHOP9.\n")
    wrong = _o2pos(config, "report", "x", "--location", "MAIN")
    assert (wrong.returncode, wrong.stderr) == (1, "error: --location is for the stock report\n")


def test_employee_set_locations_is_journaled_and_checked(tmp_path: Path) -> None:
    store, config = _till(tmp_path)
    done = _o2pos(config, "employee", "set", "stock", "--locations", "WH, MAIN")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "stock works at MAIN, WH.\n"
    assert "knows no location WH yet" in done.stderr
    clerk = Employee.get(Employee.code == "stock")
    assert clerk.locations == "WH,MAIN"
    assert auth.locations_of(store.ctx, clerk) == ["MAIN", "WH"]
    event = Journal.select().where(Journal.event_type == "employee.changed").get()
    assert event.employee_id is None
    assert json.loads(event.payload) == {"employee": "stock", "locations": ["WH", "MAIN"]}

    bad = _o2pos(config, "employee", "set", "stock", "--locations", "W H")
    assert bad.returncode == 1 and "not a location code" in bad.stderr
    unknown = _o2pos(config, "employee", "set", "nobody", "--locations", "MAIN")
    assert (unknown.returncode, unknown.stderr) == (
        1,
        "error: No employee has the user code 'nobody'\n",
    )
    cleared = _o2pos(config, "employee", "set", "stock", "--locations", "")
    assert (cleared.returncode, cleared.stdout) == (0, "stock works at MAIN.\n")
    assert Journal.select().where(Journal.event_type == "employee.changed").count() == 2
