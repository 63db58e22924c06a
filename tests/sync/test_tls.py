"""TLS to the central: verified always; a private CA is trusted only through [central] ca_bundle."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from o2pos.core import simulate as sim
from o2pos.core import syncstate
from o2pos.sync.client import CentralClient, SyncError
from o2pos.sync.engine import SyncEngine
from tests.conftest import build_store
from tests.sync.conftest import Central, free_port, o2pos_cmd, stop, wait_until_up


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_pki(directory: Path) -> tuple[Path, Path, Path]:
    """A private CA and a certificate it signed for 127.0.0.1."""
    openssl = shutil.which("openssl")
    assert openssl, "./scripts/test relies on Debian's openssl (installed with python3)"
    _openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-subj", "/CN=o2pos test CA", "-keyout", "ca.key", "-out", "ca.pem",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        cwd=directory,
    )  # fmt: skip
    _openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
        "-keyout", "server.key", "-out", "server.csr",
        cwd=directory,
    )  # fmt: skip
    (directory / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\n", encoding="utf-8")
    _openssl(
        "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "2", "-out", "server.pem", "-extfile", "ext.cnf",
        cwd=directory,
    )  # fmt: skip
    return directory / "ca.pem", directory / "server.pem", directory / "server.key"


@pytest.fixture
def tls_central(tmp_path: Path, central: Central) -> Iterator[tuple[str, Path]]:
    """The same central database, also served over HTTPS with a private CA's certificate."""
    pki = tmp_path / "pki"
    pki.mkdir()
    ca, cert, key = make_pki(pki)
    port = free_port()
    proc = subprocess.Popen(
        o2pos_cmd(
            "central", "serve", "--port", str(port), "--db", central.db_url,
            "--tls-cert", str(cert), "--tls-key", str(key),
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"https://127.0.0.1:{port}"
    wait_until_up(url, proc, verify=ssl.create_default_context(cafile=str(ca)))
    yield url, ca
    stop(proc)


def test_a_private_ca_is_refused_until_it_is_named_in_ca_bundle(
    tmp_path: Path, central: Central, tls_central: tuple[str, Path]
) -> None:
    url, ca = tls_central
    name, token = central.register()
    store = build_store(tmp_path / "till", terminal_id=name)
    store.open_register()
    sim.simulate(store.ctx, 3, seed=1)
    lock = tmp_path / "sync.lock"
    untrusting = SyncEngine(store.ctx, CentralClient(url, token), lock_path=lock)
    outcome = untrusting.run_once(pull=False)
    assert outcome.state == "offline"
    assert "CERTIFICATE_VERIFY_FAILED" in outcome.error
    assert syncstate.summary(store.ctx)["acked_seq"] == 0
    trusting = SyncEngine(store.ctx, CentralClient(url, token, ca_bundle=str(ca)), lock_path=lock)
    assert trusting.run_once(pull=False).ok
    assert syncstate.pending_count(store.ctx) == 0
    assert central.stats(name)["events"] == syncstate.summary(store.ctx)["last_seq"]
    untrusting.client.close()
    trusting.client.close()
    store.ctx.db.close()


def test_clients_made_per_lookup_load_each_ca_bundle_once_and_still_verify(
    central: Central, tls_central: tuple[str, Path]
) -> None:
    """The screens make a client for each lookup a cashier waits for: the CA bundle is read
    once (it took ~35 ms of every lookup, ``benchmarks/orders.py``), and trust is kept per
    bundle: a client without it still refuses the private CA."""
    from o2pos.sync import client as client_module

    url, ca = tls_central
    _, token = central.register()
    client_module._tls.cache_clear()
    for _ in range(3):
        trusting = CentralClient(url, token, ca_bundle=str(ca), timeout=5.0)
        assert trusting.head()["acked_seq"] == 0
        trusting.close()
    assert (client_module._tls.cache_info().misses, client_module._tls.cache_info().hits) == (1, 2)
    untrusting = CentralClient(url, token, timeout=5.0)
    with pytest.raises(SyncError, match="CERTIFICATE_VERIFY_FAILED"):
        untrusting.head()
    untrusting.close()
