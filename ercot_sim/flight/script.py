"""A flight as data: its test bed, and tracks of steps, each step saying who sends what to whom
and, for what the system under test sends, the timing rule it is graded against.

```toml
[flight]
name = "cr-flight"
role = "CR"                       # the role of the system under test
start = 2025-03-03
days = 45

[testbed]                         # the market the flight runs in (a TDSP's test ESI IDs)
tdsp = { name = "ONCOR", duns = "1039940674000", esi_prefix = "10443720" }
esi_ids = 10
incumbent = { name = "INCUMBENT", duns = "123456789" }   # serves the test bed at the start

[[tracks]]
name = "switch-standard"
title = "Standard switch"
source = "public"                 # "public": follows a public source (basis); "ours": the project's
basis = "Protocols 15.1.1; RMG 7"
do = [{ kind = "switch", esi = 0, day = 1 }]          # what the system under test is asked to do
steps = [
  { code = "814_01", from = "party", to = "ERCOT" },
  { code = "814_05", from = "ERCOT", to = "party", rule = "B5-ercot-814_05" },
  { code = "997", from = "party", to = "ERCOT", acknowledges = "814_05", rule = "B1-any-997" },
]
```

``party`` is the system under test; ``ERCOT``, ``TDSP`` and ``CR`` (the incumbent) are the
simulator. A ``do`` item is a scenario event (:class:`ercot_sim.scenario.Event`) with ``esi``,
the test bed index, in place of ``esi_index`` and the party as its ``cr``. In a TDSP's flight
(``role = "TDSP"``) the party is the test bed's TDSP (its ``tdsp`` gives the name and ESI ID
prefix the simulator uses for it), and ``testbed.newcomer`` is the simulated CR that acts. Loaded with
:func:`load_flight`; every error names the file, the line and the field.

The first track may be the flight's connectivity test (``connectivity = true``: a penny
invoice and the 997s both ways, before any other track's day); when it fails, every other
track is blocked. A track's ``plant`` lists faults of the simulator's own participants (a
``wrong_total`` on the TDSP's invoice, a ``rejected`` by a simulated CR) that the party's
system must catch.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from ercot_sim.errors import SimError
from ercot_sim.scenario import Fault
from ercot_sim.tomlload import load_toml_model

__all__ = ["PARTY", "Flight", "FlightError", "Plant", "Step", "TestBed", "Track", "check_party", "load_faults",
           "load_flight"]

Party = Literal["party", "ERCOT", "TDSP", "CR"]
Duns = Annotated[str, StringConstraints(pattern=r"^[0-9]{9}([0-9]{4})?$")]
Code = Annotated[str, StringConstraints(pattern=r"^(\d{3}_\d{2}|997|824)$")]
Qualifier = Annotated[str, StringConstraints(pattern=r"^[0-9A-Z]{3}$")]  # a DTM01


#: the name of the system under test in the flight's scenario (faults for a reference run name it)
PARTY = "PARTY"


class FlightError(SimError):
    """A flight file cannot be used."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class FlightInfo(_Strict):
    """Name, role under test and calendar of a flight."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=80)]
    role: Literal["CR", "TDSP"]
    #: market roles of the party (a CR flight as the gaining POLR of a mass transition: ``["POLR"]``)
    party_roles: list[Literal["POLR", "AREP"]] = []
    #: the test bed's incumbent defaults on this day: its ESI IDs go to the POLR (a mass transition)
    incumbent_defaults_on: int | None = Field(default=None, ge=0)
    description: str = ""
    start: dt.date
    days: int = Field(ge=1, le=400)


class Named(_Strict):
    """A simulated participant of the test bed."""

    name: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9][A-Z0-9 .&-]{0,39}$")]
    duns: Duns


class Tdsp(Named):
    """The test bed's TDSP and its ESI ID prefix."""

    esi_prefix: Annotated[str, StringConstraints(pattern=r"^[0-9]{4,12}$")]


class TestBed(_Strict):
    """The market a flight runs in."""

    __test__ = False  # not a pytest class

    tdsp: Tdsp
    esi_ids: int = Field(ge=1, le=1000)
    incumbent: Named
    #: the simulated CR that acts in a TDSP's flight (switches, move-ins ... at the party's ESI IDs)
    newcomer: Named | None = None


class Step(_Strict):
    """One transaction of a track: who sends it to whom; for the party's, how it is graded."""

    code: Code
    sender: Party = Field(alias="from")
    receiver: Party = Field(alias="to")
    #: a 997: the code of the track's transaction it acknowledges
    acknowledges: Code | None = None
    #: the track's transaction (by code) this one answers: it must name that one's reference
    answers: Code | None = None
    #: the ``do`` item (its index) this step carries out: it is sent on or after that item's day
    #: and before the next item's (two requests of one code are told apart by it)
    do: int | None = Field(default=None, ge=0)
    #: the timing rule (rules.toml id) the party's step is graded against
    rule: str | None = None
    #: an answer that must accept (or reject) what it answers: a reject where an acceptance is
    #: expected fails the step
    expect: Literal["accept", "reject"] | None = None
    #: dates the transaction must carry: DTM qualifier -> flight day (``{ "150" = 14 }``: a
    #: move-in backdated to the switch of day 14); another date fails the step as a wrong value
    dates: dict[Qualifier, Annotated[int, Field(ge=-400, le=400)]] = {}
    note: str = ""

    @model_validator(mode="after")
    def _shape(self) -> Step:
        if (self.code == "997") != (self.acknowledges is not None):
            raise ValueError("a 997 step names the code it acknowledges (acknowledges), and only a 997 step does")
        if "party" not in (self.sender, self.receiver):
            raise ValueError("a step is sent by or to the party (the system under test)")
        return self


class Plant(_Strict):
    """A fault the simulator plants for a track (a bad invoice the party must reject, an
    invoice of the party's that a simulated CR rejects): a scenario fault
    (:class:`ercot_sim.scenario.Fault`) of the simulated participant ``by`` (``ERCOT``, the
    test bed's ``TDSP``, its ``incumbent`` or ``newcomer`` CR), at a test bed ESI ID."""

    kind: Literal["wrong_total", "rejected", "late", "missing", "duplicate", "out_of_order"]
    by: Literal["ERCOT", "TDSP", "incumbent", "newcomer"]
    esi: int = Field(ge=0)
    code: Annotated[str, StringConstraints(pattern=r"^\d{3}(_[0-9A-Z]{2})?$")] | None = None


class Track(_Strict):
    """A function tested: what the party is asked to do, and the transactions that follow."""

    name: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,40}$")]
    title: str
    source: Literal["public", "ours"]
    basis: str = ""
    #: the connectivity and acknowledgement test, played before the transaction tracks: the
    #: first track, at most one; when it fails, every other track is blocked by it
    connectivity: bool = False
    #: instructions: scenario events on test bed ESI IDs; the party's, or with ``actor =
    #: "incumbent"`` (or ``"newcomer"``) a simulated CR's (switching an ESI ID away from the
    #: party, say)
    do: list[dict[str, Any]] = []
    #: faults the simulator plants for the track (what the party's system must catch)
    plant: list[Plant] = []
    #: test bed indexes the track uses (besides those of ``do``), e.g. for usage that just comes
    esi: list[int] = []
    #: ESI IDs outside the test bed the track uses (a premise the TDSP creates: ``do`` items name
    #: it as ``esi_id``)
    esi_ids: list[Annotated[str, StringConstraints(pattern=r"^[0-9]{12,36}$")]] = []
    steps: list[Step] = Field(min_length=1)

    def esi_indexes(self) -> list[int]:
        """The test bed indexes of the track, in order."""
        got = [int(d["esi"]) for d in self.do if "esi" in d] + list(self.esi)
        return list(dict.fromkeys(got))


class Flight(_Strict):
    """A flight (see the module docstring)."""

    flight: FlightInfo
    testbed: TestBed
    tracks: list[Track] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Flight:
        if self.flight.incumbent_defaults_on is not None and "POLR" not in self.flight.party_roles:
            raise ValueError("a mass transition (incumbent_defaults_on) needs the party as POLR (party_roles)")
        if self.flight.party_roles and self.flight.role != "CR":
            raise ValueError("party_roles are a CR's market roles")
        if (self.flight.role == "TDSP") != (self.testbed.newcomer is not None):
            raise ValueError("a TDSP's flight names the simulated CR that acts (testbed.newcomer), and only a "
                             "TDSP's flight does (in a CR's flight the party acts)")
        names = [t.name for t in self.tracks]
        if len(names) != len(set(names)):
            raise ValueError("two tracks have one name")
        for t in self.tracks:
            for n, d in enumerate(t.do):
                if not isinstance(d.get("day"), int) or isinstance(d.get("day"), bool):
                    raise ValueError(f"track {t.name}: do item {n} names its day (a whole number of days after the "
                                     "flight's start)")
        first = self.tracks[0]
        if any(t.connectivity for t in self.tracks[1:]):
            raise ValueError("the connectivity track is the flight's first track, and a flight has one")
        if first.connectivity and len(self.tracks) > 1:
            last = max((int(d["day"]) for d in first.do), default=0)
            later = [(int(d["day"]), t.name) for t in self.tracks[1:] for d in t.do if int(d["day"]) <= last]
            if later:
                raise ValueError(f"track {later[0][1]}: a do item on day {later[0][0]}, not after the connectivity "
                                 f"track's last (day {last}): the transaction tracks start after it")
        party_role = self.flight.role
        for t in self.tracks:
            for n, pl in enumerate(t.plant):
                if pl.by == party_role or (pl.by == "newcomer" and self.testbed.newcomer is None):
                    raise ValueError(f"track {t.name} plant {n}: by {pl.by}: not one of the simulator's participants "
                                     "in this flight (the party is its " + party_role + ")")
                if pl.esi not in t.esi_indexes():
                    raise ValueError(f"track {t.name} plant {n}: esi {pl.esi} is not one of the track's ESI IDs")
        used: dict[int, str] = {}
        for t in self.tracks:
            if not t.esi_indexes() and not t.esi_ids:
                raise ValueError(f"track {t.name} uses no ESI ID (do ... esi, esi, or esi_ids)")
            if self.flight.incumbent_defaults_on is not None and t.do:
                raise ValueError(f"track {t.name}: in a mass transition flight the tracks only watch their ESI IDs "
                                 "(esi), the incumbent's default moves them all")
            for i in t.esi_indexes():
                if i >= self.testbed.esi_ids:
                    raise ValueError(f"track {t.name}: esi {i} is outside the test bed of {self.testbed.esi_ids}")
                if used.setdefault(i, t.name) != t.name:
                    raise ValueError(f"tracks {used[i]} and {t.name} both use test bed ESI ID {i}")
            for n, step in enumerate(t.steps, 1):
                if step.do is not None and step.do >= len(t.do):
                    raise ValueError(f"track {t.name} step {n}: do {step.do}, but the track has {len(t.do)} do item(s)")
            for d in t.do:
                named = ("esi" in d) + ("esi_id" in d)
                if named != 1 or "esi_index" in d or "cr" in d or "tdsp" in d:
                    raise ValueError(f"track {t.name}: a do item names its ESI ID as esi (a test bed index) or "
                                     "esi_id (one of the track's esi_ids), and no esi_index, cr or tdsp (the "
                                     "party acts, or in a TDSP's flight the newcomer; actor names a simulated CR)")
                actors = ("incumbent", "newcomer") if self.testbed.newcomer is not None else ("incumbent",)
                if "actor" in d and d["actor"] not in actors:
                    raise ValueError(f"track {t.name}: do actor {d['actor']!r}: a simulated CR of this flight's test "
                                     f"bed ({' or '.join(actors)}) acts in the party's place")
                if "esi_id" in d and d["esi_id"] not in t.esi_ids:
                    raise ValueError(f"track {t.name}: do names esi_id {d['esi_id']}, not one of its esi_ids")
        return self

    def track(self, name: str) -> Track:
        """The track called ``name``.

        Raises:
            FlightError: no such track.
        """
        for t in self.tracks:
            if t.name == name:
                return t
        raise FlightError(f"no track {name!r} in flight {self.flight.name} "
                          f"(tracks: {', '.join(t.name for t in self.tracks)})")


def load_flight(path: str | Path) -> Flight:
    """Read a flight file.

    Raises:
        FlightError: the file is missing or wrong (names file, line and field).
    """
    return load_toml_model(path, Flight, FlightError)


class _Faults(_Strict):
    faults: list[Fault] = []


def load_faults(path: Path, flight: Flight) -> str:
    """The ``[[faults]]`` of a reference party, read from ``path`` (TOML) and checked against the
    flight: each names the party (``participant = "PARTY"``) and a test bed ESI ID, or none.

    Raises:
        FlightError: the file is missing or wrong, or a fault could never apply (names the
            file, the line and the field).
    """
    from ercot_sim.tomlload import load_toml_text

    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise FlightError(f"cannot read the faults: {exc.strerror}", str(path)) from None
    faults = load_toml_text(text, str(path), _Faults, FlightError).faults
    for n, f in enumerate(faults):
        if f.participant not in (None, PARTY):
            raise FlightError(f"faults[{n}].participant: {f.participant!r}: a reference party's fault names "
                              f"participant = \"{PARTY}\" (it acts on what the party does)", str(path))
        if f.esi_index is not None and f.esi_index >= flight.testbed.esi_ids:
            raise FlightError(f"faults[{n}].esi_index: {f.esi_index} is outside the test bed of "
                              f"{flight.testbed.esi_ids} ESI IDs", str(path))
    return text


def check_party(flight: Flight, role: str, duns: str) -> None:
    """Whether ``duns`` can play the flight's party (``role`` as given, '' when not).

    Raises:
        FlightError: a role other than the flight's, a DUNS that is not 9 or 13 digits, or one
            the test bed gives the simulator's participants.
    """
    import re

    if role and role.upper() != flight.flight.role:
        raise FlightError(f"flight {flight.flight.name} tests a {flight.flight.role}, not a {role}")
    if not re.fullmatch(r"[0-9]{9}([0-9]{4})?", duns):
        raise FlightError(f"--under-test {duns!r}: a DUNS is 9 or 13 digits")
    bed = flight.testbed
    taken = {"183529049": "ERCOT", bed.incumbent.duns: bed.incumbent.name}
    if flight.flight.role == "CR":
        taken[bed.tdsp.duns] = bed.tdsp.name
    if bed.newcomer is not None:
        taken[bed.newcomer.duns] = bed.newcomer.name
    if duns in taken:
        raise FlightError(f"--under-test {duns}: that DUNS is the simulator's {taken[duns]} in this flight")
