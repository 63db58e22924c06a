"""Stock per product and location: on hand, reserved (sold, to be delivered) and in transit
(sent to the location, not yet received).

The central is the system of record: a location's level there is the sum of every till's
moves. A till keeps the central's figure, pulled as master data with the journal seq of
this till's own events it already includes (``as_of``), plus its own moves after that seq:

    level here = level at the central + own moves with seq > as_of[this till]

so a sale made offline counts at once and is never counted twice once the central has it.

Every move is written by ``record`` in the transaction of its document, right after the
document's journal event, whose seq it carries (docs/stock.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from o2pos.core.context import Context
from o2pos.core.models import Product, Stock, StockMove, sql, tuples

KINDS = frozenset(
    {"sale", "return", "delivery", "transfer_out", "transfer_in", "count", "receive", "cancel"}
)


@dataclass(frozen=True)
class Move:
    """One product's change at one location (None: the session's), per bucket."""

    product_id: int
    on_hand: int = 0
    reserved: int = 0
    transit: int = 0
    location: str | None = None
    lot_no: str | None = None
    serial: str | None = None


@dataclass(frozen=True)
class Level:
    on_hand: int = 0
    reserved: int = 0
    in_transit: int = 0

    @property
    def available(self) -> int:
        """What can still be sold and taken away now."""
        return self.on_hand - self.reserved


def record(ctx: Context, kind: str, document: str, seq: int, moves: Iterable[Move]) -> None:
    """Write a document's moves and bring the levels along; part of the caller's
    transaction, after the journal event ``seq`` that records the document."""
    if not ctx.db.in_transaction():
        raise RuntimeError("stock moves are written inside their document's transaction")
    if kind not in KINDS:
        raise ValueError(f"unknown stock move kind {kind!r}")
    now = ctx.now()
    for move in moves:
        if not (move.on_hand or move.reserved or move.transit):
            continue
        location = move.location or ctx.location
        StockMove.insert_row(
            product=move.product_id,
            location=location,
            kind=kind,
            on_hand_milli=move.on_hand,
            reserved_milli=move.reserved,
            transit_milli=move.transit,
            lot_no=move.lot_no,
            serial=move.serial,
            document=document,
            seq=seq,
            created_at=now,
        )
        sql("INSERT OR IGNORE INTO location (code, name) VALUES (?, ?)", (location, location))
        sql(
            "INSERT INTO stock (product_id, location, qty_milli, reserved_milli, transit_milli) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (product_id, location) DO UPDATE SET "
            "qty_milli = qty_milli + excluded.qty_milli, "
            "reserved_milli = reserved_milli + excluded.reserved_milli, "
            "transit_milli = transit_milli + excluded.transit_milli",
            (move.product_id, location, move.on_hand, move.reserved, move.transit),
        )


def level(ctx: Context, product_id: int, location: str | None = None) -> Level:
    """One indexed row: cheap enough for every scan."""
    row = sql(
        "SELECT qty_milli, reserved_milli, transit_milli FROM stock "
        "WHERE product_id = ? AND location = ?",
        (product_id, location or ctx.location),
    ).fetchone()
    return Level(*row) if row else Level()


@dataclass(frozen=True)
class StockRow:
    location: str
    sku: str
    name: str
    unit: str
    on_hand: int
    reserved: int
    in_transit: int

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


def report(ctx: Context, location: str | None = None) -> list[StockRow]:
    """Every product with stock, reserved or in transit at ``location`` (None: every
    location this till knows), by location then SKU."""
    query = (
        Stock.select(
            Stock.location,
            Product.sku,
            Product.name,
            Product.unit,
            Stock.qty_milli,
            Stock.reserved_milli,
            Stock.transit_milli,
        )
        .join(Product)
        .where((Stock.qty_milli != 0) | (Stock.reserved_milli != 0) | (Stock.transit_milli != 0))
        .order_by(Stock.location, Product.sku)
    )
    if location is not None:
        query = query.where(Stock.location == location)
    return [StockRow(*row) for row in tuples(query)]


def master_key(store: str, location: str, sku: str) -> str:
    """A level's master-data key at the central: one record per location (of its store;
    every store may have a MAIN) and product."""
    return f"{store}/{location}/{sku}"


def apply_central(ctx: Context, key: str, data: dict[str, Any]) -> None:
    """Take the central's level for one product at one location, and add this till's own
    moves the central had not counted yet. Part of a master-data batch's transaction."""
    _store, location, sku = key.split("/", 2)
    product = Product.get_or_none(Product.sku == sku)
    if product is None:  # a product this till does not sell (yet): nothing to show
        return
    as_of = int((data.get("as_of") or {}).get(ctx.terminal_id, 0))
    own = sql(
        "SELECT COALESCE(SUM(on_hand_milli), 0), COALESCE(SUM(reserved_milli), 0), "
        "COALESCE(SUM(transit_milli), 0) FROM stock_move "
        "WHERE product_id = ? AND location = ? AND seq > ?",
        (product.id, location, as_of),
    ).fetchone()
    sql("INSERT OR IGNORE INTO location (code, name) VALUES (?, ?)", (location, location))
    sql(
        "INSERT INTO stock (product_id, location, qty_milli, reserved_milli, transit_milli) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (product_id, location) DO UPDATE SET "
        "qty_milli = excluded.qty_milli, reserved_milli = excluded.reserved_milli, "
        "transit_milli = excluded.transit_milli",
        (
            product.id,
            location,
            int(data["on_hand"]) + own[0],
            int(data["reserved"]) + own[1],
            int(data["in_transit"]) + own[2],
        ),
    )
