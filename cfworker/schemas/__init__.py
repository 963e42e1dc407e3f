"""JSON Schemas shipped with cfworker: `json-output.schema.json` describes every --json document."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OUTPUT_SCHEMA = Path(__file__).with_name("json-output.schema.json")


def output_schema() -> dict[str, Any]:
    return json.loads(OUTPUT_SCHEMA.read_text(encoding="utf-8"))  # type: ignore[no-any-return]
