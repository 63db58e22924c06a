"""Reprint (F5): any past bill, payment, return or Z report, exactly as its slip reads;
Dashboard (F6): how the day is going."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import DataTable, Input, Static

from o2pos.core import history, register, reports, sales
from o2pos.core.money import format_amount, format_minus, format_qty
from o2pos.tui import keymap
from o2pos.tui.focus import hop
from o2pos.tui.guard import guarded
from o2pos.tui.screens.base import TillScreen
from o2pos.tui.screens.dialogs import TextDialog
from o2pos.tui.text import escape, shorten
from o2pos.tui.widgets.key_bar import KeyBar
from o2pos.tui.widgets.status_bar import StatusBar


class ReprintScreen(TillScreen):
    BINDINGS: ClassVar[list[BindingType]] = [*keymap.REPRINT]

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield Input(
            placeholder="document number (S-…, R-…, RT-…, Z-…, SC-…) or scan the bill",
            id="number",
        )
        yield DataTable(id="recent", cursor_type="row")
        yield Static("Enter: show · ↓: recent documents", id="notice", classes="muted")
        yield KeyBar("reprint")

    def on_mount(self) -> None:
        table = self.query_one("#recent", DataTable)
        for label, width in (("Number", 16), ("When", 12), ("What", 22), ("Amount", 12)):
            table.add_column(label, width=width)
        ctx = self.ctx
        table.add_rows(
            [
                (d.number, ctx.local(d.issued_at).strftime("%d %b %H:%M"), d.kind,
                 format_amount(d.amount))
                for d in history.recent_documents(ctx)
            ]
        )  # fmt: skip
        self.query_one("#number", Input).focus()

    def action_focus_list(self) -> None:
        hop(self, "#number", "#recent")

    @guarded
    def on_input_submitted(self, event: Input.Submitted) -> None:
        number, event.input.value = event.value, ""  # the next number starts afresh
        self.show(number)

    @guarded
    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.show(str(event.data_table.get_row(event.row_key)[0]))

    def show(self, number: str) -> None:
        """The slip exactly as the printer gets it, marked as a copy; p prints that copy."""
        app = self.app
        number = number.strip().upper()
        text = app.slip_text(number, copy=True)
        app.push_screen(
            TextDialog(number, text, app.print_copy(number), on_a4=app.a4_invoice(number))
        )


class DashboardScreen(TillScreen):
    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield Static("", id="dashboard")
        yield KeyBar("dashboard")

    def on_mount(self) -> None:
        self.refresh_numbers()
        self.set_interval(30, self.refresh_numbers)

    def refresh_numbers(self) -> None:
        ctx = self.ctx
        day = reports.daily_report(ctx)
        count, total = day["sales_count"], day["sales_total"]
        average = total // count if count else 0
        top = history.top_products(ctx, *reports.day_bounds(ctx, ctx.today()))
        expected = register.expected_now(ctx)
        lines = [
            f"[b]Today {day['date']}[/b]",
            f"Sales {count}   Total {format_amount(total)}   "
            f"Average basket {format_amount(average)}",
            f"Returns {day['returns_count']} ({format_minus(day['returns_total'])})   "
            f"Net {format_amount(day['net_sales'])}",
            "",
            "[b]By payment method[/b]",
            *[
                f"  {escape(p['name']):<14}{format_amount(p['amount']):>14}  ({p['count']})"
                for p in day["payments"]
            ],
            "",
            "[b]Top products[/b]",
            *[
                f"  {escape(shorten(p.name, 40)):<40}{format_qty(p.qty_milli):>8}"
                f"{format_amount(p.amount):>14}"
                for p in top
            ],
            "",
            f"Held bills {len(sales.held_bills(ctx))}   Register "
            + (f"open, expected {format_amount(expected)}" if expected is not None else "closed"),
        ]
        self.query_one("#dashboard", Static).update("\n".join(lines))
