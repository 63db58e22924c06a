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
# digits, allowing the spaces, dots and dashes people type between groups of a card number
_DIGIT_RUN = re.compile(r"[0-9](?:[ .\-]?[0-9])+", re.ASCII)


def _luhn(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = int(char)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def contains_card_number(text: str | None) -> bool:
    """True when ``text`` holds a run of 13 to 19 digits (with separators) passing Luhn.

    Whole runs only: a random 16-digit bank reference passes Luhn one time in ten and is
    then refused (the cashier adds a letter); 12-digit UPI references never are.
    """
    if not text:
        return False
    for match in _DIGIT_RUN.finditer(text):
        digits = re.sub(r"[^0-9]", "", match.group())
        if 13 <= len(digits) <= 19 and _luhn(digits):
            return True
    return False
