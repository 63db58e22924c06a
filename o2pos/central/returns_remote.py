"""Returns at any counter: a store's sale with what can still come back, and return claims.

A sale is looked up by number within the calling terminal's store (``orders._store_sales``);
its lines are read from its ``sale.completed`` as stored, with what has come back at any
till (``ReturnedLine``, projected from every ``return.completed``) and what live claims of
other tills hold. A till claims the quantities it is about to take back: granted only
within sold − returned − other live claims, per line, decided under the sale's row lock
(PostgreSQL) or the write lock (SQLite), so two counters never both take the last unit.
The till picks the claim id; the same id again answers the same claim (renewing its
lease), so a lost answer is asked for again. The return's ``return.completed`` carries
the claim id and settles the claim when projected (``projection.py``).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from peewee import fn

from o2pos.core.models import tuples
from o2pos.core.money import format_qty
from o2pos.core.vouchers import is_voucher

from .models import Event, Return, ReturnClaim, ReturnedLine, Sale, Terminal
from .orders import OrderRefusal, _iso, _store_sales
from .store import is_postgres, now, write

DEFAULT_RETURN_LEASE = 120


def _sale(store: str, *, number: str | None = None, uuid: str | None = None) -> Sale:
    query = _store_sales(store)
    if number is not None:
        query = query.where(Sale.number == number.strip().upper())
    else:
        query = query.where(Sale.uuid == uuid)
        if is_postgres():
            query = query.for_update(of=Sale)
    sale = query.first()
    if sale is None:
        wanted = number.strip() if number is not None else uuid
        raise OrderRefusal(404, "not_found", f"No sale {wanted} in store {store}", {})
    return sale


def sold_lines(payload: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """The returnable lines of a ``sale.completed`` payload by line number: a gift voucher
    sold on the bill is not one (its balance stays usable; it is never refunded)."""
    return {
        line["line_no"]: line
        for line in payload.get("lines") or []
        if isinstance(line, dict)
        and isinstance(line.get("line_no"), int)
        and not is_voucher(str(line.get("sku") or ""))
    }


def returned(uuid: str) -> dict[int, int]:
    """line_no -> quantity that came back at any till, as projected."""
    return dict(
        tuples(
            ReturnedLine.select(ReturnedLine.line_no, fn.SUM(ReturnedLine.qty_milli))
            .where(ReturnedLine.sale_uuid == uuid)
            .group_by(ReturnedLine.line_no)
        )
    )


def _held(uuid: str, moment: datetime, but: str | None = None) -> dict[int, int]:
    """line_no -> quantity held by live claims (other than ``but``)."""
    query = ReturnClaim.select(ReturnClaim.line_no, fn.SUM(ReturnClaim.qty_milli)).where(
        ReturnClaim.sale_uuid == uuid, ReturnClaim.expires_at > moment
    )
    if but is not None:
        query = query.where(ReturnClaim.claim_id != but)
    return dict(tuples(query.group_by(ReturnClaim.line_no)))


def find_sale(store: str, number: str) -> dict[str, Any]:
    """The store's completed sale ``number`` with, per line, what came back and what is held."""
    sale = _sale(store, number=number)
    payload = json.loads(sale.event.payload)
    back, held = returned(sale.uuid), _held(sale.uuid, now())
    round_off_given = refunded = returned_total = 0
    for total, text in tuples(
        Return.select(Return.total, Event.payload).join(Event).where(Return.sale_uuid == sale.uuid)
    ):
        ret = json.loads(text)
        round_off_given += int(ret.get("round_off") or 0)
        returned_total += int(total)
        if ret.get("refund_kind") != "on_account":
            refunded += int(total)
    earned = (payload.get("points") or {}).get("earned")
    customer = payload.get("customer") or None
    return {
        "uuid": sale.uuid,
        "number": sale.number,
        "terminal": sale.terminal,
        "completed_at": sale.completed_at,
        "customer": (
            {"uuid": customer.get("uuid"), "name": customer.get("name")} if customer else None
        ),
        "total": sale.total,
        "paid": sale.paid,
        "balance": sale.balance,
        "round_off": sale.round_off,
        "returned_round_off": round_off_given,
        "refunded": refunded,
        "returned_total": returned_total,
        "points_earned": earned if isinstance(earned, int) and earned > 0 else 0,
        "lines": [
            {
                **{
                    key: line.get(key)
                    for key in (
                        "line_no",
                        "sku",
                        "name",
                        "unit",
                        "qty_milli",
                        "unit_price",
                        "tax_rate_bp",
                        "taxable",
                        "cgst",
                        "sgst",
                        "igst",
                        "total",
                        "lot_no",
                        "serial",
                    )
                },
                "returned_milli": int(back.get(no, 0)),
                "held_milli": int(held.get(no, 0)),
            }
            for no, line in sorted(sold_lines(payload).items())
        ],
    }


def _answer(
    claim_id: str, sale: Sale, terminal: str, lines: list[tuple[int, int]], expires: str
) -> dict[str, Any]:
    return {
        "claim_id": claim_id,
        "sale_uuid": sale.uuid,
        "number": sale.number,
        "terminal": terminal,
        "sale_terminal": sale.terminal,
        "lines": [{"line_no": no, "qty_milli": qty} for no, qty in lines],
        "expires_at": expires,
    }


def claim_return(
    terminal: Terminal, uuid: str, claim_id: str, lines: list[tuple[int, int]], lease_seconds: int
) -> dict[str, Any]:
    """Hold ``lines`` (line_no, qty_milli) of one sale of the terminal's store for a return.

    409 ``over_return`` when a quantity is more than is left (its ``left`` lists what is
    left of every line); the same ``claim_id`` again renews (or, if its return was already
    projected, answers) the same claim.
    """
    moment = now()
    expires = moment + timedelta(seconds=lease_seconds)
    with write():
        sale = _sale(terminal.store, uuid=uuid)
        settled = list(
            tuples(
                ReturnedLine.select(ReturnedLine.line_no, ReturnedLine.qty_milli).where(
                    ReturnedLine.claim_id == claim_id, ReturnedLine.sale_uuid == uuid
                )
            )
        )
        if settled:  # its return is in: the claim is answered as it was
            return _answer(claim_id, sale, terminal.name, settled, _iso(moment))
        mine = list(ReturnClaim.select().where(ReturnClaim.claim_id == claim_id))
        if any(row.terminal != terminal.name or row.sale_uuid != uuid for row in mine):
            raise OrderRefusal(409, "claimed", "That claim id is another return's", {})
        sold = sold_lines(json.loads(sale.event.payload))
        back, held = returned(uuid), _held(uuid, moment, but=claim_id)
        left = {
            no: int(line.get("qty_milli") or 0) - back.get(no, 0) - held.get(no, 0)
            for no, line in sold.items()
        }
        problems = []
        for no, qty in lines:
            if no not in sold:
                raise OrderRefusal(404, "not_found", f"Sale {sale.number} has no line {no}", {})
            if qty > left[no]:
                name = sold[no].get("name") or sold[no].get("sku")
                problems.append(f"line {no} ({name}) has {format_qty(max(left[no], 0))} left")
        if problems:
            raise OrderRefusal(
                409,
                "over_return",
                f"More than is left to return of {sale.number}: " + "; ".join(problems),
                {
                    "left": [
                        {"line_no": no, "qty_milli": max(q, 0)} for no, q in sorted(left.items())
                    ]
                },
            )
        ReturnClaim.delete().where(ReturnClaim.claim_id == claim_id).execute()
        ReturnClaim.insert_many(
            [
                {
                    "claim_id": claim_id,
                    "sale_uuid": uuid,
                    "line_no": no,
                    "qty_milli": qty,
                    "terminal": terminal.name,
                    "expires_at": expires,
                }
                for no, qty in lines
            ]
        ).execute()
    return _answer(claim_id, sale, terminal.name, lines, _iso(expires))


def release_return(terminal: Terminal, uuid: str, claim_id: str) -> bool:
    """Give a return claim up (the cashier cancelled); whether this till held one by that id."""
    with write():
        _sale(terminal.store, uuid=uuid)
        done = (
            ReturnClaim.delete()
            .where(
                ReturnClaim.sale_uuid == uuid,
                ReturnClaim.claim_id == claim_id,
                ReturnClaim.terminal == terminal.name,
            )
            .execute()
        )
    return bool(done)
