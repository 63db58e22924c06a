"""The bill's lines, and the totals under them.

The cart draws its own lines (Textual's line API) instead of using a DataTable: a scan
changes one line, and a DataTable re-renders every visible cell through Rich on each
change — most of a frame on a small till. Here a line is a pre-formatted string.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

from o2pos.core.models import Sale
from o2pos.core.money import format_amount, format_percent, format_qty
from o2pos.core.sales import LineView
from o2pos.tui import keymap

COLUMNS = [
    ("#", 3, "<"),
    ("Item", 26, "<"),
    ("Qty", 7, ">"),
    ("Price", 10, ">"),
    ("Disc", 8, ">"),
    ("Tax", 5, ">"),
    ("Amount", 11, ">"),
]


def _format(cells: tuple[str, ...]) -> str:
    return " ".join(
        f"{cell[:width]:{align}{width}}"
        for cell, (_, width, align) in zip(cells, COLUMNS, strict=True)
    )


HEADER = _format(tuple(label for label, _, _ in COLUMNS))


class CartHeader(Static):
    def on_mount(self) -> None:
        self.update(HEADER)


class CartTable(Widget, can_focus=True):
    """Draws only the visible slice of the bill and scrolls it itself: a new line never
    changes the widget's size, so a scan repaints the cart without laying out the screen."""

    BINDINGS = keymap.CART
    cursor_row = reactive(0)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._rows: list[str] = []
        self._line_ids: list[int] = []
        self._top = 0  # first bill line shown
        self._formatted: dict[tuple[int, LineView], str] = {}

    @property
    def row_count(self) -> int:
        return len(self._rows)

    def show(self, lines: list[LineView]) -> None:
        # a scan changes one line: reuse the text of the others
        cache = self._formatted
        self._formatted = {}
        rows = []
        for index, line in enumerate(lines, 1):
            key = (index, line)
            text = cache.get(key) or _format(self._cells(index, line))
            self._formatted[key] = text
            rows.append(text)
        self._rows = rows
        self._line_ids = [line.id for line in lines]
        if self.cursor_row >= len(self._rows):
            self.cursor_row = max(0, len(self._rows) - 1)
        self.refresh()

    @staticmethod
    def _cells(index: int, line: LineView) -> tuple[str, ...]:
        return (
            str(index),
            line.name + (f" {line.serial}" if line.serial else ""),
            format_qty(line.qty_milli),
            format_amount(line.unit_price),
            format_amount(line.line_discount) if line.line_discount else "",
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

    def show_last(self) -> None:
        if self._rows:
            self.cursor_row = len(self._rows) - 1

    @property
    def selected_line_id(self) -> int | None:
        if not self._line_ids or not 0 <= self.cursor_row < len(self._line_ids):
            return None
        return self._line_ids[self.cursor_row]


class Totals(Static):
    def show(self, sale: Sale, items: int) -> None:
        if sale.interstate:
            taxes = f"IGST {format_amount(sale.tax_total)}"
        else:
            half = sale.tax_total // 2
            taxes = f"CGST {format_amount(sale.tax_total - half)}  SGST {format_amount(half)}"
        who = sale.customer.name[:22] if sale.customer_id else "walk-in"
        coupon = f"  coupon {sale.coupon_code}" if sale.coupon_code else ""
        self.update(  # fixed size: repaint only, no screen layout
            layout=False,
            content=f"Items {items}  Subtotal {format_amount(sale.subtotal)}  "
            f"Disc {format_amount(sale.discount_total)}  {taxes}\n"
            f"Customer {who}{coupon}  Round off {format_amount(sale.round_off)}   "
            f"[b]TOTAL {format_amount(sale.total)}[/b]",
        )
