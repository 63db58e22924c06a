"""Customer groups and their price lists: what a named customer pays for each line.

A customer belongs to a group (retail when none is set); a group may have a price list.
An entry of a list names a product (a price for one unit) or a category (a price, or a
percent off the list price), from a minimum quantity, between two dates (either open).
For one line the entry that counts is, in order: one for the product before one for its
category; of those, the one with the highest minimum quantity the line reaches (a tier);
then the lowest price. No entry: the product's list price. See ``docs/pricelists.md``.

The bill is repriced on every change (``core.sales.repricing.recompute`` calls
``reprice``), so choosing a customer, removing them, a scan after they were chosen and a
quantity that reaches a tier all get the right price the same way. A line whose price a
manager overrode keeps it; a scale label's price is the label's.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from o2pos.core.context import Context
from o2pos.core.errors import ValidationError
from o2pos.core.importer import read_csv_text
from o2pos.core.models import Customer, CustomerGroup, PriceListEntry, Sale, SaleLine, sql
from o2pos.core.money import BP, div_round, parse_amount, parse_percent, parse_qty
from o2pos.core.vouchers import is_voucher

DEFAULT_GROUP = "retail"


@dataclass(frozen=True)
class Entry:
    sku: str | None
    category: str | None
    price: int | None
    percent_off_bp: int | None
    min_qty_milli: int
    valid_from: date | None
    valid_to: date | None

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )

    def price_of(self, list_price: int) -> int:
        if self.price is not None:
            return self.price
        off = self.percent_off_bp or 0
        return max(0, list_price - div_round(list_price * off, BP))


def customer_group(ctx: Context, sale: Sale) -> str | None:
    """The customer group of the bill's customer: its code, ``retail`` for a customer
    without a group, None for a walk-in bill. Offers restricted to groups ask this."""
    if sale.customer_id is None:
        return None
    row = Customer.select(Customer.group_code).where(Customer.id == sale.customer_id).first()
    if row is None:
        return None
    return row.group_code or DEFAULT_GROUP


def entries_of(
    price_list: str, skus: Iterable[str] | None = None, categories: Iterable[str] = ()
) -> list[Entry]:
    """The entries of a list; with ``skus``, only those of these products and categories
    (the bill is repriced after every scan, and a wholesale list may name thousands of
    products: the bill needs the few of its own lines)."""
    query = (
        "SELECT sku, category, price, percent_off_bp, min_qty_milli, valid_from, valid_to "
        "FROM price_list_entry WHERE price_list = ?"
    )
    args: list[Any] = [price_list]
    if skus is not None:  # two indexed lookups (an OR of the two would scan the list)
        wanted, kinds = sorted(set(skus)), sorted(set(categories))
        query = (
            f"{query} AND sku IN ({','.join('?' * len(wanted))}) UNION ALL "
            f"{query} AND category IN ({','.join('?' * len(kinds))})"
        )
        args += [*wanted, price_list, *kinds]
    rows = sql(query, args).fetchall()
    return [
        Entry(sku, category, price, percent, min_qty, _day(since), _day(until))
        for sku, category, price, percent, min_qty, since, until in rows
    ]


def _day(value: object) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def price_for(
    entries: list[Entry], sku: str, category: str, list_price: int, qty_milli: int, day: date
) -> int:
    """The unit price a line of ``qty_milli`` of this product pays under ``entries`` on
    ``day`` (the module's rule); the list price when no entry applies."""
    usable = [e for e in entries if e.valid_on(day) and e.min_qty_milli <= qty_milli]
    own = [e for e in usable if e.sku == sku]
    chosen = own or [e for e in usable if e.sku is None and e.category == category]
    if not chosen:
        return list_price
    best = max(e.min_qty_milli for e in chosen)
    return min(e.price_of(list_price) for e in chosen if e.min_qty_milli == best)


@dataclass(frozen=True)
class Pricing:
    """What the bill's customer pays by: their group's name and price list's entries."""

    label: str  # "Wholesale", or "List" for list prices
    entries: list[Entry]


def pricing_of(
    ctx: Context, sale: Sale, skus: Iterable[str] | None = None, categories: Iterable[str] = ()
) -> Pricing:
    """The bill's customer's pricing; with ``skus``, only the entries of these products and
    ``categories`` (``entries_of``)."""
    if sale.customer_id is None:  # a walk-in bill: list prices, without a query
        return Pricing("List", [])
    row = sql(
        "SELECT g.name, g.price_list FROM customer c JOIN customer_group g "
        "ON g.code = COALESCE(c.group_code, ?) WHERE c.id = ?",
        (DEFAULT_GROUP, sale.customer_id),
    ).fetchone()
    if row is None or not row[1]:
        return Pricing("List", [])
    if skus is not None:
        skus, categories = list(skus), list(categories)
        if not skus and not categories:
            return Pricing(row[0], [])
    return Pricing(row[0], entries_of(row[1], skus, categories))


def target_price(ctx: Context, sale: Sale, line: SaleLine, qty_milli: int | None = None) -> int:
    """The unit price the line would have now for the bill's customer, overrides aside."""
    category = line.product.category
    pricing = pricing_of(ctx, sale, [line.sku], [category] if category else [])
    return price_for(
        pricing.entries,
        line.sku,
        category,
        line.list_price,
        line.qty_milli if qty_milli is None else qty_milli,
        ctx.today(),
    )


def reprice(
    ctx: Context,
    sale: Sale,
    lines: list[SaleLine],
    fresh: frozenset[int] = frozenset(),
    categories: dict[int, str] | None = None,
) -> str | None:
    """Give every line the price the bill's customer pays now; the notice to show when a
    line's price changed ("Wholesale prices: 2 lines repriced"), else None.

    Overridden lines, scale labels and gift vouchers keep their price. The lines' unit
    prices are changed in place, so the caller prices the bill from them. A line just rung
    up (``fresh``) takes its price without a notice: nothing the cashier saw changed.
    """
    if sale.customer_id is None and all(ln.unit_price == ln.list_price for ln in lines):
        return None  # a walk-in bill whose every line has its list price already
    if sale.customer_id is None:
        categories = {}
    elif categories is None:  # ``categories``: each line's product's, when the caller has them
        categories = _categories(sale.id)
    pricing = pricing_of(ctx, sale, {ln.sku for ln in lines}, {c for c in categories.values() if c})
    if not pricing.entries and all(ln.unit_price == ln.list_price for ln in lines):
        return None  # list prices, and every line has its list price already
    day = ctx.today()
    changed = 0
    for line in lines:
        if line.price_overridden or line.fixed_gross is not None or is_voucher(line.sku):
            continue
        price = price_for(
            pricing.entries,
            line.sku,
            categories.get(line.product_id, ""),
            line.list_price,
            line.qty_milli,
            day,
        )
        if price != line.unit_price:
            SaleLine.update(unit_price=price).where(SaleLine.id == line.id).execute()
            line.unit_price = price
            changed += line.id not in fresh
    if not changed:
        return None
    return f"{pricing.label} prices: {changed} line{'s' if changed != 1 else ''} repriced"


def _categories(sale_id: int) -> dict[int, str]:
    """Each product's category on the bill (one plain query)."""
    rows = sql(
        "SELECT DISTINCT p.id, p.category FROM sale_line l JOIN product p ON p.id = l.product_id "
        "WHERE l.sale_id = ?",
        (sale_id,),
    ).fetchall()
    return dict(rows)


ENTRY_FIELDS = (
    "sku",
    "category",
    "price",
    "percent_off_bp",
    "min_qty_milli",
    "valid_from",
    "valid_to",
)


def check_entry(code: str, entry: object) -> Entry:
    """One price-list entry as master data carries it, checked; a bad one is refused whole
    (a list half applied would charge some customers the wrong price)."""
    where = f"price list {code}"
    if not isinstance(entry, dict) or set(entry) - set(ENTRY_FIELDS):
        raise ValidationError(f"{where}: an entry has the fields {', '.join(ENTRY_FIELDS)}")
    sku, category = entry.get("sku"), entry.get("category")
    price, percent = entry.get("price"), entry.get("percent_off_bp")
    min_qty = entry.get("min_qty_milli", 0)
    if not all(isinstance(v, str | None) for v in (sku, category)) or (sku is None) == (
        category is None
    ):
        raise ValidationError(f"{where}: an entry names a product (sku) or a category")
    if not all(
        v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in (price, percent)
    ) or (price is None) == (percent is None):
        raise ValidationError(f"{where}: an entry gives a price or a percent off")
    if percent is not None and (sku is not None or not 0 < percent <= BP):
        raise ValidationError(f"{where}: a percent off is for a category, above 0 and up to 100")
    if price is not None and price < 0:
        raise ValidationError(f"{where}: a price cannot be negative")
    if not isinstance(min_qty, int) or isinstance(min_qty, bool) or min_qty < 0:
        raise ValidationError(f"{where}: a minimum quantity is zero or more")
    days: list[date | None] = []
    for name in ("valid_from", "valid_to"):
        value = entry.get(name)
        try:
            days.append(date.fromisoformat(value) if value else None)
        except (TypeError, ValueError):
            raise ValidationError(f"{where}: {name} {value!r} is not a date") from None
    if days[0] and days[1] and days[0] > days[1]:
        raise ValidationError(f"{where}: valid_from is after valid_to")
    return Entry(sku, category, price, percent, min_qty, days[0], days[1])


def apply_group(code: str, data: dict[str, Any]) -> None:
    """A ``customer_group`` master record: its name and price list (null: list prices)."""
    CustomerGroup.insert(code=code, name=data["name"], price_list=data["price_list"]).on_conflict(
        conflict_target=[CustomerGroup.code],
        update={CustomerGroup.name: data["name"], CustomerGroup.price_list: data["price_list"]},
    ).execute()


def apply_list(code: str, data: dict[str, Any]) -> None:
    """A ``price_list`` master record replaces the list's entries whole."""
    entries = [check_entry(code, e) for e in data["entries"]]
    PriceListEntry.delete().where(PriceListEntry.price_list == code).execute()
    for e in entries:
        PriceListEntry.insert(
            price_list=code,
            sku=e.sku,
            category=e.category,
            price=e.price,
            percent_off_bp=e.percent_off_bp,
            min_qty_milli=e.min_qty_milli,
            valid_from=e.valid_from,
            valid_to=e.valid_to,
        ).execute()


def entry_record(e: Entry) -> dict[str, Any]:
    """An entry as master data carries it (the inverse of ``check_entry``)."""
    return {
        "sku": e.sku,
        "category": e.category,
        "price": e.price,
        "percent_off_bp": e.percent_off_bp,
        "min_qty_milli": e.min_qty_milli,
        "valid_from": e.valid_from.isoformat() if e.valid_from else None,
        "valid_to": e.valid_to.isoformat() if e.valid_to else None,
    }


PRICE_LIST_COLUMNS = (
    "group",
    "group_name",
    "sku",
    "category",
    "price",
    "percent_off",
    "min_qty",
    "valid_from",
    "valid_to",
)


@dataclass
class GroupsFile:
    """A customer-groups file read whole: each group's name, and the entries of its price
    list (the list's code is the group's in capitals; a group without entries pays list
    prices)."""

    names: dict[str, str] = field(default_factory=dict)
    entries: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def records(self) -> list[tuple[str, str, dict[str, Any]]]:
        """The master records (kind, key, data) the file stands for, lists first."""
        out: list[tuple[str, str, dict[str, Any]]] = []
        for code, name in self.names.items():
            if self.entries.get(code):
                data = {"name": name, "entries": self.entries[code]}
                out.append(("price_list", code.upper(), data))
        for code, name in self.names.items():
            price_list = code.upper() if self.entries.get(code) else None
            out.append(("customer_group", code, {"name": name, "price_list": price_list}))
        return out


GROUP_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


def read_groups_csv(path: Path) -> GroupsFile:
    """``group,group_name,sku,category,price,percent_off,min_qty,valid_from,valid_to``:
    one row per price-list entry (sku or category empty, price or percent_off empty); a
    row with neither sku nor category only names a group. The first bad row refuses the
    whole file, named by its line: half a price list would charge some customers wrongly.
    """
    try:
        reader = csv.DictReader(io.StringIO(read_csv_text(path), newline=""))
    except OSError as exc:
        raise ValidationError(f"Cannot read {path}: {exc.strerror}") from exc
    missing = set(PRICE_LIST_COLUMNS) - set(reader.fieldnames or [])
    if missing:
        raise ValidationError(f"{path.name}: missing columns {', '.join(sorted(missing))}")
    rows = list(enumerate(reader, start=2))
    found = GroupsFile()
    for line, row in rows:
        try:
            code = (row.get("group") or "").strip().lower()
            if not GROUP_CODE.match(code):
                raise ValidationError(f"group {code!r}: small letters, digits, - and _")
            name = (row.get("group_name") or "").strip() or code.title()
            if found.names.setdefault(code, name) != name:
                raise ValidationError(f"group {code} has two names")
            sku = (row.get("sku") or "").strip() or None
            category = (row.get("category") or "").strip() or None
            if sku is None and category is None:
                continue
            price_text = (row.get("price") or "").strip()
            percent_text = (row.get("percent_off") or "").strip()
            qty_text = (row.get("min_qty") or "").strip()
            entry = {
                "sku": sku,
                "category": category,
                "price": parse_amount(price_text) if price_text else None,
                "percent_off_bp": parse_percent(percent_text) if percent_text else None,
                "min_qty_milli": parse_qty(qty_text) if qty_text else 0,
                "valid_from": (row.get("valid_from") or "").strip() or None,
                "valid_to": (row.get("valid_to") or "").strip() or None,
            }
            check_entry(code.upper(), entry)
        except ValidationError as exc:
            raise ValidationError(f"{path.name} line {line}: {exc}") from None
        found.entries.setdefault(code, []).append(entry)
    return found
