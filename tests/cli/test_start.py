"""``o2pos`` and ``o2pos run`` start the till without typer (``o2pos.cli``); any other
command line, mistakes and ``--help`` included, is typer's to read and answer as before."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from o2pos.cli import till_args


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], (False, None)),
        (["run"], (False, None)),
        (["run", "--kiosk"], (True, None)),
        (["run", "--config", "a.toml"], (False, Path("a.toml"))),
        (["run", "-c", "a.toml", "--kiosk"], (True, Path("a.toml"))),
        (["run", "--config=a.toml"], (False, Path("a.toml"))),
        (["run", "--config", "a.toml", "--config", "b.toml"], (False, Path("b.toml"))),
    ],
)
def test_the_till_s_own_arguments_are_read_without_typer(
    args: list[str], expected: tuple[bool, Path | None]
) -> None:
    assert till_args(args) == expected


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["--kiosk"],  # not an option of bare `o2pos`: typer says so
        ["run", "--help"],
        ["run", "--nope"],
        ["run", "extra"],
        ["run", "--config"],
        ["run", "--config", "--kiosk"],
        ["run", "--config="],
        ["run", "-ca.toml"],
        ["init", "--demo"],
        ["report", "x"],
    ],
)
def test_anything_else_is_typer_s(args: list[str]) -> None:
    assert till_args(args) is None


def test_a_shell_completing_a_word_goes_to_typer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_O2POS_COMPLETE", "bash_complete")
    assert till_args(["run"]) is None


def test_typer_still_answers_the_till_s_help_and_mistakes(tmp_path: Path) -> None:
    def o2pos(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "o2pos", *args], cwd=tmp_path, capture_output=True, text=True
        )

    shown = o2pos("run", "--help")
    assert shown.returncode == 0 and "--kiosk" in shown.stdout and "--config" in shown.stdout
    wrong = o2pos("run", "--nope")
    assert wrong.returncode == 2 and "No such option: --nope" in wrong.stderr


def test_the_till_s_own_errors_keep_their_line_and_exit_code(tmp_path: Path) -> None:
    """Started without typer, the till still fails as the typer command did: one line, the
    documented exit code."""

    def o2pos(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "o2pos", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
        )

    missing = o2pos("run", "--config", "nowhere.toml")
    assert missing.returncode == 2
    assert missing.stderr.strip() == "error: Config file nowhere.toml does not exist"
    no_db = o2pos("run")
    assert no_db.returncode == 1 and no_db.stderr.startswith("error: No till database at ")
    subprocess.run(
        [sys.executable, "-m", "o2pos", "init", "--demo"], cwd=tmp_path, capture_output=True
    )
    no_tty = o2pos()
    assert no_tty.returncode == 2
    assert no_tty.stderr.strip() == "error: o2pos run needs a terminal (over SSH: ssh -t)"
