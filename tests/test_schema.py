"""The JSON Schemas shipped in docs/ are the ones the models export today."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ercot_sim.cli import app
from ercot_sim.cli.schema import schema_json

DOCS = Path(__file__).resolve().parent.parent / "docs"


@pytest.mark.parametrize("kind", ["scenario", "rules", "flight"])
def test_committed_schema_is_current(kind: str) -> None:
    committed = (DOCS / f"{kind}.schema.json").read_text(encoding="utf-8")
    assert committed == schema_json(kind), f"regenerate: ercot-sim schema {kind} --out docs/{kind}.schema.json"


def test_scenario_schema_describes_the_file() -> None:
    schema = json.loads(schema_json("scenario"))
    assert schema["type"] == "object"
    assert schema.get("additionalProperties") is False
    assert "population" in schema["properties"]


def test_unknown_kind_exits_2() -> None:
    result = CliRunner().invoke(app, ["schema", "nope"])
    assert result.exit_code == 2
    assert "unknown file kind" in result.output
