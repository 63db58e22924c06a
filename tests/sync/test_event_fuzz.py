"""A hypothesis fuzzer: hash-correct events with odd payloads, posted to a live central.

Every event continues the terminal's chain from the central's head with the hash its
content calls for, so the central has no protocol reason to refuse it; only its payload is
odd: wrong types, lists and objects where scalars belong, numbers past any column, true and
false, NUL, long text, nesting, keys dropped or added, for every event type. Each batch ends
with a normal cash sale. What must hold, for every batch:

- the answer is 200 (never a 5xx: a till retries those for ever) and the head advances to
  the batch's last event: everything is stored;
- an event whose payload its type's schema refuses is flagged with that reason and nothing
  of it is in the reporting tables;
- the normal sale behind it is projected.

Derandomized with a fixed number of examples, so CI runs the same batches every time, in
a few seconds.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from o2pos.central import models as cm
from o2pos.core import eventschema as es
from o2pos.core.journal import EVENT_TYPES
from tests.sync.chain import Chain, sale_payload
from tests.sync.conftest import Central

EXAMPLES = 100
DEEPEST = 12  # nesting well inside what a request may carry

EDGES = [0, -1, 1, 2**31 - 1, 2**31, 2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 10**30]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from(EDGES),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.text(max_size=8),
    st.text(alphabet=st.sampled_from("a\x00\n\u00e9\u20b9"), min_size=1, max_size=4),
    st.integers(min_value=256, max_value=400).map(lambda n: "x" * n),
)


def _nest(depth: int, leaf: Any, as_list: bool) -> Any:
    for _ in range(depth):
        leaf = [leaf] if as_list else {"k": leaf}
    return leaf


odd = st.one_of(
    scalars,
    st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
        max_leaves=6,
    ),
    st.builds(_nest, st.integers(1, DEEPEST), scalars, st.booleans()),
)


def _merged(extra: dict[str, Any], known: dict[str, Any]) -> dict[str, Any]:
    """Keys the schema knows, and odd keys it does not (a newer till's, or garbage)."""
    return {**extra, **known}


def shaped(spec: es.Spec) -> st.SearchStrategy[Any]:
    """Values of the spec's own shape, whose parts may each be odd."""
    if isinstance(spec, es.Int):
        return st.integers(spec.low, spec.high) | st.sampled_from([spec.low, spec.high])
    if isinstance(spec, es.Text):
        return st.text(max_size=min(spec.max_length or 12, 12))
    if isinstance(spec, es.Bool):
        return st.booleans()
    if isinstance(spec, es.Null):
        return st.none() | value(spec.inner)
    if isinstance(spec, es.ListOf):
        return st.lists(value(spec.item), max_size=3)
    if isinstance(spec, es.MapOf):
        return st.dictionaries(st.text(max_size=6), value(spec.value), max_size=3)
    assert isinstance(spec, es.Obj), spec
    known = st.fixed_dictionaries({}, optional={k: value(s) for k, s in spec.fields.items()})
    extra = st.dictionaries(st.text(max_size=6), odd, max_size=2)
    return st.builds(_merged, extra, known)


def value(spec: es.Spec) -> st.SearchStrategy[Any]:
    return st.deferred(lambda: shaped(spec) | odd)


payloads = {kind: shaped(es.SCHEMAS[kind]) for kind in sorted(EVENT_TYPES)}
events = st.sampled_from(sorted(EVENT_TYPES)).flatmap(
    lambda kind: st.tuples(st.just(kind), payloads[kind] | st.dictionaries(st.text(), odd))
)


def projected_rows(event_id: int) -> int:
    """Reporting rows made from one stored event."""
    return sum(
        model.select().where(model.event == event_id).count()
        for model in (cm.Sale, cm.Payment, cm.Return)
    )


@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(batch=st.lists(events, min_size=1, max_size=3))
def test_odd_payloads_with_correct_hashes_are_stored_and_never_a_5xx(
    central: Central, batch: list[tuple[str, dict[str, Any]]]
) -> None:
    name, token = central.register()  # a terminal of its own: each example from seq 1
    with httpx.Client(base_url=central.url, timeout=30) as http:
        chain = Chain(central, http, name, token)
        sent = [chain.event(kind, payload) for kind, payload in batch]
        good = sale_payload()
        answer = chain.stored([*sent, chain.event("sale.completed", good)])
    central.bind()
    stored = dict(
        cm.Event.select(cm.Event.seq, cm.Event.id).where(cm.Event.terminal == name).tuples()
    )
    flags = chain.flags()
    # PostgreSQL keeps no NUL in text: a reason quoting a key from the payload must escape it
    assert not any("\x00" in flag for flag in flags.values())
    for event in sent:
        found = es.problem(event["event_type"], event["payload"])
        if found is not None:
            assert event["seq"] in answer["flagged"]
            assert flags[event["seq"]] == f"not projected: {found}"
            assert projected_rows(stored[event["seq"]]) == 0
    sale = chain.sale(good["uuid"])
    assert sale is not None and (sale.total, sale.paid, sale.balance) == (100, 100, 0)


@pytest.mark.parametrize("fill", [[], {"k": [1]}, True, 2**63, "\x00", None], ids=repr)
def test_every_field_of_every_type_odd_at_once_is_stored_and_flagged(
    central: Central, fill: Any
) -> None:
    """Beside the fuzzer's draws, each type for certain: every key of its schema set odd."""
    name, token = central.register()
    with httpx.Client(base_url=central.url, timeout=30) as http:
        chain = Chain(central, http, name, token)
        sent = [
            chain.event(kind, dict.fromkeys(es.SCHEMAS[kind].fields, fill))
            for kind in sorted(EVENT_TYPES)
        ]
        good = sale_payload()
        answer = chain.stored([*sent, chain.event("sale.completed", good)])
    # no type takes this fill for every one of its keys: each event is refused by its schema
    assert all(es.problem(e["event_type"], e["payload"]) for e in sent)
    assert answer["flagged"] == [e["seq"] for e in sent]
    flags = chain.flags()
    assert all(flags[e["seq"]].startswith("not projected: payload.") for e in sent)
    assert chain.sale(good["uuid"]) is not None


# every key some event type's schema knows: the projection reads some of them batch-wide
KEYS = sorted({key for schema in es.SCHEMAS.values() for key in schema.fields})
FOREIGN_FILLS = [
    7,
    2**63,
    "x",
    [[1]],
    {"k": 1},
    [{"sale_uuid": 7, "kind": 1, "reference": 2, "amount": 1, "reservation_id": [1]}],
    [{"sale_uuid": {"k": 1}, "kind": "gift_voucher", "reference": ["x"], "amount": 1}],
]


@pytest.mark.parametrize("fill", FOREIGN_FILLS, ids=repr)
def test_keys_of_another_type_on_an_event_are_stored_and_never_a_5xx(
    central: Central, fill: Any
) -> None:
    """A key its own type's schema does not know passes (a newer till may add some): the
    projection must not read it as it would on the type that has it (``allocations`` of a
    receipt, ``payments``, ``session_id``), or one odd event is a 5xx a till retries for ever."""
    name, token = central.register()
    foreign = {
        kind: {key: fill for key in KEYS if key not in es.SCHEMAS[kind].fields}
        for kind in sorted(EVENT_TYPES)
    }
    # the types whose payload may be this alone and still match their schema
    passing = [kind for kind, payload in foreign.items() if es.problem(kind, payload) is None]
    assert len(passing) >= 10, passing  # login.succeeded, receipt.recorded, sale.voided, ...
    good = sale_payload()
    odd_sale = {**foreign["sale.completed"], **sale_payload()}
    assert es.problem("sale.completed", odd_sale) is None
    with httpx.Client(base_url=central.url, timeout=30) as http:
        chain = Chain(central, http, name, token)
        sent = [chain.event(kind, foreign[kind]) for kind in passing]
        answer = chain.stored(
            [*sent, chain.event("sale.completed", odd_sale), chain.event("sale.completed", good)]
        )
    assert answer["flagged"] == [], answer
    for uuid_ in (odd_sale["uuid"], good["uuid"]):
        sale = chain.sale(uuid_)
        assert sale is not None and (sale.total, sale.paid) == (100, 100)
