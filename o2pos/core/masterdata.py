"""Master data as it flows from the central to the tills, and how a till applies it.

One record is ``{"kind", "key", "version", "data"}``; the central numbers every change with
a global version and a till asks for what came after the last version it applied. A pulled
batch is applied in one transaction together with the new cursor and a ``master.applied``
journal event, so a crash never leaves half a price list or a cursor that skipped rows.

Nothing here touches a bill: sale lines copy the price they were rung up at, so a price
that changes while a bill is open does not alter the bill.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from o2pos.core import coupons, journal, loyalty, offerdata, pricelists, stock, vouchers
from o2pos.core.context import Context
from o2pos.core.errors import ValidationError
from o2pos.core.models import (
    BaseModel,
    Coupon,
    Customer,
    Employee,
    Location,
    PaidElsewhere,
    PaymentMethod,
    Product,
    QuickButton,
    Role,
    RolePermission,
    SyncStatus,
    TaxClass,
)
from o2pos.core.syncstate import NAME
from o2pos.core.vouchers import VoucherBalance

# Applied in this order inside a batch, so a product's tax class or an employee's role is
# always there before the row that points at it.
KINDS = (
    "tax_class",
    "payment_method",
    "location",
    "role",
    "product",
    "customer",
    "employee",
    "quick_button",
    "coupon",
    "coupon_use",
    "voucher",
    "order_paid",
    "stock",
    "offer",
    # customer groups, their price lists and the loyalty scheme (core.pricelists, core.loyalty)
    "price_list",
    "customer_group",
    "loyalty",
    "points",
)

PRODUCT_FIELDS = {
    "barcode": (str, type(None)),
    "plu": (str, type(None)),
    "name": str,
    "brand": str,
    "category": str,
    "unit": str,
    "price": int,
    "tax_class": str,
    "price_includes_tax": bool,
    "weighed": bool,
    "lot_tracked": bool,
    "serial_tracked": bool,
    "active": bool,
    "hsn": (str, type(None)),  # HSN/SAC code (``core.gst``)
}
SCHEMAS: dict[str, dict[str, Any]] = {
    "tax_class": {"name": str, "rate_bp": int},
    "payment_method": {"name": str, "kind": str, "active": bool, "sort": int},
    "role": {"name": str, "max_discount_bp": int, "permissions": list},
    "product": PRODUCT_FIELDS,
    "customer": {
        "name": str,
        "phone": str,
        "email": (str, type(None)),
        "gstin": (str, type(None)),
        "state_code": (str, type(None)),
        # credit control (``core.credit``): minor units and days; None is not set
        "credit_limit": (int, type(None)),
        "credit_days": (int, type(None)),
    },
    "employee": {"name": str, "role": str, "pin_hash": str, "active": bool},
    "quick_button": {"label": str, "sku": (str, type(None))},
    "coupon": {
        "description": str,
        "kind": str,
        "value": int,
        "min_cart": int,
        "max_discount": (int, type(None)),
        "valid_from": (str, type(None)),
        "valid_to": (str, type(None)),
        "usage_limit": (int, type(None)),
        "active": bool,
    },
    # how often a store has used a coupon, counted at the central, for the tills of the store
    "coupon_use": {"store": str, "code": str, "used_count": int},
    # a gift voucher's or credit note's balance at the central, for the tills of its store
    "voucher": {
        "store": str,
        "code": str,
        "kind": str,
        "amount": int,
        "balance": int,
        "expires": (str, type(None)),
        "issued_by": str,
    },
    # what other tills took towards one of this till's orders (served to that till only)
    "order_paid": {"terminal": str, "number": str, "amount": int},
    # a location (branch, warehouse) of the chain, and the store it belongs to
    "location": {"name": str, "store": str},
    # one product's level at one location (key "STORE/LOCATION/SKU"), with the seq of each
    # till's own events it includes (core.stock)
    "stock": {"on_hand": int, "reserved": int, "in_transit": int, "as_of": dict},
    # an automatic promotion (``core.offers``); its other fields are checked by
    # ``offerdata.from_data`` (optional ones take the engine's defaults)
    "offer": {"name": str, "kind": str, "active": bool},
    # a customer group (retail, wholesale, staff) and the price list its customers pay
    "customer_group": {"name": str, "price_list": (str, type(None))},
    # a price list's entries, whole (core.pricelists.check_entry)
    "price_list": {"name": str, "entries": list},
    # the points scheme (key "default"; core.loyalty)
    "loyalty": {
        "spend_per_point": int,
        "category_rates": dict,
        "excluded": list,
        "point_value": int,
        "min_redeem": int,
        "active": bool,
    },
    # a customer's points at the central (key: customer UUID), with the last seq of each
    # till's events it includes
    "points": {"balance": int, "as_of": dict},
}

# Fields added after centrals were in use: a record stored before them leaves them out and
# means None (not set), never a refused record.
ADDED_FIELDS: dict[str, tuple[str, ...]] = {
    "product": ("hsn",),
    "customer": ("credit_limit", "credit_days"),
}


def check_record(record: Any) -> tuple[str, str, int, dict[str, Any]]:
    """Validate one record's shape; a bad record is refused, never half-applied."""
    if not isinstance(record, dict):
        raise ValidationError("a master-data record is an object")
    kind, key, version, data = (record.get(k) for k in ("kind", "key", "version", "data"))
    if kind not in SCHEMAS:
        raise ValidationError(f"unknown master-data kind {kind!r}")
    if not isinstance(key, str) or not key:
        raise ValidationError(f"{kind} record without a key")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ValidationError(f"{kind} {key}: version must be a positive whole number")
    if not isinstance(data, dict):
        raise ValidationError(f"{kind} {key}: data must be an object")
    for name, expected in SCHEMAS[kind].items():
        value = data.get(name)
        if name not in data and name in ADDED_FIELDS.get(kind, ()):
            continue
        if name not in data or (isinstance(value, bool) and expected is int):
            raise ValidationError(f"{kind} {key}: {name} is missing or of the wrong type")
        if not isinstance(value, expected):
            raise ValidationError(f"{kind} {key}: {name} is missing or of the wrong type")
    return kind, key, version, data


def _product(sku: str, data: dict[str, Any]) -> None:
    fields = {name: data.get(name) for name in PRODUCT_FIELDS}
    # the central owns barcodes and scale codes: a code moved to this product leaves the other
    for column in ("barcode", "plu"):
        if fields[column]:
            Product.update(**{column: None}).where(
                getattr(Product, column) == fields[column], Product.sku != sku
            ).execute()
    if not Product.update(**fields).where(Product.sku == sku).execute():
        Product.insert(sku=sku, **fields).execute()


def _customer(uuid: str, data: dict[str, Any], ctx: Context) -> None:
    fields = {name: data.get(name) for name in SCHEMAS["customer"]}
    # the customer's group, from centrals that have groups (absent: retail)
    group = data.get("group_code")
    if not isinstance(group, str | None):
        raise ValidationError(f"customer {uuid}: group_code is a group's code")
    fields["group_code"] = group
    if Customer.update(**fields).where(Customer.uuid == uuid).execute():
        return
    # the same person added on this till before the central knew them: adopt the central's id
    if Customer.update(uuid=uuid, **fields).where(Customer.phone == fields["phone"]).execute():
        return
    Customer.insert(uuid=uuid, created_at=ctx.now(), **fields).execute()


def _employee(code: str, data: dict[str, Any]) -> None:
    fields = {name: data[name] for name in SCHEMAS["employee"]}
    locations = data.get("locations") or []  # absent from centrals before stock
    if not isinstance(locations, list) or not all(isinstance(c, str) for c in locations):
        raise ValidationError(f"employee {code}: locations are location codes")
    fields["locations"] = ",".join(locations)
    if not Role.get_or_none(Role.code == fields["role"]):
        raise ValidationError(f"employee {code}: unknown role {fields['role']}")
    # lockout counters are this till's own; only the master fields change
    if not Employee.update(**fields).where(Employee.code == code).execute():
        Employee.insert(code=code, **fields).execute()


def _role(code: str, data: dict[str, Any]) -> None:
    Role.insert(code=code, name=data["name"], max_discount_bp=data["max_discount_bp"]).on_conflict(
        conflict_target=[Role.code],
        update={Role.name: data["name"], Role.max_discount_bp: data["max_discount_bp"]},
    ).execute()
    RolePermission.delete().where(RolePermission.role == code).execute()
    for permission in data["permissions"]:
        if not isinstance(permission, str):
            raise ValidationError(f"role {code}: permissions are names")
        RolePermission.insert(role=code, permission=permission).execute()


def _quick_button(position: str, data: dict[str, Any]) -> None:
    if not position.isdigit():
        raise ValidationError(f"quick button position {position!r} is not a number")
    QuickButton.delete().where(QuickButton.position == int(position)).execute()
    if data["sku"] is None:
        return
    product = Product.get_or_none(Product.sku == data["sku"])
    if product is None:
        raise ValidationError(f"quick button {position}: unknown sku {data['sku']}")
    QuickButton.insert(position=int(position), label=data["label"], product=product).execute()


def _coupon(code: str, data: dict[str, Any]) -> None:
    fields = {name: data[name] for name in SCHEMAS["coupon"]}
    for name in ("valid_from", "valid_to"):
        try:
            fields[name] = date.fromisoformat(fields[name]) if fields[name] else None
        except ValueError as exc:
            raise ValidationError(f"coupon {code}: {name} is not a date") from exc
    # how often a coupon was used is the store's count (kind coupon_use), not the coupon's
    if not Coupon.update(**fields).where(Coupon.code == code).execute():
        Coupon.insert(code=code, **fields).execute()


def _simple(model: type[BaseModel], key: str, data: dict[str, Any], kind: str) -> None:
    fields = {name: data[name] for name in SCHEMAS[kind]}
    pk = model._meta.primary_key
    if not pk:
        raise TypeError(f"{model.__name__} has no single primary key")
    if not model.update(**fields).where(pk == key).execute():
        model.insert(**{pk.name: key}, **fields).execute()


def _location(code: str, data: dict[str, Any]) -> None:
    Location.insert(code=code, name=data["name"]).on_conflict(
        conflict_target=[Location.code], update={Location.name: data["name"]}
    ).execute()


def _order_paid(uuid: str, data: dict[str, Any], ctx: Context) -> None:
    if data["terminal"] != ctx.terminal_id:  # not this till's order: nothing to keep
        return
    if data["amount"] < 0:
        raise ValidationError(f"order_paid {uuid}: amount must not be negative")
    PaidElsewhere.insert(sale_uuid=uuid, number=data["number"], amount=data["amount"]).on_conflict(
        conflict_target=[PaidElsewhere.sale_uuid],
        update={PaidElsewhere.number: data["number"], PaidElsewhere.amount: data["amount"]},
    ).execute()


def apply(ctx: Context, records: list[Any], version: int, *, reset: bool = False) -> Counter[str]:
    """Apply one pulled page and move the cursor to ``version``, all or nothing.

    A page at or below the cursor was applied before and is skipped, unless the central
    says ``reset`` (it was restored to an older version and sends everything again).
    """
    checked = [check_record(r) for r in records]
    order = {kind: i for i, kind in enumerate(KINDS)}
    checked.sort(key=lambda r: (order[r[0]], r[2]))
    counts: Counter[str] = Counter()
    with ctx.write():
        current = SyncStatus.get_or_none(SyncStatus.name == NAME)
        before = current.master_version if current else 0
        if version <= before and not reset:
            return counts
        if before == 0 or reset:  # the central's levels replace whatever stock was here
            stock.rebase(ctx)
        for kind, key, _version, data in checked:
            if kind == "product":
                _product(key, data)
            elif kind == "customer":
                _customer(key, data, ctx)
            elif kind == "employee":
                _employee(key, data)
            elif kind == "role":
                _role(key, data)
            elif kind == "quick_button":
                _quick_button(key, data)
            elif kind == "coupon":
                _coupon(key, data)
            elif kind == "coupon_use":
                coupons.adopt_count(data["code"], data["used_count"])
            elif kind == "voucher":
                vouchers.adopt(ctx, VoucherBalance.of(data))
            elif kind == "order_paid":
                _order_paid(key, data, ctx)
            elif kind == "stock":
                stock.apply_central(ctx, key, data)
            elif kind == "location":
                _location(key, data)
            elif kind == "offer":
                offerdata.store(key, data)
            elif kind == "price_list":
                pricelists.apply_list(key, data)
            elif kind == "customer_group":
                pricelists.apply_group(key, data)
            elif kind == "loyalty":
                loyalty.apply_scheme(key, data)
            elif kind == "points":
                loyalty.adopt(ctx, key, data)
            elif kind == "tax_class":
                _simple(TaxClass, key, data, kind)
            else:
                _simple(PaymentMethod, key, data, kind)
            counts[kind] += 1
        fields = {"master_version": version, "master_pulled_at": ctx.now()}
        if not SyncStatus.update(**fields).where(SyncStatus.name == NAME).execute():
            SyncStatus.insert(name=NAME, **fields).execute()
        # stock levels are figures the tills' own events made, not master data anybody
        # changed: a page of nothing else writes no event, or every push that sold would
        # bring one back to push in the next round, for ever
        if set(counts) - {"stock"}:
            journal.append(
                ctx,
                "master.applied",
                {"from_version": before, "to_version": version, "counts": dict(counts)},
            )
    return counts
