"""``ercot-sim books RUN --for ROLE:DUNS``: a participant's system of record on a day of the run
(:mod:`ercot_sim.books.record`), built only from what it sent and received: a CR's customers
and since when, its open requests, last usage and invoices; a TDSP's or ERCOT's REP of record
per ESI ID. ``--json`` prints JSON.

Exit codes: 0, or 2 for unusable input (no run there, a trace without books, a day outside the run).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the ``books`` command."""

    @app.command("books")
    def books_command(
        run: Annotated[Path, typer.Argument(help="A run's output directory (its trace.sqlite).")],
        party: Annotated[str, typer.Option("--for", help="Whose records: ROLE:DUNS (CR:223456789) or a DUNS.")],
        day: Annotated[str | None, typer.Option("--day", help="At the end of this day: YYYY-MM-DD or a run day "
                                                              "number (0 = the first); default the last.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """A participant's own records (its system of record) on a day of the run."""
        import json
        import sqlite3

        from ercot_sim.books.record import system_of_record
        from ercot_sim.books.views import open_run, parse_day

        try:
            duns = party.split(":")[-1]
            trace, facts = open_run(run, duns)
            when = parse_day(day, facts)
            role = party.split(":")[0].upper() if ":" in party else None
            if role is not None and role not in ("CR", "TDSP", "ERCOT"):
                raise ValueError(f"--for {party}: the role is CR, TDSP or ERCOT")
            record = system_of_record(trace, duns, when, role)
        except (ValueError, KeyError, OverflowError, sqlite3.Error) as exc:
            typer.echo(f"ercot-sim books: {run}: {exc}", err=True)
            raise typer.Exit(2) from None
        typer.echo(json.dumps(record.to_dict(), indent=1) if as_json else record.to_text(), nl=as_json)
