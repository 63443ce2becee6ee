"""``ercot-sim marketrak RUN``: the MarkeTrak issues the simulated participants opened in a run
(:mod:`ercot_sim.books.marketrak`): subtype, ESI ID, submitter, assignee, state and each state
change; ``--types`` lists the issue types and states the simulator knows, each marked confirmed
or assumed with its source.

Exit codes: 0 (every issue put right, or none), 1 (issues still open, escalated or
unexecutable), 2 (unusable input).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the ``marketrak`` command."""

    @app.command("marketrak")
    def marketrak_command(
        run: Annotated[Path | None, typer.Argument(help="A run's output directory (its trace.sqlite).")] = None,
        types: Annotated[bool, typer.Option("--types", help="List the issue types and states instead.")] = False,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """The MarkeTrak issues of a run, with their states; or the issue types the simulator knows."""
        import json
        import sqlite3

        from ercot_sim.books.marketrak import catalog, read_issues

        if types:
            cat = catalog()
            if as_json:
                typer.echo(json.dumps(cat.model_dump(), indent=1))
                return
            typer.echo("states:")
            for st in cat.states:
                typer.echo(f"  {st.name:<18} {st.status:<9} {st.meaning} [{st.source}]")
            typer.echo(f"escalation: New for more than {cat.escalation.new_business_days} business days "
                       f"({cat.escalation.status}: {cat.escalation.source})")
            typer.echo("issue types (worked by the simulator: those with a code):")
            for sub in cat.subtypes:
                worked = f", worked as {sub.code}" if sub.code else ""
                typer.echo(f"  {sub.name:<32} {sub.family:<4} {sub.submitter} -> {sub.assignee}{worked} "
                           f"({sub.status}: {sub.source})")
            return
        trace = run / "trace.sqlite" if run is not None and run.is_dir() else run
        try:
            if trace is None or not trace.is_file():
                raise ValueError("give a run's output directory (its trace.sqlite), or --types")
            issues = read_issues(trace)
        except (ValueError, sqlite3.Error) as exc:
            typer.echo(f"ercot-sim marketrak: {run}: {exc}", err=True)
            raise typer.Exit(2) from None
        if as_json:
            typer.echo(json.dumps([i.to_dict() for i in issues], indent=1))
        else:
            typer.echo(f"{len(issues)} MarkeTrak issue(s) in {run}")
            for i in issues:
                flag = ", escalated" if i.escalated else ""
                typer.echo(f"{i.ref}  {i.subtype}  ESI ID {i.esi_id}  {i.submitter} -> {i.assignee or 'ERCOT'}: "
                           f"{i.state}{flag}")
                for at, state, by in i.history:
                    typer.echo(f"    {at:%Y-%m-%d %H:%M}  {state:<16} by {by}")
        if any(i.state != "Complete" or i.escalated for i in issues):
            raise typer.Exit(1)
