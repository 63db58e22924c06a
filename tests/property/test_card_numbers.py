"""The card-number filter against the ways people (and keyboards) write a card number.

Any Unicode digit script, any short run of separators between groups, words or other
digit groups around it: a Luhn-valid 13-to-19-digit number is found. And what is not a card
number (a phone, anything with fewer than 13 digits) is never refused.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from o2pos.core.privacy import contains_card_number

# the zero of some decimal digit scripts: ASCII, full-width, Arabic-Indic, Extended
# Arabic-Indic (Persian), Devanagari, Bengali, Tamil
ZEROS = [0x30, 0xFF10, 0x0660, 0x06F0, 0x0966, 0x09E6, 0x0BE6]
SEPARATORS = st.text(alphabet=" \t-_,./:;|+*#()'\"\u00a0\u2013", min_size=1, max_size=3)
WORDS = st.text(alphabet=st.characters(categories=["L"]), min_size=1, max_size=8)


def luhn_digit(body: str) -> str:
    total = 0
    for i, char in enumerate(reversed(body)):
        d = int(char)
        if i % 2 == 0:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return str(-total % 10)


@st.composite
def card_numbers(draw: st.DrawFn) -> str:
    length = draw(st.integers(13, 19))
    body = str(draw(st.integers(1, 9))) + "".join(
        draw(st.lists(st.sampled_from("0123456789"), min_size=length - 2, max_size=length - 2))
    )
    return body + luhn_digit(body)


@st.composite
def written(draw: st.DrawFn, digits: str) -> str:
    """``digits`` as someone might type them: in groups, separated, in some script."""
    zero = draw(st.sampled_from(ZEROS))
    script = "".join(chr(zero + int(d)) for d in digits)
    cuts = sorted(draw(st.sets(st.integers(1, len(script) - 1), max_size=6)))
    groups = [script[a:b] for a, b in zip([0, *cuts], [*cuts, len(script)], strict=True)]
    text = groups[0]
    for group in groups[1:]:
        text += draw(SEPARATORS) + group
    return text


@given(st.data(), card_numbers())
def test_a_card_number_is_found_however_it_is_written(data: st.DataObject, card: str) -> None:
    text = data.draw(written(card))
    before = data.draw(
        st.one_of(
            st.just(""),
            WORDS.map(lambda w: w + " "),
            # other digits in the same run, a separator away: found inside the longer run
            st.integers(0, 10**6).flatmap(lambda n: SEPARATORS.map(lambda s: f"{n}{s}")),
        )
    )
    after = data.draw(st.one_of(st.just(""), WORDS, SEPARATORS.map(lambda s: s + "12")))
    assert contains_card_number(before + text + after), before + text + after


@given(st.data(), st.integers(6, 9), st.integers(0, 10**9 - 1), st.booleans())
def test_a_phone_number_is_never_a_card(
    data: st.DataObject, first: int, rest: int, country: bool
) -> None:
    phone = data.draw(written(f"{first}{rest:09d}"))
    text = ("+91 " if country else "") + phone
    assert not contains_card_number(f"call {text} after six")


@given(st.text(max_size=60))
def test_fewer_than_13_digits_are_never_a_card(text: str) -> None:
    digits = sum(1 for c in text if c.isdecimal())
    if digits < 13:
        assert not contains_card_number(text)


@given(
    st.text(alphabet="0123456789 -/_,.\tab", max_size=50),
    st.sampled_from(ZEROS),
)
def test_the_answer_does_not_depend_on_the_digit_script(text: str, zero: int) -> None:
    other = "".join(chr(zero + int(c)) if c.isdigit() else c for c in text)
    assert contains_card_number(other) == contains_card_number(text)
