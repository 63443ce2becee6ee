"""``ercot-sim flight``: scripted retail market testing of a participant's system.

``flight run FLIGHT --under-test CR:DUNS --out DIR`` plays the flight's market (ERCOT, the test
bed's TDSP and the incumbent) against the system under test over ``ercot-sim serve``'s folder
exchange, window by window, grades every step and writes the qualification report
(``DIR/flight.txt``, ``flight.json``, ``flight.html``). ``--reference`` plays the party with the
project's own logic for its role, CR or TDSP (``--reference-faults FILE`` plants faults in it:
``[[faults]]`` tables naming ``participant = "PARTY"``). ``--transport edm`` exchanges over
NAESB EDM posts instead of folders. ``--track NAME`` retests one track alone. ``flight show``
lists a flight's tracks and steps.

Exit codes: 0 every track passed, 1 a step failed or is pending, 2 unusable input (a flight
file's error names the file, the line and the field) or the party did not answer in time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ercot_sim.errors import SimError

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the ``flight`` commands."""
    flight = typer.Typer(help="Scripted retail market testing (flights) of a participant's system.",
                         no_args_is_help=True)
    app.add_typer(flight, name="flight")

    @flight.command("run")
    def run_command(
        script: Annotated[Path, typer.Argument(help="The flight (TOML), e.g. scenarios/flights/cr.toml.")],
        under_test: Annotated[str, typer.Option("--under-test", help="The system under test: ROLE:DUNS "
                                                                     "(CR:223456789).")],
        out: Annotated[Path, typer.Option("--out", help="Where the run goes (exchange/, market/, the reports).")],
        reference: Annotated[bool, typer.Option("--reference", help="Play the party with the project's own "
                                                                    "logic for its role (to prove the flight).")
                             ] = False,
        reference_faults: Annotated[Path | None, typer.Option("--reference-faults", help="Plant these [[faults]] "
                                                                                         "(participant = \"PARTY\") "
                                                                                         "in the reference party.")
                                    ] = None,
        track: Annotated[list[str] | None, typer.Option("--track", help="Run only this track (repeatable): a "
                                                                        "retest.")] = None,
        timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for the party's window.")] = 120,
        as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
        transport: Annotated[str, typer.Option("--transport", help="folders (the exchange folder) or edm (NAESB "
                                                                   "EDM 1.6 posts, window by window).")] = "folders",
        listen: Annotated[int, typer.Option("--listen", help="edm: the port the market's receiver listens on (0: "
                                                             "any free port, printed).")] = 0,
        peer: Annotated[str, typer.Option("--peer", help="edm: the party's receiver URL (a reference party gets "
                                                         "one of its own).")] = "",
        secret: Annotated[str, typer.Option("--secret", help="edm: the password of every DUNS's login.")
                          ] = "flight",
    ) -> None:
        """Play a flight against a participant's system and grade every step."""
        import json

        from ercot_sim.flight.report import to_dict, to_text, write_reports
        from ercot_sim.flight.run import run_flight
        from ercot_sim.flight.script import check_party, load_faults, load_flight

        role, _, duns = under_test.rpartition(":")
        try:
            flight_ = load_flight(script)
            check_party(flight_, role, duns)
            faults = ""
            if reference_faults is not None:
                if not reference:
                    raise SimError("--reference-faults plants faults in the reference party: give --reference too")
                faults = load_faults(reference_faults, flight_)

            if transport not in ("folders", "edm"):
                raise SimError(f"unknown transport {transport!r}: folders or edm")

            def ready(exchange: Path) -> None:
                if not reference and transport == "folders":
                    typer.echo(f"the system under test exchanges through {exchange / duns}/ (inbox, outbox: "
                               "see docs/quickstart-flight.md)", err=True)

            run = run_flight(flight_, duns, out, reference=reference, faults=faults, tracks=track or None,
                             timeout=timeout, on_ready=ready, transport=transport, listen=listen, peer_url=peer,
                             secret=secret, on_url=lambda url: typer.echo(f"the market receives on {url}", err=True))
        except SimError as exc:
            typer.echo(f"ercot-sim flight run: {exc}", err=True)
            raise typer.Exit(2) from None
        write_reports(run)
        typer.echo(json.dumps(to_dict(run), indent=1) if as_json else to_text(run), nl=not as_json)
        if run.verdict != "passed":
            raise typer.Exit(1)

    @flight.command("show")
    def show_command(
        script: Annotated[Path, typer.Argument(help="The flight (TOML).")],
    ) -> None:
        """List a flight's tracks and their steps (who sends what to whom, graded how)."""
        from ercot_sim.flight.script import load_flight

        try:
            f = load_flight(script)
        except SimError as exc:
            typer.echo(f"ercot-sim flight show: {exc}", err=True)
            raise typer.Exit(2) from None
        typer.echo(f"{f.flight.name}: {f.flight.role}, {len(f.tracks)} tracks, {f.flight.days} days from "
                   f"{f.flight.start.isoformat()}")
        for t in f.tracks:
            typer.echo(f"{t.name} ({t.source}): {t.title}")
            for n, s in enumerate(t.steps, 1):
                what = f"{s.code} ({s.acknowledges})" if s.acknowledges else s.code
                graded = f"  [{s.rule}]" if s.rule else ""
                typer.echo(f"  {n}. {what} {s.sender} -> {s.receiver}{graded}")
