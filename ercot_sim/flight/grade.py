"""Every step of a flight judged from what crossed: the serving market's trace holds both
directions (what the simulator sent the party, and what the party sent), and the checker says
what was late or never came.

A step of the party is **passed** (sent, in time when it has a rule), **failed** (never sent;
another transaction sent in its place; late against its rule; a reject where an acceptance was
expected; sent twice; a 997 missing or late), or
**pending** (not due by the end of the flight). A step of the simulator is **given** when it
was sent. Any step after a failed transaction of the party in its track is **blocked**: what
follows a failure is not the party's to answer for (a missing or late 997 blocks nothing). A
997 step is judged by the 997 rule (``B1``) on the transaction it acknowledges; a step that
``answers`` another must name that one's reference; a step that carries out a ``do`` item is
sent between that item's day and the next item's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ercot_sim.calendar import CENTRAL
from ercot_sim.flight.script import Flight, Step, Track
from ercot_sim.timing.check.report import CheckResult, Violation
from ercot_sim.timing.flows import TxnRecord

__all__ = ["Check", "StepResult", "TrackResult", "connectivity", "grade", "outside_tracks"]


@dataclass(frozen=True, slots=True)
class StepResult:
    """How one step went."""

    number: int
    step: Step
    status: str  # passed, failed, pending, given, blocked, not-reached
    reason: str = ""
    #: the transaction matched to the step (file, segment, ref, sent at), when one was
    file: str = ""
    segment: int | None = None
    ref: str = ""
    sent_at: str = ""

    @property
    def flow_goes_on(self) -> bool:
        """Failed for being late or sent twice: it was sent, so the flow goes on."""
        return self.reason.startswith(("late against", "duplicate:"))

    def to_dict(self) -> dict[str, Any]:
        s = self.step
        return {"step": self.number, "code": s.code, "from": s.sender, "to": s.receiver, "rule": s.rule,
                "acknowledges": s.acknowledges, "status": self.status, "reason": self.reason, "file": self.file,
                "segment": self.segment, "ref": self.ref, "sent_at": self.sent_at}


@dataclass(frozen=True, slots=True)
class TrackResult:
    """How one track went: its steps, and its verdict."""

    track: Track
    esi_ids: list[str]
    steps: list[StepResult]

    @property
    def verdict(self) -> str:
        """``passed`` (every party step passed), ``failed``, or ``pending``."""
        party = [r.status for r in self.steps if r.step.sender == "party"]
        if any(s in ("failed", "blocked") for s in party):
            return "failed"
        return "pending" if "pending" in party else "passed"

    def to_dict(self) -> dict[str, Any]:
        t = self.track
        return {"track": t.name, "title": t.title, "source": t.source, "basis": t.basis, "esi_ids": self.esi_ids,
                "verdict": self.verdict, "steps": [r.to_dict() for r in self.steps]}


@dataclass(frozen=True, slots=True)
class Check:
    """A connectivity or acknowledgement test, graded before the tracks."""

    name: str
    passed: bool
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.name, "status": "passed" if self.passed else "failed", "detail": self.detail}


def connectivity(flight: Flight, records: list[TxnRecord], result: CheckResult, party: str,
                 ercot: str, graded: list[TrackResult] | None = None) -> list[Check]:
    """What a flight checks before its tracks: files crossed both ways (connectivity), and each
    side acknowledged the other's first file with a 997 in time (the acknowledgement test).

    A flight with a connectivity track (graded in ``graded``) judges these on that track's
    steps, one check each; one without, on the first files of its tracks."""
    if graded and graded[0].track.connectivity:
        return [Check(r.step.note or f"{r.step.code} from {r.step.sender} to {r.step.receiver}",
                      r.status in ("passed", "given"),
                      r.reason or (f"a 997 in time for {r.step.acknowledges} ref {r.ref} ({r.file})"
                                   if r.step.code == "997" else f"{r.step.code} ref {r.ref} in {r.file}"))
                for r in graded[0].steps]
    roles = _roles(flight, ercot, party)
    ordered = sorted(records, key=lambda r: (r.sent_at, r.index))
    to_party = [r for r in ordered if roles.get(r.receiver) == "party" and r.code != "997"]
    from_party = [r for r in ordered if roles.get(r.sender) == "party" and r.code != "997"]
    checks = [Check("files to the party", bool(to_party), f"{len({r.file for r in to_party})} file(s) handed over"),
              Check("files from the party", bool(from_party), f"{len({r.file for r in from_party})} file(s) taken in")]
    for name, first in (("the party acknowledges the simulator's first file", to_party[:1]),
                        ("the simulator acknowledges the party's first file", from_party[:1])):
        if not first:
            checks.append(Check(name, False, "no file to acknowledge"))
            continue
        bad = next((v for v in result.violations if v.rule_id == "B1-any-997" and _hit(v, first[0])), None)
        checks.append(Check(name, bad is None, bad.message if bad is not None else
                            f"997 for {first[0].file} in time (B1-any-997)"))
    return checks


def _roles(flight: Flight, ercot: str, party: str) -> dict[str, str]:
    bed = flight.testbed
    roles = {ercot: "ERCOT", bed.tdsp.duns: "TDSP", bed.incumbent.duns: "CR"}
    if bed.newcomer is not None:
        roles[bed.newcomer.duns] = "CR"
    return {**roles, party: "party"}


def _hit(v: Violation, rec: TxnRecord) -> bool:
    """Whether violation ``v`` was started by ``rec``."""
    t = v.trigger
    return t.file == rec.file and t.st_control == rec.st_control and t.code == rec.code


def _answered(v: Violation, rec: TxnRecord) -> bool:
    a = v.answered
    return a is not None and a.file == rec.file and a.st_control == rec.st_control


def _result(n: int, step: Step, status: str, reason: str = "", rec: TxnRecord | None = None) -> StepResult:
    """A step's result, citing the transaction matched to it (or sent in its place)."""
    if rec is None:
        return StepResult(n, step, status, reason)
    return StepResult(n, step, status, reason, rec.file, rec.segment, rec.ref, rec.sent_at.isoformat())


def grade(flight: Flight, esi_of: list[str], records: list[TxnRecord], result: CheckResult, party: str,
          ercot: str, tracks: list[str] | None = None) -> list[TrackResult]:
    """Judge every step of the flight's tracks (or those named in ``tracks``).

    Args:
        flight: the flight.
        esi_of: the test bed's ESI IDs, by index.
        records: the serving market's transactions (its trace), both directions.
        result: the checker's result over the same data.
        party: the DUNS of the system under test.
        ercot: ERCOT's DUNS.
    """
    roles = _roles(flight, ercot, party)
    by_esi: dict[str, list[TxnRecord]] = {}
    for r in sorted(records, key=lambda r: (r.sent_at, r.index)):
        if r.code and r.code != "997" and r.esi_id:
            by_esi.setdefault(r.esi_id, []).append(r)
    out: list[TrackResult] = []
    for track in flight.tracks:
        if tracks is not None and track.name not in tracks and not track.connectivity:
            continue
        esis = [esi_of[i] for i in track.esi_indexes()] + list(track.esi_ids)
        if out and out[0].track.connectivity and out[0].verdict == "failed":
            steps = [StepResult(n, step, "blocked", f"the connectivity test ({out[0].track.name}) failed")
                     for n, step in enumerate(track.steps, 1)]
        else:
            steps = _grade_track(track, esis, by_esi, result, roles, flight.flight.start)
        out.append(TrackResult(track, esis, steps))
    return out


def _window(track: Track, step: Step, start: dt.date) -> tuple[dt.datetime | None, dt.datetime | None]:
    """When the step's ``do`` item may be carried out: from its day to the next item's."""
    if step.do is None:
        return None, None
    days = sorted({int(d["day"]) for d in track.do})
    day = int(track.do[step.do]["day"])
    later = [d for d in days if d > day]

    def midnight(n: int) -> dt.datetime:
        return dt.datetime.combine(start + dt.timedelta(days=n), dt.time(0), CENTRAL)

    return midnight(day), (midnight(later[0]) if later else None)


def _grade_track(track: Track, esis: list[str], by_esi: dict[str, list[TxnRecord]], result: CheckResult,
                 roles: dict[str, str], start: dt.date) -> list[StepResult]:
    recs = sorted((r for e in esis for r in by_esi.get(e, [])), key=lambda r: (r.sent_at, r.index))
    used: set[int] = set()
    matched: dict[str, TxnRecord] = {}  # code -> the last transaction matched to a step of that code
    after = None
    failed_at = 0
    results: list[StepResult] = []
    for n, step in enumerate(track.steps, 1):
        if failed_at:
            results.append(StepResult(n, step, "blocked", f"after step {failed_at} failed"))
            continue
        if step.code == "997":
            got = _grade_997(n, step, matched, result)
        else:
            answered = matched.get(step.answers) if step.answers else None
            if step.answers and answered is None:
                results.append(StepResult(n, step, "blocked", f"no {step.answers} to answer"))
                continue
            opens, closes = _window(track, step, start)
            rec = next((r for r in recs if r.index not in used and r.code == step.code
                        and roles.get(r.sender) == step.sender and roles.get(r.receiver) == step.receiver
                        and (after is None or r.sent_at >= after)
                        and (opens is None or r.sent_at >= opens) and (closes is None or r.sent_at < closes)
                        and (answered is None or r.orig_ref == answered.ref)), None)
            if rec is not None:
                used.add(rec.index)
                matched[step.code] = rec
                if step.sender == "party":  # the simulator's steps may come in either order between the party's
                    after = rec.sent_at
            else:
                matched.pop(step.code, None)  # a later 997 or answer to this code has nothing to point at
            got = _grade_sent(n, step, rec, recs, used, after or opens, result, roles, answered, start)
            if rec is not None and got.status == "passed":
                again = [r for r in recs if r.index != rec.index and r.code == rec.code and r.ref == rec.ref
                         and r.sender == rec.sender]
                if again:
                    used.update(r.index for r in again)
                    got = _result(n, step, "failed", f"duplicate: {rec.code} ref {rec.ref} sent {len(again) + 1} "
                                  "times", rec)
        results.append(got)
        if got.status == "failed" and step.sender == "party" and step.code != "997" and not got.flow_goes_on:
            failed_at = n  # a late or repeated answer, or a missing or late 997, does not stop the flow
    return results


def _grade_sent(n: int, step: Step, rec: TxnRecord | None, recs: list[TxnRecord], used: set[int],
                after: Any, result: CheckResult, roles: dict[str, str], answered: TxnRecord | None,
                start: dt.date) -> StepResult:
    mine = step.sender == "party"
    if rec is not None:
        if mine and step.expect is not None and (step.expect == "reject") != bool(rec.reject):
            said = "rejected" if rec.reject else "accepted"
            wanted = "a rejection" if step.expect == "reject" else "an acceptance"
            return _result(n, step, "failed", f"{said} where {wanted} was expected ({step.code} ref {rec.ref})", rec)
        wrong = _wrong_dates(step, rec, start)
        if mine and wrong:
            return _result(n, step, "failed", f"wrong value: {wrong} ({step.code} ref {rec.ref})", rec)
        if mine and step.rule:
            late = next((v for v in result.violations if v.rule_id == step.rule and _answered(v, rec)), None)
            if late is not None:
                return _result(n, step, "failed", f"late against {step.rule}: {late.message}", rec)
        return _result(n, step, "passed" if mine else "given", "", rec)
    if not mine:
        return StepResult(n, step, "not-reached", f"the simulator sent no {step.code} to the party here")
    instead = None if answered is None else next(  # another answer to the same transaction
        (r for r in recs if r.index not in used and roles.get(r.sender) == "party"
         and roles.get(r.receiver) == step.receiver and r.orig_ref == answered.ref), None)
    if instead is not None:
        to = f" to {answered.code} ref {answered.ref}" if answered is not None else ""
        return _result(n, step, "failed", f"wrong transaction: sent {instead.code} ref {instead.ref}{to} where "
                       f"{step.code} was expected", instead)
    if step.rule:
        esis = {r.esi_id for r in recs}

        def since(v: Violation) -> bool:
            """Raised by what the step answers, or else by this track's own transactions since
            its last step (not earlier ones)."""
            if answered is not None:
                return _hit(v, answered)
            return v.esi_id in esis and (after is None or v.trigger.sent_at >= after)

        owed = next((v for v in result.owed if v.rule_id == step.rule and since(v)), None)
        if owed is not None:
            return StepResult(n, step, "pending", f"not due until {owed.due.isoformat() if owed.due else '-'}")
        missing = next((v for v in result.violations if v.rule_id == step.rule and v.kind == "missing" and since(v)),
                       None)
        if missing is not None:
            return StepResult(n, step, "failed", f"missing: {missing.message}")
    return StepResult(n, step, "failed", f"missing: the party sent no {step.code} to {step.receiver}")


def _wrong_dates(step: Step, rec: TxnRecord, start: dt.date) -> str:
    """What the step's expected dates say the transaction got wrong ('' when nothing)."""
    out = []
    for qualifier, day in step.dates.items():
        want = start + dt.timedelta(days=day)
        got = rec.dates.get(qualifier)
        if got != want:
            said = f"DTM*{qualifier} is {got:%Y%m%d}" if got is not None else f"no DTM*{qualifier}"
            out.append(f"{said} where {want:%Y%m%d} (day {day}) was expected")
    return "; ".join(out)


def _grade_997(n: int, step: Step, matched: dict[str, TxnRecord], result: CheckResult) -> StepResult:
    target = matched.get(step.acknowledges or "")
    if target is None:
        return StepResult(n, step, "blocked", f"no {step.acknowledges} to acknowledge")
    rule = step.rule or "B1-any-997"
    mine = step.sender == "party"
    bad = next((v for v in result.violations if v.rule_id == rule and _hit(v, target)), None)
    if bad is not None:  # the simulator's own 997 missing: not the party's to answer for
        return _result(n, step, "failed" if mine else "not-reached", f"{bad.kind}: {bad.message}", target)
    if any(v.rule_id == rule and _hit(v, target) for v in result.owed):
        return _result(n, step, "pending", "the 997 is not due yet", target)
    return _result(n, step, "passed" if mine else "given", "", target)


def esi_ids_of(scenario_text: str) -> list[str]:
    """The test bed's ESI IDs by index, as the flight's scenario generates them."""
    from ercot_sim.scenario import load_scenario_text
    from ercot_sim.scenario.population import build_population

    return [p.esi_id for p in build_population(load_scenario_text(scenario_text)).premises]


def records_of(out: Path) -> tuple[list[TxnRecord], CheckResult]:
    """The serving market's transactions and the checker's result over them."""
    from ercot_sim.timing.check import check_dataset, load_check_rules
    from ercot_sim.timing.check.sources import read_trace

    data = read_trace(out / "trace.sqlite")
    return data.records, check_dataset(data, load_check_rules())


def outside_tracks(result: CheckResult, graded: list[TrackResult], party: str) -> list[str]:
    """Timing violations of the party that no step cites (its 997s for the monthly usage and
    invoices the tracks do not script, say): they count against it as much as a step's."""
    cited = {s.reason.split(": ", 1)[1] for t in graded for s in t.steps
             if s.status == "failed" and ": " in s.reason}
    mine = (f"outbox/{party}/", f"inbound/{party}/")
    out = []
    for v in result.violations:
        files = [v.trigger.file, v.answered.file if v.answered else ""]
        by_party = any(f.startswith(mine[1]) for f in files) or (v.trigger.file.startswith(mine[0])
                                                                  and "from the receiver" in v.expected)
        if by_party and not any(v.message in c or c in v.message for c in cited):
            out.append(v.message)
    return out
