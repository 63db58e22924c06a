"""Card numbers are refused wherever free text is stored or journaled, and nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from o2pos.core import customers, importer, register
from o2pos.core.errors import ValidationError
from o2pos.core.models import CashMovement, Customer, Journal, Product
from o2pos.core.privacy import CARD_NUMBER_MESSAGE
from tests.conftest import Store


def written() -> tuple[int, int, int, int]:
    return (
        Journal.select().count(),
        CashMovement.select().count(),
        Customer.select().count(),
        Product.select().count(),
    )


@pytest.mark.parametrize(
    "reason",
    [
        "4111/1111/1111/1111",
        "refund 4111  1111  1111  1111",
        "4111 - 1111 - 1111 - 1111",
        "4111\t1111\t1111\t1111",
        "4111_1111_1111_1111",
        "4111,1111,1111,1111",
        "card ４１１１ １１１１ １１１１ １１１１",
        "٤١١١ ١١١١ ١١١١ ١١١١ back",
    ],
)
def test_a_card_number_as_a_cash_out_reason_is_refused(store: Store, reason: str) -> None:
    store.open_register()
    before = written()
    with pytest.raises(ValidationError, match="looks like a card number"):
        register.move_cash(store.ctx, store.cashier, "out", 100, reason)
    assert written() == before


@pytest.mark.parametrize(
    ("field", "fields"),
    [
        ("name", {"name": "Asha 4111 1111 1111 1111", "phone": "9845011111"}),
        ("e-mail", {"name": "Asha", "phone": "9845011111", "email": "4111111111111111@x.in"}),
        ("phone", {"name": "Asha", "phone": "378282246310005"}),  # 15 digits: an Amex
    ],
)
def test_a_card_number_in_a_new_customer_is_refused(
    store: Store, field: str, fields: dict[str, str]
) -> None:
    before = written()
    with pytest.raises(ValidationError) as refused:
        customers.create(store.ctx, store.manager, **fields)
    assert str(refused.value) == f"{CARD_NUMBER_MESSAGE}: see the {field}"
    assert written() == before


def test_ordinary_customers_and_reasons_pass(store: Store) -> None:
    store.open_register()
    customers.create(store.ctx, store.manager, "Ravi 2nd floor", "+91 98450 22222")
    register.move_cash(store.ctx, store.cashier, "out", 100, "milk, bill 2024-11-05 no 4471")


def test_imported_rows_with_a_card_number_are_refused_by_line(store: Store, tmp_path: Path) -> None:
    people = tmp_path / "customers.csv"
    people.write_text(
        "name,phone,email\nAsha,9845011111,\nCard 4111-1111-1111-1111,9845011112,\n"
        "Ravi,9845011113,5555_5555_5555_4444@example.com\n",
        encoding="utf-8",
    )
    report = importer.import_customers(store.ctx, people)
    assert [line for line, _ in report.errors] == [3, 4]
    assert all(CARD_NUMBER_MESSAGE in message for _, message in report.errors)
    assert report.created == 1
    products = tmp_path / "products.csv"
    products.write_text(
        "sku,name,brand,price,tax_class\nPEN1,Pen,Reynolds,10,GST18\n"
        "PEN2,Pen,4111 1111 1111 1111,10,GST18\n",
        encoding="utf-8",
    )
    report = importer.import_products(store.ctx, products)
    assert [(line, message) for line, message in report.errors] == [
        (3, f"{CARD_NUMBER_MESSAGE}: see the brand")
    ]
    assert "4111" not in "".join(e.payload for e in Journal.select())
    assert not Customer.select().where(Customer.name.contains("4111")).exists()
