from pathlib import Path

import pytest

from o2pos.core import importer
from o2pos.core.errors import ValidationError
from o2pos.core.models import Customer, Journal, Product, Stock
from tests.conftest import Store

HEADER = "sku,barcode,name,brand,category,price,tax_class,weighed,stock\n"


def write(tmp_path: Path, text: str, name: str = "in.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_bad_rows_are_reported_by_line_and_the_rest_imported(store: Store, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER
        + "NEW1,4006381333931,Good Pen,Reynolds,Stationery,25.50,GST18,no,10\n"
        + "NEW2,4006381333932,Bad Check Digit,,,10,GST18,no,\n"
        + "NEW3,,Letter Price,,,12a,GST18,no,\n"
        + "NEW4,,Unknown Tax,,,12,GST99,no,\n"
        + "NEW5,,Loose Jaggery,,Staples,80,GST0,yes,12.5\n"
        + "NEW1,,Duplicate,,,1,GST0,no,\n"
        + 'NEW6,,"Quoted, with comma",,,1,GST0,no,,extra\n'
        + "SOAP,,Neem Soap 125 g,,,45,GST18,no,\n",
    )
    report = importer.import_products(store.ctx, path)
    assert (report.created, report.updated) == (2, 1)
    assert [line for line, _ in report.errors] == [3, 4, 5, 7, 8]
    messages = dict(report.errors)
    assert "check digit" in messages[3]
    assert "not an amount" in messages[4]
    assert "GST99" in messages[5]
    assert "twice" in messages[7]
    pen = Product.get(Product.sku == "NEW1")
    assert (pen.price, pen.barcode, pen.tax_class_id) == (2550, "4006381333931", "GST18")
    jaggery = Product.get(Product.sku == "NEW5")
    assert jaggery.weighed and jaggery.unit == "kg"
    assert Stock.get(Stock.product == jaggery).qty_milli == 12500
    assert Product.get(Product.sku == "SOAP").price == 4500
    event = Journal.select().where(Journal.event_type == "products.imported").get()
    assert '"created":2' in event.payload and '"lines":[2,9]' in event.payload


def test_a_barcode_already_on_another_product_is_refused(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "NEW1,8901234567890,Clash,,,10,GST0,no,\n")
    report = importer.import_products(store.ctx, path)
    assert report.imported == 0
    assert "already belongs to RICE1" in report.errors[0][1]


def test_missing_columns_and_non_utf8(store: Store, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="missing column"):
        importer.import_products(store.ctx, write(tmp_path, "sku,name\nA,B\n"))
    latin = tmp_path / "latin.csv"
    latin.write_bytes(HEADER.encode() + "X,,Caf\xe9,,,1,GST0,no,\n".encode("latin-1"))
    with pytest.raises(ValidationError, match="UTF-8"):
        importer.import_products(store.ctx, latin)


def test_customers(store: Store, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "name,phone,email,gstin,state_code\n"
        "Anil Kumar,98450 11111,anil@example.in,,\n"
        "No Phone,,,,\n"
        "Bad Mail,9845022222,not-an-email,,\n"
        "Chennai Stores,9845033333,,33AACCK2008G1Z8,\n"
        "Lakshmi R,9845000001,,,29\n",
    )
    report = importer.import_customers(store.ctx, path)
    assert (report.created, report.updated, [ln for ln, _ in report.errors]) == (2, 1, [3, 4])
    assert Customer.get(Customer.phone == "9845011111").name == "Anil Kumar"
    assert Customer.get(Customer.phone == "9845033333").state_code == "33"
    assert Customer.get(Customer.phone == "9845000001").name == "Lakshmi R"


def test_an_update_changes_only_the_columns_in_the_file(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "sku,name,price,tax_class\nONION,Onion (loose),40,GST0\n")
    report = importer.import_products(store.ctx, path)
    assert report.updated == 1
    onion = Product.get(Product.sku == "ONION")
    assert (onion.price, onion.weighed, onion.plu, onion.unit) == (4000, True, "10001", "kg")
    assert Stock.get(Stock.product == onion).qty_milli == 50_000


def test_plu_and_stock_rules(store: Store, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "sku,plu,name,price,tax_class,weighed,stock\n"
        "L1,20001,Garlic,200,GST0,yes,0.000\n"
        "L2,20001,Ginger,150,GST0,yes,1\n"
        "P1,,Pencil,5,GST12,no,2.5\n"
        "P2,,Eraser,5,GST12,no,0.0\n"
        "L3,123,Chilli,90,GST0,yes,1\n",
    )
    report = importer.import_products(store.ctx, path)
    assert report.created == 2
    messages = dict(report.errors)
    assert "also on L1" in messages[3]
    assert "whole stock" in messages[4]
    assert "5 digits" in messages[6]


GOOD = "NEW{n},,Pen {n},,,10,GST18,no,\n"


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        # a quote left open on line 3 pairs with one on line 6: rows 4 and 5 were swallowed
        (
            'NEW8,,"Unclosed quote,10,GST18,no,\n'
            + GOOD.format(n=4)
            + GOOD.format(n=5)
            + 'NEW9,,"Pen" 9,,,10,GST18,no,\n',
            "in.csv:3: a quote opened on this line is closed only on line 6; nothing imported",
        ),
        (
            'NEW8,,"Unclosed quote to the end,10,GST18,no,\n',
            "in.csv:3: a quote opened on this line is never closed; nothing imported",
        ),
        (f"NEW8,,{'a' * 200_000},,,10,GST18,no,\n", "in.csv:3: field larger than field limit"),
        ("NEW8,,Pen\x00,,,10,GST18,no,\n", "in.csv:3: holds a NUL character"),
    ],
    ids=["quote-closed-lines-later", "quote-never-closed", "huge-field", "nul"],
)
def test_a_file_a_parser_would_misread_is_refused_whole_naming_the_line(
    store: Store, tmp_path: Path, damage: str, message: str
) -> None:
    """A CSV parser reads these without a word: an open quote swallows the rows up to the
    next quote, a huge field ended the command with a traceback, a NUL went into the
    catalog. Each refuses the whole file by line, before a row is imported (the good row
    before it too: half a file is harder to put right than none)."""
    path = write(tmp_path, HEADER + GOOD.format(n=1) + damage + GOOD.format(n=2))
    products = Product.select().count()
    with pytest.raises(ValidationError) as refused:
        importer.import_products(store.ctx, path)
    assert str(refused.value).startswith(message)
    assert Product.select().count() == products


def test_a_column_twice_and_a_short_row_are_named(store: Store, tmp_path: Path) -> None:
    twice = write(tmp_path, "sku,name,price,tax_class,price\nNEW1,Pen,10,GST18,12\n")
    with pytest.raises(ValidationError, match=r"column\(s\) price appear twice"):
        importer.import_products(store.ctx, twice)
    short = write(tmp_path, HEADER + "NEW1,,Pen,,,10\n" + GOOD.format(n=2), "short.csv")
    report = importer.import_products(store.ctx, short)
    assert report.errors == [(2, "fewer fields than the header has (9)")]
    assert report.created == 1


def test_a_line_break_in_a_column_the_import_ignores_is_standard_csv(
    store: Store, tmp_path: Path
) -> None:
    """A customer export's address may hold a line break, quoted as CSV allows; the import
    reads no address, so the file goes in. In a column it reads, a line break is still a
    quote left open, and the file is refused."""
    path = write(
        tmp_path,
        'name,phone,address\nAsha Rao,9845011111,"12 MG Road\nBengaluru"\n'
        "Ravi Kumar,9845011112,Mysuru\n",
    )
    report = importer.import_customers(store.ctx, path)
    assert (report.created, report.errors) == (2, [])
    broken = write(tmp_path, 'name,phone\n"Asha\nRao",9845011113\n', "broken.csv")
    with pytest.raises(ValidationError, match=r"broken\.csv:2: a quote opened on this line"):
        importer.import_customers(store.ctx, broken)
