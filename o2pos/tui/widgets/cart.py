"""The bill's lines, and the totals under them.

The cart draws its own lines (Textual's line API) instead of using a DataTable: a scan
changes one line, and a DataTable re-renders every visible cell through Rich on each
change — most of a frame on a small till. Here a line is a pre-formatted string.
"""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.binding import BindingType
from textual.content import Content
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

from o2pos.core.money import format_amount, format_percent, format_qty
from o2pos.core.sales import BillView, LineView
from o2pos.tui import keymap
from o2pos.tui.text import escape, shorten

# (label, width, align); the item's name takes whatever the others leave
COLUMNS = [
    ("#", 3, "<"),
    ("Item", 0, "<"),
    ("Qty", 6, ">"),
    ("Price", 9, ">"),
    ("Disc", 8, ">"),
    ("Tax", 5, ">"),
    ("Amount", 10, ">"),
]
FIXED = sum(width for _, width, _ in COLUMNS) + len(COLUMNS) - 1
MIN_NAME = 12


def _format(cells: tuple[str, ...], width: int, offer: str | None = None) -> str:
    """One row of the cart at ``width`` columns: the name is cut in the middle to fit, and
    the offer that took the line, if any, follows it whole when there is room. A figure
    wider than its column is never cut (a Disc of 12,345.67 cut to "12,345.6" reads as a
    different sum): the name gives up the room it needs."""
    widths = [size for _, size, _ in COLUMNS]
    over = sum(max(0, len(cell) - size) for cell, size in zip(cells, widths, strict=True) if size)
    name_width = max(MIN_NAME, width - FIXED - over)
    out = []
    for cell, (_, size, align) in zip(cells, COLUMNS, strict=True):
        if size == 0:
            room = name_width - len(offer or "") - 3
            if offer and room >= MIN_NAME // 2:
                cell = f"{shorten(cell, room)} · {offer}"
            elif offer:
                cell = f"{cell} · {offer}"
            out.append(f"{shorten(cell, name_width):<{name_width}}")
        else:
            out.append(f"{cell:{align}{size}}")
    return " ".join(out)


class CartHeader(Static):
    def on_resize(self) -> None:
        self.update(_format(tuple(label for label, _, _ in COLUMNS), self.size.width))


class CartTable(Widget, can_focus=True):
    """Draws only the visible slice of the bill and scrolls it itself: a new line never
    changes the widget's size, so a scan repaints the cart without laying out the screen."""

    BINDINGS: ClassVar[list[BindingType]] = [*keymap.CART]
    cursor_row = reactive(0)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._rows: list[str] = []
        self._top = 0  # first bill line shown
        self._formatted: dict[tuple[int, LineView, int], str] = {}
        self._lines: list[LineView] = []

    @property
    def row_count(self) -> int:
        return len(self._rows)

    def show(self, lines: list[LineView], select: int | None = None) -> None:
        """Show the bill's lines; ``select`` (a line id) becomes the highlighted line."""
        # a scan changes one line: reuse the text of the others
        width = self.size.width or 80
        cache = self._formatted
        self._formatted = {}
        rows = []
        for index, line in enumerate(lines, 1):
            key = (index, line, width)
            text = cache.get(key) or _format(self._cells(index, line), width, line.offer_name)
            self._formatted[key] = text
            rows.append(text)
        self._lines = lines
        self._rows = rows
        ids = [line.id for line in lines]
        if select in ids:
            self.cursor_row = ids.index(select)
        elif self.cursor_row >= len(self._rows):
            self.cursor_row = max(0, len(self._rows) - 1)
        self.refresh()

    def on_resize(self) -> None:
        self.show(self._lines)

    @staticmethod
    def _cells(index: int, line: LineView) -> tuple[str, ...]:
        return (
            str(index),
            line.name + (f" {line.serial}" if line.serial else ""),
            format_qty(line.qty_milli),
            format_amount(line.unit_price),
            # what offers gave, the line's own discount and its share of the bill's:
            # Qty × Price − Disc
            format_amount(line.offer_discount + line.line_discount + line.order_discount)
            if line.offer_discount + line.line_discount + line.order_discount
            else "",
            format_percent(line.tax_rate_bp),
            format_amount(line.total),
        )

    def render_line(self, y: int) -> Strip:
        index = y + self._top
        width = self.size.width
        if index >= len(self._rows):
            return Strip.blank(width)
        text = self._rows[index][:width].ljust(width)
        style = Style(reverse=True) if index == self.cursor_row and self._rows else Style()
        return Strip([Segment(text, style)], width)

    def watch_cursor_row(self, new: int) -> None:
        """Keep the highlighted line in view."""
        height = max(1, self.size.height)
        if new < self._top:
            self._top = new
        elif new >= self._top + height:
            self._top = new - height + 1
        self.refresh()

    def action_cursor(self, step: int) -> None:
        if self._rows:
            self.cursor_row = min(max(0, self.cursor_row + step), len(self._rows) - 1)

    @property
    def selected_line(self) -> LineView | None:
        """The highlighted line as last shown: what ctrl+d, ctrl+q, ctrl+p and F9 act on."""
        if not 0 <= self.cursor_row < len(self._lines):
            return None
        return self._lines[self.cursor_row]

    @property
    def selected_line_id(self) -> int | None:
        line = self.selected_line
        return line.id if line else None


DELIVERY_LINES = {
    "home": "[b]TO BE DELIVERED[/b]: home delivery · its goods are reserved until then",
    "pickup": "[b]TO BE DELIVERED[/b]: pick-up later · its goods are reserved until then",
}


class Totals(Static):
    bill: BillView | None = None

    def on_resize(self) -> None:
        if self.bill is not None:  # each line fits the new width: TOTAL stays in view
            self.show(self.bill)

    def show(self, bill: BillView) -> None:
        self.bill = bill
        if bill.interstate:
            taxes = f"IGST {format_amount(bill.tax_total)}"
        else:
            half = bill.tax_total // 2
            taxes = f"CGST {format_amount(bill.tax_total - half)}  SGST {format_amount(half)}"
        who = escape(shorten(bill.customer_name, 22)) if bill.customer_name else "walk-in"
        coupon = f"  coupon {escape(bill.coupon_code)}" if bill.coupon_code else ""
        mark = DELIVERY_LINES.get(bill.delivery or "", "")
        # a bill marked for delivery takes a third line (a layout, only when that changes)
        self.set_class(bool(mark), "delivery")
        subtotal, disc = format_amount(bill.subtotal), format_amount(bill.discount_total)
        total = f"[b]TOTAL {format_amount(bill.total)}[/b]"
        # each line as it fits: a line that wrapped pushed TOTAL out of the two rows
        first = _fitting(
            self.size.width or 78,
            f"Items {len(bill.lines)}  Subtotal {subtotal}  Disc {disc}  {taxes}",
            f"Items {len(bill.lines)}  Subtotal {subtotal}  Disc {disc}  "
            f"Tax {format_amount(bill.tax_total)}",
            f"Subtotal {subtotal}  Tax {format_amount(bill.tax_total)}",
        )
        second = _fitting(
            self.size.width or 78,
            f"Customer {who}{coupon}  Round off {format_amount(bill.round_off)}   {total}",
            f"Customer {who}{coupon}   {total}",
            total,
        )
        self.update(  # fixed size: repaint only, no screen layout
            layout=False, content=f"{first}\n{second}" + (f"\n{mark}" if mark else "")
        )


def _fitting(width: int, *choices: str) -> str:
    """The first of ``choices`` (markup) whose text fits ``width`` cells, else the last."""
    for choice in choices:
        if Content.from_markup(choice).cell_length <= width:
            return choice
    return choices[-1]
