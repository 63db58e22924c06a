"""X, Z and daily reports, as data: for ``--json``, the central, and the report slip.

X reads the open session and changes nothing; Z is the same report of a closed session,
with its number, the counted cash and the difference; daily covers one local calendar day
of this till across sessions. Money stays in minor units; the words and the layout are the
slip's (``o2pos.printing.layouts.report``), the one rendering the printer, the till and
``o2pos report`` share.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from peewee import JOIN, fn

from o2pos.core import journal
from o2pos.core.context import Context
from o2pos.core.errors import NotFound
from o2pos.core.journal import iso
from o2pos.core.models import (
    PaidElsewhere,
    Payment,
    PaymentMethod,
    Receipt,
    RegisterSession,
    RemoteReturn,
    RemoteReturnLine,
    Return,
    ReturnLine,
    Sale,
    SaleLine,
    tuples,
)
from o2pos.core.register import cash_totals, current_session
from o2pos.core.vouchers import VOUCHER_SKU


def _summary(
    sale_where: Any, receipt_where: Any, return_where: Callable[[Any], Any]
) -> dict[str, Any]:
    """``return_where`` picks the returns of a return model (``Return``, ``RemoteReturn``)."""
    completed = Sale.status == "completed"
    sales = tuples(
        Sale.select(
            fn.COUNT(Sale.id),
            fn.COALESCE(fn.SUM(Sale.total), 0),
            fn.COALESCE(fn.SUM(Sale.discount_total), 0),
            fn.COALESCE(fn.SUM(Sale.tax_total), 0),
            fn.COALESCE(fn.SUM(Sale.round_off), 0),
        ).where(completed, sale_where)
    )[0]
    # owed on these bills: less what other tills of the store took for them (last pull)
    unpaid = (
        Sale.select(
            fn.COALESCE(fn.SUM(fn.MAX(0, Sale.balance - fn.COALESCE(PaidElsewhere.amount, 0))), 0)
        )
        .join(PaidElsewhere, JOIN.LEFT_OUTER, on=(PaidElsewhere.sale_uuid == Sale.uuid))
        .where(completed, sale_where)
        .scalar()
    )
    # gift vouchers sold are money taken in the shift, and a liability of the store's: no sale
    vouchers_sold = tuples(
        SaleLine.select(
            fn.COALESCE(fn.SUM(SaleLine.qty_milli), 0), fn.COALESCE(fn.SUM(SaleLine.total), 0)
        )
        .join(Sale)
        .where(completed, sale_where, SaleLine.sku == VOUCHER_SKU)
    )[0]
    # returns of this till's sales (Return) and of other tills' sales (RemoteReturn) alike
    both = (Return, RemoteReturn)
    counted = [
        tuples(
            model.select(fn.COUNT(model.id), fn.COALESCE(fn.SUM(model.total), 0)).where(
                return_where(model)
            )
        )[0]
        for model in both
    ]
    returns = (sum(c for c, _ in counted), sum(t for _, t in counted))
    tenders = [
        {"method": code, "name": name, "kind": kind, "count": count, "amount": amount}
        for code, name, kind, count, amount in tuples(
            Payment.select(
                PaymentMethod.code,
                PaymentMethod.name,
                PaymentMethod.kind,
                fn.COUNT(Payment.id),
                fn.SUM(Payment.amount),
            )
            .join(Receipt)
            .switch(Payment)
            .join(PaymentMethod)
            .where(receipt_where)
            .group_by(PaymentMethod.code)
            .order_by(PaymentMethod.sort)
        )
    ]
    # on account is credit given, not money received: it is reported beside the payments
    payments = [t for t in tenders if t["kind"] != "on_account"]
    on_account = sum(t["amount"] for t in tenders if t["kind"] == "on_account")
    by_method: dict[str, dict[str, Any]] = {}
    for model in both:
        for code, name, sort, count, amount in tuples(
            model.select(
                PaymentMethod.code,
                PaymentMethod.name,
                PaymentMethod.sort,
                fn.COUNT(model.id),
                fn.SUM(model.total),
            )
            .join(PaymentMethod)
            .where(return_where(model))
            .group_by(PaymentMethod.code)
        ):
            row = by_method.setdefault(
                code, {"method": code, "name": name, "count": 0, "amount": 0, "sort": sort}
            )
            row["count"] += count
            row["amount"] += amount
    refunds = [
        {k: v for k, v in row.items() if k != "sort"}
        for row in sorted(by_method.values(), key=lambda r: (r["sort"], r["method"]))
    ]
    taxes: dict[int, dict[str, int]] = {}
    sold = tuples(
        SaleLine.select(
            SaleLine.tax_rate_bp,
            fn.SUM(SaleLine.taxable),
            fn.SUM(SaleLine.cgst),
            fn.SUM(SaleLine.sgst),
            fn.SUM(SaleLine.igst),
        )
        .join(Sale)
        .where(completed, sale_where, SaleLine.sku != VOUCHER_SKU)  # vouchers bear no GST
        .group_by(SaleLine.tax_rate_bp)
    )
    back = tuples(
        ReturnLine.select(
            SaleLine.tax_rate_bp,
            fn.SUM(ReturnLine.taxable),
            fn.SUM(ReturnLine.cgst),
            fn.SUM(ReturnLine.sgst),
            fn.SUM(ReturnLine.igst),
        )
        .join(SaleLine)
        .switch(ReturnLine)
        .join(Return)
        .where(return_where(Return))
        .group_by(SaleLine.tax_rate_bp)
    )
    back_remote = tuples(
        RemoteReturnLine.select(
            RemoteReturnLine.tax_rate_bp,
            fn.SUM(RemoteReturnLine.taxable),
            fn.SUM(RemoteReturnLine.cgst),
            fn.SUM(RemoteReturnLine.sgst),
            fn.SUM(RemoteReturnLine.igst),
        )
        .join(RemoteReturn)
        .where(return_where(RemoteReturn))
        .group_by(RemoteReturnLine.tax_rate_bp)
    )
    for sign, rows in ((1, sold), (-1, back), (-1, back_remote)):
        for rate, taxable, cgst, sgst, igst in rows:
            row = taxes.setdefault(
                rate, {"rate_bp": rate, "taxable": 0, "cgst": 0, "sgst": 0, "igst": 0, "tax": 0}
            )
            row["taxable"] += sign * taxable
            row["cgst"] += sign * cgst
            row["sgst"] += sign * sgst
            row["igst"] += sign * igst
            row["tax"] += sign * (cgst + sgst + igst)
    sales_count, sales_total, discounts, tax_total, round_off = sales
    return {
        "sales_count": sales_count,
        "sales_total": sales_total,
        "discount_total": discounts,
        "tax_total": tax_total,
        "round_off_total": round_off,
        "unpaid_total": int(unpaid),
        "gift_vouchers_sold": {"count": vouchers_sold[0] // 1000, "total": vouchers_sold[1]},
        "returns_count": returns[0],
        "returns_total": returns[1],
        "net_sales": sales_total - returns[1],
        "payments": payments,
        "received_total": sum(p["amount"] for p in payments),
        "on_account_total": on_account,
        "refunds": refunds,
        "taxes": [taxes[k] for k in sorted(taxes)],
    }


def _session_head(session: RegisterSession) -> dict[str, Any]:
    return {
        "session_id": session.id,
        "terminal_id": session.terminal_id,
        "status": session.status,
        "opened_at": iso(session.opened_at),
        "opened_by": session.opened_by.code,
        "closed_at": iso(session.closed_at) if session.closed_at else None,
        "closed_by": session.closed_by.code if session.closed_by else None,
        # the manager whose PIN let the closer close (None: the closer's own permission)
        "approved_by": session.approved_by,
        "z_number": session.z_number,
        "counted_cash": session.counted_cash,
        "difference": session.difference,
    }


def session_report(ctx: Context, session: RegisterSession) -> dict[str, Any]:
    body = _summary(
        Sale.session == session, Receipt.session == session, lambda m: m.session == session
    )
    return {**_session_head(session), **body, "cash": cash_totals(session)}


def x_report(ctx: Context) -> dict[str, Any]:
    session = current_session(ctx)
    if session is None:
        raise NotFound("No cash register session is open on this till (an X report reads one)")
    return {"kind": "X", "printed_at": iso(ctx.now()), **session_report(ctx, session)}


def z_report(ctx: Context, z_number: str | None = None) -> dict[str, Any]:
    """The Z report of a closed session: the latest one, or the one with ``z_number``.

    It is read from the ``register.closed`` event, the figures as they were at closing: a
    due collected the next morning must not change last night's Z report when reprinted.
    """
    query = RegisterSession.select().where(
        RegisterSession.terminal_id == ctx.terminal_id, RegisterSession.status == "closed"
    )
    if z_number:
        query = query.where(RegisterSession.z_number == z_number.strip().upper())
    session = query.order_by(RegisterSession.closed_at.desc(), RegisterSession.id.desc()).first()
    if session is None:
        raise NotFound(
            f"No Z report {z_number}" if z_number else "No register session has been closed yet"
        )
    event = journal.document_event("$.z_number", session.z_number)
    if event is None:  # a session closed without its event: the database was tampered with
        raise NotFound(f"The journal has no register.closed event for {session.z_number}")
    return {"kind": "Z", **json.loads(event.payload)["report"]}


def day_bounds(ctx: Context, day: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(ctx.settings.store.timezone)
    start = datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC).replace(tzinfo=None)
    end = (
        datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
        .astimezone(UTC)
        .replace(tzinfo=None)
    )
    return start, end


def daily_report(ctx: Context, day: date | None = None) -> dict[str, Any]:
    day = day or ctx.today()
    start, end = day_bounds(ctx, day)
    terminal = ctx.terminal_id
    body = _summary(
        (Sale.terminal_id == terminal) & (Sale.completed_at >= start) & (Sale.completed_at < end),
        (Receipt.terminal_id == terminal)
        & (Receipt.created_at >= start)
        & (Receipt.created_at < end),
        lambda m: (m.terminal_id == terminal) & (m.created_at >= start) & (m.created_at < end),
    )
    return {"kind": "daily", "date": day.isoformat(), "terminal_id": terminal, **body}
