"""The journal's canonical JSON is written by orjson, and the entry's hash around the
payload's text: both must stay byte for byte what the plain definition gives, or a till and
a central of different builds would disagree on every hash (and old chains would break)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from o2pos.core.journal import canonical, hash_with_payload

# every code point, surrogates and control characters included
TEXT = st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF, categories=None))
SCALARS = st.none() | st.booleans() | st.integers() | st.integers(-(2**70), 2**70) | TEXT
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=25,
)


def plain(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@settings(max_examples=400, deadline=None)
@given(VALUES)
def test_canonical_is_the_plain_definition(value: Any) -> None:
    assert canonical(value, check=False) == plain(value)


@settings(max_examples=200, deadline=None)
@given(
    payload=st.dictionaries(TEXT, VALUES, max_size=5),
    seq=st.integers(1, 2**62),
    texts=st.lists(TEXT, min_size=5, max_size=5),
    employee=st.none() | TEXT,
    approved=st.none() | TEXT,
)
def test_the_hash_is_sha256_of_the_whole_entry_in_canonical_json(
    payload: dict[str, Any], seq: int, texts: list[str], employee: str | None, approved: str | None
) -> None:
    event_id, terminal, event_type, created, prev = texts
    entry = {
        "seq": seq,
        "event_id": event_id,
        "terminal_id": terminal,
        "event_type": event_type,
        "created_at": created,
        "employee_id": employee,
        "approved_by": approved,
        "payload": payload,
        "prev_hash": prev,
    }
    try:
        expected = hashlib.sha256((prev + plain(entry)).encode("utf-8")).hexdigest()
    except UnicodeEncodeError:  # a lone surrogate cannot be hashed: refused alike
        expected = None
    try:
        got: tuple[str, str] | None = hash_with_payload(**entry, check=False)
    except UnicodeEncodeError:
        got = None
    assert (got and got[0]) == expected
    if got is not None:
        assert got[1] == plain(payload)


class _Int(int):
    """An int subclass: not a plain leaf, so it takes the full check (and passes it)."""


# floats, non-text keys, tuples and int subclasses among the plain values: what the checked
# canonical must refuse, or pass, exactly as the full walk does
MIXED_SCALARS = SCALARS | st.floats(allow_nan=True) | st.integers().map(_Int)
MIXED = st.recursive(
    MIXED_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=4).map(tuple)
        | st.dictionaries(TEXT | st.integers(), inner, max_size=4)
    ),
    max_leaves=25,
)


def _has_float_or_odd_key(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(not isinstance(k, str) or _has_float_or_odd_key(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_float_or_odd_key(v) for v in value)
    return False


@settings(max_examples=400, deadline=None)
@given(MIXED)
def test_checked_canonical_refuses_a_float_or_a_non_text_key_wherever_it_is(value: Any) -> None:
    """The check's quick pass over plain values must never let through what the full
    walk refuses (a float deep in a list in a tuple, NaN, a number as a key)."""
    refused = False
    try:
        canonical(value)
    except TypeError:
        refused = True
    assert refused == _has_float_or_odd_key(value)
