"""``ercot-sim compare``: one scenario and seed under two rule sets, and a table of what changed.

A thin layer over :func:`ercot_sim.compare.compare_rules`. Exit codes: 0 the comparison ran
(whatever it shows), 2 unusable scenario, rules file or arguments (one line on stderr).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from edi.errors import EdiError
from ercot_sim.cli._progress import working_steps
from ercot_sim.errors import SimError

__all__ = ["register", "run_compare"]


def run_compare(scenario: Path, rules: list[Path], seed: int | None = None, as_json: bool = False,
                html: Path | None = None, out: Path | None = None, everything: bool = False) -> int:
    """Run the comparison, print it, write the HTML page; returns the exit code."""
    from ercot_sim.compare import compare_rules

    if len(rules) != 2:
        print(f"ercot-sim compare: give --rules exactly twice (A and B), got {len(rules)}", file=sys.stderr)
        return 2
    for path in (scenario, *rules):
        if not path.is_file():
            print(f"ercot-sim compare: {path}: file not found", file=sys.stderr)
            return 2
    try:
        with working_steps(f"comparing {scenario.name}") as step:
            result = compare_rules(scenario, rules[0], rules[1], seed=seed, out=out, progress=step)
    except (SimError, EdiError) as exc:
        print(f"ercot-sim compare: {exc}", file=sys.stderr)
        return 2
    if html is not None:
        try:
            html.write_text(result.to_html(), encoding="utf-8")
        except OSError as exc:
            print(f"ercot-sim compare: {html}: cannot write: {exc.strerror}", file=sys.stderr)
            return 2
    print(result.to_json() if as_json else result.to_text(everything))
    return 0


def register(app: typer.Typer) -> None:
    """Add the ``compare`` command."""

    @app.command("compare")
    def compare_command(
        scenario: Annotated[Path, typer.Argument(help="Scenario TOML file.")],
        rules: Annotated[list[Path], typer.Option("--rules", help="Rules file; give it twice: A then B "
                                                                  "(each applied over the shipped rules).")],
        seed: Annotated[int | None, typer.Option("--seed",
                                                 help="Seed for both runs (default: the scenario's).")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print both runs and the changes as JSON.")] = False,
        html: Annotated[Path | None, typer.Option("--html", help="Also write an HTML page with every row.")] = None,
        out: Annotated[Path | None, typer.Option("--out", help="Keep the runs in OUT/a and OUT/b.")] = None,
        everything: Annotated[bool, typer.Option("--all", help="Show unchanged rows too (text output).")] = False,
    ) -> None:
        """Run a scenario under two rule sets with the same seed and show what changed: completion
        times (business days p50/p90/max), orders by end state, violations per rule, transactions by code.

        Exit code 0 when the comparison ran, 2 when the scenario, a rules file or the arguments
        cannot be used.
        """
        raise typer.Exit(run_compare(scenario, rules, seed, as_json, html, out, everything))
