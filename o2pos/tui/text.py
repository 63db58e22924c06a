"""Fitting text into the till's narrow columns."""

from __future__ import annotations


def shorten(text: str, width: int) -> str:
    """``text`` in at most ``width`` characters, cut in the middle so its end survives.

    Products differ at the end of their names more than anywhere ("… Family Pack 280 g"
    and "… Family Pack 560 g"): a plain cut made two packs look the same on the bill.
    """
    if len(text) <= width:
        return text
    words = text.split(" ")
    tail = " " + " ".join(words[-2:]) if len(words) > 2 else ""
    if not tail or len(tail) > width // 2:
        tail = text[len(text) - width // 3 :] if width >= 9 else ""
    head = text[: width - 1 - len(tail)].rstrip()
    return f"{head}…{tail}"


def escape(text: str) -> str:
    """``text`` as itself inside Textual markup: every ``[`` escaped.

    ``textual.markup.escape`` and ``rich.markup.escape`` escape only what reads as a whole
    tag: a customer named "Ravi [bulk" still opened a tag, the markup around it failed to
    parse, and the screen showing it raised ``MarkupError`` (the totals kept the last
    bill's figures). A backslash before every ``[`` leaves nothing to read as a tag.
    """
    return text.replace("[", "\\[")
