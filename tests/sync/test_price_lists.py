"""Customer groups and price lists from the central's demo to a till that sells by them."""

from __future__ import annotations

import subprocess
from pathlib import Path

from o2pos.central import master
from o2pos.central.store import open_central, write
from o2pos.core import loyalty, sales
from o2pos.core.models import Customer, CustomerGroup, LoyaltyScheme, Product
from tests.conftest import Store
from tests.sync.conftest import o2pos_cmd
from tests.sync.test_master import pull_all


def test_a_wholesale_customer_from_the_central_pays_the_wholesale_list(
    tmp_path: Path, store: Store
) -> None:
    db = tmp_path / "central.db"
    done = subprocess.run(
        o2pos_cmd("central", "load-demo", "--db", str(db)), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    listed = subprocess.run(
        o2pos_cmd("central", "price-lists", "--db", str(db)), capture_output=True, text=True
    )
    assert "wholesale (Wholesale): WHOLESALE" in listed.stdout
    assert "STA-000029                      46.00 from 10" in listed.stdout
    open_central(db)
    pull_all(store)
    assert {g.code: g.price_list for g in CustomerGroup.select()} == {
        "retail": None,
        "wholesale": "WHOLESALE",
        "staff": "STAFF",
    }
    assert loyalty.current() is not None and LoyaltyScheme.select().count() == 1
    balaji = Customer.get(Customer.phone == "9845900001")
    assert balaji.group_code == "wholesale"
    sugar = Product.get(Product.sku == "STA-000029")
    sale = sales.new(store.ctx, store.cashier)
    sales.add_item(store.ctx, sale.id, sugar.barcode, store.cashier)
    sales.set_customer(store.ctx, sale.id, balaji.id, store.cashier)
    bill = sales.get(sale.id)
    assert (bill.total, bill.notice) == (4800, "Wholesale prices: 1 line repriced")
    [line] = sales.lines_of(bill)
    sales.set_qty(store.ctx, sale.id, line.id, 10_000, store.cashier)
    assert sales.get(sale.id).total == 10 * 4600

    # a till that changes the customer's e-mail does not take them out of their group
    record = {
        "uuid": balaji.uuid,
        "name": balaji.name,
        "phone": balaji.phone,
        "email": "new@balaji.example.in",
        "gstin": None,
        "state_code": None,
    }
    with write():
        assert master.customers_from_till([record]) == []
    assert master.get("customer", balaji.uuid)["group_code"] == "wholesale"
    pull_all(store)
    assert Customer.get_by_id(balaji.id).group_code == "wholesale"


def test_a_customer_file_naming_an_unknown_group_refuses_that_row(
    tmp_path: Path, store: Store
) -> None:
    open_central(tmp_path / "central.db")
    master.seed_reference()
    master.import_price_lists(Path(__file__).parents[2] / "data" / "demo" / "price_lists.csv")
    path = tmp_path / "c.csv"
    path.write_text(
        "name,phone,group_code\nA Shop,9845911111,wholesale\nB Shop,9845922222,wholsale\n",
        encoding="utf-8",
    )
    report = master.import_csv("customers", path)
    assert report.created == 1
    assert report.errors == [(3, "unknown customer group wholsale (import the price lists first)")]
