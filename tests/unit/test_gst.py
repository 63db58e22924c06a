"""GST: HSN codes imported and checked, required on B2B bills, summarised per code.

Worked example: a bill to Tamil Traders (GSTIN, another state: IGST) of one beard
trimmer (HSN 8510, ₹1,000 + 18 %) and three neem soaps (HSN 3401, ₹40 incl. 18 %).
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from o2pos.core import gst, importer, sales
from o2pos.core.errors import ValidationError
from o2pos.core.models import Customer, Journal, Product
from o2pos.core.payments import Tender
from o2pos.core.sales.payloads import line_payload
from tests.conftest import Store, build_store

TRADERS = "c-tn"  # GSTIN 33...: a B2B bill across states


def _customer(uuid: str) -> int:
    return int(Customer.get(Customer.uuid == uuid).id)


@pytest.mark.parametrize("code", ["1006", "340111", "22021010", " 8510 "])
def test_hsn_codes_of_4_6_or_8_digits_are_taken(code: str) -> None:
    assert gst.validate_hsn(code) == code.strip()


@pytest.mark.parametrize("code", ["100", "12345", "1234567", "123456789", "10A6", "HSN1"])
def test_other_hsn_codes_are_refused_with_the_code_named(code: str) -> None:
    with pytest.raises(ValidationError, match=f"HSN/SAC '{code}' is not a code of 4, 6 or 8"):
        gst.validate_hsn(code)


def test_a_bad_hsn_row_gets_a_message_and_changes_nothing(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "products.csv"
    path.write_text(
        "sku,name,price,tax_class,hsn\n"
        "PEN,Gel Pen,25,GST18,9608\n"
        "INK,Ink Bottle,60,GST18,96081\n"
        "SOAP,Neem Soap 100 g,40,GST18,340111\n"
        "TRIM,Beard Trimmer,1000,GST18,85-10\n",
        encoding="utf-8",
    )
    report = importer.import_products(store.ctx, path)
    assert (report.created, report.updated) == (1, 1)
    messages = dict(report.errors)
    assert messages == {
        3: "HSN/SAC '96081' is not a code of 4, 6 or 8 digits",
        5: "HSN/SAC '85-10' is not a code of 4, 6 or 8 digits",
    }
    assert Product.get(Product.sku == "PEN").hsn == "9608"
    assert Product.get_or_none(Product.sku == "INK") is None
    assert Product.get(Product.sku == "SOAP").hsn == "340111"
    assert Product.get(Product.sku == "TRIM").hsn == "8510"  # as it was


def test_credit_terms_are_imported_with_customers(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_text(
        "name,phone,gstin,credit_limit,credit_days\n"
        'Sri Lakshmi Traders,9845011111,29AAACS1234A1Z5,"5,000",30\n'
        "Ravi Kirana Store,9845022222,,lots,15\n"
        "Cash Only,9845033333,,,\n"
        "Long Terms,9845044444,,100,9999\n",
        encoding="utf-8",
    )
    report = importer.import_customers(store.ctx, path)
    assert report.created == 2
    messages = dict(report.errors)
    assert "credit_limit" in messages[3] and "'lots' is not an amount" in messages[3]
    assert "credit_days '9999'" in messages[5]
    lakshmi = Customer.get(Customer.phone == "9845011111")
    assert (lakshmi.credit_limit, lakshmi.credit_days) == (500000, 30)
    cash = Customer.get(Customer.phone == "9845033333")
    assert (cash.credit_limit, cash.credit_days) == (None, None)
    assert Customer.get_or_none(Customer.phone == "9845022222") is None
    event = Journal.select().where(Journal.event_type == "customers.imported").get()
    published = {c["phone"]: c for c in json.loads(event.payload)["customers"]}
    assert published["9845011111"]["credit_limit"] == 500000


def test_a_b2b_bill_with_a_product_missing_its_hsn_is_refused(store: Store) -> None:
    store.open_register()
    Product.update(hsn=None).where(Product.sku == "SOAP").execute()
    sale_id = store.bill("TRIM", "SOAP")
    sales.set_customer(store.ctx, sale_id, _customer(TRADERS), store.cashier)
    due = sales.get(sale_id).total
    events = Journal.select().count()
    with pytest.raises(ValidationError, match="needs the HSN code of Neem Soap 100 g"):
        sales.checkout(store.ctx, sale_id, [Tender("cash", due)], store.cashier)
    assert sales.get(sale_id).status == "draft" and Journal.select().count() == events
    # the code set in the product list is taken at completion, by the line rung up before
    Product.update(hsn="3401").where(Product.sku == "SOAP").execute()
    done = sales.checkout(store.ctx, sale_id, [Tender("cash", due)], store.cashier)
    assert [ln.hsn for ln in sales.lines_of(done.sale)] == ["8510", "3401"]


def test_a_consumer_bill_goes_without_hsn_codes(store: Store) -> None:
    store.open_register()
    Product.update(hsn=None).execute()
    sale_id = store.bill("TRIM")
    sales.set_customer(store.ctx, sale_id, _customer("c-local"), store.cashier)
    done = sales.checkout(store.ctx, sale_id, [Tender("cash", 118000)], store.cashier)
    assert done.sale.status == "completed"


def test_a_b2b_bill_of_untaxed_goods_needs_no_hsn(store: Store) -> None:
    store.open_register()
    Product.update(hsn=None).where(Product.sku == "ONION").execute()
    sale_id = store.bill("ONION")
    sales.set_customer(store.ctx, sale_id, _customer(TRADERS), store.cashier)
    due = sales.get(sale_id).total
    assert sales.checkout(store.ctx, sale_id, [Tender("cash", due)], store.cashier).sale.number


def _worked_example(store: Store) -> dict:
    store.open_register()
    sale_id = store.bill("TRIM", "SOAP", "SOAP", "SOAP")
    sales.set_customer(store.ctx, sale_id, _customer(TRADERS), store.cashier)
    due = sales.get(sale_id).total
    sales.checkout(store.ctx, sale_id, [Tender("cash", due)], store.cashier)
    event = Journal.select().where(Journal.event_type == "sale.completed").get()
    return dict(json.loads(event.payload))


def test_the_hsn_summary_of_the_worked_example(store: Store) -> None:
    payload = _worked_example(store)
    rows = gst.hsn_summary(payload["lines"])
    assert rows == [
        {
            "hsn": "3401",
            "rate_bp": 1800,
            "qty_milli": 3000,
            "taxable": 10169,
            "cgst": 0,
            "sgst": 0,
            "igst": 1831,
        },
        {
            "hsn": "8510",
            "rate_bp": 1800,
            "qty_milli": 1000,
            "taxable": 100000,
            "cgst": 0,
            "sgst": 0,
            "igst": 18000,
        },
    ]
    assert sum(r["taxable"] for r in rows) == payload["taxable_total"]
    assert sum(r["igst"] for r in rows) == payload["tax_total"]


def test_report_hsn_sums_the_days_bills_per_code(tmp_path: Path) -> None:
    store = build_store(tmp_path / "data")
    _worked_example(store)
    store.cash_sale("SOAP")  # a consumer's bill: B2C
    config = tmp_path / "o2pos.toml"
    config.write_text(
        f'[terminal]\nid = "T1"\ndata_dir = "{tmp_path / "data"}"\n', encoding="utf-8"
    )
    day = store.ctx.today().isoformat()
    done = subprocess.run(
        [sys.executable, "-m", "o2pos", "report", "hsn", "--from", day, "--to", day, "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        env={"O2POS_CONFIG": str(config), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["bills"], data["b2b"]["bills"], data["b2c"]["bills"]) == (2, 1, 1)
    soap = next(r for r in data["rows"] if r["hsn"] == "3401")
    # three soaps across states (IGST) and one in the store's own state (CGST + SGST)
    assert soap["qty_milli"] == 4000
    assert soap["igst"] == 1831 and soap["cgst"] + soap["sgst"] == 610
    assert data["b2c"]["rows"][0]["taxable"] == 3390
    text = subprocess.run(
        [sys.executable, "-m", "o2pos", "report", "hsn", "--from", day],
        capture_output=True,
        text=True,
        timeout=120,
        env={"O2POS_CONFIG": str(config), "PATH": "/usr/bin:/bin"},
    ).stdout
    assert "B2B (1 bills)" in text and "8510" in text and "1,000.00" in text
    # a day with no sales
    assert gst.hsn_report(store.ctx, date(2020, 1, 1), date(2020, 1, 2))["rows"] == []
    with pytest.raises(ValidationError, match="before"):
        gst.hsn_report(store.ctx, date(2020, 1, 2), date(2020, 1, 1))


SKUS = ["RICE1", "SOAP", "COLA", "TRIM", "UPC1", "ONION"]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    picks=st.lists(st.tuples(st.sampled_from(SKUS), st.integers(1, 7)), min_size=1, max_size=8),
    b2b=st.booleans(),
    discount_bp=st.sampled_from([0, 250, 500]),
)
def test_the_hsn_summary_adds_up_to_the_bills_taxable_and_tax(
    store: Store, picks: list[tuple[str, int]], b2b: bool, discount_bp: int
) -> None:
    sale_id = store.bill()
    for sku, qty in picks:
        code = sku if sku == "ONION" or qty == 1 else f"{qty}*{sku}"
        sales.add_item(store.ctx, sale_id, code, store.cashier)
    if b2b:
        sales.set_customer(store.ctx, sale_id, _customer(TRADERS), store.cashier)
    if discount_bp:
        sales.set_order_discount(store.ctx, sale_id, "percent", discount_bp, store.cashier)
    sale = sales.get(sale_id)
    rows = gst.hsn_summary([line_payload(ln) for ln in sales.lines_of(sale)])
    assert sum(r["taxable"] for r in rows) == sale.taxable_total
    assert sum(r["cgst"] + r["sgst"] + r["igst"] for r in rows) == sale.tax_total


def test_the_demo_store_has_hsn_codes_and_business_customers_on_credit(tmp_path: Path) -> None:
    import sqlite3

    done = subprocess.run(
        [sys.executable, "-m", "o2pos", "init", "--demo"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    con = sqlite3.connect(tmp_path / "data" / "o2pos.db")
    missing = con.execute(
        "SELECT COUNT(*) FROM product JOIN tax_class ON tax_class.code = product.tax_class "
        "WHERE tax_class.rate_bp > 0 AND product.hsn IS NULL"
    ).fetchone()
    assert missing == (0,)
    terms = dict(
        (name, (limit, days))
        for name, limit, days in con.execute(
            "SELECT name, credit_limit, credit_days FROM customer WHERE credit_limit IS NOT NULL"
        )
    )
    assert terms == {"Sri Lakshmi Traders": (500000, 30), "Ravi Kirana Store": (2000000, 15)}
    con.close()


def test_report_hsn_counts_every_bill_not_one_a_section(store: Store) -> None:
    """A line of a bill with a customer was read without its bill's id (None for all of
    them), so a section of such bills said '1 bills' however many there were."""
    store.open_register()
    for customer in ("c-tn", "c-tn", "c-local", "c-local", None):  # B2B twice, B2C thrice
        sale_id = store.bill("SOAP", "RICE1")
        if customer is not None:
            who = Customer.get(Customer.uuid == customer).id
            sales.set_customer(store.ctx, sale_id, who, store.cashier)
        sales.checkout(
            store.ctx, sale_id, [Tender("cash", sales.get(sale_id).total)], store.cashier
        )
    day = store.ctx.today()
    report = gst.hsn_report(store.ctx, day, day)
    assert (report["bills"], report["b2b"]["bills"], report["b2c"]["bills"]) == (5, 2, 3)
