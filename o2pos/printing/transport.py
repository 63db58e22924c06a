"""Deliver a rendered job to the printer: one job, one write, bounded in time.

``send`` gets bytes that ``escpos_out.render`` already built, so it only moves them. Every
failure becomes a ``PrinterError`` whose message a cashier or manager can act on (the
spooler shows it and keeps the job for a retry), and nothing here can block the print worker
for longer than the configured timeout per step: a printer that is off, jammed or out of
paper makes ``send`` fail, never hang.

Network printers get a plain socket rather than ``escpos.printer.Network``: the bytes are
already built, so escpos would add only its ~175 ms import and its own error wording, while
we need to tell "refused", "no answer" and "stopped taking data" apart and to close the
connection so the printer keeps the whole job. USB and serial go through python-escpos
(``Usb``/``Serial``) because it knows how to claim those devices; both need optional packages
(pyusb, pyserial) that are reported as missing in plain words.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import socket
import threading
import time
from pathlib import Path
from typing import Any, Protocol

DEFAULT_TIMEOUT = 5.0
# After our half of the connection is closed, how long to wait for the printer to close its
# half. Reading what it sent (status bytes) before closing matters: closing a socket with
# unread data makes the kernel send a reset, and a reset can make the printer drop the tail
# of a job it has not printed yet.
_DRAIN_SECONDS = 0.5


class PrinterError(Exception):
    """The printer did not take the job; the message says why in words for the till."""


class PrinterCutOff(PrinterError):
    """The printer failed once the job was under way: it may have printed part of it, and
    opened the drawer (its kick comes first). Sent again, it is a copy without the kick."""


class PrinterTarget(Protocol):
    """What ``send`` reads of the config (``o2pos.config.PrinterConfig`` has all of it).

    ``timeout_seconds`` is read too when present. Read-only properties, so a frozen
    dataclass fits.
    """

    @property
    def kind(self) -> str: ...
    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def device(self) -> str: ...


def send(data: bytes, config: PrinterTarget) -> None:
    """Write ``data`` (one whole job) to the printer described by ``config``.

    ``config.kind``: ``none`` drops the job; ``dummy`` appends it to ``config.device`` when
    set (a log of what would have printed) and drops it otherwise; ``file`` writes to a file
    or device node such as ``/dev/usb/lp0``; ``network`` to ``host:port`` (raw TCP, 9100);
    ``usb`` to ``device`` given as ``"0xVVVV:0xPPPP"``; ``serial`` to a port such as
    ``/dev/ttyUSB0`` at 9600 baud. ``config.timeout_seconds`` (5 s when absent) bounds each
    step. Raises ``PrinterError``.
    """
    timeout = float(getattr(config, "timeout_seconds", DEFAULT_TIMEOUT) or DEFAULT_TIMEOUT)
    kind = config.kind
    if kind == "none":
        return
    if kind == "dummy":
        if config.device:
            _write_file(data, config.device, timeout, create=True)
        return
    if kind == "file":
        _write_file(data, config.device, timeout, create=not config.device.startswith("/dev/"))
    elif kind == "network":
        _send_network(data, config.host, int(config.port), timeout)
    elif kind == "usb":
        _send_usb(data, config.device, timeout)
    elif kind == "serial":
        _send_serial(data, config.device, timeout)
    else:
        raise PrinterError(
            f"Printer kind {kind!r} is not known (use none, dummy, file, network, usb or serial)"
        )


# --- files and device nodes -------------------------------------------------------------


def _write_file(data: bytes, path: str, timeout: float, *, create: bool) -> None:
    """Append ``data`` to ``path``, giving up when a device takes nothing for ``timeout`` s.

    A device node (``/dev/usb/lp0``) blocks a plain write for as long as the printer is out
    of paper or has its cover open, so the file is opened non-blocking and each wait for
    room is bounded with ``select``. Regular files never block. Paths under ``/dev/`` are
    never created: an unplugged printer must be an error, not a new file nobody reads.
    """
    if not path:
        raise PrinterError("No printer device is set ([printer] device)")
    flags = os.O_WRONLY | os.O_APPEND | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    if create:
        flags |= os.O_CREAT
    try:
        fd = os.open(path, flags, 0o644)
    except FileNotFoundError as exc:
        if create:
            raise PrinterError(
                f"Printer file {path} cannot be created: its folder is missing"
            ) from exc
        raise PrinterError(f"Printer device {path} not found (is the printer plugged in?)") from exc
    except PermissionError as exc:
        raise PrinterError(
            f"This till may not write to printer device {path} (permission denied)"
        ) from exc
    except OSError as exc:
        if exc.errno == errno.ENXIO:
            raise PrinterError(f"Printer device {path} is not connected") from exc
        raise PrinterError(f"Printer device {path} cannot be opened ({_reason(exc)})") from exc
    try:
        view = memoryview(data)
        deadline = time.monotonic() + timeout
        while view:
            # once any byte went out, a failure leaves part of the slip printed
            failed = PrinterCutOff if len(view) < len(data) else PrinterError
            try:
                written = os.write(fd, view)
            except BlockingIOError:
                written = 0
            except OSError as exc:
                raise failed(
                    f"Printer device {path} failed while printing ({_reason(exc)})"
                ) from exc
            if written:
                view = view[written:]
                deadline = time.monotonic() + timeout  # progress: the printer is alive
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise failed(
                    f"Printer device {path} took nothing for {timeout:g} s "
                    "(out of paper, cover open or switched off?)"
                )
            select.select([], [fd], [], remaining)
    finally:
        os.close(fd)


# --- network ------------------------------------------------------------------------------


def _send_network(data: bytes, host: str, port: int, timeout: float) -> None:
    """One TCP connection per job: connect, send everything, close our half, let it finish."""
    where = f"{host}:{port}"
    if not host:
        raise PrinterError("No printer address is set ([printer] host)")
    sock = _connect(host, port, timeout)
    with sock:
        try:
            # since Python 3.5 the timeout bounds the whole sendall, not each chunk
            sock.settimeout(timeout)
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        except TimeoutError as exc:  # connected: how much it took cannot be known
            raise PrinterCutOff(
                f"Printer {where} did not take the whole slip within {timeout:g} s "
                "(out of paper, cover open or jammed?)"
            ) from exc
        except OSError as exc:
            raise PrinterCutOff(
                f"Printer {where} dropped the connection while printing ({_reason(exc)})"
            ) from exc
        _drain(sock, min(timeout, _DRAIN_SECONDS))


def _connect(host: str, port: int, timeout: float) -> socket.socket:
    """``socket.create_connection`` with the name lookup bounded too.

    ``create_connection``'s timeout covers only the connect: with a printer set by name and
    the name server down, ``getaddrinfo`` alone can block for tens of seconds.
    """
    where = f"{host}:{port}"
    deadline = time.monotonic() + timeout
    addresses = _resolve(host, port, timeout)
    last: OSError | None = None
    for family, kind, proto, _, address in addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(remaining)
            sock.connect(address)
            return sock
        except OSError as exc:
            sock.close()
            last = exc
    if isinstance(last, ConnectionRefusedError):
        raise PrinterError(f"Printer {where} does not answer (connection refused)") from last
    if last is None or isinstance(last, TimeoutError):
        raise PrinterError(
            f"Printer {where} does not answer (no reply within {timeout:g} s)"
        ) from last
    raise PrinterError(f"Printer {where} cannot be reached ({_reason(last)})") from last


def _resolve(host: str, port: int, timeout: float) -> list[Any]:
    """``getaddrinfo`` in a helper thread, waited for at most ``timeout`` seconds."""
    found: list[Any] = []
    failed: list[OSError] = []

    def lookup() -> None:
        try:
            found.extend(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except OSError as exc:
            failed.append(exc)

    worker = threading.Thread(target=lookup, name="printer-name-lookup", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise PrinterError(
            f"Printer address {host} cannot be looked up (no answer from the name server "
            f"within {timeout:g} s)"
        )
    if failed or not found:
        raise PrinterError(f"Printer address {host} is not known on this network") from (
            failed[0] if failed else None
        )
    return found


def _drain(sock: socket.socket, seconds: float) -> None:
    """Read until the printer closes, or for ``seconds``: then our close is a clean FIN."""
    deadline = time.monotonic() + seconds
    try:
        while (remaining := deadline - time.monotonic()) > 0:
            sock.settimeout(remaining)
            if not sock.recv(4096):
                return
    except OSError:
        # the job is already with the printer's TCP stack; a slow or rude close is not a
        # failure to print
        return


# --- usb and serial (python-escpos) -------------------------------------------------------


def _usb_ids(device: str) -> tuple[int, int]:
    try:
        vendor, product = (int(part, 16) for part in device.split(":"))
    except ValueError as exc:
        raise PrinterError(
            f"Printer device {device!r} is not a USB id like 0x04b8:0x0202 ([printer] device)"
        ) from exc
    return vendor, product


def _send_usb(data: bytes, device: str, timeout: float) -> None:
    """Write through ``escpos.printer.Usb`` with a write timeout (escpos's default: none)."""
    vendor, product = _usb_ids(device)
    from escpos.exceptions import DeviceNotFoundError
    from escpos.printer import Usb
    from escpos.printer.usb import is_usable

    if not is_usable():
        # checked before Usb() exists: its __del__ would raise the same complaint again
        raise PrinterError("This till cannot use USB printers: the pyusb package is not installed")
    printer = Usb(vendor, product, timeout=int(timeout * 1000))  # pyusb counts milliseconds
    opened = False
    try:
        printer.open()
        opened = True
        printer._raw(data)
    except DeviceNotFoundError as exc:
        raise PrinterError(
            f"Printer USB device {device} not found (plugged in, switched on, allowed to use?)"
        ) from exc
    except Exception as exc:  # pyusb raises USBError, USBTimeoutError, NoBackendError, ...
        failed = PrinterCutOff if opened else PrinterError  # writing: part may be printed
        raise failed(f"Printer USB device {device} failed ({_reason(exc)})") from exc
    finally:
        with contextlib.suppress(Exception):  # a vanished device must not hide the real error
            printer.close()


def _send_serial(data: bytes, device: str, timeout: float) -> None:
    """Write through ``escpos.printer.Serial`` with a write timeout (pyserial has none by default).

    A port that stops taking data (flow control held by a switched-off printer, a USB serial
    adapter pulled out) then fails after ``timeout`` instead of blocking the print worker.
    escpos's ``close()`` drains the port first, which lasts as long as the job takes to go
    out at the baud rate (about 1 s per kB at 9600 baud).
    """
    if not device:
        raise PrinterError("No printer device is set ([printer] device)")
    from escpos.exceptions import DeviceNotFoundError
    from escpos.printer import Serial
    from escpos.printer.serial import is_usable

    if not is_usable():
        raise PrinterError(
            "This till cannot use serial printers: the pyserial package is not installed"
        )
    printer = Serial(devfile=device, timeout=timeout)
    opened = False
    try:
        printer.open()
        printer.device.write_timeout = timeout
        opened = True
        printer._raw(data)
    except DeviceNotFoundError as exc:
        if not Path(device).exists():
            raise PrinterError(f"Printer device {device} not found") from exc
        raise PrinterError(f"Printer device {device} cannot be opened ({_reason(exc)})") from exc
    except Exception as exc:  # serial.SerialTimeoutException, SerialException, OSError
        failed = PrinterCutOff if opened else PrinterError  # writing: part may be printed
        name = type(exc).__name__
        if "Timeout" in name:
            raise failed(
                f"Printer {device} took nothing for {timeout:g} s (switched off or out of paper?)"
            ) from exc
        raise failed(f"Printer {device} failed while printing ({_reason(exc)})") from exc
    finally:
        with contextlib.suppress(Exception):
            printer.close()


def _reason(exc: BaseException) -> str:
    """A short lower-case reason: the OS's words when there are some."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[:1].lower() + exc.strerror[1:]
    text = str(exc).strip().splitlines()
    return text[-1] if text else type(exc).__name__
