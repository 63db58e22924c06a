"""CSV import of products and customers: row by row, errors with line numbers, the rest in.

A bad row (a wrong check digit, a letter in a price, an unknown tax class) is reported and
skipped; it never stops the rows after it, and never leaves half a row in the database.
Rows are written in batches of a few thousand, each batch in one transaction, so a catalog
of 100,000 products imports in seconds on a small till.
"""

from __future__ import annotations

import csv
import hashlib
import io
import uuid
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from o2pos.core import credit, gst, journal
from o2pos.core import customers as customers_mod
from o2pos.core.barcodes import is_digits, is_valid_gtin, normalize_gtin
from o2pos.core.context import Context
from o2pos.core.errors import DomainError, ValidationError
from o2pos.core.models import Customer, Location, Product, TaxClass, sql_many, tuples
from o2pos.core.money import parse_amount, parse_qty
from o2pos.core.privacy import refuse_card_numbers

BATCH = 2000
Progress = Callable[[int, int], None]

PRODUCT_COLUMNS = ("sku", "name", "price", "tax_class")
CUSTOMER_COLUMNS = ("name", "phone")
# what a ``customers.imported`` event carries per customer: the whole record as it now is
# on this till, so the central publishes it to every till (``docs/journal.md``)
CUSTOMER_FIELDS = (
    "uuid",
    "name",
    "phone",
    "email",
    "gstin",
    "state_code",
    "credit_limit",
    "credit_days",
)
# the columns each import reads (any other is ignored, and may hold anything CSV allows)
USED: dict[str, frozenset[str]] = {
    "products": frozenset({*Product._meta.fields, "stock"}),
    "customers": frozenset({*CUSTOMER_FIELDS, "group_code"}),
    "stock": frozenset({"sku", "qty"}),
}
_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"0", "false", "no", "n", "f", ""}


@dataclass
class ImportReport:
    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated


def _flag(row: dict[str, str], key: str, default: bool = False) -> bool:
    text = (row.get(key) or "").strip().lower()
    if not text:
        return default
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValidationError(f"{key} must be yes or no, not '{text}'")


def read_csv_text(path: Path, used: Collection[str] | None = None) -> str:
    """The text of a CSV file whose every row can be read as one line of fields, else a
    ``ValidationError`` naming the line, before any row is imported.

    What a CSV parser takes without a word but no import file means: a NUL (a binary file,
    or a damaged one); a field beyond the parser's limit (128 KiB); and a field that runs
    over a line break in a column the import reads (``used``, lower case; None: every
    column), which is a quote left open (no product, customer, offer or price list field
    holds a line break): the parser would pair it with a quote lines later and swallow the
    rows between, unreported. A column the import ignores (an address, notes) may hold line
    breaks, as standard CSV allows. So the file is read through once first, and refused
    whole: a file half imported is harder to put right than one refused.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(f"{path.name} is not UTF-8 text: {exc.reason}") from exc
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise ValidationError(
            f"{path.name}:{line}: holds a NUL character (not a text file?); nothing imported"
        )
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 1
    checked: list[bool] = []  # per column: read by the import, so no line break in it
    try:
        for row in reader:
            if start == 1:
                checked = [used is None or name.strip().lower() in used for name in row]
            if any(
                ("\n" in field or "\r" in field) and (i >= len(checked) or checked[i])
                for i, field in enumerate(row)
            ):
                raise ValidationError(
                    f"{path.name}:{start}: a quote opened on this line is closed only on "
                    f"line {reader.line_num}; nothing imported"
                )
            start = reader.line_num + 1
    except csv.Error as exc:
        if "end of data" in str(exc):
            reason = "a quote opened on this line is never closed"
        elif reader.line_num > start:
            reason = f"a quote opened on this line is closed only on line {reader.line_num}"
        elif "expected after" in str(exc):
            reason = 'text after a closing quote (a quote inside a quoted field is written "")'
        else:
            reason = str(exc)
        raise ValidationError(f"{path.name}:{start}: {reason}; nothing imported") from None
    return text


def whole_row(row: Mapping[Any, Any]) -> None:
    """A row of as many fields as its header (``csv.DictReader`` files the rest under
    None, and leaves missing ones None): said as such, not as the first empty value."""
    if None in row:
        raise ValidationError("more fields than the header has")
    if None in row.values():
        raise ValidationError(f"fewer fields than the header has ({len(row)})")


def _rows(
    path: Path, required: tuple[str, ...], used: Collection[str]
) -> tuple[int, list[str], Iterator[tuple[int, dict[str, str]]]]:
    text = read_csv_text(path, used)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in required if c not in header]
    if missing:
        raise ValidationError(f"{path.name}: missing column(s) {', '.join(missing)}")
    twice = sorted({name for name in header if name and header.count(name) > 1})
    if twice:  # one of the two would win unseen
        raise ValidationError(f"{path.name}: column(s) {', '.join(twice)} appear twice")
    reader.fieldnames = header

    def generate() -> Iterator[tuple[int, dict[str, str]]]:
        for row in reader:
            yield reader.line_num, row

    return max(0, text.count("\n") - 1), header, generate()


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _stock(text: str, weighed: bool) -> int:
    text = text.strip()
    if not text:
        return 0
    try:
        qty = parse_qty(text)
    except ValidationError:
        if text.replace("0", "").replace(".", "") == "":
            return 0  # "0", "0.0", "0.000"
        raise ValidationError(f"stock '{text}' is not a quantity") from None
    if not weighed and qty % 1000:
        raise ValidationError(f"stock {text}: a product sold by the piece has whole stock")
    return qty


def parse_product(
    row: dict[str, Any], tax_classes: set[str], plu_digits: int = 5
) -> dict[str, Any]:
    """Validate one product row and return its model fields (plus ``stock``)."""
    whole_row(row)
    sku = (row.get("sku") or "").strip().upper()
    if not sku or len(sku) > 40 or any(c.isspace() for c in sku):
        raise ValidationError("sku is empty, longer than 40 or has spaces")
    name = (row.get("name") or "").strip()
    if not name:
        raise ValidationError("name is empty")
    barcode = (row.get("barcode") or "").strip() or None
    if barcode is not None:
        if not is_valid_gtin(barcode):
            raise ValidationError(f"barcode {barcode} is not a GTIN with a valid check digit")
        barcode = normalize_gtin(barcode)
    plu = (row.get("plu") or "").strip() or None
    if plu is not None and not (is_digits(plu) and len(plu) == plu_digits):
        raise ValidationError(
            f"plu {plu} must be {plu_digits} digits (the item code on scale labels)"
        )
    price = parse_amount(row.get("price") or "")
    tax_class = (row.get("tax_class") or "").strip().upper()
    if tax_class not in tax_classes:
        raise ValidationError(
            f"unknown tax_class '{tax_class}' (one of {', '.join(sorted(tax_classes))})"
        )
    weighed = _flag(row, "weighed")
    fields = {
        "sku": sku,
        "barcode": barcode,
        "plu": plu,
        "name": name[:120],
        "brand": (row.get("brand") or "").strip()[:60],
        "category": (row.get("category") or "").strip()[:60],
        "unit": (row.get("unit") or ("kg" if weighed else "pcs")).strip()[:8] or "pcs",
        "price": price,
        "tax_class": tax_class,
        "price_includes_tax": _flag(row, "price_includes_tax", True),
        "weighed": weighed,
        "lot_tracked": _flag(row, "lot_tracked"),
        "serial_tracked": _flag(row, "serial_tracked"),
        "active": _flag(row, "active", True),
        "hsn": gst.validate_hsn(row.get("hsn")),
    }
    if fields["lot_tracked"] and fields["serial_tracked"]:
        raise ValidationError("a product is lot-tracked or serial-tracked, not both")
    # the codes are checked as codes above; the words are free text a card number can hide in
    refuse_card_numbers({k: str(fields[k]) for k in ("name", "brand", "category", "unit")})
    fields["stock"] = _stock(row.get("stock") or "", weighed)
    return fields


def valid_products(
    rows: Iterator[tuple[int, dict[str, str]]],
    report: ImportReport,
    tax_classes: set[str],
    plu_digits: int,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """The rows of a product file that pass every rule, with their line numbers.

    The till and the central import through this, so a file either accepts is a file both
    accept. Rejected rows go to ``report.errors``; nothing here writes.
    """
    seen_sku: set[str] = set()
    seen_plu: dict[str, str] = {}
    seen_barcode: dict[str, str] = {}
    for line, row in rows:
        report.rows += 1
        try:
            fields = parse_product(row, tax_classes, plu_digits)
            if fields["sku"] in seen_sku:
                raise ValidationError(f"sku {fields['sku']} appears twice in the file")
            if fields["plu"] and fields["plu"] in seen_plu:
                raise ValidationError(f"plu {fields['plu']} is also on {seen_plu[fields['plu']]}")
            if fields["barcode"] and fields["barcode"] in seen_barcode:
                raise ValidationError(
                    f"barcode {fields['barcode']} is also on {seen_barcode[fields['barcode']]}"
                )
        except DomainError as exc:
            report.errors.append((line, str(exc)))
            continue
        seen_sku.add(fields["sku"])
        if fields["plu"]:
            seen_plu[fields["plu"]] = fields["sku"]
        if fields["barcode"]:
            seen_barcode[fields["barcode"]] = fields["sku"]
        yield line, fields


def valid_customers(
    rows: Iterator[tuple[int, dict[str, str]]],
    report: ImportReport,
    keep: tuple[str, ...] = (),
) -> Iterator[tuple[int, dict[str, Any]]]:
    """The rows of a customer file that pass every rule (shared by till and central);
    ``keep``: columns passed on as they are, for the caller to check (the central's
    ``group_code``)."""
    seen: set[str] = set()
    for line, row in rows:
        report.rows += 1
        try:
            whole_row(row)
            fields = customers_mod.validate(
                row.get("name") or "",
                row.get("phone") or "",
                row.get("email"),
                row.get("gstin"),
                row.get("state_code"),
            )
            fields["credit_limit"] = credit.parse_limit(row.get("credit_limit"))
            fields["credit_days"] = credit.parse_days(row.get("credit_days"))
            if fields["phone"] in seen:
                raise ValidationError(f"phone {fields['phone']} appears twice in the file")
        except DomainError as exc:
            report.errors.append((line, str(exc)))
            continue
        seen.add(fields["phone"])
        yield line, fields | {name: row.get(name) for name in keep}


def open_csv(path: Path, kind: str) -> tuple[int, list[str], Iterator[tuple[int, dict[str, str]]]]:
    """Row count, header and rows of a products, customers or received-stock file (header
    checked)."""
    columns = {"products": PRODUCT_COLUMNS, "customers": CUSTOMER_COLUMNS, "stock": ("sku", "qty")}
    return _rows(path, columns[kind], USED[kind])


def import_products(ctx: Context, path: Path, progress: Progress | None = None) -> ImportReport:
    report = ImportReport("products")
    total, header, rows = _rows(path, PRODUCT_COLUMNS, USED["products"])
    # an update changes only the columns the file has: a price list does not reset flags
    updatable = set(header) & set(Product._meta.fields) - {"id", "sku"}
    sets_stock = "stock" in header
    plu_digits = ctx.settings.scale.item_digits
    tax_classes = {t.code for t in TaxClass.select()}
    location = ctx.settings.terminal.location
    Location.get_or_create(code=location, defaults={"name": location})
    batch: list[tuple[int, dict[str, Any]]] = []
    digest = _file_digest(path)

    def flush() -> None:
        if not batch:
            return
        counts = (report.created, report.updated)
        with ctx.write():
            skus = [f["sku"] for _, f in batch]
            existing = {p.sku: p for p in Product.select().where(Product.sku.in_(skus))}
            codes = [f["barcode"] for _, f in batch if f["barcode"]]
            taken = dict(
                tuples(
                    Product.select(Product.barcode, Product.sku).where(Product.barcode.in_(codes))
                )
            )
            plus = [f["plu"] for _, f in batch if f["plu"]]
            taken_plu = dict(
                tuples(Product.select(Product.plu, Product.sku).where(Product.plu.in_(plus)))
            )
            inserts, stock = [], []
            for line, fields in batch:
                owner = taken.get(fields["barcode"])
                if fields["barcode"] and owner not in (None, fields["sku"]):
                    report.errors.append(
                        (line, f"barcode {fields['barcode']} already belongs to {owner}")
                    )
                    continue
                plu_owner = taken_plu.get(fields["plu"])
                if fields["plu"] and plu_owner not in (None, fields["sku"]):
                    report.errors.append(
                        (line, f"plu {fields['plu']} already belongs to {plu_owner}")
                    )
                    continue
                qty = fields.pop("stock")
                if fields["sku"] in existing:
                    changes = {k: v for k, v in fields.items() if k in updatable}
                    if changes:
                        Product.update(**changes).where(Product.sku == fields["sku"]).execute()
                    report.updated += 1
                    if sets_stock:
                        stock.append((fields["sku"], qty))
                else:
                    inserts.append(fields)
                    report.created += 1
                    stock.append((fields["sku"], qty))
            if inserts:
                # plain executemany: building a 200-row INSERT in peewee costs more than SQLite
                columns = list(inserts[0])
                sql_many(
                    f"INSERT INTO product ({', '.join(columns)}) "
                    f"VALUES ({', '.join('?' * len(columns))})",
                    [tuple(row[c] for c in columns) for row in inserts],
                )
            ids = dict(
                tuples(
                    Product.select(Product.sku, Product.id).where(
                        Product.sku.in_([s for s, _ in stock])
                    )
                )
            )
            sql_many(
                "INSERT INTO stock (product_id, location, qty_milli) VALUES (?, ?, ?) "
                "ON CONFLICT (product_id, location) DO UPDATE SET qty_milli = excluded.qty_milli",
                [(ids[sku], location, qty) for sku, qty in stock],
            )
            _journal_batch(ctx, report, counts, path.name, digest, batch[0][0], batch[-1][0])
        batch.clear()

    for line, fields in valid_products(rows, report, tax_classes, plu_digits):
        batch.append((line, fields))
        if len(batch) >= BATCH:
            flush()
            if progress:
                progress(report.rows, total)
    flush()
    if progress:
        progress(report.rows, total)
    report.errors.sort()
    return report


def import_customers(ctx: Context, path: Path, progress: Progress | None = None) -> ImportReport:
    report = ImportReport("customers")
    total, header, rows = _rows(path, CUSTOMER_COLUMNS, USED["customers"])
    # like products: an update changes only the columns the file has
    columns = set(header) & set(CUSTOMER_FIELDS) - {"uuid"}
    if "gstin" in columns:
        columns.add("state_code")  # a GSTIN carries the state
    updatable = sorted(columns)
    batch: list[tuple[int, dict[str, Any]]] = []
    digest = _file_digest(path)

    def flush() -> None:
        if not batch:
            return
        counts = (report.created, report.updated)
        with ctx.write():
            phones = [f["phone"] for _, f in batch]
            existing = {c.phone: c for c in Customer.select().where(Customer.phone.in_(phones))}
            inserts, updates, published = [], [], []
            for _, fields in batch:
                known = existing.get(fields["phone"])
                if known is not None:
                    changes = {k: fields[k] for k in updatable}
                    updates.append((*changes.values(), known.id))
                    record = {name: getattr(known, name) for name in CUSTOMER_FIELDS}
                    record.update(changes)
                    report.updated += 1
                else:
                    record = {"uuid": str(uuid.uuid4()), **fields}
                    inserts.append(record)
                    report.created += 1
                published.append(record)
            if updates:
                sql_many(
                    f"UPDATE customer SET {', '.join(f'{k} = ?' for k in updatable)} WHERE id = ?",
                    updates,
                )
            if inserts:
                now = Customer.created_at.db_value(ctx.now())
                sql_many(
                    f"INSERT INTO customer ({', '.join(CUSTOMER_FIELDS)}, created_at) "
                    f"VALUES ({', '.join('?' * (len(CUSTOMER_FIELDS) + 1))})",
                    [(*(row[c] for c in CUSTOMER_FIELDS), now) for row in inserts],
                )
            _journal_batch(
                ctx,
                report,
                counts,
                path.name,
                digest,
                batch[0][0],
                batch[-1][0],
                customers=published,
            )
        batch.clear()

    for line, fields in valid_customers(rows, report):
        batch.append((line, fields))
        if len(batch) >= BATCH:
            flush()
            if progress:
                progress(report.rows, total)
    flush()
    if progress:
        progress(report.rows, total)
    return report


def _journal_batch(
    ctx: Context,
    report: ImportReport,
    before: tuple[int, int],
    name: str,
    digest: str,
    first_line: int,
    last_line: int,
    *,
    customers: list[dict[str, Any]] | None = None,
) -> None:
    """One event per written batch, in the batch's own transaction.

    A product import says which file, which lines and how many rows changed: products are
    the central's to publish, and the rows themselves are in the tables. A customer import
    also carries each customer it created or changed, whole, because customers a till adds
    are published by the central to every till. A batch of ``BATCH`` customers is about
    seven values a customer, well inside the central's per-payload limit of 65,536, so a
    large file goes as several events (one a batch), never one oversized one.
    """
    payload: dict[str, Any] = {
        "file": name,
        "sha256": digest,
        "lines": [first_line, last_line],
        "created": report.created - before[0],
        "updated": report.updated - before[1],
    }
    if customers is not None:
        payload["customers"] = customers
    journal.append(ctx, f"{report.kind}.imported", payload)
