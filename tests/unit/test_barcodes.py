from o2pos.core.barcodes import (
    decode_scale_barcode,
    gtin_check_digit,
    is_valid_gtin,
    make_ean13,
    normalize_gtin,
)
from o2pos.core.settings import ScaleSettings


def test_check_digits_of_known_codes() -> None:
    assert is_valid_gtin("4006381333931")  # EAN-13 from the GS1 examples
    assert is_valid_gtin("036000291452")  # UPC-A
    assert is_valid_gtin("96385074")  # EAN-8
    assert not is_valid_gtin("4006381333932")
    assert not is_valid_gtin("40063813339a1")
    assert gtin_check_digit("400638133393") == 1


def test_upc_a_is_looked_up_as_ean13() -> None:
    assert normalize_gtin("036000291452") == "0036000291452"
    assert normalize_gtin("4006381333931") == "4006381333931"


def test_scale_labels_carry_weight_or_price() -> None:
    scale = ScaleSettings(prefixes={"21": "price", "22": "weight"})
    weight = decode_scale_barcode(make_ean13("221000100755"), scale)
    assert weight is not None and (weight.item_code, weight.kind, weight.value) == (
        "10001",
        "weight",
        755,
    )
    price = decode_scale_barcode(make_ean13("211000102869"), scale)
    assert price is not None and (price.kind, price.value) == ("price", 2869)
    # a wrong check digit or another prefix is not a scale label
    bad = make_ean13("221000100755")[:-1] + "0"
    assert bad != make_ean13("221000100755")
    assert decode_scale_barcode(bad, scale) is None
    assert decode_scale_barcode("4006381333931", scale) is None
