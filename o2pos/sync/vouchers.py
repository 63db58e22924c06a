"""Gift vouchers and credit notes checked at the central while a cashier waits.

Like ``sync.orders``: a client of its own with the short ``[central]
lookup_timeout_seconds``. Online, a voucher tender is reserved at the central first (the
hold the till's payment line then names, so the central consumes it exactly once); the
central's balance becomes this till's copy, which ``payments.settle`` checks. When the
central cannot be asked, ``[central] offline_redeem`` and ``offline_redeem_limit`` decide
(``core.vouchers.check_offline``), and the cashier reads why a voucher is refused.
"""

from __future__ import annotations

import re
import uuid as uuidlib
from dataclasses import dataclass
from typing import Any

import httpx

from o2pos.config import CentralConfig
from o2pos.core import vouchers
from o2pos.core.context import Context
from o2pos.core.errors import PaymentError
from o2pos.core.money import format_amount
from o2pos.core.payments import Tender
from o2pos.core.vouchers import VoucherBalance

from .client import CentralClient, Refused, SyncError

OFFLINE = "The central cannot be reached"
CODE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class VouchersUnavailable(Exception):
    """The central could not be asked (offline, busy, not configured): a sentence to show."""


class VoucherRefused(Refused):
    """The central answered no: ``code`` not_found, insufficient (``balance`` left),
    expired, released or reservation_conflict."""


@dataclass(frozen=True)
class CentralVoucher:
    """A voucher as the central holds it: ``available`` is what no other till holds."""

    balance: VoucherBalance
    available: int
    state: str


@dataclass(frozen=True)
class Reservation:
    reservation_id: str
    code: str
    amount: int
    voucher: CentralVoucher


@dataclass(frozen=True)
class VoucherTender:
    """A tender ready for ``settle``, and what the payment dialog says about it."""

    tender: Tender
    note: str
    online: bool


def _voucher(data: dict[str, Any]) -> CentralVoucher:
    return CentralVoucher(VoucherBalance.of(data), int(data["available"]), str(data["state"]))


class StoreVouchers:
    def __init__(self, client: CentralClient) -> None:
        self.client = client

    @classmethod
    def from_config(
        cls, central: CentralConfig, *, transport: httpx.BaseTransport | None = None
    ) -> StoreVouchers:
        client = CentralClient.for_lookups_or(
            central, VouchersUnavailable, OFFLINE, transport=transport
        )
        return cls(client)

    def close(self) -> None:
        self.client.close()

    def _call(self, method: str, *args: Any) -> dict[str, Any]:
        try:
            result: dict[str, Any] = getattr(self.client, method)(*args)
        except SyncError as exc:
            if exc.kind == "rejected":
                code = str(exc.details.get("error") or "rejected")
                raise VoucherRefused(code, exc.message, exc.details) from exc
            raise VouchersUnavailable(f"{OFFLINE} ({exc.message})") from exc
        return result

    @staticmethod
    def _code(code: str) -> str:
        code = code.strip().upper()
        if not CODE.match(code):
            raise VoucherRefused("not_found", f"{code[:20]} is not a voucher number", {})
        return code

    def lookup(self, code: str) -> CentralVoucher:
        """The store's voucher ``code``; ``VoucherRefused`` not_found if it has none."""
        return _voucher(self._call("voucher", self._code(code)))

    def reserve(
        self, code: str, amount: int, reservation_id: str | None = None, lease_seconds: int = 900
    ) -> Reservation:
        """Hold ``amount`` of it for this till; the same id again is the same hold."""
        chosen = reservation_id or str(uuidlib.uuid4())
        answer = self._call("reserve_voucher", self._code(code), chosen, amount, lease_seconds)
        voucher = _voucher(answer["voucher"])
        return Reservation(answer["reservation_id"], self._code(code), answer["amount"], voucher)

    def release(self, code: str, reservation_id: str) -> bool:
        return bool(self._call("release_voucher", self._code(code), reservation_id)["released"])


def _refusal(kind: str, code: str, refused: VoucherRefused) -> PaymentError:
    name = vouchers.name_of(kind)
    if refused.code == "insufficient":
        left = int(refused.details.get("balance") or 0)
        return PaymentError(f"{name} {code} has only {format_amount(left)} left")
    if refused.code == "not_found":
        return PaymentError(f"No {name.lower()} numbered {code} in this store")
    return PaymentError(f"{name} {code}: {refused.message}")


def balance_note(kind: str, code: str, balance: int, *, online: bool) -> str:
    where = "at the central" if online else "as last pulled (offline)"
    return f"{vouchers.name_of(kind)} {code}: {format_amount(balance)} left {where}"


@dataclass(frozen=True)
class Asked:
    """What the central said of a voucher tender: a hold, or a refusal to show; neither
    when it could not be asked (then the offline policy decides)."""

    held: Reservation | None = None
    refused: PaymentError | None = None


def ask(
    central: CentralConfig,
    kind: str,
    code: str,
    amount: int,
    *,
    transport: httpx.BaseTransport | None = None,
) -> Asked:
    """Reserve ``amount`` of a voucher at the central. Network only, no database: the
    payment dialog runs it in a worker, then ``tender_of`` on the UI thread."""
    code = code.strip().upper()
    try:
        lookup = StoreVouchers.from_config(central, transport=transport)
    except VouchersUnavailable:
        return Asked()
    try:
        held = lookup.reserve(code, amount)
        actual = held.voucher.balance.kind
        if actual != kind:
            lookup.release(code, held.reservation_id)
            return Asked(
                refused=PaymentError(
                    f"{code} is a {vouchers.name_of(actual).lower()}, "
                    f"not a {vouchers.name_of(kind).lower()}"
                )
            )
        return Asked(held=held)
    except VoucherRefused as exc:
        return Asked(refused=_refusal(kind, code, exc))
    except VouchersUnavailable:
        return Asked()
    finally:
        lookup.close()


def tender_of(
    ctx: Context,
    central: CentralConfig,
    method: str,
    kind: str,
    code: str,
    amount: int,
    asked: Asked,
) -> VoucherTender:
    """The tender for what the central said (``ask``), or for the offline policy when it
    could not be asked; raises ``PaymentError`` with the sentence the cashier reads."""
    code = code.strip().upper()
    if asked.refused is not None:
        raise asked.refused
    if asked.held is not None:
        left = vouchers.adopt(ctx, asked.held.voucher.balance)
        name = vouchers.name_of(kind)
        note = (
            f"{name} {code}: {format_amount(left)} at the central, "
            f"{format_amount(left - amount)} left after this"
        )
        return VoucherTender(
            Tender(method, amount, code, asked.held.reservation_id), note, online=True
        )
    vouchers.check_offline(
        ctx, kind, code, amount, central.offline_redeem, central.offline_redeem_limit
    )
    left = vouchers.local_balance(ctx, code) or 0
    note = (
        f"{vouchers.name_of(kind)} {code}: {format_amount(left)} as last pulled (offline), "
        f"{format_amount(left - amount)} left after this"
    )
    return VoucherTender(Tender(method, amount, code), note, online=False)


def voucher_tender(
    ctx: Context,
    central: CentralConfig,
    method: str,
    kind: str,
    code: str,
    amount: int,
    *,
    transport: httpx.BaseTransport | None = None,
) -> VoucherTender:
    """``ask`` and ``tender_of`` in one, for callers with no screen to keep responsive."""
    asked = ask(central, kind, code, amount, transport=transport)
    return tender_of(ctx, central, method, kind, code, amount, asked)


def look(
    central: CentralConfig, code: str, *, transport: httpx.BaseTransport | None = None
) -> CentralVoucher | VoucherRefused | None:
    """The central's voucher, its refusal, or None when it cannot be asked (network only)."""
    try:
        lookup = StoreVouchers.from_config(central, transport=transport)
        try:
            return lookup.lookup(code)
        finally:
            lookup.close()
    except VoucherRefused as exc:
        return exc
    except VouchersUnavailable:
        return None


def balance_text(
    ctx: Context, kind: str, code: str, looked: CentralVoucher | VoucherRefused | None
) -> str:
    """What the payment dialog says of a code: the central's balance when it answered
    (taken into this till's copy), else this till's as last pulled."""
    code = code.strip().upper()
    if isinstance(looked, VoucherRefused):
        return str(_refusal(kind, code, looked))
    if looked is None:
        left = vouchers.local_balance(ctx, code)
        if left is None:
            return f"{vouchers.name_of(kind)} {code} is not known to this till (offline)"
        return balance_note(kind, code, left, online=False)
    left = vouchers.adopt(ctx, looked.balance)
    return balance_note(kind, code, left, online=True)


def release(central: CentralConfig, code: str, reservation_id: str) -> None:
    """Give a hold up (the payment was cancelled); one that cannot be released runs out."""
    try:
        lookup = StoreVouchers.from_config(central)
        try:
            lookup.release(code, reservation_id)
        finally:
            lookup.close()
    except (VouchersUnavailable, VoucherRefused):
        return
