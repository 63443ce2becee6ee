"""``ercot-sim reconcile RUN``: every participant's view of who serves each ESI ID held
against ERCOT's registry, as of a day of the run (:mod:`ercot_sim.books.reconcile`).

Each variance names the ESI ID, whose view, ERCOT's value and the participant's, since when
(and until when, for one already put right), its kind, the probable cause and the
transactions around it. ``--json`` prints JSON, ``--csv FILE`` writes one row per variance.

Exit codes: 0 no variance, 1 variances found, 2 unusable input (no run there, a trace without
the participants' books, a day outside the run).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the ``reconcile`` command."""

    @app.command("reconcile")
    def reconcile_command(
        run: Annotated[Path, typer.Argument(help="A run's output directory (its trace.sqlite).")],
        day: Annotated[str | None, typer.Option("--day", help="The day to compare as of: YYYY-MM-DD or a run day "
                                                              "number (0 = the first); default the run's last "
                                                              "day.")] = None,
        settle_days: Annotated[int, typer.Option("--settle-days", min=0, max=60, help="Leave out the last N days' "
                                                 "effective dates: the others learn of a change through reads a "
                                                 "few business days later.")] = 7,
        party: Annotated[str | None, typer.Option("--for", help="Only this participant's variances (DUNS, or "
                                                                "ROLE:DUNS).")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
        csv_file: Annotated[Path | None, typer.Option("--csv", help="Also write the variances as CSV.")] = None,
        limit: Annotated[int, typer.Option("--limit", min=0, help="Transactions shown per variance in the "
                                                                  "text.")] = 8,
    ) -> None:
        """Where each participant's view of who serves an ESI ID differs from ERCOT's."""
        import csv
        import json
        import sqlite3

        from ercot_sim.books.reconcile import reconcile
        from ercot_sim.books.views import open_run, parse_day

        try:
            trace, facts = open_run(run, party.split(":")[-1] if party else None)
            when = parse_day(day, facts)
            variances = reconcile(trace, when, settle_days, party.split(":")[-1] if party else None)
        except (ValueError, KeyError, OverflowError, sqlite3.Error) as exc:
            typer.echo(f"ercot-sim reconcile: {run}: {exc}", err=True)
            raise typer.Exit(2) from None
        settled = when - dt.timedelta(days=settle_days)
        if csv_file is not None:
            with csv_file.open("w", newline="", encoding="utf-8") as sheet:
                w = csv.writer(sheet)
                w.writerow(["esi_id", "party", "role", "field", "ercot", "theirs", "from", "to", "kind", "cause",
                            "faults"])
                for v in variances:
                    d = v.to_dict()
                    w.writerow([v.esi_id, v.party, v.role, v.field, v.ercot, v.theirs, d["from"], d["to"] or "",
                                v.kind, v.cause, "; ".join(f"{x.code} {x.fault}" for x in v.faults)])
        if as_json:
            typer.echo(json.dumps({"day": when.isoformat(), "settled_to": settled.isoformat(),
                                   "variances": [v.to_dict() for v in variances]}, indent=1))
        else:
            typer.echo(f"reconcile {run} as of {when} (effective dates to {settled}): "
                       f"{len(variances)} variance(s)")
            for v in variances:
                until = f"to {v.end}" if v.end else "still open"
                ercot = v.ercot or "none"
                theirs = v.theirs or "none"
                if v.role == "CR":
                    ercot, theirs = ("serves" if v.ercot == "1" else "does not serve",
                                     "serves" if v.theirs == "1" else "does not serve")
                typer.echo(f"{v.esi_id}  {v.role} {v.party}  {v.field}: ERCOT says {ercot}, the participant "
                           f"{theirs}; from {v.start} {until}: {v.kind}")
                typer.echo(f"    cause: {v.cause}")
                for e in v.evidence[-limit:] if limit else ():
                    typer.echo(f"    {e.line()}")
                for f in v.faults:
                    if not f.file:  # kept from being sent: not among the transactions
                        typer.echo(f"    {f.line()}")
        if variances:
            raise typer.Exit(1)
