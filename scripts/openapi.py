"""Print the central's OpenAPI schema (pretty JSON, sorted keys), or write docs/openapi.json.

.venv/bin/python scripts/openapi.py            # print it
.venv/bin/python scripts/openapi.py --write    # refresh docs/openapi.json

Building the schema needs no database: ``create_app`` only declares the routes.
``tests/unit/test_protocol_doc.py`` fails when docs/openapi.json is out of date.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "openapi.json"


def schema() -> dict[str, Any]:
    from o2pos.central.api import create_app

    return create_app().openapi()


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"write {OUTPUT.relative_to(ROOT)}")
    args = parser.parse_args()
    text = render(schema())
    if args.write:
        OUTPUT.write_text(text, encoding="utf-8")
        print(f"wrote {OUTPUT.relative_to(ROOT)}")
    else:
        print(text, end="")


if __name__ == "__main__":
    main()
