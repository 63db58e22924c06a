"""The A4 tax invoice: a PDF of a bill for a business customer, beside the thermal slip.

Written from the bill's ``sale.completed`` payload, like the slip, so a copy made a year
later reads as the bill was sold. It carries what a GST tax invoice must: the seller's and
the buyer's GSTIN, the place of supply, each line with its HSN code, the tax per rate and
per HSN code, the total in figures and in words.

The PDF is written by hand (a few hundred bytes of structure around one text stream per
page) with the PDF standard fonts, so the till needs no PDF library: Helvetica for words,
Courier for the columns of figures (fixed width: a column lines up by counting
characters). The standard fonts have no rupee sign; amounts say "Rs.".
"""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from o2pos.core import gst
from o2pos.core.money import format_amount, format_percent, format_qty
from o2pos.core.settings import StoreSettings
from o2pos.printing.documents import Document
from o2pos.printing.layouts import STATES, local_time

PAGE_W, PAGE_H = 595, 842  # A4 in points
MARGIN = 40
COURIER_W = 0.6  # every Courier glyph is 0.6 em wide


def _escape(text: str) -> bytes:
    """A PDF string literal's body in WinAnsi (cp1252): what the standard fonts can show."""
    raw = text.encode("cp1252", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


@dataclass
class _Pages:
    """Text placed on pages top-down; a new page when the current one is full."""

    pages: list[list[bytes]] = field(default_factory=lambda: [[]])
    y: float = PAGE_H - MARGIN

    def text(self, x: float, text: str, *, size: float = 9, font: str = "F1") -> None:
        self.pages[-1].append(
            b"BT /%s %.1f Tf %.1f %.1f Td (%s) Tj ET"
            % (font.encode(), size, x, self.y, _escape(text))
        )

    def right(self, x_right: float, text: str, *, size: float = 8) -> None:
        """Courier text ending at ``x_right``."""
        self.text(x_right - len(text) * COURIER_W * size, text, size=size, font="F3")

    def rule(self) -> None:
        self.pages[-1].append(
            b"0.5 w %.1f %.1f m %.1f %.1f l S" % (MARGIN, self.y + 3, PAGE_W - MARGIN, self.y + 3)
        )

    def down(self, points: float) -> None:
        self.y -= points
        if self.y < MARGIN + 20:
            self.pages.append([])
            self.y = PAGE_H - MARGIN

    def pdf(self, title: str) -> bytes:
        objects: list[bytes] = []
        fonts = b"/F1 3 0 R /F2 4 0 R /F3 5 0 R"
        page_ids = [6 + 2 * i for i in range(len(self.pages))]
        objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
        kids = b" ".join(b"%d 0 R" % i for i in page_ids)
        objects.append(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(page_ids)))
        for name in (b"Helvetica", b"Helvetica-Bold", b"Courier"):
            objects.append(
                b"<< /Type /Font /Subtype /Type1 /BaseFont /%s /Encoding /WinAnsiEncoding >>" % name
            )
        for page_id, ops in zip(page_ids, self.pages, strict=True):
            objects.append(
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] "
                b"/Resources << /Font << %s >> >> /Contents %d 0 R >>"
                % (PAGE_W, PAGE_H, fonts, page_id + 1)
            )
            stream = b"\n".join(ops)
            objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        objects.append(b"<< /Title (%s) /Producer (o2pos) >>" % _escape(title))
        out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(objects, start=1):
            offsets.append(len(out))
            out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
        xref = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
        out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
        out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
            len(objects) + 1,
            len(objects),
            xref,
        )
        return bytes(out)


# --- amount in words (Indian numbering: thousand, lakh, crore) ----------------------------

_ONES = [
    "Zero",
    "One",
    "Two",
    "Three",
    "Four",
    "Five",
    "Six",
    "Seven",
    "Eight",
    "Nine",
    "Ten",
    "Eleven",
    "Twelve",
    "Thirteen",
    "Fourteen",
    "Fifteen",
    "Sixteen",
    "Seventeen",
    "Eighteen",
    "Nineteen",
]
_TENS = ["_", "_", "Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety"]


def _below_thousand(n: int) -> list[str]:
    words = []
    if n >= 100:
        words += [_ONES[n // 100], "Hundred"]
        n %= 100
    if n >= 20:
        words.append(_TENS[n // 10])
        n %= 10
    if n:
        words.append(_ONES[n])
    return words


def _number_words(n: int) -> list[str]:
    if n == 0:
        return ["Zero"]
    words: list[str] = []
    for size, name in ((10_000_000, "Crore"), (100_000, "Lakh"), (1_000, "Thousand")):
        if n >= size:
            words += [*_number_words(n // size), name]
            n %= size
    return words + (_below_thousand(n) if n else [])


def amount_in_words(minor: int) -> str:
    """``130050`` -> "Rupees One Thousand Three Hundred and Paise Fifty Only"."""
    rupees, paise = divmod(abs(minor), 100)
    text = "Rupees " + " ".join(_number_words(rupees))
    if paise:
        text += " and Paise " + " ".join(_number_words(paise))
    return ("Minus " if minor < 0 else "") + text + " Only"


# --- the invoice ----------------------------------------------------------------------------

# the line table's columns: (heading, right edge in points; None: left-aligned at x)
_COLUMNS = (
    ("#", MARGIN + 14),
    ("Description", None),
    ("HSN", None),
    ("Qty", 300),
    ("Rate", 350),
    ("Taxable", 410),
    ("GST", 440),
    ("Tax", 495),
    ("Amount", PAGE_W - MARGIN),
)
_DESC_X, _HSN_X = MARGIN + 20, 190


def _place(state: str | None) -> str:
    if not state:
        return ""
    return f"{state}-{STATES[state]}" if state in STATES else state


def invoice_pdf(doc: Document, store: StoreSettings) -> bytes:
    """The A4 tax invoice of a bill (``doc.kind == "bill"``) as PDF bytes."""
    p: dict[str, Any] = doc.payload
    pages = _Pages()
    pages.text(MARGIN, "TAX INVOICE", size=16, font="F2")
    pages.down(22)
    pages.text(MARGIN, store.name, size=12, font="F2")
    pages.down(14)
    for line in (
        store.address,
        f"Phone {store.phone}" if store.phone else "",
        f"GSTIN {store.gstin}" if store.gstin else "",
        f"State {_place(store.state_code)}",
    ):
        if line:
            pages.text(MARGIN, line)
            pages.down(12)
    pages.down(6)
    customer = p.get("customer") or {}
    interstate = bool(p.get("interstate"))
    top = pages.y
    for label, value in (
        ("Invoice No", doc.number),
        ("Date", local_time(doc.created_at, store.timezone)),
        ("Terminal", doc.terminal_id),
        ("Place of supply", _place(customer.get("state_code") or store.state_code)),
        ("Supply", "Inter-state (IGST)" if interstate else "Intra-state (CGST + SGST)"),
    ):
        pages.text(MARGIN, f"{label}: {value}")
        pages.down(12)
    bottom = pages.y
    pages.y = top
    pages.text(320, "Bill to", font="F2")
    pages.down(12)
    for line in (
        customer.get("name") or "Walk-in customer",
        f"GSTIN {customer['gstin']}" if customer.get("gstin") else "Unregistered",
        f"State {_place(customer.get('state_code'))}" if customer.get("state_code") else "",
    ):
        if line:
            pages.text(320, line)
            pages.down(12)
    pages.y = min(bottom, pages.y)
    pages.down(8)
    _line_table(pages, p)
    _hsn_table(pages, p["lines"], interstate)
    _totals(pages, p, interstate)
    pages.down(6)
    pages.text(MARGIN, f"Amount in words: {amount_in_words(int(p['total']))}", font="F2")
    pages.down(20)
    pages.text(MARGIN, "This is a computer-generated tax invoice.", size=8)
    pages.text(PAGE_W - MARGIN - 150, f"For {store.name}", size=9, font="F2")
    return pages.pdf(f"Tax invoice {doc.number}")


def _line_table(pages: _Pages, p: dict[str, Any]) -> None:
    pages.rule()
    pages.down(2)
    for heading, right in _COLUMNS:
        if right is None:
            x = _DESC_X if heading == "Description" else _HSN_X
            pages.text(x, heading, size=8, font="F2")
        else:
            pages.right(right, heading)
    pages.down(4)
    pages.rule()
    pages.down(10)
    for ln in p["lines"]:
        tax = int(ln["cgst"]) + int(ln["sgst"]) + int(ln["igst"])
        cells = (
            str(ln["line_no"]),
            None,
            None,
            f"{format_qty(ln['qty_milli'])} {ln['unit']}",
            format_amount(ln["unit_price"]),
            format_amount(ln["taxable"]),
            format_percent(ln["tax_rate_bp"]),
            format_amount(tax),
            format_amount(ln["total"]),
        )
        for (heading, right), cell in zip(_COLUMNS, cells, strict=True):
            if heading == "Description":
                pages.text(_DESC_X, str(ln["name"])[:26], size=8)
            elif heading == "HSN":
                pages.text(_HSN_X, str(ln.get("hsn") or "-"), size=8, font="F3")
            elif right is not None and cell is not None:
                pages.right(right, cell)
        pages.down(11)
    pages.rule()
    pages.down(14)


def _hsn_table(pages: _Pages, lines: Iterable[dict[str, Any]], interstate: bool) -> None:
    keys = ("igst",) if interstate else ("cgst", "sgst")
    pages.text(MARGIN, "Tax by HSN code", font="F2")
    pages.down(12)
    edges = (MARGIN, 170, 260, 350, 440)
    heads = ("HSN", "GST rate", "Taxable", *(k.upper() for k in keys))
    pages.text(edges[0], heads[0], size=8, font="F2")
    for edge, head in zip(edges[2:], heads[1:], strict=False):
        pages.right(edge, head)
    pages.down(11)
    for row in gst.hsn_summary(lines):
        pages.text(edges[0], row["hsn"] or "-", size=8, font="F3")
        cells = (
            format_percent(row["rate_bp"]),
            format_amount(row["taxable"]),
            *(format_amount(row[k]) for k in keys),
        )
        for edge, cell in zip(edges[2:], cells, strict=False):
            pages.right(edge, cell)
        pages.down(11)
    pages.down(8)


def _totals(pages: _Pages, p: dict[str, Any], interstate: bool) -> None:
    right = PAGE_W - MARGIN
    keys = ("igst",) if interstate else ("cgst", "sgst")
    rows = [("Taxable value", int(p["taxable_total"]))]
    rows += [(k.upper(), sum(int(t[k]) for t in p["taxes"])) for k in keys]
    if p.get("round_off"):
        rows.append(("Round off", int(p["round_off"])))
    for label, amount in rows:
        pages.text(330, label)
        pages.right(right, format_amount(amount), size=9)
        pages.down(12)
    pages.text(330, "TOTAL (Rs.)", size=11, font="F2")
    pages.right(right, format_amount(int(p["total"])), size=11)
    pages.down(14)
    for pay in p.get("payments") or []:
        pages.text(330, f"Paid {pay['method']}")
        pages.right(right, format_amount(int(pay["amount"])), size=9)
        pages.down(12)
    if p.get("balance"):
        pages.text(330, "Due on account" if p.get("on_account") else "Balance due", font="F2")
        pages.right(right, format_amount(int(p["balance"])), size=9)
        pages.down(12)


def save(doc: Document, store: StoreSettings, directory: Path, out: Path | None = None) -> Path:
    """Write the invoice to ``out``, or ``directory/INVOICE-<number>.pdf``; returns the path."""
    path = out or directory / f"INVOICE-{doc.number}.pdf"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(invoice_pdf(doc, store))
    tmp.replace(path)  # never a half-written PDF under the invoice's name
    return path


def print_command(command: str, path: Path) -> list[str]:
    """``[printer] a4_command`` with the file: ``{file}`` replaced, or the file appended."""
    words = shlex.split(command)
    if any("{file}" in w for w in words):
        return [w.replace("{file}", str(path)) for w in words]
    return [*words, str(path)]


def send(command: str, path: Path, timeout: float = 30) -> str | None:
    """Run the A4 print command on ``path``; None when it went, else what went wrong."""
    try:
        done = subprocess.run(
            print_command(command, path), capture_output=True, text=True, timeout=timeout
        )
    except (OSError, subprocess.TimeoutExpired, ValueError) as exc:
        return f"The A4 print command failed: {exc}"
    if done.returncode != 0:
        return f"The A4 print command failed: {(done.stderr or done.stdout).strip()[:200]}"
    return None


def directory_of(a4_dir: str, data_dir: Path) -> Path:
    """``[printer] a4_dir``: "" is invoices/ in the data directory; a relative path is taken
    from the data directory too."""
    if not a4_dir:
        return data_dir / "invoices"
    path = Path(a4_dir).expanduser()
    return path if path.is_absolute() else data_dir / path


def make(
    store: StoreSettings,
    doc: Document,
    a4_dir: str,
    a4_command: str,
    data_dir: Path,
    out: Path | None = None,
) -> tuple[Path, str | None]:
    """Save the invoice of bill ``doc`` (and print it with ``a4_command`` when there is one
    and no ``out`` was asked for): the file, and what went wrong printing (None: nothing)."""
    if doc.kind != "bill":
        raise NotABill(f"{doc.number} is not a bill: an A4 tax invoice is made of a bill")
    path = save(doc, store, directory_of(a4_dir, data_dir), out)
    problem = send(a4_command, path) if a4_command and out is None else None
    return path, problem


class NotABill(ValueError):
    """An A4 invoice was asked of a receipt, a return or a report."""
