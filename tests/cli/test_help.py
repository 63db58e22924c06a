"""Every help text of the o2pos command reads as it was written, brackets and all.

The help was once rendered as Rich markup, which took ``[web]`` in ``pip install
'o2pos[web]'`` for a style tag and dropped it. These tests read ``--help`` from real
processes, as a user does, and look for every text the code gives.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer

from o2pos.commands.app import app


def _help(tmp_path: Path, *path: str) -> str:
    env = {**os.environ, "COLUMNS": "80"}
    done = subprocess.run(
        [sys.executable, "-m", "o2pos", *path, "--help"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    # click wraps at hyphens too ("re-" at the end of a line, "registers" on the next)
    return re.sub(r"-\n\s+", "-", done.stdout)


def _words(text: str) -> str:
    return " ".join(text.split())


def _commands() -> list[tuple[tuple[str, ...], Any]]:
    """Every command and group of the tree, with the words that lead to it."""
    found: list[tuple[tuple[str, ...], Any]] = []

    def walk(path: tuple[str, ...], command: Any) -> None:
        found.append((path, command))
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                walk((*path, name), sub)

    walk((), typer.main.get_command(app))
    return found


def test_o2pos_help_shows_the_web_extra_and_whole_lines(tmp_path: Path) -> None:
    out = _help(tmp_path)
    assert "pip install 'o2pos[web]'" in _words(out)
    assert "pip install 'o2pos')" not in out
    # a command's summary is shown whole, not cut at the screen's edge with "..."
    assert "..." not in out.split("Commands:")[1]
    for line in out.splitlines():
        assert len(line) <= 80, line


@pytest.mark.parametrize(
    "path", [path for path, _ in _commands()], ids=lambda p: " ".join(p) or "o2pos"
)
def test_every_help_text_shows_as_written(tmp_path: Path, path: tuple[str, ...]) -> None:
    command = dict(_commands())[path]
    texts = [command.help or ""]
    texts += [getattr(param, "help", None) or "" for param in command.params]
    out = _words(_help(tmp_path, *path))
    for text in filter(None, texts):
        assert _words(text) in out, f"{' '.join(path)}: {text!r} is not in its --help"
    if hasattr(command, "commands"):
        for name, sub in command.commands.items():
            summary = (sub.help or "").strip().split("\n\n")[0]
            assert _words(f"{name} {summary}") in out
