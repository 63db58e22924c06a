"""Master data kept centrally and served to tills by version.

Every change takes the next number from one counter, so "everything after version V" is one
indexed query and a till never misses a change, whatever order tills pull in. A write that
changes nothing keeps its version: re-importing the same price list sends nothing.
Product and customer files go through the same validation as a till's own import.
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from pathlib import Path
from typing import Any

from o2pos.core import auth, loyalty, offerdata, pinwrap, pricelists
from o2pos.core.bootstrap import PAYMENT_METHODS, TAX_CLASSES
from o2pos.core.demo import (
    CREDIT_CUSTOMERS,
    DEMO_LOCATIONS,
    DEMO_LOGINS,
    demo_dir,
    opening_stock,
)
from o2pos.core.errors import DomainError, ValidationError
from o2pos.core.importer import (
    ImportReport,
    open_csv,
    read_csv_text,
    valid_customers,
    valid_products,
)
from o2pos.core.journal import canonical
from o2pos.core.masterdata import ADDED_FIELDS, PRODUCT_FIELDS, SCHEMAS, check_record
from o2pos.core.money import parse_amount
from o2pos.core.stock import master_key

from . import stock, vouchers
from .models import DEFAULT_STORE, Counter, MasterRecord, StockLevel, Terminal
from .store import bulk_insert, is_postgres, snapshot, store_name, write

MAX_PAGE = 2000
CHUNK = 500  # keys a query names at once: within SQLite's and PostgreSQL's parameter limits


def _next_version() -> int:
    Counter.update(value=Counter.value + 1).where(Counter.name == "master").execute()
    return Counter.get(Counter.name == "master").value


def take_versions(count: int) -> int:
    """The first of ``count`` new versions, for rows written together (stock levels)."""
    Counter.update(value=Counter.value + count).where(Counter.name == "master").execute()
    return Counter.get(Counter.name == "master").value - count + 1


def lock_counter() -> None:
    """Take the master counter's row lock now (PostgreSQL; SQLite's write lock is already
    held): a push that publishes after locking sale rows would otherwise wait for the
    counter while another push, holding the counter, waits for those rows."""
    if is_postgres():
        list(Counter.select(Counter.name).where(Counter.name == "master").for_update())


def current_version() -> int:
    row = Counter.get_or_none(Counter.name == "master")
    return row.value if row else 0


def get(kind: str, key: str) -> dict[str, Any] | None:
    row = MasterRecord.get_or_none(MasterRecord.kind == kind, MasterRecord.key == key)
    return json.loads(row.data) if row else None


def put(kind: str, key: str, data: dict[str, Any], alt_key: str | None = None) -> bool:
    """Insert or change one record inside the caller's transaction; True if it changed."""
    check_record({"kind": kind, "key": key, "version": 1, "data": data})
    text = canonical(data)
    row = MasterRecord.get_or_none(MasterRecord.kind == kind, MasterRecord.key == key)
    if row is not None and row.data == text and row.alt_key == alt_key:
        return False
    version = _next_version()
    if row is None:
        MasterRecord.create(kind=kind, key=key, alt_key=alt_key, version=version, data=text)
    else:
        MasterRecord.update(data=text, alt_key=alt_key, version=version).where(
            MasterRecord.id == row.id
        ).execute()
    return True


ALL_STORES = "*"


def _for_terminal(code: str, data: dict[str, Any], terminal: Terminal) -> dict[str, Any] | None:
    """An employee record as ``terminal`` may see it, or None when it is not its business.

    An employee of the terminal's store (or of every store) comes with the PIN verifier
    sealed for this terminal. One who has left the store comes retired (inactive, no
    verifier), so its tills stop signing them in. Anyone else is not sent at all. A
    record from before stores (no ``stores``) is everyone's, as it was.
    """
    stores = data.get("stores", [ALL_STORES])
    left = data.get("left", [])
    public = {"name": data["name"], "role": data["role"], "locations": data.get("locations", [])}
    if ALL_STORES in stores or terminal.store in stores:
        assert terminal.wrap_key is not None  # the API refuses a terminal without one
        wrapped = pinwrap.wrap(terminal.wrap_key, terminal.name, code, data["pin_hash"])
        return {**public, "active": data["active"], "pin_wrapped": wrapped}
    if ALL_STORES in left or terminal.store in left:
        return {**public, "active": False, "pin_hash": ""}
    return None


def changes(
    since: int, limit: int, terminal: Terminal
) -> tuple[list[dict[str, Any]], int, bool, bool]:
    """Records changed after ``since`` as ``terminal`` gets them: (records, version to
    resume from, more, reset).

    A cursor beyond the central's counter means the central was restored from an older
    backup: the till gets everything again from the start (``reset``) instead of silence.
    Employees, vouchers and coupon counts of other stores are left out of a page
    (``_for_terminal``); the version still moves past them.
    """
    with snapshot():
        return _changes(since, limit, terminal)


def _changes(
    since: int, limit: int, terminal: Terminal
) -> tuple[list[dict[str, Any]], int, bool, bool]:
    # in one snapshot: read one statement at a time, a batch committed between the records'
    # query and the counter's (a customer at v11, levels at v12) gave a page ending at
    # v12 without v11, and the till's cursor skipped v11 for good
    limit = max(1, min(limit, MAX_PAGE))
    reset = since > current_version()
    if reset:
        since = 0
    masters = list(
        MasterRecord.select(
            MasterRecord.kind, MasterRecord.key, MasterRecord.version, MasterRecord.data
        )
        .where(MasterRecord.version > since)
        .order_by(MasterRecord.version)
        .limit(limit + 1)
    )
    levels = list(
        StockLevel.select()
        .where(StockLevel.store == terminal.store, StockLevel.version > since)
        .order_by(StockLevel.version)
        .limit(limit + 1)
    )
    rows: list[tuple[int, str, str, Any]] = sorted(
        [(r.version, r.kind, r.key, r) for r in masters]
        + [(r.version, "stock", "", r) for r in levels],
        key=lambda row: row[0],
    )
    more = len(rows) > limit
    rows = rows[:limit]
    records = []
    for version, kind, key, r in rows:
        if kind == "stock":
            data = stock.served(r)
            records.append(
                {
                    "kind": kind,
                    "key": master_key(r.store, r.location, r.sku),
                    "version": version,
                    "data": data,
                }
            )
            continue
        data = json.loads(r.data)
        if kind == "employee":
            served = _for_terminal(key, data, terminal)
        elif kind in ("voucher", "coupon_use"):  # a store's own tills' business
            served = data if data.get("store") == terminal.store else None
        elif kind == "order_paid":  # only the till that made the order keeps it
            served = data if data.get("terminal") == terminal.name else None
        else:
            served = data
        if served is not None:
            records.append({"kind": kind, "key": key, "version": version, "data": served})
    version = rows[-1][0] if rows else max(since, current_version())
    return records, version, more, reset


# Permissions o2pos added to its default roles after a central may have stored them: a
# central holding a role record without one adds it (a new version of the record, which
# tills pull like any change). The store may have edited the role: nothing else changes.
ADDED_PERMISSIONS = {
    auth.Perm.UNLOCK_EMPLOYEES: ("administrator", "store_manager"),
    auth.Perm.DELIVER: (
        "administrator",
        "store_manager",
        "cashier",
        "billing_employee",
        "inventory",
    ),
    auth.Perm.APPROVE_STOCK: ("administrator", "store_manager"),
    auth.Perm.APPROVE_CREDIT: ("administrator", "store_manager"),
}


def _add_new_permissions() -> None:
    for permission, roles in ADDED_PERMISSIONS.items():
        for code in roles:
            data = get("role", code)
            if data is None or permission in data["permissions"]:
                continue
            with write():
                put(
                    "role",
                    code,
                    {**data, "permissions": sorted([*data["permissions"], permission])},
                )


def seed_reference() -> None:
    """Tax classes, payment methods and roles every store starts with (added once)."""
    if MasterRecord.select().where(MasterRecord.kind == "tax_class").exists():
        _add_new_permissions()
        return
    with write():
        for code, name, rate in TAX_CLASSES:
            put("tax_class", code, {"name": name, "rate_bp": rate})
        for sort, (code, name, kind) in enumerate(PAYMENT_METHODS):
            put("payment_method", code, {"name": name, "kind": kind, "active": True, "sort": sort})
        for code, (name, max_bp, perms) in auth.DEFAULT_ROLES.items():
            data = {"name": name, "max_discount_bp": max_bp, "permissions": sorted(map(str, perms))}
            put("role", code, data)


def import_csv(kind: str, path: Path) -> ImportReport:
    """``o2pos central import products|customers FILE``: validated row by row like a till.

    An update changes only the columns the file has, so a price list keeps the flags.
    """
    report = ImportReport(kind)
    _total, header, rows = open_csv(path, kind)
    if kind == "products":
        tax_classes = {r.key for r in MasterRecord.select().where(MasterRecord.kind == "tax_class")}
        valid = list(valid_products(rows, report, tax_classes, 5))
    else:
        valid = list(valid_customers(rows, report, keep=("group_code",)))
    with write():
        # before a phone is read: a till's batch adding the same new phone at this moment
        # publishes under the counter too, so one of the two sees the other's customer
        lock_counter()
        for line, fields in valid:
            try:
                created = (
                    _put_product(fields, set(header))
                    if kind == "products"
                    else _put_customer(fields, set(header))
                )
            except DomainError as exc:
                report.errors.append((line, str(exc)))
                continue
            if created:
                report.created += 1
            else:
                report.updated += 1
    report.errors.sort()
    return report


def import_offers(path: Path) -> ImportReport:
    """``o2pos central import offers FILE``: each row checked as a till would apply it
    (``offerdata.from_csv_row``); a bad row is named by line and the others go in."""
    report = ImportReport("offers")
    try:
        rows = list(csv.DictReader(io.StringIO(read_csv_text(path), newline="")))
    except OSError as exc:
        raise ValidationError(f"Cannot read {path}: {exc.strerror}") from exc
    if rows and not {"code", "name", "kind"} <= set(rows[0]):
        raise ValidationError(f"{path.name}: the header needs code, name and kind")
    with write():
        for number, row in enumerate(rows, start=2):
            report.rows += 1
            try:
                code, data = offerdata.from_csv_row(row)
            except ValidationError as exc:
                report.errors.append((number, str(exc)))
                continue
            existed = get("offer", code) is not None
            put("offer", code, data)
            if existed:
                report.updated += 1
            else:
                report.created += 1
    return report


def offers() -> list[dict[str, Any]]:
    """Every offer the central serves, by code, as its record holds it."""
    rows = MasterRecord.select().where(MasterRecord.kind == "offer").order_by(MasterRecord.key)
    return [{"code": row.key, **json.loads(row.data)} for row in rows]


def _put_product(fields: dict[str, Any], header: set[str]) -> bool:
    sku = fields["sku"]
    existing = get("product", sku)
    data = {name: fields[name] for name in PRODUCT_FIELDS}
    if existing is not None:
        data = {name: (data[name] if name in header else existing.get(name)) for name in data}
    for column in ("barcode",):
        if data[column]:
            owner = (
                MasterRecord.select(MasterRecord.key)
                .where(
                    MasterRecord.kind == "product",
                    MasterRecord.alt_key == data[column],
                    MasterRecord.key != sku,
                )
                .first()
            )
            if owner is not None:
                raise ValidationError(f"barcode {data[column]} already belongs to {owner.key}")
    put("product", sku, data, alt_key=data["barcode"])
    return existing is None


def _put_customer(fields: dict[str, Any], header: set[str]) -> bool:
    row = (
        MasterRecord.select()
        .where(MasterRecord.kind == "customer", MasterRecord.alt_key == fields["phone"])
        .first()
    )
    data = {name: fields.get(name) for name in SCHEMAS["customer"]}
    group = _group_of(fields, header)
    if row is not None:
        existing = json.loads(row.data)
        data = {k: (v if k in header or k == "phone" else existing.get(k)) for k, v in data.items()}
        kept = existing.get("group_code")
        if "group_code" in header or kept is not None:
            data["group_code"] = group if "group_code" in header else kept
        put("customer", row.key, data, alt_key=data["phone"])
        return False
    if group is not None:
        data["group_code"] = group
    put("customer", str(uuid.uuid4()), data, alt_key=data["phone"])
    return True


def _group_of(fields: dict[str, Any], header: set[str]) -> str | None:
    """The customer group a customer file's ``group_code`` column names (empty: retail,
    none); a group the central does not have is refused, so a typo sells at list prices
    nowhere unnoticed."""
    if "group_code" not in header:
        return None
    code = (fields.get("group_code") or "").strip().lower() or None
    if code is not None and get("customer_group", code) is None:
        raise ValidationError(f"unknown customer group {code} (import the price lists first)")
    return code


def import_price_lists(path: Path) -> list[str]:
    """``o2pos central import price-lists FILE``: customer groups and their price lists,
    each list replaced whole; a bad row refuses the file. Returns a line per group."""
    found = pricelists.read_groups_csv(path)
    with write():
        for kind, key, data in found.records():
            put(kind, key, data)
    return [
        f"{code}: {name}, {len(found.entries.get(code, []))} price-list entries"
        for code, name in found.names.items()
    ]


def price_lists() -> list[dict[str, Any]]:
    """The customer groups and their price lists' entries, for ``o2pos central
    price-lists``."""
    groups = MasterRecord.select().where(MasterRecord.kind == "customer_group")
    out = []
    for row in groups.order_by(MasterRecord.key):
        data = json.loads(row.data)
        entries = get("price_list", data["price_list"]) if data["price_list"] else None
        out.append(
            {
                "group": row.key,
                "name": data["name"],
                "price_list": data["price_list"],
                "entries": entries["entries"] if entries else [],
            }
        )
    return out


def customers_from_till(rows: list[dict[str, Any]]) -> list[str]:
    """Customers added or changed on a till become master data for every till, of every
    store (customers are the company's, as in O2VEND); in ingest's transaction. Returns
    what to flag on the event.

    A phone the central already holds under another customer keeps that customer, as the
    central's own import does: the till's record is not stored, and the reason is flagged,
    unless it says exactly what the central holds (the same person loaded on both, the
    demo say), which leaves nothing to review. Either way the till takes the central's
    customer by phone on its next pull. An import's thousands of rows cost a few queries
    a chunk, not several a row: the records are read, numbered and inserted together.
    """
    notes: list[str] = []
    chosen: dict[str, tuple[str, dict[str, Any]]] = {}  # uuid -> (phone, data), in order
    for start in range(0, len(rows), CHUNK):
        part = rows[start : start + CHUNK]
        found = MasterRecord.select(
            MasterRecord.key, MasterRecord.alt_key, MasterRecord.data
        ).where(
            MasterRecord.kind == "customer",
            MasterRecord.key.in_([r["uuid"] for r in part])
            | MasterRecord.alt_key.in_([r["phone"] for r in part]),
        )
        held = {r.key: (r.alt_key, json.loads(r.data)) for r in found}
        held.update(chosen)  # what earlier chunks stored is what the central now holds
        owners = {phone: key for key, (phone, _) in held.items()}
        for row in part:
            key = row["uuid"]
            data: dict[str, Any] = {name: row.get(name) for name in SCHEMAS["customer"]}
            # a till that does not send a field leaves the central's (credit terms, say)
            for name in ADDED_FIELDS["customer"]:
                if name not in row and key in held:
                    data[name] = held[key][1].get(name)
            phone: str = data["phone"]
            owner = owners.get(phone, key)
            # a customer's group is the central's to give: a till's change keeps it
            group = held[owner][1].get("group_code") if owner in held else None
            if group is not None:
                data["group_code"] = group
            if owner != key:
                if held[owner][1] != data:
                    notes.append(f"customer phone {phone} already belongs to customer {owner}")
                continue
            try:
                check_record({"kind": "customer", "key": key, "version": 1, "data": data})
            except DomainError as exc:
                notes.append(f"customer {phone} not published: {exc}")
                continue
            if held.get(key) == (phone, data):
                continue  # sent again, or already what the central holds
            if key in held:
                owners.pop(held[key][0], None)  # the customer's phone changed
            held[key] = chosen[key] = (phone, data)
            owners[phone] = key
    _store_customers(chosen)
    return notes


def _store_customers(chosen: dict[str, tuple[str, dict[str, Any]]]) -> None:
    """Insert or change these customer records, each under a new version, in order."""
    if not chosen:
        return
    Counter.update(value=Counter.value + len(chosen)).where(Counter.name == "master").execute()
    first = Counter.get(Counter.name == "master").value - len(chosen) + 1
    versions = dict(zip(chosen, range(first, first + len(chosen)), strict=True))
    known: set[str] = set()
    keys = list(chosen)
    for start in range(0, len(keys), CHUNK):
        part = keys[start : start + CHUNK]
        known.update(
            r.key
            for r in MasterRecord.select(MasterRecord.key).where(
                MasterRecord.kind == "customer", MasterRecord.key.in_(part)
            )
        )
    inserts = []
    for key, (phone, data) in chosen.items():
        fields = {"alt_key": phone, "version": versions[key], "data": canonical(data)}
        if key in known:
            MasterRecord.update(**fields).where(
                MasterRecord.kind == "customer", MasterRecord.key == key
            ).execute()
        else:
            inserts.append({"kind": "customer", "key": key, **fields})
    bulk_insert(MasterRecord, inserts)


def add_employee(
    code: str,
    name: str,
    role: str,
    pin: str,
    stores: list[str] | None = None,
    locations: list[str] | None = None,
) -> None:
    """Add or change an employee of ``stores`` (default: the default store; ``*``: all).

    A store the employee no longer belongs to is remembered in ``left``, so that store's
    tills get them retired rather than keep signing them in. ``locations``: the locations
    whose stock they may work with (login offers them; none: the till's own).
    """
    codes = sorted({c.strip().upper() for c in locations or [] if c.strip()})
    for location in codes:
        if get("location", location) is None:
            raise ValidationError(f"Unknown location {location}: add it first (add-location)")
    code = code.strip()
    if not re.match(r"^[A-Za-z0-9_.-]{1,32}$", code):
        raise ValidationError("A user code is 1 to 32 letters, digits, '.', '_' or '-'")
    if not name.strip():
        raise ValidationError("An employee needs a name")
    role_data = get("role", role)
    if role_data is None:
        known = sorted(
            r.key for r in MasterRecord.select(MasterRecord.key).where(MasterRecord.kind == "role")
        )
        raise ValidationError(f"Unknown role {role!r} (one of {', '.join(known)})")
    auth.check_new_pin(pin, role, role_data["permissions"])
    named = {ALL_STORES if s.strip() == ALL_STORES else store_name(s) for s in stores or []}
    chosen = [ALL_STORES] if ALL_STORES in named else sorted(named or {DEFAULT_STORE})
    pin_hash = auth.hash_pin(pin)
    with write():
        before = get("employee", code) or {}
        was = set(before.get("stores", [ALL_STORES] if before else []))
        left = sorted((set(before.get("left", [])) | was) - set(chosen))
        data = {
            "name": name.strip(),
            "role": role,
            "pin_hash": pin_hash,
            "active": True,
            "stores": chosen,
            "left": left,
        }
        if codes:
            data["locations"] = codes
        put("employee", code, data)


def load_demo() -> list[ImportReport]:
    """The demo store's master data, so a demo till and a demo central agree."""
    directory = demo_dir()
    import_price_lists(directory / "price_lists.csv")  # the groups customers belong to
    reports = [
        import_csv("products", directory / "products.csv"),
        import_csv("customers", directory / "customers.csv"),
        import_offers(directory / "offers.csv"),
    ]
    if (directory / CREDIT_CUSTOMERS).exists():
        reports.append(import_csv("customers", directory / CREDIT_CUSTOMERS))
    for code, name, role, pin in DEMO_LOGINS:
        if get("employee", code) is None:
            add_employee(code, name, role, pin)
    with write():
        put("loyalty", loyalty.SCHEME, loyalty.DEMO_SCHEME)
        with (directory / "coupons.csv").open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                kind = row["kind"]
                put(
                    "coupon",
                    row["code"],
                    {
                        "description": row["description"],
                        "kind": kind,
                        "value": int(row["value"])
                        if kind == "percent"
                        else parse_amount(row["value"]),
                        "min_cart": parse_amount(row["min_cart"] or "0"),
                        "max_discount": parse_amount(row["max_discount"])
                        if row["max_discount"]
                        else None,
                        "valid_from": row["valid_from"] or None,
                        "valid_to": row["valid_to"] or None,
                        "usage_limit": int(row["usage_limit"]) if row["usage_limit"] else None,
                        "active": True,
                    },
                )
        with (directory / "quick_buttons.csv").open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                put("quick_button", row["position"], {"label": row["label"], "sku": row["sku"]})
        with (directory / "gift_vouchers.csv").open(newline="", encoding="utf-8") as handle:
            rows = [(r["code"], parse_amount(r["amount"])) for r in csv.DictReader(handle)]
        vouchers.load_demo(DEFAULT_STORE, rows)
        new = get("location", "MAIN") is None
        for code, name in DEMO_LOCATIONS:
            add_location(code, name, DEFAULT_STORE)
        if new:  # the opening stock once, as a till's demo has it
            stock.receive(DEFAULT_STORE, "MAIN", opening_stock(directory))
    return reports


def read_quantities(path: Path) -> dict[str, int]:
    """A received-goods file (``sku,qty``): every row checked, the first bad one named."""
    from o2pos.core.money import parse_qty

    try:
        _total, _header, rows = open_csv(path, "stock")
    except OSError as exc:
        raise ValidationError(f"Cannot read {path}: {exc.strerror}") from exc
    quantities: dict[str, int] = {}
    for number, row in rows:
        sku = (row.get("sku") or "").strip()
        if get("product", sku) is None:
            raise ValidationError(f"{path.name} line {number}: unknown SKU {sku!r}")
        try:
            qty = parse_qty(row.get("qty") or "")
        except ValidationError as exc:
            raise ValidationError(f"{path.name} line {number}: {exc}") from None
        if qty <= 0:
            raise ValidationError(f"{path.name} line {number}: the quantity must be above zero")
        quantities[sku] = quantities.get(sku, 0) + qty
    return quantities


LOCATION_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,31}$")


def add_location(code: str, name: str, store: str) -> bool:
    """Register a location (a branch, a warehouse) of ``store``; tills get it as master
    data, and its stock is that store's. Inside the caller's transaction."""
    if not LOCATION_CODE.match(code):
        raise ValidationError(
            f"location code {code!r}: capital letters, digits, - and _, at most 32"
        )
    if not name.strip():
        raise ValidationError("a location needs a name")
    known = get("location", code)
    if known is not None and known["store"] != store:
        raise ValidationError(f"location {code} belongs to store {known['store']}")
    return put("location", code, {"name": name.strip(), "store": store})
