"""The scenario a flight is played from: the test bed's market (ERCOT, its TDSP, the incumbent
and the party, ``PARTY``, with the DUNS of the system under test), its ESI IDs served by the
incumbent at the start, each track's ``do`` as the party's events and its ``plant`` as faults of
the simulator's participants. In a TDSP's flight the party is the TDSP, and the test bed's
newcomer CR acts."""

from __future__ import annotations

import json
from typing import Any

from ercot_sim.flight.script import PARTY, Flight

__all__ = ["PARTY", "scenario_toml"]


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    return json.dumps(str(v))


def scenario_toml(flight: Flight, party_duns: str, tracks: list[str] | None = None,
                  faults: str = "") -> str:
    """The scenario of ``flight`` with the party at ``party_duns``: every track, or those named
    in ``tracks``; ``faults`` is TOML of ``[[faults]]`` tables appended (a deliberately faulty
    reference party)."""
    info, bed = flight.flight, flight.testbed
    tdsp = (PARTY, party_duns) if info.role == "TDSP" else (bed.tdsp.name, bed.tdsp.duns)
    actor = (bed.newcomer.name, bed.newcomer.duns) if bed.newcomer is not None else (PARTY, party_duns)
    lines = ["[scenario]", f"name = {_value(info.name)}", f"description = {_value(info.description or info.name)}",
             f"start = {info.start.isoformat()}", f"days = {info.days}", "seed = 1", "",
             "[[participants.tdsps]]", f"name = {_value(tdsp[0])}", f"duns = {_value(tdsp[1])}",
             f"esi_prefix = {_value(bed.tdsp.esi_prefix)}", 'status = "confirmed"', "",
             "[[participants.crs]]", f"name = {_value(bed.incumbent.name)}", f"duns = {_value(bed.incumbent.duns)}",
             "share = 1.0", 'roles = ["AREP"]', "",
             "[[participants.crs]]", f"name = {_value(actor[0])}", f"duns = {_value(actor[1])}", "share = 0.0",
             *([f"roles = [{', '.join(_value(r) for r in info.party_roles)}]"] if info.party_roles else []), "",
             "[population]", f"esi_ids = {bed.esi_ids}", "energized = 1.0", ""]
    for track in flight.tracks:
        if tracks is not None and track.name not in tracks and not track.connectivity:
            continue  # a retest plays the connectivity test again, then the tracks named
        for item in track.do:
            lines.append("[[events]]")
            lines += [f"{'esi_index' if k == 'esi' else k} = {_value(v)}" for k, v in item.items() if k != "actor"]
            if item.get("kind") == "esi_create":  # the premise is the test bed TDSP's
                lines += [f"tdsp = {_value(tdsp[0])}", ""]
            else:
                cr = bed.incumbent.name if item.get("actor") == "incumbent" else actor[0]
                lines += [f"cr = {_value(cr)}", ""]
    sim = {"ERCOT": "ERCOT", "TDSP": bed.tdsp.name, "incumbent": bed.incumbent.name, "newcomer": actor[0]}
    for track in flight.tracks:
        if tracks is not None and track.name not in tracks and not track.connectivity:
            continue
        for pl in track.plant:
            lines += ["[[faults]]", f"kind = {_value(pl.kind)}", f"participant = {_value(sim[pl.by])}",
                      f"esi_index = {pl.esi}", *([f"code = {_value(pl.code)}"] if pl.code else []), ""]
    if info.incumbent_defaults_on is not None:
        lines += ["[[mass_transitions]]", f"cr = {_value(bed.incumbent.name)}", f"day = {info.incumbent_defaults_on}",
                  ""]
    return "\n".join(lines) + ("\n" + faults if faults else "")
