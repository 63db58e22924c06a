"""Reprint (F5): any past bill, payment, return or Z report, exactly as its slip reads;
Dashboard (F6): how the day is going."""

from __future__ import annotations

from peewee import fn
from textual.app import ComposeResult
from textual.widgets import DataTable, Input, Static

from o2pos.core import register, reports, sales
from o2pos.core.models import Receipt, RegisterSession, Return, Sale, SaleLine
from o2pos.core.money import format_amount, format_qty
from o2pos.tui.guard import guarded
from o2pos.tui.screens.base import TillScreen
from o2pos.tui.screens.dialogs import TextDialog
from o2pos.tui.widgets.key_bar import KeyBar
from o2pos.tui.widgets.status_bar import StatusBar


class ReprintScreen(TillScreen):
    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield Input(
            placeholder="document number (S-…, R-…, RT-…, Z-…) or scan the bill", id="number"
        )
        yield DataTable(id="recent", cursor_type="row")
        yield Static("Enter: show · ↓: recent documents", id="notice", classes="muted")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one("#recent", DataTable)
        for label, width in (("Number", 16), ("When", 12), ("What", 22), ("Amount", 12)):
            table.add_column(label, width=width)
        ctx = self.app.ctx  # type: ignore[attr-defined]
        docs = []
        for s in Sale.select().where(Sale.status == "completed").order_by(Sale.id.desc()).limit(30):
            docs.append((s.completed_at, s.number, "bill", s.total))
        for r in Receipt.select().order_by(Receipt.id.desc()).limit(15):
            docs.append((r.created_at, r.number, "payment", r.tendered - r.change))
        for r in Return.select().order_by(Return.id.desc()).limit(15):
            docs.append((r.created_at, r.number, "return", r.total))
        for z in RegisterSession.select().where(RegisterSession.z_number.is_null(False)).limit(10):
            docs.append((z.closed_at, z.z_number, "Z report", z.counted_cash or 0))
        docs.sort(key=lambda d: d[0], reverse=True)
        table.add_rows(
            [
                (n, ctx.local(w).strftime("%d %b %H:%M"), kind, format_amount(a))
                for w, n, kind, a in docs[:50]
            ]
        )
        self.query_one("#number", Input).focus()

    def key_down(self) -> None:
        self.query_one("#recent", DataTable).focus()

    @guarded
    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.show(event.value)

    @guarded
    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.show(str(event.data_table.get_row(event.row_key)[0]))

    def show(self, number: str) -> None:
        """The slip exactly as the printer gets it, marked as a copy; p prints that copy."""
        app = self.app
        number = number.strip().upper()
        text = app.slip_text(number, copy=True)  # type: ignore[attr-defined]
        on_print = None
        if app.config.printer.kind != "none":  # type: ignore[attr-defined]

            def on_print() -> None:
                app.print_document(number, copy=True)  # type: ignore[attr-defined]

        app.push_screen(TextDialog(number, text, on_print))


class DashboardScreen(TillScreen):
    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield Static("", id="dashboard")
        yield KeyBar()

    def on_mount(self) -> None:
        self.refresh_numbers()
        self.set_interval(30, self.refresh_numbers)

    def refresh_numbers(self) -> None:
        ctx = self.app.ctx  # type: ignore[attr-defined]
        day = reports.daily_report(ctx)
        start, end = reports.day_bounds(ctx, ctx.today())
        count, total = day["sales_count"], day["sales_total"]
        average = total // count if count else 0
        top = (
            SaleLine.select(SaleLine.name, fn.SUM(SaleLine.qty_milli), fn.SUM(SaleLine.total))
            .join(Sale)
            .where(Sale.status == "completed", Sale.completed_at >= start, Sale.completed_at < end)
            .group_by(SaleLine.sku)
            .order_by(fn.SUM(SaleLine.total).desc())
            .limit(5)
            .tuples()
        )
        session = register.current_session(ctx)
        lines = [
            f"[b]Today {day['date']}[/b]",
            f"Sales {count}   Total {format_amount(total)}   "
            f"Average basket {format_amount(average)}",
            f"Returns {day['returns_count']} (-{format_amount(day['returns_total'])})   "
            f"Net {format_amount(day['net_sales'])}",
            "",
            "[b]By payment method[/b]",
            *[
                f"  {p['name']:<14}{format_amount(p['amount']):>14}  ({p['count']})"
                for p in day["payments"]
            ],
            "",
            "[b]Top products[/b]",
            *[
                f"  {name[:30]:<30}{format_qty(qty):>8}{format_amount(amount):>14}"
                for name, qty, amount in top
            ],
            "",
            f"Held bills {len(sales.held(ctx))}   Register "
            + (
                f"open, expected {format_amount(register.expected_cash(session))}"
                if session
                else "closed"
            ),
        ]
        self.query_one("#dashboard", Static).update("\n".join(lines))
