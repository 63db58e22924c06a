"""The central's checks on raw request bytes (``central/limits.py``) agree with a parser.

They decide, before the body is parsed, whether a body is too deep or holds too many
values; a miscount either way would refuse a till's batch or let an expensive body through.
Strings full of brackets, quotes and backslashes are where a bytes-level count could go
wrong, so the generated JSON is made of little else.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from o2pos.central import limits
from o2pos.central.limits import body_depth, body_values

tricky = st.text(alphabet='[]{}"\\,: ab\n\u20b9', max_size=12)
scalars = st.none() | st.booleans() | st.integers() | tricky
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(tricky, inner, max_size=4),
    max_leaves=40,
)


def depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    return 0


def values(value: Any) -> int:
    children = value.values() if isinstance(value, dict) else value
    if isinstance(value, dict | list):
        return 1 + sum(map(values, children))
    return 1


@settings(max_examples=400, derandomize=True)
@given(documents, st.booleans(), st.booleans())
def test_the_depth_and_values_counted_on_bytes_are_the_parsed_ones(
    document: Any, compact: bool, ascii_only: bool
) -> None:
    separators = (",", ":") if compact else (", ", ": ")
    text = json.dumps(document, separators=separators, ensure_ascii=ascii_only).encode()
    assert body_depth(text) == depth(document)
    # commas and brackets inside strings count too: never fewer values than there are, and
    # exactly as many once the strings hold none
    assert body_values(text) >= values(document)
    plain = _strip(document)
    assert body_values(json.dumps(plain, separators=separators).encode()) == values(plain)


def _strip(value: Any) -> Any:
    """``value`` with every ``[``, ``{`` and ``,`` taken out of its strings (keys too)."""
    if isinstance(value, str):
        return value.translate({ord(c): None for c in "[{,"})
    if isinstance(value, list):
        return [_strip(v) for v in value]
    if isinstance(value, dict):
        return {_strip(k): _strip(v) for k, v in value.items()}
    return value


@settings(max_examples=300, derandomize=True)
@given(st.lists(documents | st.lists(scalars, max_size=40), min_size=1, max_size=4), st.booleans())
def test_a_body_said_to_be_within_the_payload_limits_holds_no_payload_past_them(
    payloads: list[Any], compact: bool
) -> None:
    """``payloads_within_limits`` lets the central skip walking each payload; it may say
    "not sure" of a good body, never "fine" of a bad one. The limits are made small here so
    that generated payloads cross them."""
    separators = (",", ":") if compact else (", ", ": ")
    events = [{"seq": n, "payload": {"p": p}} for n, p in enumerate(payloads, 1)]
    body = json.dumps({"terminal_id": "T1", "events": events}, separators=separators).encode()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(limits, "MAX_PAYLOAD_VALUES", 20)
        patch.setattr(limits, "MAX_PAYLOAD_DEPTH", 8)  # a payload starts 4 levels down
        if limits.payloads_within_limits(body, limits.check_body(body)):
            for event in events:
                limits.check_payload(event["payload"])  # raises past a limit
