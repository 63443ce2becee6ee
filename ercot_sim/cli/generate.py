"""``ercot-sim generate``: a synthetic feed of the files one participant receives.

A thin layer over :func:`ercot_sim.output.feed.generate_feed`. Exit codes: 0 written, 2 bad
arguments, faults file or scenario (one line on stderr naming file and field).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from edi.errors import EdiError
from ercot_sim.cli._progress import working
from ercot_sim.errors import SimError

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the ``generate`` command."""

    @app.command("generate")
    def generate_command(
        out: Annotated[Path, typer.Option("--out", help="Folder for the feed files and manifest.json.")],
        esiids: Annotated[int, typer.Option("--esiids", min=1, max=2_000_000,
                                            help="ESI IDs in the generated market.")] = 100,
        days: Annotated[int, typer.Option("--days", min=1, max=3660, help="Days to simulate.")] = 30,
        for_party: Annotated[str | None, typer.Option("--for", help="Receiver as ROLE:DUNS, e.g. "
                                                      "CR:123456789 (default: the first CR).")] = None,
        faults: Annotated[Path | None, typer.Option("--faults", help="TOML file of faults to plant "
                                                    "([[faults]] kind, count, code).")] = None,
        fmt: Annotated[str, typer.Option("--format", help="x12, xml (lossless) or json (business "
                                         "models).")] = "x12",
        seed: Annotated[int, typer.Option("--seed", help="Seed of the run and of the fault placement.")] = 1,
        scenario: Annotated[Path | None, typer.Option("--scenario", help="Run this scenario instead of the "
                                                      "generated market (--esiids/--days ignored).")] = None,
    ) -> None:
        """Generate the X12 files one participant would receive, with planted faults listed in a manifest.

        The engine runs a busy generated market (3 TDSPs, 3 CRs); the files delivered to the
        chosen participant are written to --out with manifest.json (files, senders, codes,
        checksums, and each planted fault with file, segment, element and expected finding).
        """
        from ercot_sim.output.feed import generate_feed, load_faults
        from ercot_sim.scenario import load_scenario

        try:
            specs = load_faults(faults) if faults is not None else None
            scen = load_scenario(scenario) if scenario is not None else None
            with working(f"running the market and writing the feed to {out}"):
                result = generate_feed(out, esiids, days, for_party=for_party, faults=specs, fmt=fmt,
                                       seed=seed, scenario=scen)
        except (SimError, EdiError) as exc:
            print(f"ercot-sim generate: {exc}", file=sys.stderr)
            raise typer.Exit(2) from None
        role, duns, name = result.party
        print(f"{len(result.files)} file(s) for {role} {name} ({duns}) in {out}; "
              f"{len(result.faults)} fault(s) planted; manifest: {result.manifest}")
        if not result.files:  # a feed with nothing in it is a mistake in the arguments, not a feed
            print(f"ercot-sim generate: the market sent {role} {name} nothing in {days} day(s) of {esiids} ESI "
                  "ID(s); give more --esiids or --days (about 50 ESI IDs and 10 days send something to every party)",
                  file=sys.stderr)
            raise typer.Exit(2)
