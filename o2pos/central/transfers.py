"""Stock transfers between the locations of a store, as the central keeps them.

Projected from the tills' events (``projection.py`` hands each ``transfer.sent`` and
``transfer.received`` here): one ``stock_transfer`` row per transfer, sent, then received
with what arrived short or over. The lines are read from the events as stored (a sent
transfer never changes, so the event is the record). A transfer belongs to the sending
till's store and to its destination's (``stock.location_store``: the same store, unless
the location is registered as another's): the destination store's terminals list what was
sent to a location, fetch one transfer by its number or uuid (which is how the receiving
till learns of it) and receive it; the sender's may fetch it too.

Receiving is claimed first, as paying another till's order is (``orders.py``): the till
that opens a transfer to receive it holds a lease on it (``claim``, idempotent by the
claim id the till picks), so a second till of the location is told who is receiving it,
and once the receipt is projected the transfer answers "received". A receipt is a physical
count that adds stock on hand: doing it twice would count the goods twice, and the till
needs the central anyway to learn what was sent, so the claim costs no offline ability.
What slips past it (a lease run out while both tills were offline) is still accepted and
flagged ``received twice``, never refused: the goods were counted, the record must say so.

The central's stock levels (``stock.py``) are projected from the same events elsewhere;
nothing here writes a level. Lock order inside an ingest (PostgreSQL): the batch takes the
master counter before it stages its first event (``projection.BatchProjector.run``), a
transfer's row is written while its event is staged, and then come the levels
(``stock.py``); a claim locks that row alone, so neither waits on the other in a cycle.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from peewee import IntegrityError

from o2pos.core.eventschema import INT64

from .models import Event, StockTransfer, Terminal, central_db
from .orders import OrderRefusal
from .stock import location_store
from .store import is_postgres, now, write

RECEIVED_TWICE = "received twice"  # the flag's words that ``central stats`` counts
MAX_LEASE = 600
DEFAULT_LEASE = 300  # counting a delivery takes longer than paying a bill
MAX_LIST = 100
STATES = ("sent", "received", "all")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

Flags = list[str]
Step = Callable[[], None]


def _sum(values: list[int]) -> int:
    total = sum(values)
    if not -INT64 <= total <= INT64:
        raise ValueError("the quantities add up to more than a column holds")
    return total


def _store_of(terminal: str) -> str:
    row = Terminal.get_or_none(Terminal.name == terminal)
    return row.store if row is not None else "default"


def _locked(uuid: str) -> StockTransfer | None:
    """The transfer's row, locked on PostgreSQL until the transaction ends (SQLite's write
    lock is held already), so a claim and a receipt of it are decided one after the other."""
    query = StockTransfer.select().where(StockTransfer.uuid == uuid)
    if is_postgres():
        query = query.for_update()
    return query.first()


def _insert(fields: dict[str, Any]) -> bool:
    """A new row; False when another push inserted the same transfer first."""
    try:
        with central_db.obj.atomic():  # a savepoint: the batch goes on if this one fails
            StockTransfer.insert(**fields).execute()
    except IntegrityError:
        return False
    return True


# --- projection ------------------------------------------------------------------------


def sent(
    terminal: str, event_id: int, event: dict[str, Any], after: list[Step], flags: Flags
) -> None:
    """A ``transfer.sent``: the transfer, sent (or, received first, now known as sent)."""
    payload = event["payload"]
    lines = payload["lines"]
    fields = {
        "number": payload["number"],
        "terminal": terminal,
        "from_location": payload["from_location"],
        "to_location": payload["to_location"],
        "employee": event.get("employee_id"),
        "sent_at": event["created_at"],
        "sent_event": event_id,
        "line_count": len(lines),
        "sent_milli": _sum([line["qty_milli"] for line in lines]),
    }
    uuid = payload["uuid"]

    def write_row() -> None:
        row = _locked(uuid)
        store = _store_of(terminal)
        destination = location_store(payload["to_location"]) or store
        first = {"uuid": uuid, "store": store, "to_store": destination, **fields}
        if row is None and _insert(first):
            return
        row = row or _locked(uuid)
        if row is None or row.sent_event_id is not None:
            flags.append(f"transfer {uuid} was already projected")
            return
        # its receipt came first (an import, say): the sender's side fills in now
        StockTransfer.update(store=store, **fields).where(StockTransfer.id == row.id).execute()

    after.append(write_row)


def _differences(lines: list[dict[str, Any]]) -> tuple[int, int, int]:
    """What arrived in all, and how much short and over, line by line."""
    received = _sum([line["received_milli"] for line in lines])
    short = _sum([max(line["qty_milli"] - line["received_milli"], 0) for line in lines])
    excess = _sum([max(line["received_milli"] - line["qty_milli"], 0) for line in lines])
    return received, short, excess


def received(
    terminal: str, event_id: int, event: dict[str, Any], after: list[Step], flags: Flags
) -> None:
    """A ``transfer.received``: the transfer, received, with its differences; its claim
    is settled. A second receipt is flagged and counted, and changes nothing else."""
    payload = event["payload"]
    lines = payload["lines"]
    got, short, excess = _differences(lines)
    receipt = {
        "status": "received",
        "received_number": payload["number"],
        "received_terminal": terminal,
        "received_at": event["created_at"],
        "received_event": event_id,
        "received_milli": got,
        "short_milli": short,
        "excess_milli": excess,
        "claim_id": None,
        "claim_terminal": None,
        "claim_expires": None,
    }
    uuid, number = payload["uuid"], payload.get("transfer") or payload["uuid"]

    def write_row() -> None:
        row = _locked(uuid)
        if row is None:
            here = location_store(payload["to_location"]) or _store_of(terminal)
            first = {
                "uuid": uuid,
                "store": here,  # until the sender's event says whose it is
                "to_store": here,
                "number": number,
                "terminal": str(payload.get("sent_by") or "")[:8],
                "from_location": payload["from_location"],
                "to_location": payload["to_location"],
                "line_count": len(lines),
                "sent_milli": _sum([line["qty_milli"] for line in lines]),
                "receipts": 1,
                **receipt,
            }
            if _insert(first):
                flags.append(f"transfer {number} received before the central had it sent")
                return
            row = _locked(uuid)
            if row is None:
                raise ValueError(f"transfer {uuid} could not be stored")
        if row.receipts:
            flags.append(
                f"{RECEIVED_TWICE}: transfer {row.number} was received at "
                f"{row.received_terminal} already ({row.received_number})"
            )
            StockTransfer.update(receipts=StockTransfer.receipts + 1).where(
                StockTransfer.id == row.id
            ).execute()
            return
        if payload["to_location"] != row.to_location:
            flags.append(
                f"transfer {row.number} went to {row.to_location}, "
                f"received as at {payload['to_location']}"
            )
        held = row.claim_terminal not in (None, terminal)
        if held and row.claim_expires is not None and row.claim_expires > now():
            flags.append(f"transfer {row.number} received while {row.claim_terminal} held it")
        StockTransfer.update(receipts=1, **receipt).where(StockTransfer.id == row.id).execute()

    after.append(write_row)


# --- what the tills and the back office read --------------------------------------------


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds") + "Z"


def _claim_of(row: StockTransfer, moment: datetime) -> dict[str, str] | None:
    """The live hold on the transfer: which till is receiving it, until when (UTC)."""
    until = row.claim_expires
    if row.claim_terminal is None or until is None or until <= moment:
        return None
    return {"terminal": row.claim_terminal, "expires_at": _iso(until)}


def _summary(row: StockTransfer, moment: datetime) -> dict[str, Any]:
    return {
        "uuid": row.uuid,
        "number": row.number,
        "terminal": row.terminal,
        "from_location": row.from_location,
        "to_location": row.to_location,
        "employee": row.employee,
        "sent_at": row.sent_at,
        "line_count": row.line_count,
        "sent_milli": row.sent_milli,
        "status": row.status,
        "received_number": row.received_number,
        "received_terminal": row.received_terminal,
        "received_at": row.received_at,
        "received_milli": row.received_milli,
        "short_milli": row.short_milli,
        "excess_milli": row.excess_milli,
        "receipts": row.receipts,
        "claim": _claim_of(row, moment),
    }


def _payload(event_id: int | None) -> dict[str, Any]:
    if event_id is None:
        return {}
    row = Event.get_or_none(Event.id == event_id)
    return json.loads(row.payload) if row is not None else {}


def _lines(row: StockTransfer) -> list[dict[str, Any]]:
    """The lines as sent, with what arrived of each once received."""
    sent_lines = _payload(row.sent_event_id).get("lines")
    got = {line["line_no"]: line for line in _payload(row.received_event_id).get("lines") or []}
    lines = []
    for line in sent_lines if sent_lines is not None else list(got.values()):
        arrived = got.get(line["line_no"]) or {}
        lines.append(
            {
                "line_no": line["line_no"],
                "sku": line["sku"],
                "name": line.get("name") or line["sku"],
                "unit": line.get("unit") or "pcs",
                "qty_milli": line["qty_milli"],
                "lot_no": line.get("lot_no"),
                "expiry": line.get("expiry"),
                "serial": line.get("serial"),
                "received_milli": arrived.get("received_milli"),
                "reason": arrived.get("reason"),
            }
        )
    return lines


def incoming(
    store: str, to_location: str | None, state: str = "sent", limit: int = 30
) -> list[dict[str, Any]]:
    """The transfers to ``to_location`` (None: to any location) of ``store``, oldest
    first: those not received yet (``sent``), received, or ``all``."""
    query = StockTransfer.select().where(
        StockTransfer.to_store == store, StockTransfer.sent_event.is_null(False)
    )
    if to_location is not None:
        query = query.where(StockTransfer.to_location == to_location)
    if state != "all":
        query = query.where(StockTransfer.status == state)
    moment = now()
    rows = query.order_by(StockTransfer.sent_at, StockTransfer.id).limit(min(limit, MAX_LIST))
    return [_summary(row, moment) for row in rows]


def _one(store: str, ref: str) -> StockTransfer:
    text = ref.strip()
    key = StockTransfer.uuid == text if _UUID.match(text) else StockTransfer.number == text.upper()
    mine = (StockTransfer.store == store) | (StockTransfer.to_store == store)
    row = StockTransfer.get_or_none(key, mine)
    if row is None:
        raise OrderRefusal(404, "not_found", f"No transfer {text} in store {store}", {})
    return row


def find(store: str, ref: str) -> dict[str, Any]:
    """One transfer sent from or to ``store``, by its number (TO-…) or uuid, with its
    lines."""
    row = _one(store, ref)
    return {**_summary(row, now()), "lines": _lines(row)}


def _held(row: StockTransfer) -> OrderRefusal:
    until = _iso(row.claim_expires) if row.claim_expires is not None else "?"
    return OrderRefusal(
        409,
        "claimed",
        f"Till {row.claim_terminal} is receiving {row.number} (until {until})",
        {"holder": row.claim_terminal, "expires_at": until},
    )


def claim(terminal: Terminal, uuid: str, claim_id: str, lease_seconds: int) -> dict[str, Any]:
    """Hold the transfer for ``terminal`` to receive, or renew its hold; refused while
    another till's lease is live, and once the transfer is received."""
    moment = now()
    expires = moment + timedelta(seconds=lease_seconds)
    with write():
        row = _locked(uuid)
        if row is None or row.to_store != terminal.store:
            raise OrderRefusal(
                404, "not_found", f"No transfer {uuid} in store {terminal.store}", {}
            )
        if row.status == "received":
            raise OrderRefusal(
                409,
                "received",
                f"{row.number} was received at {row.received_terminal} ({row.received_number})",
                {"received_number": row.received_number, "receiver": row.received_terminal},
            )
        mine = row.claim_id == claim_id
        if mine and row.claim_terminal != terminal.name:
            raise _held(row)  # someone else's claim id: never theirs to renew
        live = row.claim_expires is not None and row.claim_expires > moment
        if not mine and row.claim_id is not None and live:
            raise _held(row)
        StockTransfer.update(
            claim_id=claim_id, claim_terminal=terminal.name, claim_expires=expires
        ).where(StockTransfer.id == row.id).execute()
    return {
        "claim_id": claim_id,
        "uuid": uuid,
        "number": row.number,
        "terminal": terminal.name,
        "expires_at": _iso(expires),
    }


def release(terminal: Terminal, uuid: str, claim_id: str) -> bool:
    """Give the hold up (the till closed the transfer unreceived); whether it held one."""
    with write():
        _locked(uuid)
        done = (
            StockTransfer.update(claim_id=None, claim_terminal=None, claim_expires=None)
            .where(
                StockTransfer.uuid == uuid,
                StockTransfer.to_store == terminal.store,
                StockTransfer.claim_id == claim_id,
                StockTransfer.claim_terminal == terminal.name,
            )
            .execute()
        )
    return bool(done)


# --- reports -----------------------------------------------------------------------------


def state_of(row: dict[str, Any]) -> str:
    """A transfer's state in words: sent, received, with differences, received twice."""
    if row["status"] != "received":
        return "sent"
    words = "received"
    if row["short_milli"] or row["excess_milli"]:
        words += " with differences"
    if row["receipts"] > 1:
        words += f", {RECEIVED_TWICE}"
    return words


def report(store: str | None = None) -> list[dict[str, Any]]:
    """Every transfer (sent from or to one store, or all), by store and the time it was
    sent."""
    query = StockTransfer.select().order_by(
        StockTransfer.store, StockTransfer.sent_at, StockTransfer.id
    )
    if store is not None:
        query = query.where((StockTransfer.store == store) | (StockTransfer.to_store == store))
    moment = now()
    rows = []
    for row in query:
        data = {**_summary(row, moment), "store": row.store, "to_store": row.to_store}
        rows.append({**data, "state": state_of(data)})
    return rows
