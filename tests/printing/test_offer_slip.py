"""Offers on the printed bill: the offer's name and saving under its line, the bill offer
with the bill's discounts, and what the customer saved in all."""

from __future__ import annotations

from o2pos.core.settings import StoreSettings
from o2pos.printing import documents, layouts
from o2pos.printing.layouts import Options
from o2pos.printing.slip import Line
from tests.conftest import Store
from tests.unit.test_offers_at_till import with_offers

STORE = StoreSettings(name="Test Mart", state_code="29", timezone="Asia/Kolkata")


def _text(store: Store, number: str, width: int) -> list[str]:
    slip = layouts.slip_for(documents.find(store.ctx, number), STORE, Options(width=width))
    return [item.text for item in slip.items if isinstance(item, Line)]


def test_the_slip_names_each_offer_and_says_what_was_saved(store: Store) -> None:
    with_offers(store)
    store.open_register()
    sale = store.cash_sale("3*SOAP", "2*RICE1", "2*COLA").sale
    for width in (32, 48):
        text = _text(store, str(sale.number), width)
        soap = text.index("Neem Soap 100 g")
        assert text[soap + 1].split()[:4] == ["3", "pcs", "x", "40.00"]
        assert text[soap + 2].strip().startswith("Buy 2 get 1 free")
        assert text[soap + 2].endswith("-40.00")
        cola = text.index("Cola 750 ml")
        assert text[cola + 2].strip().startswith("10 % off drinks")
        assert text[cola + 2].endswith("-8.00")
        [bill_offer] = [t for t in text if t.startswith("₹50 off above ₹500")]
        assert bill_offer.endswith("-50.00")
        # 40.00 + 8.00 + 50.00
        assert "You saved Rs. 98.00" in [t.strip() for t in text]
        assert all(len(t) <= width for t in text)


def test_a_bill_without_offers_prints_as_before(store: Store) -> None:
    store.open_register()
    sale = store.cash_sale("3*SOAP").sale
    text = _text(store, str(sale.number), 32)
    assert not [t for t in text if "saved" in t or "free" in t]
