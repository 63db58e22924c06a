"""The A4 tax invoice: a PDF read back with pypdf says what a GST tax invoice must."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from o2pos.core import sales
from o2pos.core.models import Customer, Journal, Product
from o2pos.core.payments import Tender
from o2pos.core.settings import StoreSettings
from o2pos.printing import a4, documents
from tests.conftest import Store, build_store

SELLER = StoreSettings(
    name="Test Mart",
    address="12 MG Road, Bengaluru",
    gstin="29AABCT1332L1ZS",
    state_code="29",
)


def _b2b_bill(store: Store, *codes: str) -> str:
    store.open_register()
    sale_id = store.bill(*codes)
    customer = Customer.get(Customer.uuid == "c-tn")
    sales.set_customer(store.ctx, sale_id, customer.id, store.cashier)
    due = sales.get(sale_id).total
    return str(sales.checkout(store.ctx, sale_id, [Tender("cash", due)], store.cashier).sale.number)


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "read.pdf"
    path.write_bytes(pdf)
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def test_the_invoice_names_both_gstins_the_place_of_supply_and_each_hsn(
    store: Store, tmp_path: Path
) -> None:
    number = _b2b_bill(store, "TRIM", "SOAP", "SOAP", "SOAP")  # ₹1,300.00, across states
    text = _text(a4.invoice_pdf(documents.find(store.ctx, number), SELLER), tmp_path)
    assert "TAX INVOICE" in text
    assert "GSTIN 29AABCT1332L1ZS" in text  # seller
    assert "GSTIN 33AACCK2008G1Z8" in text and "Tamil Traders" in text  # buyer
    assert "Place of supply: 33-Tamil Nadu" in text
    assert "Inter-state (IGST)" in text
    assert f"Invoice No: {number}" in text
    # each line with its HSN code; the tax per HSN code; the total in figures and words
    assert "1 Beard Trimmer 8510 1 pcs" in text and "Neem Soap 100 g 3401" in text
    assert "1,101.69" in text and "198.31" in text
    assert "1,300.00" in text
    assert "Rupees One Thousand Three Hundred Only" in text


def test_many_lines_go_on_to_a_second_page(store: Store, tmp_path: Path) -> None:
    store.open_register()
    for n in range(60):  # sixty different products: sixty lines
        Product.create(sku=f"P{n}", name=f"Item {n}", price=1000, tax_class="GST5", hsn="1006")
    sale_id = store.bill(*(f"P{n}" for n in range(60)))
    sales.checkout(store.ctx, sale_id, [Tender("cash", sales.get(sale_id).total)], store.cashier)
    number = str(sales.get(sale_id).number)
    path = tmp_path / "long.pdf"
    path.write_bytes(a4.invoice_pdf(documents.find(store.ctx, number), SELLER))
    reader = PdfReader(path)
    assert len(reader.pages) == 2
    assert "Amount in words" in reader.pages[1].extract_text()


@pytest.mark.parametrize(
    ("minor", "words"),
    [
        (130000, "Rupees One Thousand Three Hundred Only"),
        (130050, "Rupees One Thousand Three Hundred and Paise Fifty Only"),
        (15000000, "Rupees One Lakh Fifty Thousand Only"),
        (1234567800, "Rupees One Crore Twenty Three Lakh Forty Five Thousand Six Hundred "
         "Seventy Eight Only"),
        (4, "Rupees Zero and Paise Four Only"),
    ],
)  # fmt: skip
def test_amounts_in_words_count_in_lakhs_and_crores(minor: int, words: str) -> None:
    assert a4.amount_in_words(minor) == words


def _config(tmp_path: Path, printer: str = "") -> Path:
    config = tmp_path / "o2pos.toml"
    config.write_text(
        '[store]\nname = "Test Mart"\ngstin = "29AABCT1332L1ZS"\n\n'
        f'[terminal]\nid = "T1"\ndata_dir = "{tmp_path / "data"}"\n\n[printer]\n{printer}',
        encoding="utf-8",
    )
    return config


def _invoice(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "o2pos", "invoice", *args, "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_o2pos_invoice_saves_the_pdf_and_runs_the_print_command(tmp_path: Path) -> None:
    store = build_store(tmp_path / "data")
    number = _b2b_bill(store, "TRIM")
    printed = tmp_path / "printed.pdf"
    config = _config(tmp_path, f'a4_dir = "pdfs"\na4_command = "cp {{file}} {printed}"\n')
    done = _invoice(config, number)
    assert done.returncode == 0, done.stderr
    saved = tmp_path / "data" / "pdfs" / f"INVOICE-{number}.pdf"
    assert str(saved) in done.stdout and "Sent to the A4 printer" in done.stdout
    assert printed.read_bytes() == saved.read_bytes()
    assert "33AACCK2008G1Z8" in _text(saved.read_bytes(), tmp_path)
    # --out: that file, nothing printed
    printed.unlink()
    out = tmp_path / "copy.pdf"
    assert _invoice(config, number, "--out", str(out)).returncode == 0
    assert out.read_bytes().startswith(b"%PDF-1.4") and not printed.exists()


def test_o2pos_invoice_refuses_what_is_not_a_bill(tmp_path: Path) -> None:
    store = build_store(tmp_path / "data")
    _b2b_bill(store, "TRIM")
    receipt = json.loads(Journal.get(Journal.event_type == "sale.completed").payload)["receipt"]
    config = _config(tmp_path)
    done = _invoice(config, receipt)
    assert done.returncode != 0 and "is not a bill" in done.stderr
    done = _invoice(config, "S-T1-999999")
    assert done.returncode != 0 and "no document of this till has that number" in done.stderr
    assert not (tmp_path / "data" / "invoices").exists()


def test_a_failing_print_command_leaves_the_pdf_and_says_so(tmp_path: Path) -> None:
    store = build_store(tmp_path / "data")
    number = _b2b_bill(store, "TRIM")
    done = _invoice(_config(tmp_path, 'a4_command = "false"\n'), number)
    assert done.returncode != 0 and "The A4 print command failed" in done.stderr
    assert (tmp_path / "data" / "invoices" / f"INVOICE-{number}.pdf").exists()
