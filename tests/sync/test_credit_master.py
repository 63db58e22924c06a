"""Credit terms and HSN codes travel central -> till as master data; records stored
before them still apply, and a till that does not send the terms leaves them alone."""

from __future__ import annotations

import json
from pathlib import Path

from o2pos.central import master
from o2pos.central.models import MasterRecord
from o2pos.central.store import open_central
from o2pos.core.models import Customer, Product
from tests.conftest import Store
from tests.sync.test_master import pull_all


def test_terms_and_codes_imported_at_the_central_reach_the_till(
    tmp_path: Path, store: Store
) -> None:
    open_central(tmp_path / "central.db")
    customers = tmp_path / "customers.csv"
    customers.write_text(
        "name,phone,gstin,credit_limit,credit_days\n"
        "Sri Lakshmi Traders,9845100001,29AAKFS1234M1Z6,5000,30\n"
        "Bad Terms,9845100003,,-5,30\n",
        encoding="utf-8",
    )
    report = master.import_csv("customers", customers)
    assert report.created == 1 and "is below zero" in dict(report.errors)[3]
    products = tmp_path / "products.csv"
    products.write_text(
        "sku,name,price,tax_class,hsn\nPEN,Gel Pen,25,GST18,9608\nINK,Ink,60,GST18,960\n",
        encoding="utf-8",
    )
    report = master.import_csv("products", products)
    assert report.created == 1 and "HSN/SAC '960'" in dict(report.errors)[3]
    pull_all(store)
    lakshmi = Customer.get(Customer.phone == "9845100001")
    assert (lakshmi.credit_limit, lakshmi.credit_days) == (500000, 30)
    assert Product.get(Product.sku == "PEN").hsn == "9608"
    # a price list without the hsn column keeps the code
    products.write_text("sku,name,price,tax_class\nPEN,Gel Pen,27,GST18\n", encoding="utf-8")
    master.import_csv("products", products)
    pull_all(store)
    pen = Product.get(Product.sku == "PEN")
    assert (pen.price, pen.hsn) == (2700, "9608")


def test_records_stored_before_credit_control_still_apply(tmp_path: Path, store: Store) -> None:
    open_central(tmp_path / "central.db")
    with master.write():
        master.put(
            "customer",
            "old-uuid",
            {"name": "Old Record", "phone": "9845100009", "email": None, "gstin": None,
             "state_code": None},
            alt_key="9845100009",
        )  # fmt: skip
    pull_all(store)
    old = Customer.get(Customer.uuid == "old-uuid")
    assert (old.credit_limit, old.credit_days) == (None, None)


def test_a_customer_sent_by_a_till_without_terms_keeps_the_centrals(
    tmp_path: Path, store: Store
) -> None:
    open_central(tmp_path / "central.db")
    customers = tmp_path / "customers.csv"
    customers.write_text(
        "name,phone,credit_limit,credit_days\nRavi Kirana Store,9845100002,20000,15\n",
        encoding="utf-8",
    )
    master.import_csv("customers", customers)
    key = MasterRecord.get(MasterRecord.kind == "customer", MasterRecord.alt_key == "9845100002")
    # as a till's customer.created carries it: no credit fields
    with master.write():
        master.customers_from_till(
            [{"uuid": key.key, "name": "Ravi Kirana", "phone": "9845100002", "email": None,
              "gstin": None, "state_code": None}]
        )  # fmt: skip
    data = json.loads(
        MasterRecord.get(MasterRecord.kind == "customer", MasterRecord.key == key.key).data
    )
    assert data["name"] == "Ravi Kirana"
    assert (data["credit_limit"], data["credit_days"]) == (2000000, 15)
