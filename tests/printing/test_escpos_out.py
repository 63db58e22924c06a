"""ESC/POS bytes of a slip, checked byte by byte: what the printer gets, in the order it gets it."""

from __future__ import annotations

import platform
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from o2pos.printing.escpos_out import currency_symbol, render
from o2pos.printing.slip import QR, Barcode, Line, Slip

INIT = b"\x1b@"
KICK_PIN2 = b"\x1bp\x00\x32\x32"  # ESC p 0 t1 t2: pin 2, 100 ms on, 100 ms off
BOLD_ON, BOLD_OFF = b"\x1bE\x01", b"\x1bE\x00"
CENTER, LEFT, RIGHT = b"\x1ba\x01", b"\x1ba\x00", b"\x1ba\x02"
DOUBLE = b"\x1b!\x30"  # ESC ! with double height and double width
FULL_CUT = b"\x1dV\x00"
NUMBER = "S-T1-000042"


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("escpos-cache")


def bill(*, drawer: bool = True, copy: bool = False, width: int = 48) -> Slip:
    items: list[Line | Barcode | QR] = [Line("Corner Store", align="center", bold=True)]
    if copy:
        items.append(Line("*** COPY ***", align="center"))
    items += [
        Line("Rice 5 kg                 1 x 350.00"),
        Line("TOTAL Rs. 350.00", align="right", big=True),
        Line("Thank you"),
        Barcode(NUMBER),
        QR("upi://pay?pa=store@bank&am=350.00"),
    ]
    return Slip("bill", NUMBER, width, tuple(items), copy=copy, drawer=drawer)


def test_the_job_is_init_kick_lines_barcode_qr_cut_in_that_order(cache_dir: Path) -> None:
    data = render(bill(), cache_dir=cache_dir)

    assert data.startswith(INIT + KICK_PIN2)
    title = data.index(b"Corner Store")
    rice = data.index(b"Rice 5 kg")
    total = data.index(b"TOTAL Rs. 350.00")
    thanks = data.index(b"Thank you")
    barcode = data.index(b"\x1dk")
    number = data.index(NUMBER.encode(), barcode)
    qr = data.index(b"\x1d(k")
    cut = data.rindex(b"\x1dV")
    assert len(INIT) < title < rice < total < thanks < barcode < number < qr < cut
    assert data.endswith(b"\x1bd\x06" + FULL_CUT)  # feed six lines, then a full cut


def test_styles_are_set_before_each_line_and_reset_after(cache_dir: Path) -> None:
    data = render(bill(), cache_dir=cache_dir)
    title = data.index(b"Corner Store")
    rice = data.index(b"Rice 5 kg")
    total = data.index(b"TOTAL")
    thanks = data.index(b"Thank you")

    before_title = data[len(INIT + KICK_PIN2) : title]
    assert BOLD_ON in before_title and CENTER in before_title and DOUBLE not in before_title
    before_rice = data[title:rice]
    assert BOLD_OFF in before_rice and LEFT in before_rice
    before_total = data[rice:total]
    assert DOUBLE in before_total and RIGHT in before_total
    after_total = data[total:thanks]
    assert DOUBLE not in after_total and b"\x1b!\x00" in after_total and LEFT in after_total


def test_barcode_is_a_hardware_code128_of_the_document_number(cache_dir: Path) -> None:
    data = render(bill(width=48), cache_dir=cache_dir)
    # GS k 73 n {B data: function B, Code128, code set B, text printed below (GS H 2)
    code = b"{B" + NUMBER.encode()
    assert b"\x1dkI" + bytes([len(code)]) + code in data
    assert b"\x1dH\x02" in data
    assert b"\x1dw\x03" in data  # 3-dot modules fit 80 mm paper
    narrow = render(bill(width=32), cache_dir=cache_dir)
    assert b"\x1dw\x02" in narrow  # 2-dot modules on 58 mm, where 3 would not fit


def test_barcode_data_code128_cannot_hold_prints_as_text(cache_dir: Path) -> None:
    slip = Slip("bill", "x", 32, (Barcode("Zoë-1"), Barcode("A" * 40)))
    data = render(slip, cache_dir=cache_dir)
    assert b"\x1dk" not in data
    assert b"Zo\x89-1\n" in data  # ë in code page 437
    assert b"A" * 32 + b"\n" in data


def test_qr_is_native_with_the_content(cache_dir: Path) -> None:
    data = render(bill(), cache_dir=cache_dir)
    content = b"upi://pay?pa=store@bank&am=350.00"
    # GS ( k pL pH 49 80 48 data: store the data; then 49 81 48 prints it
    header = len(content) + 3
    assert b"\x1d(k" + bytes([header % 256, header // 256]) + b"1P0" + content in data
    assert data.index(b"1P0") < data.index(b"\x1d(k\x03\x001Q0")


def test_no_drawer_no_kick(cache_dir: Path) -> None:
    data = render(bill(drawer=False), cache_dir=cache_dir)
    assert data.startswith(INIT)
    assert b"\x1bp" not in data


def test_a_no_sale_is_only_the_drawer_kick(cache_dir: Path) -> None:
    slip = Slip("drawer", "no sale", 48, drawer=True)
    assert render(slip, cache_dir=cache_dir) == INIT + KICK_PIN2  # no paper fed or cut


def test_a_copy_prints_the_copy_line_the_preview_shows(cache_dir: Path) -> None:
    slip = bill(copy=True)
    data = render(slip, cache_dir=cache_dir)
    assert "*** COPY ***" in slip.text()
    assert data.index(b"Corner Store") < data.index(b"*** COPY ***") < data.index(b"Rice")


def test_a_queued_slip_renders_the_same_bytes(cache_dir: Path) -> None:
    slip = bill()
    assert render(Slip.from_json(slip.to_json()), cache_dir=cache_dir) == render(
        slip, cache_dir=cache_dir
    )


def test_lines_are_cut_to_the_preview_width(cache_dir: Path) -> None:
    slip = Slip("bill", "x", 32, (Line("x" * 40), Line("y" * 40, big=True)))
    data = render(slip, cache_dir=cache_dir)
    assert b"x" * 32 + b"\n" in data and b"x" * 33 not in data
    assert b"y" * 16 + b"\n" in data and b"y" * 17 not in data


def test_control_characters_in_text_never_become_commands(cache_dir: Path) -> None:
    slip = Slip("bill", "x", 48, (Line("Evil\x1bp\x00\x32\x32 soap\x1dV\x00"),))
    data = render(slip, cache_dir=cache_dir)
    assert b"\x1bp" not in data
    assert data.count(b"\x1dV") == 1  # only our own cut
    assert b"Evil p 22 soap V \n" in data


def test_characters_the_printer_lacks_print_as_question_marks(cache_dir: Path) -> None:
    slip = Slip("bill", "x", 48, (Line("Crème brûlée ₹ 10"), Line("Ünïcödé ✓")))
    data = render(slip, cache_dir=cache_dir)
    assert b"Cr\x8ame br\x96l\x82e ? 10\n" in data  # code page 437; no ₹ in it
    assert b"?\n" in data


def test_render_prints_nothing(cache_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    render(bill(), cache_dir=cache_dir)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ""


def test_an_unknown_profile_is_a_clear_error(cache_dir: Path) -> None:
    with pytest.raises(ValueError, match="profile 'no-such-printer' is not known"):
        render(bill(), profile="no-such-printer", cache_dir=cache_dir)


def test_other_profiles_render(cache_dir: Path) -> None:
    data = render(bill(), profile="TM-T88V", cache_dir=cache_dir)
    assert data.startswith(INIT + KICK_PIN2) and b"\x1dkI" in data and b"\x1dV" in data


def test_currency_symbol_is_what_the_code_pages_can_print(cache_dir: Path) -> None:
    # no profile in python-escpos 3.1 has a code page with ₹
    symbol = currency_symbol("default", cache_dir=cache_dir)
    assert symbol == "Rs."
    assert currency_symbol("no-such-printer") == "Rs."
    data = render(Slip("bill", "x", 48, (Line(f"TOTAL {symbol} 5.00"),)), cache_dir=cache_dir)
    assert f"TOTAL {symbol} 5.00\n".encode() in data


def test_first_import_caches_under_the_data_dir_and_leaves_logging_alone(tmp_path: Path) -> None:
    """In a fresh process: the pickle lands in cache_dir, a damaged one is rebuilt, no stderr
    handler is left on the root logger, and nothing is printed."""
    cache = tmp_path / "data" / "escpos-cache"
    cache.mkdir(parents=True)
    version = platform.python_version()  # the name python-escpos gives its pickle
    damaged = cache / f"{version}.capabilities.pickle"
    damaged.write_bytes(b"\x80\x02}q")  # cut short, as by a crash while it was written
    script = textwrap.dedent(
        f"""
        import logging, sys
        from pathlib import Path
        from o2pos.printing.escpos_out import render
        from o2pos.printing.slip import Barcode, Line, Slip
        data = render(Slip("bill", "x", 48, (Line("hi"), Barcode("S-1"))),
                      cache_dir=Path({str(cache)!r}))
        assert data.startswith(b"\\x1b@"), data
        assert logging.getLogger().handlers == [], logging.getLogger().handlers
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(__file__).parents[2])},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert damaged.stat().st_size > 1000  # rebuilt
