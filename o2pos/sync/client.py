"""HTTP to the central (httpx), with explicit timeouts and TLS verification always on.

Every failure becomes a ``SyncError`` whose ``kind`` tells the engine what to do:
``offline`` and ``busy`` are retried with backoff; ``unauthorized``, ``fork`` and ``config``
(the till's own [central] settings cannot be used) stop and wait for a person; ``gap``
rewinds; ``too_large`` (413: the batch is more than the central parses) makes the engine send
half as many events; ``rejected`` is a request the central will not take.
"""

from __future__ import annotations

import functools
import ssl
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import httpx
import orjson

from o2pos import __version__
from o2pos.config import CentralConfig


class SyncError(Exception):
    def __init__(
        self,
        kind: str,
        message: str,
        *,
        retry_after: float | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.retry_after = retry_after
        self.details = details or {}

    @property
    def online(self) -> bool:
        """Whether the central answered at all (a 5xx is an answer; a timeout is not)."""
        return self.kind != "offline"


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


@functools.lru_cache(maxsize=8)
def _tls(ca_bundle: str) -> ssl.SSLContext:
    """The TLS context for ``ca_bundle`` (empty: httpx's default certificates), made once
    per process: loading a CA bundle cost ~35 ms, and the screens make a client for
    each lookup a cashier waits for (``benchmarks/orders.py``). Read-only once made, so
    threads share it. A bundle replaced on disk is read again when the till restarts."""
    if ca_bundle:
        return ssl.create_default_context(cafile=ca_bundle)
    return httpx.create_ssl_context()


class Refused(Exception):
    """The central answered a store-wide request with no (a 4xx it explains): ``code``
    says which refusal, ``details`` what goes with it (a holder, a balance left)."""

    def __init__(self, code: str, message: str, details: dict[str, Any]) -> None:
        super().__init__(message)
        self.code, self.message, self.details = code, message, details


class CentralClient:
    def __init__(
        self,
        url: str,
        token: str,
        *,
        ca_bundle: str = "",
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        try:
            verify = _tls(ca_bundle)
        except (OSError, ssl.SSLError) as exc:  # a wrong path must not read as "offline"
            problem = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise SyncError(
                "config",
                f"[central] ca_bundle {ca_bundle} cannot be used ({problem}): fix the path "
                "in the till's config, or leave it empty for the system's certificates",
            ) from exc
        self.url = url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {token}", "User-Agent": f"o2pos/{__version__}"},
            timeout=httpx.Timeout(connect=min(3.0, timeout), read=timeout, write=timeout, pool=3.0),
            verify=verify,
            transport=transport,
        )

    @classmethod
    def for_lookups(
        cls, central: CentralConfig, *, transport: httpx.BaseTransport | None = None
    ) -> CentralClient:
        """A client for a question a counter asks while the cashier waits (an order, a
        voucher, a coupon, dues): ``[central] lookup_timeout_seconds``, not the push's."""
        return cls(
            central.url,
            central.token,
            ca_bundle=central.ca_bundle,
            timeout=central.lookup_timeout_seconds,
            transport=transport,
        )

    @classmethod
    def for_lookups_or(
        cls,
        central: CentralConfig,
        unavailable: type[Exception],
        offline: str,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> CentralClient:
        """``for_lookups``, or ``unavailable`` with ``offline`` and why (no central
        configured, a CA bundle that cannot be read): the sentence the screen shows."""
        if not central.url:
            raise unavailable(f"{offline}: this till has no central configured")
        try:
            return cls.for_lookups(central, transport=transport)
        except SyncError as exc:
            raise unavailable(f"{offline}: {exc.message}") from exc

    def close(self) -> None:
        self._http.close()

    def _request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self._http.request(method, path, **kwargs)
            body_bytes = response.read()
        except httpx.TimeoutException as exc:
            raise SyncError("offline", f"The central did not answer in time ({exc})") from exc
        except httpx.TransportError as exc:
            raise SyncError("offline", f"Cannot reach the central: {exc}") from exc
        try:
            body = response.json() if body_bytes else {}
        except ValueError:
            body = None
        status = response.status_code
        if status == 200:
            if not isinstance(body, dict):
                raise SyncError("busy", "The central's answer was cut short or unreadable")
            return body
        message = (body or {}).get("message") if isinstance(body, dict) else None
        message = message or f"HTTP {status} from the central"
        details = body if isinstance(body, dict) else {}
        if status in (401, 403):
            raise SyncError("unauthorized", message, details=details)
        if status == 409:
            code = details.get("error")
            kind = {"gap": "gap", "fork": "fork"}.get(str(code), "rejected")
            raise SyncError(kind, message, details=details)
        if status == 413:  # the engine sends a smaller batch; one event alone is refused
            raise SyncError("too_large", message, details=details)
        if status in (408, 429) or status >= 500:
            raise SyncError(
                "busy", message, retry_after=_retry_after(response.headers.get("retry-after"))
            )
        raise SyncError("rejected", message, details=details)

    def head(self) -> dict[str, Any]:
        return self._request("GET", "/v1/journal/head")

    def push(self, terminal_id: str, events: bytes) -> dict[str, Any]:
        """Events already encoded as a JSON array (``syncstate.pending_batch``)."""
        head = b'{"terminal_id":' + orjson.dumps(terminal_id) + b',"events":'
        return self._request(
            "POST",
            "/v1/journal",
            content=head + events + b"}",
            headers={"content-type": "application/json"},
        )

    def master(self, since: int, limit: int = 1000) -> dict[str, Any]:
        return self._request("GET", "/v1/master", params={"since": since, "limit": limit})

    def store_orders(self, **query: str | int) -> dict[str, Any]:
        """The store's orders (``number``, ``customer``, ``limit``), see ``sync.orders``."""
        return self._request("GET", "/v1/store/orders", params=query)

    def claim_order(self, uuid: str, claim_id: str, lease_seconds: int) -> dict[str, Any]:
        return self._request(
            "POST",
            f"/v1/store/orders/{uuid}/claim",
            json={"claim_id": claim_id, "lease_seconds": lease_seconds},
        )

    def release_order(self, uuid: str, claim_id: str) -> dict[str, Any]:
        return self._request(
            "POST", f"/v1/store/orders/{uuid}/release", json={"claim_id": claim_id}
        )

    def store_sale(self, number: str) -> dict[str, Any]:
        """A sale of the store with what came back of each line (``sync.returns``)."""
        return self._request("GET", f"/v1/store/sales/{quote(number, safe='')}")

    def claim_return(
        self, uuid: str, claim_id: str, lines: list[dict[str, int]], lease_seconds: int
    ) -> dict[str, Any]:
        return self._request(
            "POST",
            f"/v1/store/sales/{uuid}/return-claim",
            json={"claim_id": claim_id, "lines": lines, "lease_seconds": lease_seconds},
        )

    def release_return(self, uuid: str, claim_id: str) -> dict[str, Any]:
        return self._request("POST", f"/v1/store/sales/{uuid}/release", json={"claim_id": claim_id})

    def store_deliveries(self, **query: str | int) -> dict[str, Any]:
        """The store's bills still to deliver (``location``, ``customer``, ``name``,
        ``limit``), see ``sync.deliveries``."""
        return self._request("GET", "/v1/store/deliveries", params=query)

    def store_delivery(self, number: str) -> dict[str, Any]:
        """A bill of the store marked for delivery, with what each line has still to deliver."""
        return self._request("GET", f"/v1/store/deliveries/{quote(number, safe='')}")

    def voucher(self, code: str) -> dict[str, Any]:
        return self._request("GET", f"/v1/store/vouchers/{code}")

    def reserve_voucher(
        self, code: str, reservation_id: str, amount: int, lease_seconds: int
    ) -> dict[str, Any]:
        return self._request(
            "POST",
            f"/v1/store/vouchers/{code}/reserve",
            json={
                "reservation_id": reservation_id,
                "amount": amount,
                "lease_seconds": lease_seconds,
            },
        )

    def release_voucher(self, code: str, reservation_id: str) -> dict[str, Any]:
        return self._request(
            "POST", f"/v1/store/vouchers/{code}/release", json={"reservation_id": reservation_id}
        )

    def points(self, customer: str) -> dict[str, Any]:
        return self._request("GET", f"/v1/store/points/{customer}")

    def reserve_points(
        self, customer: str, reservation_id: str, points: int, lease_seconds: int
    ) -> dict[str, Any]:
        return self._request(
            "POST",
            f"/v1/store/points/{customer}/reserve",
            json={
                "reservation_id": reservation_id,
                "points": points,
                "lease_seconds": lease_seconds,
            },
        )

    def release_points(self, customer: str, reservation_id: str) -> dict[str, Any]:
        return self._request(
            "POST", f"/v1/store/points/{customer}/release", json={"reservation_id": reservation_id}
        )

    def reserve_coupon(self, code: str, reservation_id: str, lease_seconds: int) -> dict[str, Any]:
        return self._request(
            "POST",
            f"/v1/store/coupons/{code}/reserve",
            json={"reservation_id": reservation_id, "lease_seconds": lease_seconds},
        )

    def release_coupon(self, code: str, reservation_id: str) -> dict[str, Any]:
        return self._request(
            "POST", f"/v1/store/coupons/{code}/release", json={"reservation_id": reservation_id}
        )

    def customer_dues(self, customer: str) -> dict[str, Any]:
        """What a customer owes the store, from every till of it (``sync.dues``)."""
        return self._request("GET", f"/v1/store/customers/{quote(customer, safe='')}/dues")

    def store_transfers(self, **query: str | int) -> dict[str, Any]:
        """The store's transfers to a location (``to``, ``state``, ``limit``)."""
        return self._request("GET", "/v1/store/transfers", params=query)

    def store_transfer(self, ref: str) -> dict[str, Any]:
        """One transfer of the store, by number or uuid, with its lines."""
        return self._request("GET", f"/v1/store/transfers/{quote(ref, safe='')}")

    def claim_transfer(self, uuid: str, claim_id: str, lease_seconds: int) -> dict[str, Any]:
        return self._request(
            "POST",
            f"/v1/store/transfers/{uuid}/claim",
            json={"claim_id": claim_id, "lease_seconds": lease_seconds},
        )

    def release_transfer(self, uuid: str, claim_id: str) -> dict[str, Any]:
        return self._request(
            "POST", f"/v1/store/transfers/{uuid}/release", json={"claim_id": claim_id}
        )
