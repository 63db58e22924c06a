"""``o2pos central ...``: run and administer the central service.

Every command takes ``--db`` (a file path, ``sqlite:///path`` or ``postgresql://...``;
default ``$O2POS_CENTRAL_DB`` or ``data/central.db``). FastAPI and uvicorn are imported only
by ``serve``.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from .common import ImportKind, echo_import, fail, group

app = group("The central service tills sync with.", no_args_is_help=True)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="Database: a file path, sqlite:///path or postgresql://user:pw@host/name"
    ),
]


def _db_url(db: str | None) -> str:
    from o2pos.central.store import DEFAULT_DB

    return db or os.environ.get("O2POS_CENTRAL_DB") or DEFAULT_DB


def _open(db: str | None) -> Any:
    """The central database, or an error naming it (``fail`` redacts its password)."""
    from peewee import DatabaseError, ImproperlyConfigured

    from o2pos.central.store import open_central

    url = _db_url(db)
    try:
        return open_central(url)
    except (DatabaseError, ImproperlyConfigured) as exc:
        raise fail(f"Cannot open the central database {url}: {exc}") from exc
    except ValueError as exc:  # urllib on a malformed URL (a port that is not a number ...)
        raise fail(f"The central database URL {url} is malformed: {exc}", 2) from exc


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything is printed: port 0 picks a free one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)  # uvicorn's backlog; a client waits there until the app accepts
    except OSError as exc:
        sock.close()
        raise fail(f"Cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    return sock


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="TCP port (0: any free one)")] = 8470,
    db: DbOption = None,
    tls_cert: Annotated[
        Path | None, typer.Option(help="PEM certificate: serve HTTPS (with --tls-key)")
    ] = None,
    tls_key: Annotated[Path | None, typer.Option(help="PEM private key of --tls-cert")] = None,
    header_timeout: Annotated[
        float,
        typer.Option(min=0.1, max=3600, help="Seconds a request's headers may take to arrive"),
    ] = 10.0,
    body_timeout: Annotated[
        float,
        typer.Option(min=0.1, max=3600, help="Seconds a request body may stall between reads"),
    ] = 30.0,
    keep_alive: Annotated[
        int, typer.Option(min=1, max=3600, help="Seconds an idle connection is kept open")
    ] = 5,
    max_connections: Annotated[
        int,
        typer.Option(
            min=1, max=1_000_000, help="Open connections per worker; more are answered 503"
        ),
    ] = 1000,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Worker processes sharing the port (more than 1 needs PostgreSQL)",
        ),
    ] = 1,
) -> None:
    """Serve the central's HTTP API (OpenAPI schema at /openapi.json, docs at /docs).

    Prints one line with the address it listens on and the database, then serves until
    stopped (ctrl+c or SIGTERM). Slow clients are cut off and connections are capped (see
    docs/deployment.md); the log carries one line of each kind a minute at most. With
    ``--workers N`` (PostgreSQL) N processes share the port: nothing that must be single is
    kept in a process, so any worker may answer any request.
    """
    import logging

    import uvicorn

    from o2pos.central.api import create_app
    from o2pos.central.serving import (
        GuardedConfig,
        Limits,
        log_config,
        raise_fd_limit,
        serve_workers,
        settle_heap,
    )
    from o2pos.central.store import is_postgres, open_central
    from o2pos.core.redact import redact, redact_handlers

    url = _db_url(db)
    database = _open(url)
    if bool(tls_cert) != bool(tls_key):
        raise fail("--tls-cert and --tls-key go together")
    if workers > 1 and not is_postgres(database):
        raise fail(
            f"--workers {workers} needs a PostgreSQL central: a SQLite database takes one "
            "writer at a time, so one worker serves it (--workers 1)"
        )
    limits = Limits(header_timeout, body_timeout, keep_alive, max_connections)
    try:
        raise_fd_limit(limits)
    except RuntimeError as exc:
        raise fail(str(exc)) from exc
    sock = _listen(host, port)
    bound = sock.getsockname()[1]
    scheme = "https" if tls_cert else "http"
    where = f"[{host}]" if ":" in host else host
    several = f", {workers} workers" if workers > 1 else ""
    typer.echo(
        f"o2pos central listening on {scheme}://{where}:{bound} (database {redact(url)}{several})"
    )
    sys.stdout.flush()  # before the fork: the workers must not print it again

    def run_one(index: int | None) -> None:
        config = GuardedConfig(
            create_app(worker=index),
            limits=limits,
            host=host,
            port=bound,
            log_config=log_config(),
            log_level="warning",
            access_log=False,
            ssl_certfile=str(tls_cert) if tls_cert else None,
            ssl_keyfile=str(tls_key) if tls_key else None,
        )
        # uvicorn set its handlers up just now; a traceback quoting a DSN is redacted too
        redact_handlers(*(logging.getLogger(name) for name in ("", "uvicorn", "uvicorn.error")))
        settle_heap()
        uvicorn.Server(config).run(sockets=[sock])

    if workers == 1:
        run_one(None)
        return
    database.close()  # each worker opens its own connection: none may cross the fork

    def run_worker(index: int) -> None:
        open_central(url, create=False)
        run_one(index)

    raise typer.Exit(serve_workers(sock, workers, run_worker))


@app.command("add-terminal")
def add_terminal(
    name: Annotated[str, typer.Argument(help="The till's [terminal] id, e.g. T1")],
    store: Annotated[
        str | None,
        typer.Option(
            help="The store the till stands in: it gets that store's employees only "
            "(default: the default store; a re-registered till keeps its own)"
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Register a till (or re-register it) and print its token and its key, once.

    Two lines on stdout: the token, then the key that opens the PIN verifiers the
    central sends this till.
    """
    from o2pos.central.store import CentralError
    from o2pos.central.store import add_terminal as add

    _open(db)
    try:
        registration = add(name, store)
    except CentralError as exc:
        raise fail(str(exc)) from exc
    typer.echo(registration.token)
    typer.echo(registration.key)
    typer.echo(
        f"Put the first line in terminal {name.strip().upper()}'s config under [central] token "
        "and the second under [central] key (a file only the till's user may read: chmod 600). "
        "Neither is shown again; a new add-terminal issues both anew.",
        err=True,
    )


@app.command("revoke-terminal")
def revoke_terminal(
    name: Annotated[str, typer.Argument(help="Terminal id")], db: DbOption = None
) -> None:
    """Refuse the terminal's token from now on (its events stay; add-terminal re-registers)."""
    from o2pos.central.store import CentralError, revoke_terminal

    _open(db)
    try:
        revoke_terminal(name)
    except CentralError as exc:
        raise fail(str(exc)) from exc
    typer.echo(f"Terminal {name.upper()} revoked.")


@app.command("add-employee")
def add_employee(
    code: Annotated[str, typer.Argument(help="Login code")],
    name: Annotated[str, typer.Argument(help="Full name")],
    role: Annotated[str, typer.Argument(help="administrator, store_manager, cashier, ...")],
    pin: Annotated[
        str | None, typer.Option(help="PIN (asked for when not given)", hide_input=True)
    ] = None,
    store: Annotated[
        list[str] | None,
        typer.Option(
            help="A store the employee works in (repeat for several; '*' for every store; "
            "default: the default store)"
        ),
    ] = None,
    location: Annotated[
        list[str] | None,
        typer.Option(
            help="A location whose stock the employee works with (repeat for several; "
            "login offers them; default: the till's own)"
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Add or change an employee for the tills of their stores.

    The PIN is stored only as a scrypt hash, and sent to each till sealed with that till's
    key. Roles that approve (store manager, administrator) need a PIN of 6 to 8 digits.
    """
    from o2pos.central import master
    from o2pos.central.store import CentralError
    from o2pos.core.errors import DomainError

    _open(db)
    if pin is None:
        pin = typer.prompt("PIN", hide_input=True, confirmation_prompt=True)
    try:
        master.add_employee(code, name, role, pin, store, location)
    except (DomainError, CentralError) as exc:
        raise fail(str(exc)) from exc
    typer.echo(f"Employee {code} saved; the tills of their stores get it on their next pull.")


@app.command("add-location")
def add_location(
    code: Annotated[str, typer.Argument(help="Location code, e.g. BR2 or WH")],
    name: Annotated[str, typer.Argument(help="Its name, e.g. 'Warehouse'")],
    store: Annotated[
        str | None, typer.Option(help="Its store (default: the default store)")
    ] = None,
    db: DbOption = None,
) -> None:
    """Add or rename a location (a branch, a warehouse) of a store; tills get it on their
    next pull, and may send stock to it."""
    from o2pos.central import master
    from o2pos.central.models import DEFAULT_STORE
    from o2pos.central.store import CentralError, store_name, write
    from o2pos.core.errors import DomainError

    _open(db)
    try:
        with write():
            master.add_location(code.strip().upper(), name, store_name(store or DEFAULT_STORE))
    except (DomainError, CentralError) as exc:
        raise fail(str(exc)) from exc
    typer.echo(f"Location {code.strip().upper()} saved.")


@app.command("receive")
def receive(
    file: Annotated[Path, typer.Argument(help="CSV with columns sku,qty (qty as on a bill)")],
    location: Annotated[str, typer.Option(help="The location receiving the goods")],
    store: Annotated[str | None, typer.Option(help="Its store (default: its own)")] = None,
    db: DbOption = None,
) -> None:
    """Goods received at a location (opening stock, a supplier's delivery): on hand goes up
    by each row's quantity. Every row is checked first; one bad row changes nothing."""
    from o2pos.central import master, stock
    from o2pos.central.models import DEFAULT_STORE
    from o2pos.central.store import CentralError, store_name, write
    from o2pos.core.errors import DomainError

    _open(db)
    code = location.strip().upper()
    try:
        owner = stock.location_store(code) or store_name(store or DEFAULT_STORE)
        quantities = master.read_quantities(file)
        with write():
            flags = stock.receive(owner, code, quantities)
    except (DomainError, CentralError) as exc:
        raise fail(str(exc)) from exc
    for flag in flags:
        typer.echo(flag, err=True)
    typer.echo(f"Received {len(quantities)} products at {code} (store {owner}).")


@app.command("stock")
def stock_report(
    store: Annotated[str | None, typer.Option(help="Only this store")] = None,
    location: Annotated[str | None, typer.Option(help="Only this location")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Quantities in milli-units")] = False,
    db: DbOption = None,
) -> None:
    """Stock per location: on hand, reserved (sold, to be delivered), in transit (sent to
    it, not yet received) and available, the sum of every till's moves."""
    from dataclasses import asdict

    from o2pos.central import stock
    from o2pos.core.money import format_qty

    _open(db)
    rows = stock.report(store, location.strip().upper() if location else None)
    if as_json:
        typer.echo(json.dumps([asdict(r) for r in rows], indent=2, sort_keys=True))
        return
    if not rows:
        typer.echo("No stock recorded.")
        return
    typer.echo(
        f"{'store':<12} {'location':<8} {'sku':<16} {'on hand':>10} {'reserved':>10} "
        f"{'in transit':>10} {'available':>10}"
    )
    for r in rows:
        typer.echo(
            f"{r.store[:12]:<12} {r.location:<8} {r.sku[:16]:<16} {format_qty(r.on_hand):>10} "
            f"{format_qty(r.reserved):>10} {format_qty(r.in_transit):>10} "
            f"{format_qty(r.on_hand - r.reserved):>10}"
        )


@app.command("load-demo")
def load_demo(db: DbOption = None) -> None:
    """Fill the central with the demo store's master data (what `o2pos init --demo` has)."""
    from o2pos.central import master

    _open(db)
    for report in master.load_demo():
        typer.echo(f"Loaded {report.imported} {report.kind}.")


@app.command("import")
def import_(
    what: Annotated[
        str,
        typer.Argument(
            help="products | customers | offers | price-lists | a journal export file",
            metavar="WHAT",
        ),
    ],
    file: Annotated[
        Path | None, typer.Argument(help="CSV file, for products|customers|offers|price-lists")
    ] = None,
    db: DbOption = None,
) -> None:
    """Import a product, customer or offer CSV (docs/offers.md), a price-lists CSV (customer
    groups and their price lists, docs/pricelists.md), or a till's journal export (`o2pos
    sync export`)."""
    from o2pos.central import master
    from o2pos.central.ingest import IngestError, ingest_export
    from o2pos.core.errors import DomainError

    _open(db)
    if what == "price-lists":
        if file is None or not file.is_file():
            raise fail(_no_file("price-lists", file), 2)
        try:
            lines = master.import_price_lists(file)
        except DomainError as exc:
            raise fail(str(exc)) from exc
        for line in lines:
            typer.echo(line)
        return
    if what in (ImportKind.products, ImportKind.customers, ImportKind.offers):
        if file is None or not file.is_file():
            raise fail(_no_file(str(what), file), 2)
        try:
            report = (
                master.import_offers(file)
                if what == ImportKind.offers
                else master.import_csv(what, file)
            )
        except DomainError as exc:
            raise fail(str(exc)) from exc
        echo_import(report, file)
        return
    path = Path(what)
    if file is not None or not path.is_file():
        raise fail(
            f"{what}: not products, customers, offers, price-lists or an export file that exists"
        )
    try:
        results = ingest_export(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise fail(f"{path} is not a journal export (not UTF-8 text)") from exc
    except IngestError as exc:
        raise fail(f"{exc.message} ({exc.code}); nothing from that batch on was stored") from exc
    if not results:  # nothing pending when it was exported: the central's mark stands
        typer.echo("the export holds no events: nothing to store")
        return
    stored = sum(r.stored for r in results)
    duplicates = sum(r.duplicates for r in results)
    typer.echo(
        f"stored {stored} events, {duplicates} already held; high-water seq {results[-1].acked_seq}"
    )


def _no_file(what: str, file: Path | None) -> str:
    """What is wrong with the file argument of ``central import``: none, or not a file."""
    if file is None:
        return f"Give the {what} CSV file to import"
    if file.is_dir():
        return f"{file} is a folder: give the {what} CSV file to import"
    return f"{file} does not exist"


@app.command()
def stats(
    terminal: Annotated[str | None, typer.Option("--terminal", help="Only this terminal")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Money in minor units")] = False,
    db: DbOption = None,
) -> None:
    """Per terminal: events held, high-water seq, sales count, total and what is still unpaid
    of them (paid at any till); then the store's."""
    from o2pos.central.models import Terminal
    from o2pos.central.reports import stats as read_stats
    from o2pos.core.money import format_amount

    _open(db)
    name = terminal.strip().upper() if terminal is not None else None
    if name is not None and Terminal.get_or_none(Terminal.name == name) is None:
        raise fail(f"No terminal named {name} is registered (o2pos central stats lists them)")
    data = read_stats(name)
    if as_json:
        typer.echo(json.dumps(data, indent=2, sort_keys=True))
        return
    if not data:
        typer.echo("No terminals registered (o2pos central add-terminal NAME).")
    for name, row in data.items():
        typer.echo(
            f"{name:<8} events {row['events']:>7}  high-water {row['high_water_seq']:>7}  "
            f"sales {row['sales_count']:>6}  total {format_amount(row['sales_total']):>14}"
            f"  unpaid {format_amount(row['sales_unpaid']):>12}"
            f"{'  flagged ' + str(row['flagged']) if row['flagged'] else ''}"
            f"{'  double spent ' + str(row['double_spent']) if row['double_spent'] else ''}"
            f"{'  coupon over limit ' + str(over) if (over := row['coupon_over_limit']) else ''}"
            f"{'  received twice ' + str(tw) if (tw := row['transfers_received_twice']) else ''}"
            f"{'  over-delivered ' + str(more) if (more := row['over_delivered']) else ''}"
            f"{'  REVOKED' if row['revoked'] else ''}"
        )
    if len(data) > 1:  # several tills of one store: what the store took, all tills together
        count = sum(row["sales_count"] for row in data.values())
        total = sum(row["sales_total"] for row in data.values())
        events = sum(row["events"] for row in data.values())
        doubled = sum(row["double_spent"] for row in data.values())
        unpaid = sum(row["sales_unpaid"] for row in data.values())
        over_limit = sum(row["coupon_over_limit"] for row in data.values())
        twice = sum(row["transfers_received_twice"] for row in data.values())
        delivered = sum(row["over_delivered"] for row in data.values())
        typer.echo(
            f"{'store':<8} events {events:>7}  {'':>18}  "
            f"sales {count:>6}  total {format_amount(total):>14}"
            f"  unpaid {format_amount(unpaid):>12}"
            f"{'  double spent ' + str(doubled) if doubled else ''}"
            f"{'  coupon over limit ' + str(over_limit) if over_limit else ''}"
            f"{'  received twice ' + str(twice) if twice else ''}"
            f"{'  over-delivered ' + str(delivered) if delivered else ''}"
        )


@app.command()
def flagged(
    terminal: Annotated[
        str | None, typer.Option("--terminal", help="Only this terminal's events")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="A JSON list")] = False,
    db: DbOption = None,
) -> None:
    """Events stored but flagged (not projected, or odd): terminal, seq, type and reason."""
    from o2pos.central.models import Terminal
    from o2pos.central.reports import flagged as read_flagged

    _open(db)
    name = terminal.strip().upper() if terminal is not None else None
    if name is not None and Terminal.get_or_none(Terminal.name == name) is None:
        raise fail(f"No terminal named {name} is registered (o2pos central stats lists them)")
    rows = read_flagged(name)
    if as_json:
        typer.echo(json.dumps(rows, indent=2, sort_keys=True))
        return
    if not rows:
        typer.echo("No flagged events.")
    for row in rows:
        typer.echo(
            f"{row['terminal']:<8} seq {row['seq']:>7}  {row['event_type']:<18} {row['reason']}"
        )


@app.command("price-lists")
def price_lists(
    as_json: Annotated[bool, typer.Option("--json", help="Money in minor units")] = False,
    db: DbOption = None,
) -> None:
    """The customer groups, the price list each pays, and the lists' entries."""
    from o2pos.central import master
    from o2pos.core.money import format_amount, format_percent, format_qty

    _open(db)
    groups = master.price_lists()
    if as_json:
        typer.echo(json.dumps(groups, indent=2, sort_keys=True))
        return
    if not groups:
        typer.echo("No customer groups (o2pos central import price-lists FILE).")
    for g in groups:
        typer.echo(f"{g['group']} ({g['name']}): {g['price_list'] or 'list prices'}")
        for e in g["entries"]:
            what = e["sku"] or f"category {e['category']}"
            price = (
                format_amount(e["price"])
                if e["price"] is not None
                else f"{format_percent(e['percent_off_bp'])} off"
            )
            extra = f" from {format_qty(e['min_qty_milli'])}" if e["min_qty_milli"] else ""
            if e["valid_from"] or e["valid_to"]:
                extra += f" {e['valid_from'] or '…'} to {e['valid_to'] or '…'}"
            typer.echo(f"  {what:<24} {price:>12}{extra}")


@app.command("points")
def points_report(
    as_json: Annotated[bool, typer.Option("--json", help="A JSON list")] = False,
    db: DbOption = None,
) -> None:
    """Customers' loyalty points, store-wide: balance, and what live reservations leave."""
    from o2pos.central import points

    _open(db)
    rows = points.balances()
    if as_json:
        typer.echo(json.dumps(rows, indent=2, sort_keys=True))
        return
    if not rows:
        typer.echo("No points earned yet.")
    for r in rows:
        typer.echo(
            f"{(r['name'] or r['customer'])[:28]:<28} {r['phone'] or '':<14} "
            f"{r['balance']:>8} points  {r['available']:>8} free"
        )


report = group("Reports of the stores' documents (what the tills sent).", no_args_is_help=True)
app.add_typer(report, name="report")


@report.command("transfers")
def report_transfers(
    as_json: Annotated[
        bool, typer.Option("--json", help="A JSON list, quantities in milli-units")
    ] = False,
    store: Annotated[
        str | None, typer.Option("--store", help="Only this store's transfers")
    ] = None,
    db: DbOption = None,
) -> None:
    """Every stock transfer and its state: sent, received, with differences (short or over),
    received twice; by store, oldest first."""
    from o2pos.central.transfers import report as read_report
    from o2pos.core.money import format_qty

    _open(db)
    rows = read_report(store.strip().lower() if store else None)
    if as_json:
        typer.echo(json.dumps(rows, indent=2, sort_keys=True))
        return
    if not rows:
        typer.echo("No stock transfers." if store is None else f"No stock transfers in {store}.")
    for row in rows:
        got = row["received_milli"]
        arrived = f"  in {format_qty(got)} at {row['received_terminal']} {row['received_number']}"
        gaps = "".join(
            f"  {label} {format_qty(row[key])}"
            for label, key in (("short", "short_milli"), ("over", "excess_milli"))
            if row[key]
        )
        typer.echo(
            f"{row['store']:<10} {row['number']:<14} {row['from_location']} -> "
            f"{row['to_location']}  {(row['sent_at'] or '')[:16].replace('T', ' ')} UTC  out "
            f"{format_qty(row['sent_milli'])}{arrived if got is not None else ''}{gaps}"
            f"  {row['state']}"
        )


@app.command("offers")
def list_offers(
    as_json: Annotated[bool, typer.Option("--json", help="A JSON list of the offers")] = False,
    db: DbOption = None,
) -> None:
    """The offers the central serves to the tills (import them with `import offers FILE`)."""
    from o2pos.central import master

    _open(db)
    rows = master.offers()
    if as_json:
        typer.echo(json.dumps(rows, indent=2, sort_keys=True))
        return
    if not rows:
        typer.echo("No offers.")
    for row in rows:
        state = "" if row.get("active", True) else "  (inactive)"
        typer.echo(f"{row['code']:<16} {row['kind']:<10} {row['name']}{state}")


@report.command("offers")
def report_offers(
    store: Annotated[str | None, typer.Option("--store", help="Only this store")] = None,
    first: Annotated[
        str | None, typer.Option("--from", help="First day, YYYY-MM-DD (the store's)")
    ] = None,
    last: Annotated[str | None, typer.Option("--to", help="Last day, YYYY-MM-DD")] = None,
    timezone: Annotated[
        str, typer.Option("--tz", help="The stores' time zone, for their days")
    ] = "Asia/Kolkata",
    as_json: Annotated[bool, typer.Option("--json", help="A JSON list, amounts in paise")] = False,
    db: DbOption = None,
) -> None:
    """What each offer cost, per store and day: on how many bills it gave, and how much
    (from the bills the tills sent)."""
    from datetime import date
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from o2pos.central.reports import offers as read_offers
    from o2pos.core.money import format_amount

    try:
        days = [date.fromisoformat(d) if d else None for d in (first, last)]
        ZoneInfo(timezone)
    except ValueError as exc:
        raise fail(f"--from and --to are days, YYYY-MM-DD: {exc}", 2) from exc
    except (ZoneInfoNotFoundError, OSError) as exc:
        raise fail(f"Unknown time zone {timezone}", 2) from exc
    _open(db)
    rows = read_offers(store.strip().lower() if store else None, days[0], days[1], timezone)
    if as_json:
        typer.echo(json.dumps(rows, indent=2, sort_keys=True))
        return
    if not rows:
        typer.echo("No offers given in that time.")
        return
    typer.echo(f"{'store':<10} {'day':<10} {'offer':<16} {'bills':>5} {'given':>12}  name")
    for row in rows:
        typer.echo(
            f"{row['store']:<10} {row['day']:<10} {row['code']:<16} {row['times']:>5} "
            f"{format_amount(row['amount']):>12}  {row['name']}"
        )
    total = sum(row["amount"] for row in rows)
    typer.echo(f"{'total':<38} {sum(r['times'] for r in rows):>5} {format_amount(total):>12}")


@report.command("sales")
def report_sales(
    store: Annotated[str, typer.Option("--store", help="The store (as add-terminal named it)")],
    day: Annotated[
        str | None, typer.Option("--day", help="YYYY-MM-DD, the store's (default: today there)")
    ] = None,
    timezone: Annotated[
        str, typer.Option("--tz", help="The store's time zone, for its day")
    ] = "Asia/Kolkata",
    as_json: Annotated[bool, typer.Option("--json", help="Amounts in paise")] = False,
    db: DbOption = None,
) -> None:
    """A store's day of sales: bills, gross, discounts, tax, round-off, returns, net sales,
    what is unpaid, money by tender and refunds by method, and each till's share."""
    from datetime import date, datetime
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from o2pos.central.reports import sales_day
    from o2pos.central.store import CentralError, store_name
    from o2pos.core.money import format_amount

    try:
        zone = ZoneInfo(timezone)
        chosen = date.fromisoformat(day) if day else datetime.now(zone).date()
    except ValueError as exc:
        raise fail(f"--day is a day, YYYY-MM-DD: {exc}", 2) from exc
    except (ZoneInfoNotFoundError, OSError) as exc:
        raise fail(f"Unknown time zone {timezone}", 2) from exc
    try:
        shop = store_name(store)
    except CentralError as exc:
        raise fail(str(exc), 2) from exc
    _open(db)
    try:
        data = sales_day(shop, chosen, timezone)
    except CentralError as exc:
        raise fail(str(exc)) from exc
    if as_json:
        typer.echo(json.dumps(data, indent=2, sort_keys=True))
        return
    tills = ", ".join(t["terminal"] for t in data["terminals"])
    typer.echo(
        f"{data['store']} {data['day']} ({timezone}; {data['from_utc']} to {data['to_utc']} UTC)"
        f", tills {tills}"
    )

    def line(label: str, amount: int, count: int | None = None) -> None:
        counted = f"{count:>6}" if count is not None else " " * 6
        typer.echo(f"  {label:<24}{counted} {format_amount(amount):>14}")

    line("bills", data["sales_total"], data["sales_count"])
    line("gross", data["gross_total"])
    line("discounts", -data["discount_total"])
    line("tax (in the totals)", data["tax_total"])
    line("round-off", data["round_off_total"])
    line("returns", -data["returns_total"], data["returns_count"])
    line("net sales", data["net_sales"])
    line("unpaid of the day's bills", data["unpaid_total"])
    typer.echo("by tender")
    for row in data["payments"]:
        line(f"{row['method']} ({row['kind']})", row["amount"], row["count"])
    line("received", data["received_total"])
    if data["received_by_receipts"]:
        line("of which by receipts", data["received_by_receipts"])
    if data["on_account_total"]:
        line("on account (credit)", data["on_account_total"])
    if data["refunds"]:
        typer.echo("refunds")
        for row in data["refunds"]:
            line(row["method"], -row["amount"], row["count"])
    typer.echo(
        f"{'till':<8} {'bills':>6} {'sales':>14} {'returns':>14} {'net':>14} "
        f"{'received':>14} {'unpaid':>12}"
    )
    for t in data["terminals"]:
        typer.echo(
            f"{t['terminal']:<8} {t['sales_count']:>6} {format_amount(t['sales_total']):>14} "
            f"{format_amount(-t['returns_total']):>14} {format_amount(t['net_sales']):>14} "
            f"{format_amount(t['received_total']):>14} {format_amount(t['unpaid_total']):>12}"
        )
