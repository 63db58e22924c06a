import pytest

from o2pos.core.errors import ValidationError
from o2pos.core.money import (
    div_round,
    format_amount,
    format_percent,
    format_qty,
    line_amount,
    parse_amount,
    parse_percent,
    parse_qty,
)


@pytest.mark.parametrize(
    ("text", "minor"),
    [
        ("120", 12000),
        ("120.5", 12050),
        ("120.05", 12005),
        ("1,200.50", 120050),
        (" 0 ", 0),
        ("₹99", 9900),
    ],
)
def test_amounts_typed_by_a_cashier_become_minor_units(text: str, minor: int) -> None:
    assert parse_amount(text) == minor


@pytest.mark.parametrize("text", ["12a", "", "1.234", "1e3", "12.3.4", "nan", "١٢"])
def test_bad_amounts_are_refused_with_a_message(text: str) -> None:
    with pytest.raises(ValidationError, match="not an amount"):
        parse_amount(text)


def test_zero_amount_refused_where_it_makes_no_sense() -> None:
    with pytest.raises(ValidationError, match="more than zero"):
        parse_amount("0.00", allow_zero=False)


def test_format_amount() -> None:
    assert format_amount(1234550) == "12,345.50"
    assert format_amount(-5) == "-0.05"
    assert format_amount(100000, grouping=False) == "1000.00"


@pytest.mark.parametrize(("text", "milli"), [("2", 2000), ("0.75", 750), ("1.235", 1235)])
def test_quantities_are_exact_milli_units(text: str, milli: int) -> None:
    assert parse_qty(text) == milli
    assert parse_qty(format_qty(milli)) == milli


def test_a_quantity_below_zero_reads_as_one() -> None:
    assert [format_qty(m) for m in (-250, -1000, -1750)] == ["-0.25", "-1", "-1.75"]


@pytest.mark.parametrize("text", ["0", "0.000", "-1", "1.2345", "two", ""])
def test_bad_quantities_refused(text: str) -> None:
    with pytest.raises(ValidationError):
        parse_qty(text)


def test_rounding_is_half_away_from_zero() -> None:
    assert div_round(5, 10) == 1
    assert div_round(4, 10) == 0
    assert div_round(-5, 10) == -1
    assert div_round(15, 10) == 2
    assert line_amount(3800, 755) == 2869  # 28.69 for 0.755 kg at 38.00/kg


def test_percentages() -> None:
    assert parse_percent("12.5") == 1250
    assert parse_percent("10%") == 1000
    assert format_percent(1250) == "12.5%"
    assert format_percent(500) == "5%"
    with pytest.raises(ValidationError):
        parse_percent("101")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("-100", "'-100' is below zero: an amount here is never negative"),
        ("-", "'-' is not an amount (digits, at most 2 decimals)"),
        ("-0", "'-0' is not an amount (digits, at most 2 decimals)"),
        ("-abc", "'-abc' is not an amount (digits, at most 2 decimals)"),
        ("999999999999999", "'999999999999999' is too large for an amount"),
        ("9999999999999.50", "'9999999999999.50' is too large for an amount"),
        ("12.345", "'12.345' is not an amount (digits, at most 2 decimals)"),
        ("12O", "'12O' is not an amount (digits, at most 2 decimals)"),
    ],
)
def test_a_refused_amount_says_what_to_type_instead(text: str, message: str) -> None:
    """A minus or a number too long was 'not an amount', which sends a cashier hunting for
    a typo; each says what it is."""
    with pytest.raises(ValidationError) as refused:
        parse_amount(text)
    assert str(refused.value) == message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("-2", "'-2' is below zero: a quantity here is never negative"),
        ("12345678901", "'12345678901' is too large for a quantity"),
        ("two", "'two' is not a quantity (digits, at most 3 decimals)"),
    ],
)
def test_a_refused_quantity_says_what_to_type_instead(text: str, message: str) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_qty(text)
    assert str(refused.value) == message
