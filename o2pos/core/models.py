"""The till's tables.

Money columns are ``IntegerField`` in minor units and quantities are integer milli-units:
there is no float column anywhere. Sale and return lines copy the price, discount and tax
they were sold at, so later master-data changes can never alter a completed document.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from sqlite3 import Cursor
from typing import Any, Self

from peewee import (  # type: ignore[attr-defined]
    SQL,
    AutoField,
    BooleanField,
    CharField,
    CompositeKey,
    DatabaseProxy,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
    __exception_wrapper__,
)

database = DatabaseProxy()


def sql(statement: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> Cursor:
    """Run one SQL statement on the till's database: core code's only way to raw SQL.

    Everything else goes through the models (peewee's queries, or ``fetch``/``insert_row``
    /``update_row`` on the hot paths below); all of it runs on this one connection, inside
    the caller's ``ctx.write()`` transaction when there is one.
    """
    return database.execute_sql(statement, params)


def tuples(query: Any) -> list[tuple[Any, ...]]:
    """The rows of a peewee query as plain tuples (peewee's stubs type ``.tuples()`` as
    models; this says what they are)."""
    return list(query.tuples())


def dicts(query: Any) -> list[dict[str, Any]]:
    """The rows of a peewee query as dicts (``.dicts()``, typed as what it gives)."""
    return list(query.dicts())


def sql_many(statement: str, rows: Sequence[Sequence[Any]]) -> None:
    """One statement for many rows (bulk imports, a bill's stock moves): the same connection
    as ``sql``, and the same errors (peewee's, as ``execute_sql`` raises them)."""
    with __exception_wrapper__:
        database.cursor().executemany(statement, rows)


class BaseModel(Model):
    """A model with no primary key of its own names peewee's default one, ``id =
    AutoField()``, and declares each foreign key's raw value (``<field>_id``) as an
    annotation: peewee adds both anyway, and the type checker then knows them. Neither
    changes the schema."""

    class Meta:
        database = database
        legacy_table_names = False

    @classmethod
    def fetch(cls, where: str, *params: object) -> list[Self]:
        """Rows by a fixed SQL condition, skipping peewee's query builder and row wrapper.

        Building a SELECT of a 30-column model, and wrapping its rows, costs more than
        SQLite spends running it; the till's hot paths (ring up, checkout) use this for the
        few reads they repeat on every scan. Only columns whose Python type differs from
        SQLite's (booleans, dates) are converted.
        """
        cursor = sql(f"SELECT * FROM {cls._meta.table_name} WHERE {where}", params)
        plan = _row_plan(cls, tuple(d[0] for d in cursor.description))
        rows = []
        for values in cursor.fetchall():
            instance = cls.__new__(cls)
            data = {
                name: value if convert is None or value is None else convert(value)
                for (name, convert), value in zip(plan, values, strict=True)
            }
            # what peewee's own row wrapper sets up on a model read from the database
            vars(instance).update(__data__=data, _dirty=set(), __rel__={})
            rows.append(instance)
        return rows

    @classmethod
    def insert_row(cls, **values: object) -> int:
        """INSERT one row from field values (defaults filled in); returns its id."""
        meta = cls._meta
        for name, fld in meta.fields.items():
            if name not in values and fld.default is not None and not fld.primary_key:
                values[name] = fld.default() if callable(fld.default) else fld.default
        columns = [meta.fields[name].column_name for name in values]
        params = [meta.fields[name].db_value(value) for name, value in values.items()]
        cursor = sql(
            f"INSERT INTO {meta.table_name} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' * len(columns))})",
            params,
        )
        if cursor.lastrowid is None:
            raise RuntimeError(f"INSERT INTO {meta.table_name} gave no row id")
        return cursor.lastrowid

    @classmethod
    def update_row(cls, row_id: int, **values: object) -> None:
        meta = cls._meta
        key = meta.primary_key
        if not key:
            raise TypeError(f"{cls.__name__} has no single primary key to update a row by")
        assignments = ", ".join(f"{meta.fields[name].column_name} = ?" for name in values)
        params = [meta.fields[name].db_value(value) for name, value in values.items()]
        sql(
            f"UPDATE {meta.table_name} SET {assignments} WHERE {key.column_name} = ?",
            [*params, row_id],
        )


_PLANS: dict[tuple[type, tuple[str, ...]], list[tuple[str, Callable[[Any], Any] | None]]] = {}


def _row_plan(
    model: type[BaseModel], columns: tuple[str, ...]
) -> list[tuple[str, Callable[[Any], Any] | None]]:
    """For each result column: the field it fills and the converter it needs, if any."""
    key = (model, columns)
    plan = _PLANS.get(key)
    if plan is None:
        plan = []
        for column in columns:
            fld = model._meta.columns[column]
            needs = isinstance(fld, BooleanField | DateTimeField | DateField)
            plan.append((fld.name, fld.python_value if needs else None))
        _PLANS[key] = plan
    return plan


# --- reference data -------------------------------------------------------------------


class TaxClass(BaseModel):
    code = CharField(primary_key=True)
    name = CharField()
    rate_bp = IntegerField()  # 1800 = 18 %


class Location(BaseModel):
    code = CharField(primary_key=True)
    name = CharField()


class PaymentMethod(BaseModel):
    code = CharField(primary_key=True)
    name = CharField()
    # cash | card | upi | credit_note | gift_voucher | on_account | other
    kind = CharField()
    active = BooleanField(default=True)
    sort = IntegerField(default=0)


class DocumentSeries(BaseModel):
    doc_type = CharField(primary_key=True)
    prefix = CharField()
    next_value = IntegerField(default=1)
    padding = IntegerField(default=6)


# --- people ---------------------------------------------------------------------------


class Role(BaseModel):
    code = CharField(primary_key=True)
    name = CharField()
    # the largest discount (basis points of the discounted amount) this role gives alone
    max_discount_bp = IntegerField(default=0)


class RolePermission(BaseModel):
    role_id: str
    role = ForeignKeyField(Role, backref="permissions", column_name="role")
    permission = CharField()

    class Meta:
        primary_key = CompositeKey("role", "permission")


class Employee(BaseModel):
    id = AutoField()
    role_id: str
    code = CharField(unique=True)
    name = CharField()
    role = ForeignKeyField(Role, column_name="role")
    pin_hash = CharField()
    failed_attempts = IntegerField(default=0)
    locked_until = DateTimeField(null=True)
    active = BooleanField(default=True)
    # the locations (branches) whose stock this employee may work with, comma-separated;
    # empty: the till's own location only. Login offers a choice when there are several.
    locations = CharField(default="", constraints=[SQL("DEFAULT ''")])


class LoginFailure(BaseModel):
    """Wrong PINs in a row for a user code no (active) employee has.

    Counted and locked exactly like an employee's own ``failed_attempts`` and
    ``locked_until``, so whoever types at the login cannot tell a real code from an unknown
    one. The code itself is not stored, only a salted SHA-256 of it (``auth``).
    """

    key = CharField(primary_key=True)
    failed_attempts = IntegerField(default=0)
    locked_until = DateTimeField(null=True)


class Customer(BaseModel):
    id = AutoField()
    uuid = CharField(unique=True)
    name = CharField()
    phone = CharField(unique=True)
    email = CharField(null=True)
    gstin = CharField(null=True)
    state_code = CharField(null=True)
    created_at = DateTimeField()
    # credit control (``core.credit``): None is no limit set / no terms; 0 allows no credit
    credit_limit = IntegerField(null=True)
    credit_days = IntegerField(null=True)
    # the customer group whose price list the bill takes (null: retail, the list prices)
    group_code = CharField(null=True)


# --- catalog --------------------------------------------------------------------------


class Product(BaseModel):
    id = AutoField()
    tax_class_id: str
    sku = CharField(unique=True)
    barcode = CharField(unique=True, null=True)
    plu = CharField(unique=True, null=True)  # item code inside scale barcodes
    name = CharField()
    brand = CharField(default="")
    category = CharField(default="")
    unit = CharField(default="pcs")
    price = IntegerField()
    tax_class = ForeignKeyField(TaxClass, column_name="tax_class")
    price_includes_tax = BooleanField(default=True)
    weighed = BooleanField(default=False)
    lot_tracked = BooleanField(default=False)
    serial_tracked = BooleanField(default=False)
    active = BooleanField(default=True)
    hsn = CharField(null=True)  # HSN/SAC code for GST (4, 6 or 8 digits; ``core.gst``)


class Stock(BaseModel):
    """A product's level at one location as this till knows it: the central's figure (the
    sum of every till's moves it has been sent) plus this till's own moves it had not yet
    counted (``core.stock``). ``qty_milli`` is on hand; ``reserved_milli`` is sold but to
    be delivered; ``transit_milli`` is sent to this location and not yet received."""

    id = AutoField()
    product_id: int
    location_id: str
    product = ForeignKeyField(Product, column_name="product_id")
    location = ForeignKeyField(Location, column_name="location")
    qty_milli = IntegerField(default=0)
    # SQL defaults as well: imports write stock with raw SQL naming only qty_milli
    reserved_milli = IntegerField(default=0, constraints=[SQL("DEFAULT 0")])
    transit_milli = IntegerField(default=0, constraints=[SQL("DEFAULT 0")])

    class Meta:
        indexes = ((("product", "location"), True),)


class StockMove(BaseModel):
    """One movement of stock, written in the transaction of its document and journal
    event (``seq``): the till's level is the central's plus the moves after the seq the
    central had counted. Deltas in milli-units per bucket; most moves touch one."""

    id = AutoField()
    product_id: int
    # no index of its own: (product, location, seq) below serves every read by product, and
    # a second index is one more page written at a random place in it for every line sold
    product = ForeignKeyField(Product, column_name="product_id", index=False)
    location = CharField()
    # sale | return | delivery | transfer_out | transfer_in | count | receive | cancel
    kind = CharField()
    on_hand_milli = IntegerField(default=0)
    reserved_milli = IntegerField(default=0)
    transit_milli = IntegerField(default=0)
    lot_no = CharField(null=True)
    serial = CharField(null=True)
    document = CharField()
    seq = IntegerField()  # the journal event the move belongs to
    created_at = DateTimeField()

    class Meta:
        indexes = ((("product", "location", "seq"), False), (("seq",), False))


class Lot(BaseModel):
    id = AutoField()
    product_id: int
    location_id: str
    product = ForeignKeyField(Product, backref="lots", column_name="product_id")
    location = ForeignKeyField(Location, column_name="location")
    lot_no = CharField()
    expiry = DateField(null=True)
    received_at = DateTimeField()
    qty_milli = IntegerField(default=0)

    class Meta:
        indexes = ((("product", "location", "lot_no"), True),)


class SerialNumber(BaseModel):
    id = AutoField()
    product_id: int
    product = ForeignKeyField(Product, backref="serials", column_name="product_id")
    serial = CharField()
    status = CharField(default="available")  # available | sold | transit
    location = CharField(null=True)  # null: the till's own location

    class Meta:
        indexes = ((("product", "serial"), True),)


class QuickButton(BaseModel):
    id = AutoField()
    product_id: int
    position = IntegerField(unique=True)
    label = CharField()
    product = ForeignKeyField(Product, column_name="product_id")


class Coupon(BaseModel):
    code = CharField(primary_key=True)
    description = CharField(default="")
    kind = CharField()  # percent | amount
    value = IntegerField()  # basis points or minor units
    min_cart = IntegerField(default=0)
    max_discount = IntegerField(null=True)
    valid_from = DateField(null=True)
    valid_to = DateField(null=True)
    usage_limit = IntegerField(null=True)
    used_count = IntegerField(default=0)
    active = BooleanField(default=True)


class Voucher(BaseModel):
    """Stored value a customer can tender: credit notes from returns and gift vouchers."""

    id = AutoField()
    customer_id: int | None

    kind = CharField()  # credit_note | gift_voucher
    code = CharField(unique=True)
    amount = IntegerField()
    balance = IntegerField()
    customer = ForeignKeyField(Customer, null=True, column_name="customer_id")
    created_at = DateTimeField()
    expires = DateField(null=True)
    # the terminal that issued it; null: this till (issued here before the column existed,
    # or loaded with the demo). What ``[central] offline_redeem = "own"`` goes by.
    issued_by = CharField(null=True)


# --- cash register --------------------------------------------------------------------


class RegisterSession(BaseModel):
    id = AutoField()
    opened_by_id: int
    closed_by_id: int | None
    terminal_id = CharField()
    status = CharField(default="open")  # open | closed
    opened_by = ForeignKeyField(Employee, column_name="opened_by")
    opened_at = DateTimeField()
    opening_float = IntegerField()
    closed_by = ForeignKeyField(Employee, null=True, column_name="closed_by")
    approved_by = CharField(null=True)
    closed_at = DateTimeField(null=True)
    expected_cash = IntegerField(null=True)
    counted_cash = IntegerField(null=True)
    difference = IntegerField(null=True)
    z_number = CharField(null=True, unique=True)

    class Meta:
        # the open session is read on every sale; a till that has sold for years has
        # thousands of closed ones
        indexes = ((("terminal_id", "status"), False),)


class CashMovement(BaseModel):
    id = AutoField()
    session_id: int
    employee_id: int
    session = ForeignKeyField(RegisterSession, backref="movements", column_name="session_id")
    number = CharField(unique=True)
    kind = CharField()  # in | out | no_sale
    amount = IntegerField()
    reason = CharField()
    employee = ForeignKeyField(Employee, column_name="employee_id")
    approved_by = CharField(null=True)
    created_at = DateTimeField()


# --- sales ----------------------------------------------------------------------------


class Sale(BaseModel):
    id = AutoField()
    customer_id: int | None
    employee_id: int
    session_id: int | None
    uuid = CharField(unique=True)
    number = CharField(unique=True, null=True)
    terminal_id = CharField()
    status = CharField(default="draft", index=True)  # draft | held | completed | cancelled
    customer = ForeignKeyField(Customer, null=True, column_name="customer_id")
    employee = ForeignKeyField(Employee, column_name="employee_id")
    session = ForeignKeyField(RegisterSession, null=True, column_name="session_id")
    created_at = DateTimeField()
    completed_at = DateTimeField(null=True, index=True)
    interstate = BooleanField(default=False)
    order_discount_kind = CharField(null=True)  # percent | amount
    order_discount_value = IntegerField(default=0)
    order_discount_approved_by = CharField(null=True)
    order_discount_limit_bp = IntegerField(default=0)
    coupon_code = CharField(null=True)
    coupon_discount = IntegerField(default=0)
    notice = CharField(null=True)  # e.g. a coupon dropped because the cart changed
    subtotal = IntegerField(default=0)
    discount_total = IntegerField(default=0)
    taxable_total = IntegerField(default=0)
    tax_total = IntegerField(default=0)
    round_off = IntegerField(default=0)
    total = IntegerField(default=0)
    paid = IntegerField(default=0)
    balance = IntegerField(default=0)
    on_account = BooleanField(default=False)
    # the location whose stock the bill moves (the session's; null: the till's own)
    location = CharField(null=True)
    # null: the customer takes the goods; home | pickup: delivered later, reserved till then
    delivery = CharField(null=True)
    # offers (``core.offers``): what they gave in all; the bill (threshold) offer as JSON
    # {code, name, amount}; and what applied after the last change, as JSON, so the next
    # change can tell the cashier what it undid (``sales.repricing``)
    offer_discount = IntegerField(default=0, constraints=[SQL("DEFAULT 0")])
    bill_offer = TextField(null=True)
    offers_state = TextField(null=True)


class SaleLine(BaseModel):
    id = AutoField()
    sale_id: int
    product_id: int
    lot_id: int | None
    sale = ForeignKeyField(Sale, backref="lines", column_name="sale_id", on_delete="CASCADE")
    line_no = IntegerField()
    product = ForeignKeyField(Product, column_name="product_id")
    sku = CharField()
    name = CharField()
    unit = CharField()
    qty_milli = IntegerField()
    list_price = IntegerField()
    unit_price = IntegerField()
    price_overridden = BooleanField(default=False)
    fixed_gross = IntegerField(null=True)  # price embedded in a scale barcode
    price_includes_tax = BooleanField()
    tax_class = CharField()
    tax_rate_bp = IntegerField()
    discount_kind = CharField(null=True)
    discount_value = IntegerField(default=0)
    approved_by = CharField(null=True)  # manager who approved the line discount
    discount_limit_bp = IntegerField(default=0)  # the limit the discount was given under
    price_approved_by = CharField(null=True)  # manager who approved the price override
    lot = ForeignKeyField(Lot, null=True, column_name="lot_id")
    lot_no = CharField(null=True)
    serial = CharField(null=True)
    gross = IntegerField(default=0)
    line_discount = IntegerField(default=0)
    order_discount = IntegerField(default=0)
    taxable = IntegerField(default=0)
    cgst = IntegerField(default=0)
    sgst = IntegerField(default=0)
    igst = IntegerField(default=0)
    total = IntegerField(default=0)
    returned_milli = IntegerField(default=0)
    # delivered by this till, of a bill marked for delivery (``core.deliveries``)
    delivered_milli = IntegerField(default=0, constraints=[SQL("DEFAULT 0")])
    hsn = CharField(null=True)  # the product's HSN/SAC code when it was rung up
    # what offers gave on this line (its share of a bill offer included), and which gave
    # what, as JSON [{code, name, amount}]: what the journal and the central report carry
    offer_discount = IntegerField(default=0, constraints=[SQL("DEFAULT 0")])
    offers = TextField(null=True)

    class Meta:
        indexes = ((("sale", "line_no"), True),)


class Receipt(BaseModel):
    id = AutoField()
    session_id: int
    employee_id: int
    customer_id: int | None
    uuid = CharField(unique=True)
    number = CharField(unique=True)
    terminal_id = CharField()
    session = ForeignKeyField(RegisterSession, column_name="session_id")
    employee = ForeignKeyField(Employee, column_name="employee_id")
    customer = ForeignKeyField(Customer, null=True, column_name="customer_id")
    created_at = DateTimeField(index=True)
    amount = IntegerField()  # money received for orders (on account is credit, not money)
    tendered = IntegerField()
    change = IntegerField(default=0)
    # sale: taken at checkout for the bill it completed; dues: collected later for bills
    # saved unpaid or on account (the receipts screen, ``payments.collect``)
    # (a DEFAULT in the table too, so a fresh file and a migrated one have the same column)
    purpose = CharField(default="sale", constraints=[SQL("DEFAULT 'sale'")])


class Payment(BaseModel):
    id = AutoField()
    receipt_id: int
    method_id: str
    voucher_id: int | None
    receipt = ForeignKeyField(Receipt, backref="payments", column_name="receipt_id")
    method = ForeignKeyField(PaymentMethod, column_name="method")
    tendered = IntegerField()
    amount = IntegerField()  # tendered less change: what stays with the store
    reference = CharField(null=True)
    voucher = ForeignKeyField(Voucher, null=True, column_name="voucher_id")

    class Meta:
        table_name = "tender"  # "payment" + "method" would collide with an index name


class ReceiptAllocation(BaseModel):
    id = AutoField()
    receipt_id: int
    sale_id: int
    receipt = ForeignKeyField(Receipt, backref="allocations", column_name="receipt_id")
    sale = ForeignKeyField(Sale, backref="allocations", column_name="sale_id")
    amount = IntegerField()


class RemoteAllocation(BaseModel):
    """What a receipt paid towards an order made at another till of the store.

    That order has no ``Sale`` row here (its lines, stock and figures belong to the till
    that made it and to the central), so the allocation names it by uuid and number; the
    ``receipt.recorded`` event carries the same, and the central credits the order once.
    ``claim_id`` is the central's claim the payment was made under: its balance is what
    the claim allowed, less what this till already paid under it.
    """

    id = AutoField()
    receipt_id: int
    receipt = ForeignKeyField(Receipt, backref="remote_allocations", column_name="receipt_id")
    sale_uuid = CharField(index=True)
    sale_number = CharField()
    sale_terminal = CharField()
    claim_id = CharField(index=True)
    amount = IntegerField()


class PaidElsewhere(BaseModel):
    """What other tills of the store have paid towards one of this till's orders, as the
    central last said (master data kind ``order_paid``).

    The payment is the other till's business (its receipt, its journal, its drawer), so
    this till's ``Sale`` row is not touched: its balance less this amount is what is still
    owed on the order, which returns, refunds and the receipts screen go by.
    """

    sale_uuid = CharField(primary_key=True)
    number = CharField()
    amount = IntegerField()


class CouponRedemption(BaseModel):
    id = AutoField()
    coupon_id: str
    sale_id: int
    coupon = ForeignKeyField(Coupon, column_name="coupon")
    sale = ForeignKeyField(Sale, unique=True, column_name="sale_id")
    amount = IntegerField()


# --- returns --------------------------------------------------------------------------


class Return(BaseModel):
    id = AutoField()
    sale_id: int
    session_id: int
    employee_id: int
    refund_method_id: str
    voucher_id: int | None
    uuid = CharField(unique=True)
    number = CharField(unique=True)
    terminal_id = CharField()
    sale = ForeignKeyField(Sale, backref="returns", column_name="sale_id")
    session = ForeignKeyField(RegisterSession, column_name="session_id")
    employee = ForeignKeyField(Employee, column_name="employee_id")
    approved_by = CharField(null=True)
    created_at = DateTimeField(index=True)
    refund_method = ForeignKeyField(PaymentMethod, column_name="refund_method")
    reason = CharField(default="")
    taxable = IntegerField()
    tax = IntegerField()
    round_off = IntegerField(default=0)  # the sale's round-off, given back with its last item
    total = IntegerField()
    voucher = ForeignKeyField(Voucher, null=True, column_name="voucher_id")


class ReturnLine(BaseModel):
    id = AutoField()
    ret_id: int
    sale_line_id: int
    ret = ForeignKeyField(Return, backref="lines", column_name="return_id")
    sale_line = ForeignKeyField(SaleLine, column_name="sale_line_id")
    qty_milli = IntegerField()
    taxable = IntegerField()
    cgst = IntegerField()
    sgst = IntegerField()
    igst = IntegerField()
    total = IntegerField()
    restock = BooleanField(default=True)


class RemoteReturn(BaseModel):
    """A return taken at this till against a sale made at another till of the store.

    That sale has no ``Sale`` row here (its lines belong to the till that made it and to
    the central), so the return names it by uuid, number and till, as ``RemoteAllocation``
    does for payments; ``claim_id`` is the central's claim on the quantities it took back.
    Everything else is as a ``Return``: the register, the reports and the slip count it.
    """

    id = AutoField()
    session_id: int
    refund_method_id: str
    uuid = CharField(unique=True)
    number = CharField(unique=True)
    terminal_id = CharField()
    sale_uuid = CharField(index=True)
    sale_number = CharField()
    sale_terminal = CharField()
    claim_id = CharField()
    session = ForeignKeyField(RegisterSession, column_name="session_id")
    employee = ForeignKeyField(Employee, column_name="employee_id")
    approved_by = CharField(null=True)
    created_at = DateTimeField(index=True)
    refund_method = ForeignKeyField(PaymentMethod, column_name="refund_method")
    reason = CharField(default="")
    taxable = IntegerField()
    tax = IntegerField()
    round_off = IntegerField(default=0)
    total = IntegerField()
    voucher = ForeignKeyField(Voucher, null=True, column_name="voucher_id")


class RemoteReturnLine(BaseModel):
    """One line of a ``RemoteReturn``: the sold line's snapshot (it has no ``SaleLine`` here)."""

    id = AutoField()
    ret = ForeignKeyField(RemoteReturn, backref="lines", column_name="return_id")
    line_no = IntegerField()
    sku = CharField()
    name = CharField()
    product = ForeignKeyField(Product, null=True, column_name="product_id")
    tax_rate_bp = IntegerField()
    qty_milli = IntegerField()
    taxable = IntegerField()
    cgst = IntegerField()
    sgst = IntegerField()
    igst = IntegerField()
    total = IntegerField()
    restock = BooleanField(default=True)


# --- journal and sync -----------------------------------------------------------------


class Journal(BaseModel):
    """Append-only, hash-chained record of every business event (see ``journal.py``)."""

    seq = IntegerField(primary_key=True)
    event_id = CharField(unique=True)
    terminal_id = CharField()
    event_type = CharField()
    created_at = CharField()
    employee_id = CharField(null=True)
    approved_by = CharField(null=True)
    payload = TextField()
    prev_hash = CharField()
    hash = CharField()

    class Meta:
        table_name = "journal"


class StoreMeta(BaseModel):
    """Small facts about this database, e.g. that it holds the demo store."""

    key = CharField(primary_key=True)
    value = CharField()


class SyncCursor(BaseModel):
    """What the central has acknowledged; lives apart from the append-only journal."""

    name = CharField(primary_key=True)
    acked_seq = IntegerField(default=0)
    acked_hash = CharField(default="")
    updated_at = DateTimeField(null=True)


class SyncStatus(BaseModel):
    """What the last sync attempt saw, so every process (till, daemon, CLI) shows the same.

    ``state`` is ok | offline | fork | unauthorized | rejected. The last three are alerts:
    they stay until a later push succeeds.
    """

    name = CharField(primary_key=True)
    state = CharField(default="idle")
    online = BooleanField(default=False)
    last_attempt_at = DateTimeField(null=True)
    last_success_at = DateTimeField(null=True)
    last_error = TextField(default="")
    master_version = IntegerField(default=0)
    master_pulled_at = DateTimeField(null=True)


class JournalCheckpoint(BaseModel):
    """The last journal row found intact, so the next check starts there, not at seq 1.

    ``schema_version`` is SQLite's schema cookie at that moment: editing the journal behind
    its triggers means dropping a trigger, which changes the cookie, and a changed cookie
    sends the next check back to seq 1.
    """

    name = CharField(primary_key=True)
    seq = IntegerField(default=0)
    hash = CharField(default="")
    schema_version = IntegerField(default=0)
    verified_at = DateTimeField(null=True)


class PrintJob(BaseModel):
    """A slip waiting for the printer, or printed. The body is the slip as it will print."""

    id = AutoField()

    created_at = DateTimeField()
    # bill | receipt | return | cash | delivery | x_report | z_report | drawer
    kind = CharField()
    number = CharField()
    copy = BooleanField(default=False)
    body = TextField()
    status = CharField(default="pending", index=True)  # pending|sending|printed|unprintable
    attempts = IntegerField(default=0)
    last_error = TextField(default="")
    printed_at = DateTimeField(null=True)


# --- stock documents ---------------------------------------------------------------


class Delivery(BaseModel):
    """One shipment against a bill marked for delivery (its own number series). The bill
    may be another till's (``sale_terminal``), found through the central."""

    id = AutoField()
    employee_id: int
    uuid = CharField(unique=True)
    number = CharField(unique=True)
    sale_uuid = CharField(index=True)
    sale_number = CharField()
    sale_terminal = CharField()
    location = CharField()
    mode = CharField()  # home | pickup | courier
    courier_ref = CharField(default="")
    employee = ForeignKeyField(Employee, column_name="employee_id")
    created_at = DateTimeField()


class DeliveryLine(BaseModel):
    id = AutoField()
    delivery_id: int
    product_id: int
    delivery = ForeignKeyField(Delivery, backref="lines", column_name="delivery_id")
    line_no = IntegerField()  # the bill's line
    product = ForeignKeyField(Product, column_name="product_id")
    qty_milli = IntegerField()


class Transfer(BaseModel):
    """Stock sent from one location to another: ``number`` is the sending till's transfer
    note; the receiving till records ``received_number`` (its receipt note) on its copy."""

    id = AutoField()
    uuid = CharField(unique=True)
    number = CharField()
    from_location = CharField()
    to_location = CharField()
    sent_by = CharField()  # the sending terminal
    status = CharField(default="sent")  # sent | received
    created_at = DateTimeField()
    employee = CharField()
    received_number = CharField(null=True, unique=True)
    received_at = DateTimeField(null=True)
    received_by = CharField(null=True)
    approved_by = CharField(null=True)


class TransferLine(BaseModel):
    id = AutoField()
    transfer_id: int
    product_id: int
    transfer = ForeignKeyField(Transfer, backref="lines", column_name="transfer_id")
    line_no = IntegerField()
    product = ForeignKeyField(Product, column_name="product_id")
    sku = CharField()
    qty_milli = IntegerField()
    lot_no = CharField(null=True)
    serial = CharField(null=True)
    received_milli = IntegerField(null=True)
    reason = CharField(default="")  # why the received quantity differs


class StockCount(BaseModel):
    """A stock count: lines counted over time, posted once as an adjustment (numbered)."""

    id = AutoField()
    uuid = CharField(unique=True)
    number = CharField(null=True, unique=True)
    location = CharField()
    scope = CharField(default="scanned")  # full | category:<name> | scanned
    blind = BooleanField(default=False)
    status = CharField(default="open")  # open | posted | cancelled
    employee = CharField()
    created_at = DateTimeField()
    posted_at = DateTimeField(null=True)
    approved_by = CharField(null=True)


class StockCountLine(BaseModel):
    id = AutoField()
    count_id: int
    product_id: int
    count = ForeignKeyField(StockCount, backref="lines", column_name="count_id")
    product = ForeignKeyField(Product, column_name="product_id")
    # on hand at the moment the line was counted: sales after it do not change the variance
    system_milli = IntegerField()
    counted_milli = IntegerField()
    counted_at = DateTimeField()

    class Meta:
        indexes = ((("count", "product"), True),)


class Offer(BaseModel):
    """An automatic promotion, master data from the central: its fields (those of
    ``core.offers.Offer``) as the central's JSON in ``data``, the rest for listing."""

    code = CharField(primary_key=True)
    name = CharField()
    kind = CharField()
    active = BooleanField(default=True)
    data = TextField()


# --- customer groups, price lists and loyalty (master data, core.pricelists / core.loyalty) ---


class CustomerGroup(BaseModel):
    """Retail, wholesale, staff...: the price list a customer of the group pays."""

    code = CharField(primary_key=True)
    name = CharField()
    price_list = CharField(null=True)  # null: list prices


class PriceListEntry(BaseModel):
    """One price of a price list: a product's price, or a category's price or percent off,
    from a minimum quantity, between two dates (either open)."""

    id = AutoField()
    price_list = CharField(index=True)
    sku = CharField(null=True)
    category = CharField(null=True)
    price = IntegerField(null=True)  # minor units, for one unit of the product
    percent_off_bp = IntegerField(null=True)  # basis points off the list price
    min_qty_milli = IntegerField(default=0)
    valid_from = DateField(null=True)
    valid_to = DateField(null=True)

    class Meta:
        # a bill's reprice reads its own lines' entries of a list of thousands
        indexes = ((("price_list", "sku"), False), (("price_list", "category"), False))


class LoyaltyScheme(BaseModel):
    """The store's points scheme (one row, key ``default``), pulled from the central."""

    code = CharField(primary_key=True)
    spend_per_point = IntegerField()  # minor units paid for one point (10000: 1 per ₹100)
    category_rates = TextField(default="{}")  # JSON {category: basis points of the earn rate}
    excluded = TextField(default="[]")  # JSON [sku, ...] that earn nothing
    point_value = IntegerField()  # minor units a point pays when redeemed
    min_redeem = IntegerField(default=0)  # fewest points one redemption may use
    active = BooleanField(default=True)


class PointsBalance(BaseModel):
    """A customer's points as the central last sent them (master kind ``points``): the
    balance including this till's own events up to ``as_of_seq``."""

    customer_uuid = CharField(primary_key=True)
    balance = IntegerField(default=0)
    as_of_seq = IntegerField(default=0)


class PointsMove(BaseModel):
    """Points this till's own events earned (+) or used (-) for a customer: what the
    balance shown adds to the central's until the central has counted it."""

    id = AutoField()
    customer_uuid = CharField(index=True)
    seq = IntegerField()  # the journal event
    delta = IntegerField()


ALL_MODELS: list[type[BaseModel]] = [
    TaxClass,
    Location,
    PaymentMethod,
    DocumentSeries,
    Role,
    RolePermission,
    Employee,
    LoginFailure,
    Customer,
    Product,
    Stock,
    StockMove,
    Lot,
    SerialNumber,
    QuickButton,
    Coupon,
    Voucher,
    RegisterSession,
    CashMovement,
    Sale,
    SaleLine,
    Receipt,
    Payment,
    ReceiptAllocation,
    RemoteAllocation,
    PaidElsewhere,
    CouponRedemption,
    Return,
    ReturnLine,
    RemoteReturn,
    RemoteReturnLine,
    Journal,
    StoreMeta,
    SyncCursor,
    SyncStatus,
    JournalCheckpoint,
    PrintJob,
    Delivery,
    DeliveryLine,
    Transfer,
    TransferLine,
    StockCount,
    StockCountLine,
    Offer,
    CustomerGroup,
    PriceListEntry,
    LoyaltyScheme,
    PointsBalance,
    PointsMove,
]
