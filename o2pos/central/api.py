"""The central's HTTP API (FastAPI). Every route is described in ``docs/protocol.md``.

Refusals are always 4xx with ``{"error": code, "message": sentence}``: a malformed or
oversized request, a float where money belongs, an unknown event type, a fork or a gap.
A busy database answers 503 with Retry-After so the till backs off and tries again; none
of them changes anything.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

import msgspec
from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from peewee import DatabaseError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from o2pos import __version__

from . import coupons, deliveries, master, points, transfers, vouchers
from .dues import customer_dues
from .ingest import IngestError, ingest
from .limits import (
    MAX_BODY,
    PAYLOADS_CHECKED,
    BodyFacts,
    TooMuch,
    check_body,
    payloads_within_limits,
)
from .models import Terminal, central_db
from .orders import MAX_LIST, OrderRefusal, claim_order, find_orders, release_order
from .returns_remote import claim_return, find_sale, release_return
from .schemas import (
    ClaimIn,
    ClaimOut,
    CouponReleaseIn,
    CouponReserveIn,
    CouponReserveOut,
    DeliveriesOut,
    DeliveryBillOut,
    DuesOut,
    ErrorOut,
    HeadOut,
    HealthOut,
    MasterOut,
    OrdersOut,
    PointsOut,
    PointsReserveIn,
    PointsReserveOut,
    PushIn,
    PushOut,
    ReleaseIn,
    ReleaseOut,
    ReserveIn,
    ReserveOut,
    ReturnClaimIn,
    ReturnClaimOut,
    StoreSaleOut,
    TransferClaimIn,
    TransferClaimOut,
    TransferOut,
    TransfersOut,
    VoucherOut,
    VoucherReleaseIn,
)
from .store import Checkpointer, find_by_token

MAX_VERSION = 2**63 - 1  # master-data versions are BIGINT
PRINTABLE = r"^[^\x00-\x1f]+$"  # stored text never holds NUL (PostgreSQL refuses it)


class _Float(Exception):
    """Raised by the parser at a body's first float: the body is parsed again, keeping it,
    so that validation names where it is."""


_WITHOUT_FLOATS = msgspec.json.Decoder(float_hook=lambda text: _raise_float(text))
_WITH_FLOATS = msgspec.json.Decoder()


def _raise_float(text: str) -> Any:
    raise _Float(text)


class JsonRequest(Request):
    """A request whose JSON body is parsed by msgspec rather than ``json``.

    A push of 200 sales is half a megabyte: ``json.loads`` took ~7 ms of it and the float
    walk of every payload ~5 ms more; msgspec parses it in ~2 ms and, with a float hook,
    tells at no cost whether any float is there at all (``limits.PAYLOADS_CHECKED``).
    Whole numbers of any size stay whole, so "out of range" is still said as such. A body
    msgspec cannot read goes to ``json.loads``, so bad input is answered as it always was.
    """

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            facts = self.scope.get("o2pos.body_facts")
            try:
                parsed = _WITHOUT_FLOATS.decode(body)
                PAYLOADS_CHECKED.set(
                    isinstance(facts, BodyFacts) and payloads_within_limits(body, facts)
                )
            except _Float:
                parsed = _WITH_FLOATS.decode(body)
                PAYLOADS_CHECKED.set(False)
            except msgspec.DecodeError:
                # what the standard parser makes of it, as before: its words for bad JSON (a
                # 422), a 400 for bytes that are not UTF-8, and text with a lone surrogate
                # parsed, to be refused by name when it is hashed
                PAYLOADS_CHECKED.set(False)
                parsed = json.loads(body)
            self._json = parsed
        return self._json


class JsonRoute(APIRoute):
    """Routes that read their body through ``JsonRequest``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def parsed_by_msgspec(request: Request) -> Response:
            return await handler(JsonRequest(request.scope, request.receive))

        return parsed_by_msgspec


class AuthError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


bearer = HTTPBearer(auto_error=False, description="The terminal's token from add-terminal")


def terminal_auth(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Terminal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthError(401, "no_token", "This request needs the terminal's bearer token")
    terminal = find_by_token(credentials.credentials)
    if terminal is None:
        raise AuthError(401, "bad_token", "The token is not known to this central")
    if terminal.revoked:
        raise AuthError(
            401,
            "revoked",
            f"Terminal {terminal.name} was revoked; register it again for a new token",
        )
    return terminal


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (401, 403, 409, 413, 422, 503)
}
ORDER_ERRORS: dict[int | str, dict[str, Any]] = {**ERRORS, 404: {"model": ErrorOut}}
VOUCHER_CODE = Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
CUSTOMER_UUID = Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
ORDER_UUID = Path(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _error(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    headers = {"Retry-After": "1"} if status == 503 else None
    body = {"error": code, "message": message, **extra}
    return JSONResponse(jsonable_encoder(body), status_code=status, headers=headers)


def create_app(*, bench: bool = False, worker: int | None = None) -> FastAPI:
    """The API on whatever database ``store.open_central`` bound.

    ``bench`` adds a do-nothing endpoint for ``benchmarks/sync.py``'s floor; never in production.
    ``worker``: this process's index among ``serve --workers``, answered in an
    ``X-O2pos-Worker`` header so an operator (and the tests) can tell which worker answered.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        checkpointer = Checkpointer.start(central_db.obj)
        try:
            yield
        finally:
            if checkpointer is not None:
                checkpointer.stop()

    app = FastAPI(
        title="o2pos central",
        version=__version__,
        description="Journal ingest and master data for o2pos tills (see docs/protocol.md).",
        lifespan=lifespan,
    )
    app.router.route_class = JsonRoute

    @app.middleware("http")
    async def limit_body(request: Request, call_next: Any) -> Any:
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            return _error(413, "too_large", f"A request body is at most {MAX_BODY} bytes")
        if length is None and "transfer-encoding" in request.headers:
            # a chunked body would be read whole, however large: the limit needs the length
            return _error(411, "length_required", "A request body needs a Content-Length header")
        if length is not None and int(length) > 0:
            try:  # before the route parses it: what it would cost is bounded first
                # the route reads the same bytes, not a copy, and what was found of them
                request.scope["o2pos.body_facts"] = check_body(await request.body())
            except TooMuch as exc:
                return _error(exc.status, exc.code, exc.message)
            except ClientDisconnect:  # cut off for stalling (serving.py): no one to answer
                return Response(status_code=400)
        response = await call_next(request)
        if worker is not None:
            response.headers["X-O2pos-Worker"] = str(worker)
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = exc.errors()
        first = problems[0] if problems else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        message = f"{where}: {first.get('msg', 'invalid')}" if where else "invalid request"
        why = (first.get("ctx") or {}).get("error")
        if first.get("type") == "json_invalid" and isinstance(why, str):
            message += f" ({why})"  # the parser's own words: "Invalid UTF-8 encoded string"
        details = [{"loc": p.get("loc"), "msg": p.get("msg")} for p in problems[:20]]
        return _error(422, "invalid_request", message, details=details)

    @app.exception_handler(IngestError)
    async def refused(request: Request, exc: IngestError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status)

    @app.exception_handler(OrderRefusal)
    async def order_refused(request: Request, exc: OrderRefusal) -> JSONResponse:
        return _error(exc.status, exc.code, exc.message, **exc.extra)

    @app.exception_handler(AuthError)
    async def unauthorized(request: Request, exc: AuthError) -> JSONResponse:
        return _error(exc.status, exc.code, exc.message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, "http_error", str(exc.detail))

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    async def busy(request: Request, exc: DatabaseError) -> JSONResponse:
        return _error(503, "busy", "The central's database is busy; try again shortly")

    @app.get("/v1/health", response_model=HealthOut, tags=["health"])
    def health() -> dict[str, str]:
        """Liveness, without authentication (a till's network probe)."""
        return {"status": "ok", "version": __version__}

    @app.get("/v1/journal/head", response_model=HeadOut, responses=ERRORS, tags=["journal"])
    def head(terminal: Annotated[Terminal, Depends(terminal_auth)]) -> dict[str, Any]:
        """What the central holds of this terminal's journal: its high-water seq and hash."""
        return {
            "terminal_id": terminal.name,
            "acked_seq": terminal.high_water_seq,
            "acked_hash": terminal.high_water_hash,
        }

    @app.post("/v1/journal", response_model=PushOut, responses=ERRORS, tags=["journal"])
    def push(
        batch: PushIn, terminal: Annotated[Terminal, Depends(terminal_auth)]
    ) -> dict[str, Any]:
        """Store a contiguous batch that continues the high-water mark; idempotent."""
        if batch.terminal_id != terminal.name:
            raise AuthError(
                403,
                "wrong_terminal",
                f"This token belongs to {terminal.name}, not {batch.terminal_id}",
            )
        # each model's own field dict (extra keys are forbidden): not model_dump, which
        # copies every payload, nor dict(), a Python loop over each event's fields
        events = [event.__dict__ for event in batch.events]
        return ingest(terminal.name, events).body()

    @app.get("/v1/master", response_model=MasterOut, responses=ERRORS, tags=["master data"])
    def master_data(
        terminal: Annotated[Terminal, Depends(terminal_auth)],
        since: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=master.MAX_PAGE)] = 1000,
    ) -> dict[str, Any]:
        """Master-data records changed after version ``since``, oldest first.

        Employees of this terminal's store only, their PIN verifiers sealed with its key.
        """
        if terminal.wrap_key is None:  # registered before keys: nothing to seal verifiers with
            raise AuthError(
                403,
                "no_key",
                f"Terminal {terminal.name} has no key for PIN verifiers: register it again "
                f"(o2pos central add-terminal {terminal.name}) and put the new token and key "
                "in its config",
            )
        if since > MAX_VERSION:  # beyond a BIGINT: SQLite cannot even compare it (a 500)
            where = ("query", "since")
            raise RequestValidationError(
                [{"loc": where, "msg": f"Input should be at most {MAX_VERSION}", "input": since}]
            )
        records, version, more, reset = master.changes(since, limit, terminal)
        return {"version": version, "more": more, "reset": reset, "records": records}

    @app.get("/v1/store/orders", response_model=OrdersOut, responses=ORDER_ERRORS, tags=["orders"])
    def store_orders(
        terminal: Annotated[Terminal, Depends(terminal_auth)],
        number: Annotated[str | None, Query(min_length=1, max_length=40, pattern=PRINTABLE)] = None,
        customer: Annotated[
            str | None, Query(min_length=1, max_length=36, pattern=PRINTABLE)
        ] = None,
        name: Annotated[str | None, Query(min_length=1, max_length=60, pattern=PRINTABLE)] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIST)] = 30,
    ) -> dict[str, Any]:
        """Orders of this terminal's store made at any of its tills: one by ``number``
        (404 when the store has none), else the open ones, of one ``customer`` (uuid) or
        of the customers whose ``name`` holds the text given (any case), oldest first."""
        found = find_orders(
            terminal.store, number=number, customer=customer, name=name, limit=limit
        )
        return {"orders": found}

    @app.post(
        "/v1/store/orders/{uuid}/claim",
        response_model=ClaimOut,
        responses=ORDER_ERRORS,
        tags=["orders"],
    )
    def claim(
        body: ClaimIn,
        terminal: Annotated[Terminal, Depends(terminal_auth)],
        uuid: Annotated[str, ORDER_UUID],
    ) -> dict[str, Any]:
        """Hold an open order for this till while it takes payment (a lease); idempotent
        by ``claim_id``. 409 ``claimed`` names the holder while its lease is live."""
        return claim_order(terminal, uuid, body.claim_id, body.lease_seconds)

    @app.post(
        "/v1/store/orders/{uuid}/release",
        response_model=ReleaseOut,
        responses=ORDER_ERRORS,
        tags=["orders"],
    )
    def release(
        body: ReleaseIn,
        terminal: Annotated[Terminal, Depends(terminal_auth)],
        uuid: Annotated[str, ORDER_UUID],
    ) -> dict[str, bool]:
        """Give up this till's claim (the cashier cancelled); ``released`` false if it held
        none with that id."""
        return {"released": release_order(terminal, uuid, body.claim_id)}

    @app.get(
        "/v1/store/sales/{number}",
        response_model=StoreSaleOut,
        responses=ORDER_ERRORS,
        tags=["returns"],
    )
    def store_sale(
        terminal: Annotated[Terminal, Depends(terminal_auth)],
        number: Annotated[str, Path(min_length=1, max_length=40, pattern=PRINTABLE)],
    ) -> dict[str, Any]:
        """A sale of this terminal's store, made at any of its tills, with what came back of
        each line and what return claims hold (404 when the store has none); a bill marked
        for delivery says so, with what each line has still to deliver."""
        return deliveries.with_delivery(find_sale(terminal.store, number))

    @app.post(
        "/v1/store/sales/{uuid}/return-claim",
        response_model=ReturnClaimOut,
        responses=ORDER_ERRORS,
        tags=["returns"],
    )
    def return_claim(
        body: ReturnClaimIn,
        terminal: Annotated[Terminal, Depends(terminal_auth)],
        uuid: Annotated[str, ORDER_UUID],
    ) -> dict[str, Any]:
        """Hold quantities of a sale's lines for a return at this till (a lease), within
        sold − returned − other claims; idempotent by ``claim_id``. 409 ``over_return``
        lists what is ``left`` of each line."""
        lines = [(line.line_no, line.qty_milli) for line in body.lines]
        return claim_return(terminal, uuid, body.claim_id, lines, body.lease_seconds)

    @app.post(
        "/v1/store/sales/{uuid}/release",
        response_model=ReleaseOut,
        responses=ORDER_ERRORS,
        tags=["returns"],
    )
    def return_release(
        body: ReleaseIn,
        terminal: Annotated[Terminal, Depends(terminal_auth)],
        uuid: Annotated[str, ORDER_UUID],
    ) -> dict[str, bool]:
        """Give up this till's return claim; ``released`` false if it held none by that id."""
        return {"released": release_return(terminal, uuid, body.claim_id)}

    @app.get(
        "/v1/store/deliveries",
        response_model=DeliveriesOut,
        responses=ORDER_ERRORS,
        tags=["deliveries"],
    )
    def store_deliveries(
        terminal: Annotated[Terminal, Depends(terminal_auth)],
        location: Annotated[
            str | None, Query(min_length=1, max_length=40, pattern=PRINTABLE)
        ] = None,
        customer: Annotated[
            str | None, Query(min_length=1, max_length=36, pattern=PRINTABLE)
        ] = None,
        name: Annotated[str | None, Query(min_length=1, max_length=60, pattern=PRINTABLE)] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIST)] = 30,
    ) -> dict[str, Any]:
        """Bills of this terminal's store, made at any of its tills, with something still to
        deliver, oldest first: at one ``location``, of one ``customer`` (uuid) or of the
        customers whose ``name`` holds the text given (any case)."""
        found = deliveries.pending_deliveries(
            terminal.store, location=location, customer=customer, name=name, limit=limit
        )
        return {"bills": found}

    @app.get(
        "/v1/store/deliveries/{number}",
        response_model=DeliveryBillOut,
        responses=ORDER_ERRORS,
        tags=["deliveries"],
    )
    def store_delivery(
        terminal: Annotated[Terminal, Depends(terminal_auth)],
        number: Annotated[str, Path(min_length=1, max_length=40, pattern=PRINTABLE)],
    ) -> dict[str, Any]:
        """A bill of this terminal's store marked for delivery, with ordered, delivered (by
        any till), returned before delivery and pending quantity per line. 404 when the
        store has no such bill, 409 ``not_for_delivery`` when it was not marked."""
        return deliveries.find_delivery(terminal.store, number)

    @app.get(
        "/v1/store/vouchers/{code}",
        response_model=VoucherOut,
        responses=ORDER_ERRORS,
        tags=["vouchers"],
    )
    def voucher(
        terminal: Annotated[Terminal, Depends(terminal_auth)],
        code: Annotated[str, VOUCHER_CODE],
    ) -> dict[str, Any]:
        """A gift voucher or credit note of this terminal's store: its balance and state."""
        return vouchers.lookup(terminal, code)

    @app.post(
        "/v1/store/vouchers/{code}/reserve",
        response_model=ReserveOut,
        responses=ORDER_ERRORS,
        tags=["vouchers"],
    )
    def reserve(
        body: ReserveIn,
        terminal: Annotated[Terminal, Depends(terminal_auth)],
        code: Annotated[str, VOUCHER_CODE],
    ) -> dict[str, Any]:
        """Hold an amount of a voucher for this till's payment; idempotent by
        ``reservation_id``. 409 ``insufficient`` (with ``balance``) or ``expired``."""
        return vouchers.reserve(
            terminal, code, body.reservation_id, body.amount, body.lease_seconds
        )

    @app.post(
        "/v1/store/vouchers/{code}/release",
        response_model=ReleaseOut,
        responses=ORDER_ERRORS,
        tags=["vouchers"],
    )
    def release_voucher(
        body: VoucherReleaseIn,
        terminal: Annotated[Terminal, Depends(terminal_auth)],
        code: Annotated[str, VOUCHER_CODE],
    ) -> dict[str, bool]:
        """Give up this till's hold; ``released`` false if it held none with that id."""
        return {"released": vouchers.release(terminal, code, body.reservation_id)}

    @app.get(
        "/v1/store/points/{customer}",
        response_model=PointsOut,
        responses=ORDER_ERRORS,
        tags=["points"],
    )
    def points_of(
        terminal: Annotated[Terminal, Depends(terminal_auth)],
        customer: Annotated[str, CUSTOMER_UUID],
    ) -> dict[str, Any]:
        """A customer's loyalty points, store-wide: balance, and what reservations leave."""
        return points.lookup(customer)

    @app.post(
        "/v1/store/points/{customer}/reserve",
        response_model=PointsReserveOut,
        responses=ORDER_ERRORS,
        tags=["points"],
    )
    def reserve_points(
        body: PointsReserveIn,
        terminal: Annotated[Terminal, Depends(terminal_auth)],
        customer: Annotated[str, CUSTOMER_UUID],
    ) -> dict[str, Any]:
        """Hold points for this till's payment; idempotent by ``reservation_id``. 409
        ``insufficient`` (with ``available``) when fewer are free: the reservation decides
        between two tills."""
        return points.reserve(
            terminal, customer, body.reservation_id, body.points, body.lease_seconds
        )

    @app.post(
        "/v1/store/points/{customer}/release",
        response_model=ReleaseOut,
        responses=ORDER_ERRORS,
        tags=["points"],
    )
    def release_points(
        body: VoucherReleaseIn,
        terminal: Annotated[Terminal, Depends(terminal_auth)],
        customer: Annotated[str, CUSTOMER_UUID],
    ) -> dict[str, bool]:
        """Give up this till's hold; ``released`` false if it held none with that id."""
        return {"released": points.release(terminal, customer, body.reservation_id)}

    @app.post(
        "/v1/store/coupons/{code}/reserve",
        response_model=CouponReserveOut,
        responses=ORDER_ERRORS,
        tags=["coupons"],
    )
    def reserve_coupon(
        body: CouponReserveIn,
        terminal: Annotated[Terminal, Depends(terminal_auth)],
        code: Annotated[str, VOUCHER_CODE],
    ) -> dict[str, Any]:
        """Hold one use of a coupon for a bill of this till, under the bill's sale uuid;
        idempotent by it. 409 ``used_up`` when the store's uses and other bills' holds
        reach the coupon's limit; 404 for a coupon the company does not have."""
        return coupons.reserve(terminal, code, body.reservation_id, body.lease_seconds)

    @app.post(
        "/v1/store/coupons/{code}/release",
        response_model=ReleaseOut,
        responses=ORDER_ERRORS,
        tags=["coupons"],
    )
    def release_coupon(
        body: CouponReleaseIn,
        terminal: Annotated[Terminal, Depends(terminal_auth)],
        code: Annotated[str, VOUCHER_CODE],
    ) -> dict[str, bool]:
        """Give back a use this till's bill held (the coupon left the bill, or the bill was
        voided); ``released`` false if it held none."""
        return {"released": coupons.release(terminal, code, body.reservation_id)}

    @app.get(
        "/v1/store/customers/{customer}/dues",
        response_model=DuesOut,
        responses=ORDER_ERRORS,
        tags=["orders"],
    )
    def dues(
        terminal: Annotated[Terminal, Depends(terminal_auth)],
        customer: Annotated[str, Path(min_length=1, max_length=36, pattern=PRINTABLE)],
    ) -> dict[str, Any]:
        """What a customer (uuid) owes this terminal's store: the outstanding total and the
        open invoices made at any of its tills (404 for a customer it does not know)."""
        return customer_dues(terminal.store, customer)

    @app.get(
        "/v1/store/transfers",
        response_model=TransfersOut,
        responses=ORDER_ERRORS,
        tags=["transfers"],
    )
    def store_transfers(
        terminal: Annotated[Terminal, Depends(terminal_auth)],
        to: Annotated[str | None, Query(min_length=1, max_length=64, pattern=PRINTABLE)] = None,
        state: Literal["sent", "received", "all"] = "sent",
        limit: Annotated[int, Query(ge=1, le=transfers.MAX_LIST)] = 30,
    ) -> dict[str, Any]:
        """Stock transfers of this terminal's store sent to location ``to`` (any of its
        locations if not given), oldest first: those not received yet (``state`` sent, the
        default), received, or all; without their lines."""
        return {"transfers": transfers.incoming(terminal.store, to, state, limit)}

    @app.get(
        "/v1/store/transfers/{ref}",
        response_model=TransferOut,
        responses=ORDER_ERRORS,
        tags=["transfers"],
    )
    def store_transfer(
        terminal: Annotated[Terminal, Depends(terminal_auth)],
        ref: Annotated[str, Path(min_length=1, max_length=40, pattern=PRINTABLE)],
    ) -> dict[str, Any]:
        """One transfer of this terminal's store by its number (``TO-…``) or uuid, with its
        lines as sent and, once received, what arrived of each (404 when the store has none)."""
        return transfers.find(terminal.store, ref)

    @app.post(
        "/v1/store/transfers/{uuid}/claim",
        response_model=TransferClaimOut,
        responses=ORDER_ERRORS,
        tags=["transfers"],
    )
    def transfer_claim(
        body: TransferClaimIn,
        terminal: Annotated[Terminal, Depends(terminal_auth)],
        uuid: Annotated[str, ORDER_UUID],
    ) -> dict[str, Any]:
        """Hold a transfer for this till while it counts what arrived (a lease); idempotent
        by ``claim_id``. 409 ``claimed`` names the till holding it; 409 ``received`` once a
        receipt of it is in."""
        return transfers.claim(terminal, uuid, body.claim_id, body.lease_seconds)

    @app.post(
        "/v1/store/transfers/{uuid}/release",
        response_model=ReleaseOut,
        responses=ORDER_ERRORS,
        tags=["transfers"],
    )
    def transfer_release(
        body: ReleaseIn,
        terminal: Annotated[Terminal, Depends(terminal_auth)],
        uuid: Annotated[str, ORDER_UUID],
    ) -> dict[str, bool]:
        """Give up this till's hold on a transfer it did not receive; ``released`` false if
        it held none with that id."""
        return {"released": transfers.release(terminal, uuid, body.claim_id)}

    if bench:

        @app.post("/v1/bench/sink", include_in_schema=False)
        async def sink(request: Request) -> dict[str, int]:
            return {"bytes": len(await request.body())}

    return app
