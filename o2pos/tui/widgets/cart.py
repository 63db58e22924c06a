"""The bill's lines, and the totals under them."""

from __future__ import annotations

from textual.widgets import DataTable, Static

from o2pos.core.models import Sale, SaleLine
from o2pos.core.money import format_amount, format_percent, format_qty

COLUMNS = [
    ("#", 3),
    ("Item", 24),
    ("Qty", 7),
    ("Price", 9),
    ("Disc", 7),
    ("Tax", 5),
    ("Amount", 10),
]


class CartTable(DataTable):
    """Fixed-width columns, rows replaced in one batch: no per-cell measuring on idle."""

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = False
        for label, width in COLUMNS:
            self.add_column(label, width=width, key=label)

    def show(self, lines: list[SaleLine]) -> None:
        keep = self.cursor_row
        self.clear()
        self.add_rows(
            [
                (
                    str(index),
                    line.name[:24] + (f" {line.serial}" if line.serial else ""),
                    format_qty(line.qty_milli),
                    format_amount(line.unit_price),
                    format_amount(line.line_discount) if line.line_discount else "",
                    format_percent(line.tax_rate_bp),
                    format_amount(line.total),
                )
                for index, line in enumerate(lines, 1)
            ]
        )
        self._line_ids = [line.id for line in lines]
        if lines:
            self.move_cursor(row=min(max(keep, 0), len(lines) - 1))

    def show_last(self) -> None:
        if self.row_count:
            self.move_cursor(row=self.row_count - 1)

    @property
    def selected_line_id(self) -> int | None:
        ids = getattr(self, "_line_ids", [])
        if not ids or self.cursor_row < 0 or self.cursor_row >= len(ids):
            return None
        return ids[self.cursor_row]


class Totals(Static):
    def show(self, sale: Sale, items: int) -> None:
        if sale.interstate:
            taxes = f"IGST {format_amount(sale.tax_total)}"
        else:
            half = sale.tax_total // 2
            taxes = f"CGST {format_amount(sale.tax_total - half)}  SGST {format_amount(half)}"
        who = sale.customer.name[:22] if sale.customer_id else "walk-in"
        coupon = f"  coupon {sale.coupon_code}" if sale.coupon_code else ""
        self.update(
            f"Items {items}  Subtotal {format_amount(sale.subtotal)}  "
            f"Disc {format_amount(sale.discount_total)}  {taxes}\n"
            f"Customer {who}{coupon}  Round off {format_amount(sale.round_off)}   "
            f"[b]TOTAL {format_amount(sale.total)}[/b]"
        )
