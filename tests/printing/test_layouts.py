"""Slip layouts of real documents: rung up through the core, read back from the journal.

Every document here is made the way the till makes it (a cash sale with change, an
inter-state invoice, a bill saved unpaid then collected, returns by cash and as a credit
note, cash in and out, X and Z reports), so the snapshots show what a customer would get.
The clock is fixed and the layouts print no uuid, so the snapshots are deterministic. The
assertions after them check what a snapshot cannot: widths, totals and tax that add up.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from o2pos.core import counts, deliveries, payments, register, returns, sales, transfers
from o2pos.core.auth import Perm
from o2pos.core.models import Customer, Location, Product, SaleLine, SerialNumber
from o2pos.core.money import format_amount
from o2pos.core.payments import Tender
from o2pos.core.settings import StoreSettings
from o2pos.printing import documents, layouts
from o2pos.printing.documents import Document
from o2pos.printing.layouts import Options
from o2pos.printing.slip import QR, Barcode, Line, Slip
from tests.conftest import Store, build_store
from tests.unit.test_transfers import incoming_of

STORE = StoreSettings(
    name="Test Mart",
    address="12 MG Road, Shivajinagar\nBengaluru 560001",
    phone="080 2345 6789",
    gstin="29AABCT1332L1ZS",
    state_code="29",
    timezone="Asia/Kolkata",
)
WIDTHS = (32, 48)
AMOUNT = re.compile(r"-?[\d,]+\.\d\d$")


class TextSnapshot(SingleFileSnapshotExtension):
    """One plain .txt file per slip, so a reviewer reads the slip as it prints."""

    _write_mode = WriteMode.TEXT
    _file_extension = "txt"


@pytest.fixture
def snapshot_text(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(TextSnapshot)


def _line_id(sale_id: int, sku: str) -> int:
    return SaleLine.get(SaleLine.sale == sale_id, SaleLine.sku == sku).id


def _ring_up(store: Store) -> dict[str, Document]:
    """One shift at the till; every printable document it produced, by a readable name."""
    ctx, cashier, manager, clock = store.ctx, store.cashier, store.manager, store.clock
    store.open_register(200000)

    # a walk-in cash sale: line discount, bill discount, coupon, serial, lot, tax added on
    # top (the trimmer's price excludes GST) and change from a round 3,000
    clock.advance(minutes=5)
    sale_id = store.bill("2*8901234567890", "8900000000012", "8900000000036", "8900000000050")
    sales.add_item(ctx, sale_id, "8900000000043", cashier, serial="SN1")
    sales.set_line_discount(ctx, sale_id, _line_id(sale_id, "RICE1"), "percent", 500, cashier)
    sales.set_order_discount(ctx, sale_id, "percent", 200, cashier)
    sales.apply_coupon(ctx, sale_id, "TEN", cashier)
    cash_sale = sales.checkout(ctx, sale_id, [Tender("cash", 300000)], cashier)
    assert cash_sale.change > 0

    # an inter-state B2B invoice (IGST), paid by card and UPI
    clock.advance(minutes=7)
    sale_id = store.bill("8900000000050", "3*8900000000012")
    tamil = Customer.get(Customer.uuid == "c-tn")
    sales.set_customer(ctx, sale_id, tamil.id, cashier)
    due = sales.get(sale_id).total
    interstate = sales.checkout(
        ctx,
        sale_id,
        [Tender("card", 100000, "AUTH 4821"), Tender("upi", due - 100000, "UPI 6512")],
        cashier,
    )

    # a bill saved unpaid for a known customer, paid later at the receipts screen
    clock.advance(minutes=4)
    sale_id = store.bill("8901234567890", "2*8900000000029")
    lakshmi = Customer.get(Customer.uuid == "c-local")
    sales.set_customer(ctx, sale_id, lakshmi.id, cashier)
    unpaid = sales.save_unpaid(ctx, sale_id, cashier)
    clock.advance(minutes=30)
    receipt, _ = payments.collect(ctx, cashier, [unpaid.number], [Tender("cash", 50000)])

    # part cash, the rest on the customer's account
    clock.advance(minutes=5)
    sale_id = store.bill("3*8900000000029")
    sales.set_customer(ctx, sale_id, lakshmi.id, cashier)
    due = sales.get(sale_id).total
    on_account = sales.checkout(
        ctx, sale_id, [Tender("cash", 5000), Tender("on_account", due - 5000)], cashier
    )

    # returns: a soap back for cash, the trimmer back as a credit note
    clock.advance(minutes=20)
    soap = _line_id(cash_sale.sale.id, "SOAP")
    cash_return = returns.create(
        ctx,
        manager,
        cash_sale.sale.number,
        [returns.ReturnItem(soap, 1000)],
        "cash",
        reason="Damaged pack",
    )
    clock.advance(minutes=3)
    trimmer = _line_id(interstate.sale.id, "TRIM")
    note_return = returns.create(
        ctx,
        manager,
        interstate.sale.number,
        [returns.ReturnItem(trimmer, 1000)],
        "credit_note",
        reason="Wrong model ordered; customer will buy the cordless one",
    )

    clock.advance(minutes=10)
    cash_in = register.move_cash(ctx, cashier, "in", 50000, "Change from the bank")
    clock.advance(minutes=10)
    cash_out = register.move_cash(ctx, cashier, "out", 30000, "Tea and snacks for staff")

    clock.advance(hours=2)
    x = documents.x_report(ctx)
    daily = documents.daily_report(ctx)
    clock.advance(minutes=15)
    expected = register.expected_cash(register.require_open(ctx))
    session = register.close_session(ctx, manager, expected - 1000)
    z = documents.last(ctx)
    assert z.kind == "z_report" and z.number == session.z_number

    # a blind count of two products, one of them by lot, posted by the manager
    clock.advance(minutes=5)
    clerk = store.people["stock"]
    count = counts.start(ctx, clerk, blind=True)
    counts.count_line(ctx, count.id, "SOAP", 47_000, clerk)
    counts.count_line(ctx, count.id, "MILK", 52_000, clerk)
    counted = counts.post(ctx, count.id, manager)

    # the next shift: a bill for home delivery, and the first of its deliveries (after the
    # reports above, which it would change)
    clock.advance(hours=12)
    store.open_register(100000)
    sale_id = store.bill("3*8901234567890")
    sales.add_item(ctx, sale_id, "8900000000043", cashier, serial="SN2")
    sales.set_customer(ctx, sale_id, lakshmi.id, cashier)
    sales.set_delivery(ctx, sale_id, "home", cashier)
    due = sales.get(sale_id).total
    to_deliver = sales.checkout(ctx, sale_id, [Tender("card", due, "AUTH 5100")], cashier)
    clock.advance(hours=3)
    bill = deliveries.view(ctx, str(to_deliver.sale.number))
    note = deliveries.deliver(
        ctx,
        cashier,
        bill.number,
        {ln.line_no: 1000 if ln.sku == "PHONE" else 2000 for ln in bill.lines},
        "courier",
        "BlueDart AWB 5067 1123 09",
    )

    # stock sent to the warehouse and received there one pack short (the till signed in at
    # each location in turn, as an employee of both)
    with ctx.write():
        Location.create(code="WH", name="Warehouse")
        SerialNumber.create(product=Product.get(Product.sku == "PHONE"), serial="SN3")
    clock.advance(minutes=5)
    draft = transfers.start(ctx, clerk, "WH")
    transfers.add_item(ctx, draft.id, "5*8900000000012", clerk)
    transfers.add_item(ctx, draft.id, "8900000000036", clerk)
    transfers.add_item(ctx, draft.id, "PHONE", clerk, serial="SN3")
    sent = transfers.send(ctx, draft.id, clerk)
    ctx.session_location = "WH"
    arrived = [transfers.Count(1, 4000, "One pack torn open in the van")]
    arrived += [transfers.Count(2, 1000), transfers.Count(3, 1000)]
    approval = store.approval(Perm.APPROVE_STOCK)
    got = transfers.receive(ctx, clerk, incoming_of(store, sent.number), arrived, approval=approval)
    ctx.session_location = None

    find = lambda number: documents.find(ctx, number)  # noqa: E731
    return {
        "bill_cash": find(cash_sale.sale.number),
        "bill_interstate": find(interstate.sale.number),
        "bill_unpaid": find(unpaid.number),
        "bill_on_account": find(on_account.sale.number),
        "receipt": find(receipt.number),
        "receipt_at_checkout": find(cash_sale.receipt_number or ""),
        "return_cash": find(cash_return.number),
        "return_credit_note": find(note_return.number),
        "cash_in": find(cash_in.number),
        "cash_out": find(cash_out.number),
        "transfer": find(sent.number),
        "transfer_in": find(got.received_number or ""),
        "x_report": x,
        "z_report": z,
        "daily_report": daily,
        "stock_count": find(counted.number or ""),
        "bill_delivery": find(to_deliver.sale.number),
        "delivery_note": find(note.number),
    }


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Document]]:
    store = build_store(Path(tmp_path_factory.mktemp("layouts")))
    yield _ring_up(store)
    store.ctx.db.close()


NAMES = [
    "bill_cash",
    "bill_interstate",
    "bill_unpaid",
    "bill_on_account",
    "receipt",
    "receipt_at_checkout",
    "return_cash",
    "return_credit_note",
    "cash_in",
    "cash_out",
    "transfer",
    "transfer_in",
    "x_report",
    "z_report",
    "daily_report",
    "stock_count",
    "bill_delivery",
    "delivery_note",
]
BILLS = [name for name in NAMES if name.startswith("bill")]


def _slip(doc: Document, width: int, **options: object) -> Slip:
    return layouts.slip_for(doc, STORE, Options(width=width, **options))  # type: ignore[arg-type]


def _rows(slip: Slip, label: str) -> list[str]:
    """The amounts of the lines whose text starts with ``label`` (after indentation)."""
    found = []
    for item in slip.items:
        if isinstance(item, Line) and item.text.strip().startswith(label):
            match = AMOUNT.search(item.text)
            assert match, item.text
            found.append(match.group())
    return found


def _paise(text: str) -> int:
    units, cents = text.replace(",", "").split(".")
    sign = -1 if units.startswith("-") else 1
    return sign * (abs(int(units)) * 100 + int(cents))


# --- snapshots ----------------------------------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", NAMES)
def test_slip_text_snapshot(
    docs: dict[str, Document], name: str, width: int, snapshot_text: SnapshotAssertion
) -> None:
    assert _slip(
        docs[name], width, footer="Goods once sold are exchanged\nwithin 7 days"
    ).text() == (snapshot_text)


# --- what a snapshot cannot show ------------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", NAMES)
def test_no_line_is_wider_than_the_paper(docs: dict[str, Document], name: str, width: int) -> None:
    slip = _slip(docs[name], width, copy=True, qr=True, footer="A footer line\nand another")
    assert slip.width == width and slip.kind == docs[name].kind
    for item in slip.items:
        if isinstance(item, Line):
            columns = width // 2 if item.big else width
            assert len(item.text) <= columns, (item, columns)
            assert "\n" not in item.text
    assert all(len(line) <= width for line in slip.text().splitlines())


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", BILLS)
def test_the_bill_total_is_the_sales_total(
    docs: dict[str, Document], name: str, width: int
) -> None:
    doc = docs[name]
    slip = _slip(doc, width, currency="₹")
    total = format_amount(doc.payload["total"])
    big = [i for i in slip.items if isinstance(i, Line) and i.big]
    assert len(big) == 1 and big[0].text.endswith(total) and "₹" in big[0].text
    assert any(isinstance(i, Line) and i.text.strip().startswith("TOTAL") for i in slip.items)
    # taxable value + tax + round-off, as printed, is the total as printed
    printed = sum(
        _paise(a)
        for label in ("Taxable value", "CGST", "SGST", "IGST", "Round off")
        for a in _rows(slip, label)
    )
    assert printed == doc.payload["total"]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", BILLS)
def test_tax_lines_add_up_to_the_bills_tax(
    docs: dict[str, Document], name: str, width: int
) -> None:
    doc = docs[name]
    slip = _slip(doc, width)
    lines = [i.text for i in slip.items if isinstance(i, Line)]
    taxes = ("IGST",) if doc.payload["interstate"] else ("CGST", "SGST")
    summed = sum(_paise(a) for key in taxes for a in _rows(slip, key))
    assert summed == doc.payload["tax_total"]
    # the GST summary by rate: its tax columns add up to the same figure
    head = next(n for n, text in enumerate(lines) if text.startswith("GST "))
    assert lines[head].split()[2:] == list(taxes)
    table = []
    for text in lines[head + 1 :]:
        if not text.endswith("%") and "%" not in text.split()[0]:
            break
        table.append(text.split())
    assert [row[0] for row in table] == [f"{t['rate_bp'] // 100}%" for t in doc.payload["taxes"]]
    assert sum(_paise(cell) for row in table for cell in row[2:]) == doc.payload["tax_total"]
    assert sum(_paise(row[1]) for row in table) == doc.payload["taxable_total"]


def test_the_interstate_bill_is_igst_with_place_of_supply(docs: dict[str, Document]) -> None:
    text = _slip(docs["bill_interstate"], 48).text()
    assert "IGST" in text and "CGST" not in text and "SGST" not in text
    assert "33AACCK2008G1Z8" in text and "33-Tamil Nadu" in text
    walk_in = _slip(docs["bill_cash"], 48).text()
    assert "CGST" in walk_in and "IGST" not in walk_in and "Customer" not in walk_in


@pytest.mark.parametrize("name", NAMES)
def test_the_barcode_carries_the_document_number(docs: dict[str, Document], name: str) -> None:
    doc = docs[name]
    slip = _slip(doc, 48)
    codes = [i for i in slip.items if isinstance(i, Barcode)]
    if doc.kind in ("x_report", "daily_report"):  # not documents anyone looks up by number
        assert codes == []
    else:
        assert codes == [Barcode(doc.number)]
        assert slip.number == doc.number


def test_the_qr_is_only_there_when_asked(docs: dict[str, Document]) -> None:
    doc = docs["bill_cash"]
    assert not any(isinstance(i, QR) for i in _slip(doc, 48).items)
    qr = [i for i in _slip(doc, 48, qr=True).items if isinstance(i, QR)]
    total = format_amount(doc.payload["total"], grouping=False)
    assert qr == [QR(f"{doc.number} {total}")]
    receipt = docs["receipt"]
    assert QR(receipt.number) in _slip(receipt, 32, qr=True).items


@pytest.mark.parametrize("name", NAMES)
def test_a_copy_says_so_under_the_title(docs: dict[str, Document], name: str) -> None:
    original = _slip(docs[name], 32)
    copy = _slip(docs[name], 32, copy=True)
    assert "COPY" not in original.text() and not original.copy
    assert copy.copy
    lines = copy.text().splitlines()
    mark = lines.index("*** COPY ***".center(32).rstrip())
    assert "REPORT" in lines[mark - 1] or lines[mark - 1].strip() in {
        "TAX INVOICE",
        "PAYMENT RECEIPT",
        "RETURN",
        "CREDIT NOTE",
        "CASH IN",
        "CASH OUT",
        "STOCK TRANSFER",
        "STOCK RECEIVED",
        "STOCK COUNT",
        "DELIVERY NOTE",
    }


def test_drawer_and_kind_pass_through(docs: dict[str, Document]) -> None:
    slip = _slip(docs["bill_cash"], 48, drawer=True)
    assert slip.drawer and slip.kind == "bill"
    assert Slip.from_json(slip.to_json()) == slip
    assert not _slip(docs["bill_cash"], 48).drawer


def test_titles_follow_the_document(docs: dict[str, Document]) -> None:
    def title(name: str) -> str:
        return _slip(docs[name], 48).text().splitlines()[6].strip()

    assert title("bill_cash") == "TAX INVOICE"
    assert title("receipt") == "PAYMENT RECEIPT"
    assert title("return_cash") == "RETURN"
    assert title("return_credit_note") == "CREDIT NOTE"
    assert title("cash_in") == "CASH IN"
    assert title("cash_out") == "CASH OUT"
    assert title("x_report") == "X REPORT"
    assert title("z_report") == "Z REPORT"
    assert title("daily_report") == "DAILY REPORT"


def test_documents_show_their_own_facts(docs: dict[str, Document]) -> None:
    unpaid = _slip(docs["bill_unpaid"], 32).text()
    assert "Balance due" in unpaid and "Lakshmi Rao" in unpaid
    receipt = docs["receipt"]
    text = _slip(receipt, 32).text()
    allocation = receipt.payload["allocations"][0]
    assert allocation["sale"] == docs["bill_unpaid"].number and allocation["sale"] in text
    assert format_amount(receipt.payload["received"]) in text
    note = docs["return_credit_note"]
    text = _slip(note, 32).text()
    assert note.payload["credit_note"] in text and docs["bill_interstate"].number in text
    assert "Wrong model" in text
    assert "Damaged pack" in _slip(docs["return_cash"], 32).text()
    assert "Tea and snacks" in _slip(docs["cash_out"], 32).text()
    z = docs["z_report"].payload
    text = _slip(docs["z_report"], 32).text()
    assert "Short" in text and z["difference"] == -1000
    assert format_amount(z["expected_cash"]) in text and format_amount(z["counted_cash"]) in text


def test_no_uuid_is_printed(docs: dict[str, Document]) -> None:
    uuid = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-")
    for name in NAMES:
        for width in WIDTHS:
            assert not uuid.search(_slip(docs[name], width, qr=True).to_json())


def test_local_time_is_the_stores(docs: dict[str, Document]) -> None:
    # the clock starts at 06:00 UTC, 11:30 in Kolkata; the first bill is five minutes later
    assert "20-11-2026 11:35" in _slip(docs["bill_cash"], 48).text()
    utc = dataclasses.replace(STORE, timezone="UTC")
    assert "20-11-2026 06:05" in layouts.bill(docs["bill_cash"], utc, Options()).text()


def test_long_names_wrap_and_big_figures_still_fit(docs: dict[str, Document]) -> None:
    """A name longer than the paper wraps; figures too wide for the GST table become a list."""
    doc = docs["bill_cash"]
    payload = dict(doc.payload)
    payload["lines"] = [
        {**ln, "name": "Extra Long Premium Aged Basmati Rice Family Pack " * 2}
        for ln in payload["lines"]
    ]
    payload["taxes"] = [
        {**t, "taxable": t["taxable"] * 10_000, "cgst": t["cgst"] * 10_000}
        for t in payload["taxes"]
    ]
    payload["total"] = 123_456_789_00
    big = dataclasses.replace(doc, payload=payload)
    long_store = dataclasses.replace(
        STORE, name="The Very Long Name Of A Supermarket Chain Pvt Ltd"
    )
    for width in WIDTHS:
        slip = layouts.slip_for(big, long_store, Options(width=width, currency="Rs."))
        for item in slip.items:
            if isinstance(item, Line):
                assert len(item.text) <= (width // 2 if item.big else width), item
        words = " ".join(slip.text().split())
        assert ("Extra Long Premium Aged Basmati Rice Family Pack " * 2).strip() in words
        assert format_amount(123_456_789_00) in words
        assert long_store.name in words
    narrow = layouts.slip_for(big, STORE, Options(width=32)).text()
    assert "GST 18%" in narrow  # the list form of the summary


def test_every_kind_has_a_layout_and_unknown_kinds_are_refused(docs: dict[str, Document]) -> None:
    assert set(layouts.LAYOUTS) == {
        "bill",
        "receipt",
        "return",
        "cash",
        "x_report",
        "z_report",
        "daily_report",
        "transfer",
        "transfer_in",
        "stock_count",
        "delivery",
    }
    assert {d.kind for d in docs.values()} == set(layouts.LAYOUTS)
    for doc in docs.values():
        assert _slip(doc, 32).width == 32
    with pytest.raises(ValueError, match="drawer"):
        layouts.slip_for(dataclasses.replace(docs["cash_in"], kind="drawer"), STORE, Options())
