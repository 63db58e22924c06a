"""The bottom line of keys: Textual's footer, redrawn only when the keys on it change."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class KeyBar(Footer):
    """Textual's Footer rebuilds itself whenever focus or bindings move, even when it shows
    the same keys, and each rebuild is a full-screen frame. On a thin client over SSH that
    was most of the bytes a sale cost, so this one rebuilds only for a real change."""

    def __init__(self) -> None:
        super().__init__()
        self._shown: tuple[tuple[str, str, bool], ...] | None = None

    def bindings_changed(self, screen: Screen) -> None:
        shown = tuple(
            (binding.key, binding.description, enabled)
            for _, binding, enabled, _ in screen.active_bindings.values()
            if binding.show
        )
        if shown == self._shown:
            return
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            self._shown = shown  # what Footer is about to rebuild itself with
        super().bindings_changed(screen)
