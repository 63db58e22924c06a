"""Slip layouts: a journal document in, a ``Slip`` out, with nothing else consulted.

Everything printed comes from the document's payload (the journal event as it was written)
and the store's settings, never from the database: a reprint years later shows the bill
exactly as it was issued, and these functions can be tested without a till. No printer is
involved either; ``escpos_out`` turns the slip into bytes, ``Slip.text()`` into the preview.

Every line is laid out for the paper's width (32 columns on 58 mm paper, 48 on 80 mm) and
never goes past it: names wrap, labels that leave no room for their amount put the amount on
a line of its own, and a table that cannot fit becomes a list. The printer would otherwise
cut or wrap a line itself, which breaks the amount column a customer reads down. Amounts
are right-aligned at the edge of the paper, in the same column on every slip.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from o2pos.core import gst
from o2pos.core.bootstrap import PAYMENT_METHODS
from o2pos.core.money import format_amount, format_percent, format_qty
from o2pos.core.settings import StoreSettings

from .documents import Document
from .slip import QR, Barcode, Item, Line, Slip


@dataclass(frozen=True)
class Options:
    width: int = 48  # 32 for 58 mm paper, 48 for 80 mm
    footer: str = ""  # printed at the bottom, centred, may contain "\n"
    qr: bool = False  # a QR code of the document number (and total for bills)
    currency: str = "Rs."  # the symbol the printer can print ("₹" or "Rs.")
    copy: bool = False  # a reprint: "*** COPY ***" under the title
    drawer: bool = False  # passed through to Slip.drawer


COPY_MARK = "*** COPY ***"
THANKS = "Thank you"

# The names the till ships its payment methods with (core.bootstrap). The journal keeps the
# method's code only; a layout reads no database, so a method added later prints its code.
METHOD_NAMES = {code: name for code, name, _kind in PAYMENT_METHODS}

# GST state codes, for the place of supply an inter-state tax invoice must state.
STATES = {
    "01": "Jammu and Kashmir",
    "02": "Himachal Pradesh",
    "03": "Punjab",
    "04": "Chandigarh",
    "05": "Uttarakhand",
    "06": "Haryana",
    "07": "Delhi",
    "08": "Rajasthan",
    "09": "Uttar Pradesh",
    "10": "Bihar",
    "11": "Sikkim",
    "12": "Arunachal Pradesh",
    "13": "Nagaland",
    "14": "Manipur",
    "15": "Mizoram",
    "16": "Tripura",
    "17": "Meghalaya",
    "18": "Assam",
    "19": "West Bengal",
    "20": "Jharkhand",
    "21": "Odisha",
    "22": "Chhattisgarh",
    "23": "Madhya Pradesh",
    "24": "Gujarat",
    "26": "Dadra and Nagar Haveli and Daman and Diu",
    "27": "Maharashtra",
    "29": "Karnataka",
    "30": "Goa",
    "31": "Lakshadweep",
    "32": "Kerala",
    "33": "Tamil Nadu",
    "34": "Puducherry",
    "35": "Andaman and Nicobar Islands",
    "36": "Telangana",
    "37": "Andhra Pradesh",
    "38": "Ladakh",
    "97": "Other Territory",
}

# The document number's label in the header, by kind (an X report has no number).
NUMBER_LABELS = {
    "bill": "Bill No",
    "receipt": "Receipt No",
    "return": "Return No",
    "cash": "Voucher No",
    "z_report": "Z No",
    "transfer": "Transfer No",
    "transfer_in": "Receipt No",
    "delivery": "Delivery No",
    "stock_count": "Count No",
}

# how a bill marked for delivery leaves, as its slip says; and how a delivery went
DELIVERY_MARKS = {"home": "Home delivery", "pickup": "Pick-up later"}
DELIVERY_MODES = {"home": "Home delivery", "pickup": "Picked up", "courier": "Courier"}

# Who the header names as having made the document, and where in its payload when that
# is not the event's employee (a count is counted by whoever started it, posted by another)
EMPLOYEE_LABELS = {
    "stock_count": "Counted by",
    "transfer": "Sent by",
    "transfer_in": "Received by",
}
EMPLOYEE_KEYS = {"stock_count": "counted_by"}

money = format_amount


def minus(amount: int) -> str:
    """An amount taken off: a discount, a return, cash out."""
    return money(-amount)


def _clean(text: object) -> str:
    """One line of plain text: a newline or tab in a name must not break the layout."""
    return " ".join(str(text).split())


def method_name(code: str) -> str:
    return METHOD_NAMES.get(code, code)


def local_time(stamp: str, timezone: str) -> str:
    """The journal's UTC stamp as the store's wall-clock time, day first as in India."""
    moment = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(timezone)).strftime("%d-%m-%Y %H:%M")


class Paper:
    """Lines being laid out for one width; every method keeps each line within it."""

    TABLE_GAP = 3  # at most this many spaces more than one between figure columns

    def __init__(self, width: int) -> None:
        self.width = width
        self.items: list[Item] = []

    def add(self, item: Item) -> None:
        self.items.append(item)

    def wrap(self, text: str, indent: int = 0) -> list[str]:
        """``text`` in lines of the paper's width; a word longer than a line is cut up."""
        pad = " " * indent
        return textwrap.wrap(
            _clean(text),
            self.width,
            initial_indent=pad,
            subsequent_indent=pad,
            break_on_hyphens=False,
        ) or [""]

    def text(self, text: str, *, indent: int = 0, bold: bool = False) -> None:
        for part in self.wrap(text, indent):
            self.add(Line(part, bold=bold))

    def center(self, text: str, *, bold: bool = False) -> None:
        """Centred lines; explicit line breaks (an address, the footer) are kept."""
        for paragraph in str(text).splitlines():
            for part in self.wrap(paragraph):
                self.add(Line(part, align="center", bold=bold))

    def rule(self, char: str = "-") -> None:
        """A full-width rule; never two in a row, which would only waste paper."""
        last = self.items[-1] if self.items else None
        if isinstance(last, Line) and last.text and set(last.text) <= {"-", "="}:
            return
        self.add(Line(char * self.width))

    def row(self, label: str, value: str, *, indent: int = 0, bold: bool = False) -> None:
        """``label`` on the left, ``value`` against the right edge.

        A label too long to share its line wraps, and the value goes on its last line when
        it fits there, else on a line of its own: the amount column stays a column.
        """
        value = _clean(value)
        lines = self.wrap(label, indent)
        last = lines.pop()
        if len(last) + 1 + len(value) <= self.width:
            lines.append(last + value.rjust(self.width - len(last)))
        else:
            lines.append(last)
            if len(value) <= self.width:
                lines.append(value.rjust(self.width))
            else:  # a long text value (a customer's name): wrapped, right-aligned
                lines += [p.rjust(self.width) for p in self.wrap(value)]
        for line in lines:
            self.add(Line(line, bold=bold))

    def total(self, label: str, amount: int, currency: str) -> None:
        """The figure the slip is about, in double-size letters (half as many columns).

        On 58 mm paper "TOTAL Rs. 1,234.00" does not fit in 16 double columns; the label then
        goes on a bold line of its own and the amount, big, under it.
        """
        columns = self.width // 2
        figure = f"{currency} {money(amount)}"
        if len(label) + 1 + len(figure) <= columns:
            self.add(Line(label + figure.rjust(columns - len(label)), bold=True, big=True))
            return
        self.add(Line(label, bold=True))
        for candidate in (figure, f"{currency}{money(amount)}", money(amount)):
            if len(candidate) <= columns:
                self.add(Line(candidate, align="right", bold=True, big=True))
                return
        self.row("", figure, bold=True)  # too long even for that: normal size, still bold

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        """A first column of labels and right-aligned figure columns, spread to the width.

        When the figures are too wide for the paper, each row becomes a small block instead
        (its label, then one "header  figure" line per column), which always fits.
        """
        cells = [list(headers), *[list(r) for r in rows]]
        widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
        spare = self.width - widths[0] - sum(w + 1 for w in widths[1:])
        if spare >= 0:
            # figures keep close together at the right edge, under the amount column; the
            # label column takes what is left over
            share = min(spare // (len(headers) - 1), self.TABLE_GAP)
            columns = [w + 1 + share for w in widths[1:]]
            first = self.width - sum(columns)
            for r in cells:
                figures = "".join(c.rjust(w) for c, w in zip(r[1:], columns, strict=True))
                self.add(Line(r[0].ljust(first) + figures))
            return
        for row in rows:
            self.text(f"{headers[0]} {row[0]}")
            for header, cell in zip(headers[1:], row[1:], strict=True):
                self.row(header, cell, indent=2)


# --- the parts every slip shares ------------------------------------------------------


def _header(
    paper: Paper, doc: Document, store: StoreSettings, options: Options, title: str
) -> None:
    """Who issued it, what it is, when, where and by whom: the same block on every slip."""
    paper.center(store.name, bold=True)
    if store.address:
        paper.center(store.address)
    if store.phone:
        paper.center(f"Ph: {store.phone}")
    if store.gstin:
        paper.center(f"GSTIN: {store.gstin}")
    paper.rule()
    paper.center(title, bold=True)
    if options.copy:
        paper.center(COPY_MARK, bold=True)
    paper.rule()
    if doc.kind in NUMBER_LABELS:
        paper.row(NUMBER_LABELS[doc.kind], doc.number)
    paper.row("Date", local_time(doc.created_at, store.timezone))
    paper.row("Terminal", doc.terminal_id)
    employee = doc.payload.get(EMPLOYEE_KEYS.get(doc.kind, ""), doc.employee_id)
    if employee:
        paper.row(EMPLOYEE_LABELS.get(doc.kind, "Cashier"), employee)
    customer = doc.payload.get("customer")
    if customer:
        paper.row("Customer", customer.get("name") or "")
        if customer.get("gstin"):
            paper.row("Customer GSTIN", customer["gstin"])
        state = customer.get("state_code")
        if state:
            place = f"{state}-{STATES[state]}" if state in STATES else state
            paper.row("Place of supply", place)


def _footer(paper: Paper, options: Options) -> None:
    """The store's footer, or a plain thank-you, on what the customer takes home."""
    paper.rule()
    paper.center(options.footer if options.footer.strip() else THANKS)


def _codes(paper: Paper, doc: Document, options: Options, qr_data: str | None = None) -> None:
    """The number as a barcode the receipts screen scans; optionally a QR for a phone."""
    paper.add(Barcode(doc.number))
    if options.qr:
        paper.add(QR(qr_data or doc.number))


def _payments(paper: Paper, payments: list[dict[str, Any]], change: int) -> None:
    for p in payments:
        paper.row(method_name(p["method"]), money(p["tendered"]))
        if p.get("reference") and p.get("kind") != "points":  # a points tender's is the
            paper.text(f"Ref {p['reference']}", indent=2)  # customer's id: not for the slip
    if change:
        paper.row("Change", money(change))


def _tax_rows(lines: list[dict[str, Any]]) -> list[dict[str, int]]:
    """Per GST rate, the taxable value and each tax, summed from the lines."""
    rates: dict[int, dict[str, int]] = {}
    for ln in lines:
        row = rates.setdefault(
            ln["tax_rate_bp"],
            {"rate_bp": ln["tax_rate_bp"], "taxable": 0, "cgst": 0, "sgst": 0, "igst": 0},
        )
        for key in ("taxable", "cgst", "sgst", "igst"):
            row[key] += ln[key]
    return [rates[k] for k in sorted(rates)]


def _tax_totals(paper: Paper, taxes: list[dict[str, int]], interstate: bool) -> None:
    """Taxable value and the tax, summed over the rates: these add up to the total. None
    when nothing taxable is on the slip (gift vouchers alone)."""
    if not taxes:
        return
    paper.row("Taxable value", money(sum(t["taxable"] for t in taxes)))
    keys = ("igst",) if interstate else ("cgst", "sgst")
    for key in keys:
        paper.row(key.upper(), money(sum(t[key] for t in taxes)))


def _tax_table(paper: Paper, taxes: list[dict[str, int]], interstate: bool) -> None:
    """The GST summary by rate an invoice must show (IGST alone across states); no
    table, not an empty one, when nothing taxable is on the slip."""
    if not taxes:
        return
    keys = ("igst",) if interstate else ("cgst", "sgst")
    paper.table(
        ["GST", "Taxable", *(k.upper() for k in keys)],
        [
            [format_percent(t["rate_bp"]), money(t["taxable"]), *(money(t[k]) for k in keys)]
            for t in taxes
        ],
    )


def _hsn_table(paper: Paper, lines: list[dict[str, Any]], interstate: bool) -> None:
    """The summary per HSN code and rate a B2B tax invoice carries (``core.gst``)."""
    keys = ("igst",) if interstate else ("cgst", "sgst")
    paper.table(
        ["HSN", "Taxable", *(k.upper() for k in keys)],
        [
            [
                f"{r['hsn'] or '-'} {format_percent(r['rate_bp'])}",
                money(r["taxable"]),
                *(money(r[k]) for k in keys),
            ]
            for r in gst.hsn_summary(lines)
        ],
    )


def _is_interstate(taxes: list[dict[str, int]]) -> bool:
    return any(t["igst"] for t in taxes) and not any(t["cgst"] or t["sgst"] for t in taxes)


def _slip(doc: Document, paper: Paper, options: Options) -> Slip:
    return Slip(
        kind=doc.kind,
        number=doc.number,
        width=paper.width,
        items=tuple(paper.items),
        copy=options.copy,
        drawer=options.drawer,
    )


# --- the slips --------------------------------------------------------------------------


def bill(doc: Document, store: StoreSettings, options: Options) -> Slip:
    """The tax invoice, from its ``sale.completed`` payload.

    Each line shows what was rung up (quantity × price = gross, then its own discount); the
    bill's discounts follow the subtotal; taxable value, tax and round-off then add up to
    the total exactly as the till computed it; the GST summary by rate closes the invoice.
    """
    p = doc.payload
    sold = {v["line_no"]: v for v in p.get("vouchers") or []}
    b2b = bool((p.get("customer") or {}).get("gstin"))
    bill_offer = p.get("bill_offer") or None
    bill_offer_code = bill_offer["code"] if bill_offer else None
    paper = Paper(options.width)
    _header(paper, doc, store, options, "TAX INVOICE")
    if p.get("delivery"):  # the goods stay in the store until delivered
        paper.rule()
        paper.center("TO BE DELIVERED", bold=True)
        paper.center(DELIVERY_MARKS.get(p["delivery"], p["delivery"]))
    paper.rule()
    for ln in p["lines"]:
        paper.text(ln["name"])
        price = ln["unit_price"]
        paper.row(
            f"{format_qty(ln['qty_milli'])} {ln['unit']} x {money(price)}",
            money(ln["gross"]),
            indent=2,
        )
        if ln["line_discount"]:
            label = "Discount"
            if ln.get("discount_kind") == "percent":
                label += f" {format_percent(ln['discount_value'])}"
            paper.row(label, minus(ln["line_discount"]), indent=2)
        for given in ln.get("offers") or []:  # the offer that took the line, by name
            if given["code"] != bill_offer_code:
                paper.row(given["name"], minus(given["amount"]), indent=2)
        if ln.get("serial"):
            paper.text(f"Serial {ln['serial']}", indent=2)
        if ln.get("lot_no"):
            paper.text(f"Lot {ln['lot_no']}", indent=2)
        if b2b and ln.get("hsn"):
            paper.text(f"HSN {ln['hsn']}", indent=2)
        if ln["line_no"] in sold:
            paper.text(f"Voucher {sold[ln['line_no']]['code']}", indent=2)
    paper.rule()
    count = len(p["lines"])
    paper.row(f"Subtotal ({count} item{'s' if count != 1 else ''})", money(p["subtotal"]))
    line_discounts = sum(ln["line_discount"] for ln in p["lines"])
    if line_discounts:
        paper.row("Item discounts", minus(line_discounts))
    if bill_offer:
        paper.row(bill_offer["name"], minus(bill_offer["amount"]))
    coupon = p.get("coupon") or None
    coupon_amount = coupon["amount"] if coupon else 0
    order = p.get("order_discount")
    order_amount = sum(ln["order_discount"] for ln in p["lines"]) - coupon_amount
    if order_amount:
        label = "Bill discount"
        if order and order.get("kind") == "percent":
            label += f" {format_percent(order['value'])}"
        paper.row(label, minus(order_amount))
    if coupon and coupon_amount:
        paper.row(f"Coupon {coupon['code']}", minus(coupon_amount))
    paper.rule()
    taxes = p["taxes"]
    interstate = bool(p.get("interstate"))
    _tax_totals(paper, taxes, interstate)
    if sold:
        paper.row("Gift vouchers (no GST)", money(sum(v["amount"] for v in sold.values())))
    if p["round_off"]:
        paper.row("Round off", money(p["round_off"]))
    paper.rule("=")
    paper.total("TOTAL", p["total"], options.currency)
    paper.rule("=")
    if p.get("offer_discount"):  # offers, and every other discount with them
        paper.center(f"You saved {options.currency} {money(p['discount_total'])}", bold=True)
    _payments(paper, p.get("payments") or [], p.get("change") or 0)
    if p.get("balance"):
        paper.row("Due on account" if p.get("on_account") else "Balance due", money(p["balance"]))
    _points(paper, p.get("points"))
    paper.rule()
    _tax_table(paper, taxes, interstate)
    if b2b:
        _hsn_table(paper, p["lines"], interstate)
    for voucher in sold.values():
        _gift_voucher(paper, voucher, store, options)
    _footer(paper, options)
    _codes(paper, doc, options, f"{doc.number} {format_amount(p['total'], grouping=False)}")
    return _slip(doc, paper, options)


def _gift_voucher(
    paper: Paper, voucher: dict[str, Any], store: StoreSettings, options: Options
) -> None:
    """A gift voucher the bill sold, as the customer keeps it: its number and value in
    double size, its last valid day, the sentence a cashier points at, and its number as
    a barcode the payment dialog can scan."""
    code = voucher["code"]
    paper.rule("=")
    paper.add(Line("GIFT VOUCHER", align="center", bold=True, big=True))
    # the number is what the customer reads out: double size whenever it fits
    big = len(code) <= paper.width // 2
    paper.add(Line(code, align="center", bold=True, big=big))
    paper.total("VALUE", voucher["amount"], options.currency)
    expires = voucher.get("expires")
    paper.row("Valid till", _day(expires) if expires else "no expiry date", bold=True)
    paper.text(
        f"Pay with voucher {code} at any counter of {_clean(store.name)}, "
        "in one go or in parts, until it is used up.",
    )
    paper.add(Barcode(code))


def _day(iso_date: str) -> str:
    """A ``YYYY-MM-DD`` date, day first as the rest of the slip prints dates."""
    return date.fromisoformat(iso_date).strftime("%d-%m-%Y")


def receipt(doc: Document, store: StoreSettings, options: Options) -> Slip:
    """A payment against bills saved unpaid or on account: what each bill got, what is left."""
    p = doc.payload
    paper = Paper(options.width)
    _header(paper, doc, store, options, "PAYMENT RECEIPT")
    paper.rule()
    for allocation in p.get("allocations") or []:
        paper.row(f"Bill {allocation['sale']}", money(allocation["amount"]))
        paper.row("Balance left", money(allocation["balance"]), indent=2)
    paper.rule()
    if "due" in p:
        paper.row("Amount due", money(p["due"]))
    _payments(paper, p.get("payments") or [], p.get("change") or 0)
    paper.rule("=")
    paper.total("RECEIVED", p["received"], options.currency)
    paper.rule("=")
    _footer(paper, options)
    _codes(paper, doc, options)
    return _slip(doc, paper, options)


def _points(paper: Paper, points: dict[str, Any] | None) -> None:
    """A named customer's loyalty points: what the bill earned and used, the new balance."""
    if not points:
        return
    paper.rule()
    if points.get("redeemed"):
        paper.row("Points redeemed", str(points["redeemed"]))
    if "earned" in points:
        paper.row("Points earned", str(points["earned"]))
    if points.get("reversed"):
        paper.row("Points taken back", str(points["reversed"]))
    paper.row("Points balance", str(points["balance"]))


def return_slip(doc: Document, store: StoreSettings, options: Options) -> Slip:
    """Goods back against a bill: what came back, the GST it reverses, how it was refunded."""
    p = doc.payload
    credit_note = p.get("refund_kind") == "credit_note"
    paper = Paper(options.width)
    _header(paper, doc, store, options, "CREDIT NOTE" if credit_note else "RETURN")
    paper.row("Against bill", p["sale"])
    paper.rule()
    for ln in p["lines"]:
        paper.text(ln["name"])
        paper.row(f"Qty {format_qty(ln['qty_milli'])} returned", money(ln["total"]), indent=2)
        if ln.get("serial"):
            paper.text(f"Serial {ln['serial']}", indent=2)
        if ln.get("lot_no"):
            paper.text(f"Lot {ln['lot_no']}", indent=2)
    paper.rule()
    taxes = _tax_rows(p["lines"])
    interstate = _is_interstate(taxes)
    _tax_totals(paper, taxes, interstate)
    if p["round_off"]:
        paper.row("Round off", money(p["round_off"]))
    paper.rule("=")
    paper.total("REFUND", p["total"], options.currency)
    paper.rule("=")
    paper.row("Refunded by", method_name(p["refund_method"]))
    if p.get("credit_note"):
        paper.row("Credit note", p["credit_note"])
    if p.get("reason"):
        paper.text(f"Reason: {p['reason']}")
    _points(paper, p.get("points"))
    paper.rule()
    paper.text("GST reversed")
    _tax_table(paper, taxes, interstate)
    _footer(paper, options)
    _codes(paper, doc, options)
    return _slip(doc, paper, options)


def cash(doc: Document, store: StoreSettings, options: Options) -> Slip:
    """A cash in or out voucher: the amount, why, and a place to sign for it."""
    p = doc.payload
    paper = Paper(options.width)
    _header(paper, doc, store, options, "CASH IN" if p["kind"] == "in" else "CASH OUT")
    paper.rule()
    paper.total("AMOUNT", p["amount"], options.currency)
    paper.text(f"Reason: {p.get('reason') or ''}")
    paper.rule()
    paper.add(Line(""))
    paper.add(Line("Signature " + "_" * (paper.width - len("Signature "))))
    _codes(paper, doc, options)
    return _slip(doc, paper, options)


def _signatures(paper: Paper, *who: str) -> None:
    for label in who:
        paper.add(Line(""))
        paper.add(Line(f"{label} " + "_" * max(paper.width - len(label) - 1, 4)))


def _item(paper: Paper, line: dict[str, Any]) -> None:
    """A transferred item: its name, SKU and lot or serial (quantities follow)."""
    paper.text(line.get("name") or line["sku"])
    details = [line["sku"]]
    if line.get("lot_no"):
        expiry = f" exp {_day(line['expiry'])}" if line.get("expiry") else ""
        details.append(f"lot {line['lot_no']}{expiry}")
    if line.get("serial"):
        details.append(f"serial {line['serial']}")
    paper.text(" · ".join(details), indent=2)


def transfer_note(doc: Document, store: StoreSettings, options: Options) -> Slip:
    """Goods sent to another location (``transfer.sent``): what goes, for whoever carries
    it and whoever receives it to sign."""
    p = doc.payload
    paper = Paper(options.width)
    _header(paper, doc, store, options, "STOCK TRANSFER")
    paper.row("From", p["from_location"])
    paper.row("To", p["to_location"])
    paper.rule()
    for line in p["lines"]:
        _item(paper, line)
        paper.row("Qty", f"{format_qty(line['qty_milli'])} {line.get('unit') or ''}", indent=2)
    paper.rule()
    paper.row("Lines", str(len(p["lines"])))
    paper.row("Quantity", format_qty(sum(ln["qty_milli"] for ln in p["lines"])), bold=True)
    paper.rule()
    _signatures(paper, "Sender", "Receiver")
    _codes(paper, doc, options)
    return _slip(doc, paper, options)


def receipt_note(doc: Document, store: StoreSettings, options: Options) -> Slip:
    """A transfer received here (``transfer.received``): sent, arrived, and each difference
    with its reason and who approved it."""
    p = doc.payload
    paper = Paper(options.width)
    _header(paper, doc, store, options, "STOCK RECEIVED")
    paper.row("Transfer", p["transfer"])
    paper.row("From", f"{p['from_location']} (till {p['sent_by']})")
    paper.row("To", p["to_location"])
    paper.rule()
    short = over = 0
    for line in p["lines"]:
        sent, got = line["qty_milli"], line["received_milli"]
        _item(paper, line)
        paper.row("Sent", format_qty(sent), indent=2)
        paper.row("Received", format_qty(got), indent=2, bold=sent != got)
        if got != sent:
            gap = got - sent
            paper.row("Short" if gap < 0 else "Over", format_qty(abs(gap)), indent=2, bold=True)
            short, over = short + max(-gap, 0), over + max(gap, 0)
            if line.get("reason"):
                paper.text(f"Reason: {line['reason']}", indent=2)
    paper.rule()
    paper.row("Sent", format_qty(sum(ln["qty_milli"] for ln in p["lines"])))
    paper.row("Received", format_qty(sum(ln["received_milli"] for ln in p["lines"])), bold=True)
    if short:
        paper.row("Short", format_qty(short), bold=True)
    if over:
        paper.row("Over", format_qty(over), bold=True)
    if doc.approved_by:
        paper.row("Approved by", doc.approved_by)
    paper.rule()
    _signatures(paper, "Receiver")
    _codes(paper, doc, options)
    return _slip(doc, paper, options)


def delivery_note(doc: Document, store: StoreSettings, options: Options) -> Slip:
    """Goods of a bill leaving the store: what this shipment carries of each line, what
    is still to come, how it went, and a place for the customer to sign for it."""
    p = doc.payload
    paper = Paper(options.width)
    _header(paper, doc, store, options, "DELIVERY NOTE")
    paper.row("Against bill", p["sale"])
    paper.row("Mode", DELIVERY_MODES.get(p["mode"], p["mode"]))
    if p.get("courier_ref"):
        paper.row("Reference", p["courier_ref"])
    paper.rule()
    for ln in p["lines"]:
        paper.text(ln.get("name") or ln["sku"])
        unit = ln.get("unit") or ""
        paper.row(f"Delivered now ({unit})", format_qty(ln["qty_milli"]), indent=2)
        if "ordered_milli" in ln:
            paper.row("Ordered", format_qty(ln["ordered_milli"]), indent=2)
            paper.row("Still to deliver", format_qty(ln["pending_milli"]), indent=2)
        if ln.get("serial"):
            paper.text(f"Serial {ln['serial']}", indent=2)
        if ln.get("lot_no"):
            paper.text(f"Lot {ln['lot_no']}", indent=2)
    paper.rule()
    left = p.get("pending_milli")
    if left is not None:
        paper.center("Delivered in full" if left == 0 else "More to follow", bold=True)
    paper.add(Line(""))
    paper.add(Line("Received by " + "_" * (paper.width - len("Received by "))))
    _codes(paper, doc, options)
    return _slip(doc, paper, options)


def _scope(scope: str) -> str:
    if scope.startswith("category:"):
        return f"category {scope.removeprefix('category:')}"
    return {"full": "full", "scanned": "scanned items"}.get(scope, scope)


def stock_count(doc: Document, store: StoreSettings, options: Options) -> Slip:
    """A posted stock count, from its ``stock.counted`` payload: per product the on hand
    when it was counted, the count, the variance and its value; what a full or category
    count zeroed is marked; the totals, who approved, and a place to sign."""
    p = doc.payload
    paper = Paper(options.width)
    _header(paper, doc, store, options, "STOCK COUNT")
    if p.get("counted_by") and p["counted_by"] != doc.employee_id:
        paper.row("Posted by", doc.employee_id or "")
    paper.row("Location", p["location"])
    paper.row("Scope", _scope(p["scope"]) + (", blind" if p.get("blind") else ""))
    paper.rule()
    for ln in p["lines"]:
        paper.text(f"{ln.get('name') or ln['sku']} ({ln['sku']})")
        variance = ln["variance_milli"]
        how = "not counted:" if ln.get("uncounted") else "counted"  # zeroed by a full count
        paper.row(
            f"System {format_qty(ln['system_milli'])}, {how}",
            format_qty(ln["counted_milli"]),
            indent=2,
        )
        diff = format_qty(abs(variance))
        paper.row(
            "Variance " + ("+" if variance > 0 else "-" if variance < 0 else "") + diff,
            money(ln["value"]),
            indent=2,
        )
        for lot in ln.get("lots") or []:
            paper.text(f"Lot {lot['lot_no']}: {format_qty(lot['qty_milli'])}", indent=4)
    paper.rule()
    paper.row("Products counted", str(len(p["lines"])))
    paper.row("Variance value", money(p["value"]), bold=True)
    paper.row("Gross (either sign)", money(p["gross_value"]))
    if doc.approved_by:
        paper.row("Approved by", doc.approved_by)
    paper.rule()
    paper.add(Line(""))
    paper.add(Line("Signature " + "_" * (paper.width - len("Signature "))))
    _codes(paper, doc, options)
    return _slip(doc, paper, options)


REPORT_TITLES = {"x_report": "X REPORT", "z_report": "Z REPORT", "daily_report": "DAILY REPORT"}


def report(doc: Document, store: StoreSettings, options: Options) -> Slip:
    """An X (shift so far), Z (register closed) or daily report.

    The one rendering of a report: the printer prints it, F4 and F5 show it, and
    ``o2pos report x|z|daily`` prints its text, so all of them say the same in the same
    words. A Z report is printed from its ``register.closed`` event, whose ``report`` holds
    the session's figures as they were at closing; the X and daily reports' payloads are
    the reports themselves (``core.reports``).
    """
    z = doc.kind == "z_report"
    r = doc.payload["report"] if z else doc.payload
    paper = Paper(options.width)
    _header(paper, doc, store, options, REPORT_TITLES[doc.kind])
    tz = store.timezone
    if doc.kind == "daily_report":
        paper.row("For the day", date.fromisoformat(r["date"]).strftime("%d-%m-%Y"))
    else:
        paper.row("Session", str(r["session_id"]))
        paper.row("Opened", f"{local_time(r['opened_at'], tz)} {r['opened_by']}")
        if z and r.get("closed_at"):
            paper.row("Closed", f"{local_time(r['closed_at'], tz)} {r['closed_by']}")
            # a Z report from before the report data had it: the event's approved_by
            approver = r.get("approved_by", doc.approved_by)
            if approver:
                paper.row("Approved by", approver)
    paper.rule()
    paper.row(f"Sales ({r['sales_count']})", money(r["sales_total"]))
    paper.row(f"Returns ({r['returns_count']})", minus(r["returns_total"]))
    paper.row("Net sales", money(r["net_sales"]))
    paper.row("Discounts given", money(r["discount_total"]))
    sold = r.get("gift_vouchers_sold")  # a report stored before it was counted has none
    if sold and sold["count"]:
        paper.row(f"Gift vouchers sold ({sold['count']})", money(sold["total"]))
    if r["unpaid_total"]:
        paper.row("Unpaid on these bills", money(r["unpaid_total"]))
    paper.rule()
    paper.text("Payments", bold=True)
    for t in r["payments"]:
        paper.row(f"{t['name']} ({t['count']})", money(t["amount"]), indent=2)
    paper.row("Received", money(r["received_total"]), indent=2)
    if r["on_account_total"]:
        paper.row("On account (credit)", money(r["on_account_total"]))
    if r["refunds"]:
        paper.text("Refunds", bold=True)
        for t in r["refunds"]:
            paper.row(f"{t['name']} ({t['count']})", minus(t["amount"]), indent=2)
    paper.rule()
    paper.text("Tax (net of returns)", bold=True)
    paper.table(
        ["GST", "Taxable", "Tax"],
        [[format_percent(t["rate_bp"]), money(t["taxable"]), money(t["tax"])] for t in r["taxes"]],
    )
    if "cash" in r:
        c = r["cash"]
        paper.rule()
        paper.text("Cash", bold=True)
        paper.row("Opening float", money(c["opening_float"]), indent=2)
        paper.row("Cash sales", money(c["cash_sales"]), indent=2)
        if "cash_dues" in c:  # (a Z report from before: dues are in its cash sales)
            paper.row("Dues collected", money(c["cash_dues"]), indent=2)
        paper.row("Cash refunds", minus(c["cash_refunds"]), indent=2)
        paper.row("Cash in", money(c["cash_in"]), indent=2)
        paper.row("Cash out", minus(c["cash_out"]), indent=2)
        paper.row("Expected in drawer", money(c["expected_cash"]), bold=True)
        if z:
            paper.row("Counted", money(r["counted_cash"]), bold=True)
            diff = r["difference"]
            label = "Over" if diff > 0 else "Short" if diff < 0 else "Difference"
            paper.row(label, money(diff), bold=True)
    if z:
        paper.rule()
        _codes(paper, doc, options)
    return _slip(doc, paper, options)


LAYOUTS: dict[str, Callable[[Document, StoreSettings, Options], Slip]] = {
    "bill": bill,
    "receipt": receipt,
    "return": return_slip,
    "cash": cash,
    "delivery": delivery_note,
    "x_report": report,
    "z_report": report,
    "daily_report": report,
    "transfer": transfer_note,
    "transfer_in": receipt_note,
    "stock_count": stock_count,
}


def slip_for(doc: Document, store: StoreSettings, options: Options) -> Slip:
    """The slip of any printable document, by its kind."""
    try:
        layout = LAYOUTS[doc.kind]
    except KeyError:
        raise ValueError(f"No slip layout for a {doc.kind!r} document") from None
    return layout(doc, store, options)
