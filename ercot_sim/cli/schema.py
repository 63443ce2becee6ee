"""``ercot-sim schema``: the JSON Schema of scenario and rules files, for editors.

The schemas are exported from the same pydantic models that load the files, so an editor
that checks a scenario against ``docs/scenario.schema.json`` agrees with ``ercot-sim run``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = ["register", "schema_json"]

KINDS = ("scenario", "rules", "flight")


def schema_json(kind: str) -> str:
    """The JSON Schema of a ``scenario``, ``rules`` or ``flight`` file as deterministic, indented JSON."""
    from pydantic import BaseModel

    model: type[BaseModel]
    if kind == "scenario":
        from ercot_sim.scenario import Scenario

        model = Scenario
    elif kind == "rules":
        from ercot_sim.timing.rules import RulesFile

        model = RulesFile
    elif kind == "flight":
        from ercot_sim.flight.script import Flight

        model = Flight
    else:
        raise ValueError(f"unknown schema {kind!r}: expected one of {', '.join(KINDS)}")
    schema: dict[str, Any] = model.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://ercot-sim.invalid/{kind}.schema.json"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def register(app: typer.Typer) -> None:
    """Add the ``schema`` command."""

    @app.command("schema")
    def schema_command(
        kind: Annotated[str, typer.Argument(help="Which file: scenario, rules or flight.")] = "scenario",
        out: Annotated[Path | None, typer.Option("--out", help="Write the schema to this file instead of "
                                                               "standard output.")] = None,
    ) -> None:
        """Print the JSON Schema of scenario, rules or flight files (for editors that check TOML)."""
        if kind not in KINDS:
            typer.echo(f"ercot-sim schema: unknown file kind {kind!r}; expected one of: {', '.join(KINDS)}", err=True)
            raise typer.Exit(2)
        text = schema_json(kind)
        if out is None:
            typer.echo(text, nl=False)
        else:
            out.write_text(text, encoding="utf-8")
