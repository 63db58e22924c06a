"""Request and response bodies of the central's HTTP API (pydantic, strict).

Strict mode: a number where text belongs, ``"100"`` or ``100.0`` where whole minor units
belong, or a key nobody asked for is refused with 422 before any handler runs.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, field_validator

from o2pos.core.journal import EVENT_TYPES

from .coupons import DEFAULT_LEASE as COUPON_LEASE
from .coupons import MAX_LEASE as COUPON_MAX_LEASE
from .ingest import MAX_BATCH
from .limits import PAYLOADS_CHECKED, check_payload
from .orders import DEFAULT_LEASE, MAX_LEASE
from .points import DEFAULT_LEASE as POINTS_LEASE
from .points import MAX_LEASE as POINTS_MAX_LEASE
from .returns_remote import DEFAULT_RETURN_LEASE
from .transfers import DEFAULT_LEASE as TRANSFER_LEASE
from .transfers import MAX_LEASE as TRANSFER_MAX_LEASE
from .vouchers import DEFAULT_LEASE as VOUCHER_LEASE
from .vouchers import MAX_LEASE as VOUCHER_MAX_LEASE


def payload_object(value: Any) -> dict[str, Any]:
    """A JSON object within ``limits``' bounds, returned as it came."""
    if not isinstance(value, dict):
        raise ValueError("Input should be a valid dictionary")
    if not PAYLOADS_CHECKED.get():
        check_payload(value)
    return value


HEX64 = r"^[0-9a-f]{64}$"
UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


class EventIn(BaseModel):
    """One journal entry exactly as the till stored and hashed it."""

    model_config = ConfigDict(strict=True, extra="forbid")

    seq: int = Field(ge=1)
    event_id: str = Field(pattern=UUID)
    terminal_id: str = Field(pattern=r"^[A-Z0-9]{1,8}$")
    event_type: str = Field(max_length=40)
    created_at: str = Field(max_length=32)
    employee_id: str | None = Field(default=None, max_length=64)
    approved_by: str | None = Field(default=None, max_length=200)
    # checked as it is, not copied: a copy of a payload of a million keys is ~80 MB more
    payload: Annotated[
        dict[str, Any], PlainValidator(payload_object, json_schema_input_type=dict[str, Any])
    ]
    prev_hash: str = Field(pattern=HEX64)
    hash: str = Field(pattern=HEX64)

    @field_validator("event_type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in EVENT_TYPES:
            raise ValueError(f"unknown event type {value!r}")
        return value

    @field_validator("created_at", "employee_id", "approved_by")
    @classmethod
    def _no_nul(cls, value: str | None) -> str | None:
        # stored as text columns, and PostgreSQL refuses NUL in text (a 500, not a refusal)
        if value is not None and "\x00" in value:
            raise ValueError("contains a NUL character")
        return value


class PushIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    terminal_id: str = Field(pattern=r"^[A-Z0-9]{1,8}$")
    events: list[EventIn] = Field(min_length=1, max_length=MAX_BATCH)


class PushOut(BaseModel):
    acked_seq: int
    acked_hash: str
    stored: int
    duplicates: int
    flagged: list[int]


class HeadOut(BaseModel):
    terminal_id: str
    acked_seq: int
    acked_hash: str


class ErrorOut(BaseModel):
    """Every refusal: a machine-readable code, a sentence for people, and the position."""

    model_config = ConfigDict(extra="allow")

    error: str
    message: str


class MasterRecordOut(BaseModel):
    kind: str
    key: str
    version: int
    data: dict[str, Any]


class MasterOut(BaseModel):
    version: int
    more: bool
    # the central holds less than the till's cursor (restored from a backup): everything
    # comes again from version 0 and the till takes ``version`` as its cursor as it is
    reset: bool = False
    records: list[MasterRecordOut]


class HealthOut(BaseModel):
    status: str
    version: str


class OrderLineOut(BaseModel):
    line_no: int | None
    sku: str | None
    name: str | None
    qty_milli: int | None
    unit_price: int | None
    total: int | None


class CustomerRefOut(BaseModel):
    uuid: str | None
    name: str | None


class ClaimRefOut(BaseModel):
    """A live claim on an order: which terminal is taking payment, and until when (UTC)."""

    terminal: str
    expires_at: str


class OrderOut(BaseModel):
    uuid: str
    number: str
    terminal: str
    completed_at: str
    customer: CustomerRefOut | None
    total: int
    paid: int
    balance: int
    lines: list[OrderLineOut]
    claim: ClaimRefOut | None


class OrdersOut(BaseModel):
    orders: list[OrderOut]


class ClaimIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    claim_id: str = Field(pattern=UUID, description="Chosen by the till; the same id renews")
    lease_seconds: int = Field(default=DEFAULT_LEASE, ge=1, le=MAX_LEASE)


class ReleaseIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    claim_id: str = Field(pattern=UUID)


class ClaimOut(BaseModel):
    claim_id: str
    sale_uuid: str
    number: str
    terminal: str
    order_terminal: str
    total: int
    balance: int = Field(description="The most the holder may pay for this order")
    expires_at: str


class ReleaseOut(BaseModel):
    released: bool


class SaleLineOut(BaseModel):
    """A sold line with the figures a till needs to refund part of it proportionally."""

    line_no: int
    sku: str | None
    name: str | None
    unit: str | None
    qty_milli: int | None
    unit_price: int | None
    tax_rate_bp: int | None
    taxable: int | None
    cgst: int | None
    sgst: int | None
    igst: int | None
    total: int | None
    lot_no: str | None
    serial: str | None
    returned_milli: int = Field(description="Come back at any till, as projected")
    held_milli: int = Field(description="Held by live return claims")
    pending_milli: int = Field(
        default=0, description="Of a bill marked for delivery: still to deliver (returned first)"
    )


class StoreSaleOut(BaseModel):
    uuid: str
    number: str
    terminal: str
    completed_at: str
    customer: CustomerRefOut | None
    total: int
    paid: int
    balance: int
    round_off: int
    returned_round_off: int = Field(description="Round-off already given back by returns")
    refunded: int = Field(description="Refunded by returns other than on account")
    returned_total: int = Field(default=0, description="Refunded by returns of any kind")
    points_earned: int = Field(default=0, description="Loyalty points the bill earned")
    lines: list[SaleLineOut]
    delivery: str | None = Field(default=None, description="home | pickup: delivered later")
    location: str | None = Field(default=None, description="Where its goods are reserved")


class DeliveryLineOut(BaseModel):
    """A line of a bill marked for delivery: ordered = delivered + returned + pending."""

    line_no: int
    sku: str | None
    name: str | None
    unit: str | None
    lot_no: str | None
    serial: str | None
    qty_milli: int = Field(description="Ordered")
    delivered_milli: int = Field(description="Delivered by any till, as projected")
    returned_milli: int = Field(description="Taken back before it was delivered")
    pending_milli: int = Field(description="Still to deliver")


class DeliveryBillOut(BaseModel):
    uuid: str
    number: str
    terminal: str
    location: str | None
    mode: str = Field(description="home | pickup, as the bill was marked")
    completed_at: str
    customer: CustomerRefOut | None
    lines: list[DeliveryLineOut]
    pending_milli: int


class PendingDeliveryOut(BaseModel):
    uuid: str
    number: str
    terminal: str
    location: str | None
    mode: str
    completed_at: str
    customer: CustomerRefOut | None
    lines: int = Field(description="Lines with something still to deliver")
    pending_milli: int


class DeliveriesOut(BaseModel):
    bills: list[PendingDeliveryOut]


class ReturnClaimLineIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    line_no: int = Field(ge=1, le=2**31 - 1)
    qty_milli: int = Field(ge=1, le=2**53)


class ReturnClaimIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    claim_id: str = Field(pattern=UUID, description="Chosen by the till; the same id renews")
    lines: list[ReturnClaimLineIn] = Field(min_length=1, max_length=500)
    lease_seconds: int = Field(default=DEFAULT_RETURN_LEASE, ge=1, le=MAX_LEASE)

    @field_validator("lines")
    @classmethod
    def _once_each(cls, value: list[ReturnClaimLineIn]) -> list[ReturnClaimLineIn]:
        if len({line.line_no for line in value}) != len(value):
            raise ValueError("a line is listed twice")
        return value


class ReturnClaimLineOut(BaseModel):
    line_no: int
    qty_milli: int


class ReturnClaimOut(BaseModel):
    claim_id: str
    sale_uuid: str
    number: str
    terminal: str
    sale_terminal: str
    lines: list[ReturnClaimLineOut]
    expires_at: str


class VoucherOut(BaseModel):
    """A gift voucher or credit note of the store, as the central holds it now."""

    code: str
    kind: str
    amount: int
    balance: int = Field(description="What is left after every redemption the central has")
    available: int = Field(description="The balance less what live reservations hold")
    expires: str | None
    issued_by: str = Field(description="The terminal that issued it")
    state: str = Field(description="active, held, spent or expired")


class ReserveIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    reservation_id: str = Field(pattern=UUID, description="Chosen by the till; the same id again")
    amount: int = Field(ge=1, le=2**63 - 1)
    lease_seconds: int = Field(default=VOUCHER_LEASE, ge=1, le=VOUCHER_MAX_LEASE)


class ReserveOut(BaseModel):
    reservation_id: str
    amount: int
    state: str = Field(description="held, or redeemed when its payment is already in")
    expires_at: str
    voucher: VoucherOut


class VoucherReleaseIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    reservation_id: str = Field(pattern=UUID)


class PointsOut(BaseModel):
    """A customer's loyalty points at the central, for every till."""

    customer: str
    balance: int = Field(description="Every till's earnings, redemptions and returns counted")
    available: int = Field(description="The balance less what live reservations hold")


class PointsReserveIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    reservation_id: str = Field(pattern=UUID, description="Chosen by the till; the same id again")
    points: int = Field(ge=1, le=2**63 - 1)
    lease_seconds: int = Field(default=POINTS_LEASE, ge=1, le=POINTS_MAX_LEASE)


class PointsReserveOut(BaseModel):
    reservation_id: str
    points: int
    state: str = Field(description="held, or redeemed when its payment is already in")
    expires_at: str
    account: PointsOut


class CouponReserveIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    reservation_id: str = Field(
        pattern=UUID, description="The bill's sale uuid: the same bill again is the same use"
    )
    lease_seconds: int = Field(default=COUPON_LEASE, ge=1, le=COUPON_MAX_LEASE)


class CouponReserveOut(BaseModel):
    code: str
    reservation_id: str
    state: str = Field(description="held, or used when the sale is already in")
    expires_at: str
    usage_limit: int | None = Field(description="Uses a store may make; null: no limit")
    used_count: int = Field(description="Uses the store's sales have made")
    left: int | None = Field(description="Uses no bill holds yet; null: no limit")


class CouponReleaseIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    reservation_id: str = Field(pattern=UUID)


class DueInvoiceOut(BaseModel):
    uuid: str
    number: str
    terminal: str = Field(description="The till that made the sale")
    completed_at: str
    total: int
    paid: int = Field(description="Paid so far, at any till of the store")
    balance: int


class DuesOut(BaseModel):
    """What a customer owes the calling terminal's store, from every till of it."""

    customer: str
    name: str | None
    outstanding: int = Field(description="The sum of every open invoice's balance")
    count: int = Field(description="How many invoices are open")
    invoices: list[DueInvoiceOut] = Field(description="Open invoices, oldest first (100 at most)")


class TransferLineOut(BaseModel):
    """A line as sent; ``received_milli`` and ``reason`` once the transfer is received."""

    line_no: int
    sku: str
    name: str
    unit: str
    qty_milli: int
    lot_no: str | None
    expiry: str | None
    serial: str | None
    received_milli: int | None
    reason: str | None


class TransferSummaryOut(BaseModel):
    uuid: str
    number: str
    terminal: str = Field(description="The till that sent it")
    from_location: str
    to_location: str
    employee: str | None
    sent_at: str | None
    line_count: int
    sent_milli: int
    status: str = Field(description="sent | received")
    received_number: str | None
    received_terminal: str | None
    received_at: str | None
    received_milli: int | None
    short_milli: int
    excess_milli: int
    receipts: int = Field(description="Receipts projected: more than 1 was received twice")
    claim: ClaimRefOut | None = Field(description="The till receiving it now, if any")


class TransfersOut(BaseModel):
    transfers: list[TransferSummaryOut]


class TransferOut(TransferSummaryOut):
    lines: list[TransferLineOut]


class TransferClaimIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    claim_id: str = Field(pattern=UUID, description="Chosen by the till; the same id renews")
    lease_seconds: int = Field(default=TRANSFER_LEASE, ge=1, le=TRANSFER_MAX_LEASE)


class TransferClaimOut(BaseModel):
    claim_id: str
    uuid: str
    number: str
    terminal: str
    expires_at: str
