"""The bill's lines, and the totals under them.

The cart draws its own lines (Textual's line API) instead of using a DataTable: a scan
changes one line, and a DataTable re-renders every visible cell through Rich on each
change — most of a frame on a small till. Here a line is a pre-formatted string.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Static

from o2pos.core.models import Sale, SaleLine
from o2pos.core.money import format_amount, format_percent, format_qty
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


class CartTable(ScrollView, can_focus=True):
    BINDINGS = keymap.CART
    cursor_row = reactive(0)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._rows: list[str] = []
        self._line_ids: list[int] = []

    @property
    def row_count(self) -> int:
        return len(self._rows)

    def show(self, lines: list[SaleLine]) -> None:
        self._rows = [_format(self._cells(i, line)) for i, line in enumerate(lines, 1)]
        self._line_ids = [line.id for line in lines]
        if self.virtual_size.height != len(self._rows):
            self.virtual_size = Size(self.size.width, len(self._rows))
        if self.cursor_row >= len(self._rows):
            self.cursor_row = max(0, len(self._rows) - 1)
        self.refresh()

    @staticmethod
    def _cells(index: int, line: SaleLine) -> tuple[str, ...]:
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
        index = y + self.scroll_offset.y
        width = self.size.width
        if index >= len(self._rows):
            return Strip.blank(width)
        text = self._rows[index][:width].ljust(width)
        style = Style(reverse=True) if index == self.cursor_row and self._rows else Style()
        return Strip([Segment(text, style)], width)

    def watch_cursor_row(self, new: int) -> None:
        """Keep the highlighted line in view."""
        top, height = self.scroll_offset.y, max(1, self.size.height)
        if new < top:
            self.scroll_to(y=new, animate=False)
        elif new >= top + height:
            self.scroll_to(y=new - height + 1, animate=False)
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
