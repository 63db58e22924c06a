"""How much one request may ask of the central, and the checks that keep it to that.

A request is held in memory whole while it is parsed and validated, so its cost must be a
small multiple of its size whatever its shape. Two stages:

- ``check_body`` runs on the raw bytes, before ``json.loads``: it refuses bodies nested
  deeper than ``MAX_DEPTH`` (Python's parser recurses, and a deep body would end in a
  ``RecursionError``) and bodies of more than ``MAX_VALUES`` values (each parsed value is a
  Python object of 30 to 70 bytes, so a body of two-byte values ``[0,0,…]`` or ``[[],[],…]``
  would cost twenty to thirty times its size). It uses only C-speed bytes operations.
- ``check_payload`` runs per event on the parsed payload: no floats, at most
  ``MAX_PAYLOAD_DEPTH`` levels and ``MAX_PAYLOAD_VALUES`` values. It walks the payload once,
  without recursion, stops at the first problem and only then builds its path. The walk
  costs more than the rest of checking a batch, and it cannot fail on a body that holds no
  float (its parser says so, ``api.JsonRequest``), is no deeper than a payload may be, and
  whose payloads' bytes count no more values than one may hold (``payloads_within_limits``):
  for such a request ``PAYLOADS_CHECKED`` is set and the walk is skipped.

The till's largest payloads (a sale: 4 levels, about 35 values per line) are far below each
limit; ``docs/protocol.md`` lists them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

import msgspec

MAX_BODY = 16 * 1024 * 1024
MAX_DEPTH = 64  # a push is 4 levels down to a payload: room for MAX_PAYLOAD_DEPTH and more
MAX_VALUES = 512 * 1024  # a till batch averages 17 bytes a value: 8 MiB of sales (issue 12)
MAX_PAYLOAD_DEPTH = 32
MAX_PAYLOAD_VALUES = 64 * 1024  # a sale is about 35 values a line: 1,800 lines

_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')
_STRING = re.compile(rb'"[^"]*"')  # once escapes and all else are gone
_STEP = tuple(1 if b in b"[{" else -1 for b in range(256))


# whether the request being handled holds no float and fits one payload's limits as a whole
PAYLOADS_CHECKED: ContextVar[bool] = ContextVar("payloads_checked", default=False)


@dataclass(frozen=True)
class BodyFacts:
    """What ``check_body`` found: the body's values (an upper bound) and depth."""

    values: int
    depth: int


class _Payload(msgspec.Struct):
    payload: msgspec.Raw


class _Push(msgspec.Struct):
    events: list[_Payload]


_PAYLOADS = msgspec.json.Decoder(_Push)  # each payload's own bytes, found but not parsed


def payloads_within_limits(body: bytes, facts: BodyFacts) -> bool:
    """Whether no event payload of a push body can pass a payload's depth or values (floats
    are the parser's to tell): none is deeper than the body, and each payload's bytes count
    its values as ``body_values`` counts a body's. False when in doubt."""
    if facts.depth > MAX_PAYLOAD_DEPTH:
        return False
    if facts.values <= MAX_PAYLOAD_VALUES:
        return True
    try:
        events = _PAYLOADS.decode(body).events
    except (msgspec.DecodeError, msgspec.ValidationError):
        return False
    return all(body_values(bytes(event.payload)) <= MAX_PAYLOAD_VALUES for event in events)


class TooMuch(Exception):
    """A request beyond one of the limits: the HTTP status, error code and a sentence."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def check_body(body: bytes) -> BodyFacts:
    """Refuse a body too deep or of too many values to parse; a cost linear in its size.

    Malformed JSON passes when it is within the limits: the parser that follows refuses it.
    """
    # commas and openings alone bound the values from above; taking off the empty
    # containers (two slower two-byte searches) matters only near a limit
    values = 1 + body.count(b",") + body.count(b"[") + body.count(b"{")
    if values > MAX_PAYLOAD_VALUES:
        values = body_values(body)
    if values > MAX_VALUES:
        raise TooMuch(413, "too_large", f"A request body holds at most {MAX_VALUES} JSON values")
    depth = body_depth(body)
    if depth > MAX_DEPTH:
        raise TooMuch(422, "too_deep", f"A request body is nested at most {MAX_DEPTH} levels deep")
    return BodyFacts(values, depth)


def body_values(body: bytes) -> int:
    """The values of a JSON text (an object's key and value count once), from its bytes.

    A container of k values holds k - 1 commas, so the values of a compact text are
    1 + commas + the non-empty containers; blanks, commas or brackets inside strings only
    ever make the count larger.
    """
    opened = body.count(b"[") + body.count(b"{")
    return 1 + body.count(b",") + opened - body.count(b"[]") - body.count(b"{}")


def body_depth(body: bytes) -> int:
    """How deep a JSON text nests (a scalar: 0), from its bytes, without parsing it."""
    # the brackets outside strings: escaped backslashes and quotes go first (left to right,
    # as a parser pairs them), then everything but quotes and brackets; two quotes side by
    # side then close one string and open the next, or hold an empty one: dropping them
    # keeps every bracket on its side, and leaves only strings that hold brackets to remove
    unescaped = body.replace(b"\\\\", b"").replace(b'\\"', b"") if b"\\" in body else body
    brackets = unescaped.translate(None, _NOT_STRUCTURE).replace(b'""', b"")
    if b'"' in brackets:
        brackets = _STRING.sub(b"", brackets)
    # the running sum of +1 per opening and -1 per closing bracket, in C: no loop in Python
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def check_payload(payload: dict[str, Any]) -> None:
    """Refuse a payload with a float, deeper than MAX_PAYLOAD_DEPTH or of more values than
    MAX_PAYLOAD_VALUES.

    Raises ``ValueError`` (pydantic turns it into a 422) naming where the problem is.
    """
    keys: list[str | int] = []  # where the walk is: the key of each open level
    levels: list[Iterator[tuple[Any, Any]]] = [iter(payload.items())]
    values = 1
    while levels:
        for key, value in levels[-1]:
            values += 1
            if values > MAX_PAYLOAD_VALUES:
                raise ValueError(f"payload holds more than {MAX_PAYLOAD_VALUES} values")
            if isinstance(value, float):
                raise ValueError(
                    f"{_path([*keys, key])} is a float; money and quantities are whole numbers"
                )
            if isinstance(value, dict | list):
                if len(levels) >= MAX_PAYLOAD_DEPTH:
                    raise ValueError(
                        f"{_path([*keys, key])} is nested deeper than {MAX_PAYLOAD_DEPTH} levels"
                    )
                keys.append(key)
                levels.append(iter(value.items()) if isinstance(value, dict) else enumerate(value))
                break
        else:
            levels.pop()
            if keys:
                keys.pop()


def _path(keys: list[str | int]) -> str:
    """``payload.lines[0].qty``: built once, for the value that is refused."""
    return "payload" + "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in keys)
