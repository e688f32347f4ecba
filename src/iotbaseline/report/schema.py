"""The JSON Schema of ``assessment.json``, generated from the pydantic models so the two can
never drift. ``docs/assessment.schema.json`` is this function's output (a test compares them);
regenerate it with ``python -m iotbaseline.report.schema docs/assessment.schema.json``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from iotbaseline.model import ASSESSMENT_SCHEMA, Assessment

SCHEMA_ID = "urn:iotbaseline:schema:assessment:1"


def assessment_json_schema() -> dict[str, Any]:
    """Draft 2020-12 schema of what ``Assessment.to_json()`` writes."""
    generated = Assessment.model_json_schema(by_alias=True, mode="serialization")
    generated["properties"]["schema"] = {
        "const": ASSESSMENT_SCHEMA,
        "default": ASSESSMENT_SCHEMA,
        "title": "Schema",
        "description": "Version of this file format.",
    }
    generated["required"] = sorted({*generated.get("required", []), "schema"})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **generated,
        "title": "iotbaseline assessment",
        "description": (
            "Verdicts per requirement of each baseline catalog with the findings, check "
            "outcomes, probe observations, components and declarations they rest on."
        ),
    }


def schema_text() -> str:
    """The schema exactly as shipped in docs/ (stable key order, trailing newline)."""
    return json.dumps(assessment_json_schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m iotbaseline.report.schema OUTPUT.json", file=sys.stderr)
        return 2
    Path(argv[0]).write_text(schema_text(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
