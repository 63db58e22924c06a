"""Small modal dialogs: the opening float, a quantity, help."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from o2pos.core import register
from o2pos.core.money import parse_amount, parse_qty
from o2pos.tui import keymap
from o2pos.tui.focus import hop
from o2pos.tui.guard import guarded

if TYPE_CHECKING:
    from o2pos.tui.app import TillApp


class Dialog(ModalScreen[Any]):
    BINDINGS: ClassVar[list[BindingType]] = [*keymap.DIALOG]

    if TYPE_CHECKING:
        app: TillApp  # the running till (Textual types it as any App)

    def show_error(self, text: str) -> None:
        self.query_one(".error", Static).update(Content(text))  # plain: it quotes input

    def action_cancel(self) -> None:
        self.dismiss(None)


class OpeningFloatDialog(Dialog):
    """Count the float into the drawer; once saved it cannot be edited."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("Open the cash register", classes="dialog-title")
            yield Static("Count the cash in the drawer and type the opening balance.")
            yield Input(placeholder="opening balance, e.g. 2000", id="amount")
            yield Static("", classes="error")
            yield Static("Enter: open the register · Esc: not now", classes="muted")

    @guarded
    def on_input_submitted(self, event: Input.Submitted) -> None:
        amount = parse_amount(event.value)
        app = self.app
        session = register.open_session(app.ctx, app.signed_in_employee, amount)
        self.dismiss(session.opening_float)


class QuantityDialog(Dialog):
    """A quantity; ``check`` (a core rule) may refuse it while the dialog is still open."""

    def __init__(
        self,
        name: str,
        current: str,
        check: Callable[[int], None] | None = None,
        *,
        none: bool = False,
    ) -> None:
        """``none``: 0 or nothing typed is an answer too (0: take the line's choice back)."""
        super().__init__()
        self.item_name, self.current, self.check, self.none = name, current, check, none

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(f"Quantity of {self.item_name}", classes="dialog-title")
            yield Input(self.current, id="qty", max_length=10)
            yield Static("", classes="error")
            hint = "Enter: set · 0: none · Esc: cancel" if self.none else "Enter: set · Esc: cancel"
            yield Static(hint, classes="muted")

    @guarded
    def on_input_submitted(self, event: Input.Submitted) -> None:
        if self.none and event.value.strip() in ("", "0"):
            self.dismiss(0)
            return
        qty = parse_qty(event.value)
        if self.check is not None:
            self.check(qty)
        self.dismiss(qty)


class HelpDialog(Dialog):
    """Every key of the screen underneath, as currently mapped."""

    def __init__(self, rows: list[tuple[str, str]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        # two columns, so every key of the busiest screen fits at 80×24
        key_width = max((len(key) for key, _ in self.rows), default=0)
        cells = [f"{key:>{key_width}}  {label[:16]:<16}" for key, label in self.rows]
        half = (len(cells) + 1) // 2
        text = "\n".join(
            "  ".join(cells[i : i + 1] + cells[i + half : i + half + 1]) for i in range(half)
        )
        with Vertical(classes="dialog help"):
            yield Static("Keys", classes="dialog-title")
            yield Static(text, id="help-keys")
            yield Static("Esc: close · no F-keys? ctrl+f then 1-9, 0, -, =", classes="muted")


class SerialDialog(Dialog):
    def __init__(self, product_name: str) -> None:
        super().__init__()
        self.product_name = product_name

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(f"Serial number of {self.product_name}", classes="dialog-title")
            yield Input(placeholder="scan or type the serial", id="serial", max_length=40)
            yield Static("", classes="error")
            yield Static("Enter: add · Esc: cancel", classes="muted")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            self.show_error("Scan or type the serial number, then Enter")
            return
        self.dismiss(event.value.strip())


class AmountDialog(Dialog):
    """An amount, and a reason when one is asked for (cash in / out, counted cash)."""

    BINDINGS: ClassVar[list[BindingType]] = [*keymap.AMOUNT]

    def __init__(self, title: str, *, reason: bool = False, hint: str = "") -> None:
        super().__init__()
        self.title_text, self.with_reason, self.hint = title, reason, hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dialog-title")
            if self.hint:
                yield Static(self.hint)
            yield Input(placeholder="amount", id="amount", max_length=15)
            if self.with_reason:
                yield Input(placeholder="reason", id="reason", max_length=200)
            yield Static("", classes="error")
            yield Static("Enter: save · Esc: cancel", classes="muted")

    def action_enter(self) -> None:
        if not self.with_reason:
            raise SkipAction()
        hop(self, "#amount", "#reason")

    @guarded
    def on_input_submitted(self, event: Input.Submitted) -> None:
        amount = parse_amount(
            self.query_one("#amount", Input).value, allow_zero=self.with_reason is False
        )
        if self.with_reason:
            reason = self.query_one("#reason", Input)
            if event.input.id == "amount" or not reason.value.strip():
                reason.focus()
                if event.input.id == "reason":  # Enter on an empty reason: say what is missing
                    self.show_error("Type the reason, then Enter")
                return
            self.dismiss((amount, reason.value.strip()))
            return
        self.dismiss(amount)


class TextDialog(Dialog):
    """A slip or report, shown exactly as it will print; ``p`` prints it when it can."""

    BINDINGS: ClassVar[list[BindingType]] = [*keymap.SLIP]

    def __init__(
        self,
        title: str,
        text: str,
        on_print: Callable[[], None] | None = None,
        on_a4: Callable[[], str] | None = None,
    ) -> None:
        """``on_a4``: makes the bill's A4 invoice (in a worker thread: it writes a file and
        may run a print command) and says what became of it."""
        super().__init__()
        self.title_text, self.text, self.on_print = title, text, on_print
        self.on_a4 = on_a4

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog slip"):
            yield Static(self.title_text, classes="dialog-title")
            with VerticalScroll(id="slip-scroll"):
                yield Static(self.text, id="slip-text", markup=False)
            keys = "↑↓ PgUp PgDn: scroll · " + ("p: print · " if self.on_print else "")
            keys += "a: A4 invoice · " if self.on_a4 else ""
            yield Static(keys + "Esc: close", classes="muted")

    def on_mount(self) -> None:
        self.query_one("#slip-scroll", VerticalScroll).focus()

    def action_print(self) -> None:
        if self.on_print is None:  # F1 lists p on every slip: say why it does not print
            self.app.notify("No printer is configured ([printer] kind)", severity="warning")
            return
        self.on_print()
        self.app.notify("Sent to the printer")

    def action_a4(self) -> None:
        if self.on_a4 is None:
            self.app.notify("An A4 tax invoice is made of a bill", severity="warning")
            return
        self.app.notify("Making the A4 invoice…")
        self.run_worker(self._make_a4, thread=True, exit_on_error=False, group="a4-invoice")

    def _make_a4(self) -> None:
        """In a worker thread: the PDF and its print command; the answer as a notice."""
        assert self.on_a4 is not None
        try:
            said, severity = self.on_a4(), "information"
        except Exception as exc:  # a full disk, a bad folder: said, never raised
            said, severity = f"The A4 invoice could not be made: {exc}", "error"
        self.app.call_from_thread(self.app.notify, said, severity=severity, timeout=10)


class ConfirmDialog(Dialog):
    """A question with consequences (post a count, cancel it): Enter says yes, Esc no."""

    BINDINGS: ClassVar[list[BindingType]] = [*keymap.CONFIRM]

    def __init__(self, title: str, text: str, yes: str) -> None:
        super().__init__()
        self.title_text, self.text, self.yes = title, text, yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dialog-title")
            yield Static(self.text, markup=False)
            yield Static("", classes="error")
            yield Static(f"Enter: {self.yes} · Esc: back", classes="muted")

    def action_confirm(self) -> None:
        self.dismiss(True)
