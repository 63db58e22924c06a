"""The bottom line of keys: the screen's own keys first, then where to go, F1 always.

Textual's Footer lays every shown binding out in a row and cuts the row at the screen's
edge: at 80 columns the sales screen ended in a bare "^q" and F1 never appeared. This bar
shows whole entries only, as many as fit, in the order ``keymap.BAR`` gives for the
screen, with F1 last. It is one line of text redrawn only when it changes (over SSH every
redraw is bytes on the wire).
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Static

from o2pos.tui import keymap

Entry = tuple[str, str]  # (key as shown, what it does)


def fit(entries: list[Entry], last: Entry, width: int) -> list[Entry]:
    """The entries that fit in ``width`` with ``last`` always shown, two spaces apart."""
    shown: list[Entry] = []
    used = len(" ".join(last))
    for entry in entries:
        size = len(" ".join(entry))
        if used + 2 + size > width:
            break
        shown.append(entry)
        used += 2 + size
    return [*shown, last]


class KeyBar(Static):
    DEFAULT_CLASSES = "key-bar"

    def __init__(self, bar: str) -> None:
        super().__init__("")
        self.order = keymap.BAR[bar]
        self.shown: str | None = None

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)
        self.show_keys()

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def on_resize(self) -> None:
        self.show_keys()

    def bindings_changed(self, screen: Screen) -> None:
        self.show_keys()

    def show_keys(self) -> None:
        by_id = {
            active.binding.id: (key, active.binding.description)
            for key, active in self.screen.active_bindings.items()
            if active.binding.id and active.enabled
        }
        entries = [(keymap.short_key(by_id[i][0]), by_id[i][1]) for i in self.order if i in by_id]
        help_key, help_text = by_id.get("help", ("f1", "Keys"))
        shown = fit(entries, (keymap.short_key(help_key), help_text), (self.size.width or 80) - 2)
        text = " " + "  ".join(f"[b]{key}[/b] {label}" for key, label in shown)
        if text != self.shown:
            self.shown = text
            self.update(text, layout=False)
