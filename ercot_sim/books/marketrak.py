"""MarkeTrak issues of a run: the issue types and states as data
(``ercot_sim/data/marketrak.toml``, each fact marked confirmed or assumed), and each issue the
simulated participants opened, read back from the trace: who opened it, whom ERCOT routed it
to, every state it went through (New, In Progress, Ready to Receive, then Complete,
Unexecutable or Withdrawn), and whether it sat in New past the escalation.

An issue travels between participants as out-of-band rows (no X12): the submitter's to ERCOT,
ERCOT's to the assignee, the assignee's agreement to the TDSP (``marketrak-agree``), the TDSP's
``marketrak-ready-to-receive``; the losing CR's backdated move-in (its reference ``B`` and
the issue's) completes it (867_04) or not (a reject). A ``marketrak-complete`` closes an
issue (the submitter's, when what it missed came; or the assignee's, with a comment) and a
``marketrak-withdrawn`` withdraws it.
"""

from __future__ import annotations

import datetime as dt
import functools
import sqlite3
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from ercot_sim.errors import SimError
from ercot_sim.tomlload import load_toml_text

__all__ = ["Catalog", "Issue", "catalog", "read_issues"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Escalation(_Strict):
    new_business_days: int
    status: Literal["confirmed", "assumed"]
    source: str


class State(_Strict):
    name: str
    meaning: str
    status: Literal["confirmed", "assumed"]
    source: str


class Subtype(_Strict):
    name: str
    family: Literal["D2D", "DEV"]
    submitter: str
    assignee: str
    code: str | None = None
    agree_business_days: int | None = None
    status: Literal["confirmed", "assumed"]
    source: str


class Catalog(_Strict):
    """The MarkeTrak data file."""

    escalation: Escalation
    states: list[State]
    subtypes: list[Subtype]

    def by_code(self) -> dict[str, Subtype]:
        """The subtypes the simulator works, by the out-of-band code that carries them."""
        return {s.code: s for s in self.subtypes if s.code}


@functools.cache
def catalog() -> Catalog:
    """The shipped MarkeTrak data (issue types, states, escalation)."""
    text = resources.files("ercot_sim.data").joinpath("marketrak.toml").read_text("utf-8")
    return load_toml_text(text, "<ercot_sim/data/marketrak.toml>", Catalog, SimError)


@dataclass
class Issue:
    """One MarkeTrak issue of a run."""

    ref: str
    subtype: str
    esi_id: str
    submitter: str
    opened: dt.datetime
    assignee: str = ""
    history: list[tuple[dt.datetime, str, str]] = field(default_factory=list)  # (at, state, by)
    escalated: bool = False

    @property
    def state(self) -> str:
        return self.history[-1][1] if self.history else "New"

    def to_dict(self) -> dict[str, Any]:
        return {"issue": self.ref, "subtype": self.subtype, "esi_id": self.esi_id, "submitter": self.submitter,
                "assignee": self.assignee, "opened": self.opened.isoformat(), "state": self.state,
                "escalated": self.escalated,
                "history": [{"at": a.isoformat(), "state": s, "by": b} for a, s, b in self.history]}


#: out-of-band codes that end an issue -> the state they leave it in
_CLOSING = {"marketrak-unexecutable": "Unexecutable", "marketrak-complete": "Complete",
            "marketrak-withdrawn": "Withdrawn"}


def _business_days_between(start: dt.date, end: dt.date) -> int:
    """Weekdays after ``start`` up to ``end`` (holidays aside: an escalation flag, not a deadline)."""
    days, d = 0, start
    while d < end:
        d += dt.timedelta(days=1)
        days += d.weekday() < 5
    return days


def read_issues(trace: Path, until: dt.datetime | None = None) -> list[Issue]:
    """Every MarkeTrak issue opened in the run (up to ``until``), with its states so far.

    Raises:
        sqlite3.Error: the trace cannot be read.
    """
    codes = catalog().by_code()
    db = sqlite3.connect(f"file:{trace}?mode=ro", uri=True)
    try:
        last = db.execute("SELECT MAX(sent_at) FROM transactions").fetchone()[0]
        rows = db.execute("SELECT sent_at, code, sender, receiver, esi_id, ref, orig_ref, detail FROM transactions "
                          "WHERE code LIKE 'marketrak-%' OR (code IN ('814_16', '814_05', '867_04') AND "
                          "(ref LIKE 'B%' OR orig_ref LIKE 'B%')) ORDER BY sent_at, seq").fetchall()
    finally:
        db.close()
    issues: dict[str, Issue] = {}
    agreed: dict[str, Issue] = {}  # the agreement's reference -> its issue
    for sent, code, sender, receiver, esi, ref, orig, _detail in rows:
        at = dt.datetime.fromisoformat(str(sent))
        if until is not None and at >= until:
            break
        if code in codes:
            issue = issues.get(ref)
            if issue is None:  # the submitter's, to ERCOT
                issues[ref] = Issue(ref, codes[code].name, esi, sender, at, history=[(at, "New", sender)])
            else:  # ERCOT's routing to the assignee
                issue.assignee = receiver
        elif code == "marketrak-in-progress" and orig in issues:  # the assignee works it
            issue = issues[orig]
            issue.assignee = issue.assignee or sender
            issue.history.append((at, "In Progress", sender))
        elif code in _CLOSING and orig in issues:
            issues[orig].history.append((at, _CLOSING[code], sender))
        elif code == "marketrak-agree" and orig in issues:
            issue = issues[orig]
            agreed[ref] = issue
            issue.history.append((at, "In Progress", sender))
        elif code == "marketrak-ready-to-receive" and orig in agreed:
            agreed[orig].history.append((at, "Ready to Receive", sender))
        else:  # the backdated move-in: B + the issue's reference without its letter
            back = ref if code == "814_16" else orig
            issue = next((i for i in issues.values() if back[1:] == i.ref[1:]), None)
            if issue is None:
                continue
            if code == "867_04":
                issue.history.append((at, "Complete", sender))
            elif code == "814_05" and "reject" in str(_detail):
                issue.history.append((at, "Unexecutable", sender))
    _usage_arrived(trace, issues, until)
    limit = catalog().escalation.new_business_days
    end = until or (dt.datetime.fromisoformat(str(last)) if last else None)
    for issue in issues.values():
        moved = issue.history[1][0] if len(issue.history) > 1 else end
        if moved is not None and _business_days_between(issue.opened.date(), moved.date()) > limit:
            issue.escalated = True
    return list(issues.values())


def _usage_arrived(trace: Path, issues: dict[str, Issue], until: dt.datetime | None) -> None:
    """A Usage & Billing - Missing issue is Complete when its submitter receives monthly usage
    for the ESI ID after the TDSP took it in hand."""
    open_ones = [i for i in issues.values() if i.subtype == "Usage & Billing - Missing" and len(i.history) > 1]
    if not open_ones:
        return
    db = sqlite3.connect(f"file:{trace}?mode=ro", uri=True)
    try:
        for issue in open_ones:
            since = issue.history[-1][0]
            row = db.execute("SELECT MIN(sent_at), sender FROM transactions WHERE code = '867_03' AND esi_id = ? "
                             "AND receiver = ? AND sent_at > ?", (issue.esi_id, issue.submitter,
                                                                   since.isoformat())).fetchone()
            if row and row[0] and (until is None or dt.datetime.fromisoformat(row[0]) < until):
                issue.history.append((dt.datetime.fromisoformat(row[0]), "Complete", str(row[1])))
    finally:
        db.close()
