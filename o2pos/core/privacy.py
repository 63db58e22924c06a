"""Keeping card numbers out of the till.

A card number typed into a reference, a reason or a customer's record would land in the
journal, which is append-only, goes to the back office and (for customers) is published to
every till: it must be refused before anything is written.

What counts as a card number is written for what people actually type: the digits in any
script (full-width, Arabic-Indic, Devanagari ... are read as the digits they are), in
groups separated by anything that is neither a letter nor a digit (spaces, tabs, ``-``,
``/``, ``_``, ``,``, ``.``, up to three of them in a row). Inside such a run, every stretch
of whole groups holding 13 to 19 digits, not starting with 0, is Luhn-checked; one that
passes is a card number. The trade-offs are in ``docs/journal.md``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Mapping

from o2pos.core.errors import ValidationError

# short enough for the till's one notice line at 80 columns, with a field's name after it
CARD_NUMBER_MESSAGE = "That looks like a card number: never type one into the till"
MIN_DIGITS = 13
MAX_DIGITS = 19
# the most non-alphanumeric characters between two groups of one number (" - ", "  /")
MAX_SEPARATOR = 3


def _luhn(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = int(char)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _runs(text: str) -> Iterator[list[str]]:
    """The digit groups of each run: groups joined by at most ``MAX_SEPARATOR`` characters
    that are neither letters nor digits. A letter of any script, or a longer gap, ends it."""
    groups: list[str] = []
    digits: list[str] = []
    gap = 0

    def close() -> list[str]:
        return [*groups, "".join(digits)] if digits else list(groups)

    for char in text:
        value = unicodedata.decimal(char, None)
        if value is not None:
            if gap and digits:
                groups.append("".join(digits))
                digits = []
            digits.append(str(value))
            gap = 0
        elif not (groups or digits):
            continue
        elif char.isalnum() or gap == MAX_SEPARATOR:
            yield close()
            groups, digits, gap = [], [], 0
        else:
            gap += 1
    if groups or digits:
        yield close()


def _candidates(groups: list[str]) -> Iterator[str]:
    """Every stretch of whole consecutive groups with 13 to 19 digits."""
    for start in range(len(groups)):
        number = ""
        for group in groups[start:]:
            number += group
            if len(number) > MAX_DIGITS:
                break
            if len(number) >= MIN_DIGITS:
                yield number


def contains_card_number(text: str | None) -> bool:
    """True when ``text`` holds something that reads as a payment card number.

    Whole groups only: digits glued to a card number without a separator make a longer
    number, which is not checked inside (a 20-digit bank reference would pass Luhn in some
    13-to-19-digit stretch most of the time). A 16-digit reference passes Luhn one time in
    ten and is then refused (the cashier adds a letter); 10-digit phones and 12-digit UPI
    references never are.
    """
    if not text:
        return False
    for groups in _runs(text):
        for number in _candidates(groups):
            if number[0] != "0" and _luhn(number):
                return True
    return False


def refuse_card_numbers(fields: Mapping[str, str | None]) -> None:
    """Raise ``ValidationError`` naming the first field (as the user knows it) that holds a
    card number, so the person fixes the right box."""
    for name, text in fields.items():
        if contains_card_number(text):
            raise ValidationError(f"{CARD_NUMBER_MESSAGE}: see the {name}")
