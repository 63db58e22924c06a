"""Coupons with a usage limit counted at the central while a cashier waits.

Like ``sync.vouchers``: a client of its own with the short ``[central]
lookup_timeout_seconds``, network only, run by the F9 dialog in a worker. A limited coupon
is reserved under the bill's sale uuid when it goes on the bill, and released when it
leaves it or the bill is voided; the sale's event then counts the use at the central.
When the central cannot be asked, ``[central] offline_coupons`` decides
(``core.coupons.check_offline``) and the cashier reads why.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from o2pos.config import CentralConfig
from o2pos.core import coupons
from o2pos.core.coupons import CouponCheck
from o2pos.core.errors import ValidationError

from .client import CentralClient, SyncError

LEASE_SECONDS = 4 * 3600  # a parked bill keeps its coupon; a forgotten one frees it


@dataclass(frozen=True)
class Asked:
    """What the central said of a coupon: a held use (``left`` after it, None when the
    coupon has no limit), or a refusal to show; neither when it could not be asked."""

    held: bool = False
    left: int | None = None
    refused: str | None = None


def _client(
    central: CentralConfig, transport: httpx.BaseTransport | None = None
) -> CentralClient | None:
    if not central.url:
        return None
    try:
        return CentralClient.for_lookups(central, transport=transport)
    except SyncError:
        return None


def ask(
    central: CentralConfig,
    code: str,
    reservation_id: str,
    *,
    transport: httpx.BaseTransport | None = None,
) -> Asked:
    """Reserve one use of ``code`` for the bill ``reservation_id`` (network only)."""
    client = _client(central, transport)
    if client is None:
        return Asked()
    try:
        answer = client.reserve_coupon(code.strip().upper(), reservation_id, LEASE_SECONDS)
    except SyncError as exc:
        if exc.kind != "rejected":
            return Asked()
        if exc.details.get("error") == "not_found":
            return Asked(refused=f"No coupon {code.strip().upper()} at the central")
        return Asked(refused=exc.message)
    finally:
        client.close()
    left = answer.get("left")
    return Asked(held=True, left=left if isinstance(left, int) else None)


def release(
    central: CentralConfig,
    code: str,
    reservation_id: str,
    *,
    transport: httpx.BaseTransport | None = None,
) -> bool:
    """Give the bill's use back; one that cannot be released runs out with its lease."""
    client = _client(central, transport)
    if client is None:
        return False
    try:
        return bool(client.release_coupon(code.strip().upper(), reservation_id)["released"])
    except SyncError:
        return False
    finally:
        client.close()


def decide(central: CentralConfig, checked: CouponCheck, asked: Asked) -> str:
    """What the cashier reads once the central answered (or could not): a ValidationError
    when the coupon is refused, else the note to show as it goes on the bill."""
    if asked.refused is not None:
        raise ValidationError(asked.refused)
    if asked.held:
        if asked.left is None:
            return f"Coupon {checked.code} applied"
        return f"Coupon {checked.code} applied: {asked.left} more uses left in this store"
    if not central.url:  # a till on its own is the whole store: its count is the count
        left = (checked.usage_limit or 0) - checked.used_count - 1
        return f"Coupon {checked.code} applied: {left} more uses left in this store"
    return coupons.check_offline(checked, central.offline_coupons)
