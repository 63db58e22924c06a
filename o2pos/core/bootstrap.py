"""Reference data every till needs before its first sale: roles, taxes, payment methods,
document series and this till's location. Safe to run again: it only adds what is missing.
"""

from __future__ import annotations

from o2pos.core import numbering
from o2pos.core.auth import ensure_roles
from o2pos.core.context import Context
from o2pos.core.models import Location, PaymentMethod, SyncCursor, SyncStatus, TaxClass

TAX_CLASSES = [
    ("GST0", "GST exempt (0%)", 0),
    ("GST5", "GST 5%", 500),
    ("GST12", "GST 12%", 1200),
    ("GST18", "GST 18%", 1800),
    ("GST28", "GST 28%", 2800),
]

PAYMENT_METHODS = [
    ("cash", "Cash", "cash"),
    ("card", "Card", "card"),
    ("upi", "UPI", "upi"),
    ("credit_note", "Credit note", "credit_note"),
    ("gift_voucher", "Gift voucher", "gift_voucher"),
    ("on_account", "On account", "on_account"),
    ("points", "Points", "points"),
]


def ensure_reference_data(ctx: Context) -> None:
    with ctx.write():
        ensure_roles()
        for code, name, rate in TAX_CLASSES:
            TaxClass.get_or_create(code=code, defaults={"name": name, "rate_bp": rate})
        for sort, (code, name, kind) in enumerate(PAYMENT_METHODS):
            PaymentMethod.get_or_create(
                code=code, defaults={"name": name, "kind": kind, "sort": sort}
            )
        location = ctx.settings.terminal.location
        Location.get_or_create(code=location, defaults={"name": location})
        numbering.ensure_series(ctx)
        SyncCursor.get_or_create(name="central")
        SyncStatus.get_or_create(name="central")
