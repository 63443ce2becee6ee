"""Judge transactions against the timing rules: one generic evaluator per rule kind.

The evaluator reads nothing but the rule data (:class:`~ercot_sim.timing.rules.RuleSet`, with
its calendar) and the transactions. For each checkable rule it finds the rule's triggers,
keeps those the rule applies to (its sender role, effective dates and scope, judged strictly:
a scope the transactions cannot show is *skipped*, never assumed), finds the answer in the
trigger's flow, and compares times with :meth:`RuleSet.deadline` / :meth:`RuleSet.lateness`.

Rule kinds:

``response``
    The first expected transaction that answers the trigger: one that refers to it (its
    BGN06 or equivalent is the trigger's reference, or it passes the trigger on under the
    same reference), else the first later one of its flow. 997s answer by envelope (AK1 =
    the trigger's GS01/GS06, AK2 its ST02). Late: sent after the deadline; missing: never
    sent and the data extends past the deadline; open: not sent and not yet due.
``lead``
    A notice due a number of days *before* a date of the trigger (its DTM150, else DTM151); when
    the TDSP accepted a date change of the trigger's order (an 814_13 with a date, in its flow)
    before the notice was due, before the new date. When the trigger (or that 814_13) comes too
    late for the lead, the notice is due by the end of the
    next business day (capped, as timing-rules.md G says "capped at now"). Only notices that
    were sent are judged: whether one was owed at all (a losing CR exists) is not visible.
    With ``deadline.bound = "earliest"`` the moment is the earliest allowed one: a notice sent
    before it is *outside* (D1: the TDSP rejects a safety net received too early), unless an
    ERCOT outage window lies between the notice and the trigger's date (excused: the redline
    lets TDSPs take early safety nets when a system outage was announced).
``window``
    A date within ``[reference - before, reference + after]``. The reference is the
    trigger's receipt date when the rule's reference text says "receipt", else the
    trigger's DTM150/DTM151. With a required expected answer, the answer's date is checked;
    with only optional answers (ERCOT rejects), the trigger's own date is checked and it is a
    violation only when it is outside and nothing rejected it.

Work outside EDI that a run's trace records as rows of its own (:data:`OUT_OF_BAND`: the CR's
safety net to the TDSP) can be an expected answer; X12 files cannot show it, so there such a
rule's triggers are skipped.

Market events that are not transactions are derived from the transactions that report them:
``meter-read`` (the period end DTM151 of a TDSP's 867_03 or 810_02) and ``switch-read`` (the
read date DTM140 of a TDSP's 867_04, or DTM151 of a final 867_03). Their answers are the
expected transactions of the same ESI ID, TDSP and read date.

Outage windows (the data's :class:`~ercot_sim.timing.check.sources.Outage` list) stop the
clock of ``response`` rules when a rule that ``suspends`` the window's role is enabled (A7
for ERCOT's retail outages): for a trigger or answer sent to or by the party, or a rule that
expects the party's answer (for a market event: its answer, not the transaction that
reported the event), a deadline whose span ``[clock start, deadline)`` meets a window
is counted again from the window's end (repeatedly, for windows in a row). An answer after
the ordinary deadline but by the moved one is *excused*, not late; a late or missing one is
judged against the moved deadline and its violation names the window.

An invoice of charges only is not for a meter read: an 810_02 whose SAC04 charges are all
late-payment charges, order fees or a flight's penny test of the charge code list
(``sac-charges``, a code whose meaning starts "Late-payment", "Out-of-cycle meter read",
"Priority move-in" or "Penny test") neither
makes a ``meter-read`` event nor answers one, so the read-based rules (E4, E5) leave it
alone. The rules on invoices as such (E7, E8) still apply to it.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from edi.errors import GuideError
from edi.texas_set.guide import load_code_list
from ercot_sim.calendar import to_local
from ercot_sim.errors import CalendarError
from ercot_sim.timing.check.report import CheckResult, RuleCompliance, TxnRef, Violation
from ercot_sim.timing.check.sources import Dataset, Outage
from ercot_sim.timing.flows import FlowIndex, TxnRecord
from ercot_sim.timing.rules import Rule, RuleSet

__all__ = ["EVENTS", "OUT_OF_BAND", "charge_only_codes", "evaluate", "late_payment_charges"]

_SET_CODE = re.compile(r"^\d{3}(_[0-9A-Z]{2})?\Z")

#: Market events derived from transactions: event -> ((code, date qualifier, final only), ...).
EVENTS: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "meter-read": (("867_03", "151", False), ("810_02", "151", False)),
    "switch-read": (("867_04", "140", False), ("867_03", "151", True)),
}
#: Work outside EDI a run's trace records as rows (code -> what it is); rules may expect it.
OUT_OF_BAND: dict[str, str] = {"safety-net": "a CR's safety-net move-in sent straight to the TDSP"}
#: The date an answer of each code carries for an event (read date).
_EVENT_DATE = {"867_03": "151", "810_02": "151", "867_04": "140"}
#: Transactions that reject what they answer whatever their content (the application advice;
#: the 814 rejects are told by ASI01 = U or a REF*7G reason).
REJECTS = frozenset({"824"})
#: The code list of SAC04 charge codes, and how its late-payment charges are told by their meaning.
CHARGE_LIST = "sac-charges"
_LATE_PAYMENT_MEANING = re.compile(r"late[- ]payment", re.IGNORECASE)
_FEE_MEANING = re.compile(r"out-of-cycle meter read|priority move-in|penny test", re.IGNORECASE)


def _charges_meaning(pattern: re.Pattern[str]) -> frozenset[str]:
    """SAC04 codes of the charge code list whose meaning starts with ``pattern``."""
    try:
        codes = load_code_list(CHARGE_LIST).codes
    except GuideError:
        return frozenset()
    return frozenset(c.value for c in codes.values() if pattern.match(c.name))


@functools.cache
def late_payment_charges() -> frozenset[str]:
    """SAC04 codes the charge code list gives as late-payment charges (empty when it has none)."""
    return _charges_meaning(_LATE_PAYMENT_MEANING)


@functools.cache
def charge_only_codes() -> frozenset[str]:
    """SAC04 codes of charges not billed for a meter read: late payments, order fees and the
    penny test's."""
    return late_payment_charges() | _charges_meaning(_FEE_MEANING)


@dataclass(frozen=True, slots=True)
class _Plan:
    """A rule's expected answers as look-ups use them: ``(codes, sender)`` per message, every
    code, and whether a 997 answers (by envelope); whether the rule counts on the TDSP's
    calendar or has a scope at all (when neither, a trigger's TDSP and flow are not looked up)."""

    expects: tuple[tuple[frozenset[str], str], ...]
    codes: frozenset[str]
    acknowledged: bool
    on_tdsp_calendar: bool
    scoped: bool


def _sent_by(sender: str, r: TxnRecord, trigger: TxnRecord) -> bool:
    """Whether ``r`` comes from the sender an expected message names (a role, ``ANY``, or
    ``RECEIVER``: the trigger's receiver)."""
    if sender == "ANY":
        return True
    if sender == "RECEIVER":
        return r.sender == trigger.receiver
    return r.sender_role == sender


@dataclass(slots=True)
class _Trigger:
    rec: TxnRecord
    time: dt.datetime
    event: str = ""
    event_date: dt.date | None = None


class _Evaluator:
    def __init__(self, data: Dataset, rules: RuleSet, owed: bool = True) -> None:
        self.data = data
        self.list_owed = owed
        self.recs = data.records
        self.rules = rules
        self.cal = rules.calendar
        self.flows = FlowIndex(self.recs)
        self._plans: dict[str, _Plan] = {}
        self._shards: dict[str, str] = {}  # file -> its shard folder
        self.by_code: dict[str, list[int]] = {}
        #: (ESI ID, code) -> its records, for the codes a rule expects in answer to a market event
        self.by_esi_code: dict[tuple[str, str], list[int]] = {}
        event_answers = {c for rule in rules if rule.trigger is not None and any(
            code in EVENTS for code in rule.trigger.codes) for m in rule.expect for c in m.codes}
        #: (the files' shard, sender, receiver, functional ID, GS06) -> the 997s acknowledging it:
        #: control numbers are a shard's own, so a merged trace's shards keep theirs apart
        self.acks: dict[tuple[str, str, str, str, str], list[tuple[int, frozenset[str]]]] = {}
        order: Iterable[int] = range(len(self.recs)) if self.flows.in_order else sorted(
            range(len(self.recs)), key=lambda i: (self.recs[i].sent_at, i))
        for i in order:
            r = self.recs[i]
            if r.code:
                self.by_code.setdefault(r.code, []).append(i)
                if r.esi_id and r.code in event_answers:
                    self.by_esi_code.setdefault((r.esi_id, r.code), []).append(i)
            for fid, gctl, sts in r.acks:
                self.acks.setdefault((self.shard_of(r.file), r.sender, r.receiver, fid, gctl), []).append(
                    (i, frozenset(sts)))
        #: (flow, the reference it answers, its sender) -> the codes of the rejects sent in a flow
        self.rejects: dict[tuple[int, str, str], list[str | None]] = {}
        flow_of = self.flows.flow_of
        for i, r in enumerate(self.recs):
            if (r.reject or r.code in REJECTS) and flow_of[i] >= 0:
                self.rejects.setdefault((flow_of[i], r.orig_ref, r.sender), []).append(r.code)
        self.violations: list[Violation] = []
        #: answers not sent yet and not yet due at the end of the data (kind ``open``)
        self.owed: list[Violation] = []
        self.notes: list[str] = []
        # outage windows that stop the clock: those of a role an enabled, in-force rule suspends
        suspending = [r for r in rules if r.enabled and r.suspends is not None]
        self.outages: list[Outage] = [
            o for o in data.outages
            if any(r.suspends == o.role and r.in_effect(o.start.date()) for r in suspending)]
        for o in data.outages:
            span = f"{o.role} outage window {o.start.strftime('%Y-%m-%d %H:%M')}..{o.end.strftime('%Y-%m-%d %H:%M %Z')}"
            if o in self.outages:
                self.notes.append(f"{span}: deadlines that meet it restart at its end ({o.rule or 'suspends'})")
            else:
                self.notes.append(f"{span}: not applied (no enabled rule suspends {o.role} deadlines)")
        self._cal_cache: dict[tuple[str, str], str | None] = {}
        self._cal_of: dict[int, str | None] = {}  # record index -> its TDSP's calendar
        self._events: dict[tuple[str, str], list[_Trigger]] = {}
        self._expected_texts: dict[str, str] = {}
        late = charge_only_codes()
        self.late_payment = frozenset(  # invoices of charges only (late payment, fees): no read
            i for i, codes in data.charges.items()
            if self.recs[i].code == "810_02" and codes and all(c in late for c in codes)
        )

    # -- helpers -------------------------------------------------------------------------
    def tdsp_calendar(self, index: int) -> str | None:
        """The calendar of the TDSP of a record's flow (None: no TDSP in sight); a TDSP without
        one in the holiday data counts on ERCOT's, and a note says so."""
        if index in self._cal_of:
            return self._cal_of[index]
        got = self._cal_of[index] = self._tdsp_calendar(index)
        return got

    def _tdsp_calendar(self, index: int) -> str | None:
        duns, name = self.flows.tdsp_for(index)
        key = (duns, name)
        if key not in self._cal_cache:
            got = None
            for candidate in (name, duns):
                if candidate:
                    try:
                        got = self.cal.resolve(candidate)
                        break
                    except CalendarError:
                        continue
            if got is None and (duns or name):
                self.notes.append(f"TDSP {name or '?'} ({duns or '?'}) has no calendar in the holiday data; "
                                  "ERCOT's calendar is used for its retail business days")
                got = "ERCOT"
            self._cal_cache[key] = got
        return self._cal_cache[key]

    def scope(self, rule: Rule, index: int, tdsp_cal: str | None) -> bool | None:
        """True / False when the rule applies or not; None when the transactions cannot tell."""
        s = rule.scope
        flow = self.flows.flow(index)
        if s.tdsp:
            if tdsp_cal is None:
                return None
            if tdsp_cal not in {self.cal.resolve(t) for t in s.tdsp}:
                return False
        if s.priority is not None:
            if flow is None or flow.priority is None:
                return None
            if flow.priority != s.priority:
                return False
        if s.bgn07:
            if flow is None or flow.bgn07 is None:
                return None
            if flow.bgn07 not in s.bgn07:
                return False
        if s.purpose:
            if flow is None or flow.purposes is None:
                return None
            if not (flow.purposes & set(s.purpose)):
                return False
        return True

    def ref(self, r: TxnRecord, code: str | None = None) -> TxnRef:
        return TxnRef(code or r.code or f"{r.st01}(?)", r.file, r.segment, r.st_control, r.ref, r.sent_at)

    # -- triggers ----------------------------------------------------------------------
    def triggers(self, rule: Rule) -> list[_Trigger]:
        assert rule.trigger is not None
        out: list[_Trigger] = []
        sender = rule.trigger.sender
        for code in rule.trigger.codes:
            if code in EVENTS:
                out.extend(self.events(code, sender))
                continue
            idxs = range(len(self.recs)) if code == "*" else self.by_code.get(code, [])
            for i in idxs:
                r = self.recs[i]
                if code == "*" and r.st01 == "997":
                    continue
                if sender not in ("ANY", "RECEIVER") and r.sender_role != sender:
                    continue
                out.append(_Trigger(r, r.sent_at))
        return out

    def events(self, name: str, sender: str) -> list[_Trigger]:
        """The market event's triggers (worked out once: rules E4 and E5 share the meter reads)."""
        got = self._events.get((name, sender))
        if got is None:
            got = self._events[(name, sender)] = self._find_events(name, sender)
        return got

    def _find_events(self, name: str, sender: str) -> list[_Trigger]:
        seen: set[tuple[str, str, dt.date]] = set()
        midnight: dict[dt.date, dt.datetime] = {}
        out = []
        sources = EVENTS[name]
        found = {i for code, _, _ in sources for i in self.by_code.get(code, [])}
        # records in sending order are sorted by their index alone
        cands = sorted(found) if self.flows.in_order else sorted(found, key=lambda i: (self.recs[i].sent_at, i))
        for i in cands:
            r = self.recs[i]
            if sender not in ("ANY", "RECEIVER") and r.sender_role != sender:
                continue
            if i in self.late_payment:
                continue  # bills a late payment, not a meter read
            for code, qual, final in sources:
                if r.code != code or (final and not r.final):
                    continue
                day = r.dates.get(qual)
                if day is None or not r.esi_id:
                    continue
                key = (r.esi_id, r.sender, day)
                if key in seen:
                    break
                seen.add(key)
                at = midnight.get(day)
                if at is None:
                    at = midnight[day] = to_local(dt.datetime.combine(day, dt.time(0)))
                out.append(_Trigger(r, at, f"{name} {day.isoformat()}", day))
                break
        return out

    # -- answers -----------------------------------------------------------------------
    def plan(self, rule: Rule) -> _Plan:
        """The rule's expected answers in the form the look-ups use (worked out once per rule)."""
        got = self._plans.get(rule.id)
        if got is None:
            expects = tuple((frozenset(m.codes), m.sender) for m in rule.expect)
            codes = frozenset(c for m in rule.expect for c in m.codes)
            sc = rule.scope
            on_tdsp = bool(sc.tdsp) or (rule.deadline is not None and rule.deadline.calendar == "TDSP") or (
                rule.window is not None and rule.window.calendar == "TDSP")
            scoped = bool(sc.tdsp) or sc.priority is not None or bool(sc.bgn07) or bool(sc.purpose)
            got = self._plans[rule.id] = _Plan(expects, codes, "997" in codes, on_tdsp, scoped)
        return got

    def shard_of(self, file: str) -> str:
        got = self._shards.get(file)
        if got is None:
            got = self._shards[file] = _shard_of_file(file)
        return got

    def answer(self, rule: Rule, t: _Trigger) -> int | None:
        r = t.rec
        plan = self.plan(rule)
        recs = self.recs
        if t.event_date is not None:
            best: int | None = None
            for codes, sender in plan.expects:
                for code in codes:
                    qual = _EVENT_DATE.get(code, "150")
                    for j in self.by_esi_code.get((r.esi_id, code), []):
                        if j in self.late_payment:
                            continue
                        a = recs[j]
                        if a.sender == r.sender and a.dates.get(qual) == t.event_date and _sent_by(sender, a, r):
                            if best is None or (a.sent_at, j) < (recs[best].sent_at, best):
                                best = j
                            break
            return best
        if plan.acknowledged:
            if not r.gs_control:
                return -1
            for i, sts in self.acks.get((self.shard_of(r.file), r.receiver, r.sender, r.functional_id,
                                         r.gs_control), ()):
                if not sts or r.st_control in sts:
                    return i
            return None
        own = r.code
        for codes, sender in plan.expects:
            if own in codes and _sent_by(sender, r, r):
                return r.index
        direct: int | None = None
        later: int | None = None
        ref = r.ref
        expects = plan.expects
        for j in self.flows.members_with_codes(r.index, plan.codes):
            if j == r.index:
                continue
            a = recs[j]
            if len(expects) == 1:  # one expected message (most rules): no generator per candidate
                codes, sender = expects[0]
                if a.code not in codes or not _sent_by(sender, a, r):
                    continue
            elif not any(a.code in codes and _sent_by(sender, a, r) for codes, sender in expects):
                continue
            if ref and (a.orig_ref == ref or a.ref == ref):
                direct = j
                break
            if later is None and a.sent_at >= r.sent_at:
                later = j
        return direct if direct is not None else later

    def expected_codes(self, rule: Rule) -> frozenset[str]:
        """Every code a rule's answer may have (worked out once per rule)."""
        return self.plan(rule).codes

    def voided(self, t: _Trigger, rule: Rule, expected: frozenset[str] | None = None) -> bool:
        """A trigger its receiver rejected (ASI01=U, REF*7G, or an 824) owes no further step,
        except what the rule expects of the reject itself and the 997 (``expected``: the
        rule's expected codes, worked out once per rule by the caller)."""
        r = t.rec
        if t.event or not r.ref:
            return False
        if expected is None:
            expected = self.plan(rule).codes
        if "997" in expected:
            return False
        fid = self.flows.flow_of[r.index]
        if fid >= 0:
            return any(code not in expected for code in self.rejects.get((fid, r.ref, r.receiver), ()))
        for j in self.flows.members_answering(r.index, r.ref):
            a = self.recs[j]
            if a.sender == r.receiver and (a.reject or a.code in REJECTS) and a.code not in expected:
                return True
        return False

    # -- evaluation --------------------------------------------------------------------
    def expected_text(self, rule: Rule) -> str:
        """What the rule expects, in words (worked out once per rule: every owed answer says it)."""
        got = self._expected_texts.get(rule.id)
        if got is None:
            got = self._expected_texts[rule.id] = self._expected_text(rule)
        return got

    @staticmethod
    def _expected_text(rule: Rule) -> str:
        parts = []
        for m in rule.expect:
            who = "the receiver" if m.sender == "RECEIVER" else m.sender
            parts.append(f"{'/'.join(m.codes)} from {who}")
        return " or ".join(parts)

    def run_rule(self, rule: Rule) -> RuleCompliance:
        rc = RuleCompliance(rule.id, rule.title, rule.status, rule.target)
        required = any(m.required for m in rule.expect)
        plan = self.plan(rule)
        expected = plan.codes
        voidable = "997" not in expected  # see voided()
        dated = rule.effective_from is not None or rule.effective_to is not None
        unseen = self.data.mode != "trace" and bool(expected) and expected <= OUT_OF_BAND.keys()
        for t in self.triggers(rule):
            r = t.rec
            if (dated and not rule.in_effect(t.time.date())) or (
                    voidable and not t.event and r.ref and self.voided(t, rule, expected)):
                continue
            if unseen:  # X12 files cannot hold the work outside EDI the rule expects
                rc.skipped += 1
                continue
            # a rule that does not count on the TDSP's calendar needs no TDSP: ERCOT's is passed
            known = self.tdsp_calendar(r.index) if plan.on_tdsp_calendar else None
            if plan.scoped:
                applies = self.scope(rule, r.index, known)
                if applies is None:
                    rc.skipped += 1
                    continue
                if not applies:
                    continue
            cal = known or "ERCOT"  # no TDSP in sight: its retail business days are taken as ERCOT's
            if rule.kind == "response":
                self.judge_response(rule, rc, t, cal, required)
            elif rule.kind == "lead":
                self.judge_lead(rule, rc, t, cal)
            else:
                self.judge_window(rule, rc, t, cal, required)
        return rc

    def _late(self, rule: Rule, rc: RuleCompliance, t: _Trigger, due: dt.datetime, ans: TxnRecord,
              cal: str | None, detail: str = "") -> None:
        if ans.sent_at <= due:  # on time: lateness() is > 0 exactly when sent after due
            rc.on_time += 1
            return
        amount, unit = self.rules.lateness(rule, due, ans.sent_at, cal)
        if amount > 0:
            rc.late += 1
            self.violations.append(Violation(rule.id, "late", t.rec.esi_id, self.ref(t.rec),
                                             self.expected_text(rule), due, self.ref(ans), amount, unit,
                                             rule.status, t.event, detail))
        else:
            rc.on_time += 1

    def suspended(self, rule: Rule, t: _Trigger, due: dt.datetime, cal: str | None,
                  ans: TxnRecord | None) -> tuple[dt.datetime, Outage | None]:
        """The deadline with the clock stopped by the outage windows it meets (see the module
        docstring), and the last window that moved it (None: not moved)."""
        expects = {m.sender for m in rule.expect}
        # a market event's record (the 867_03 that reported a read) is not part of the flow
        # the rule times: only its answer and the role expected to answer count
        windows = [o for o in self.outages
                   if o.role in expects or (not t.event and o.involves(t.rec))
                   or (ans is not None and o.involves(ans))]
        moved: Outage | None = None
        start = t.time
        changed = bool(windows)
        while changed:
            changed = False
            for o in windows:
                if o.start < due and o.end > start:  # the clock would run inside the window
                    start, moved, changed = o.end, o, True
                    due = self.rules.deadline(rule, start, cal)
        return due, moved

    @staticmethod
    def _moved_text(o: Outage) -> str:
        return (f"clock restarted at the end of the {o.role} outage window "
                f"{o.start.strftime('%Y-%m-%d %H:%M')}..{o.end.strftime('%Y-%m-%d %H:%M %Z')}"
                + (f" ({o.rule})" if o.rule else ""))

    def judge_response(self, rule: Rule, rc: RuleCompliance, t: _Trigger, cal: str | None,
                       required: bool) -> None:
        j = self.answer(rule, t)
        if j == -1:
            rc.skipped += 1
            return
        due = self.rules.deadline(rule, t.time, cal)
        ans = self.recs[j] if j is not None else None
        if ans is not None and ans.sent_at <= due:  # lateness() > 0 exactly when sent after due
            rc.on_time += 1
            return
        moved: Outage | None = None
        if self.outages:
            later, moved = self.suspended(rule, t, due, cal, ans)
            if moved is not None:
                if ans is not None and ans.sent_at <= later:
                    rc.excused += 1
                    return
                due = later
        detail = self._moved_text(moved) if moved is not None else ""
        if ans is not None:
            self._late(rule, rc, t, due, ans, cal, detail)
            return
        end = self.data.end
        if end is None or end <= due:
            rc.open += 1
            if self.list_owed:
                self.owed.append(Violation(rule.id, "open", t.rec.esi_id, self.ref(t.rec), self.expected_text(rule),
                                           due, None, 0.0, rule.deadline.unit if rule.deadline else "",
                                           rule.status, t.event, detail))
        elif not required:
            rc.optional_absent += 1
        else:
            amount, unit = self.rules.lateness(rule, due, end, cal)
            rc.missing += 1
            self.violations.append(Violation(rule.id, "missing", t.rec.esi_id, self.ref(t.rec),
                                             self.expected_text(rule), due, None, max(amount, 0.0), unit,
                                             rule.status, t.event, detail))

    def judge_lead(self, rule: Rule, rc: RuleCompliance, t: _Trigger, cal: str | None) -> None:
        r = t.rec
        anchor = r.date("150", "151")
        if anchor is None:
            rc.skipped += 1
            return
        j = self.answer(rule, t)
        if j is None:
            rc.optional_absent += 1
            return
        due = self.rules.deadline(rule, to_local(dt.datetime.combine(anchor, dt.time(12))), cal)
        if rule.deadline is not None and rule.deadline.bound == "earliest":
            self.judge_early(rule, rc, t, due, self.recs[j], cal, anchor)
            return
        told = r.sent_at  # when the sender of the notice learned the date
        moved = self.moved_date(r, due)
        if moved is not None:  # the date was changed before the notice was due: due before the new date
            anchor, told = moved
            due = self.rules.deadline(rule, to_local(dt.datetime.combine(anchor, dt.time(12))), cal)
        if j != r.index and told > due:
            name = self.rules.calendar_for(rule, cal)
            day = self.cal.next_business_day(told.date(), name)
            due = to_local(dt.datetime.combine(day, dt.time.max))
        self._late(rule, rc, t, due, self.recs[j], cal)

    def moved_date(self, r: TxnRecord, due: dt.datetime) -> tuple[dt.date, dt.datetime] | None:
        """The date a date change moved the trigger's order to, and when the TDSP sent its
        acceptance (an 814_13 with a date, in the trigger's flow), when that was before ``due``:
        the last such."""
        moved = None
        for j in self.flows.members_with_codes(r.index, _DATE_CHANGE_ANSWERS):
            a = self.recs[j]
            if a.sent_at <= r.sent_at or a.sent_at > due or a.sender_role != "TDSP":
                continue
            new = a.date("150", "151")
            if new is not None and not a.reject:
                moved = (new, a.sent_at)
        return moved

    def judge_early(self, rule: Rule, rc: RuleCompliance, t: _Trigger, opens: dt.datetime,
                    ans: TxnRecord, cal: str | None, anchor: dt.date) -> None:
        """A lead rule's earliest bound: the answer may not be sent before ``opens``."""
        if ans.sent_at >= opens:
            rc.on_time += 1
            return
        until = to_local(dt.datetime.combine(anchor + dt.timedelta(days=1), dt.time(0)))
        if any(o.role == "ERCOT" and o.start < until and o.end > ans.sent_at
               for o in self.data.outages):
            rc.excused += 1  # an outage window ahead: the TDSP takes it early
            return
        amount, unit = self.rules.earliness(rule, opens, ans.sent_at, cal)
        code = ans.code or ans.st01
        detail = (f"{code} sent {ans.sent_at.strftime('%Y-%m-%d %H:%M %Z')}, before the earliest "
                  f"{opens.strftime('%Y-%m-%d %H:%M %Z')} (date {anchor.isoformat()})")
        rc.outside += 1
        self.violations.append(Violation(rule.id, "outside_window", t.rec.esi_id, self.ref(t.rec),
                                         self.expected_text(rule), opens, self.ref(ans), amount,
                                         unit, rule.status, t.event, detail))

    def judge_window(self, rule: Rule, rc: RuleCompliance, t: _Trigger, cal: str | None,
                     required: bool) -> None:
        assert rule.window is not None
        r = t.rec
        win = rule.window
        reference = r.sent_at.date() if "receipt" in win.reference.lower() else r.date("150", "151")
        checked_rec = r
        if required:
            j = self.answer(rule, t)
            if j is None:
                rc.skipped += 1
                return
            checked_rec = self.recs[j]
        checked = checked_rec.date("150", "151")
        if reference is None or checked is None:
            rc.skipped += 1
            return
        lo, hi = self.rules.window_bounds(rule, reference, cal)
        if lo <= checked <= hi:
            rc.on_time += 1
            return
        if not required and self.answer(rule, t) is not None:
            rc.on_time += 1  # outside, and the market rejected it as the rule requires
            return
        if win.unit == "calendar_days":
            amount = float((checked - hi).days if checked > hi else (lo - checked).days)
        else:
            wcal = self.cal.resolve(cal or "ERCOT") if win.calendar == "TDSP" else win.calendar
            amount = float(abs(self.cal.count_business_days(hi if checked > hi else lo, checked, wcal)))
        side = "after" if checked > hi else "before"
        detail = (f"{checked_rec.code or checked_rec.st01} date {checked.isoformat()} is {side} the window "
                  f"{lo.isoformat()}..{hi.isoformat()} ({win.reference} {reference.isoformat()})")
        rc.outside += 1
        self.violations.append(Violation(rule.id, "outside_window", r.esi_id, self.ref(r),
                                         self.expected_text(rule), None,
                                         self.ref(checked_rec) if checked_rec is not r else None,
                                         max(amount, 1.0), win.unit, rule.status, t.event, detail))


def _why_not(rule: Rule) -> str | None:
    """Why a rule cannot be judged from transactions (None when it can)."""
    if not rule.is_checkable:
        return f"a '{rule.kind}' rule" + (" marked checkable = false" if rule.checkable is False else "")
    if rule.trigger is None:
        return "no trigger"
    odd = [c for c in rule.trigger.codes if c != "*" and not _SET_CODE.match(c) and c not in EVENTS]
    if odd:
        return f"its trigger '{odd[0]}' is not a transaction or a market event seen in transactions"
    if rule.kind in ("response", "lead") or (rule.kind == "window" and rule.expect):
        codes = [c for m in rule.expect for c in m.codes]
        if not any(_SET_CODE.match(c) or c in OUT_OF_BAND for c in codes):
            return f"it expects '{codes[0]}', which is not a transaction" if codes else "nothing expected"
    if rule.scope.ams is not None:
        return "its scope depends on AMS metering, which transactions do not show"
    if rule.scope.flags:
        return f"its scope depends on flags ({', '.join(rule.scope.flags)}) that transactions do not show"
    return None


def evaluate(data: Dataset, rules: RuleSet, only: Sequence[str] | None = None, owed: bool = True) -> CheckResult:
    """Check one data set against the rules.

    Args:
        data: the transactions (see :mod:`ercot_sim.timing.check.sources`).
        rules: the rule set.
        only: check only these rule ids.
        owed: list each answer owed at the end of the data (:attr:`CheckResult.owed`); without,
            the list is empty and the rules' ``open`` counts are the same.
    """
    ev = _Evaluator(data, rules, owed)
    results: list[RuleCompliance] = []
    not_checked: list[tuple[str, str]] = []
    for rule in sorted(rules, key=lambda r: r.id):
        if not rule.enabled or (only is not None and rule.id not in only):
            continue
        why = _why_not(rule)
        if why is not None:
            not_checked.append((rule.id, why))
            continue
        results.append(ev.run_rule(rule))
    violations = sorted(ev.violations, key=Violation.sort_key)
    return CheckResult(data.source, data.mode, len(data.records), len(ev.flows.flows), data.end,
                       results, violations, not_checked, [*data.notes, *sorted(set(ev.notes))],
                       list(data.findings), sorted(ev.owed, key=Violation.due_key))


#: the TDSP's answer to a date change: with a date, the order's new scheduled date
_DATE_CHANGE_ANSWERS = frozenset({"814_13"})


def _shard_of_file(file: str) -> str:
    """What comes before a run's ``outbox/`` in a file's path: the shard folder a merged trace
    puts in front of it (``shard-003/``), or the run's folder in X12 mode ('' without one)."""
    before, found, _ = file.partition("outbox/")
    return before if found else ""
