"""Write data/demo/*.csv, the demo store. Deterministic: run it again, get the same files.

python scripts/make_demo_data.py
"""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

from o2pos.core.demo import CREDIT_CUSTOMERS, catalog_rows, write_products_csv

OUT = Path(__file__).resolve().parents[1] / "data" / "demo"

FIRST = [
    "Aarav",
    "Vivaan",
    "Aditya",
    "Ananya",
    "Diya",
    "Ishaan",
    "Kavya",
    "Lakshmi",
    "Rohan",
    "Priya",
    "Suresh",
    "Meena",
    "Arjun",
    "Divya",
    "Farhan",
    "Gayathri",
    "Harish",
    "Irfan",
    "Jyoti",
    "Karthik",
    "Lavanya",
    "Manoj",
    "Nisha",
    "Omkar",
    "Pooja",
]
LAST = ["Sharma", "Iyer", "Reddy", "Nair", "Patel", "Gowda", "Khan", "Menon", "Rao", "Das"]


def write(name: str, fields: list[str], rows: list[dict]) -> None:
    with (OUT / name).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


GROUP_CUSTOMERS = [
    ("Sri Balaji Stores", "9845900001", "", "wholesale"),
    ("Annapurna Caterers", "9845900002", "orders@annapurna.example.in", "wholesale"),
    ("Ravi Kumar", "9845900003", "ravi.staff@example.in", "staff"),
    ("Meena Kirana", "9845900004", "", "retail"),
]


def main() -> None:
    rng = random.Random(7)
    products = list(catalog_rows(240, seed=7))
    write_products_csv(OUT / "products.csv", iter(products))

    customers = []
    for i in range(50):
        name = f"{FIRST[i % len(FIRST)]} {LAST[(i * 3) % len(LAST)]}"
        row = {
            "name": name,
            "phone": f"98{45000000 + i * 7919:08d}",
            "email": f"{name.split()[0].lower()}{i}@example.in" if i % 3 else "",
            "gstin": "",
            "state_code": "",
            "group_code": "",
        }
        if i % 10 == 4:  # a business customer in Karnataka, the store's state
            row["gstin"] = f"29AABC{'CDEFGHIJKL'[i % 10]}{1000 + i}F1Z{i % 10}"
        if i % 10 == 8:  # a business customer in Tamil Nadu: billed IGST
            row["gstin"] = f"33AACC{'CDEFGHIJKL'[i % 10]}{2000 + i}G1Z{i % 10}"
        customers.append(row)
    # customers of each customer group (price_lists.csv): wholesale, staff and retail
    for name, phone, email, group in GROUP_CUSTOMERS:
        customers.append(
            {"name": name, "phone": phone, "email": email, "gstin": "", "state_code": ""}
            | {"group_code": group}
        )
    write(
        "customers.csv",
        ["name", "phone", "email", "gstin", "state_code", "group_code"],
        customers,
    )
    # business customers buying on credit (docs/credit.md): limit in rupees, credit days
    business = [
        {
            "name": "Sri Lakshmi Traders",
            "phone": "9845100001",
            "email": "accounts@srilakshmitraders.example.in",
            "gstin": "29AAKFS1234M1Z6",
            "state_code": "",
            "credit_limit": "5000",
            "credit_days": "30",
        },
        {
            "name": "Ravi Kirana Store",
            "phone": "9845100002",
            "email": "",
            "gstin": "29ABCPR5678K1Z3",
            "state_code": "",
            "credit_limit": "20000",
            "credit_days": "15",
        },
    ]
    write(CREDIT_CUSTOMERS, [*business[0]], business)

    lots, serials = [], []
    today = date(2026, 11, 1)
    for p in products:
        if p["lot_tracked"] == "yes":
            for k in range(2):
                received = today - timedelta(days=30 - 10 * k)
                lots.append(
                    {
                        "sku": p["sku"],
                        "lot_no": f"L{received:%y%m%d}{k}",
                        "expiry": (
                            received + timedelta(days=rng.choice([20, 90, 365]))
                        ).isoformat(),
                        "received_at": f"{received.isoformat()}T09:00:00",
                        "qty": str(rng.randint(10, 40)),
                    }
                )
        if p["serial_tracked"] == "yes":
            for k in range(5):
                serials.append({"sku": p["sku"], "serial": f"SN{p['sku'][-4:]}{k:04d}"})
    write("lots.csv", ["sku", "lot_no", "expiry", "received_at", "qty"], lots)
    write("serials.csv", ["sku", "serial"], serials)

    write(
        "coupons.csv",
        [
            "code",
            "description",
            "kind",
            "value",
            "min_cart",
            "max_discount",
            "valid_from",
            "valid_to",
            "usage_limit",
        ],
        [
            {
                "code": "WELCOME10",
                "description": "10% off bills of 500 or more, up to 200",
                "kind": "percent",
                "value": "1000",
                "min_cart": "500",
                "max_discount": "200",
                "valid_from": "2026-01-01",
                "valid_to": "2030-12-31",
                "usage_limit": "",
            },
            {
                "code": "FLAT50",
                "description": "50 off bills of 1000 or more",
                "kind": "amount",
                "value": "50",
                "min_cart": "1000",
                "max_discount": "",
                "valid_from": "",
                "valid_to": "",
                "usage_limit": "",
            },
            {
                "code": "ONCE100",
                "description": "100 off, one use only",
                "kind": "amount",
                "value": "100",
                "min_cart": "300",
                "max_discount": "",
                "valid_from": "",
                "valid_to": "",
                "usage_limit": "1",
            },
            {
                "code": "DIWALI24",
                "description": "Diwali 2024 (expired)",
                "kind": "percent",
                "value": "1500",
                "min_cart": "0",
                "max_discount": "",
                "valid_from": "2024-10-20",
                "valid_to": "2024-11-05",
                "usage_limit": "",
            },
        ],
    )
    # offers (docs/offers.md): buy 2 get 1 free on Dettol soap, 10 % off snacks, and
    # 100 off a bill of 3000 or more
    write(
        "offers.csv",
        [
            "code",
            "name",
            "kind",
            "value",
            "value_kind",
            "skus",
            "categories",
            "buy_qty",
            "get_qty",
            "min_total",
        ],
        [
            {
                "code": "DETTOL-B2G1",
                "name": "Buy 2 get 1 free",
                "kind": "buy_get",
                "skus": "PER-000104",
                "buy_qty": "2",
                "get_qty": "1",
            },
            {
                "code": "SNACKS10",
                "name": "10 % off snacks",
                "kind": "percent",
                "value": "10",
                "value_kind": "percent",
                "categories": "Snacks",
            },
            {
                "code": "BILL3000",
                "name": "100 off bills of 3000",
                "kind": "threshold",
                "value": "100.00",
                "value_kind": "amount",
                "min_total": "3000.00",
            },
        ],
    )
    write(
        "gift_vouchers.csv",
        ["code", "amount"],
        [{"code": "GV-0001", "amount": "1000"}, {"code": "GV-0002", "amount": "500"}],
    )

    quick = [p for p in products if p["weighed"] == "yes"][:10]
    quick += [p for p in products if p["name"].startswith(("Amul Taaza", "Modern Sandwich"))][:2]
    write(
        "quick_buttons.csv",
        ["position", "label", "sku"],
        [
            {
                "position": str(i + 1),
                "label": p["name"].replace(" (loose)", "")[:14],
                "sku": p["sku"],
            }
            for i, p in enumerate(quick)
        ],
    )
    print(
        f"wrote {len(products)} products, {len(customers)} customers, {len(lots)} lots, "
        f"{len(serials)} serials to {OUT}"
    )


if __name__ == "__main__":
    main()
