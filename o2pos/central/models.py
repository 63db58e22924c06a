"""The central's tables: the same peewee code on SQLite and PostgreSQL.

Events are stored exactly as received (payload text and hash) and never changed; the sale,
payment, return and register tables are projections of them for reporting, rebuilt from
the events if ever needed. Money is integer minor units here as everywhere.
"""

from __future__ import annotations

from peewee import (
    SQL,
    AutoField,
    BigIntegerField,
    BooleanField,
    CharField,
    DatabaseProxy,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

central_db = DatabaseProxy()


class CentralModel(Model):
    class Meta:
        database = central_db
        legacy_table_names = False


DEFAULT_STORE = "default"


class Terminal(CentralModel):
    """A registered till. Only the token's hash is kept; the token is shown once.

    ``wrap_key`` seals the PIN verifiers served to this till (``core.pinwrap``): it must be
    kept to seal, so it is stored as issued, and never served. Null for a terminal
    registered before keys existed, until it is registered again.

    ``event_count``, ``sales_count`` and ``sales_total`` are what ``o2pos central stats``
    shows of the till: kept by ingest in the transaction that stores the events and
    projects the sales (``reports.counted``), so reading them costs one row however long
    the till's history is; counting them took a scan of it (issue 16).
    """

    name = CharField(primary_key=True, max_length=8)
    token_hash = CharField(null=True, unique=True)
    # the store whose counter the till stands at: it gets only that store's employees
    store = CharField(max_length=32, default=DEFAULT_STORE)
    wrap_key = CharField(max_length=64, null=True)
    revoked = BooleanField(default=False)
    created_at = DateTimeField()
    high_water_seq = BigIntegerField(default=0)
    high_water_hash = CharField(max_length=64)
    last_seen_at = DateTimeField(null=True)
    event_count = BigIntegerField(default=0)
    sales_count = BigIntegerField(default=0)
    sales_total = BigIntegerField(default=0)


class Event(CentralModel):
    """One journal entry as received.

    Its indexes: (terminal, seq), the chain (and what a terminal's own index would be:
    the terminal's single-column one is left out, ``store.DROPPED_INDEXES``); (terminal,
    created_at), a store's day (``reports.sales_day``: every reporting row joins its event);
    and the flagged events, few, by terminal (``event_flagged``, below: ``stats``).
    """

    id = AutoField()
    terminal = ForeignKeyField(Terminal, column_name="terminal", backref="events", index=False)
    seq = BigIntegerField()
    event_id = CharField(unique=True, max_length=36)
    event_type = CharField(max_length=40)
    created_at = CharField(max_length=32)
    employee_id = CharField(null=True)
    approved_by = CharField(null=True)
    payload = TextField()
    prev_hash = CharField(max_length=64)
    hash = CharField(max_length=64)
    received_at = DateTimeField()
    source = CharField(max_length=10)  # push | import
    # why this event looks odd (e.g. it belongs to a session already closed); never a reason
    # to refuse it
    flag = TextField(null=True)

    class Meta:
        indexes = ((("terminal", "seq"), True), (("terminal", "created_at"), False))


# partial: a flagged event is rare, so this stays small whatever the history's length
Event.add_index(Event.index(Event.terminal, where=Event.flag.is_null(False), name="event_flagged"))


class Sale(CentralModel):
    id = AutoField()
    uuid = CharField(unique=True, max_length=36)
    terminal = CharField(max_length=8, index=True)
    number = CharField()
    session_id = IntegerField(null=True)
    completed_at = CharField(max_length=32)
    employee_id = CharField(null=True)
    customer_uuid = CharField(null=True, index=True)  # dues and F3 by customer
    subtotal = BigIntegerField()
    discount_total = BigIntegerField()
    tax_total = BigIntegerField()
    round_off = BigIntegerField()
    total = BigIntegerField()
    paid = BigIntegerField()
    balance = BigIntegerField()
    event = ForeignKeyField(Event, column_name="event_id")


# partial: what a till's sales still owe is in the few bills not paid in full (``stats``);
# a literal 0, as a partial index is used only for the very term it was made with
Sale.add_index(
    Sale.index(Sale.terminal, Sale.balance, where=Sale.balance != SQL("0"), name="sale_unpaid")
)


class Payment(CentralModel):
    id = AutoField()
    terminal = CharField(max_length=8, index=True)
    receipt = CharField()
    receipt_uuid = CharField(max_length=36)
    method = CharField()
    kind = CharField()
    tendered = BigIntegerField()
    amount = BigIntegerField()
    event = ForeignKeyField(Event, column_name="event_id")


class Return(CentralModel):
    id = AutoField()
    uuid = CharField(unique=True, max_length=36)
    terminal = CharField(max_length=8, index=True)
    number = CharField()
    sale_uuid = CharField(max_length=36)
    refund_method = CharField()
    total = BigIntegerField()
    event = ForeignKeyField(Event, column_name="event_id")


class RegisterSession(CentralModel):
    id = AutoField()
    terminal = CharField(max_length=8)
    session_id = IntegerField()
    status = CharField(default="open")
    opened_at = CharField(max_length=32, null=True)
    opening_float = BigIntegerField(null=True)
    closed_at = CharField(max_length=32, null=True)
    z_number = CharField(null=True)
    expected_cash = BigIntegerField(null=True)
    counted_cash = BigIntegerField(null=True)
    difference = BigIntegerField(null=True)
    cash_in = BigIntegerField(default=0)
    cash_out = BigIntegerField(default=0)

    class Meta:
        indexes = ((("terminal", "session_id"), True),)


class OrderClaim(CentralModel):
    """Which till may take payment for an open order, until when (``orders.py``).

    One row per order (the primary key), so two tills can never both hold it: on SQLite
    the claim is written under the write lock, on PostgreSQL under the sale's row lock,
    and the key refuses a second row whatever happens. ``balance`` is the order's balance
    when it was claimed: what the holder may pay at most.
    """

    sale_uuid = CharField(primary_key=True, max_length=36)
    claim_id = CharField(max_length=36)
    terminal = CharField(max_length=8)
    balance = BigIntegerField()
    claimed_at = DateTimeField()
    expires_at = DateTimeField()


class ReturnedLine(CentralModel):
    """A quantity of one sold line that came back at any till, from its ``return.completed``.

    Summed per sale line it is what has come back store-wide, which a return claim
    (``returns_remote.py``) and the projection's over-return check both need; ``claim_id``
    is the claim the return was made under, so a claim asked for again after its return
    was projected is answered as it was granted.
    """

    id = AutoField()
    sale_uuid = CharField(max_length=36, index=True)
    line_no = IntegerField()
    qty_milli = BigIntegerField()
    return_uuid = CharField(max_length=36)
    claim_id = CharField(max_length=36, null=True, index=True)


class ReturnClaim(CentralModel):
    """Quantities of a sale's lines held for one till's return, until its lease ends or
    its ``return.completed`` is projected: one row per claimed line. Decided under the
    sale's row lock on PostgreSQL (SQLite's write lock otherwise)."""

    id = AutoField()
    claim_id = CharField(max_length=36)
    sale_uuid = CharField(max_length=36, index=True)
    line_no = IntegerField()
    qty_milli = BigIntegerField()
    terminal = CharField(max_length=8)
    expires_at = DateTimeField()

    class Meta:
        indexes = ((("claim_id", "line_no"), True),)


class StoredValue(CentralModel):
    """A gift voucher or credit note of one store: the store-wide record of its balance.

    Projected from the issuing till's ``voucher.issued`` or ``return.completed`` (a credit
    note); ``balance`` falls with every redemption projected from a ``payments`` list
    (``vouchers.py``). It may go below zero only through redemptions accepted offline:
    those are flagged as double spent, never refused.
    """

    id = AutoField()
    event_id: int | None
    store = CharField(max_length=32)
    code = CharField(max_length=64)
    kind = CharField(max_length=20)  # gift_voucher | credit_note
    terminal = CharField(max_length=8)  # the till that issued it
    amount = BigIntegerField()
    balance = BigIntegerField()
    expires = CharField(max_length=10, null=True)  # YYYY-MM-DD, the last day it is good
    issued_at = CharField(max_length=32)
    event = ForeignKeyField(Event, column_name="event_id", null=True)

    class Meta:
        indexes = ((("store", "code"), True),)


class VoucherReservation(CentralModel):
    """An amount of a voucher held for one till's payment, until it is redeemed or released
    or its lease ends. The till picks the id; asking again with it answers the same
    reservation, and a redemption naming it consumes it once (``state`` redeemed)."""

    reservation_id = CharField(primary_key=True, max_length=36)
    voucher_id: int
    voucher = ForeignKeyField(StoredValue, column_name="voucher_id")
    terminal = CharField(max_length=8)
    amount = BigIntegerField()
    state = CharField(max_length=10, default="held")  # held | released | redeemed
    created_at = DateTimeField()
    expires_at = DateTimeField()


class CouponUse(CentralModel):
    """One use of a coupon in a store, under the sale's uuid (``reservation_id``).

    A till reserves a use while the coupon is on an open bill (``held``, until its lease
    ends or it is ``released``); projecting the sale makes it ``used`` (a sale taken offline
    adds a used row of its own). What the store has used of a coupon's ``usage_limit`` is
    its used rows; what is free is the limit less those and the live holds
    (``coupons.py``).
    """

    id = AutoField()
    event_id: int | None
    store = CharField(max_length=32)
    code = CharField(max_length=64)
    reservation_id = CharField(max_length=36)  # the sale's uuid
    terminal = CharField(max_length=8)
    state = CharField(max_length=10, default="held")  # held | released | used
    created_at = DateTimeField()
    expires_at = DateTimeField()
    event = ForeignKeyField(Event, column_name="event_id", null=True)

    class Meta:
        indexes = (
            (("store", "code", "reservation_id"), True),
            (("store", "code", "state"), False),
        )


class StockTransfer(CentralModel):
    """Stock sent from one location of a store to another, as its events tell it
    (``transfers.py``): sent (the sending till's ``transfer.sent``, whose event holds the
    lines), then received (the destination's ``transfer.received``), with what arrived
    short or over. It belongs to the sending till's store and to the destination's (the
    same store unless the location is another store's): the destination's tills list and
    receive it. ``receipts`` counts the receipts projected: a second one (two tills
    that received it offline) is accepted, flagged on its event and counted here.
    ``claim_*`` is the lease of the till receiving it now; one row per transfer, so two
    tills can never both hold it (decided under this row's lock)."""

    id = AutoField()
    sent_event_id: int | None
    received_event_id: int | None
    uuid = CharField(unique=True, max_length=36)
    store = CharField(max_length=32)  # the sending till's
    to_store = CharField(max_length=32)  # the destination's (its tills receive it)
    number = CharField()
    terminal = CharField(max_length=8)  # the sending till
    from_location = CharField()
    to_location = CharField()
    employee = CharField(null=True)
    sent_at = CharField(max_length=32, null=True)
    sent_event = ForeignKeyField(Event, column_name="sent_event_id", null=True, backref="+")
    line_count = IntegerField(default=0)
    sent_milli = BigIntegerField(default=0)
    status = CharField(max_length=10, default="sent")  # sent | received
    received_number = CharField(null=True)
    received_terminal = CharField(max_length=8, null=True)
    received_at = CharField(max_length=32, null=True)
    received_event = ForeignKeyField(Event, column_name="received_event_id", null=True, backref="+")
    received_milli = BigIntegerField(null=True)
    short_milli = BigIntegerField(default=0)
    excess_milli = BigIntegerField(default=0)
    receipts = IntegerField(default=0)
    claim_id = CharField(max_length=36, null=True)
    claim_terminal = CharField(max_length=8, null=True)
    claim_expires = DateTimeField(null=True)

    class Meta:
        indexes = ((("to_store", "to_location", "status"), False),)


class DeliveryOrder(CentralModel):
    """A sale marked for delivery (from its ``sale.completed``), with the goods it has
    still to deliver, summed over its lines, so a store's pending list is one indexed read
    (``deliveries.py``). ``lines`` is what each line ordered: {"line_no": qty_milli}."""

    sale_uuid = CharField(primary_key=True, max_length=36)
    terminal = CharField(max_length=8)
    number = CharField()
    location = CharField(null=True)
    mode = CharField(max_length=10)  # home | pickup
    customer_uuid = CharField(null=True, index=True)
    customer_name = CharField(null=True)
    completed_at = CharField(max_length=32)
    lines = TextField()
    pending_milli = BigIntegerField(index=True)


class DeliveredLine(CentralModel):
    """A quantity of one line of a delivery bill that no longer waits: delivered (from a
    ``delivery.recorded``) or taken back before it was delivered (the undelivered part of
    a ``return.completed``). Summed per line, ordered less both is what is pending."""

    id = AutoField()
    sale_uuid = CharField(max_length=36, index=True)
    line_no = IntegerField()
    qty_milli = BigIntegerField()
    kind = CharField(max_length=10)  # delivered | returned
    document_uuid = CharField(max_length=36, index=True)  # the delivery's or the return's
    terminal = CharField(max_length=8)


class MasterRecord(CentralModel):
    """One product, customer, employee... as served to tills, numbered by a global version."""

    id = AutoField()
    kind = CharField(max_length=20)
    key = CharField()
    alt_key = CharField(null=True)  # a product's barcode, a customer's phone
    version = BigIntegerField(index=True)
    data = TextField()

    class Meta:
        indexes = ((("kind", "key"), True), (("kind", "alt_key"), False))


class StockLevel(CentralModel):
    """One product's stock at one location of a store: the sum of every till's moves
    (``central/stock.py``), in milli-units; ``as_of`` is the JSON map of the last seq of
    each till's events it includes. The row is master data kind ``stock`` for its store's
    tills (not a ``MasterRecord``: one row written per level, not two)."""

    id = AutoField()
    store = CharField(max_length=32)
    location = CharField(max_length=32)
    sku = CharField()
    on_hand = BigIntegerField(default=0)
    reserved = BigIntegerField(default=0)
    in_transit = BigIntegerField(default=0)
    as_of = TextField(default="{}")
    version = BigIntegerField()  # from the master counter: served as master kind ``stock``

    class Meta:
        indexes = ((("store", "location", "sku"), True), (("store", "version"), False))


class PointsAccount(CentralModel):
    """A customer's loyalty points, store-wide (``central.points``): projected from every
    till's events, never below zero; ``as_of`` is JSON {terminal: last seq counted}."""

    customer = CharField(primary_key=True, max_length=64)
    balance = BigIntegerField(default=0)
    as_of = TextField(default="{}")


class PointsReservation(CentralModel):
    """Points held for one till's payment until redeemed, released or the lease ends; the
    till picks the id, and the sale's payment line naming it redeems it once."""

    reservation_id = CharField(primary_key=True, max_length=36)
    customer = CharField(max_length=64, index=True)
    terminal = CharField(max_length=8)
    points = BigIntegerField()
    state = CharField(max_length=10, default="held")  # held | released | redeemed
    created_at = DateTimeField()
    expires_at = DateTimeField()


class Counter(CentralModel):
    name = CharField(primary_key=True)
    value = BigIntegerField(default=0)


class OfferGiven(CentralModel):
    """What one offer gave on one bill, from the bill's ``sale.completed`` (its lines'
    ``offers``): what ``o2pos central report offers`` adds up per store, day and offer."""

    id = AutoField()
    store = CharField(max_length=32)
    terminal = CharField(max_length=8)
    sale_uuid = CharField(max_length=36)
    completed_at = CharField(max_length=32)  # the event's, UTC
    code = CharField(max_length=64)
    name = CharField()
    amount = BigIntegerField()
    event = ForeignKeyField(Event, column_name="event_id")

    class Meta:
        indexes = ((("sale_uuid", "code"), True), (("store", "completed_at"), False))


MODELS: list[type[CentralModel]] = [
    Terminal,
    Event,
    Sale,
    Payment,
    Return,
    RegisterSession,
    OrderClaim,
    ReturnedLine,
    ReturnClaim,
    StoredValue,
    VoucherReservation,
    CouponUse,
    StockTransfer,
    DeliveryOrder,
    DeliveredLine,
    MasterRecord,
    StockLevel,
    Counter,
    OfferGiven,
    PointsAccount,
    PointsReservation,
]
