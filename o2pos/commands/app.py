"""The ``o2pos`` command line: its typer application, every command and group.

Headless commands import only the core (no Textual), so they start fast and run on a box
without a terminal UI; heavy imports happen inside the command that needs them. The till's
own start (``o2pos``, ``o2pos run``) does not come through here at all when its arguments
are plain: ``o2pos.cli.main`` starts it without typer (``o2pos.commands.till``).
"""

from __future__ import annotations

import json
import sys
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from o2pos.commands import central as central_commands
from o2pos.commands import employee as employee_commands
from o2pos.commands import printing as printing_commands
from o2pos.commands import sync as sync_commands
from o2pos.commands import web as web_commands
from o2pos.commands.common import (
    ConfigOption,
    ImportKind,
    config_of,
    context_of,
    echo_import,
    fail,
    group,
)

app = group(
    "o2pos: a terminal point of sale that keeps selling when the network is gone.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
)
journal_app = group("The append-only journal of business events.", no_args_is_help=True)
app.add_typer(journal_app, name="journal")
app.add_typer(sync_commands.app, name="sync")
app.add_typer(central_commands.app, name="central")
app.add_typer(employee_commands.app, name="employee")
app.command("reprint")(printing_commands.reprint)
app.command("invoice")(printing_commands.invoice)
app.command("serve-web")(web_commands.serve_web)


@app.callback(invoke_without_command=True)
def main_callback(ctx: typer.Context) -> None:
    """Bare ``o2pos`` starts the till, as ``o2pos run`` does."""
    if ctx.invoked_subcommand is None:
        run()


@app.command()
def run(
    kiosk: Annotated[
        bool,
        typer.Option("--kiosk", help="Kiosk mode: no way out but a manager's PIN (ctrl+e)"),
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Start the till in this terminal."""
    from o2pos.commands import till

    till.run(kiosk, config)


@app.command()
def init(
    demo: Annotated[
        bool, typer.Option("--demo", help="Load the demo store (products, people, ...)")
    ] = False,
    admin_pin: Annotated[
        str | None, typer.Option(help="PIN of the first administrator, 'admin' (without --demo)")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Create the till database (the demo store with --demo). Safe to run again."""
    from o2pos.core import auth
    from o2pos.core import demo as demo_mod
    from o2pos.core.bootstrap import ensure_reference_data
    from o2pos.core.db import create_schema
    from o2pos.core.errors import DomainError
    from o2pos.core.models import Employee

    ctx = context_of(config, must_exist=False)
    create_schema(ctx.db)
    ensure_reference_data(ctx)
    db_path = ctx.settings.terminal.db_path
    try:
        if demo:
            codes = [login[0] for login in demo_mod.DEMO_LOGINS]
            before = {e.code for e in Employee.select().where(Employee.code.in_(codes))}
            if demo_mod.is_loaded():
                typer.echo(f"The demo store is already in {db_path}.")
            else:
                for report in demo_mod.load_demo(ctx):
                    typer.echo(f"Loaded {report.imported} {report.kind}.")
                    for line, message in report.errors:
                        typer.echo(f"  line {line}: {message}", err=True)
            typer.echo("")
            typer.echo("Log in with user code and PIN:")
            for code, name, role, pin in demo_mod.DEMO_LOGINS:
                if code in before and not demo_mod.is_demo_pin(code, pin):
                    typer.echo(f"  {code:<9} (was here before the demo: its own PIN)")
                    continue
                typer.echo(f"  {code:<9} PIN {pin:<6}   {name} ({role.replace('_', ' ')})")
        elif not Employee.select().exists():
            if admin_pin is None:
                if not sys.stdin.isatty():
                    raise fail("Give --admin-pin for the first administrator (or use --demo)")
                admin_pin = typer.prompt(
                    "PIN for the administrator 'admin'", hide_input=True, confirmation_prompt=True
                )
            with ctx.write():
                auth.create_employee(ctx, "admin", "Administrator", "administrator", admin_pin)
            typer.echo("Created administrator 'admin'.")
    except DomainError as exc:
        raise fail(str(exc)) from exc
    typer.echo(f"Till database ready: {db_path}")


@app.command("import")
def import_(
    kind: Annotated[ImportKind, typer.Argument(help="What the file holds")],
    file: Annotated[
        Path, typer.Argument(help="CSV file with a header row", exists=True, dir_okay=False)
    ],
    config: ConfigOption = None,
) -> None:
    """Import products or customers from CSV: bad rows are reported by line, the rest go in."""
    from o2pos.core import importer
    from o2pos.core.errors import DomainError

    ctx = context_of(config)
    run = importer.import_products if kind is ImportKind.products else importer.import_customers
    try:
        if sys.stderr.isatty():
            from rich.progress import Progress

            with Progress(transient=True) as bar:
                task = bar.add_task(f"Importing {kind.value}", total=None)
                report = run(
                    ctx, file, lambda done, total: bar.update(task, completed=done, total=total)
                )
        else:
            report = run(ctx, file)
    except DomainError as exc:
        raise fail(str(exc)) from exc
    echo_import(report, file)


@journal_app.command("verify")
def journal_verify(
    full: Annotated[
        bool,
        typer.Option(
            "--full",
            help="Walk every row from seq 1, not only those written since the last check",
        ),
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Recompute the hash chain and check it still holds what the central acknowledged;
    print the first broken seq and exit 1 if there is one.

    From the last checkpoint on (what was written since the last check: a till of years
    holds millions of events), or every row with --full.

    Pages SQLite cannot read stop it with the seq it reached and SQLite's own check of the
    file (exit 3).
    """
    from o2pos.core import integrity, syncstate
    from o2pos.core.db import integrity_problems

    ctx = context_of(config)
    result = integrity.check(ctx, full=full)
    if result.damaged:
        path = ctx.settings.terminal.db_path
        first, last = result.start + 1, result.start + result.checked
        intact = f"seq {first} to {last}" if result.checked else "no event"
        typer.echo(
            f"error: journal DAMAGED: {path} cannot be read at seq {result.broken_seq} "
            f"({result.reason}); {intact} read and intact.",
            err=True,
        )
        for problem in integrity_problems(ctx.db):
            typer.echo(f"  sqlite: {problem}", err=True)
        typer.echo(
            "Keep the file for support and restore the till database from a backup "
            "(docs/cli.md, 'Damaged storage'); nothing was changed.",
            err=True,
        )
        raise typer.Exit(3)
    if result.ok:
        since = f" since seq {result.start}" if result.start else ""
        acked = syncstate.acked(ctx)[0]
        typer.echo(
            f"journal ok: {result.checked} events{since}, chain intact"
            + (f"; it holds seq {acked} as the central acknowledged it" if acked else "")
        )
        return
    typer.echo(f"journal BROKEN at seq {result.broken_seq}: {result.reason}")
    typer.echo(f"({result.checked} events before it verified)")
    raise typer.Exit(1)


class ReportKind(StrEnum):
    x = "x"
    z = "z"
    daily = "daily"
    stock = "stock"
    hsn = "hsn"


@app.command()
def report(
    kind: Annotated[
        ReportKind,
        typer.Argument(
            help="x: open shift; z: last closed shift; daily: a day; stock: levels per "
            "product; hsn: sales per HSN code for GST returns"
        ),
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Machine-readable; money in minor units")
    ] = False,
    day: Annotated[
        str | None, typer.Option("--date", help="Day of the daily report, YYYY-MM-DD")
    ] = None,
    number: Annotated[
        str | None, typer.Option("--number", help="Z number of an older Z report")
    ] = None,
    location: Annotated[
        str | None,
        typer.Option("--location", help="stock: this location only (default: every one known)"),
    ] = None,
    since: Annotated[
        str | None, typer.Option("--from", help="hsn: first day, YYYY-MM-DD (default: today)")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--to", help="hsn: last day, YYYY-MM-DD (default: --from)")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Print an X, Z, daily or stock report (reading only: closing a shift is done at the
    till).

    The text of X, Z and daily is the report's slip, in the words and at the width
    ([printer] width) the printer uses; stock is a table of on hand, reserved, in transit
    and available per product and location (--json: in thousandths, docs/cli.md).
    """
    from o2pos.core import reports
    from o2pos.core.errors import DomainError
    from o2pos.printing import documents, layouts

    settings = config_of(config)
    ctx = context_of(config)
    if kind is ReportKind.stock:
        _stock_report(ctx, location, as_json)
        return
    if kind is ReportKind.hsn:
        _hsn_report(ctx, since, until, as_json)
        return
    if since is not None or until is not None:
        raise fail("--from and --to are for the hsn report")
    if location is not None:
        raise fail("--location is for the stock report")
    try:
        when = date.fromisoformat(day) if day else None
    except ValueError as exc:
        raise fail(f"--date {day!r} is not YYYY-MM-DD") from exc
    try:
        if as_json:
            if kind is ReportKind.x:
                data = reports.x_report(ctx)
            elif kind is ReportKind.z:
                data = reports.z_report(ctx, number)
            else:
                data = reports.daily_report(ctx, when)
            typer.echo(json.dumps(data, indent=2, sort_keys=True))
            return
        if kind is ReportKind.x:
            doc = documents.x_report(ctx)
        elif kind is ReportKind.z:
            doc = documents.z_report(ctx, number)
        else:
            doc = documents.daily_report(ctx, when)
    except DomainError as exc:
        raise fail(str(exc)) from exc
    options = layouts.Options(width=settings.printer.width)
    typer.echo(layouts.slip_for(doc, ctx.settings.store, options).text())


def _hsn_report(ctx: Any, since: str | None, until: str | None, as_json: bool) -> None:
    """``o2pos report hsn``: this till's sales per HSN code and GST rate (GSTR-1's HSN
    table), B2B and B2C apart."""
    from o2pos.core import gst
    from o2pos.core.errors import DomainError
    from o2pos.core.money import format_amount, format_percent, format_qty

    try:
        start = date.fromisoformat(since) if since else ctx.today()
        end = date.fromisoformat(until) if until else start
    except ValueError as exc:
        raise fail(f"--from / --to must be YYYY-MM-DD: {exc}") from exc
    try:
        data = gst.hsn_report(ctx, start, end)
    except DomainError as exc:
        raise fail(str(exc)) from exc
    if as_json:
        typer.echo(json.dumps(data, indent=2, sort_keys=True))
        return
    typer.echo(f"HSN summary {data['from']} to {data['to']}, terminal {data['terminal_id']}")
    if not data["rows"]:
        typer.echo("No sales in these days.")
        return
    head = ("HSN", "GST", "Qty", "Taxable", "CGST", "SGST", "IGST")
    for part in ("b2b", "b2c"):
        rows = data[part]["rows"]
        if not rows:
            continue
        typer.echo(f"\n{part.upper()} ({data[part]['bills']} bills)")
        table = [
            (
                r["hsn"] or "(none)",
                format_percent(r["rate_bp"]),
                format_qty(r["qty_milli"]),
                *(format_amount(r[k]) for k in ("taxable", "cgst", "sgst", "igst")),
            )
            for r in rows
        ]
        widths = [max(len(str(x)) for x in col) for col in zip(head, *table, strict=True)]
        for line in (head, *table):
            typer.echo(
                "  ".join(
                    str(x).ljust(w) if i < 2 else str(x).rjust(w)
                    for i, (x, w) in enumerate(zip(line, widths, strict=True))
                )
            )
    totals = data["totals"]
    typer.echo(
        "\nTotal taxable "
        + format_amount(totals["taxable"])
        + " · tax "
        + format_amount(totals["cgst"] + totals["sgst"] + totals["igst"])
    )


def _stock_report(ctx: Any, location: str | None, as_json: bool) -> None:
    """``o2pos report stock``: what this till knows of each location's stock."""
    from o2pos.core import stock
    from o2pos.core.money import format_qty

    rows = stock.report(ctx, location.strip() if location else None)
    if as_json:
        data = {
            "location": location,
            "products": [
                {
                    "location": r.location,
                    "sku": r.sku,
                    "name": r.name,
                    "unit": r.unit,
                    "on_hand_milli": r.on_hand,
                    "reserved_milli": r.reserved,
                    "in_transit_milli": r.in_transit,
                    "available_milli": r.available,
                }
                for r in rows
            ],
        }
        typer.echo(json.dumps(data, indent=2, sort_keys=True))
        return
    if not rows:
        where = f"at {location}" if location else "at any location this till knows"
        typer.echo(f"No stock {where}.")
        return
    head = ("Location", "SKU", "Product", "On hand", "Reserved", "In transit", "Available")
    table = [
        (
            r.location,
            r.sku,
            r.name[:30],
            format_qty(r.on_hand),
            format_qty(r.reserved),
            format_qty(r.in_transit),
            format_qty(r.available),
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in [head, *table]) for i in range(len(head))]
    for row in [head, *table]:
        left = [cell.ljust(w) for cell, w in zip(row[:3], widths[:3], strict=True)]
        right = [cell.rjust(w) for cell, w in zip(row[3:], widths[3:], strict=True)]
        typer.echo("  ".join([*left, *right]).rstrip())


@app.command()
def simulate(
    sales: Annotated[int, typer.Option("--sales", min=1, max=1_000_000, help="How many sales")],
    seed: Annotated[
        int, typer.Option("--seed", help="Random seed: the same seed, the same sales")
    ] = 1,
    config: ConfigOption = None,
) -> None:
    """Drive N realistic sales through the core, journal included (benchmarks, load tests)."""
    from o2pos.core import simulate as sim
    from o2pos.core.errors import DomainError
    from o2pos.core.money import format_amount

    ctx = context_of(config)
    try:
        result = sim.simulate(ctx, sales, seed)
    except DomainError as exc:
        raise fail(str(exc)) from exc
    rate = result.sales / result.seconds if result.seconds else 0
    typer.echo(
        f"{result.sales} sales, total {format_amount(result.total)}, "
        f"{result.seconds:.1f} s ({rate:.0f} sales/s)"
    )
