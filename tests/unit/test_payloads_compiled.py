"""The central's compiled payload check (``central.payloads``) answers as the schema walk
(``core.eventschema``) does, for every event type and whatever a payload holds; and a
till's real payload is vouched for in C, without the walk."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from o2pos.central import payloads
from o2pos.core import eventschema
from o2pos.core.eventschema import SCHEMAS, Bool, Int, ListOf, MapOf, Null, Obj, Spec, Text
from o2pos.core.journal import canonical

ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from([0, -1, 1, 2**31 - 1, 2**31, 2**63 - 1, 2**63, -(2**63), 2**70]),
    st.integers(),
    st.text(max_size=300),
    st.sampled_from(["a\x00b", "\\u0000", "x" * 255, "x" * 256, "x" * 36, "x" * 37, "é" * 37]),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def plausible(spec: Spec, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values of ``spec``'s shape, nested objects and lists filled in (mostly right)."""
    if isinstance(spec, Null):
        return st.one_of(st.none(), plausible(spec.inner, depth))
    if isinstance(spec, Int):
        edges = st.sampled_from([spec.low, spec.high])
        return st.one_of(st.integers(spec.low, spec.high), edges)
    if isinstance(spec, Text):
        limit = spec.max_length or 40
        return st.text(st.characters(blacklist_characters="\x00"), max_size=limit)
    if isinstance(spec, Bool):
        return st.booleans()
    if isinstance(spec, ListOf):
        return st.lists(plausible(spec.item, depth + 1), max_size=2 if depth < 3 else 0)
    if isinstance(spec, MapOf):
        return st.dictionaries(st.text(max_size=5), plausible(spec.value, depth + 1), max_size=2)
    assert isinstance(spec, Obj)
    optional = [k for k in spec.fields if k not in spec.needed]
    return st.fixed_dictionaries(
        {k: plausible(spec.fields[k], depth + 1) for k in spec.needed},
        optional={k: plausible(spec.fields[k], depth + 1) for k in optional},
    )


def spoil(data: st.DataObject, value: Any) -> Any:
    """``value`` with one thing wrong (or not) somewhere down in it."""
    if isinstance(value, dict) and value and data.draw(st.booleans(), label="go down"):
        key = data.draw(st.sampled_from(sorted(value)), label="key")
        return {**value, key: spoil(data, value[key])}
    if isinstance(value, list) and value and data.draw(st.booleans(), label="go down"):
        index = data.draw(st.integers(0, len(value) - 1), label="index")
        return [*value[:index], spoil(data, value[index]), *value[index + 1 :]]
    action = data.draw(st.sampled_from(["replace", "drop", "add", "keep"]), label="action")
    if action == "drop" and isinstance(value, dict) and value:
        key = data.draw(st.sampled_from(sorted(value)), label="dropped")
        return {k: v for k, v in value.items() if k != key}
    if action == "add" and isinstance(value, dict):
        return {**value, data.draw(st.text(max_size=8), label="new key"): data.draw(ODD)}
    if action == "replace":
        return data.draw(ODD, label="replaced by")
    return value


@settings(max_examples=600, deadline=None, derandomize=True)
@given(data=st.data())
def test_the_compiled_check_answers_as_the_walk_does(data: st.DataObject) -> None:
    event_type = data.draw(st.sampled_from(sorted(SCHEMAS)), label="event type")
    payload = spoil(data, data.draw(plausible(SCHEMAS[event_type]), label="payload"))
    text = canonical(payload) if isinstance(payload, dict) else None
    assert payloads.problem(event_type, payload, text) == eventschema.problem(
        event_type, payload
    ), (event_type, payload)


SALE = {
    "uuid": "01a23bd8-b88a-74e3-b3ca-f480255b22e7",
    "number": "S-T1-000998",
    "receipt": "R-T1-000998",
    "receipt_uuid": "01a23bd8-b88b-78e2-9f00-c07dea665354",
    "session_id": 1,
    "location": "MAIN",
    "customer": None,
    "lines": [
        {
            "line_no": 1,
            "sku": "STA-001731",
            "name": "Everest Turmeric Powder Lite 100 g",
            "unit": "pcs",
            "qty_milli": 1000,
            "list_price": 3600,
            "unit_price": 3600,
            "price_overridden": False,
            "fixed_gross": None,
            "price_includes_tax": True,
            "tax_class": "GST5",
            "tax_rate_bp": 500,
            "discount_kind": None,
            "discount_value": 0,
            "approved_by": None,
            "price_approved_by": None,
            "lot_no": None,
            "serial": None,
            "gross": 3600,
            "line_discount": 0,
            "order_discount": 0,
            "taxable": 3428,
            "cgst": 86,
            "sgst": 86,
            "igst": 0,
            "total": 3600,
            "hsn": "1006",
            "offer_discount": 0,
            "offers": [],
        }
    ],
    "payments": [
        {"method": "cash", "kind": "cash", "tendered": 3600, "amount": 3600, "reference": None}
    ],
    "subtotal": 3600,
    "discount_total": 0,
    "tax_total": 172,
    "round_off": 0,
    "total": 3600,
    "paid": 3600,
    "balance": 0,
}


def test_a_tills_sale_is_vouched_for_without_the_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    assert eventschema.problem("sale.completed", SALE) is None

    def walked(*args: Any, **kwargs: Any) -> str:
        raise AssertionError("the schema walk ran")

    monkeypatch.setattr(eventschema, "problem", walked)
    assert payloads.problem("sale.completed", SALE, canonical(SALE)) is None


def test_a_nul_in_the_text_is_left_to_the_walk_which_names_it() -> None:
    spoiled = {**SALE, "number": "S-T1\x00"}
    text = canonical(spoiled)
    assert payloads.NUL in text
    assert payloads.problem("sale.completed", spoiled, text) == (
        "payload.number contains a NUL character"
    )


def minimal(spec: Spec) -> Any:
    """The smallest value ``spec`` takes: its needed keys, each at its least."""
    if isinstance(spec, Null):
        return None
    if isinstance(spec, Int):
        return max(spec.low, 0)
    if isinstance(spec, Text):
        return ""
    if isinstance(spec, Bool):
        return False
    if isinstance(spec, ListOf | MapOf):
        return [] if isinstance(spec, ListOf) else {}
    assert isinstance(spec, Obj)
    return {k: minimal(spec.fields[k]) for k in spec.needed}


def beyond(spec: Spec) -> list[Any]:
    """Values just past ``spec``'s bounds, or of the wrong kind."""
    inner = spec.inner if isinstance(spec, Null) else spec
    if isinstance(inner, Int):
        return [inner.low - 1, inner.high + 1, True, "1", None if inner is spec else []]
    if isinstance(inner, Text):
        over = [] if inner.max_length is None else ["x" * (inner.max_length + 1)]
        return [*over, 1, None if inner is spec else [], "a\x00"]
    if isinstance(inner, Bool):
        return [0, "true"]
    return [1, "x"]


def fields_of(spec: Spec, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Spec]]:
    """Every (path, spec) of a leaf in ``spec``, through objects and one item of a list."""
    inner = spec.inner if isinstance(spec, Null) else spec
    if isinstance(inner, Obj):
        found = []
        for key, child in inner.fields.items():
            found += fields_of(child, (*path, key))
        return found
    if isinstance(inner, ListOf):
        return fields_of(inner.item, (*path, 0))
    if isinstance(inner, MapOf):
        return fields_of(inner.value, (*path, "k"))
    return [(path, spec)]


def put(value: Any, spec: Spec, path: tuple[Any, ...], leaf: Any) -> Any:
    """``value`` (grown from ``minimal`` along ``path``) with ``leaf`` at ``path``."""
    if not path:
        return leaf
    inner = spec.inner if isinstance(spec, Null) else spec
    key, rest = path[0], path[1:]
    if isinstance(inner, Obj):
        child = inner.fields[key]
        base = value if isinstance(value, dict) else minimal(inner)
        return {**base, key: put(base.get(key, minimal(child)), child, rest, leaf)}
    item = inner.item if isinstance(inner, ListOf) else inner.value  # type: ignore[union-attr]
    made = put(minimal(item), item, rest, leaf)
    return [made] if isinstance(inner, ListOf) else {key: made}


def test_every_bound_of_every_field_is_kept() -> None:
    """Each leaf of each schema, through objects and lists, just past each of its bounds."""
    differ = []
    for event_type, schema in sorted(SCHEMAS.items()):
        for path, spec in fields_of(schema):
            for bad in beyond(spec):
                payload = put(minimal(schema), schema, path, bad)
                found = eventschema.problem(event_type, payload)
                if payloads.problem(event_type, payload, canonical(payload)) != found:
                    differ.append((event_type, path, bad, found))
    assert differ == []
