"""The bill of a sale that sold gift vouchers: each voucher printed as the customer keeps it.

The bill is rung up through the core and read back from the journal, as the till prints it
and as F5 reprints it; it also goes through a real TCP "printer" on 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from o2pos.config import PrinterConfig
from o2pos.core import sales
from o2pos.core.payments import Tender
from o2pos.printing import documents, service
from o2pos.printing.documents import Document
from o2pos.printing.slip import Barcode, Line
from tests.conftest import Store, build_store
from tests.printing.printer_server import PrinterServer
from tests.printing.test_layouts import WIDTHS, TextSnapshot, _paise, _rows, _slip
from tests.printing.test_print_queue import assert_slip

FIRST, SECOND = "GV-T1-000001", "GV-T1-000002"


@pytest.fixture
def snapshot_text(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(TextSnapshot)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = build_store(Path(tmp_path_factory.mktemp("vouchers")))
    yield store
    store.ctx.db.close()


@pytest.fixture(scope="module")
def bill(store: Store) -> Document:
    """Soap (40.00, GST 18 % included) and two gift vouchers, paid by card and cash."""
    ctx, cashier = store.ctx, store.cashier
    store.open_register()
    sale_id = store.bill("SOAP")
    sales.add_gift_voucher(ctx, sale_id, "1,000", cashier)
    sales.add_gift_voucher(ctx, sale_id, "250.50", cashier)
    due = sales.get(sale_id).total
    paid = sales.checkout(
        ctx, sale_id, [Tender("card", 100000, "AUTH 77"), Tender("cash", due - 100000)], cashier
    )
    return documents.find(ctx, paid.sale.number)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_voucher_slip_snapshot(
    bill: Document, width: int, snapshot_text: SnapshotAssertion
) -> None:
    assert _slip(bill, width).text() == snapshot_text


@pytest.mark.parametrize("width", WIDTHS)
def test_each_voucher_is_printed_big_with_its_expiry_and_barcode(
    bill: Document, width: int
) -> None:
    slip = _slip(bill, width, copy=True, qr=True)
    for item in slip.items:
        if isinstance(item, Line):
            assert len(item.text) <= (width // 2 if item.big else width), item
    big = [i.text.strip() for i in slip.items if isinstance(i, Line) and i.big]
    assert big.count("GIFT VOUCHER") == 2
    assert FIRST in big and SECOND in big  # the numbers in double size
    text = slip.text()
    # the store's day is 20-11-2026: valid for 365 days
    assert text.count("Valid till") == 2 and "20-11-2027" in text
    assert f"Pay with voucher {FIRST} at any counter of Test Mart" in " ".join(text.split())
    assert [i.data for i in slip.items if isinstance(i, Barcode)] == [FIRST, SECOND, bill.number]
    # on the bill: each voucher line names its voucher, and the figures still add up
    assert f"Voucher {FIRST}" in text and f"Voucher {SECOND}" in text
    figures = sum(
        _paise(a)
        for label in ("Taxable value", "CGST", "SGST", "Gift vouchers (no GST)", "Round off")
        for a in _rows(slip, label)
    )
    assert figures == bill.payload["total"] == 4000 + 100000 + 25050 + 50  # rounded up


def test_the_reprint_shows_the_vouchers_too(bill: Document, store: Store) -> None:
    again = documents.find(store.ctx, bill.number.lower())
    copy = _slip(again, 48, copy=True).text()
    assert "*** COPY ***" in copy
    assert copy.replace("*** COPY ***", "").split() == _slip(bill, 48).text().split()
    assert FIRST in copy and SECOND in copy


def test_the_voucher_slip_through_a_network_printer(bill: Document, store: Store) -> None:
    printer = PrinterServer().start()
    try:
        config = PrinterConfig(
            kind="network", host="127.0.0.1", port=printer.port, width=48, timeout_seconds=2
        )
        service.queue_document(store.ctx, config, bill)
        service.queue_document(store.ctx, config, bill, copy=True)
        outcome = service.Spooler(store.ctx, config).run_once()
        assert (outcome.printed, outcome.error) == (2, "")
        first, copy = printer.wait_for(2)
        for job in (first, copy):
            assert_slip(job, "Test Mart", bill.number, "GIFT VOUCHER", FIRST, SECOND, "20-11-2027")
        assert b"COPY" in copy and b"COPY" not in first
    finally:
        printer.stop()


def test_a_bill_of_gift_vouchers_alone_prints_no_empty_gst_table(store: Store) -> None:
    """Nothing on it bears GST: the slip printed 'Taxable value 0.00' and the GST summary's
    header over no rows. Now neither; the voucher and the total are all it says."""
    ctx, cashier = store.ctx, store.cashier
    sale_id = sales.new(ctx, cashier).id
    sales.add_gift_voucher(ctx, sale_id, "500", cashier)
    paid = sales.checkout(ctx, sale_id, [Tender("cash", 50000)], cashier)
    text = _slip(documents.find(ctx, paid.sale.number), 48).text()
    assert "TOTAL" in text and "500.00" in text
    assert "Taxable" not in text and "CGST" not in text and "GST " not in text
