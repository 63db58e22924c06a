"""Sending a job: real sockets, files and FIFOs; every failure is a PrinterError, quickly."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest

from o2pos.config import PrinterConfig
from o2pos.printing.transport import PrinterCutOff, PrinterError, send
from tests.printing.printer_server import PrinterServer

JOB = b"\x1b@\x1bp\x0022hello\n\x1dV\x00"


@pytest.fixture
def server() -> Iterator[PrinterServer]:
    printer = PrinterServer().start()
    yield printer
    printer.stop()


def network(port: int, timeout: int = 5) -> PrinterConfig:
    return PrinterConfig(kind="network", host="127.0.0.1", port=port, timeout_seconds=timeout)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_network_printer_gets_exactly_the_bytes_one_connection_per_job(
    server: PrinterServer,
) -> None:
    big = bytes(range(256)) * 4096  # 1 MiB: many TCP segments, still one job
    send(JOB, network(server.port))
    send(big, network(server.port))
    assert server.wait_for(2) == [JOB, big]


def test_a_config_without_timeout_seconds_uses_five_seconds(server: PrinterServer) -> None:
    config = SimpleNamespace(kind="network", host="127.0.0.1", port=server.port, device="")
    send(JOB, config)
    assert server.wait_for(1) == [JOB]


def test_nobody_listening_fails_fast_and_says_so() -> None:
    port = free_port()
    started = time.monotonic()
    with pytest.raises(PrinterError) as caught:
        send(JOB, network(port))
    assert time.monotonic() - started < 2
    assert str(caught.value) == f"Printer 127.0.0.1:{port} does not answer (connection refused)"


def test_a_printer_that_never_answers_the_connect_times_out() -> None:
    # a listener whose accept queue is full drops further SYNs, as a switched-off host does
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        held: list[socket.socket] = []
        try:
            for _ in range(8):
                try:
                    held.append(socket.create_connection(("127.0.0.1", port), timeout=0.3))
                except TimeoutError:
                    break
            else:
                pytest.skip("this kernel never fills the accept queue")
            started = time.monotonic()
            with pytest.raises(PrinterError, match=r"does not answer \(no reply within 1 s\)"):
                send(JOB, network(port, timeout=1))
            assert time.monotonic() - started < 2
        finally:
            for sock in held:
                sock.close()


def test_a_printer_that_accepts_but_never_reads_does_not_hang_the_sender() -> None:
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        started = time.monotonic()
        # connected and part sent: what it printed cannot be known (sent again as a copy)
        with pytest.raises(PrinterCutOff, match="did not take the whole slip within 1 s"):
            send(b"x" * (64 * 1024 * 1024), network(port, timeout=1))
        assert time.monotonic() - started < 3


def test_an_unknown_host_name_is_a_printer_error() -> None:
    config = replace(network(9100, timeout=2), host="no-such-printer.invalid")
    started = time.monotonic()
    with pytest.raises(PrinterError, match=r"Printer address no-such-printer\.invalid"):
        send(JOB, config)
    assert time.monotonic() - started < 3  # a lookup that hangs is cut at the timeout


def test_file_kind_appends_each_job(tmp_path: Path) -> None:
    target = tmp_path / "printer.bin"
    config = PrinterConfig(kind="file", device=str(target))
    send(JOB, config)
    send(b"second", config)
    assert target.read_bytes() == JOB + b"second"


def test_a_missing_device_node_is_reported_and_not_created() -> None:
    device = "/dev/o2pos-test-no-such-lp0"
    with pytest.raises(PrinterError, match=f"Printer device {device} not found"):
        send(JOB, PrinterConfig(kind="file", device=device))
    assert not os.path.exists(device)


def test_a_device_nobody_reads_is_not_connected(tmp_path: Path) -> None:
    fifo = tmp_path / "lp0"
    os.mkfifo(fifo)
    with pytest.raises(PrinterError, match="is not connected"):
        send(JOB, PrinterConfig(kind="file", device=str(fifo)))


def test_a_device_that_stops_taking_data_times_out(tmp_path: Path) -> None:
    # a FIFO with a reader that never reads: the writer fills the pipe and would block for
    # ever, as a write to /dev/usb/lp0 does while the printer is out of paper
    fifo = tmp_path / "lp0"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        started = time.monotonic()
        with pytest.raises(PrinterError, match="took nothing for 1 s"):
            send(
                b"x" * (4 * 1024 * 1024),
                PrinterConfig(kind="file", device=str(fifo), timeout_seconds=1),
            )
        assert time.monotonic() - started < 3
    finally:
        os.close(reader)


def test_dummy_appends_to_its_device_file_or_drops_the_job(tmp_path: Path) -> None:
    log = tmp_path / "printed.bin"
    send(JOB, PrinterConfig(kind="dummy", device=str(log)))
    send(JOB, PrinterConfig(kind="dummy", device=str(log)))
    assert log.read_bytes() == JOB + JOB
    send(JOB, PrinterConfig(kind="dummy"))  # nowhere to write: dropped, no error
    send(JOB, PrinterConfig(kind="none"))


def test_a_folder_that_does_not_exist_is_a_printer_error(tmp_path: Path) -> None:
    with pytest.raises(PrinterError, match="folder is missing"):
        send(JOB, PrinterConfig(kind="dummy", device=str(tmp_path / "nope" / "log.bin")))


def test_a_usb_id_must_look_like_one() -> None:
    with pytest.raises(PrinterError, match="is not a USB id like 0x04b8:0x0202"):
        send(JOB, PrinterConfig(kind="usb", device="/dev/usb/lp0"))


def test_usb_and_serial_without_their_packages_say_what_is_missing() -> None:
    from escpos.printer.serial import is_usable as serial_usable
    from escpos.printer.usb import is_usable as usb_usable

    if usb_usable():
        with pytest.raises(PrinterError, match="Printer USB device 0x0000:0x0001"):
            send(JOB, PrinterConfig(kind="usb", device="0x0000:0x0001", timeout_seconds=1))
    else:
        with pytest.raises(PrinterError, match="pyusb package is not installed"):
            send(JOB, PrinterConfig(kind="usb", device="0x04b8:0x0202"))
    if serial_usable():
        with pytest.raises(PrinterError, match="not found"):
            send(JOB, PrinterConfig(kind="serial", device="/dev/o2pos-test-no-such-tty"))
    else:
        with pytest.raises(PrinterError, match="pyserial package is not installed"):
            send(JOB, PrinterConfig(kind="serial", device="/dev/ttyUSB0"))
