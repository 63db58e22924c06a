"""``o2pos serve-web``: the till in a browser (textual-serve), for a thin client with a browser.

It binds to 127.0.0.1 unless told otherwise and has no login of its own beyond the till's
PINs: put it behind an authenticating, TLS-terminating proxy before letting anyone else
reach it (docs/deployment.md).
"""

from __future__ import annotations

import shlex
import sys
from typing import Annotated

import typer

from .common import ConfigOption, config_of, fail


def serve_web(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port")] = 8000,
    public_url: Annotated[
        str | None, typer.Option(help="The URL browsers use, when behind a proxy")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Serve the till to a web browser (needs the web extra: pip install 'o2pos[web]')."""
    try:
        from textual_serve.server import Server
    except ImportError as exc:
        raise fail(f"serve-web needs the web extra: pip install 'o2pos[web]' ({exc})") from exc
    settings = config_of(config)  # refuse a bad config here, not in every browser session
    command = [sys.executable, "-m", "o2pos", "run"]
    if settings.source is not None:
        command += ["--config", str(settings.source.resolve())]
    if host not in ("127.0.0.1", "localhost", "::1"):
        typer.echo(
            f"warning: serving on {host}: put an authenticating proxy in front of it", err=True
        )
    Server(shlex.join(command), host=host, port=port, title="o2pos", public_url=public_url).serve()
