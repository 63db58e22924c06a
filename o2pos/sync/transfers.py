"""Transfers sent to this till's location, asked of the central while the clerk waits.

Only the central knows what other tills sent here, so the receiving side of a transfer
needs it online: whatever keeps it from answering (offline, busy, not configured) becomes
``TransfersUnavailable``, whose message is what the screen shows. As ``sync.orders``, the
client has the short ``[central] lookup_timeout_seconds`` of its own, and a refusal (no
such transfer, another till receiving it, received already) is ``TransferRefused``.

Opening a transfer to receive claims it for this till (``claim``, idempotent by the claim
id): a second till of the location is told which till is receiving it. The claim is
settled when this till's ``transfer.received`` reaches the central.
"""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass
from typing import Any

import httpx

from o2pos.config import CentralConfig
from o2pos.core.transfers import Incoming, IncomingLine

from .client import CentralClient, Refused, SyncError

OFFLINE = "Incoming transfers need the central"
LEASE_SECONDS = 300  # counting what arrived takes longer than paying a bill


class TransfersUnavailable(Exception):
    """The central could not be asked: a sentence to show."""


class TransferRefused(Refused):
    """The central answered no: ``code`` not_found, claimed (``details["holder"]``) or
    received."""


@dataclass(frozen=True)
class TransferSummary:
    """A transfer in the list of those sent to a location (its lines come with ``get``)."""

    uuid: str
    number: str
    terminal: str
    from_location: str
    to_location: str
    sent_at: str
    line_count: int
    sent_milli: int
    held_by: str | None


@dataclass(frozen=True)
class TransferClaim:
    claim_id: str
    uuid: str
    expires_at: str


def _incoming(data: dict[str, Any]) -> Incoming:
    claim = data.get("claim") or {}
    return Incoming(
        uuid=data["uuid"],
        number=data["number"],
        sent_by=data["terminal"],
        from_location=data["from_location"],
        to_location=data["to_location"],
        sent_at=data.get("sent_at") or "",
        employee=data.get("employee"),
        status=data.get("status") or "sent",
        received_number=data.get("received_number"),
        received_by=data.get("received_terminal"),
        held_by=claim.get("terminal"),
        lines=tuple(
            IncomingLine(
                line_no=int(line["line_no"]),
                sku=str(line["sku"]),
                name=str(line.get("name") or line["sku"]),
                unit=str(line.get("unit") or "pcs"),
                qty_milli=int(line["qty_milli"]),
                lot_no=line.get("lot_no"),
                expiry=line.get("expiry"),
                serial=line.get("serial"),
            )
            for line in data.get("lines") or []
        ),
    )


def _summary(data: dict[str, Any]) -> TransferSummary:
    claim = data.get("claim") or {}
    return TransferSummary(
        uuid=data["uuid"],
        number=data["number"],
        terminal=data["terminal"],
        from_location=data["from_location"],
        to_location=data["to_location"],
        sent_at=data.get("sent_at") or "",
        line_count=int(data.get("line_count") or 0),
        sent_milli=int(data.get("sent_milli") or 0),
        held_by=claim.get("terminal"),
    )


class StoreTransfers:
    """The store's transfers at the central; ``close`` when done."""

    def __init__(self, client: CentralClient, lease_seconds: int = LEASE_SECONDS) -> None:
        self.client, self.lease = client, lease_seconds

    @classmethod
    def connect(
        cls, central: CentralConfig, *, transport: httpx.BaseTransport | None = None
    ) -> StoreTransfers:
        client = CentralClient.for_lookups_or(
            central, TransfersUnavailable, OFFLINE, transport=transport
        )
        return cls(client)

    def close(self) -> None:
        self.client.close()

    def _call(self, method: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        try:
            result: dict[str, Any] = getattr(self.client, method)(*args, **kwargs)
        except SyncError as exc:
            if exc.kind == "rejected":
                code = str(exc.details.get("error") or "rejected")
                raise TransferRefused(code, exc.message, exc.details) from exc
            raise TransfersUnavailable(
                f"{OFFLINE}, which cannot be reached ({exc.message})"
            ) from exc
        return result

    def incoming(self, location: str, limit: int = 50) -> list[TransferSummary]:
        """What was sent to ``location`` and not received yet, oldest first."""
        answer = self._call("store_transfers", to=location, limit=limit)
        return [_summary(item) for item in answer["transfers"]]

    def get(self, ref: str) -> Incoming:
        """One transfer by its number or uuid; ``TransferRefused`` not_found if none."""
        return _incoming(self._call("store_transfer", ref.strip()))

    def claim(self, incoming: Incoming, claim_id: str | None = None) -> TransferClaim:
        """Hold ``incoming`` for this till to receive; the same ``claim_id`` renews."""
        chosen = claim_id or str(uuidlib.uuid4())
        answer = self._call("claim_transfer", incoming.uuid, chosen, self.lease)
        return TransferClaim(answer["claim_id"], answer["uuid"], answer["expires_at"])

    def release(self, claim: TransferClaim) -> bool:
        return bool(self._call("release_transfer", claim.uuid, claim.claim_id)["released"])
