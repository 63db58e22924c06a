"""Stock count: what is on the shelves, against what the till says, posted as an adjustment.

A count is started at the session's location (``ctx.location``) and is one of:

- ``full``: every product; what was not counted is counted as zero when it is posted;
- ``category:<name>``: the products of one category, the uncounted ones as zero too;
- ``scanned``: only what was counted changes.

Each line keeps the on hand *at the moment it was counted* (``StockCountLine.system_milli``),
so the goods sold while the count goes on do not turn into a variance: posting adds
``counted - system`` to on hand, it does not set on hand to the count. A product counted
again replaces its line (the count and the moment both).

A line's **value** is its variance at the product's price (the selling price, tax
included as that price is), rounded half away from zero to the paisa: ``variance_milli ×
price / 1000``. The count's value is the sum of the lines' values; its **gross value**,
what approval goes by, the sum of their absolute values, so that a surplus of one product
never hides a loss of another. A count whose gross value is above ``[stock]
count_approval_value`` rupees needs a manager (``Perm.APPROVE_STOCK``) to post.

A **blind** count hides the system figure from whoever counts: for an employee who may not
approve stock differences, ``view`` gives no system quantity, variance or value at all.

Counting needs ``Perm.MANAGE_STOCK`` (inventory, store manager, administrator). Posting is
numbered (``SC-T1-000001``), journaled as ``stock.counted`` and writes its ``count`` stock
moves, in one transaction. An open count is working state (like a draft bill): counting and
cancelling write no event, since nothing has moved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from o2pos.core import journal, numbering, stock
from o2pos.core.auth import Approval, Perm, has_permission, require
from o2pos.core.catalog import find_by_code
from o2pos.core.context import Context
from o2pos.core.errors import (
    ApprovalRequired,
    NotFound,
    PermissionDenied,
    StateError,
    ValidationError,
)
from o2pos.core.ids import new_id
from o2pos.core.models import Employee, Lot, Product, StockCount, StockCountLine, sql
from o2pos.core.money import MILLI, MINOR_PER_UNIT, div_round, format_amount, format_qty

MAX_COUNT_MILLI = 1_000_000 * MILLI
# The products one count posts, counted or counted as zero: its stock.counted event carries
# every line (about nine values each) and the central takes at most 65,536 values in one
# payload (central.limits). A store with more counts by category.
MAX_LINES = 5_000
PAYLOAD_VALUES = 60_000  # below the central's 65,536 (central.limits.MAX_PAYLOAD_VALUES)
FULL, SCANNED, CATEGORY = "full", "scanned", "category:"


def line_value(variance_milli: int, price: int) -> int:
    """A variance at the product's price, in minor units (the rule in the module's doc)."""
    return div_round(variance_milli * price, MILLI)


def parse_count(text: str) -> int:
    """What the counter typed, in milli-units: ``0`` is a count (nothing on the shelf)."""
    cleaned = text.strip()
    whole, _, frac = cleaned.partition(".")
    if not whole.isdigit() or (frac and not frac.isdigit()) or len(frac) > 3 or len(whole) > 9:
        raise ValidationError(f"'{cleaned}' is not a count (0 or more, 3 decimals at most)")
    return int(whole) * MILLI + int(frac.ljust(3, "0") or 0)


_ENTRY = re.compile(r"^\s*(?P<qty>[0-9.]+)\s*\*\s*(?P<code>\S+)\s*$")


def parse_entry(text: str) -> tuple[int | None, str]:
    """What the count screen's item box holds: ``48*CODE`` counts 48 at once (``0*CODE``:
    none on the shelf); a plain code asks for the count."""
    match = _ENTRY.match(text)
    if match:
        return parse_count(match["qty"]), match["code"]
    if "*" in text:
        raise ValidationError(f"'{text.strip()}': type the count, '*', then the code (48*CODE)")
    return None, text.strip()


def may_count(employee: Employee) -> bool:
    """The inventory role, store managers and administrators count stock."""
    return has_permission(employee, Perm.MANAGE_STOCK)


def _require_counter(actor: Employee) -> None:
    """Counting is the counter's own work: no manager's PIN lends it to a cashier."""
    if not may_count(actor):
        raise PermissionDenied(
            f"{actor.code} may not count stock (the inventory role and managers do)",
            Perm.MANAGE_STOCK,
        )


def categories(ctx: Context) -> list[str]:
    """The categories a count can be limited to: those of products sold now."""
    rows = sql(
        "SELECT DISTINCT category FROM product WHERE active = 1 AND category != '' "
        "ORDER BY category"
    ).fetchall()
    return [row[0] for row in rows]


@dataclass(frozen=True)
class CountLineView:
    """One counted product as the screen shows it; the system figure and what follows from
    it are None on a blind count's screen."""

    product_id: int
    sku: str
    name: str
    unit: str
    counted_milli: int
    counted_at: datetime
    system_milli: int | None
    variance_milli: int | None
    value: int | None


@dataclass(frozen=True)
class CountView:
    id: int
    number: str | None
    location: str
    scope: str
    blind: bool
    status: str
    employee: str
    created_at: datetime
    lines: list[CountLineView]
    shows_system: bool  # False: a blind count seen by whoever counts
    # full and category counts: products with stock here not counted yet, which posting
    # counts as zero (with their value at the moment, when the system figure is shown)
    uncounted: int
    value: int | None  # the lines' values, and the uncounted ones' as zero
    gross_value: int | None
    needs_approval: bool | None  # the gross value is above [stock] count_approval_value

    @property
    def scope_label(self) -> str:
        if self.scope.startswith(CATEGORY):
            return f"category {self.scope.removeprefix(CATEGORY)}"
        return {FULL: "full", SCANNED: "scanned items"}.get(self.scope, self.scope)


def _category(scope: str) -> str | None:
    return scope.removeprefix(CATEGORY) if scope.startswith(CATEGORY) else None


def start(
    ctx: Context, actor: Employee, *, scope: str = SCANNED, blind: bool = False
) -> StockCount:
    """Open a count at the session's location; one open count per location at a time."""
    _require_counter(actor)
    category = _category(scope)
    if scope not in (FULL, SCANNED) and category is None:
        raise ValidationError(f"A count is full, of a category or of what is scanned, not {scope}")
    if category is not None:
        category = category.strip()
        found = sql(
            "SELECT category FROM product WHERE lower(category) = lower(?) AND active = 1 LIMIT 1",
            (category,),
        ).fetchone()
        if not category or found is None:
            raise NotFound(f"No product is in the category {category!r}")
        scope = CATEGORY + found[0]
    if scope != SCANNED:
        # checked again at posting: stock may come in meanwhile
        _check_size(_uncounted_totals_of(ctx.location, scope, None)[0], scope)
    with ctx.write():
        other = current(ctx)
        if other is not None:
            raise StateError(
                f"A count is already open at {ctx.location} (by {other.employee}): "
                "continue it, or cancel it first"
            )
        return StockCount.create(
            uuid=new_id(),
            location=ctx.location,
            scope=scope,
            blind=blind,
            employee=actor.code,
            created_at=ctx.now(),
        )


def current(ctx: Context) -> StockCount | None:
    """The open count at the session's location, if there is one."""
    return (
        StockCount.select()
        .where(StockCount.status == "open", StockCount.location == ctx.location)
        .order_by(StockCount.id)
        .first()
    )


def _open_count(ctx: Context, count_id: int) -> StockCount:
    count = StockCount.get_or_none(StockCount.id == count_id)
    if count is None:
        raise NotFound(f"No stock count with id {count_id}")
    if count.status != "open":
        raise StateError(f"This count is {count.status}: it cannot change")
    if count.location != ctx.location:
        raise StateError(f"This count is of {count.location}: sign in at {count.location}")
    return count


def _check_scope(count: StockCount, product: Product) -> None:
    category = _category(count.scope)
    if category is not None and product.category.lower() != category.lower():
        raise ValidationError(f"{product.name} is not in {category}: this count is of {category}")


def _check_counted(product: Product, counted_milli: int) -> None:
    if counted_milli < 0:
        raise ValidationError("A count is 0 or more")
    if counted_milli > MAX_COUNT_MILLI:
        raise ValidationError("That count is too large")
    if not product.weighed and counted_milli % MILLI:
        raise ValidationError(
            f"{product.name} is counted in whole {product.unit}, not {format_qty(counted_milli)}"
        )


@dataclass(frozen=True)
class ToCount:
    """What the count screen asks the count of: the product a code names, its figure on
    record (None on a blind count's screen) and its count so far (None: not counted)."""

    sku: str
    name: str
    unit: str
    weighed: bool
    system_milli: int | None
    counted_milli: int | None


def lookup(ctx: Context, count_id: int, code: str, viewer: Employee) -> ToCount:
    """The product a scanned or typed code names, checked against the count's scope before
    its count is asked for."""
    _require_counter(viewer)
    product = find_by_code(ctx, code).product
    count = _open_count(ctx, count_id)
    _check_scope(count, product)
    line = StockCountLine.get_or_none(
        StockCountLine.count == count.id, StockCountLine.product == product.id
    )
    shows = not count.blind or has_permission(viewer, Perm.APPROVE_STOCK)
    return ToCount(
        product.sku,
        product.name,
        product.unit,
        bool(product.weighed),
        stock.level(ctx, product.id, count.location).on_hand if shows else None,
        line.counted_milli if line is not None else None,
    )


def count_line(
    ctx: Context, count_id: int, code: str, counted_milli: int, actor: Employee
) -> CountLineView:
    """Record ``counted_milli`` of the product a scanned or typed code names, with the on
    hand of this moment; a product counted before is counted again (its line replaced)."""
    _require_counter(actor)
    product = find_by_code(ctx, code).product
    _check_counted(product, counted_milli)
    with ctx.write():
        count = _open_count(ctx, count_id)
        _check_scope(count, product)
        system = stock.level(ctx, product.id, count.location).on_hand
        line = StockCountLine.get_or_none(
            StockCountLine.count == count.id, StockCountLine.product == product.id
        )
        if line is None:
            (lines,) = sql(
                "SELECT COUNT(*) FROM stock_count_line WHERE count_id = ?", (count.id,)
            ).fetchone()
            if lines >= MAX_LINES:
                raise ValidationError(
                    f"A count holds at most {MAX_LINES:,} products: post it and start another"
                )
            StockCountLine.create(
                count=count.id,
                product=product.id,
                system_milli=system,
                counted_milli=counted_milli,
                counted_at=ctx.now(),
            )
        else:
            StockCountLine.update(
                system_milli=system, counted_milli=counted_milli, counted_at=ctx.now()
            ).where(StockCountLine.id == line.id).execute()
    value = line_value(counted_milli - system, product.price)
    shows = not count.blind or has_permission(actor, Perm.APPROVE_STOCK)
    return CountLineView(
        product.id,
        product.sku,
        product.name,
        product.unit,
        counted_milli,
        ctx.now(),
        system if shows else None,
        counted_milli - system if shows else None,
        value if shows else None,
    )


def remove_line(ctx: Context, count_id: int, product_id: int, actor: Employee) -> None:
    """Take a product off an open count (counted by mistake)."""
    _require_counter(actor)
    with ctx.write():
        count = _open_count(ctx, count_id)
        removed = (
            StockCountLine.delete()
            .where(StockCountLine.count == count.id, StockCountLine.product == product_id)
            .execute()
        )
        if not removed:
            raise NotFound("That product is not on this count")


def cancel(ctx: Context, count_id: int, actor: Employee) -> None:
    """Give an open count up: nothing moves, and its lines stay on record as cancelled."""
    _require_counter(actor)
    with ctx.write():
        count = _open_count(ctx, count_id)
        StockCount.update(status="cancelled", posted_at=ctx.now()).where(
            StockCount.id == count.id
        ).execute()


@dataclass(frozen=True)
class _Line:
    product_id: int
    sku: str
    name: str
    unit: str
    price: int
    lot_tracked: bool
    counted_milli: int
    counted_at: datetime
    system_milli: int
    uncounted: bool

    @property
    def variance(self) -> int:
        return self.counted_milli - self.system_milli

    @property
    def value(self) -> int:
        return line_value(self.variance, self.price)


_COLUMNS = "p.id, p.sku, p.name, p.unit, p.price, p.lot_tracked"


def _counted(count: StockCount) -> list[_Line]:
    rows = sql(
        f"SELECT {_COLUMNS}, l.counted_milli, l.counted_at, l.system_milli "
        "FROM stock_count_line l JOIN product p ON p.id = l.product_id "
        "WHERE l.count_id = ? ORDER BY l.counted_at DESC, l.id DESC",
        (count.id,),
    ).fetchall()
    at = StockCountLine.counted_at.python_value
    return [
        _Line(pid, sku, name, unit, price, bool(lots), counted, at(when), system, False)
        for pid, sku, name, unit, price, lots, counted, when, system in rows
    ]


def _uncounted(ctx: Context, count: StockCount) -> list[_Line]:
    """A full or category count's products with stock here that nobody counted: zero, against
    the on hand of now. Inactive products (no longer sold, so not scannable) are left out."""
    if count.scope == SCANNED:
        return []
    category = _category(count.scope)
    where = " AND lower(p.category) = lower(?)" if category is not None else ""
    rows = sql(
        f"SELECT {_COLUMNS}, s.qty_milli FROM stock s JOIN product p ON p.id = s.product_id "
        "WHERE s.location = ? AND s.qty_milli != 0 AND p.active = 1 "
        "AND p.id NOT IN (SELECT product_id FROM stock_count_line WHERE count_id = ?)"
        f"{where} ORDER BY p.sku",
        (count.location, count.id, *([category] if category is not None else [])),
    ).fetchall()
    now = ctx.now()
    return [
        _Line(pid, sku, name, unit, price, bool(lots), 0, now, on_hand, True)
        for pid, sku, name, unit, price, lots, on_hand in rows
    ]


def _uncounted_totals(count: StockCount) -> tuple[int, int, int]:
    """How many products ``_uncounted`` would add, and their value and gross value."""
    if count.scope == SCANNED or count.status != "open":
        return 0, 0, 0
    return _uncounted_totals_of(count.location, count.scope, count.id)


def _uncounted_totals_of(location: str, scope: str, count_id: int | None) -> tuple[int, int, int]:
    """Summed in SQL (a full count's screen is refreshed at every line: no row per product
    here); the rounding is ``line_value``'s, half away from zero."""
    category = _category(scope)
    where = " AND lower(p.category) = lower(?)" if category is not None else ""
    value = "((-s.qty_milli * p.price) + CASE WHEN s.qty_milli > 0 THEN -500 ELSE 500 END) / 1000"
    n, total, gross = sql(
        f"SELECT COUNT(*), COALESCE(SUM({value}), 0), COALESCE(SUM(ABS({value})), 0) "
        "FROM stock s JOIN product p ON p.id = s.product_id "
        "WHERE s.location = ? AND s.qty_milli != 0 AND p.active = 1 "
        "AND p.id NOT IN (SELECT product_id FROM stock_count_line WHERE count_id = ?)"
        f"{where}",
        (location, count_id or 0, *([category] if category is not None else [])),
    ).fetchone()
    return n, total, gross


def _check_size(products: int, scope: str) -> None:
    if products > MAX_LINES:
        what = "full count" if scope == FULL else f"count of {_category(scope)}"
        raise ValidationError(
            f"A {what} here takes {products:,} products, more than the {MAX_LINES:,} one count "
            "posts: count by category"
        )


def approval_limit(ctx: Context) -> int:
    """``[stock] count_approval_value`` in minor units: a gross value above it needs a
    manager."""
    return ctx.settings.stock.count_approval_value * MINOR_PER_UNIT


def view(ctx: Context, count_id: int, viewer: Employee) -> CountView:
    """The count as ``viewer``'s screen shows it, newest line first."""
    count = StockCount.get_or_none(StockCount.id == count_id)
    if count is None:
        raise NotFound(f"No stock count with id {count_id}")
    shows = not count.blind or has_permission(viewer, Perm.APPROVE_STOCK)
    lines = _counted(count)
    uncounted, extra_value, extra_gross = _uncounted_totals(count)
    value = sum(line.value for line in lines) + extra_value
    gross = sum(abs(line.value) for line in lines) + extra_gross
    return CountView(
        count.id,
        count.number,
        count.location,
        count.scope,
        count.blind,
        count.status,
        count.employee,
        count.created_at,
        [
            CountLineView(
                line.product_id,
                line.sku,
                line.name,
                line.unit,
                line.counted_milli,
                line.counted_at,
                line.system_milli if shows else None,
                line.variance if shows else None,
                line.value if shows else None,
            )
            for line in lines
        ],
        shows,
        uncounted,
        value if shows else None,
        gross if shows else None,
        gross > approval_limit(ctx) if shows else None,
    )


def _lot_parts(ctx: Context, line: _Line, location: str) -> list[tuple[str, int]]:
    """How a lot-tracked product's variance falls on its lots: a loss comes off the oldest
    lots first (as a sale takes them), a surplus goes to the newest lot; (lot, change)."""
    lots = list(
        Lot.select()
        .where(Lot.product == line.product_id, Lot.location == location)
        .order_by(Lot.received_at, Lot.id)
    )
    if not lots or not line.variance:
        return []
    if line.variance > 0:
        return [(lots[-1].lot_no, line.variance)]
    parts, missing = [], -line.variance
    for lot in lots:
        take = min(max(lot.qty_milli, 0), missing)
        if take:
            parts.append((lot.lot_no, -take))
            missing -= take
    return parts


def post(
    ctx: Context, count_id: int, actor: Employee, approval: Approval | None = None
) -> StockCount:
    """Post the count: each line's variance moves on hand (a full or category count's
    uncounted products as counted zero), as ``SC-…``, journaled as ``stock.counted`` with
    its stock moves, in one transaction. Above ``[stock] count_approval_value`` a manager
    approves (``Perm.APPROVE_STOCK``; ``ApprovalRequired`` without one)."""
    _require_counter(actor)
    with ctx.write():
        count = _open_count(ctx, count_id)
        lines = [*_counted(count), *_uncounted(ctx, count)]
        if not any(not line.uncounted for line in lines):
            raise ValidationError("Count at least one product before posting")
        _check_size(len(lines), count.scope)
        lines.sort(key=lambda ln: ln.sku)
        lots = [_lot_parts(ctx, ln, count.location) if ln.lot_tracked else [] for ln in lines]
        # what the event's payload holds, as the central counts it: eight values a line,
        # two more for a line's lots and three a lot
        values = 16 + sum(8 + (2 + 3 * len(parts) if parts else 0) for parts in lots)
        if values > PAYLOAD_VALUES:
            raise ValidationError(
                "This count moves too many products and lots for one document: count by category"
            )
        gross = sum(abs(line.value) for line in lines)
        approved_by = None
        if gross > approval_limit(ctx):
            if approval is None and not has_permission(actor, Perm.APPROVE_STOCK):
                raise ApprovalRequired(_approval_reason(ctx, count, gross), Perm.APPROVE_STOCK)
            approved_by = require(actor, Perm.APPROVE_STOCK, approval)
        number = numbering.allocate(ctx, "stock_count")
        now = ctx.now()
        moves: list[stock.Move] = []
        payload_lines = []
        for line, parts in zip(lines, lots, strict=True):
            if line.uncounted:
                StockCountLine.create(
                    count=count.id,
                    product=line.product_id,
                    system_milli=line.system_milli,
                    counted_milli=0,
                    counted_at=now,
                )
            entry: dict[str, object] = {
                "sku": line.sku,
                "name": line.name,
                "system_milli": line.system_milli,
                "counted_milli": line.counted_milli,
                "variance_milli": line.variance,
                "value": line.value,
                "uncounted": line.uncounted,
            }
            if parts:
                entry["lots"] = [{"lot_no": lot, "qty_milli": qty} for lot, qty in parts]
                for lot, qty in parts:
                    Lot.update(qty_milli=Lot.qty_milli + qty).where(
                        Lot.product == line.product_id,
                        Lot.location == count.location,
                        Lot.lot_no == lot,
                    ).execute()
                    moves.append(
                        stock.Move(
                            line.product_id, on_hand=qty, location=count.location, lot_no=lot
                        )
                    )
                rest = line.variance - sum(qty for _, qty in parts)
            else:
                rest = line.variance
            if rest:
                moves.append(stock.Move(line.product_id, on_hand=rest, location=count.location))
            payload_lines.append(entry)
        StockCount.update(
            status="posted", number=number, posted_at=now, approved_by=approved_by
        ).where(StockCount.id == count.id).execute()
        event = journal.append(
            ctx,
            "stock.counted",
            {
                "uuid": count.uuid,
                "number": number,
                "location": count.location,
                "scope": count.scope,
                "blind": bool(count.blind),
                "counted_by": count.employee,
                "lines": payload_lines,
                "value": sum(line.value for line in lines),
                "gross_value": gross,
            },
            employee=actor.code,
            approved_by=approved_by,
        )
        stock.record(ctx, "count", number, event.seq, moves)
    return StockCount.get_by_id(count.id)


def _approval_reason(ctx: Context, count: StockCount, gross: int) -> str:
    """Why a manager is asked: with the figures, except to a blind count's counter."""
    limit = format_amount(approval_limit(ctx))
    if count.blind:
        return f"This count's variance is worth more than {limit}: a manager's PIN is needed"
    return f"Variance worth {format_amount(gross)}, above {limit}: a manager's PIN is needed"
