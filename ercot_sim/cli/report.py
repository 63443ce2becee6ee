"""``ercot-sim report``: a run's HTML report (sequence diagrams, compliance, volumes).

A thin layer over :func:`ercot_sim.report.write_report`. Exit codes: 0 report written and no
timing violation, 1 report written with violations, 2 unusable run directory or rules file.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from edi.errors import EdiError
from ercot_sim.cli._progress import working
from ercot_sim.errors import SimError

__all__ = ["register", "run_report"]


def run_report(run_dir: Path, html: Path | None, rules: Path | None = None, max_diagrams: int = 12,
               esi_ids: list[str] | None = None, flows: list[str] | None = None) -> int:
    """Build the report of ``run_dir``, write it to ``html``, print a summary; return the exit code."""
    from ercot_sim.report import load_report_data, render_report

    try:
        with working(f"reading {run_dir} and checking its timing"):
            data = load_report_data(run_dir, None, rules, max_diagrams, esi_ids or (), flows or ())
        page = render_report(data)
        if html is not None:
            html.parent.mkdir(parents=True, exist_ok=True)
            html.write_bytes(page)
    except (SimError, EdiError) as exc:
        print(f"ercot-sim report: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"ercot-sim report: {html}: cannot write ({exc.strerror})", file=sys.stderr)
        return 2
    check = data.check
    failed = sum(1 for r in check.rules if r.passed is False)
    print(f"{data.run.get('scenario', run_dir)}: {sum(data.volumes.values()):,} transactions, "
          f"{data.esi_total:,} ESI IDs, {len(check.violations):,} timing violation(s), "
          f"{failed} rule(s) below target; diagrams for {len(data.diagrams)} ESI ID(s)")
    if data.check_kept:
        print("compliance: the run's own check, kept in its trace for these rules")
    if html is not None:
        print(f"report written to {html} ({len(page):,} bytes)")
    else:
        print("no report written: give --html FILE to write the HTML report")
    return 1 if check.violations else 0


def register(app: typer.Typer) -> None:
    """Add the ``report`` command."""

    @app.command("report")
    def report_command(
        run_dir: Annotated[Path, typer.Argument(help="A run's output directory (trace.sqlite, or shard-*/) "
                                                     "or a trace database.")],
        html: Annotated[Path | None, typer.Option("--html", help="Write the self-contained HTML report "
                                                                  "to this file.")] = None,
        rules: Annotated[Path | None, typer.Option("--rules", help="Rules file applied over the shipped "
                                                                   "rules (deadlines and compliance).")] = None,
        max_diagrams: Annotated[int, typer.Option("--max-diagrams", min=0, help="Draw sequence diagrams for "
                                                  "at most this many ESI IDs (violations first).")] = 12,
        esi_id: Annotated[list[str] | None, typer.Option("--esi-id", help="Draw the sequence diagram of this "
                                                         "ESI ID (repeatable; replaces the automatic choice).")] = None,
        flow: Annotated[list[str] | None, typer.Option("--flow", help="Draw only ESI IDs with an order of this "
                                                       "kind: switch, move_in, move_out ... (repeatable).")] = None,
    ) -> None:
        """Report on a run: sequence diagrams per ESI ID, compliance per rule, volumes per day.

        Exit code 0 when no timing rule is broken, 1 when there are violations, 2 when the run
        directory or the rules file cannot be used.
        """
        raise typer.Exit(run_report(run_dir, html, rules, max_diagrams, esi_id, flow))
