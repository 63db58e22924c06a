"""docs/protocol.md and docs/openapi.json keep up with the code they describe."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from o2pos.core.journal import EVENT_TYPES
from o2pos.core.masterdata import KINDS, SCHEMAS

ROOT = Path(__file__).resolve().parents[2]
PROTOCOL = ROOT / "docs" / "protocol.md"
OPENAPI = ROOT / "docs" / "openapi.json"
REGENERATE = "docs/openapi.json is out of date: run .venv/bin/python scripts/openapi.py --write"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("openapi_script", ROOT / "scripts" / "openapi.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return _script().schema()


@pytest.fixture(scope="module")
def doc() -> str:
    return PROTOCOL.read_text(encoding="utf-8")


def _section(doc: str, title: str) -> str:
    """The text under a heading, up to the next heading of the same or a higher level."""
    match = re.search(rf"^(#+) {re.escape(title)}\s*$", doc, re.MULTILINE)
    assert match, f"docs/protocol.md has no section {title!r}"
    level = len(match.group(1))
    rest = doc[match.end() :]
    end = re.search(rf"^#{{1,{level}}} ", rest, re.MULTILINE)
    return rest[: end.start()] if end else rest


def _table_rows(section: str) -> dict[str, str]:
    """First-column names (in backticks) of a Markdown table, with their whole row."""
    return {
        m.group(1): m.group(0)
        for m in re.finditer(r"^\| `([a-z_.]+)` \|.*$", section, re.MULTILINE)
    }


def test_openapi_json_is_current(schema: dict[str, Any]) -> None:
    assert OPENAPI.exists(), REGENERATE
    stored = json.loads(OPENAPI.read_text(encoding="utf-8"))
    assert stored == schema, REGENERATE
    assert OPENAPI.read_text(encoding="utf-8") == _script().render(schema), REGENERATE


def test_every_path_is_documented(schema: dict[str, Any], doc: str) -> None:
    routes = [
        f"{method.upper()} {path}" for path, item in schema["paths"].items() for method in item
    ]
    assert routes
    missing = [route for route in routes if f"`{route}`" not in doc]
    assert not missing, f"docs/protocol.md does not describe {missing}"


def test_every_event_type_is_listed(doc: str) -> None:
    listed = set(_table_rows(_section(doc, "Event types")))
    assert listed >= EVENT_TYPES, f"missing from the table: {sorted(EVENT_TYPES - listed)}"
    assert listed <= EVENT_TYPES, f"not event types any more: {sorted(listed - EVENT_TYPES)}"


def test_every_master_data_kind_is_listed(doc: str) -> None:
    rows = _table_rows(_section(doc, "Kinds"))
    assert set(rows) == set(KINDS), f"kinds table {sorted(rows)} != {sorted(KINDS)}"
    for kind, row in rows.items():
        fields = [name for name in SCHEMAS[kind] if f"`{name}`" not in row]
        assert not fields, f"the {kind} row does not name its data fields {fields}"
