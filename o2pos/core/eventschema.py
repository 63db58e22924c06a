"""The payload of every journal event type: what a till writes and what the central reads.

One schema per type in ``journal.EVENT_TYPES``. The central checks each arriving event
against its schema before projecting it: a payload that does not match is still stored and
acknowledged (the chain is the record, and refusing it would stop every sale behind it) but
flagged with the reason and kept out of the reporting tables. The till's tests check every
event its own flows write against the same schemas in ``strict`` mode, so the two cannot
drift apart.

Two readings of one schema:
- the central's (default): the keys projection needs must be there, every key that is there
  must have its type; keys the schema does not know are let through (a newer till may add
  some);
- ``strict`` (the till's own events): every key the schema declares is there, except those
  a flow writes only sometimes, and nothing else is.

A whole number carries the range of the column it ends up in (BIGINT for money, INTEGER
for a register session), and text that becomes a column carries its length, so nothing out
of range reaches SQL; no text may hold NUL (PostgreSQL refuses it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from o2pos.core.journal import EVENT_TYPES

INT64 = 2**63 - 1  # BIGINT: money
INT32 = 2**31 - 1  # INTEGER: a register session's id
COLUMN = 255  # a VARCHAR column
UUID_LENGTH = 36


def _kind(value: Any) -> str:
    """What a JSON value is, in words: a message must never print a huge value whole."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _quoted(key: str) -> str:
    """A key from the payload, fit for a message stored as text: escaped (no NUL), short."""
    text = json.dumps(key)
    return text if len(text) <= 40 else text[:36] + '..."'


class Spec:
    """One value's shape; ``problem`` says what is wrong with a value, or None.

    The answer starts with where, relative to the value (``.lines[2].sku is a list, not
    text``): a container prefixes its part only on the way out of a failure, so checking a
    good payload builds no path strings (ingest checks every event it stores).
    """

    def problem(self, value: Any, strict: bool) -> str | None:
        raise NotImplementedError


@dataclass(frozen=True)
class Int(Spec):
    low: int = -INT64
    high: int = INT64

    def problem(self, value: Any, strict: bool) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int):
            return f" is {_kind(value)}, not a whole number"
        if not self.low <= value <= self.high:
            return f" is out of range ({self.low} to {self.high})"
        return None


@dataclass(frozen=True)
class Text(Spec):
    max_length: int | None = None

    def problem(self, value: Any, strict: bool) -> str | None:
        if not isinstance(value, str):
            return f" is {_kind(value)}, not text"
        if "\x00" in value:
            return " contains a NUL character"
        if self.max_length is not None and len(value) > self.max_length:
            return f" is longer than {self.max_length} characters"
        return None


@dataclass(frozen=True)
class Bool(Spec):
    def problem(self, value: Any, strict: bool) -> str | None:
        return None if isinstance(value, bool) else f" is {_kind(value)}, not true/false"


@dataclass(frozen=True)
class Null(Spec):
    """``inner`` or null."""

    inner: Spec

    def problem(self, value: Any, strict: bool) -> str | None:
        return None if value is None else self.inner.problem(value, strict)


@dataclass(frozen=True)
class ListOf(Spec):
    item: Spec

    def problem(self, value: Any, strict: bool) -> str | None:
        if not isinstance(value, list):
            return f" is {_kind(value)}, not a list"
        for index, item in enumerate(value):
            found = self.item.problem(item, strict)
            if found:
                return f"[{index}]{found}"
        return None


@dataclass(frozen=True)
class MapOf(Spec):
    """An object whose keys are free and whose values all have one shape."""

    value: Spec

    def problem(self, value: Any, strict: bool) -> str | None:
        if not isinstance(value, dict):
            return f" is {_kind(value)}, not an object"
        for key, item in value.items():
            found = self.value.problem(item, strict)
            if found:
                return f"[{_quoted(key)}]{found}"
        return None


@dataclass(frozen=True)
class Obj(Spec):
    """An object with known keys: ``needed`` by the central, ``sometimes`` left out by a till.

    ``open``: any further keys are fine even in strict mode (a free-form part, such as
    the Z report a ``register.closed`` carries for reprinting).
    """

    fields: dict[str, Spec] = field(default_factory=dict)
    needed: tuple[str, ...] = ()
    sometimes: tuple[str, ...] = ()
    open: bool = False
    _quick: dict[str, tuple[Any, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        # the keys holding a whole number, text or true/false (or null where allowed) are
        # passed inline when their value is plainly right: a method call per value was most
        # of checking a sale's payload, and ingest checks every event it stores
        quick: dict[str, tuple[Any, ...]] = {}
        for key, spec in self.fields.items():
            nullable = isinstance(spec, Null)
            inner = spec.inner if isinstance(spec, Null) else spec
            if isinstance(inner, Int):
                quick[key] = (int, nullable, inner.low, inner.high)
            elif isinstance(inner, Text):
                quick[key] = (str, nullable, inner.max_length or 2**63)
            elif isinstance(inner, Bool):
                quick[key] = (bool, nullable)
        object.__setattr__(self, "_quick", quick)

    def problem(self, value: Any, strict: bool) -> str | None:
        if not isinstance(value, dict):
            return f" is {_kind(value)}, not an object"
        must = [k for k in self.fields if k not in self.sometimes] if strict else self.needed
        for key in must:
            if key not in value:
                return f".{key} is missing"
        quick = self._quick
        for key, item in value.items():
            known = quick.get(key)
            if known is not None:
                kind = item.__class__  # exactly int: a bool is not a whole number here
                if kind is known[0]:
                    if kind is int:
                        if known[2] <= item <= known[3]:
                            continue
                    elif kind is str:
                        if len(item) <= known[2] and "\x00" not in item:
                            continue
                    else:
                        continue
                elif item is None and known[1]:
                    continue
            spec = self.fields.get(key)
            if spec is None:
                if strict and not self.open:
                    return f".{key} is not in the schema"
                continue
            found = spec.problem(item, strict)
            if found:
                return f".{key}{found}"
        return None


MONEY = Int()
NUMBER = Int()  # a count or a quantity: stored in the payload only
SESSION = Int(1, INT32)
UUID = Text(UUID_LENGTH)
COLUMN_TEXT = Text(COLUMN)
TEXT = Text()
NULL_TEXT = Null(TEXT)
DATE = Null(Text(10))  # YYYY-MM-DD, or null for "never"

LINE_FIGURES = ("gross", "line_discount", "order_discount", "taxable", "cgst", "sgst", "igst")
SALE_LINE = Obj(
    {
        "line_no": NUMBER,
        "sku": TEXT,
        "name": TEXT,
        "unit": TEXT,
        "qty_milli": NUMBER,
        "list_price": MONEY,
        "unit_price": MONEY,
        "price_overridden": Bool(),
        "fixed_gross": Null(MONEY),
        "price_includes_tax": Bool(),
        "tax_class": TEXT,
        "tax_rate_bp": NUMBER,
        "discount_kind": NULL_TEXT,
        "discount_value": NUMBER,
        "approved_by": NULL_TEXT,
        "price_approved_by": NULL_TEXT,
        "lot_no": NULL_TEXT,
        "serial": NULL_TEXT,
        **dict.fromkeys(LINE_FIGURES, MONEY),
        "total": MONEY,
        # the line's HSN/SAC code (``core.gst``); absent from tills before GST codes
        "hsn": NULL_TEXT,
        # what offers gave on the line, and which gave what (absent before offers)
        "offer_discount": MONEY,
        "offers": ListOf(Obj({"code": COLUMN_TEXT, "name": TEXT, "amount": MONEY})),
    },
    sometimes=("hsn", "offer_discount", "offers"),
)
PAYMENT = Obj(
    {
        "method": COLUMN_TEXT,
        "kind": COLUMN_TEXT,
        "tendered": MONEY,
        "amount": MONEY,
        "reference": NULL_TEXT,
        # a gift voucher or credit note reserved at the central before it was tendered
        # (``sync.vouchers``); absent when it was accepted offline, or for other kinds
        "reservation_id": UUID,
    },
    needed=("method", "kind", "tendered", "amount"),
    sometimes=("reservation_id",),
)
# what a payment adds to its event (``payments.receipt_payload``); a checkout with nothing
# paid writes only receipt (null), tendered, applied, change and payments
RECEIPT_FIELDS: dict[str, Spec] = {
    "receipt": Null(COLUMN_TEXT),
    "receipt_uuid": UUID,
    "tendered": MONEY,
    "applied": MONEY,
    "received": MONEY,
    "credit_given": MONEY,
    "change": MONEY,
    "payments": ListOf(PAYMENT),
}
SALE_FIGURES = ("subtotal", "discount_total", "tax_total", "round_off", "total", "paid", "balance")

POINTS = Obj(
    {
        "customer": COLUMN_TEXT,
        "earned": Int(0, INT64),
        "redeemed": Int(0, INT64),
        "balance": Int(0, INT64),
    }
)
# what a return does to the points of its bill (``core.loyalty.reversed_points``)
RETURN_POINTS = Obj(
    {
        "customer": COLUMN_TEXT,
        "reversed": Int(0, INT64),
        "given_back": Int(0, INT64),
        "balance": Int(0, INT64),
    }
)

SALE_COMPLETED = Obj(
    {
        "uuid": UUID,
        "number": COLUMN_TEXT,
        "session_id": Null(SESSION),
        "customer": Null(
            Obj(
                {
                    "uuid": Null(COLUMN_TEXT),
                    "name": TEXT,
                    "gstin": NULL_TEXT,
                    "state_code": NULL_TEXT,
                }
            )
        ),
        "interstate": Bool(),
        # the location whose stock the bill moves, and its delivery (home | pickup) when
        # the goods leave later; both absent from tills before stock per location
        "location": NULL_TEXT,
        "delivery": NULL_TEXT,
        "lines": ListOf(SALE_LINE),
        "order_discount": Null(
            Obj({"kind": TEXT, "value": NUMBER, "approved_by": NULL_TEXT}),
        ),
        "coupon": Null(Obj({"code": TEXT, "amount": MONEY})),
        "taxable_total": MONEY,
        "taxes": ListOf(
            Obj({"rate_bp": NUMBER, **dict.fromkeys(("taxable", "cgst", "sgst", "igst"), MONEY)})
        ),
        "on_account": Bool(),
        **dict.fromkeys(SALE_FIGURES, MONEY),
        **RECEIPT_FIELDS,
        # the gift vouchers the bill sold, as its slip prints them (only on such a bill);
        # each one's own record is its ``voucher.issued``
        "vouchers": ListOf(
            Obj({"line_no": NUMBER, "code": COLUMN_TEXT, "amount": MONEY, "expires": DATE})
        ),
        # on account past the customer's credit limit or terms, and who let it
        # (``core.credit``); only on such a bill
        "credit": Obj(
            {
                "limit": Null(MONEY),
                "days": Null(NUMBER),
                "outstanding": MONEY,
                "amount": MONEY,
                "oldest": NULL_TEXT,
                "age": NUMBER,
                "source": TEXT,
                "reasons": ListOf(TEXT),
                "approved_by": TEXT,
            }
        ),
        # what the offers gave in all, and the bill (threshold) offer (absent before offers)
        "offer_discount": MONEY,
        "bill_offer": Null(Obj({"code": COLUMN_TEXT, "name": TEXT, "amount": MONEY})),
        # a named customer's loyalty points: earned on what was paid, redeemed as a tender,
        # and the balance after as the till knew it (core.loyalty; only with a customer)
        "points": POINTS,
    },
    needed=("uuid", "number", *SALE_FIGURES),
    sometimes=(
        "receipt_uuid",
        "received",
        "credit_given",
        "vouchers",
        "location",
        "delivery",
        "credit",
        "offer_discount",
        "bill_offer",
        "points",
    ),
)

# a gift voucher sold (``vouchers.issued_payload``); the central keeps its balance from here
VOUCHER_ISSUED = Obj(
    {
        "uuid": UUID,
        "code": COLUMN_TEXT,
        "kind": COLUMN_TEXT,
        "amount": Int(1, INT64),
        "expires": DATE,
        "sale_uuid": Null(UUID),
    },
    needed=("uuid", "code", "kind", "amount"),
)

RECEIPT_RECORDED = Obj(
    {
        **RECEIPT_FIELDS,
        "session_id": SESSION,
        "customer": Null(Obj({"uuid": TEXT, "name": TEXT})),
        "due": MONEY,
        "allocations": ListOf(
            Obj(
                {"sale": COLUMN_TEXT, "sale_uuid": UUID, "amount": MONEY, "balance": MONEY},
                needed=("sale_uuid", "amount"),
            )
        ),
    }
)

RETURN_COMPLETED = Obj(
    {
        "uuid": UUID,
        "number": COLUMN_TEXT,
        "sale": TEXT,
        "sale_uuid": UUID,
        "session_id": SESSION,
        "refund_method": COLUMN_TEXT,
        "refund_kind": TEXT,
        "credit_note": NULL_TEXT,
        "reason": TEXT,
        "lines": ListOf(
            Obj(
                {
                    "line_no": NUMBER,
                    "sku": TEXT,
                    "name": TEXT,
                    "qty_milli": NUMBER,
                    "tax_rate_bp": NUMBER,
                    "lot_no": NULL_TEXT,
                    "serial": NULL_TEXT,
                    "restock": Bool(),
                    # of a bill marked for delivery: the part never delivered, whose
                    # reservation the return releases at ``sale_location`` (docs/stock.md)
                    "undelivered_milli": NUMBER,
                    "total": MONEY,
                    **dict.fromkeys(("taxable", "cgst", "sgst", "igst"), MONEY),
                },
                sometimes=("undelivered_milli",),
            )
        ),
        "taxable": MONEY,
        "tax": MONEY,
        "round_off": MONEY,
        "total": MONEY,
        # the central's claim the return was made under (null: none, e.g. offline), and
        # the till that made the sale; both absent from tills before returns at any counter
        "claim_id": Null(UUID),
        "sale_terminal": TEXT,
        "location": NULL_TEXT,  # where the goods came back to
        "sale_location": NULL_TEXT,  # where the bill's goods were sold, and reserved
        # the points of the bill this return takes back (only when the bill earned some)
        "points": RETURN_POINTS,
    },
    needed=("uuid", "number", "sale_uuid", "refund_method", "total"),
    sometimes=("claim_id", "sale_terminal", "location", "sale_location", "points"),
)

# --- stock documents (docs/stock.md) ---------------------------------------------------
DELIVERY_RECORDED = Obj(
    {
        "uuid": UUID,
        "number": COLUMN_TEXT,
        "sale": COLUMN_TEXT,
        "sale_uuid": UUID,
        "sale_terminal": TEXT,
        "location": COLUMN_TEXT,  # the bill's: where its goods were reserved, and leave
        "mode": TEXT,  # home | pickup | courier
        "courier_ref": TEXT,
        "customer": Null(Obj({"uuid": NULL_TEXT, "name": TEXT})),
        "lines": ListOf(
            Obj(
                {
                    "line_no": NUMBER,
                    "sku": TEXT,
                    "name": TEXT,
                    "unit": TEXT,
                    "qty_milli": NUMBER,
                    # the line's ordered quantity, and what is left to deliver after this
                    "ordered_milli": NUMBER,
                    "pending_milli": NUMBER,
                    "lot_no": NULL_TEXT,
                    "serial": NULL_TEXT,
                },
                needed=("line_no", "sku", "qty_milli"),
            )
        ),
        "pending_milli": NUMBER,  # of the whole bill, after this delivery
    },
    needed=("uuid", "number", "sale_uuid", "location", "lines"),
)
TRANSFER_SENT = Obj(
    {
        "uuid": UUID,
        "number": COLUMN_TEXT,
        "from_location": COLUMN_TEXT,
        "to_location": COLUMN_TEXT,
        "lines": ListOf(
            Obj(
                {
                    "line_no": NUMBER,
                    "sku": TEXT,
                    "name": TEXT,
                    "unit": TEXT,
                    "qty_milli": NUMBER,
                    "lot_no": NULL_TEXT,
                    "expiry": DATE,  # the lot's, so the receiving location keeps it
                    "serial": NULL_TEXT,
                },
                needed=("line_no", "sku", "qty_milli"),
            )
        ),
    },
    needed=("uuid", "number", "from_location", "to_location", "lines"),
)
TRANSFER_RECEIVED = Obj(
    {
        "uuid": UUID,  # the transfer's, as sent
        "number": COLUMN_TEXT,  # the receipt note
        "transfer": COLUMN_TEXT,  # the transfer note
        "sent_by": TEXT,
        "from_location": COLUMN_TEXT,
        "to_location": COLUMN_TEXT,
        # the central's claim this till received it under (``sync.transfers``)
        "claim_id": Null(UUID),
        "lines": ListOf(
            Obj(
                {
                    "line_no": NUMBER,
                    "sku": TEXT,
                    "name": TEXT,
                    "unit": TEXT,
                    "qty_milli": NUMBER,
                    "received_milli": NUMBER,
                    "reason": TEXT,
                    "lot_no": NULL_TEXT,
                    "serial": NULL_TEXT,
                },
                needed=("line_no", "sku", "qty_milli", "received_milli"),
            )
        ),
    },
    needed=("uuid", "number", "from_location", "to_location", "lines"),
)
STOCK_COUNTED = Obj(
    {
        "uuid": UUID,
        "number": COLUMN_TEXT,
        "location": COLUMN_TEXT,
        "scope": TEXT,
        "blind": Bool(),
        "counted_by": TEXT,  # who started the count (the event's employee posted it)
        "lines": ListOf(
            Obj(
                {
                    "sku": TEXT,
                    "name": TEXT,
                    # on hand when the line was counted: sales after it do not count
                    "system_milli": NUMBER,
                    "counted_milli": NUMBER,
                    "variance_milli": NUMBER,  # counted - system: what on hand moves by
                    "value": NUMBER,  # the variance at the product's price, minor units
                    # not scanned in a full or category count: counted as zero at posting
                    "uncounted": Bool(),
                    # a lot-tracked product's variance, lot by lot (core.counts)
                    "lots": ListOf(Obj({"lot_no": TEXT, "qty_milli": NUMBER})),
                },
                needed=("sku", "variance_milli"),
                sometimes=("lots",),
            )
        ),
        "value": NUMBER,  # the sum of the lines' values
        "gross_value": NUMBER,  # the sum of their absolute values: what approval goes by
    },
    needed=("uuid", "number", "location", "lines"),
)

# a customer as a till publishes it (``customer.created``, each of ``customers.imported``)
CUSTOMER = Obj(
    {
        "uuid": UUID,
        "name": TEXT,
        "phone": COLUMN_TEXT,  # the master record's alt_key
        "email": NULL_TEXT,
        "gstin": NULL_TEXT,
        "state_code": NULL_TEXT,
        # credit terms (``core.credit``); absent from tills before credit control
        "credit_limit": Null(MONEY),
        "credit_days": Null(NUMBER),
    },
    needed=("uuid", "name", "phone"),
    sometimes=("credit_limit", "credit_days"),
)
# a gift voucher sold at the till (one event per voucher, in the bill's transaction)
VOUCHER_ISSUED = Obj(
    {
        "uuid": UUID,
        "code": Text(64),  # the central's stored_value.code
        "kind": TEXT,
        "amount": MONEY,
        "expires": Null(Text(10)),
        "sale_uuid": Null(UUID),
    },
    needed=("uuid", "code", "kind", "amount"),
)
IMPORTED = {
    "file": TEXT,
    "sha256": TEXT,
    "lines": ListOf(NUMBER),
    "created": NUMBER,
    "updated": NUMBER,
}

SCHEMAS: dict[str, Obj] = {
    "login.failed": Obj({"employee": NULL_TEXT, "attempt": NUMBER, "locked": Bool()}),
    "login.succeeded": Obj({"employee": TEXT}),
    "employee.created": Obj({"code": TEXT, "name": TEXT, "role": TEXT}),
    # what changed of an employee at this till (``o2pos employee set``): where they work
    "employee.changed": Obj({"employee": TEXT, "locations": ListOf(TEXT)}, needed=("employee",)),
    "employee.unlocked": Obj(
        {"employee": TEXT, "via": TEXT, "was_locked": Bool(), "failed_attempts": NUMBER}
    ),
    "customer.created": CUSTOMER,
    "register.opened": Obj(
        {"session_id": SESSION, "opening_float": MONEY}, needed=("session_id", "opening_float")
    ),
    "register.cash_moved": Obj(
        {
            "session_id": SESSION,
            "number": COLUMN_TEXT,
            "kind": TEXT,
            "amount": MONEY,
            "reason": TEXT,
        }
    ),
    "register.closed": Obj(
        {
            "session_id": SESSION,
            "z_number": COLUMN_TEXT,
            "expected_cash": MONEY,
            "counted_cash": MONEY,
            "difference": MONEY,
            "report": Obj(open=True),  # the Z report as printed; reprints read it back
        },
        needed=("session_id", "z_number", "expected_cash", "counted_cash", "difference"),
    ),
    "drawer.opened": Obj({"session_id": SESSION, "number": COLUMN_TEXT, "reason": TEXT}),
    "sale.held": Obj({"uuid": UUID, "total": MONEY, "lines": NUMBER}),
    "sale.recalled": Obj({"uuid": UUID}),
    "sale.line_removed": Obj({"uuid": UUID, **SALE_LINE.fields}),
    "sale.voided": Obj({"uuid": UUID, "reason": TEXT, "total": MONEY, "lines": ListOf(SALE_LINE)}),
    "sale.completed": SALE_COMPLETED,
    "receipt.recorded": RECEIPT_RECORDED,
    "return.completed": RETURN_COMPLETED,
    "voucher.issued": VOUCHER_ISSUED,
    "products.imported": Obj(IMPORTED),
    # the customers a batch created or changed, whole; a till from before this carried
    # none, and the central projects nothing from its event
    "customers.imported": Obj({**IMPORTED, "customers": ListOf(CUSTOMER)}),
    "delivery.recorded": DELIVERY_RECORDED,
    "transfer.sent": TRANSFER_SENT,
    "transfer.received": TRANSFER_RECEIVED,
    "stock.counted": STOCK_COUNTED,
    "master.applied": Obj({"from_version": NUMBER, "to_version": NUMBER, "counts": MapOf(NUMBER)}),
}


def problem(event_type: str, payload: Any, *, strict: bool = False) -> str | None:
    """What keeps this payload from being read as ``event_type``, or None if nothing does."""
    if event_type not in EVENT_TYPES:
        return f"unknown event type {event_type!r}"
    found = SCHEMAS[event_type].problem(payload, strict)
    return None if found is None else f"payload{found}"
