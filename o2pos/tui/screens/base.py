"""What every main screen of the till shares: its message line and who is signed in."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Static

from o2pos.core.context import Context
from o2pos.core.models import Employee


class TillScreen(Screen):
    """A main screen with a ``#notice`` line; ``guarded`` handlers report through it."""

    @property
    def ctx(self) -> Context:
        return self.app.ctx  # type: ignore[attr-defined]

    @property
    def employee(self) -> Employee:
        return self.app.employee  # type: ignore[attr-defined]

    def say(self, text: str, *, error: bool = False) -> None:
        notice = self.query_one("#notice", Static)
        notice.set_class(error, "error")
        notice.update(text, layout=False)  # fixed size: repaint only, no screen layout

    def show_error(self, text: str) -> None:
        self.say(text, error=True)
        self.app.bell()
