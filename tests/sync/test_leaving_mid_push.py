"""Leaving the till while a push is on its way: the till in tmux, a real central behind the
fault proxy, which holds the push so that the test knows it is in flight."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from tests.sync.conftest import Central, shop
from tests.sync.faultproxy import FaultProxy
from tests.tui.test_tmux_e2e import leave_while_asking


def test_leaving_the_till_while_a_push_waits_for_its_answer_quits_at_once(
    tmp_path: Path, central: Central
) -> None:
    """The push runs in a thread of its own beside the round (the next batch is read while
    one is in flight). That thread was a thread pool's, which the interpreter waits for at
    exit: ctrl+e closed the screen, and the till's process stayed for the request's whole
    timeout (13 s by default; 120 s here) before the shell, or a kiosk's restart, came
    back. The answer is not needed: the batch is sent again next time and stored once."""
    name, token = central.register(store=shop())
    parts = urlparse(central.url)
    with FaultProxy((parts.hostname or "127.0.0.1", parts.port or 80)) as proxy:
        push = proxy.hold("POST", "/v1/journal")
        config = (
            f'[terminal]\nid = "{name}"\n\n[central]\nurl = "{proxy.url}"\n'
            f'token = "{token}"\nkey = "{central.key_of(name)}"\ntimeout_seconds = 120\n'
        )
        try:
            leave_while_asking(tmp_path, config, push.wait)
        finally:
            push.release(forward=False)
    central.bind()
    assert central.events(name) == []  # the held batch never reached the central
