"""Slips through a real TCP "printer" on 127.0.0.1: queued, printed once, never in the way."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Static

from o2pos.config import Config, PrinterConfig
from o2pos.core import printqueue
from o2pos.core.models import PrintJob, Sale
from o2pos.core.money import format_amount
from o2pos.printing import documents, service
from o2pos.tui.app import TillApp
from tests.conftest import Store
from tests.printing.printer_server import PrinterServer
from tests.tui.test_flows import scan, sign_in, status_text, wait_for

INIT, CUT, KICK = b"\x1b@", b"\x1dV", b"\x1bp"


@pytest.fixture
def printer() -> Iterator[PrinterServer]:
    server = PrinterServer().start()
    yield server
    server.stop()


def network(server: PrinterServer) -> PrinterConfig:
    return PrinterConfig(
        kind="network", host="127.0.0.1", port=server.port, width=48, timeout_seconds=2
    )


def assert_slip(job: bytes, *texts: str) -> None:
    """A whole ESC/POS job: initialised first, cut last, the texts in between."""
    assert job.startswith(INIT)
    assert CUT in job[-8:]
    for text in texts:
        assert text.encode("ascii") in job, text


def test_a_sale_prints_once_with_store_number_total_and_the_drawer(
    store: Store, printer: PrinterServer
) -> None:
    config = network(printer)
    store.open_register()
    result = store.cash_sale("RICE1", "SOAP", tendered=30000)
    number = result.sale.number
    service.queue_document(store.ctx, config, documents.find(store.ctx, number))
    outcome = service.Spooler(store.ctx, config).run_once()
    assert (outcome.printed, outcome.error) == (1, "")
    (job,) = printer.wait_for(1)
    assert_slip(job, "Test Mart", number, format_amount(result.sale.total))
    assert job.index(KICK) < job.index(b"Test Mart")  # cash: the drawer opens first
    # nothing prints twice unless asked
    assert service.Spooler(store.ctx, config).run_once().printed == 0
    assert printer.everything_sent() == [job]


def test_with_the_printer_off_sales_go_on_and_the_slips_print_when_it_is_back(
    store: Store, printer: PrinterServer
) -> None:
    config = network(printer)
    printer.stop()
    store.open_register()
    numbers = []
    for _ in range(2):
        result = store.cash_sale("RICE1")
        numbers.append(result.sale.number)
        service.queue_document(store.ctx, config, documents.find(store.ctx, result.sale.number))
        outcome = service.Spooler(store.ctx, config).run_once()
        assert outcome.error and "127.0.0.1" in outcome.error
    assert Sale.select().where(Sale.status == "completed").count() == 2
    assert printqueue.state()["waiting"] == 2
    printer.start()  # switched on again, same port
    assert service.Spooler(store.ctx, config).run_once().printed == 2
    first, second = printer.wait_for(2)
    assert numbers[0].encode() in first and numbers[1].encode() in second  # in order
    assert printqueue.state() == {"waiting": 0, "error": ""}


def test_a_slip_that_cannot_be_drawn_does_not_block_the_ones_behind_it(
    store: Store, printer: PrinterServer
) -> None:
    config = network(printer)
    store.open_register()
    printqueue.enqueue(store.ctx, "bill", "BROKEN", '{"not": "a slip"}')
    result = store.cash_sale("SOAP")
    service.queue_document(store.ctx, config, documents.find(store.ctx, result.sale.number))
    assert service.Spooler(store.ctx, config).run_once().printed == 1
    (job,) = printer.wait_for(1)
    assert result.sale.number.encode() in job
    broken = PrintJob.get(PrintJob.number == "BROKEN")
    assert broken.status == "unprintable" and broken.last_error


async def test_the_till_prints_in_the_background_and_says_when_the_printer_is_off(
    store: Store, printer: PrinterServer
) -> None:
    app = TillApp(store.ctx, Config(settings=store.ctx.settings, printer=network(printer)))
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await scan(pilot, "RICE1")
        await pilot.press("f10")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        (job,) = printer.wait_for(1)
        assert_slip(job, "Test Mart", "S-T1-000001")
        await wait_for(pilot, lambda: "printer ok" in status_text(app))
        printer.stop()
        await scan(pilot, "SOAP")
        await pilot.press("f10")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        # the sale is done at once; the slip waits
        assert "S-T1-000002 paid" in str(app.screen.query_one("#notice", Static).render())
        await wait_for(pilot, lambda: "PRINTER OFF · 1" in status_text(app))
        printer.start()
        await wait_for(pilot, lambda: len(printer.jobs) == 2, timeout=20)
        assert b"S-T1-000002" in printer.jobs[1]
        # F5: the preview is the printed text, and p prints it again marked as a copy
        await pilot.press("f5")
        await pilot.pause()
        for char in "S-T1-000001":
            await pilot.press(char)
        await pilot.press("enter")
        await pilot.pause()
        preview = str(app.screen.query_one("#slip-text", Static).render())
        assert "S-T1-000001" in preview and "COPY" in preview
        await pilot.press("p")
        copy = printer.wait_for(3)[2]
        assert_slip(copy, "S-T1-000001", "COPY")
        assert KICK not in copy  # a copy does not open the drawer


def test_o2pos_reprint_last_sends_a_copy_to_the_configured_printer(
    tmp_path: Path, printer: PrinterServer
) -> None:
    run = [sys.executable, "-m", "o2pos"]
    toml = tmp_path / "o2pos.toml"
    toml.write_text(
        f'[terminal]\ndata_dir = "{tmp_path}"\n'
        f'[printer]\nkind = "network"\nhost = "127.0.0.1"\nport = {printer.port}\n',
        encoding="utf-8",
    )
    for args in (["init", "--demo"], ["simulate", "--sales", "2"]):
        subprocess.run([*run, *args, "-c", str(toml)], check=True, capture_output=True)
    done = subprocess.run(
        [*run, "reprint", "--last", "-c", str(toml)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "Printed a copy of S-T1-000002" in done.stdout
    (job,) = printer.wait_for(1)
    assert_slip(job, "S-T1-000002", "COPY")
    printer.stop()
    failed = subprocess.run(
        [*run, "reprint", "S-T1-000001", "-c", str(toml)], capture_output=True, text=True
    )
    assert failed.returncode == 1
    assert "waits in the queue" in failed.stderr
