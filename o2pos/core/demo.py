"""The demo store, and the generator of realistic catalogs (the demo and the benchmarks).

``data/demo/*.csv`` was written by ``scripts/make_demo_data.py`` from ``catalog_rows``; it is
loaded through the same importer a store uses, so the demo exercises the real path.

What only loading or generating needs (the importer, offers, price lists, points, csv,
barcodes) is imported by the function that uses it: the login screen asks
``is_demo_store`` while the till starts, and should not pay for them.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from o2pos.core import auth
from o2pos.core.context import Context
from o2pos.core.errors import ValidationError
from o2pos.core.models import (
    Coupon,
    Customer,
    Employee,
    Location,
    Lot,
    Product,
    QuickButton,
    SerialNumber,
    Stock,
    StoreMeta,
    Voucher,
)
from o2pos.core.money import parse_amount, parse_qty

if TYPE_CHECKING:
    from o2pos.core.importer import ImportReport

DEMO_LOGINS = [
    ("admin", "Asha Admin", "administrator", "123456"),
    ("manager", "Meera Manager", "store_manager", "222222"),
    ("cashier", "Kiran Cashier", "cashier", "1111"),
    ("billing", "Bala Billing", "billing_employee", "3333"),
    ("stock", "Sunil Stock", "inventory", "4444"),
]

# the demo store's shop floor (every till's default location) and its back-room store:
# the demo central registers them (``central.master.load_demo``), and a demo till knows
# them from the start, so it has somewhere to send stock (ctrl+o) before it ever syncs
DEMO_LOCATIONS = (("MAIN", "Main store"), ("WH", "Warehouse"))

PRODUCT_FIELDS = [
    "sku",
    "barcode",
    "plu",
    "name",
    "brand",
    "category",
    "unit",
    "price",
    "tax_class",
    "price_includes_tax",
    "weighed",
    "lot_tracked",
    "serial_tracked",
    "active",
    "stock",
    "hsn",
]


@dataclass(frozen=True)
class Template:
    """A product line of the generated catalog, in its sizes."""

    category: str
    brand: str
    name: str
    sizes: tuple[tuple[str, int], ...]  # (size label, price in rupees)
    tax: str
    kind: str = ""  # "" | lot | serial


# (category, tax class, kind, brand, product, sizes "label:price;...")
_TEMPLATES = """
Staples|GST5||India Gate|Basmati Rice Classic|1 kg:189;5 kg:899
Staples|GST5||Daawat|Rozana Basmati Rice|1 kg:115;5 kg:545
Staples|GST0||Aashirvaad|Whole Wheat Atta|1 kg:62;5 kg:285;10 kg:545
Staples|GST0||Pillsbury|Chakki Fresh Atta|5 kg:279
Staples|GST5||Tata Sampann|Toor Dal|500 g:89;1 kg:172
Staples|GST5||Tata Sampann|Moong Dal|500 g:79;1 kg:155
Staples|GST5||Tata Sampann|Chana Dal|1 kg:118
Staples|GST5||Madhur|Pure Sugar|1 kg:52;5 kg:255
Staples|GST0||Tata|Iodised Salt|1 kg:28
Staples|GST5||Fortune|Sunflower Oil|1 l:165;5 l:789
Staples|GST5||Saffola|Gold Edible Oil|1 l:199;5 l:945
Staples|GST5||Dhara|Mustard Oil|1 l:172
Staples|GST5||MDH|Deggi Mirch|100 g:82;500 g:365
Staples|GST5||Everest|Turmeric Powder|100 g:36;200 g:70
Staples|GST5||Everest|Garam Masala|50 g:45;100 g:88
Staples|GST5||Catch|Jeera Whole|100 g:68
Staples|GST12||Maggi|2-Minute Masala Noodles|70 g:14;280 g:56;560 g:108
Staples|GST12||Yippee|Magic Masala Noodles|280 g:55
Staples|GST18||Kissan|Fresh Tomato Ketchup|500 g:125;1 kg:179
Staples|GST12||Kellogg's|Corn Flakes|250 g:110;875 g:339
Dairy|GST0|lot|Amul|Taaza Toned Milk|500 ml:27;1 l:54
Dairy|GST0|lot|Nandini|Toned Milk|500 ml:24
Dairy|GST12|lot|Amul|Butter Pasteurised|100 g:58;500 g:285
Dairy|GST12|lot|Amul|Processed Cheese Slices|200 g:145
Dairy|GST5|lot|Amul|Malai Paneer|200 g:95
Dairy|GST5|lot|Mother Dairy|Classic Dahi|400 g:45;1 kg:99
Dairy|GST12|lot|Amul|Pure Ghee|500 ml:325;1 l:630
Dairy|GST5|lot|Nestle|a+ Slim Milk|1 l:78
Snacks|GST12||Lay's|India's Magic Masala Chips|52 g:20;90 g:40
Snacks|GST12||Lay's|Classic Salted Chips|52 g:20;90 g:40
Snacks|GST12||Kurkure|Masala Munch|90 g:20;150 g:35
Snacks|GST12||Haldiram's|Aloo Bhujia|200 g:55;400 g:105
Snacks|GST12||Haldiram's|Moong Dal|200 g:55
Snacks|GST18||Britannia|Good Day Cashew Cookies|200 g:40;600 g:110
Snacks|GST18||Britannia|Marie Gold|250 g:35
Snacks|GST18||Parle|Parle-G Gold|1 kg:130
Snacks|GST18||Sunfeast|Dark Fantasy Choco Fills|75 g:40;300 g:150
Snacks|GST18||Cadbury|Dairy Milk Silk|60 g:80;150 g:175
Snacks|GST18||Nestle|KitKat|37 g:25
Beverages|GST5||Tata Tea|Premium Leaf Tea|250 g:145;1 kg:540
Beverages|GST5||Red Label|Natural Care Tea|250 g:160
Beverages|GST18||Bru|Instant Coffee|100 g:295;200 g:560
Beverages|GST18||Nescafe|Classic Coffee|50 g:185;100 g:345
Beverages|GST28||Coca-Cola|Soft Drink|750 ml:40;2.25 l:99
Beverages|GST28||Thums Up|Soft Drink|750 ml:40;2.25 l:99
Beverages|GST28||Red Bull|Energy Drink|250 ml:125
Beverages|GST12||Tropicana|Orange Juice|1 l:125
Beverages|GST12||Real|Mixed Fruit Juice|1 l:120
Beverages|GST18||Bisleri|Mineral Water|1 l:20;5 l:70
Beverages|GST18||Horlicks|Classic Malt|500 g:265
Personal care|GST18||Colgate|Strong Teeth Toothpaste|100 g:58;200 g:112
Personal care|GST18||Closeup|Red Hot Gel|150 g:95
Personal care|GST18||Dove|Cream Beauty Bar|100 g:62
Personal care|GST18||Lux|Soft Glow Soap|4x100 g:150
Personal care|GST18||Dettol|Original Soap|125 g:48
Personal care|GST18||Head & Shoulders|Anti-Dandruff Shampoo|180 ml:199;340 ml:375
Personal care|GST18||Clinic Plus|Strong & Long Shampoo|340 ml:210
Personal care|GST18||Himalaya|Neem Face Wash|100 ml:155
Personal care|GST18||Parachute|Coconut Oil|250 ml:110;500 ml:205
Personal care|GST18||Gillette|Guard Razor|1 pc:65
Personal care|GST12|lot|Whisper|Ultra Clean Pads|XL 15:199
Household|GST18||Surf Excel|Easy Wash Detergent|1 kg:140;3 kg:395
Household|GST18||Ariel|Matic Front Load|1 kg:245
Household|GST18||Rin|Detergent Bar|250 g:22
Household|GST18||Vim|Dishwash Bar|200 g:20
Household|GST18||Vim|Dishwash Liquid|500 ml:115
Household|GST18||Harpic|Toilet Cleaner|500 ml:99;1 l:189
Household|GST18||Lizol|Floor Cleaner Citrus|975 ml:229
Household|GST18||Good Knight|Gold Flash Refill|45 ml:85
Household|GST18||Odonil|Air Freshener|50 g:55
Household|GST12||Scotch-Brite|Scrub Pad|3 pc:60
Medicines|GST12|lot|Dolo|650 Tablets|15 tabs:33
Medicines|GST12|lot|Crocin|Advance Tablets|15 tabs:30
Medicines|GST12|lot|Vicks|VapoRub|50 ml:160
Medicines|GST12|lot|Dabur|Chyawanprash|500 g:235;1 kg:395
Medicines|GST12|lot|Electral|ORS Powder|21.8 g:22
Medicines|GST18|lot|Dettol|Antiseptic Liquid|250 ml:145
Electronics|GST18|serial|boAt|Rockerz 255 Neckband|1 pc:1299
Electronics|GST18|serial|boAt|Airdopes 141 Earbuds|1 pc:1499
Electronics|GST18|serial|Mi|10000 mAh Power Bank|1 pc:1199
Electronics|GST18|serial|Philips|BT1232 Beard Trimmer|1 pc:1395
Electronics|GST18|serial|Realme|Buds Wireless 3|1 pc:1799
Electronics|GST18||Syska|9W LED Bulb|1 pc:99;pack of 4:349
Electronics|GST18||Duracell|AA Alkaline Batteries|pack of 4:160
Electronics|GST18||Eveready|AAA Batteries|pack of 2:40
Stationery|GST12||Classmate|Notebook 172 pages|1 pc:55;pack of 6:310
Stationery|GST18||Reynolds|045 Ball Pen Blue|pack of 10:100
Stationery|GST18||Fevicol|MR Adhesive|50 g:30
Stationery|GST18||Camlin|Wax Crayons|24 shades:60
Baby care|GST12||Pampers|Baby Dry Pants M|20 pcs:399
Baby care|GST18||Johnson's|Baby Powder|200 g:175
Baby care|GST18||Himalaya|Gentle Baby Soap|75 g:55
Frozen|GST12|lot|McCain|French Fries|420 g:140
Frozen|GST18|lot|Kwality Walls|Cornetto Double Chocolate|105 ml:45
Frozen|GST18|lot|Amul|Vanilla Magic Ice Cream|1 l:210
Bakery|GST5|lot|Modern|Sandwich Bread|400 g:45
Bakery|GST5|lot|Britannia|Brown Bread|400 g:55
Bakery|GST18||Britannia|Fruit Cake|125 g:35
Pet care|GST18||Pedigree|Adult Chicken & Veg|1.2 kg:395
Pet care|GST18||Whiskas|Ocean Fish|480 g:210
"""

# Loose produce and bulk goods sold by weight from a scale (PLU = item code on the label).
_WEIGHED = """
10001|Fruits & vegetables|Onion (loose)|38
10002|Fruits & vegetables|Potato (loose)|32
10003|Fruits & vegetables|Tomato (loose)|42
10004|Fruits & vegetables|Banana Robusta (loose)|58
10005|Fruits & vegetables|Apple Shimla (loose)|180
10006|Fruits & vegetables|Carrot Ooty (loose)|64
10007|Fruits & vegetables|Green Capsicum (loose)|80
10008|Fruits & vegetables|Cauliflower (loose)|45
10009|Fruits & vegetables|Ginger (loose)|120
10010|Fruits & vegetables|Lemon (loose)|90
10011|Staples|Sona Masoori Rice (loose)|62
10012|Staples|Toor Dal (loose)|148
10013|Staples|Groundnut Kernels (loose)|140
10014|Staples|Cashew W320 (loose)|980
10015|Staples|Almonds California (loose)|860
"""


# A representative HSN code per category, for the demo's tax invoices (``core.gst``): a
# bill to a business customer needs one on every taxed line.
HSN_BY_CATEGORY = {
    "Baby care": "9619",
    "Bakery": "1905",
    "Beverages": "2202",
    "Dairy": "0401",
    "Electronics": "8543",
    "Frozen": "2105",
    "Fruits & vegetables": "0709",
    "Household": "3402",
    "Medicines": "3004",
    "Personal care": "3304",
    "Pet care": "2309",
    "Snacks": "2106",
    "Staples": "1006",
    "Stationery": "9608",
}
# the demo's business customers on credit: a credit limit (rupees) and credit days each
CREDIT_CUSTOMERS = "business_customers.csv"


def _templates() -> list[Template]:
    out = []
    for raw in _TEMPLATES.strip().splitlines():
        category, tax, kind, brand, name, sizes = raw.split("|")
        parsed = tuple(
            (label, int(price)) for label, price in (s.split(":") for s in sizes.split(";"))
        )
        out.append(Template(category, brand, name, parsed, tax, kind))
    return out


def catalog_rows(n: int | None = None, seed: int = 1) -> Iterator[dict[str, str]]:
    """Products as CSV rows: the curated demo list, then (beyond it) generated variants.

    With ``n`` larger than the curated list, further rows reuse the templates with variant
    names and nearby prices, so a 100,000-product catalog searches like a real one.
    """
    from o2pos.core.barcodes import make_ean13

    rng = random.Random(seed)
    count = 0
    for plu, category, name, price in (r.split("|") for r in _WEIGHED.strip().splitlines()):
        if n is not None and count >= n:
            return
        count += 1
        yield {
            "sku": f"LOOSE-{plu}",
            "barcode": "",
            "plu": plu,
            "name": name,
            "brand": "",
            "category": category,
            "unit": "kg",
            "price": f"{price}.00",
            "tax_class": "GST0",
            "price_includes_tax": "yes",
            "weighed": "yes",
            "lot_tracked": "no",
            "serial_tracked": "no",
            "active": "yes",
            "stock": str(rng.randint(20, 200)),
            "hsn": HSN_BY_CATEGORY.get(category, ""),
        }
    templates = _templates()
    variants = [
        "",
        "Family Pack",
        "Value Pack",
        "Combo",
        "New",
        "Refill",
        "Jumbo",
        "Mini",
        "Premium",
        "Select",
        "Classic",
        "Gold",
        "Lite",
        "Fresh",
        "Special",
    ]
    round_ = 0
    while n is None or count < n:
        for index, t in enumerate(templates):
            for size_index, (size, rupees) in enumerate(t.sizes):
                if n is not None and count >= n:
                    return
                count += 1
                variant = variants[round_ % len(variants)] if round_ else ""
                paise = rupees * 100
                if round_:
                    paise = max(500, paise + rng.randint(-20, 20) * 100 // 10 * 10)
                body = f"890{(1000 + index) % 10000:04d}{(round_ * 7 + size_index) % 100000:05d}"
                item = f"{t.brand} {t.name}" + (f" {variant}" if variant else "") + f" {size}"
                kind = t.kind
                yield {
                    "sku": f"{t.category[:3].upper()}-{count:06d}",
                    "barcode": make_ean13(body),
                    "plu": "",
                    "name": item,
                    "brand": t.brand,
                    "category": t.category,
                    "unit": "pcs",
                    "price": f"{paise // 100}.{paise % 100:02d}",
                    "tax_class": t.tax,
                    "price_includes_tax": "yes",
                    "weighed": "no",
                    "lot_tracked": "yes" if kind == "lot" else "no",
                    "serial_tracked": "yes" if kind == "serial" else "no",
                    "active": "yes",
                    "stock": "0" if kind else str(rng.randint(5, 120)),
                    "hsn": HSN_BY_CATEGORY.get(t.category, ""),
                }
        if n is None:
            return
        round_ += 1


def write_products_csv(path: Path, rows: Iterator[dict[str, str]]) -> int:
    import csv

    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=PRODUCT_FIELDS)
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
            written += 1
    return written


def demo_dir() -> Path:
    """``data/demo`` of a source checkout, or the copy packed into the wheel."""
    from importlib import resources

    packed = resources.files("o2pos") / "demo_data"
    if packed.is_dir():
        return Path(str(packed))
    return Path(__file__).resolve().parents[2] / "data" / "demo"


def _read(path: Path) -> list[dict[str, str]]:
    import csv

    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def is_demo_pin(code: str, pin: str) -> bool:
    employee = Employee.get_or_none(Employee.code == code)
    return employee is not None and auth.check_pin(pin, employee.pin_hash)


def is_demo_store() -> bool:
    """True when this database was filled by ``load_demo`` (the login screen shows the PINs)."""
    return StoreMeta.get_or_none(StoreMeta.key == "demo") is not None


def is_loaded() -> bool:
    return Employee.select().exists() and Product.select().exists()


def load_demo(ctx: Context, directory: Path | None = None) -> list[ImportReport]:
    """Load the demo store; assumes reference data exists (``bootstrap``)."""
    from o2pos.core import loyalty, offerdata, pricelists
    from o2pos.core.importer import import_customers, import_products

    directory = directory or demo_dir()
    reports = [
        import_products(ctx, directory / "products.csv"),
        import_customers(ctx, directory / "customers.csv"),
    ]
    if (directory / CREDIT_CUSTOMERS).exists():
        reports.append(import_customers(ctx, directory / CREDIT_CUSTOMERS))
    location = ctx.settings.terminal.location
    with ctx.write():
        StoreMeta.insert(key="demo", value="1").on_conflict_replace().execute()
        for code, name in DEMO_LOCATIONS:
            Location.insert(code=code, name=name).on_conflict(
                conflict_target=[Location.code], update={Location.name: name}
            ).execute()
        for code, name, role, pin in DEMO_LOGINS:
            if Employee.get_or_none(Employee.code == code) is None:
                auth.create_employee(ctx, code, name, role, pin)
        for row in _read(directory / "lots.csv"):
            product = Product.get(Product.sku == row["sku"])
            qty = parse_qty(row["qty"])
            Lot.get_or_create(
                product=product,
                location=location,
                lot_no=row["lot_no"],
                defaults={
                    "expiry": date.fromisoformat(row["expiry"]) if row["expiry"] else None,
                    "received_at": datetime.fromisoformat(row["received_at"]),
                    "qty_milli": qty,
                },
            )
        for row in _read(directory / "serials.csv"):
            product = Product.get(Product.sku == row["sku"])
            SerialNumber.get_or_create(product=product, serial=row["serial"])
        for row in _read(directory / "coupons.csv"):
            kind = row["kind"]
            value = int(row["value"]) if kind == "percent" else parse_amount(row["value"])
            if kind not in ("percent", "amount"):
                raise ValidationError(f"coupon {row['code']}: kind is percent or amount")
            Coupon.get_or_create(
                code=row["code"],
                defaults={
                    "description": row["description"],
                    "kind": kind,
                    "value": value,
                    "min_cart": parse_amount(row["min_cart"] or "0"),
                    "max_discount": parse_amount(row["max_discount"])
                    if row["max_discount"]
                    else None,
                    "valid_from": date.fromisoformat(row["valid_from"])
                    if row["valid_from"]
                    else None,
                    "valid_to": date.fromisoformat(row["valid_to"]) if row["valid_to"] else None,
                    "usage_limit": int(row["usage_limit"]) if row["usage_limit"] else None,
                },
            )
        for row in _read(directory / "gift_vouchers.csv"):
            amount = parse_amount(row["amount"])
            Voucher.get_or_create(
                code=row["code"],
                defaults={
                    "kind": "gift_voucher",
                    "amount": amount,
                    "balance": amount,
                    "created_at": ctx.now(),
                },
            )
        # customer groups, their price lists and the points scheme, as the central sends them
        # (``o2pos central load-demo`` loads the same), and each demo customer's group
        groups = directory / "price_lists.csv"
        if groups.exists():
            for kind, key, data in pricelists.read_groups_csv(groups).records():
                apply = pricelists.apply_list if kind == "price_list" else pricelists.apply_group
                apply(key, data)
        for row in _read(directory / "customers.csv"):
            if row.get("group_code"):
                Customer.update(group_code=row["group_code"]).where(
                    Customer.phone == row["phone"]
                ).execute()
        loyalty.apply_scheme(loyalty.SCHEME, loyalty.DEMO_SCHEME)
        for row in _read(directory / "quick_buttons.csv"):
            product = Product.get(Product.sku == row["sku"])
            QuickButton.get_or_create(
                position=int(row["position"]), defaults={"label": row["label"], "product": product}
            )
        for row in _read(directory / "offers.csv"):  # as the central's load-demo has them
            offerdata.store(*offerdata.from_csv_row(row))
        # stock of lot- and serial-tracked products is the sum of their lots / serials
        for product in Product.select().where(Product.lot_tracked == True):
            lots = Lot.select().where(Lot.product == product)
            _set_stock(product, location, sum(lot.qty_milli for lot in lots))
        for product in Product.select().where(Product.serial_tracked == True):
            serials = SerialNumber.select().where(
                SerialNumber.product == product, SerialNumber.status == "available"
            )
            _set_stock(product, location, 1000 * serials.count())
    return reports


def opening_stock(directory: Path | None = None) -> dict[str, int]:
    """The demo's stock per SKU in milli-units, as ``load_demo`` leaves it on a till: the
    products file's column, or the sum of the lots, or one per serial. The demo central
    receives the same at its main location, so a demo till online agrees with it."""
    directory = directory or demo_dir()
    stock: dict[str, int] = {}
    for row in _read(directory / "products.csv"):
        text = (row.get("stock") or "").strip()
        if text.replace("0", "").replace(".", ""):  # none, or zero: nothing to receive
            stock[row["sku"]] = parse_qty(text)
    lots: dict[str, int] = {}
    for row in _read(directory / "lots.csv"):
        lots[row["sku"]] = lots.get(row["sku"], 0) + parse_qty(row["qty"])
    serials: dict[str, int] = {}
    for row in _read(directory / "serials.csv"):
        serials[row["sku"]] = serials.get(row["sku"], 0) + 1000
    return {**stock, **lots, **serials}


def _set_stock(product: Product, location: str, qty: int) -> None:
    Stock.insert(product=product, location=location, qty_milli=qty).on_conflict(
        conflict_target=[Stock.product, Stock.location], update={Stock.qty_milli: qty}
    ).execute()
