"""Money and quantities as integers.

Money is an integer count of minor units (paise); quantities are integer thousandths
("milli-units"), so a weighed item of 1.235 kg is exactly 1235. Every division rounds half
away from zero to the nearest unit, the rule used on Indian GST invoices, and it is the only
rounding rule in o2pos: see ``docs/taxes.md``.
"""

from __future__ import annotations

import re

from o2pos.core.errors import ValidationError

MINOR_PER_UNIT = 100
MILLI = 1000
BP = 10_000  # basis points in 100 %
# the most a cashier can type (12 digits of rupees, 2 of paise), and the most a line or a
# bill may come to: far inside the 64-bit integers money is stored as
MAX_AMOUNT = 10**14 - 1

_AMOUNT = re.compile(r"^(?P<units>\d{1,12})(?:\.(?P<frac>\d{0,2}))?$", re.ASCII)
_QTY = re.compile(r"^(?P<units>\d{1,9})(?:\.(?P<frac>\d{0,3}))?$", re.ASCII)
_PERCENT = re.compile(r"^(?P<units>\d{1,3})(?:\.(?P<frac>\d{0,2}))?$", re.ASCII)


def div_round(numerator: int, denominator: int) -> int:
    """Divide and round half away from zero, in exact integer arithmetic."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    sign = -1 if numerator < 0 else 1
    q, r = divmod(abs(numerator), denominator)
    if 2 * r >= denominator:
        q += 1
    return sign * q


def parse_amount(text: str, *, allow_zero: bool = True) -> int:
    """Turn what a cashier typed ("120", "120.5", "1,200.50") into minor units."""
    cleaned = text.strip().replace(",", "").replace("₹", "")
    match = _AMOUNT.match(cleaned)
    if not match:
        raise ValidationError(_not_a_number(text.strip(), cleaned, "an amount", "2 decimals", 12))
    frac = (match["frac"] or "").ljust(2, "0")
    value = int(match["units"]) * MINOR_PER_UNIT + int(frac)
    if value == 0 and not allow_zero:
        raise ValidationError("The amount must be more than zero")
    return value


def format_amount(minor: int, *, grouping: bool = True) -> str:
    """1234550 -> '12,345.50'."""
    sign = "-" if minor < 0 else ""
    units, cents = divmod(abs(minor), MINOR_PER_UNIT)
    units_text = f"{units:,}" if grouping else str(units)
    return f"{sign}{units_text}.{cents:02d}"


def format_minus(minor: int) -> str:
    """Money going out, shown with a minus: '-189.00'; nothing out is '0.00', never '-0.00'."""
    return format_amount(-minor)


def parse_qty(text: str) -> int:
    """Turn "2" or "0.750" into milli-units; zero and negatives are refused."""
    cleaned = text.strip()
    match = _QTY.match(cleaned)
    if not match:
        raise ValidationError(_not_a_number(cleaned, cleaned, "a quantity", "3 decimals", 9))
    value = int(match["units"]) * MILLI + int((match["frac"] or "").ljust(3, "0"))
    if value <= 0:
        raise ValidationError("The quantity must be more than zero")
    return value


def _not_a_number(typed: str, cleaned: str, what: str, decimals: str, digits: int) -> str:
    """Why ``typed`` was refused, in the words that tell the cashier what to type instead:
    a minus, or more than ``digits`` digits before the point, is said as such."""
    rest = cleaned[1:]
    if cleaned.startswith("-") and rest.replace(".", "", 1).isdigit() and rest.strip("0."):
        return f"'{typed}' is below zero: {what} here is never negative"
    units, _, frac = cleaned.partition(".")
    if len(units) > digits and (units + frac).isdigit() and (units + frac).isascii():
        return f"'{typed}' is too large for {what}"
    return f"'{typed}' is not {what} (digits, at most {decimals})"


def format_qty(milli: int) -> str:
    """1000 -> '1', 1250 -> '1.25', 1235 -> '1.235', -250 -> '-0.25' (a difference, a
    stock level gone below zero)."""
    if milli < 0:
        return "-" + format_qty(-milli)
    units, frac = divmod(milli, MILLI)
    if frac == 0:
        return str(units)
    return f"{units}.{frac:03d}".rstrip("0")


def parse_percent(text: str) -> int:
    """'12.5' -> 1250 basis points; more than 100 % is refused."""
    cleaned = text.strip().rstrip("%").strip()
    match = _PERCENT.match(cleaned)
    if not match:
        raise ValidationError(f"'{text.strip()}' is not a percentage")
    value = int(match["units"]) * 100 + int((match["frac"] or "").ljust(2, "0"))
    if value > BP:
        raise ValidationError("A percentage cannot be more than 100")
    return value


def format_percent(bp: int) -> str:
    units, frac = divmod(bp, 100)
    return f"{units}%" if frac == 0 else f"{units}.{frac:02d}".rstrip("0") + "%"


def line_amount(unit_price: int, qty_milli: int) -> int:
    """Price of a quantity: unit price × qty, rounded to the paisa."""
    return div_round(unit_price * qty_milli, MILLI)
