"""Sign in with user code and PIN; works offline (employees are cached locally)."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from o2pos.core import auth, demo
from o2pos.core.errors import EmployeeLocked
from o2pos.tui import keymap
from o2pos.tui.approval import run_with_approval, take_code_and_pin
from o2pos.tui.focus import hop
from o2pos.tui.guard import guarded
from o2pos.tui.screens.dialogs import Dialog
from o2pos.tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from o2pos.tui.app import TillApp


class LoginScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [*keymap.LOGIN]

    if TYPE_CHECKING:
        app: TillApp  # the running till (Textual types it as any App)

    def compose(self) -> ComposeResult:
        ctx = self.app.ctx
        yield StatusBar()
        with Vertical(id="login-box"):
            yield Static(ctx.settings.store.name, id="login-title")
            yield Static("Sign in to the till", classes="muted")
            yield Input(placeholder="user code", id="user", max_length=32)
            yield Input(
                placeholder="PIN", id="pin", password=True, restrict=r"[0-9]*", max_length=8
            )
            yield Static("", id="message", classes="error")
            if demo.is_demo_store():
                yield Static(
                    "Demo store: cashier / 1111 · manager / 222222 · admin / 123456",
                    id="demo-hint",
                    classes="muted",
                )

    def on_mount(self) -> None:
        self.query_one("#user", Input).focus()

    def show_error(self, text: str) -> None:
        self.query_one("#message", Static).update(Content(text))  # plain: it quotes input

    def action_unlock(self) -> None:
        """ctrl+u: a manager's code and PIN unlock the code in the user box."""
        code = self.query_one("#user", Input).value.strip()
        if not code:
            self.show_error("Type the locked user code first, then ctrl+u")
            self.query_one("#user", Input).focus()
            return
        ctx = self.app.ctx
        run_with_approval(
            self,
            lambda approval: auth.unlock(ctx, code, approval=approval),
            self.unlocked,
        )

    def unlocked(self, employee: auth.Employee) -> None:
        self.show_error(f"{employee.code} is unlocked: type the PIN again")
        self.query_one("#pin", Input).focus()

    def action_enter(self) -> None:
        hop(self, "#user", "#pin")

    @guarded
    def on_input_submitted(self, event: Input.Submitted) -> None:
        user, pin = take_code_and_pin(self, "#user")
        if not user:
            self.show_error("Type your user code")
            self.query_one("#user", Input).focus()
            return
        try:
            employee = auth.login(self.app.ctx, user, pin)
        except EmployeeLocked as locked:
            unlock = keymap.short_key(self.app.keys.get("unlock", "ctrl+u"))
            self.show_error(f"{locked} ({unlock}: a manager unlocks it)")
            return
        self.show_error("")
        self.query_one("#user", Input).value = ""
        ctx = self.app.ctx
        places = auth.locations_of(ctx, employee)
        if len(places) == 1:
            auth.choose_location(ctx, employee, places[0])
            self.enter(employee)
            return
        from o2pos.core import stock  # an employee of several locations: rare, not at start

        names = stock.location_names(ctx)
        own = ctx.settings.terminal.location
        choices = [(code, names.get(code, code), code == own) for code in places]
        self.app.push_screen(LocationDialog(employee.code, choices), partial(self.placed, employee))

    @guarded
    def placed(self, employee: auth.Employee, location: str | None) -> None:
        """The location chosen after the PIN (None: Esc, nobody signs in)."""
        if location is None:
            self.show_error("Not signed in: sign in again and choose where you work")
            self.query_one("#user", Input).focus()
            return
        auth.choose_location(self.app.ctx, employee, location)
        self.enter(employee)

    def enter(self, employee: auth.Employee) -> None:
        """The till opens for ``employee``; if it cannot (``TillApp.signed_in`` said why),
        the login starts again from the user code."""
        if not self.app.signed_in(employee):
            self.query_one("#pin", Input).value = ""
            self.query_one("#user", Input).focus()


class LocationDialog(Dialog):
    """Where the session works, for an employee of several locations (as O2VEND's branch
    selection): the till's own first. Its documents and stock moves belong there."""

    def __init__(self, code: str, choices: list[tuple[str, str, bool]]) -> None:
        super().__init__()
        self.code, self.choices = code, choices

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(f"Where does {self.code} work now?", classes="dialog-title")
            yield OptionList(
                *(
                    Option(
                        " · ".join(
                            [code, *([name] if name != code else []), *(["this till's"] * own)]
                        ),
                        id=code,
                    )
                    for code, name, own in self.choices
                ),
                id="locations",
            )
            yield Static("", classes="error")
            yield Static(
                "The session's bills and stock moves belong there · Enter: choose · Esc: cancel",
                classes="muted",
            )

    def on_mount(self) -> None:
        self.query_one("#locations", OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
