"""What every main screen of the till shares: its message line and who is signed in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.content import Content
from textual.screen import Screen
from textual.widgets import Static

from o2pos.core import auth
from o2pos.core.context import Context

if TYPE_CHECKING:
    from o2pos.tui.app import TillApp


class TillScreen(Screen[None]):
    """A main screen with a ``#notice`` line; ``guarded`` handlers report through it."""

    if TYPE_CHECKING:
        app: TillApp  # the running till (Textual types it as any App)

    @property
    def ctx(self) -> Context:
        return self.app.ctx

    @property
    def employee(self) -> auth.Employee:
        return self.app.signed_in_employee

    def say(self, text: str, *, error: bool = False) -> None:
        notice = self.query_one("#notice", Static)
        notice.set_class(error, "error")
        # as plain text: what is said often holds what was typed or a product's name, and
        # "[/]" read as markup ended the till
        notice.update(Content(text), layout=False)  # fixed size: repaint only, no layout

    def show_error(self, text: str) -> None:
        self.say(text, error=True)
        self.app.bell()
