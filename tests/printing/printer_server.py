"""A stand-in for a network receipt printer: a TCP listener on 127.0.0.1 that keeps the jobs.

Each connection is one job (the adapter sends a job in one connection), so ``jobs`` is the
list of what a real printer would have printed. It can be stopped and started again on the
same port, as a printer is switched off and on.
"""

from __future__ import annotations

import socket
import threading
import time


class PrinterServer:
    def __init__(self, port: int = 0) -> None:
        self.port = port
        self.jobs: list[bytes] = []
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> PrinterServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        sock.listen(8)
        sock.settimeout(0.2)
        self.port = sock.getsockname()[1]
        self._sock = sock
        self._thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
        self._thread.start()
        return self

    def _serve(self, sock: socket.socket) -> None:
        while self._sock is sock:
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                chunks = []
                try:
                    while data := conn.recv(65536):
                        chunks.append(data)
                except OSError:
                    pass
            with self._lock:
                self.jobs.append(b"".join(chunks))

    def stop(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def everything_sent(self, timeout: float = 10.0) -> list[bytes]:
        """The jobs of every connection made before this call, and nothing still on its way.

        One job is served at a time, in the order the connections were made: a marker job
        sent now comes after every earlier one, so once it is here, so are they. This is
        how a test says "nothing more was printed" without guessing how long to wait.
        """
        marker = f"everything-sent-{id(self)}-{time.monotonic_ns()}".encode()
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as probe:
            probe.sendall(marker)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if marker in self.jobs:
                    self.jobs.remove(marker)
                    return list(self.jobs)
            time.sleep(0.05)
        raise AssertionError(f"the marker job never arrived; jobs: {len(self.jobs)}")

    def wait_for(self, count: int, timeout: float = 10.0) -> list[bytes]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.jobs) >= count:
                    return list(self.jobs)
            time.sleep(0.05)
        raise AssertionError(f"the printer got {len(self.jobs)} jobs, expected {count}")
