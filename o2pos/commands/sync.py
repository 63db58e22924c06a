"""``o2pos sync status|push|pull|daemon|export``: the till's sync from the shell.

No Textual is loaded here; these run on a box with no terminal UI, from cron or systemd.
"""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path
from typing import Annotated, Any

import typer

from .common import ConfigOption, config_of, context_of, fail, group

app = group("Sync with the central service.", no_args_is_help=True)


def _engine(config_path: Path | None) -> tuple[Any, Any, Any]:
    try:
        from o2pos.sync.client import SyncError
        from o2pos.sync.setup import make_engine
    except ImportError as exc:
        raise fail(f"Sync needs the sync extra: pip install 'o2pos[sync]' ({exc})") from exc

    config = config_of(config_path)
    ctx = context_of(config_path)
    central = config.central
    try:
        engine = make_engine(ctx, central)
    except SyncError as exc:  # kind "config": the settings, not the network
        where = f"{config.source}: " if config.source else ""
        raise fail(f"{where}{exc.message}", 2) from exc
    return config, ctx, engine


def _need(engine: Any) -> Any:
    if engine is None:
        raise fail("No central is configured ([central] url is empty): this till works offline")
    return engine


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable")] = False,
    config: ConfigOption = None,
) -> None:
    """What has been sent, what is waiting, and what the last attempt saw (no network)."""
    from o2pos.core import syncstate
    from o2pos.core.redact import redact

    settings = config_of(config)
    data = syncstate.summary(context_of(config))
    data["central"] = redact(settings.central.url) or None
    if as_json:
        typer.echo(json.dumps(data, indent=2, sort_keys=True))
        return
    if not settings.central.url:
        typer.echo("No central configured: this till works offline.")
    else:
        typer.echo(f"Central:      {data['central']}")
    typer.echo(f"Terminal:     {data['terminal_id']}")
    typer.echo(f"Journal:      {data['last_seq']} events, {data['acked_seq']} acknowledged")
    typer.echo(f"Pending:      {data['pending']}")
    typer.echo(f"State:        {data['state']}{' (ALERT)' if data['alert'] else ''}")
    typer.echo(f"Last success: {data['last_success_at'] or 'never'}")
    if data["last_error"]:
        typer.echo(f"Last error:   {data['last_error']}")


def _report(outcome: Any, ctx: Any) -> None:
    from o2pos.core import syncstate

    pending = syncstate.pending_count(ctx)
    if outcome.state == "busy":
        raise fail(
            f"Another o2pos (pid {outcome.busy_pid}) is sending this till's journal; "
            "it will finish the job"
        )
    typer.echo(f"sent {outcome.sent} events, pulled {outcome.pulled} records, {pending} pending")
    if not outcome.ok or outcome.error:
        raise fail(f"{outcome.state}: {outcome.error}")


@app.command()
def push(
    retries: Annotated[
        int, typer.Option(min=0, max=20, help="Retries after a network failure, with backoff")
    ] = 3,
    config: ConfigOption = None,
) -> None:
    """Pull master data, then send every pending journal event now."""
    import time

    from o2pos.core import syncstate

    _config, ctx, engine = _engine(config)
    engine = _need(engine)
    sent = pulled = 0
    for attempt in range(retries + 1):
        outcome = engine.run_once()
        sent += outcome.sent
        pulled += outcome.pulled
        if outcome.ok or outcome.state in syncstate.ALERT_STATES or attempt == retries:
            break
        time.sleep(engine.next_delay(outcome))
    outcome.sent, outcome.pulled = sent, pulled
    _report(outcome, ctx)


@app.command()
def pull(config: ConfigOption = None) -> None:
    """Fetch master data (products, prices, customers, employees ...) changed since last time."""
    _config, _ctx, engine = _engine(config)
    outcome = _need(engine).pull()
    typer.echo(f"pulled {outcome.pulled} records")
    if not outcome.ok or outcome.error:
        raise fail(f"{outcome.state}: {outcome.error}")


@app.command()
def daemon(config: ConfigOption = None) -> None:
    """Keep syncing in the background (beside the till, e.g. as a systemd service)."""
    from o2pos.core.redact import redact

    _config, ctx, engine = _engine(config)
    engine = _need(engine)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    typer.echo(f"o2pos sync daemon for terminal {ctx.terminal_id} -> {redact(engine.client.url)}")
    last_state = None
    while not stop.is_set():
        outcome = engine.run_once()
        if outcome.state != last_state or outcome.sent:
            typer.echo(redact(f"{outcome.state}: sent {outcome.sent} {outcome.error}".rstrip()))
            last_state = outcome.state
        stop.wait(engine.next_delay(outcome))


@app.command()
def export(
    file: Annotated[Path, typer.Argument(help="File to write (e.g. on a USB stick)")],
    everything: Annotated[
        bool, typer.Option("--all", help="Every event, not only the unacknowledged ones")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Write unsent journal events to a file for `o2pos central import` (long outages)."""
    from o2pos.sync.export import export as write_export

    ctx = context_of(config)
    try:
        count = write_export(ctx, file, everything=everything)
    except OSError as exc:
        raise fail(f"Cannot write {file}: {exc.strerror or exc}") from exc
    typer.echo(f"wrote {count} events to {file}")
