"""Manager override: when the core answers ``ApprovalRequired``, ask for a manager's PIN
and try the same action once more with the approval."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Input, Static

from o2pos.core import auth
from o2pos.core.errors import ApprovalRequired
from o2pos.tui import keymap
from o2pos.tui.focus import hop
from o2pos.tui.guard import guarded, report
from o2pos.tui.screens.dialogs import Dialog

Action = Callable[[auth.Approval | None], Any]


def take_code_and_pin(screen: Screen[Any], code_box: str) -> tuple[str, str]:
    """The code and PIN typed; the PIN box is emptied at once, whatever happens next."""
    code = screen.query_one(code_box, Input).value.strip()
    pin_box = screen.query_one("#pin", Input)
    pin, pin_box.value = pin_box.value, ""
    return code, pin


class ManagerPinDialog(Dialog):
    BINDINGS: ClassVar[list[BindingType]] = [*keymap.SIGN_IN]

    def __init__(self, reason: str, permission: str) -> None:
        super().__init__()
        self.reason, self.permission = reason, permission

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("Manager approval", classes="dialog-title")
            yield Static(self.reason)
            yield Input(placeholder="manager's user code", id="code", max_length=32)
            yield Input(
                placeholder="PIN", id="pin", password=True, restrict=r"[0-9]*", max_length=8
            )
            yield Static("", classes="error")
            yield Static("Enter: approve · Esc: cancel", classes="muted")

    def on_mount(self) -> None:
        self.query_one("#code", Input).focus()

    def action_enter(self) -> None:
        hop(self, "#code", "#pin")

    @guarded
    def on_input_submitted(self, event: Input.Submitted) -> None:
        code, pin = take_code_and_pin(self, "#code")
        approval = auth.approve(self.app.ctx, code, pin, self.permission)
        self.dismiss(approval)


def run_with_approval(
    screen: Any, action: Action, done: Callable[[Any], object] | None = None
) -> None:
    """Run ``action``; if a manager must approve, ask for the PIN and run it again.

    Other errors go up to the caller's guard, which shows them.
    """
    try:
        result = action(None)
    except ApprovalRequired as need:

        def approved(approval: auth.Approval | None) -> None:
            if approval is None:
                screen.show_error("Cancelled: no manager approval")
                return
            try:
                outcome = action(approval)
                if done is not None:
                    done(outcome)
            except Exception as error:  # shown, never raised into Textual
                report(screen, error)

        screen.app.push_screen(ManagerPinDialog(str(need), need.permission), approved)
        return
    if done is not None:
        done(result)
