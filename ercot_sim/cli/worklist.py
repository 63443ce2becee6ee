"""``ercot-sim worklist RUN --for ROLE:DUNS``: a participant's work queue on the morning of a
day of the run (:mod:`ercot_sim.books.worklist`): prioritised items, each with the next action
the market expects, the MarkeTrak issue type to open when that is the way, and its evidence
decoded. ``--json`` prints JSON; ``--bulk-insert DIR`` also writes the MarkeTrak issues the
queue calls for as bulk-insert files (:mod:`ercot_sim.books.bulk`).

Exit codes: 0 an empty queue, 1 items on it, 2 unusable input (no run there, a trace without
the participants' books, a day outside the run, a DUNS not in the run).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the ``worklist`` command."""

    @app.command("worklist")
    def worklist_command(
        run: Annotated[Path, typer.Argument(help="A run's output directory (its trace.sqlite).")],
        party: Annotated[str, typer.Option("--for", help="Whose queue: ROLE:DUNS (CR:223456789) or a DUNS.")],
        day: Annotated[str | None, typer.Option("--day", help="The morning of this day: YYYY-MM-DD or a run day "
                                                              "number (0 = the first); default the day after the "
                                                              "run's last.")] = None,
        settle_days: Annotated[int, typer.Option("--settle-days", min=0, max=60, help="As for reconcile: "
                                                 "variances about the last N days are not worked yet.")] = 7,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
        limit: Annotated[int, typer.Option("--limit", min=1, help="Items shown in the text.")] = 50,
        bulk_insert: Annotated[Path | None, typer.Option("--bulk-insert", help="Also write the MarkeTrak issues the "
                                                         "queue calls for into this new or empty folder: one "
                                                         "bulk-insert CSV per subtype.")] = None,
    ) -> None:
        """What an operations associate at a participant would work that morning."""
        import json
        import sqlite3

        from ercot_sim.books.views import open_run, parse_day
        from ercot_sim.books.worklist import queue_text, worklist
        from ercot_sim.timing.check.sources import CheckInputError

        duns = party.split(":")[-1]
        try:
            trace, facts = open_run(run, duns)
            when = parse_day(day, facts, morning=True)
            items = worklist(trace, duns, when, settle_days)
        except (ValueError, KeyError, OverflowError, sqlite3.Error, CheckInputError) as exc:
            typer.echo(f"ercot-sim worklist: {run}: {exc}", err=True)
            raise typer.Exit(2) from None
        if bulk_insert is not None:
            from ercot_sim.books.bulk import bulk_insert_files

            try:
                files = bulk_insert_files(items, bulk_insert)
            except (ValueError, OSError) as exc:
                typer.echo(f"ercot-sim worklist: {exc}", err=True)
                raise typer.Exit(2) from None
            if not as_json:
                typer.echo(f"bulk insert: {len(files)} file(s) in {bulk_insert}" + "".join(
                    f"\n  {f.name}" for f in files), err=True)
        if as_json:
            typer.echo(json.dumps({"party": duns, "morning": when.isoformat(),
                                   "items": [i.to_dict() for i in items]}, indent=1))
        else:
            typer.echo(queue_text(duns, when, items, limit), nl=False)
        if items:
            raise typer.Exit(1)
