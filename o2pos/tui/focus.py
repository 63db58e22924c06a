"""Moving the focus on a key, before the keys typed after it are read.

Textual hands each key to the widget that has the focus when the App reads it. A plain
binding, or an Input's own Enter, runs later, when that widget's queue gets to it, and
``Widget.focus()`` waits a turn more: typed fast (a scanner, a quick cashier, a burst over
SSH), "150<Enter>change" left "change" in the amount box. The keys that move the focus are
priority bindings, run while the App reads the key, and move it with ``set_focus`` at once.
"""

from __future__ import annotations

from typing import Any

from textual.actions import SkipAction
from textual.screen import Screen


def hop(screen: Screen[Any], source: str, target: str) -> None:
    """From the widget ``source`` the focus goes to ``target`` now. Anywhere else the key
    steps aside (``SkipAction``) and means what it means there: ↓ moves a list's cursor,
    Enter submits the box it is in."""
    if screen.focused is not screen.query_one(source):
        raise SkipAction()
    screen.set_focus(screen.query_one(target))
