"""Build a sync engine from the till's config (None when no central is configured)."""

from __future__ import annotations

from pathlib import Path

from o2pos.core.context import Context

from .client import CentralClient
from .engine import SyncEngine


def make_engine(
    ctx: Context,
    *,
    url: str,
    token: str,
    key: str = "",
    ca_bundle: str = "",
    timeout: float = 10.0,
    batch_size: int = 200,
    interval: float = 5.0,
) -> SyncEngine | None:
    if not url:
        return None
    client = CentralClient(url, token, ca_bundle=ca_bundle, timeout=timeout)
    return SyncEngine(
        ctx,
        client,
        lock_path=lock_path(ctx),
        key=key,
        batch_size=batch_size,
        interval=interval,
    )


def lock_path(ctx: Context) -> Path:
    return ctx.settings.terminal.data_dir / "sync.lock"
