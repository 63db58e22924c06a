"""Reading bills: the rows core code works on, and the plain views screens show.

A screen never queries: it asks for a ``BillView`` (the bill with its customer's name and
its lines, two queries) or the lines it holds on screen, and gets values, not models.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from o2pos.core.context import Context
from o2pos.core.errors import NotFound, StateError
from o2pos.core.models import Sale, SaleLine, sql


def get(sale_id: int) -> Sale:
    rows = Sale.fetch("id = ?", sale_id)
    if not rows:
        raise NotFound(f"No bill with id {sale_id}")
    return rows[0]


def lines_of(sale: Sale) -> list[SaleLine]:
    return SaleLine.fetch("sale_id = ? ORDER BY line_no", sale.id)


class LineView(NamedTuple):
    """What a screen shows of a bill line: read without building a 35-field model."""

    id: int
    line_no: int
    name: str
    serial: str | None
    qty_milli: int
    list_price: int
    unit_price: int
    line_discount: int
    order_discount: int  # the line's share of the bill discount and the coupon
    tax_rate_bp: int
    total: int
    offer_discount: int = 0  # what offers gave on the line (a bill offer's share too)
    offer_name: str | None = None  # the line offer's name, shown under the line


def _line_offer_name(offers: str | None, bill_offer: str | None) -> str | None:
    """The name of the offer that took the line (one per line); a bill offer's share is
    the bill's, shown with the totals, not under each line."""
    if not offers:
        return None
    bill_code = json.loads(bill_offer)["code"] if bill_offer else None
    names = [g["name"] for g in json.loads(offers) if g["code"] != bill_code]
    return ", ".join(names) or None


def line_views(sale_id: int) -> list[LineView]:
    rows = sql(
        "SELECT l.id, l.line_no, l.name, l.serial, l.qty_milli, l.list_price, l.unit_price, "
        "l.line_discount, l.order_discount, l.tax_rate_bp, l.total, l.offer_discount, "
        "l.offers, s.bill_offer FROM sale_line l JOIN sale s ON s.id = l.sale_id "
        "WHERE l.sale_id = ? ORDER BY l.line_no",
        (sale_id,),
    ).fetchall()
    return [
        LineView(
            row[0],
            row[1],
            row[2],
            row[3],
            row[4],
            row[5],
            row[6],
            row[7],
            row[8],
            row[9],
            row[10],
            row[11],
            _line_offer_name(row[12], row[13]),
        )
        for row in rows
    ]


@dataclass(frozen=True)
class BillView:
    """A bill as the sales screen shows it."""

    id: int
    number: str | None
    status: str
    customer_name: str | None
    interstate: bool
    coupon_code: str | None
    subtotal: int
    discount_total: int
    tax_total: int
    round_off: int
    total: int
    notice: str | None  # what the last change did by itself (a coupon dropped, ...)
    lines: list[LineView]
    delivery: str | None = None  # home | pickup: delivered later (``set_delivery``)


def bill_view(sale_id: int) -> BillView:
    row = sql(
        "SELECT s.id, s.number, s.status, c.name, s.interstate, s.coupon_code, s.subtotal, "
        "s.discount_total, s.tax_total, s.round_off, s.total, s.notice, s.delivery "
        "FROM sale s LEFT JOIN customer c ON c.id = s.customer_id WHERE s.id = ?",
        (sale_id,),
    ).fetchone()
    if row is None:
        raise NotFound(f"No bill with id {sale_id}")
    id_, number, status, customer, interstate, coupon, subtotal, discounts, tax, rounding = row[:10]
    total, notice, delivery = row[10:]
    return BillView(
        id_,
        number,
        status,
        customer,
        bool(interstate),
        coupon,
        subtotal,
        discounts,
        tax,
        rounding,
        total,
        notice,
        line_views(sale_id),
        delivery,
    )


def find_by_number(number: str) -> Sale:
    sale = Sale.get_or_none(Sale.number == number.strip().upper())
    if sale is None:
        raise NotFound(f"No bill numbered {number.strip()}")
    return sale


def open_draft(ctx: Context) -> Sale | None:
    """The bill in progress on this till, if any (to resume after a restart)."""
    return (
        Sale.select()
        .where(Sale.terminal_id == ctx.terminal_id, Sale.status == "draft")
        .order_by(Sale.id.desc())
        .first()
    )


def held(ctx: Context) -> list[Sale]:
    return list(
        Sale.select()
        .where(Sale.terminal_id == ctx.terminal_id, Sale.status == "held")
        .order_by(Sale.created_at)
    )


class HeldBill(NamedTuple):
    id: int
    created_at: datetime  # naive UTC
    total: int
    customer_name: str | None


def held_bills(ctx: Context) -> list[HeldBill]:
    """This till's held bills, oldest first (F8 recalls the oldest)."""
    return [
        HeldBill(s.id, s.created_at, s.total, s.customer.name if s.customer else None)
        for s in held(ctx)
    ]


def draft_of(sale_id: int) -> Sale:
    sale = get(sale_id)
    if sale.status != "draft":
        raise StateError(f"This bill is {sale.status}; it can no longer be changed")
    return sale


def line_of(sale: Sale, line_id: int) -> SaleLine:
    line = SaleLine.get_or_none(SaleLine.id == line_id, SaleLine.sale == sale)
    if line is None:
        raise NotFound("That line is not on this bill")
    return line
