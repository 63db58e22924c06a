"""Offers as master data: the JSON the central serves (kind ``offer``), a CSV row of the
central's import, and the till's ``offer`` table the repricing reads after every change.

The engine (``core.offers``) takes ``Offer`` values; this module is the one place that
turns data from outside into them, so a bad offer is refused with its field named when it
is imported or pulled, never half-applied and never a surprise at the counter.
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from datetime import date
from typing import Any

from o2pos.core.errors import ValidationError
from o2pos.core.models import Offer as OfferRow
from o2pos.core.models import sql
from o2pos.core.money import BP, parse_amount, parse_percent, parse_qty
from o2pos.core.offers import KINDS, Offer

# the fields of ``Offer`` as the wire carries them (``code`` is the record's key)
TUPLES = ("skus", "categories", "brands", "get_skus", "groups")
INTS = (
    "value",
    "buy_qty",
    "get_qty",
    "get_off_bp",
    "bundle_price",
    "min_total",
    "min_qty_milli",
    "max_per_bill",
    "priority",
)
BOOLS = ("exclusive", "with_coupons", "active")


def to_data(offer: Offer) -> dict[str, Any]:
    """An offer as JSON-able data (dates as ISO text, tuples as lists), without its code."""
    data = asdict(offer)
    del data["code"]
    for name in ("valid_from", "valid_to"):
        data[name] = data[name].isoformat() if data[name] else None
    for name in (*TUPLES, "days"):
        data[name] = list(data[name])
    data["hours"] = list(offer.hours) if offer.hours is not None else None
    return data


def _bad(code: str, name: str, what: str) -> ValidationError:
    return ValidationError(f"offer {code}: {name} {what}")


def from_data(code: str, data: Any) -> Offer:
    """Check one offer's data and build it; a ValidationError names the field at fault.

    Missing optional fields take the engine's defaults, so an offer written by hand holds
    only what it means.
    """
    if not isinstance(data, dict):
        raise ValidationError(f"offer {code}: data must be an object")
    known = {f.name for f in fields(Offer)} - {"code"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise _bad(code, unknown[0], "is not a field of an offer")
    name, kind = data.get("name"), data.get("kind")
    if not isinstance(name, str) or not name.strip():
        raise _bad(code, "name", "is missing")
    if kind not in KINDS:
        raise _bad(code, "kind", f"must be one of {', '.join(sorted(KINDS))}")
    values: dict[str, Any] = {"code": code, "name": name.strip(), "kind": kind}
    for field_name in TUPLES:
        value = data.get(field_name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise _bad(code, field_name, "must be a list of names")
        values[field_name] = tuple(value)
    for field_name in INTS:
        if field_name in data:
            value = data[field_name]
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise _bad(code, field_name, "must be a whole number, zero or more")
            values[field_name] = value
    for field_name in BOOLS:
        if field_name in data:
            if not isinstance(data[field_name], bool):
                raise _bad(code, field_name, "must be true or false")
            values[field_name] = data[field_name]
    value_kind = data.get("value_kind", "percent")
    if value_kind not in ("percent", "amount"):
        raise _bad(code, "value_kind", "must be percent or amount")
    values["value_kind"] = value_kind
    for field_name in ("valid_from", "valid_to"):
        text = data.get(field_name)
        if text is None:
            continue
        try:
            values[field_name] = date.fromisoformat(text)
        except (TypeError, ValueError):
            raise _bad(code, field_name, "is not a date (YYYY-MM-DD)") from None
    days = data.get("days", [])
    if not isinstance(days, list) or not all(
        isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6 for d in days
    ):
        raise _bad(code, "days", "must be weekdays 0 (Monday) to 6")
    values["days"] = tuple(days)
    hours = data.get("hours")
    if hours is not None:
        if not (
            isinstance(hours, list)
            and len(hours) == 2
            and all(
                isinstance(h, int) and not isinstance(h, bool) and 0 <= h <= 1440 for h in hours
            )
        ):
            raise _bad(code, "hours", "must be [start, end] in minutes from midnight")
        values["hours"] = (hours[0], hours[1])
    offer = Offer(**values)
    _check_kind(offer)
    return offer


def _check_kind(offer: Offer) -> None:
    """What each kind needs to give anything: an offer that can never apply is refused."""
    code = offer.code
    if offer.kind == "percent" and not 0 < offer.value <= BP:
        raise _bad(code, "value", "must be 0.01 % to 100 % (basis points 1 to 10000)")
    if offer.kind in ("amount", "threshold") and offer.value <= 0:
        raise _bad(code, "value", "must be above zero")
    if offer.kind == "threshold" and offer.value_kind == "percent" and offer.value > BP:
        raise _bad(code, "value", "must be at most 100 % (10000 basis points)")
    if offer.kind == "buy_get" and (offer.buy_qty <= 0 or offer.get_qty <= 0):
        raise _bad(code, "buy_qty and get_qty", "must both be above zero")
    if offer.kind == "buy_get" and not 0 < offer.get_off_bp <= BP:
        raise _bad(code, "get_off_bp", "must be 1 to 10000 (10000: free)")
    if offer.kind == "bundle" and (len(offer.skus) < 2 or offer.bundle_price <= 0):
        raise _bad(code, "skus and bundle_price", "a bundle needs two products or more and a price")
    if offer.valid_from and offer.valid_to and offer.valid_to < offer.valid_from:
        raise _bad(code, "valid_to", "is before valid_from")


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.replace(";", "|").split("|") if part.strip()]


def from_csv_row(row: dict[str, str]) -> tuple[str, dict[str, Any]]:
    """One row of an offers CSV (``docs/offers.md``): code, name, kind, value (a percent
    such as ``10`` or an amount such as ``50.00``, as the kind says), and optional columns
    for the rest; lists are separated by ``|``. Returns the code and the offer's data."""
    code = (row.get("code") or "").strip().upper()
    if not code:
        raise ValidationError("an offer needs a code")
    kind = (row.get("kind") or "").strip()
    value_kind = (row.get("value_kind") or "").strip() or (
        "amount" if kind == "amount" else "percent"
    )
    text = (row.get("value") or "").strip()
    data: dict[str, Any] = {"name": (row.get("name") or "").strip(), "kind": kind}
    try:
        if text:
            data["value"] = parse_amount(text) if value_kind == "amount" else parse_percent(text)
        data["value_kind"] = value_kind
        for money in ("bundle_price", "min_total"):
            if (row.get(money) or "").strip():
                data[money] = parse_amount(row[money].strip())
        for number in ("buy_qty", "get_qty", "max_per_bill", "priority"):
            if (row.get(number) or "").strip():
                data[number] = int(row[number])
        if (row.get("get_off") or "").strip():  # percent off the Y units (100: free)
            data["get_off_bp"] = parse_percent(row["get_off"])
        if (row.get("min_qty") or "").strip():
            data["min_qty_milli"] = parse_qty(row["min_qty"].strip())
        if (row.get("days") or "").strip():
            data["days"] = [int(d) for d in _names(row["days"])]
        if (row.get("hours") or "").strip():  # HH:MM-HH:MM
            start, end = row["hours"].strip().split("-")
            data["hours"] = [_minutes(start), _minutes(end)]
    except (ValueError, ValidationError) as exc:
        raise ValidationError(f"offer {code}: {exc}") from None
    for names in TUPLES:
        if (row.get(names) or "").strip():
            data[names] = _names(row[names])
    for day in ("valid_from", "valid_to"):
        if (row.get(day) or "").strip():
            data[day] = row[day].strip()
    data["active"] = True  # the master record always says; a row may switch it off
    for flag in ("exclusive", "with_coupons", "active"):
        if (row.get(flag) or "").strip():
            data[flag] = row[flag].strip().lower() in ("yes", "true", "1")
    from_data(code, data)  # refused here, with the field named, not at a till
    return code, data


def _minutes(text: str) -> int:
    hour, minute = text.strip().split(":")
    return int(hour) * 60 + int(minute)


def store(code: str, data: dict[str, Any]) -> None:
    """Insert or change one offer in the till's table (inside the caller's transaction)."""
    offer = from_data(code, data)
    row = {
        "name": offer.name,
        "kind": offer.kind,
        "active": offer.active,
        "data": json.dumps(data, sort_keys=True),
    }
    if not OfferRow.update(**row).where(OfferRow.code == code).execute():
        OfferRow.insert(code=code, **row).execute()


# parsed offers by their stored JSON: a scan reads the table, not the JSON, again
_PARSED: dict[tuple[str, str], Offer] = {}


def active_offers() -> list[Offer]:
    """The till's active offers, in code order (the engine decides which qualify now)."""
    offers = []
    for code, text in sql("SELECT code, data FROM offer WHERE active ORDER BY code").fetchall():
        offer = _PARSED.get((code, text))
        if offer is None:
            if len(_PARSED) > 10_000:
                _PARSED.clear()
            offer = _PARSED[(code, text)] = from_data(code, json.loads(text))
        offers.append(offer)
    return offers


def listing() -> list[tuple[str, str, str, bool]]:
    """Every offer this till holds: code, name, kind, active."""
    rows = sql("SELECT code, name, kind, active FROM offer ORDER BY code").fetchall()
    return [(code, name, kind, bool(active)) for code, name, kind, active in rows]
