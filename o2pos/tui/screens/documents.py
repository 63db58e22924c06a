"""Receipts (F3): take payment for saved bills and collect dues; Returns (ctrl+r)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import DataTable, Input, Static

from o2pos.core import payments, returns, sales
from o2pos.core.errors import NotFound, StateError, ValidationError
from o2pos.core.models import PaymentMethod, Sale
from o2pos.core.money import format_amount, format_qty
from o2pos.tui import keymap
from o2pos.tui.approval import run_with_approval
from o2pos.tui.guard import guarded
from o2pos.tui.screens.base import TillScreen
from o2pos.tui.screens.dialogs import QuantityDialog, TextDialog
from o2pos.tui.screens.payment import PaymentScreen
from o2pos.tui.text import shorten
from o2pos.tui.widgets.key_bar import KeyBar
from o2pos.tui.widgets.status_bar import StatusBar


class ReceiptsScreen(TillScreen):
    """Find orders by number (typed or scanned from the bill) and pay one or several."""

    BINDINGS = keymap.RECEIPTS

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield Input(placeholder="order number (scan the bill) · Enter adds it", id="number")
        yield DataTable(id="orders", cursor_type="row")
        yield Static("", id="due")
        yield Static("Open bills with a balance: ↓ to pick", id="notice", classes="muted")
        yield KeyBar("receipts")

    def on_mount(self) -> None:
        self.numbers: list[str] = []
        table = self.query_one("#orders", DataTable)
        for label, width in (
            ("Order", 15),
            ("Customer", 14),
            ("Total", 11),
            ("Paid", 11),
            ("Balance", 11),
            ("", 3),
        ):
            table.add_column(label, width=width)
        self.show_orders()
        self.query_one("#number", Input).focus()

    def show_orders(self) -> None:
        table = self.query_one("#orders", DataTable)
        table.clear()
        ctx = self.app.ctx  # type: ignore[attr-defined]
        chosen = [sales.find_by_number(n) for n in self.numbers]
        others = [s for s in payments.open_invoices(ctx, limit=30) if s.number not in self.numbers]
        for sale in [*chosen, *others]:
            table.add_row(
                sale.number,
                shorten(sale.customer.name, 14) if sale.customer_id else "walk-in",
                format_amount(sale.total),
                format_amount(sale.paid),
                format_amount(sale.balance),
                "✓" if sale.number in self.numbers else "",
                key=sale.number,
            )
        due = sum(s.balance for s in chosen)
        self.query_one("#due", Static).update(
            f"Chosen {len(chosen)} · due [b]{format_amount(due)}[/b] · F10 pay · ctrl+d drop"
        )

    def choose(self, number: str) -> None:
        sale = sales.find_by_number(number)
        if sale.status != "completed":
            raise StateError(f"{sale.number} is not a completed bill")
        if sale.balance <= 0:
            raise StateError(f"{sale.number} is already paid")
        if sale.number not in self.numbers:
            self.numbers.append(sale.number)
        self.show_orders()

    @guarded
    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.choose(event.value)
        event.input.value = ""

    @guarded
    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.choose(str(event.row_key.value))

    def action_focus_list(self) -> None:
        self.query_one("#orders", DataTable).focus()

    def action_drop(self) -> None:
        if self.numbers:
            self.numbers.pop()
            self.show_orders()

    @guarded
    def action_pay(self) -> None:
        if not self.numbers:
            raise ValidationError("Choose the bills to pay first")
        ctx, numbers = self.app.ctx, list(self.numbers)  # type: ignore[attr-defined]
        due = sum(sales.find_by_number(n).balance for n in numbers)
        everyone_named = all(sales.find_by_number(n).customer_id for n in numbers)
        self.app.push_screen(
            PaymentScreen(
                due,
                lambda tenders: payments.collect(ctx, self.employee, numbers, tenders),
                title="Receipt",
                partial=everyone_named,
            ),
            self.paid,
        )

    def paid(self, result: object) -> None:
        if result is None:
            return
        receipt, settlement = result  # type: ignore[misc]
        self.numbers = []
        self.show_orders()
        change = f" · CHANGE {format_amount(settlement.change)}" if settlement.change else ""
        self.say(f"Receipt {receipt.number}: {format_amount(settlement.applied)} received{change}")
        self.app.print_document(receipt.number)  # type: ignore[attr-defined]


REFUND_METHODS = ["cash", "card", "upi", "credit_note", "on_account"]


class ReturnsScreen(TillScreen):
    """Find the original sale, choose lines and quantities, refund; a manager approves."""

    BINDINGS = keymap.RETURNS

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield Input(placeholder="number of the original bill (scan it)", id="number")
        yield DataTable(id="lines", cursor_type="row")
        yield Static("", id="refund")
        yield Static(
            "Enter on a line: quantity to return · m: refund method · F10: refund",
            id="notice",
            classes="muted",
        )
        yield KeyBar("returns")

    def on_mount(self) -> None:
        self.sale: Sale | None = None
        self.chosen: dict[int, int] = {}
        self.method_index = 0
        table = self.query_one("#lines", DataTable)
        for label, width in (
            ("#", 3),
            ("Item", 24),
            ("Sold", 7),
            ("Can return", 10),
            ("Returning", 9),
            ("Paid", 10),
        ):
            table.add_column(label, width=width)
        self.query_one("#number", Input).focus()
        self.show_refund()

    def show_lines(self) -> None:
        table = self.query_one("#lines", DataTable)
        table.clear()
        if self.sale is None:
            return
        for line, left in returns.returnable(self.sale):
            table.add_row(
                str(line.line_no),
                line.name[:24],
                format_qty(line.qty_milli),
                format_qty(left),
                format_qty(self.chosen[line.id]) if line.id in self.chosen else "",
                format_amount(line.total),
                key=str(line.id),
            )
        self.show_refund()

    def show_refund(self) -> None:
        method = REFUND_METHODS[self.method_index]
        name = PaymentMethod.get_by_id(method).name
        against = f"against {self.sale.number} · " if self.sale else ""
        self.query_one("#refund", Static).update(f"{against}refund by [b]{name}[/b] (m to change)")

    @guarded
    def on_input_submitted(self, event: Input.Submitted) -> None:
        sale = sales.find_by_number(event.value)
        if sale.status != "completed":
            raise NotFound(f"{sale.number} is not a completed sale")
        self.sale, self.chosen = sale, {}
        event.input.value = ""
        self.show_lines()
        self.query_one("#lines", DataTable).focus()

    @guarded
    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        line_id = int(str(event.row_key.value))
        line = sales.SaleLine.get_by_id(line_id)
        left = line.qty_milli - line.returned_milli

        def chosen(qty: int | None) -> None:
            if qty is not None:
                self.chosen[line_id] = qty
                self.show_lines()

        self.app.push_screen(QuantityDialog(line.name, format_qty(left)), chosen)

    def action_focus_list(self) -> None:
        self.query_one("#lines", DataTable).focus()

    def action_method(self) -> None:
        self.method_index = (self.method_index + 1) % len(REFUND_METHODS)
        self.show_refund()

    @guarded
    def action_refund(self) -> None:
        if self.sale is None or not self.chosen:
            raise ValidationError("Find the bill and choose what comes back first")
        ctx, number = self.app.ctx, self.sale.number  # type: ignore[attr-defined]
        items = [returns.ReturnItem(line_id, qty) for line_id, qty in self.chosen.items()]
        method = REFUND_METHODS[self.method_index]
        run_with_approval(
            self,
            lambda approval: returns.create(
                ctx, self.employee, number, items, method, approval=approval
            ),
            self.done,
        )

    def done(self, ret: returns.Return) -> None:
        app = self.app
        self.sale = sales.find_by_number(ret.sale.number)
        self.chosen = {}
        self.show_lines()
        self.say(f"Return {ret.number}: refund {format_amount(ret.total)}")
        app.print_document(ret.number)  # type: ignore[attr-defined]
        app.push_screen(TextDialog(f"Return {ret.number}", app.slip_text(ret.number)))  # type: ignore[attr-defined]
