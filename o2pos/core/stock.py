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
from o2pos.core.errors import ValidationError
from o2pos.core.models import Location, Product, Stock, StockMove, sql, sql_many, tuples
from o2pos.core.money import format_qty

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
    created_at = StockMove.created_at.db_value(ctx.now())
    moves_rows: list[tuple[Any, ...]] = []
    level_rows: list[tuple[Any, ...]] = []
    for move in moves:
        if not (move.on_hand or move.reserved or move.transit):
            continue
        location = move.location or ctx.location
        moves_rows.append(
            (
                move.product_id,
                location,
                kind,
                move.on_hand,
                move.reserved,
                move.transit,
                move.lot_no,
                move.serial,
                document,
                seq,
                created_at,
            )
        )
        level_rows.append((move.product_id, location, move.on_hand, move.reserved, move.transit))
    if not moves_rows:
        return
    # a bill's lines in three statements, not two a line: the checkout's hot path
    sql_many(
        "INSERT OR IGNORE INTO location (code, name) VALUES (?, ?)",
        [(code, code) for code in dict.fromkeys(row[1] for row in level_rows)],
    )
    sql_many(
        "INSERT INTO stock_move (product_id, location, kind, on_hand_milli, reserved_milli, "
        "transit_milli, lot_no, serial, document, seq, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        moves_rows,
    )
    sql_many(
        "INSERT INTO stock (product_id, location, qty_milli, reserved_milli, transit_milli) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (product_id, location) DO UPDATE SET "
        "qty_milli = qty_milli + excluded.qty_milli, "
        "reserved_milli = reserved_milli + excluded.reserved_milli, "
        "transit_milli = transit_milli + excluded.transit_milli",
        level_rows,
    )


def level(ctx: Context, product_id: int, location: str | None = None) -> Level:
    """One indexed row: cheap enough for every scan."""
    row = sql(
        "SELECT qty_milli, reserved_milli, transit_milli FROM stock "
        "WHERE product_id = ? AND location = ?",
        (product_id, location or ctx.location),
    ).fetchone()
    return Level(*row) if row else Level()


def levels(
    ctx: Context, product_ids: Iterable[int], location: str | None = None
) -> dict[int, Level]:
    """Several products' levels in one query (a search's results); a product with no
    row has none of anything."""
    ids = list(dict.fromkeys(product_ids))
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    rows = sql(
        "SELECT product_id, qty_milli, reserved_milli, transit_milli FROM stock "
        f"WHERE location = ? AND product_id IN ({marks})",
        (location or ctx.location, *ids),
    ).fetchall()
    found = {row[0]: Level(*row[1:]) for row in rows}
    return {product_id: found.get(product_id, Level()) for product_id in ids}


class OutOfStock(ValidationError):
    """``[store] oversell = "refuse"`` and the bill would take more than is available."""


@dataclass(frozen=True)
class OnBill:
    """A product's stock as the sales screen shows it beside the line just rung up."""

    available: int  # on hand less reserved, at the session's location
    on_bill: int  # this bill's lines of the product, together

    @property
    def left(self) -> int:
        """What stays once this bill is paid (below zero: sold beyond stock)."""
        return self.available - self.on_bill


def on_bill(ctx: Context, sale_id: int, product_id: int) -> OnBill:
    """The stock left after the bill ``sale_id`` takes its lines of ``product_id``."""
    (qty,) = sql(
        "SELECT COALESCE(SUM(qty_milli), 0) FROM sale_line WHERE sale_id = ? AND product_id = ?",
        (sale_id, product_id),
    ).fetchone()
    return OnBill(level(ctx, product_id).available, qty)


def check_sale(ctx: Context, sale_id: int, product: Product, change: int) -> None:
    """The store's oversell policy for ``change`` more (or less) of ``product`` on the bill
    ``sale_id``: under ``refuse``, a bill that would hold more of it than is available is
    refused before anything is written. Under ``warn`` (nothing read here: a scan costs no
    more) the line goes on and the screen shows ``on_bill``'s shortfall. Lot and serial
    items are not looked at here: their own checks (a lot's quantity, a serial's status and
    location) are always strict.
    """
    if product.lot_tracked or product.serial_tracked or ctx.settings.store.oversell != "refuse":
        return
    wanted = on_bill(ctx, sale_id, product.id)
    if change > 0 and wanted.on_bill + change > wanted.available:
        have = format_qty(max(wanted.available, 0))
        raise OutOfStock(
            f"Only {have} {product.unit} of {product.name} in stock: "
            "this store does not sell beyond stock"
        )


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


def location_names(ctx: Context) -> dict[str, str]:
    """The locations this till knows (its own, those the central named, those stock moved
    to), code -> name."""
    return {row.code: row.name for row in Location.select()}


def rebase(ctx: Context) -> None:
    """Set every level to this till's own moves alone: what it holds when it first pulls
    from a central (or the central sends everything again), before the central's levels are
    added. Stock a till imported or set up on its own is not a move; with a central, the
    central's figures (its opening stock, ``o2pos central receive``) are the record."""
    sql(
        "UPDATE stock SET "
        "qty_milli = COALESCE((SELECT SUM(m.on_hand_milli) FROM stock_move m "
        "WHERE m.product_id = stock.product_id AND m.location = stock.location), 0), "
        "reserved_milli = COALESCE((SELECT SUM(m.reserved_milli) FROM stock_move m "
        "WHERE m.product_id = stock.product_id AND m.location = stock.location), 0), "
        "transit_milli = COALESCE((SELECT SUM(m.transit_milli) FROM stock_move m "
        "WHERE m.product_id = stock.product_id AND m.location = stock.location), 0)"
    )


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
