"""GTIN check digits and scale (weighed / price-embedded) barcodes."""

from __future__ import annotations

from dataclasses import dataclass

from o2pos.core.settings import ScaleSettings


def is_digits(text: str) -> bool:
    """ASCII digits only: ``str.isdigit`` also accepts other scripts' digits."""
    return text.isascii() and text.isdigit()


def gtin_check_digit(body: str) -> int:
    """Check digit of a GTIN body (all digits but the last), GS1 mod-10 weights 3,1,3,..."""
    total = 0
    for position, char in enumerate(reversed(body)):
        total += int(char) * (3 if position % 2 == 0 else 1)
    return (10 - total % 10) % 10


def is_valid_gtin(code: str) -> bool:
    """True for an EAN-8, UPC-A, EAN-13 or GTIN-14 whose check digit is right."""
    if not is_digits(code) or len(code) not in (8, 12, 13, 14):
        return False
    return gtin_check_digit(code[:-1]) == int(code[-1])


def normalize_gtin(code: str) -> str:
    """UPC-A (12 digits) is EAN-13 with a leading zero; store and look up the 13-digit form."""
    if len(code) == 12 and is_digits(code):
        return "0" + code
    return code


def make_ean13(body12: str) -> str:
    return body12 + str(gtin_check_digit(body12))


@dataclass(frozen=True)
class ScaleCode:
    item_code: str
    kind: str  # price | weight
    value: int  # paise for price, grams (milli-units of a kg) for weight


def decode_scale_barcode(code: str, scale: ScaleSettings) -> ScaleCode | None:
    """Decode an EAN-13 printed by a scale, or None when ``code`` is not one."""
    if len(code) != 13 or not is_digits(code):
        return None
    for prefix, kind in scale.prefixes.items():
        if code.startswith(prefix):
            if not is_valid_gtin(code):
                return None
            start = len(prefix)
            item = code[start : start + scale.item_digits]
            value_digits = code[
                start + scale.item_digits : start + scale.item_digits + scale.value_digits
            ]
            if len(value_digits) != scale.value_digits:
                return None
            return ScaleCode(item_code=item, kind=kind, value=int(value_digits))
    return None
