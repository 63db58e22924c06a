"""Employees' PIN verifiers wrapped for one terminal on their way from the central.

A till signs employees in offline, so it must hold a verifier (the scrypt hash) of each
PIN, and a short PIN's hash falls to a brute force in minutes. The central therefore never
serves a verifier in the clear: it seals each with AES-256-GCM under a key that belongs to
one terminal, is printed once by ``o2pos central add-terminal`` beside the token and is
never served by the API. The terminal name and the user code are bound in as associated
data, so a sealed verifier cannot be replayed for another employee or another till.

What this protects: a leaked token, or a sniffed or logged ``/v1/master`` answer, yields no
verifier to attack. What it does not: the central's database (it keeps every key, to
seal), and a till's disk (its config holds the key, its database the unwrapped hashes).

``cryptography`` comes with the central and sync extras; it is imported only to seal or
open, so the rest of the core never needs it.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from typing import Any

from o2pos.core.errors import ValidationError

KEY_PREFIX = "o2k_"
KEY_PATTERN = re.compile(r"^o2k_[A-Za-z0-9_-]{43}$")
_VERSION = "v1"


def new_key() -> str:
    """A fresh 256-bit key as text fit for a TOML string (``o2k_`` + unpadded base64url)."""
    return KEY_PREFIX + base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")


def _key_bytes(key: str) -> bytes:
    if not KEY_PATTERN.match(key):
        raise ValidationError(
            "A terminal key is o2k_ and 43 letters, digits, '-' or '_' "
            "(as printed by o2pos central add-terminal)"
        )
    return base64.urlsafe_b64decode(key[len(KEY_PREFIX) :] + "=")


def _associated(terminal: str, code: str) -> bytes:
    return f"o2pos-pin-{_VERSION}|{terminal}|{code}".encode()


def wrap(key: str, terminal: str, code: str, pin_hash: str) -> str:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(12)
    sealed = AESGCM(_key_bytes(key)).encrypt(nonce, pin_hash.encode(), _associated(terminal, code))
    return f"{_VERSION}.{base64.b64encode(nonce + sealed).decode()}"


def unwrap(key: str, terminal: str, code: str, wrapped: str) -> str:
    """The verifier inside ``wrapped``; a wrong key or an altered text is a clear refusal."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    version, _, text = wrapped.partition(".")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if version != _VERSION or len(raw) < 12 + 16:
        raise ValidationError(f"employee {code}: the wrapped PIN verifier is unreadable")
    try:
        plain = AESGCM(_key_bytes(key)).decrypt(raw[:12], raw[12:], _associated(terminal, code))
    except InvalidTag:
        raise ValidationError(
            f"employee {code}: the PIN verifier does not open with this till's [central] key "
            "(a key from another terminal, or an older registration): register the terminal "
            "again and put the new token and key in its config"
        ) from None
    return plain.decode()


def unwrap_records(records: list[Any], key: str, terminal: str) -> list[Any]:
    """A pulled page with each employee's verifier opened, ready for ``masterdata.apply``.

    An employee record must come wrapped, except one retired from this till's store (no
    verifier at all, inactive): a verifier in the clear is refused, never stored.
    """
    opened: list[Any] = []
    for record in records:
        if not isinstance(record, dict) or record.get("kind") != "employee":
            opened.append(record)
            continue
        code, data = record.get("key"), record.get("data")
        if not isinstance(code, str) or not isinstance(data, dict):
            opened.append(record)  # masterdata.check_record names what is wrong
            continue
        wrapped = data.get("pin_wrapped")
        if wrapped is None:
            if data.get("pin_hash") != "" or data.get("active") is not False:
                raise ValidationError(
                    f"employee {code}: a PIN verifier came unwrapped; this till takes only "
                    "wrapped ones"
                )
            opened.append(record)
            continue
        if not key:
            raise ValidationError(
                "The central sends PIN verifiers wrapped with this terminal's key: put the "
                "key printed by `o2pos central add-terminal` in [central] key"
            )
        if not isinstance(wrapped, str):
            raise ValidationError(f"employee {code}: the wrapped PIN verifier is unreadable")
        fields = {k: v for k, v in data.items() if k != "pin_wrapped"}
        fields["pin_hash"] = unwrap(key, terminal, code, wrapped)
        opened.append({**record, "data": fields})
    return opened
