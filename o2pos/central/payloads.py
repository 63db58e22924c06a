"""The payload schemas of ``core.eventschema``, checked in C for the central's ingest.

Walking a sale's payload through the schema in Python was the largest single cost of
projecting a batch (~17 µs a sale, more than its SQL); msgspec checks the same rules, built
from the same schema objects, in ~4.5 µs. Only its "it matches" is taken: when it finds a
problem, the walk in Python decides and words the reason, so a flag reads as it always did
and a payload msgspec is stricter about is still projected.

One rule is left out of the compiled form: no text may hold NUL (PostgreSQL refuses it).
msgspec could check it only with a pattern on every string, which cost more than the whole
walk. The payload's canonical text, which ingest has already written for the hash, spells a
NUL ``\\u0000``; a text without that holds no NUL in any string, and only then is the
compiled check used.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from o2pos.core import eventschema
from o2pos.core.eventschema import SCHEMAS, Bool, Int, ListOf, MapOf, Null, Obj, Spec, Text

NUL = "\\u0000"  # how canonical JSON (orjson and json alike) writes a NUL in a string


def _compiled(spec: Spec, name: str) -> Any:
    """The msgspec type that accepts what ``spec`` accepts, NUL aside (the central's reading:
    the keys it needs must be there, keys it does not know are let through)."""
    if isinstance(spec, Int):
        return Annotated[int, msgspec.Meta(ge=spec.low, le=spec.high)]
    if isinstance(spec, Text):
        if spec.max_length is None:
            return str
        return Annotated[str, msgspec.Meta(max_length=spec.max_length)]
    if isinstance(spec, Bool):
        return bool
    if isinstance(spec, Null):
        return _compiled(spec.inner, name) | None
    if isinstance(spec, ListOf):
        return list[_compiled(spec.item, name)]  # type: ignore[misc]
    if isinstance(spec, MapOf):
        return dict[str, _compiled(spec.value, name)]  # type: ignore[misc]
    if isinstance(spec, Obj):
        needed = [(k, _compiled(spec.fields[k], f"{name}_{k}")) for k in spec.needed]
        left_out = [
            (k, _compiled(v, f"{name}_{k}"), None)
            for k, v in spec.fields.items()
            if k not in spec.needed
        ]
        return msgspec.defstruct(name, [*needed, *left_out], forbid_unknown_fields=False)
    # a kind of spec this does not know would pass unchecked: refuse to start instead
    raise TypeError(f"no compiled form for {type(spec).__name__}")


_TYPES = {kind: _compiled(spec, kind.replace(".", "_")) for kind, spec in SCHEMAS.items()}


def problem(event_type: str, payload: Any, text: str | None = None) -> str | None:
    """``eventschema.problem`` (the central's reading), in C when ``text`` (the payload's
    canonical JSON) shows that no string in it holds NUL."""
    kind = _TYPES.get(event_type)
    if kind is not None and text is not None and NUL not in text:
        try:
            msgspec.convert(payload, kind)
        except msgspec.ValidationError:
            pass  # the walk below words it (or finds it fine after all)
        else:
            return None
    return eventschema.problem(event_type, payload)
