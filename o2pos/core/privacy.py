"""Keeping card numbers out of the till.

A card number typed into a reference or a reason would land in the journal, which is
append-only and goes to the back office: it must be refused before anything is written.
"""

from __future__ import annotations

import re

CARD_NUMBER_MESSAGE = (
    "That looks like a card number: never type card numbers into the till "
    "(use the terminal's approval code)"
)
# digits, allowing the spaces, dots, dashes and slashes people type between groups
_DIGIT_RUN = re.compile(r"[0-9](?:[ .\-/]?[0-9])+", re.ASCII)


def _luhn(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = int(char)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def contains_card_number(text: str | None) -> bool:
    """True when ``text`` holds 13 to 19 digits in a row (with separators) passing Luhn."""
    if not text:
        return False
    for match in _DIGIT_RUN.finditer(text):
        digits = re.sub(r"[^0-9]", "", match.group())
        for length in range(13, min(19, len(digits)) + 1):
            for start in range(len(digits) - length + 1):
                if _luhn(digits[start : start + length]):
                    return True
    return False
