import pytest

from o2pos.core import catalog
from o2pos.core.barcodes import make_ean13
from o2pos.core.errors import NotFound, ValidationError
from o2pos.core.models import Product
from tests.conftest import Store


def test_lookup_by_barcode_sku_and_upc(store: Store) -> None:
    assert catalog.find_by_code(store.ctx, "8901234567890").product.sku == "RICE1"
    assert catalog.find_by_code(store.ctx, "rice1").product.sku == "RICE1"
    assert catalog.find_by_code(store.ctx, " SOAP ").product.sku == "SOAP"
    assert catalog.find_by_code(store.ctx, "036000291452").product.sku == "UPC1"


def test_unknown_codes_say_what_is_wrong(store: Store) -> None:
    with pytest.raises(NotFound, match="Unknown barcode or SKU: NOPE"):
        catalog.find_by_code(store.ctx, "NOPE")
    with pytest.raises(NotFound, match="wrong check digit"):
        catalog.find_by_code(store.ctx, "8901234567891")
    with pytest.raises(NotFound, match="no longer sold"):
        catalog.find_by_code(store.ctx, "8900000000067")
    with pytest.raises(ValidationError):
        catalog.find_by_code(store.ctx, "   ")


def test_scale_labels(store: Store) -> None:
    weight = catalog.find_by_code(store.ctx, make_ean13("221000100755"))
    assert (weight.product.sku, weight.qty_milli, weight.fixed_gross) == ("ONION", 755, None)
    price = catalog.find_by_code(store.ctx, make_ean13("211000102869"))
    assert (price.product.sku, price.fixed_gross, price.qty_milli) == ("ONION", 2869, 755)
    with pytest.raises(NotFound, match="scale code 99999"):
        catalog.find_by_code(store.ctx, make_ean13("229999900500"))


def test_name_search_by_prefix_and_several_words(store: Store) -> None:
    assert [p.sku for p in catalog.search(store.ctx, "basm")] == ["RICE1"]
    assert [p.sku for p in catalog.search(store.ctx, "rice bas")] == ["RICE1"]
    assert {p.sku for p in catalog.search(store.ctx, "so")} == {"SOAP"}
    assert catalog.search(store.ctx, 'rice "; DROP TABLE product; --') == []
    assert catalog.search(store.ctx, "tea") == []  # the only tea is inactive
    assert catalog.search(store.ctx, "") == []


def test_search_index_follows_renames(store: Store) -> None:
    Product.update(name="Jasmine Rice 1 kg").where(Product.sku == "RICE1").execute()
    assert [p.sku for p in catalog.search(store.ctx, "jasm")] == ["RICE1"]
    assert catalog.search(store.ctx, "basmati") == []
