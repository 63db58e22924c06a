"""Events into reporting tables: sales, payments, returns, register sessions, customers.

A batch is projected inside its ingest transaction: what the events refer to is read in a
few queries, each event is staged in Python, and the rows go in with one statement per
table, so projecting costs little more than storing. Whatever looks odd (an event for a
session the central has closed, a payload it cannot read, a number too big to store) is
accepted and flagged on the event, never refused: one strange bill must not stop the queue
behind it. Sale and return uuids are unique, so projecting the same event twice is a no-op.

Every payload is checked against its type's schema (``o2pos.core.eventschema``) before
anything reads it: one that does not match is flagged and left out whole, so what the
projection reads has the types and column ranges it expects. Sums the projection makes
(a sale's ``paid``, a session's cash in and out) are range-checked here, as the schema
cannot see them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from peewee import fn

from o2pos.core.eventschema import INT32, INT64, SCHEMAS
from o2pos.core.models import dicts, tuples

from . import points, transfers
from .coupons import CouponBook
from .deliveries import DeliveryBook
from .master import lock_counter
from .models import (
    DEFAULT_STORE,
    Event,
    OfferGiven,
    OrderClaim,
    Payment,
    RegisterSession,
    Return,
    ReturnClaim,
    ReturnedLine,
    Sale,
    Terminal,
)
from .payloads import problem
from .returns_remote import sold_lines
from .stock import StockBook
from .store import bulk_insert, is_postgres, rows_in
from .vouchers import KINDS as VOUCHER_KINDS
from .vouchers import VoucherBook

Flags = list[str]
# what projecting these publishes nothing (no master data): their batches never take the
# master counter. Every other batch takes it before staging (``BatchProjector.run``)
UNPUBLISHED = frozenset(
    {"register.opened", "register.cash_moved", "register.closed", "drawer.opened"}
)
BIG = INT64  # BIGINT
SMALL = INT32  # INTEGER (session ids)
# an import flagged for many duplicate phones names this many; the flag says how many more
FLAGGED_CUSTOMERS = 20


def _int(value: Any, limit: int = BIG) -> int:
    """A whole number that fits its column (a bool or an oversized number is unreadable)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{type(value).__name__} is not a whole number")
    if not -limit <= value <= limit:
        raise ValueError(f"a figure is out of range (-{limit} to {limit})")
    return value


def _text(value: Any) -> str:
    """Text for a reporting column (PostgreSQL cannot store NUL; such a bill is flagged)."""
    if not isinstance(value, str) or "\x00" in value:
        raise ValueError(f"{value!r} is not storable text")
    return value


def _holds(event: dict[str, Any], key: str) -> bool:
    """Whether the event's type has ``key`` in its schema, so its value was checked there.

    A key a type does not know is let through (a newer till may add some): read on an event
    of another type, as the type that has it would be read, an odd value ended the batch in
    a 500 that its till would retry for ever."""
    return key in SCHEMAS[event["event_type"]].fields


@dataclass
class _Staged:
    """Rows one event adds; merged into the batch only if the whole event reads cleanly."""

    sales: list[dict[str, Any]] = field(default_factory=list)
    payments: list[dict[str, Any]] = field(default_factory=list)
    returns: list[dict[str, Any]] = field(default_factory=list)
    allocations: list[tuple[str, int]] = field(default_factory=list)
    returned: list[dict[str, Any]] = field(default_factory=list)
    sessions: dict[int, dict[str, Any]] = field(default_factory=dict)
    after: list[Callable[[], None]] = field(default_factory=list)
    offers: list[dict[str, Any]] = field(default_factory=list)


class BatchProjector:
    def __init__(
        self,
        terminal: str,
        events: list[tuple[int, dict[str, Any]]],
        texts: dict[int, str] | None = None,
    ) -> None:
        """``events``: (stored row id, event in wire form); ``texts``: their payloads'
        canonical JSON by seq, as stored (lets ``payloads.problem`` check them in C)."""
        texts = texts or {}
        self.terminal = terminal
        self.store: str = (
            Terminal.select(Terminal.store).where(Terminal.name == terminal).scalar()
            or DEFAULT_STORE
        )
        # seq -> why its payload cannot be projected; those events are left out from here on
        self.unreadable: dict[int, str] = {}
        self.events = []  # (stored event row id, event in wire form), each matching its schema
        for event_id, event in events:
            found = problem(event["event_type"], event["payload"], texts.get(event["seq"]))
            if found:
                self.unreadable[event["seq"]] = f"not projected: {found}"
            else:
                self.events.append((event_id, event))
        session_ids = sorted(
            {
                e["payload"]["session_id"]
                for _, e in self.events
                if _holds(e, "session_id") and e["payload"].get("session_id")
            }
        )
        # session_id -> its current state: the stored row, or one staged in this batch
        self.sessions: dict[int, dict[str, Any]] = {
            row["session_id"]: {**row, "new": False}
            for row in dicts(
                RegisterSession.select().where(
                    RegisterSession.terminal == terminal,
                    RegisterSession.session_id.in_(session_ids),
                )
            )
        }
        sale_uuids = {
            e["payload"]["uuid"] for _, e in self.events if e["event_type"] == "sale.completed"
        }
        for _, e in self.events:
            if _holds(e, "allocations"):
                for allocation in e["payload"].get("allocations") or []:
                    sale_uuids.add(allocation["sale_uuid"])
        # uuid -> [paid, balance] of every sale the batch may pay, to range-check the sums
        self.sales: dict[str, list[int]] = {
            u: [paid, balance]
            for u, paid, balance in rows_in(
                (Sale.uuid, Sale.paid, Sale.balance), Sale.uuid, sale_uuids
            )
        }
        return_uuids = (
            e["payload"]["uuid"] for _, e in self.events if e["event_type"] == "return.completed"
        )  # rows_in sorts what it is given
        self.return_uuids = {u for (u,) in rows_in([Return.uuid], Return.uuid, return_uuids)}
        # what the batch's returns are checked against: sale uuid -> line_no -> quantity
        # sold (from the sale's event) and returned so far (at any till), and its number
        self.returned_sales = {
            e["payload"]["sale_uuid"]
            for _, e in self.events
            if e["event_type"] == "return.completed"
        }
        returned_sales = sorted(self.returned_sales)
        self.sold: dict[str, dict[int, int]] = {}
        self.numbers: dict[str, str] = {}
        for uuid, number, text in tuples(
            Sale.select(Sale.uuid, Sale.number, Event.payload)
            .join(Event)
            .where(Sale.uuid.in_(returned_sales))
        ):
            self._know_sale(uuid, number, json.loads(text))
        self.returned: dict[str, dict[int, int]] = {}
        for uuid, line_no, qty in tuples(
            ReturnedLine.select(
                ReturnedLine.sale_uuid, ReturnedLine.line_no, fn.SUM(ReturnedLine.qty_milli)
            )
            .where(ReturnedLine.sale_uuid.in_(returned_sales))
            .group_by(ReturnedLine.sale_uuid, ReturnedLine.line_no)
        ):
            self.returned.setdefault(uuid, {})[line_no] = int(qty)
        # coupons first: their rows are locked before vouchers, the master counter and sales
        self.coupons = CouponBook.load(
            terminal,
            [
                (e["payload"]["coupon"]["code"].strip().upper(), e["payload"]["uuid"])
                for _, e in self.events
                if e["event_type"] == "sale.completed" and e["payload"].get("coupon")
            ],
        )
        self.vouchers = self._voucher_book()
        self.deliveries = DeliveryBook.load(terminal, self.events)  # locked after vouchers
        self.stock = StockBook(terminal)
        self.batch = _Staged()

    def _know_sale(self, uuid: str, number: str, payload: dict[str, Any]) -> None:
        self.numbers[uuid] = number
        self.sold[uuid] = {
            no: line["qty_milli"]
            for no, line in sold_lines(payload).items()
            if isinstance(line.get("qty_milli"), int)
        }

    def _voucher_book(self) -> VoucherBook:
        """The vouchers this batch issues or redeems, and the reservations it names."""
        codes: set[str] = set()
        reservations: set[str] = set()
        for _, event in self.events:
            payload = event["payload"]
            if event["event_type"] == "voucher.issued":
                codes.add(payload["code"].strip().upper())
            elif event["event_type"] == "return.completed" and payload.get("credit_note"):
                codes.add(payload["credit_note"].strip().upper())
            for line in (payload.get("payments") or []) if _holds(event, "payments") else []:
                if line["kind"] in VOUCHER_KINDS and line.get("reference"):
                    codes.add(line["reference"].strip().upper())
                    if line.get("reservation_id"):
                        reservations.add(line["reservation_id"])
        return VoucherBook.load(self.terminal, codes, reservations)

    # --- per event -----------------------------------------------------------------------
    def _session(self, payload: dict[str, Any]) -> dict[str, Any] | None:
        sid = payload.get("session_id")
        return self.sessions.get(sid) if isinstance(sid, int) else None

    def _check_open(self, payload: dict[str, Any], flags: Flags) -> None:
        session = self._session(payload)
        if session is not None and session["status"] == "closed":
            flags.append(f"session {session['session_id']} was already closed centrally")

    def _payments(
        self, event_id: int, payload: dict[str, Any], staged: _Staged, flags: Flags
    ) -> None:
        for line in payload.get("payments") or []:
            if line["kind"] in VOUCHER_KINDS and line.get("reference") and line["amount"]:
                step = self.vouchers.redeem(
                    line["kind"],
                    _text(line["reference"]),
                    _int(line["amount"]),
                    line.get("reservation_id"),
                    flags,
                )
                if step is not None:
                    staged.after.append(step)
            staged.payments.append(
                {
                    "terminal": self.terminal,
                    "receipt": _text(payload["receipt"]),
                    "receipt_uuid": _text(payload["receipt_uuid"]),
                    "method": _text(line["method"]),
                    "kind": _text(line["kind"]),
                    "tendered": _int(line["tendered"]),
                    "amount": _int(line["amount"]),
                    "event": event_id,
                }
            )

    def _sale_completed(
        self, event_id: int, event: dict[str, Any], staged: _Staged, flags: Flags
    ) -> None:
        payload = event["payload"]
        self._check_open(payload, flags)
        uuid = _text(payload["uuid"])
        if uuid in self.sales:
            flags.append(f"sale {uuid} was already projected")
            return
        customer = payload.get("customer") or {}
        session_id = payload.get("session_id")
        staged.sales.append(
            {
                "uuid": uuid,
                "terminal": self.terminal,
                "number": _text(payload["number"]),
                "session_id": None if session_id is None else _int(session_id, SMALL),
                "completed_at": event["created_at"],
                "employee_id": event["employee_id"],
                "customer_uuid": None if customer.get("uuid") is None else _text(customer["uuid"]),
                **{
                    key: _int(payload[key])
                    for key in (
                        "subtotal",
                        "discount_total",
                        "tax_total",
                        "round_off",
                        "total",
                        "paid",
                        "balance",
                    )
                },
                "event": event_id,
            }
        )
        self._payments(event_id, payload, staged, flags)
        coupon = payload.get("coupon")
        if coupon:
            step = self.coupons.use(event_id, _text(coupon["code"]), uuid, flags)
            if step is not None:
                staged.after.append(step)
        if uuid in self.returned_sales:  # returned in this very batch
            staged.after.append(lambda: self._know_sale(uuid, payload["number"], payload))
        self.deliveries.sold(event, staged)
        self._offers_given(event_id, event, staged)
        counted = payload.get("points")
        if counted:
            held = next(
                (
                    line.get("reservation_id")
                    for line in payload.get("payments") or []
                    if line["kind"] == "points"
                ),
                None,
            )
            self._points(
                event,
                counted,
                _int(counted["earned"]),
                _int(counted["redeemed"]),
                held,
                staged,
                flags,
            )

    def _points(
        self,
        event: dict[str, Any],
        counted: dict[str, Any],
        earned: int,
        taken: int,
        reservation_id: str | None,
        staged: _Staged,
        flags: Flags,
    ) -> None:
        """Count an event's points at the central (``central.points.move``) once its other
        rows are staged; a balance it would take below zero flags the event."""
        customer, seq = _text(counted["customer"]), int(event["seq"])
        staged.after.append(
            lambda: points.move(self.terminal, seq, customer, earned, taken, reservation_id, flags)
        )

    def _offers_given(self, event_id: int, event: dict[str, Any], staged: _Staged) -> None:
        """One row per offer the bill's lines name, with what it gave on them in all."""
        payload = event["payload"]
        given: dict[str, list[Any]] = {}  # code -> [name, amount]
        for line in payload.get("lines") or []:
            for g in line.get("offers") or []:
                entry = given.setdefault(_text(g["code"])[:64], [_text(g["name"]), 0])
                entry[1] = _int(entry[1] + _int(g["amount"]))
        for code, (name, amount) in sorted(given.items()):
            staged.offers.append(
                {
                    "store": self.store,
                    "terminal": self.terminal,
                    "sale_uuid": _text(payload["uuid"]),
                    "completed_at": event["created_at"],
                    "code": code,
                    "name": name,
                    "amount": amount,
                    "event": event_id,
                }
            )

    def _receipt_recorded(
        self, event_id: int, event: dict[str, Any], staged: _Staged, flags: Flags
    ) -> None:
        payload = event["payload"]
        self._check_open(payload, flags)
        self._payments(event_id, payload, staged, flags)
        figures: dict[str, list[int]] = {}  # each paid sale's [paid, balance] after this event
        for allocation in payload.get("allocations") or []:
            uuid = _text(allocation["sale_uuid"])
            if uuid not in self.sales:
                sale = allocation.get("sale") or uuid
                flags.append(f"payment for sale {sale} the central does not have")
                continue
            amount = _int(allocation["amount"])
            paid, balance = figures.get(uuid) or self.sales[uuid]
            if amount > balance:  # accepted (it happened), but no claim allowed it
                sale = allocation.get("sale") or uuid
                flags.append(f"pays {amount} on sale {sale}, whose balance was {balance}")
            figures[uuid] = [_int(paid + amount), _int(balance - amount)]
            staged.allocations.append((uuid, amount))
        staged.after.append(lambda: self.sales.update(figures))

    def _return_completed(
        self, event_id: int, event: dict[str, Any], staged: _Staged, flags: Flags
    ) -> None:
        payload = event["payload"]
        self._check_open(payload, flags)
        uuid = _text(payload["uuid"])
        if uuid in self.return_uuids:
            flags.append(f"return {uuid} was already projected")
            return
        staged.returns.append(
            {
                "uuid": uuid,
                "terminal": self.terminal,
                "number": _text(payload["number"]),
                "sale_uuid": _text(payload["sale_uuid"]),
                "refund_method": _text(payload["refund_method"]),
                "total": _int(payload["total"]),
                "event": event_id,
            }
        )
        self._returned_lines(payload, uuid, staged, flags)
        self.deliveries.returned(payload, staged, flags)
        counted = payload.get("points")
        if counted:
            given, taken = _int(counted["given_back"]), _int(counted["reversed"])
            self._points(event, counted, given, taken, None, staged, flags)
        code = payload.get("credit_note")
        if code and payload.get("refund_kind", "credit_note") == "credit_note":
            step = self.vouchers.issue(
                event_id,
                _text(code),
                "credit_note",
                _int(payload["total"]),
                None,
                event["created_at"],
                flags,
            )
            if step is not None:
                staged.after.append(step)

    def _returned_lines(
        self, payload: dict[str, Any], uuid: str, staged: _Staged, flags: Flags
    ) -> None:
        """Count what came back of each sold line; flag what goes beyond what was sold
        (two returns that no claim kept apart, made offline), never refuse it."""
        sale_uuid = payload["sale_uuid"]
        claim_id = payload.get("claim_id")
        sold = self.sold.get(sale_uuid)
        number = self.numbers.get(sale_uuid) or payload.get("sale") or sale_uuid
        if sold is None:
            flags.append(f"return against sale {number}, which the central does not have")
        after = dict(self.returned.get(sale_uuid, {}))
        for line in payload.get("lines") or []:
            no, qty = _int(line["line_no"], SMALL), _int(line["qty_milli"])
            after[no] = _int(after.get(no, 0) + qty)
            if sold is not None and no not in sold:
                flags.append(f"returns line {no}, which sale {number} does not have")
            elif sold is not None and after[no] > sold[no]:
                left = max(sold[no] - (after[no] - qty), 0)
                flags.append(
                    f"returns {qty} of line {no} of sale {number}, "
                    f"where {left} of {sold[no]} was left to return"
                )
            staged.returned.append(
                {
                    "sale_uuid": sale_uuid,
                    "line_no": no,
                    "qty_milli": qty,
                    "return_uuid": uuid,
                    "claim_id": None if claim_id is None else _text(claim_id),
                }
            )
        staged.after.append(lambda: self.returned.__setitem__(sale_uuid, after))

    def _voucher_issued(
        self, event_id: int, event: dict[str, Any], staged: _Staged, flags: Flags
    ) -> None:
        payload = event["payload"]
        step = self.vouchers.issue(
            event_id,
            _text(payload["code"]),
            _text(payload["kind"]),
            _int(payload["amount"]),
            payload.get("expires"),
            event["created_at"],
            flags,
        )
        if step is not None:
            staged.after.append(step)

    def _register_opened(
        self, event_id: int, event: dict[str, Any], staged: _Staged, flags: Flags
    ) -> None:
        payload = event["payload"]
        sid = _int(payload["session_id"], SMALL)
        if sid in self.sessions or sid in staged.sessions:
            flags.append(f"session {sid} was opened before")
            return
        staged.sessions[sid] = {
            "terminal": self.terminal,
            "session_id": sid,
            "status": "open",
            "opened_at": event["created_at"],
            "opening_float": _int(payload["opening_float"]),
            "cash_in": 0,
            "cash_out": 0,
            "new": True,
        }

    def _cash_moved(
        self, event_id: int, event: dict[str, Any], staged: _Staged, flags: Flags
    ) -> None:
        payload = event["payload"]
        self._check_open(payload, flags)
        kind = payload.get("kind")
        session = self._session(payload)
        if kind in ("in", "out") and session is not None:
            column = "cash_in" if kind == "in" else "cash_out"
            total = _int(session[column] + _int(payload.get("amount") or 0))

            def move() -> None:
                session[column] = total
                session["moved"] = True

            staged.after.append(move)

    def _register_closed(
        self, event_id: int, event: dict[str, Any], staged: _Staged, flags: Flags
    ) -> None:
        payload = event["payload"]
        sid = _int(payload["session_id"], SMALL)
        session = self.sessions.get(sid)
        if session is None:
            flags.append(f"session {sid} closed before it was seen opening")
            session = staged.sessions[sid] = {
                "terminal": self.terminal,
                "session_id": sid,
                "cash_in": 0,
                "cash_out": 0,
                "new": True,
            }
        elif session["status"] == "closed":
            flags.append(f"session {sid} was already closed")
        closing = {
            "status": "closed",
            "closed_at": event["created_at"],
            "z_number": _text(payload["z_number"]),
            "expected_cash": _int(payload["expected_cash"]),
            "counted_cash": _int(payload["counted_cash"]),
            "difference": _int(payload["difference"]),
            "closed": True,
        }
        staged.after.append(lambda: session.update(closing))

    def _customer_created(
        self, event_id: int, event: dict[str, Any], staged: _Staged, flags: Flags
    ) -> None:
        self._publish_customers([event["payload"]], staged, flags)

    def _customers_imported(
        self, event_id: int, event: dict[str, Any], staged: _Staged, flags: Flags
    ) -> None:
        # a till from before customers were published sends none: nothing to project
        self._publish_customers(event["payload"].get("customers") or [], staged, flags)

    def _publish_customers(self, rows: list[dict[str, Any]], staged: _Staged, flags: Flags) -> None:
        from .master import customers_from_till  # master data lives beside projection

        def publish() -> None:
            notes = customers_from_till(rows)
            if len(notes) > FLAGGED_CUSTOMERS:
                more = len(notes) - FLAGGED_CUSTOMERS
                notes[FLAGGED_CUSTOMERS:] = [f"and {more} more customers like these"]
            flags.extend(notes)

        staged.after.append(publish)

    # --- the batch -------------------------------------------------------------------------
    def run(self) -> dict[int, Flags]:
        """Stage every event, then write; returns the flags of each seq that has any."""
        handlers = {
            "sale.completed": self._sale_completed,
            "receipt.recorded": self._receipt_recorded,
            "return.completed": self._return_completed,
            "register.opened": self._register_opened,
            "register.cash_moved": self._cash_moved,
            "drawer.opened": lambda i, e, s, f: self._check_open(e["payload"], f),
            "register.closed": self._register_closed,
            "customer.created": self._customer_created,
            "customers.imported": self._customers_imported,
            "voucher.issued": self._voucher_issued,
            "transfer.sent": lambda i, e, s, f: transfers.sent(self.terminal, i, e, s.after, f),
            "transfer.received": lambda i, e, s, f: transfers.received(
                self.terminal, i, e, s.after, f
            ),
            "delivery.recorded": self.deliveries.delivered,
        }
        flagged: dict[int, Flags] = {seq: [why] for seq, why in self.unreadable.items()}
        if any(event["event_type"] not in UNPUBLISHED for _, event in self.events):
            # before any row its events lock (a points account, a transfer, the levels, the
            # sales): a batch that took the counter in between, as staging publishes points
            # and customers, waited in a cycle with one that held the counter and wanted
            # such a row; PostgreSQL broke it by failing one push (a 503, sent again). A
            # customer's phone is also read under it, so two tills adding the same new
            # phone at once publish one customer, not two
            lock_counter()
        batch = self.batch
        for event_id, event in self.events:
            self.stock.add(event["seq"], event["event_type"], event["payload"])
            handler = handlers.get(event["event_type"])
            if handler is None:
                continue
            flags: Flags = []
            staged = _Staged()
            self.vouchers.next_event()
            try:
                handler(event_id, event, staged, flags)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                flags.append(f"not projected ({type(exc).__name__}: {exc})")
                staged = _Staged()
            for sid, row in staged.sessions.items():
                self.sessions[sid] = row
            self.sales.update({row["uuid"]: [row["paid"], row["balance"]] for row in staged.sales})
            self.return_uuids.update(row["uuid"] for row in staged.returns)
            batch.sales += staged.sales
            batch.payments += staged.payments
            batch.returns += staged.returns
            batch.allocations += staged.allocations
            batch.returned += staged.returned
            batch.offers += staged.offers
            for step in staged.after:
                step()
            if flags:
                flagged[event["seq"]] = flags
        level_flags = self._write()
        if level_flags and self.events:
            flagged.setdefault(self.events[-1][1]["seq"], []).extend(level_flags)
        return flagged

    def _paid_elsewhere(self, allocations: list[tuple[str, int]]) -> dict[str, int]:
        """What this batch pays towards orders made at other tills: by sale uuid."""
        amounts: dict[str, int] = {}
        for uuid, amount in allocations:
            amounts[uuid] = amounts.get(uuid, 0) + amount
        if not amounts:
            return {}
        others = Sale.select(Sale.uuid).where(
            Sale.uuid.in_(sorted(amounts)), Sale.terminal != self.terminal
        )
        return {row.uuid: amounts[row.uuid] for row in others}

    def _publish_paid_elsewhere(self, amounts: dict[str, int]) -> None:
        """Tell the till that made each order what other tills have now paid towards it (master
        data kind ``order_paid``), so it neither takes that payment again nor refuses a
        refund of money the store did receive."""
        from .master import get, put

        for sale in Sale.select().where(Sale.uuid.in_(sorted(amounts))).order_by(Sale.uuid):
            before = get("order_paid", sale.uuid)
            paid = (int(before["amount"]) if before else 0) + amounts[sale.uuid]
            put(
                "order_paid",
                sale.uuid,
                {"terminal": sale.terminal, "number": sale.number, "amount": paid},
            )

    def _write(self) -> list[str]:
        """Write the staged rows; returns flags of the stock levels (``StockBook.write``)."""
        batch = self.batch
        # the coupons' rows and the master counter are locked already (``run``)
        self.coupons.write()
        level_flags = self.stock.write()  # the level rows, before any sale row
        elsewhere = self._paid_elsewhere(batch.allocations)
        if batch.returned and is_postgres():
            # a return claim reads returned and held quantities under the sale's row lock:
            # taking it here makes it see this batch's returns and settled claims together
            list(
                Sale.select(Sale.id)
                .where(Sale.uuid.in_(sorted({r["sale_uuid"] for r in batch.returned})))
                .order_by(Sale.id)
                .for_update()
            )
        for model, rows in (
            (Sale, batch.sales),
            (Payment, batch.payments),
            (Return, batch.returns),
        ):
            bulk_insert(model, rows)
        for uuid, amount in batch.allocations:
            Sale.update(paid=Sale.paid + amount, balance=Sale.balance - amount).where(
                Sale.uuid == uuid
            ).execute()
        self._publish_paid_elsewhere(elsewhere)
        if batch.allocations:  # the holder's payment is in: its claim is settled
            OrderClaim.delete().where(
                OrderClaim.sale_uuid.in_(sorted({uuid for uuid, _ in batch.allocations})),
                OrderClaim.terminal == self.terminal,
            ).execute()
        bulk_insert(ReturnedLine, batch.returned)
        bulk_insert(OfferGiven, batch.offers)
        claims = sorted({r["claim_id"] for r in batch.returned if r["claim_id"]})
        if claims:  # the returns are in: their claims are settled
            ReturnClaim.delete().where(
                ReturnClaim.claim_id.in_(claims), ReturnClaim.terminal == self.terminal
            ).execute()
        self.vouchers.write()
        self.deliveries.write()
        columns = {f.name for f in RegisterSession._meta.sorted_fields} - {"id"}
        for session in self.sessions.values():
            values = {k: v for k, v in session.items() if k in columns}
            if session.get("new"):
                RegisterSession.insert(**values).execute()
            elif session.get("closed") or session.get("moved"):
                RegisterSession.update(**values).where(
                    RegisterSession.id == session["id"]
                ).execute()
        return level_flags
