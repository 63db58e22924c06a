"""Build a sync engine from the till's config (None when no central is configured)."""

from __future__ import annotations

from pathlib import Path

from o2pos.config import CentralConfig
from o2pos.core.context import Context

from .client import CentralClient
from .engine import SyncEngine


def make_engine(ctx: Context, central: CentralConfig) -> SyncEngine | None:
    """The till and the sync commands build it the same way from ``[central]``; raises
    ``SyncError`` of kind ``config`` when the settings cannot be used (a missing ca_bundle)."""
    if not central.url:
        return None
    client = CentralClient(
        central.url,
        central.token,
        ca_bundle=central.ca_bundle,
        timeout=float(central.timeout_seconds),
    )
    return SyncEngine(
        ctx,
        client,
        lock_path=lock_path(ctx),
        key=central.key,
        batch_size=central.batch_size,
        interval=float(central.interval_seconds),
    )


def lock_path(ctx: Context) -> Path:
    return ctx.settings.terminal.data_dir / "sync.lock"
