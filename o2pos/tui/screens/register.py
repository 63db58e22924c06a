"""The cash register: its state, expected cash, movements; cash in/out, X, close → Z."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from o2pos.core import register
from o2pos.core.models import CashMovement
from o2pos.core.money import format_amount, format_minus
from o2pos.tui import keymap
from o2pos.tui.approval import run_with_approval
from o2pos.tui.guard import guarded
from o2pos.tui.screens.base import TillScreen
from o2pos.tui.screens.dialogs import AmountDialog, OpeningFloatDialog, TextDialog
from o2pos.tui.text import shorten
from o2pos.tui.widgets.key_bar import KeyBar
from o2pos.tui.widgets.status_bar import StatusBar


class RegisterScreen(TillScreen):
    BINDINGS = keymap.REGISTER
    is_open = False

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield Static("", id="register-state")
        yield DataTable(id="movements", cursor_type="row")
        yield Static("", id="notice")
        yield KeyBar("register")

    def on_mount(self) -> None:
        table = self.query_one("#movements", DataTable)
        for label, width in (
            ("Number", 14),
            ("Kind", 8),
            ("Amount", 12),
            ("Reason", 24),
            ("By", 9),
        ):
            table.add_column(label, width=width)
        self.refresh_state()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Only the keys that apply: Open while closed; the rest while open."""
        if action == "open":
            return not self.is_open
        if action in ("cash_in", "cash_out", "x_report", "close", "no_sale"):
            return self.is_open
        return True

    def refresh_state(self) -> None:
        ctx = self.app.ctx  # type: ignore[attr-defined]
        self.query_one(StatusBar).refresh_status()
        session = register.current_session(ctx)
        self.is_open = session is not None
        self.refresh_bindings()
        state = self.query_one("#register-state", Static)
        table = self.query_one("#movements", DataTable)
        table.clear()
        if session is None:
            state.update(
                "The cash register is [b]closed[/b] on this till. O: open it with a float."
            )
            return
        cash = register.cash_totals(session)
        opened = ctx.local(session.opened_at).strftime("%d %b %H:%M")
        money, minus = format_amount, format_minus
        state.update(
            f"Open since {opened} by {session.opened_by.code}\n"
            f"Float {money(cash['opening_float'])}   Cash sales {money(cash['cash_sales'])}   "
            f"Refunds {minus(cash['cash_refunds'])}\n"
            f"Cash in {money(cash['cash_in'])}   Cash out {minus(cash['cash_out'])}   "
            f"[b]Expected in drawer {money(cash['expected_cash'])}[/b]"
        )
        moves = (
            CashMovement.select().where(CashMovement.session == session).order_by(CashMovement.id)
        )
        table.add_rows(
            [
                (
                    m.number,
                    m.kind.replace("_", " "),
                    format_amount(m.amount),
                    shorten(m.reason, 24),
                    m.employee.code,
                )
                for m in moves
            ]
        )

    # --- actions ----------------------------------------------------------------------

    @guarded
    def action_open(self) -> None:
        if register.current_session(self.app.ctx) is not None:  # type: ignore[attr-defined]
            raise register.StateError("The cash register is already open")
        self.app.push_screen(OpeningFloatDialog(), lambda _: self.refresh_state())

    def action_cash_in(self) -> None:
        self._move("in", "Cash in: money put into the drawer")

    def action_cash_out(self) -> None:
        self._move("out", "Cash out: money taken from the drawer")

    def _move(self, kind: str, title: str) -> None:
        @guarded
        def save(screen: RegisterScreen, result: tuple[int, str] | None) -> None:
            if result is None:
                return
            amount, reason = result
            ctx = screen.app.ctx  # type: ignore[attr-defined]
            run_with_approval(
                screen,
                lambda approval: register.move_cash(
                    ctx, screen.employee, kind, amount, reason, approval
                ),
                lambda move: (
                    screen.refresh_state(),
                    screen.say(f"{move.number}: cash {kind} {format_amount(move.amount)}"),
                    screen.app.print_document(move.number),  # type: ignore[attr-defined]
                ),
            )

        self.app.push_screen(AmountDialog(title, reason=True), lambda r: save(self, r))

    @guarded
    def action_no_sale(self) -> None:
        ctx = self.app.ctx  # type: ignore[attr-defined]
        run_with_approval(
            self,
            lambda approval: register.open_drawer(ctx, self.employee, "no sale", approval),
            lambda move: (
                self.refresh_state(),
                self.say(f"{move.number}: drawer opened (no sale)"),
                self.app.open_cash_drawer(move.number),  # type: ignore[attr-defined]
            ),
        )

    @guarded
    def action_x_report(self) -> None:
        app = self.app
        text = app.x_report_text()  # type: ignore[attr-defined]
        on_print = app.print_x_report if app.config.printer.kind != "none" else None  # type: ignore[attr-defined]
        app.push_screen(TextDialog("X report (nothing is closed)", text, on_print))

    @guarded
    def action_close(self) -> None:
        ctx = self.app.ctx  # type: ignore[attr-defined]
        register.require_open(ctx)

        @guarded
        def counted(screen: RegisterScreen, amount: int | None) -> None:
            if amount is None:
                return
            run_with_approval(
                screen,
                lambda approval: register.close_session(ctx, screen.employee, amount, approval),
                lambda session: screen.closed(session),
            )

        self.app.push_screen(
            AmountDialog("Close the register", hint="Count the drawer and type the cash counted."),
            lambda amount: counted(self, amount),
        )

    def closed(self, session: register.RegisterSession) -> None:
        app = self.app
        diff = session.difference
        word = "over" if diff > 0 else "short" if diff < 0 else "exact"
        self.refresh_state()
        self.say(
            f"Closed: {session.z_number}, counted {format_amount(session.counted_cash)}, "
            f"{word} {format_amount(abs(diff))}"
        )
        app.print_document(session.z_number)  # type: ignore[attr-defined]
        text = app.slip_text(session.z_number)  # type: ignore[attr-defined]
        app.push_screen(TextDialog(f"Z report {session.z_number}", text))
