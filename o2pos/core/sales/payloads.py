"""A bill's wire form: what its journal events carry, so the back office can rebuild it."""

from __future__ import annotations

import json
from typing import Any

from o2pos.core.models import Sale, SaleLine
from o2pos.core.vouchers import is_voucher


def line_payload(line: SaleLine) -> dict[str, Any]:
    return {
        "line_no": line.line_no,
        "sku": line.sku,
        "name": line.name,
        "unit": line.unit,
        "qty_milli": line.qty_milli,
        "list_price": line.list_price,
        "unit_price": line.unit_price,
        "price_overridden": line.price_overridden,
        "fixed_gross": line.fixed_gross,
        "price_includes_tax": line.price_includes_tax,
        "tax_class": line.tax_class,
        "tax_rate_bp": line.tax_rate_bp,
        "discount_kind": line.discount_kind,
        "discount_value": line.discount_value,
        "approved_by": line.approved_by,
        "price_approved_by": line.price_approved_by,
        "lot_no": line.lot_no,
        "serial": line.serial,
        "gross": line.gross,
        "line_discount": line.line_discount,
        "order_discount": line.order_discount,
        "taxable": line.taxable,
        "cgst": line.cgst,
        "sgst": line.sgst,
        "igst": line.igst,
        "total": line.total,
        "hsn": line.hsn,
        # which offer gave what on this line (a bill offer's share included)
        "offer_discount": line.offer_discount,
        "offers": json.loads(line.offers) if line.offers else [],
    }


def tax_summary(lines: list[SaleLine]) -> list[dict[str, int]]:
    """GST by rate over the goods (a gift voucher sold bears none, and makes no 0% row)."""
    rows: dict[int, dict[str, int]] = {}
    for ln in lines:
        if is_voucher(ln.sku):
            continue
        row = rows.setdefault(
            ln.tax_rate_bp,
            {"rate_bp": ln.tax_rate_bp, "taxable": 0, "cgst": 0, "sgst": 0, "igst": 0},
        )
        for key in ("taxable", "cgst", "sgst", "igst"):
            row[key] += getattr(ln, key)
    return [rows[k] for k in sorted(rows)]


def sale_payload(sale: Sale, lines: list[SaleLine]) -> dict[str, Any]:
    """Everything the back office needs to rebuild the bill without asking the till."""
    customer = sale.customer
    return {
        "uuid": sale.uuid,
        "number": sale.number,
        "session_id": sale.session_id,
        "customer": (
            {
                "uuid": customer.uuid,
                "name": customer.name,
                "gstin": customer.gstin,
                "state_code": customer.state_code,
            }
            if customer
            else None
        ),
        "interstate": sale.interstate,
        "location": sale.location,
        "delivery": sale.delivery,
        "lines": [line_payload(ln) for ln in lines],
        "order_discount": (
            {
                "kind": sale.order_discount_kind,
                "value": sale.order_discount_value,
                "approved_by": sale.order_discount_approved_by,
            }
            if sale.order_discount_kind
            else None
        ),
        "coupon": (
            {"code": sale.coupon_code, "amount": sale.coupon_discount} if sale.coupon_code else None
        ),
        "subtotal": sale.subtotal,
        "discount_total": sale.discount_total,
        "taxable_total": sale.taxable_total,
        "tax_total": sale.tax_total,
        "taxes": tax_summary(lines),
        "round_off": sale.round_off,
        "total": sale.total,
        "offer_discount": sale.offer_discount,
        "bill_offer": json.loads(sale.bill_offer) if sale.bill_offer else None,
    }
