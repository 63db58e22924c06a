"""Finding products: by scanned code, by SKU, by name (FTS5), and their stock."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

from o2pos.core.barcodes import decode_scale_barcode, is_digits, is_valid_gtin, normalize_gtin
from o2pos.core.context import Context
from o2pos.core.errors import NotFound, UnknownCode, ValidationError
from o2pos.core.models import Lot, Product, QuickButton, sql, tuples

_WORD = re.compile(r"\w+", re.UNICODE)
SEARCH_WINDOW = 400


@dataclass(frozen=True)
class ScanResult:
    """A product found from a code, with what the code itself carried (scale barcodes)."""

    product: Product
    qty_milli: int | None = None  # weight from a scale barcode
    fixed_gross: int | None = None  # price from a scale barcode


def find_by_code(ctx: Context, code: str) -> ScanResult:
    """Resolve what the scanner or the cashier typed: barcode, scale barcode or SKU."""
    code = code.strip()
    if not code:
        raise ValidationError("Scan a barcode or type a SKU")
    if len(code) > 64:
        raise ValidationError("That code is too long to be a barcode or SKU")
    scale = decode_scale_barcode(code, ctx.settings.scale)
    if scale is not None:
        product = Product.get_or_none(Product.plu == scale.item_code, Product.active == True)
        if product is None:
            raise NotFound(f"No weighed item with scale code {scale.item_code} ({code})")
        if scale.kind == "weight":
            if scale.value <= 0:
                raise ValidationError(f"The scale label {code} carries no weight")
            return ScanResult(product, qty_milli=scale.value)
        if product.price <= 0:
            raise ValidationError(f"{product.name} has no price per unit to weigh against")
        # quantity follows from the label's price; the price on the label is what is charged
        qty = max(1, (scale.value * 1000 + product.price // 2) // product.price)
        return ScanResult(product, qty_milli=qty, fixed_gross=scale.value)

    if is_digits(code) and len(code) in (8, 12, 13, 14):
        found = Product.fetch("barcode = ?", normalize_gtin(code))
        if found:
            product = found[0]
            if not product.active:
                raise NotFound(f"{product.name} ({code}) is no longer sold")
            return ScanResult(product)
    found = Product.fetch("sku = ?", code.upper())
    if found:
        product = found[0]
        if not product.active:
            raise NotFound(f"{product.name} ({code}) is no longer sold")
        return ScanResult(product)
    if is_digits(code) and len(code) in (8, 12, 13, 14) and not is_valid_gtin(code):
        raise NotFound(f"Barcode {code} has a wrong check digit: scan it again")
    raise UnknownCode(f"Unknown barcode or SKU: {code}")


def fts_query(text: str) -> str | None:
    """Turn typed words into an FTS5 query: every word must match as a prefix."""
    words = _WORD.findall(text.lower())
    if not words:
        return None
    return " ".join(f'"{word}"*' for word in words[:8])


def search(ctx: Context, text: str, *, limit: int = 50) -> list[Product]:
    """Name search across name, brand, category, SKU and barcode, best match first."""
    query = fts_query(text)
    if query is None:
        return []
    # Rank at most SEARCH_WINDOW matches: ordering every match of a two-letter prefix by
    # bm25 costs tens of milliseconds on 100,000 products, and the cashier types on anyway.
    rows = sql(
        "SELECT rowid, rank FROM product_fts WHERE product_fts MATCH ? LIMIT ?",
        (query, SEARCH_WINDOW),
    ).fetchall()
    if not rows:
        return []
    ids = [rowid for rowid, _ in sorted(rows, key=lambda row: (row[1], row[0]))][: limit * 2]
    marks = ",".join("?" * len(ids))
    by_id = {p.id: p for p in Product.fetch(f"id IN ({marks}) AND active = 1", *ids)}
    return [by_id[i] for i in ids if i in by_id][:limit]


class QuickButtonView(NamedTuple):
    position: int
    label: str
    sku: str
    name: str
    unit: str
    weighed: bool


def quick_buttons(ctx: Context) -> list[QuickButtonView]:
    """The store's quick-add buttons in their order (loose produce, bread, milk)."""
    rows = tuples(
        QuickButton.select(
            QuickButton.position,
            QuickButton.label,
            Product.sku,
            Product.name,
            Product.unit,
            Product.weighed,
        )
        .join(Product)
        .order_by(QuickButton.position)
    )
    return [
        QuickButtonView(position, label, sku, name, unit, bool(weighed))
        for position, label, sku, name, unit, weighed in rows
    ]


def fifo_lots(ctx: Context, product: Product) -> list[Lot]:
    """Lots with stock at this location, oldest received first (first in, first out)."""
    return list(
        Lot.select()
        .where(
            Lot.product == product,
            Lot.location == ctx.location,
            Lot.qty_milli > 0,
        )
        .order_by(Lot.received_at, Lot.id)
    )
