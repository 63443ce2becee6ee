"""Results of a compliance check: violations, per-rule compliance, text and JSON rendering."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

__all__ = ["CheckResult", "RuleCompliance", "TxnRef", "Violation", "format_amount"]

_UNIT_NAMES = {
    "retail_business_days": ("retail business day", "retail business days"),
    "business_days": ("business day", "business days"),
    "calendar_days": ("calendar day", "calendar days"),
    "hours": ("hour", "hours"),
    "business_hours": ("business hour", "business hours"),
    "retail_business_hours": ("retail business hour", "retail business hours"),
}


def format_amount(amount: float, unit: str) -> str:
    """``2 retail business days``, ``1.5 hours`` (day units are whole numbers)."""
    one, many = _UNIT_NAMES.get(unit, (unit.replace("_", " "), unit.replace("_", " ")))
    if unit.endswith("days"):
        n = round(amount)
        return f"{n} {one if n == 1 else many}"
    text = f"{amount:.2f}".rstrip("0").rstrip(".")
    return f"{text} {one if text == '1' else many}"


def _moment(text: str) -> dt.datetime:
    """A moment :meth:`datetime.isoformat` gave, in Central Prevailing Time as the check had it."""
    from ercot_sim.calendar import to_local

    return to_local(dt.datetime.fromisoformat(text))


def _when(moment: dt.datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M %Z") if moment is not None else ""


@dataclass(frozen=True)
class TxnRef:
    """A transaction as cited in a violation: what it is and where it is."""

    code: str
    file: str
    segment: int | None
    st_control: str
    ref: str
    sent_at: dt.datetime

    @property
    def where(self) -> str:
        """``file segment N`` (``file ST02 nnnn`` when the segment number is not known)."""
        if self.segment is not None:
            return f"{self.file} segment {self.segment}"
        return f"{self.file} ST02 {self.st_control}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"code": self.code, "file": self.file, "segment": self.segment,
                "st_control": self.st_control, "ref": self.ref, "sent_at": self.sent_at.isoformat()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TxnRef:
        """The reference :meth:`to_dict` gave."""
        return cls(d["code"], d["file"], d["segment"], d["st_control"], d["ref"],
                   _moment(d["sent_at"]))


@dataclass(frozen=True)
class Violation:
    """One breach of a timing rule.

    Attributes:
        rule_id: the rule broken.
        kind: ``late`` (the answer came after the deadline), ``missing`` (it never came and
            the data extends past the deadline), ``open`` (not come yet, not yet due: a
            :attr:`CheckResult.owed` entry, not a violation) or ``outside_window`` (a date outside the
            rule's window, or an answer sent before a ``lead`` rule's earliest bound).
        esi_id: the ESI ID.
        trigger: the transaction that started the clock.
        expected: what was expected (``814_04 from TDSP``; for windows, the date checked).
        due: the deadline (None for window rules).
        answered: the answering transaction (None when missing).
        amount: how late (or how far outside), in ``unit``; for ``missing``, how late it
            already is at the end of the data.
        unit: the rule's own unit.
        rule_status: ``confirmed`` or ``assumed`` (the rule's source status).
        event: for rules triggered by a market event (``meter-read 2025-03-04``), the event.
        detail: extra text: for window violations the dates compared; for a deadline an
            outage window moved, which window.
    """

    rule_id: str
    kind: str
    esi_id: str
    trigger: TxnRef
    expected: str
    due: dt.datetime | None
    answered: TxnRef | None
    amount: float
    unit: str
    rule_status: str
    event: str = ""
    detail: str = ""

    @property
    def lateness(self) -> str:
        """``2 retail business days late`` / ``missing, 3 business days overdue`` ..."""
        size = format_amount(self.amount, self.unit)
        if self.kind == "late":
            return f"{size} late"
        if self.kind == "missing":
            return f"missing ({size} overdue at the end of the data)"
        if self.kind == "open":
            return "not sent yet"
        return f"{size} outside the window"

    @property
    def message(self) -> str:
        """One line, location first (docs/checker.md shows examples)."""
        t = self.trigger
        head = f"{t.where} ({t.code} ref {t.ref or '-'}), ESI ID {self.esi_id or '-'}: {self.rule_id}"
        if self.event:
            head += f" [{self.event}]"
        if self.kind == "outside_window":
            return f"{head}: {self.detail}: {self.lateness}"
        due = f"{self.expected} due {_when(self.due)}"
        why = f" ({self.detail})" if self.detail else ""
        if self.kind == "open":
            return f"{head}: {due}{why}: {self.lateness}"
        if self.answered is None:
            return f"{head}: {due}{why}, never sent: {self.lateness}"
        a = self.answered
        return f"{head}: {due}{why}, sent {_when(a.sent_at)} ({a.where}): {self.lateness}"

    def due_key(self) -> tuple[Any, ...]:
        """Soonest due first (no deadline last), then :meth:`sort_key`."""
        return (self.due is None, self.due.timestamp() if self.due else 0.0, *self.sort_key())

    def sort_key(self) -> tuple[Any, ...]:
        """Deterministic order: rule, ESI ID, trigger time, file, segment."""
        t = self.trigger
        return (self.rule_id, self.esi_id, t.sent_at, t.file, t.segment or 0, t.st_control, self.kind)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "rule_id": self.rule_id, "rule_status": self.rule_status, "kind": self.kind,
            "esi_id": self.esi_id, "trigger": self.trigger.to_dict(), "event": self.event or None,
            "expected": self.expected, "due": self.due.isoformat() if self.due else None,
            "answered": self.answered.to_dict() if self.answered else None,
            "amount": round(self.amount, 4), "unit": self.unit, "lateness": self.lateness,
            "detail": self.detail, "message": self.message,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Violation:
        """The violation :meth:`to_dict` gave (the amount as rounded there)."""
        return cls(d["rule_id"], d["kind"], d["esi_id"], TxnRef.from_dict(d["trigger"]), d["expected"],
                   _moment(d["due"]) if d["due"] else None,
                   TxnRef.from_dict(d["answered"]) if d["answered"] else None, float(d["amount"]), d["unit"],
                   d["rule_status"], d["event"] or "", d.get("detail", ""))


#: the counts of a :class:`RuleCompliance`, in its fields' order
_COUNTS = ("on_time", "excused", "late", "missing", "outside", "open", "optional_absent", "skipped")


@dataclass
class RuleCompliance:
    """How often one rule was met.

    Counts: ``on_time`` (met), ``excused`` (met only because an outage window stopped the
    clock, see ``suspends`` in docs/rules.md, or lay ahead of an early safety net, D1),
    ``late``, ``missing``, ``outside`` (window breaches, and answers before an earliest
    bound) are the decided cases; ``open`` (no answer yet, the deadline is after the end of the data),
    ``optional_absent`` (an optional answer that was not sent, e.g. no 824 = invoice deemed
    valid) and ``skipped`` (the rule's scope or dates could not be told from the
    transactions) are not counted in the percentage.
    """

    rule_id: str
    title: str
    status: str
    target: float
    on_time: int = 0
    excused: int = 0
    late: int = 0
    missing: int = 0
    outside: int = 0
    open: int = 0
    optional_absent: int = 0
    skipped: int = 0

    @property
    def violations(self) -> int:
        """Late + missing + outside."""
        return self.late + self.missing + self.outside

    @property
    def decided(self) -> int:
        """Cases with an outcome: on time + excused + violations."""
        return self.on_time + self.excused + self.violations

    @property
    def compliance(self) -> float | None:
        """Share of decided cases that met the rule, excused ones included (None when none
        was decided)."""
        return (self.on_time + self.excused) / self.decided if self.decided else None

    @property
    def passed(self) -> bool | None:
        """Compliance at or above the target (None when nothing was decided)."""
        c = self.compliance
        return None if c is None else c >= self.target

    def add(self, other: RuleCompliance) -> None:
        """Add another count of the same rule (shards of one run)."""
        for name in _COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        c = self.compliance
        return {
            "rule_id": self.rule_id, "title": self.title, "status": self.status, "target": self.target,
            "on_time": self.on_time, "excused": self.excused, "late": self.late, "missing": self.missing,
            "outside": self.outside,
            "open": self.open, "optional_absent": self.optional_absent, "skipped": self.skipped,
            "decided": self.decided, "compliance": None if c is None else round(c, 6),
            "passed": self.passed,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RuleCompliance:
        """The counts :meth:`to_dict` gave."""
        return cls(d["rule_id"], d["title"], d["status"], d["target"], *(int(d[k]) for k in _COUNTS))


@dataclass
class CheckResult:
    """Everything a check found.

    Attributes:
        source: what was checked.
        mode: ``trace`` or ``x12``.
        transactions: transactions read.
        flows: flows rebuilt.
        end: the moment the data extends to.
        rules: compliance per checked rule (sorted by rule id).
        violations: every violation (sorted, see :meth:`Violation.sort_key`).
        not_checked: ``(rule id, reason)`` of rules that cannot be judged from transactions.
        notes: remarks about the input.
        findings: envelope findings met while reading X12.
        owed: answers not sent yet whose deadline is after the end of the data (kind
            ``open``, soonest due first): what each side owes and by when.
    """

    source: str
    mode: str
    transactions: int
    flows: int
    end: dt.datetime | None
    rules: list[RuleCompliance]
    violations: list[Violation]
    not_checked: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    owed: list[Violation] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when there is no violation."""
        return not self.violations

    def rule(self, rule_id: str) -> RuleCompliance:
        """The compliance entry of a rule.

        Raises:
            KeyError: the rule was not checked.
        """
        for r in self.rules:
            if r.rule_id == rule_id:
                return r
        raise KeyError(rule_id)

    @classmethod
    def merge(cls, results: Sequence[CheckResult], source: str | None = None) -> CheckResult:
        """One result from several (the shards of a run)."""
        if len(results) == 1 and source is None:
            return results[0]
        rules: dict[str, RuleCompliance] = {}
        for res in results:
            for rc in res.rules:
                if rc.rule_id in rules:
                    rules[rc.rule_id].add(rc)
                else:
                    rules[rc.rule_id] = RuleCompliance(rc.rule_id, rc.title, rc.status, rc.target)
                    rules[rc.rule_id].add(rc)
        ends = [r.end for r in results if r.end is not None]
        not_checked = sorted({nc for r in results for nc in r.not_checked})
        return cls(
            source or ", ".join(r.source for r in results),
            "+".join(sorted({r.mode for r in results})),
            sum(r.transactions for r in results), sum(r.flows for r in results),
            max(ends) if ends else None, [rules[k] for k in sorted(rules)],
            sorted((v for r in results for v in r.violations), key=Violation.sort_key),
            # a note about the data (a TDSP without a calendar) is said once, not once a shard
            not_checked, list(dict.fromkeys(n for r in results for n in r.notes)),
            [f for r in results for f in r.findings],
            sorted((v for r in results for v in r.owed), key=Violation.due_key),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "source": self.source, "mode": self.mode, "transactions": self.transactions,
            "flows": self.flows, "end": self.end.isoformat() if self.end else None,
            "ok": self.ok, "violation_count": len(self.violations),
            "rules": [r.to_dict() for r in self.rules],
            "violations": [v.to_dict() for v in self.violations],
            "not_checked": [{"rule_id": i, "reason": why} for i, why in self.not_checked],
            "notes": list(self.notes), "findings": list(self.findings),
        }

    def in_folder(self, folder: str) -> CheckResult:
        """The result with every file its violations cite taken as inside ``folder`` (a shard's
        check, cited from the run's folder: ``shard-003/outbox/...``)."""
        def moved(ref: TxnRef) -> TxnRef:
            return replace(ref, file=f"{folder}/{ref.file}") if ref.file else ref

        def cited(vs: list[Violation]) -> list[Violation]:
            return [replace(v, trigger=moved(v.trigger), answered=v.answered and moved(v.answered)) for v in vs]

        return replace(self, violations=cited(self.violations), owed=cited(self.owed))

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CheckResult:
        """The result :meth:`to_dict` gave (without the answers owed, which it leaves out)."""
        return cls(d["source"], d["mode"], int(d["transactions"]), int(d["flows"]),
                   _moment(d["end"]) if d["end"] else None,
                   [RuleCompliance.from_dict(r) for r in d["rules"]],
                   [Violation.from_dict(v) for v in d["violations"]],
                   [(n["rule_id"], n["reason"]) for n in d["not_checked"]], list(d["notes"]), list(d["findings"]))

    def to_json(self) -> str:
        """The result as indented JSON."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=False)

    def summary_lines(self) -> list[str]:
        """The per-rule compliance table as text lines."""
        excused = any(r.excused for r in self.rules)  # the column only when an outage excused one
        lines = [f"{'rule':<28} {'status':<9} {'met':>7} " + (f"{'excus.':>6} " if excused else "")
                 + f"{'late':>6} {'miss':>6} {'out':>5} {'open':>6} {'skip':>5} {'compl.':>8} {'target':>7}  result"]
        for r in self.rules:
            c = r.compliance
            pct = "-" if c is None else f"{100 * c:.2f}%"
            verdict = "n/a" if r.passed is None else "pass" if r.passed else "FAIL"
            lines.append(f"{r.rule_id:<28} {r.status:<9} {r.on_time:>7} " + (f"{r.excused:>6} " if excused else "")
                         + f"{r.late:>6} {r.missing:>6} {r.outside:>5} {r.open:>6} {r.skipped:>5} {pct:>8} "
                         f"{100 * r.target:>6.0f}%  {verdict}")
        return lines

    def to_text(self, limit: int | None = None) -> str:
        """Violations (one line each, location first), then the compliance table and notes."""
        out: list[str] = []
        shown: Iterable[Violation] = self.violations if limit is None else self.violations[:limit]
        out.extend(v.message for v in shown)
        if limit is not None and len(self.violations) > limit:
            out.append(f"... and {len(self.violations) - limit} more violation(s)")
        if out:
            out.append("")
        end = self.end.strftime("%Y-%m-%d %H:%M %Z") if self.end else "-"
        out.append(f"checked {self.source} ({self.mode}): {self.transactions} transactions, "
                   f"{self.flows} flows, data up to {end}; {len(self.violations)} violation(s)")
        out.extend(self.summary_lines())
        if self.not_checked:
            out.append("not checkable from transactions: " + ", ".join(i for i, _ in self.not_checked))
        for note in self.notes:
            out.append(f"note: {note}")
        unreadable = [f for f in self.findings if f.endswith(" [unreadable]")]
        if len(self.findings) > len(unreadable):
            out.append(f"envelope findings while reading: {len(self.findings) - len(unreadable)} "
                       "(run 'ercot-sim validate')")
        for line in unreadable:  # not X12, or a link out of the folder: the rest was checked
            out.append(f"not read: {line.removesuffix(' [unreadable]')}")
        return "\n".join(out)
