"""GST details a tax invoice needs: HSN/SAC codes, the per-HSN summary, the HSN report.

A product carries its HSN (goods) or SAC (services) code: 4, 6 or 8 digits. A bill line
keeps the code it was rung up under. A bill to a customer with a GSTIN (B2B) is a tax
invoice another business claims input credit on: every taxable line must carry a code, so
such a bill is refused at completion naming the product without one. A bill to a consumer
(B2C) may go without.

The summary per HSN code (and rate: one code may be sold at two rates over time) is what a
B2B slip, the A4 invoice and ``o2pos report hsn`` print; its taxable and tax totals are the
bill's, as GSTR-1's HSN table must agree with the invoices it summarises.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from o2pos.core.context import Context
from o2pos.core.errors import ValidationError
from o2pos.core.models import Customer, Product, Sale, SaleLine
from o2pos.core.reports import day_bounds
from o2pos.core.vouchers import is_voucher

_HSN = re.compile(r"^(\d{4}|\d{6}|\d{8})$", re.ASCII)
TAX_KEYS = ("taxable", "cgst", "sgst", "igst")


def validate_hsn(text: str | None) -> str | None:
    """A typed HSN/SAC code, cleaned (blank: none); raises ``ValidationError`` otherwise."""
    code = (text or "").strip().replace(" ", "")
    if not code:
        return None
    if not _HSN.match(code):
        raise ValidationError(f"HSN/SAC '{code}' is not a code of 4, 6 or 8 digits")
    return code


def is_b2b(sale: Sale) -> bool:
    """A bill to a registered business (its customer has a GSTIN)."""
    return sale.customer is not None and bool(sale.customer.gstin)


def require_hsn(sale: Sale, lines: list[SaleLine]) -> None:
    """Fill in codes set on a product after its line was rung up; on a B2B bill refuse a
    taxable line without one (part of completion's transaction: nothing else changes)."""
    missing = [ln for ln in lines if not ln.hsn and not is_voucher(ln.sku)]
    if not missing:
        return
    codes: dict[int, str | None] = {
        p.id: p.hsn
        for p in Product.select(Product.id, Product.hsn).where(
            Product.id.in_([ln.product_id for ln in missing]), Product.hsn.is_null(False)
        )
    }
    for line in missing:
        code = codes.get(line.product_id)
        if code:
            SaleLine.update(hsn=code).where(SaleLine.id == line.id).execute()
            line.hsn = code
    customer = sale.customer
    if customer is None or not customer.gstin:
        return
    lacking = [ln.name for ln in missing if not ln.hsn and ln.tax_rate_bp > 0]
    if lacking:
        names = ", ".join(dict.fromkeys(lacking))
        raise ValidationError(
            f"A tax invoice to {customer.name} (GSTIN {customer.gstin}) needs the "
            f"HSN code of {names}: set it in the product list, or sell without the customer"
        )


def hsn_summary(lines: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per HSN code and rate: quantity, taxable value and each tax, from a bill's lines as
    its event carries them (``payloads.line_payload``). Lines without a code are summed
    under ``""``; gift vouchers sold are not goods and are left out."""
    rows: dict[tuple[str, int], dict[str, Any]] = {}
    for ln in lines:
        if is_voucher(str(ln["sku"])):
            continue
        key = (str(ln.get("hsn") or ""), int(ln["tax_rate_bp"]))
        row = rows.setdefault(
            key,
            {"hsn": key[0], "rate_bp": key[1], "qty_milli": 0, **dict.fromkeys(TAX_KEYS, 0)},
        )
        row["qty_milli"] += int(ln["qty_milli"])
        for name in TAX_KEYS:
            row[name] += int(ln[name])
    return [rows[k] for k in sorted(rows)]


def hsn_report(ctx: Context, start: date, end: date) -> dict[str, Any]:
    """``o2pos report hsn``: this till's completed bills from ``start`` to ``end`` (both
    days included, the store's time zone), summed per HSN code and rate, B2B and B2C apart
    as GSTR-1 asks; money in minor units."""
    if end < start:
        raise ValidationError(f"--to {end} is before --from {start}")
    begin, _ = day_bounds(ctx, start)
    _, finish = day_bounds(ctx, end)
    query = (
        SaleLine.select(SaleLine, Sale.id, Sale.customer)
        .join(Sale)
        .where(
            Sale.status == "completed",
            Sale.terminal_id == ctx.terminal_id,
            Sale.completed_at >= begin,
            Sale.completed_at < finish,
        )
    )
    b2b: list[dict[str, Any]] = []
    b2c: list[dict[str, Any]] = []
    bills: dict[str, set[int]] = {"b2b": set(), "b2c": set()}
    gstins = _gstin_customers()
    for line in query:
        row = {
            "sku": line.sku,
            "hsn": line.hsn,
            "tax_rate_bp": line.tax_rate_bp,
            "qty_milli": line.qty_milli,
            **{k: getattr(line, k) for k in TAX_KEYS},
        }
        kind = "b2b" if line.sale.customer_id in gstins else "b2c"
        (b2b if kind == "b2b" else b2c).append(row)
        bills[kind].add(line.sale_id)
    totals = hsn_summary([*b2b, *b2c])
    return {
        "kind": "hsn",
        "from": start.isoformat(),
        "to": end.isoformat(),
        "terminal_id": ctx.terminal_id,
        "bills": len(bills["b2b"]) + len(bills["b2c"]),
        "b2b": {"bills": len(bills["b2b"]), "rows": hsn_summary(b2b)},
        "b2c": {"bills": len(bills["b2c"]), "rows": hsn_summary(b2c)},
        "rows": totals,
        "totals": {k: sum(r[k] for r in totals) for k in TAX_KEYS},
    }


def _gstin_customers() -> set[int]:
    return {
        c.id
        for c in Customer.select(Customer.id).where(
            Customer.gstin.is_null(False), Customer.gstin != ""
        )
    }
