"""Secrets never reach a message, a status row or a log file (issue 12, part 7)."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from o2pos.config import ConfigError, load
from o2pos.core import syncstate
from o2pos.core.redact import redact
from tests.conftest import Store

TOKEN = "o2t_T1_kP3x-Zq9_secretsecretsecretsecret"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (f"Illegal header value b'Bearer {TOKEN} '", "Illegal header value b'Bearer *** '"),
        (f"token {TOKEN} refused", "token o2t_*** refused"),
        ("Authorization: Bearer abc.def-ghi", "Authorization: Bearer ***"),
        ("postgresql://o2pos:s3cret@db:5432/o2pos", "postgresql://o2pos:***@db:5432/o2pos"),
        ("postgresql://o2pos:s3c@ret@db/o2pos", "postgresql://o2pos:***@db/o2pos"),
        ("https://till:pw@central.example/v1", "https://till:***@central.example/v1"),
        ("host=db user=o2pos password=s3cret dbname=x", "host=db user=o2pos password=*** dbname=x"),
        ("password='s3 cret' host=db", "password=*** host=db"),
        ("http://127.0.0.1:8470/v1/journal", "http://127.0.0.1:8470/v1/journal"),
        ("data/central.db", "data/central.db"),
    ],
)
def test_redact_hides_tokens_bearer_values_and_passwords(text: str, shown: str) -> None:
    assert redact(text) == shown


def test_an_error_quoting_the_token_is_stored_and_shown_without_it(store: Store) -> None:
    syncstate.note(
        store.ctx, state="offline", online=False, error=f"Illegal header value b'Bearer {TOKEN}'"
    )
    summary = syncstate.summary(store.ctx)
    assert TOKEN not in summary["last_error"] and "Bearer ***" in summary["last_error"]


def write_config(tmp_path: Path, token: str) -> Path:
    config = tmp_path / "o2pos.toml"
    config.write_text(
        f'[terminal]\ndata_dir = "{tmp_path}"\n[central]\nurl = "http://127.0.0.1:1"\n'
        f'token = "{token}"\n',
        encoding="utf-8",
    )
    return config


def test_spaces_around_a_token_are_dropped_at_load(tmp_path: Path) -> None:
    assert load(write_config(tmp_path, f" {TOKEN} \\n")).central.token == TOKEN


def test_a_token_with_a_space_inside_is_refused_without_quoting_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="copy it again") as refused:
        load(write_config(tmp_path, TOKEN[:10] + " " + TOKEN[10:]))
    assert "secret" not in str(refused.value)


def test_the_till_log_file_is_redacted(tmp_path: Path) -> None:
    from o2pos.tui.app import setup_logging

    path = setup_logging(tmp_path)
    root = logging.getLogger("o2pos")
    handler = root.handlers[-1]
    try:
        try:
            raise RuntimeError(f"Illegal header value b'Bearer {TOKEN}'")
        except RuntimeError:
            logging.getLogger("o2pos.tui").exception("sync round failed with %s", TOKEN)
        handler.flush()
    finally:
        root.removeHandler(handler)
        handler.close()
    text = path.read_text(encoding="utf-8")
    assert "sync round failed with o2t_***" in text and "Bearer ***" in text
    assert "secret" not in text


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://o2pos:s3cretpw@127.0.0.1:1/o2pos",
        "postgresql://o2pos:s3cretpw@127.0.0.1:notaport/o2pos",
        "postgresql://o2pos:s3cretpw@[::1/o2pos",
    ],
)
def test_a_central_database_that_cannot_be_opened_never_prints_its_password(
    tmp_path: Path, url: str
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "o2pos", "central", "stats", "--db", url],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode in (1, 2)
    assert "s3cretpw" not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("error: ") and "o2pos:***@" in done.stderr
