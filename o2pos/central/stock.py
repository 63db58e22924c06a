"""Stock levels at the central: the system of record for every location's stock.

A level is the sum of every till's moves, projected from the events that carry them
(``sale.completed``, ``return.completed``, ``delivery.recorded``, ``transfer.sent``,
``transfer.received``, ``stock.counted``) plus what the central itself receives
(``receive``, e.g. the demo's opening stock). A level row is itself the master data kind
``stock`` its store's tills pull: it takes a version from the master counter whenever it
changes (``master.changes`` merges the rows in), with ``as_of``: for every till of the
store, the last seq of its events the level includes. A till adds its own moves after that
seq (``core.stock``), so an offline sale counts at once at the till and once at the central.

Locations belong to a store (master kind ``location``); a code no location record names
belongs to the store of the till that used it, so every store may have its own ``MAIN``.

Lock order inside an ingest transaction (PostgreSQL): coupons, vouchers, delivery orders
(``deliveries.py``), the master counter (taken before the batch's events are staged,
``projection.BatchProjector.run``), points accounts and transfers (while staging), these
level rows (by store, location, SKU), then sales. Every push that moves stock takes the
master counter first, so two pushes never wait on each other's levels, and a batch's
levels are read, summed and written with a few statements, not one per line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from o2pos.core.eventschema import INT64
from o2pos.core.models import tuples
from o2pos.core.vouchers import is_voucher

from .models import MasterRecord, StockLevel, Terminal
from .store import bulk_insert, central_db

# the till's [terminal] location when its events predate stock per location
DEFAULT_LOCATION = "MAIN"
Key = tuple[str, str, str]  # store, location, sku


def location_store(code: str) -> str | None:
    """The store a registered location belongs to (None: no record names it)."""
    row = MasterRecord.get_or_none(MasterRecord.kind == "location", MasterRecord.key == code)
    return str(json.loads(row.data)["store"]) if row else None


@dataclass
class StockBook:
    """One batch's stock moves, summed per level, written once at the end of the batch."""

    terminal: str
    store: str = ""
    deltas: dict[Key, list[int]] = field(default_factory=dict)
    stores: dict[str, str] = field(default_factory=dict)  # location -> store, as looked up
    last_seq: int = 0

    def _store_of(self, location: str) -> str:
        if location not in self.stores:
            if not self.store:
                row = Terminal.get_or_none(Terminal.name == self.terminal)
                self.store = row.store if row is not None else ""
            self.stores[location] = location_store(location) or self.store
        return self.stores[location]

    def _move(
        self, location: str | None, sku: str, on_hand: int = 0, reserved: int = 0, transit: int = 0
    ) -> None:
        location = location or DEFAULT_LOCATION
        key = (self._store_of(location), location, sku)
        delta = self.deltas.setdefault(key, [0, 0, 0])
        delta[0] += on_hand
        delta[1] += reserved
        delta[2] += transit

    def add(self, seq: int, event_type: str, payload: dict[str, Any]) -> None:
        """Stage the moves of one event whose payload matched its schema."""
        self.last_seq = max(self.last_seq, seq)
        place = payload.get("location")
        lines = payload.get("lines") or []
        if event_type == "sale.completed":
            later = bool(payload.get("delivery"))
            for ln in lines:
                if is_voucher(ln["sku"]):
                    continue
                qty = int(ln["qty_milli"])
                if later:
                    self._move(place, ln["sku"], reserved=qty)
                else:
                    self._move(place, ln["sku"], on_hand=-qty)
        elif event_type == "return.completed":
            # of a bill marked for delivery, what was never delivered comes back first: its
            # reservation is released where the bill's goods were held (docs/stock.md)
            held = payload.get("sale_location") or place
            for ln in lines:
                qty, before = int(ln["qty_milli"]), int(ln.get("undelivered_milli") or 0)
                if before:
                    self._move(held, ln["sku"], reserved=-before)
                if ln.get("restock") and qty > before:
                    self._move(place, ln["sku"], on_hand=qty - before)
        elif event_type == "delivery.recorded":
            for ln in lines:
                qty = int(ln["qty_milli"])
                self._move(place, ln["sku"], on_hand=-qty, reserved=-qty)
        elif event_type == "transfer.sent":
            for ln in lines:
                qty = int(ln["qty_milli"])
                self._move(payload["from_location"], ln["sku"], on_hand=-qty)
                self._move(payload["to_location"], ln["sku"], transit=qty)
        elif event_type == "transfer.received":
            for ln in lines:
                self._move(
                    payload["to_location"],
                    ln["sku"],
                    on_hand=int(ln["received_milli"]),
                    transit=-int(ln["qty_milli"]),
                )
        elif event_type == "stock.counted":
            for ln in lines:
                self._move(place, ln["sku"], on_hand=int(ln["variance_milli"]))

    def write(self) -> list[str]:
        """Apply the batch's sums and publish the changed levels; returns flags (a level
        pushed out of range is kept at the bound and said)."""
        changed = {k: d for k, d in self.deltas.items() if any(d)}
        if not changed:
            return []
        from .master import lock_counter

        lock_counter()
        return apply(changed, {self.terminal: self.last_seq})


def apply(changed: dict[Key, list[int]], writers: dict[str, int]) -> list[str]:
    """Add ``changed`` to the levels (creating them at zero), each with a new master-data
    version; ``writers`` are the tills whose events these are, with the last seq included.
    Inside the caller's transaction, after the master counter is taken: every stock writer
    takes it first, so the levels read here cannot change before they are written."""
    from .master import take_versions

    keys = sorted(changed)
    current = _current(keys)
    high_water: dict[str, dict[str, int]] = {}
    for name, store, seq in tuples(
        Terminal.select(Terminal.name, Terminal.store, Terminal.high_water_seq).where(
            Terminal.store.in_(sorted({k[0] for k in keys}))
        )
    ):
        high_water.setdefault(store, {})[name] = int(seq)
    rows, flags = [], []
    as_of: dict[str, str] = {}  # store -> its levels' as_of, the same for each of them
    for key in keys:
        before = current.get(key, (0, 0, 0))
        figures = [b + d for b, d in zip(before, changed[key], strict=True)]
        if any(abs(f) > INT64 for f in figures):
            flags.append(f"stock level {'/'.join(key)} out of range: not changed")
            continue
        store, location, sku = key
        if store not in as_of:
            as_of[store] = json.dumps({**high_water.get(store, {}), **writers}, sort_keys=True)
        rows.append(
            {
                "store": store,
                "location": location,
                "sku": sku,
                "on_hand": figures[0],
                "reserved": figures[1],
                "in_transit": figures[2],
                "as_of": as_of[store],
            }
        )
    if not rows:
        return flags
    first = take_versions(len(rows))
    for number, row in enumerate(rows):
        row["version"] = first + number
    bulk_insert(StockLevel, rows, replace_on=("store", "location", "sku"))
    return flags


def _current(keys: list[Key]) -> dict[Key, tuple[int, int, int]]:
    """The stored figures of ``keys`` (a key not there yet is at zero).

    Plain SQL, one statement per location and 500 SKUs: a batch touches thousands of
    levels, and building the same query through peewee cost more than running it.
    """
    db = central_db.obj
    by_place: dict[tuple[str, str], list[str]] = {}
    for store, location, sku in keys:
        by_place.setdefault((store, location), []).append(sku)
    found: dict[Key, tuple[int, int, int]] = {}
    table = StockLevel._meta.table_name
    for (store, location), skus in by_place.items():
        for start in range(0, len(skus), 500):
            part = skus[start : start + 500]
            cursor = db.execute_sql(
                f'SELECT sku, on_hand, reserved, in_transit FROM "{table}" '
                f"WHERE store = {db.param} AND location = {db.param} "
                f"AND sku IN ({', '.join([db.param] * len(part))})",
                [store, location, *part],
            )
            for sku, on_hand, reserved, transit in cursor.fetchall():
                found[(store, location, sku)] = (int(on_hand), int(reserved), int(transit))
    return found


def served(row: StockLevel) -> dict[str, Any]:
    """A level as master data kind ``stock`` (``core.stock.apply_central``)."""
    return {
        "store": row.store,
        "location": row.location,
        "sku": row.sku,
        "on_hand": int(row.on_hand),
        "reserved": int(row.reserved),
        "in_transit": int(row.in_transit),
        "as_of": json.loads(row.as_of or "{}"),
    }


@dataclass(frozen=True)
class LevelRow:
    store: str
    location: str
    sku: str
    on_hand: int
    reserved: int
    in_transit: int


def report(store: str | None = None, location: str | None = None) -> list[LevelRow]:
    """Every level with something on hand, reserved or in transit."""
    query = StockLevel.select(
        StockLevel.store,
        StockLevel.location,
        StockLevel.sku,
        StockLevel.on_hand,
        StockLevel.reserved,
        StockLevel.in_transit,
    ).where((StockLevel.on_hand != 0) | (StockLevel.reserved != 0) | (StockLevel.in_transit != 0))
    if store is not None:
        query = query.where(StockLevel.store == store)
    if location is not None:
        query = query.where(StockLevel.location == location)
    query = query.order_by(StockLevel.store, StockLevel.location, StockLevel.sku)
    return [LevelRow(*row) for row in tuples(query)]


def receive(store: str, location: str, quantities: dict[str, int]) -> list[str]:
    """Goods received at a location by the central itself (opening stock, a supplier's
    delivery entered in the back office): on hand up by each SKU's milli-units. Inside
    the caller's transaction."""
    from .master import lock_counter

    lock_counter()
    return apply({(store, location, sku): [q, 0, 0] for sku, q in quantities.items() if q}, {})
