"""A participant's work queue on the morning of a day: what an operations associate there would
see, built only from what the participant sent and received (its transactions, its own books)
and ERCOT's extract (the variances of :mod:`ercot_sim.books.reconcile`), prioritised, each
item with its evidence decoded and the next action the market expects.

Items, by what they come from:

* **owed**: an answer the participant owes and has not sent (the timing rules' deadlines; an
  overdue one first), a 997 included;
* **awaited**: an answer to the participant's own transaction that never came (the partner is
  late: a MarkeTrak issue is the market's way to chase it);
* **reject**: a reject the participant received and has not acted on since (a new request for
  the ESI ID);
* **variance**: its view of who serves an ESI ID differs from ERCOT's;
* **usage**: (a CR) an ESI ID it serves without monthly usage a cycle after it was due;
* **invoice**: (a CR) an invoice for an ESI ID it did not serve over the invoice's period,
  not rejected;
* **duplicate**: the same transaction received twice;
* **inadvertent**: (a CR) an ESI ID it serves that is not its customer's premise (its request
  named another premise's ESI ID);
* **marketrak**: a MarkeTrak issue it opened that is not put right yet, or one assigned to it
  that it has not acted on (:mod:`ercot_sim.books.marketrak`).

Priority: 1 a customer's service (enrollment, switch, move, REP of record), 2 billing, 3
acknowledgement; within a priority the oldest (most overdue) first.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import sqlite3
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ercot_sim.books.decode import meaning
from ercot_sim.books.reconcile import reconcile
from ercot_sim.books.views import read_views
from ercot_sim.calendar import CENTRAL
from ercot_sim.timing.check.report import Violation
from ercot_sim.timing.flows import TxnRecord

__all__ = ["Item", "queue_text", "worklist"]

#: days without monthly usage at an ESI ID served before a missing 867_03 is worked: a read
#: cycle is about 30 days, but the first usage after a gain may take up to two (a read within 20
#: days of the gain is not billed), about 50 days with the business days the usage takes
USAGE_OVERDUE_DAYS = 50
#: how far back a received reject stays on the queue when nothing was done about it
REJECT_DAYS = 30


@dataclass(frozen=True, slots=True)
class Item:
    """One item of a work queue."""

    priority: int
    kind: str
    esi_id: str
    title: str
    since: dt.date
    due: str
    next_action: str
    marketrak: str
    evidence: tuple[str, ...]
    #: the transaction the item asks for (an owed or awaited answer), '' for others
    code: str = ""
    #: the reference of the transaction it is about, where one ESI ID may have several such items
    ref: str = ""

    @property
    def key(self) -> str:
        """A stable name of the item (``kind:ESI ID``, with the code it asks for), for answers."""
        return f"{self.kind}:{self.esi_id}" + (f":{self.code}" if self.code else "") + (
            f":{self.ref}" if self.ref else "")

    @property
    def impact(self) -> str:
        return {1: "customer service", 2: "billing"}.get(self.priority, "acknowledgement")

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "priority": self.priority, "impact": self.impact, "kind": self.kind,
                "esi_id": self.esi_id,
                "title": self.title, "since": self.since.isoformat(), "due": self.due,
                "next_action": self.next_action, "marketrak": self.marketrak, "evidence": list(self.evidence)}


def _line(r: TxnRecord) -> str:
    """A transaction decoded on one line: when, what it is, who to whom, its reference, where."""
    said = meaning(r.code or "")
    what = f"{r.code} ({said})" if said else str(r.code)
    flag = "  REJECT" if r.reject else ""
    return f"{r.sent_at:%Y-%m-%d %H:%M} {what} {r.sender} -> {r.receiver} ref {r.ref}{flag}  [{r.location}]"


_SERVICE = ("814", "867_04")
_BILLING = ("810", "820", "824", "867_03", "867_02")


def _priority(code: str) -> int:
    if code == "997":
        return 3
    return 2 if code.startswith(_BILLING) else 1


def worklist(trace: Path, party: str, day: dt.date, settle_days: int = 7) -> list[Item]:
    """The work queue of ``party`` (DUNS) on the morning of ``day``, prioritised.

    Raises:
        CheckInputError: the trace cannot be read.
        sqlite3.Error: the trace has no ``books``.
    """
    from ercot_sim.timing.check import check_dataset, load_check_rules
    from ercot_sim.timing.check.sources import Dataset, read_trace

    morning = dt.datetime.combine(day, dt.time(0), CENTRAL)
    data = read_trace(trace)
    seen = [dataclasses.replace(r, index=i) for i, r in enumerate(x for x in data.records if x.sent_at < morning)]
    old_index = [x.index for x in data.records if x.sent_at < morning]
    charges = {new: data.charges[old] for new, old in enumerate(old_index) if old in data.charges}
    known = Dataset(seen, data.source, data.mode, morning, charges=charges, outages=data.outages)
    result = check_dataset(known, load_check_rules())
    mine = [r for r in seen if party in (r.sender, r.receiver)]
    db = sqlite3.connect(f"file:{trace}?mode=ro", uri=True)
    try:  # what the party sent that a fault kept from crossing: its own system shows it sent
        sent_lost = {(str(e), str(c)) for e, c in db.execute(
            "SELECT esi_id, code FROM faults WHERE kind = 'missing' AND sender = ? AND at < ?",
            (party, morning.isoformat()))}
    finally:
        db.close()
    items: list[Item] = []
    items += [i for i in _from_violations(result.violations, seen, party, day) + _unanswered(mine, party, day)
              if not (i.kind == "owed" and (i.esi_id, i.code) in sent_lost)]
    items += _rejects(mine, party, day)
    items += _duplicates(mine, party)
    items += _variances(trace, party, day, settle_days)
    items += _issues(trace, party, morning)
    roles = read_views(trace, day - dt.timedelta(days=1)).roles
    if roles.get(party, "CR") == "CR":
        items += _usage_and_invoices(trace, mine, party, day)
    return sorted(items, key=lambda i: (i.priority, i.since, i.esi_id, i.kind, i.title))


#: requests that open an order at ERCOT: a CR that sent one awaits the answers to it
_INITIATING = frozenset({"814_01", "814_16", "814_24", "814_26", "814_08", "814_12", "814_18"})


@functools.cache
def _receivers(code: str) -> frozenset[str]:
    """The roles that receive ``code`` (its guide's flows)."""
    from edi.errors import GuideError
    from edi.texas_set.guide import load_guide

    try:
        return frozenset(f.receiver for f in load_guide(code).flows)
    except (GuideError, OSError):
        return frozenset()


def _from_violations(violations: list[Violation], seen: list[TxnRecord], party: str, day: dt.date) -> list[Item]:
    """Answers the party owes and has not sent, and answers it waits for that never came."""
    from ercot_sim.timing.check.sources import infer_roles

    by_place = {(r.file, r.st_control): r for r in seen}
    role = infer_roles(seen).get(party, "")
    requests: dict[str, list[TxnRecord]] = {}  # ESI ID -> the party's initiating requests, in order
    for r in seen:
        if r.sender == party and r.code in _INITIATING:
            requests.setdefault(r.esi_id, []).append(r)
    out = []
    for v in violations:
        trigger = by_place.get((v.trigger.file, v.trigger.st_control))
        if v.kind != "missing" or trigger is None:
            continue
        code, _, sender = v.expected.partition(" from ")
        due = v.due.astimezone(CENTRAL).strftime("%Y-%m-%d %H:%M") if v.due else ""
        since = v.due.date() if v.due else day
        ack = code == "997"
        if v.event:  # the answers a read owes: the party's own read
            owes, waits = trigger.sender == party, False
        elif ack:
            owes, waits = trigger.receiver == party, trigger.sender == party
        else:
            owes = trigger.receiver == party and sender == role
            waits = role in _receivers(code) and sender != role and (
                trigger.sender == party or v.esi_id in requests)
        about = f"the {v.event}" if v.event else f"{trigger.code} ref {trigger.ref}"
        if owes:
            out.append(Item(_priority(code), "owed", v.esi_id, f"send the {code} for {about} ({v.rule_id})", since,
                            due, f"send the {code} now: it was due {due}", "", (_line(trigger),), code, trigger.ref))
        elif waits:
            subtype = "997 Issue" if ack else (
                "Usage & Billing - Missing" if code.startswith(("867_03", "810")) else "Missing Enrollment Transaction")
            own = trigger
            if trigger.sender != party:  # passed on between others: the party knows only its own request
                before = [r for r in requests[v.esi_id] if r.sent_at <= trigger.sent_at]
                own = before[-1] if before else requests[v.esi_id][0]
                about = f"your {own.code} ref {own.ref}"
            out.append(Item(_priority(code), "awaited", v.esi_id, f"no {code} came for {about} ({v.rule_id})", since,
                            due, f"chase the {code}: open a MarkeTrak {subtype} issue", subtype, (_line(own),), code,
                            trigger.ref))
    return out


#: notices whose answer no timing rule times: notice -> its answer (the receiver's), which the
#: sender awaits and the receiver owes once :data:`ANSWER_DAYS` have passed
_UNTIMED_ANSWERS = {"814_06": "814_07", "814_22": "814_23", "814_28": "814_29", "814_14": "814_15"}
ANSWER_DAYS = 3


def _unanswered(mine: list[TxnRecord], party: str, day: dt.date) -> list[Item]:
    """Notices to or from the party whose answer (untimed by the rules) has not come in
    :data:`ANSWER_DAYS` days."""
    answered = {(r.sender, r.orig_ref, r.code) for r in mine}
    out = []
    for r in mine:
        answer = _UNTIMED_ANSWERS.get(r.code or "")
        if answer is None or (day - r.sent_at.date()).days <= ANSWER_DAYS:
            continue
        if (r.receiver, r.ref, answer) in answered:
            continue
        if r.receiver == party:
            out.append(Item(1, "owed", r.esi_id, f"send the {answer} for {r.code} ref {r.ref}", r.sent_at.date(), "",
                            f"answer the {r.code} with an {answer}", "", (_line(r),), answer, r.ref))
        else:
            out.append(Item(1, "awaited", r.esi_id, f"no {answer} came for {r.code} ref {r.ref}", r.sent_at.date(),
                            "", f"chase the {answer} with {r.receiver}: open a MarkeTrak Missing Enrollment "
                            "Transaction issue", "Missing Enrollment Transaction", (_line(r),), answer, r.ref))
    return out


def _rejects(mine: list[TxnRecord], party: str, day: dt.date) -> list[Item]:
    """Rejects received in the last :data:`REJECT_DAYS` days with no request for the ESI ID since."""
    out = []
    since = day - dt.timedelta(days=REJECT_DAYS)
    for r in mine:
        if r.receiver != party or not r.reject or r.sent_at.date() < since:
            continue
        later = [x for x in mine if x.sender == party and x.esi_id == r.esi_id and x.sent_at > r.sent_at
                 and x.code in ("814_01", "814_16", "814_24", "814_08", "814_12", "814_26", "650_01", "810_02")]
        if later:
            continue
        out.append(Item(_priority(r.code or ""), "reject", r.esi_id, f"{r.code} reject ref {r.ref} from {r.sender}",
                        r.sent_at.date(), "", "read the reject reason; correct the request and send it again, or "
                        "tell the customer; a reject you think wrong: MarkeTrak Reject Transactions",
                        "Reject Transactions", (_line(r),)))
    return out


def _duplicates(mine: list[TxnRecord], party: str) -> list[Item]:
    counts = Counter((r.sender, r.code, r.ref) for r in mine if r.receiver == party and r.code != "997")
    out = []
    for r in mine:
        key = (r.sender, r.code, r.ref)
        if counts.get(key, 0) > 1:
            copies = counts.pop(key)
            out.append(Item(_priority(r.code or ""), "duplicate", r.esi_id, f"{r.code} ref {r.ref} received {copies} "
                            "times", r.sent_at.date(), "", "work it once; tell the sender if it keeps coming", "",
                            (_line(r),)))
    return out


def _variances(trace: Path, party: str, day: dt.date, settle_days: int) -> list[Item]:
    out = []
    for v in reconcile(trace, day - dt.timedelta(days=1), settle_days, party):
        if v.end is not None:
            continue  # put right since
        if v.role == "CR" and v.theirs == "0":
            action, subtype = ("ERCOT shows you as the REP of record: chase the 867_04 with the TDSP (MarkeTrak "
                               "Missing Enrollment Transaction), then set the customer up", "Missing Enrollment "
                               "Transaction")
        elif v.role == "CR":
            action, subtype = ("ERCOT no longer shows you as the REP of record: stop billing and chase the loss "
                               "(the final 867_03, MarkeTrak Usage & Billing - Missing); if the customer did not "
                               "choose to leave, MarkeTrak Inadvertent Loss", "Usage & Billing - Missing")
        else:
            action, subtype = ("your REP of record differs from ERCOT's: send the completion ERCOT lacks, or file "
                               "a data extract variance (MarkeTrak DEV LSE)", "DEV LSE")
        # what the participant itself sent and received: its own records, without the market's fault marks
        lines = tuple(e.line(faults=False) for e in v.evidence if e.file and party in (e.sender, e.receiver))[-6:]
        out.append(Item(1, "variance", v.esi_id, f"{v.kind} ({v.field}: ERCOT {v.ercot or 'none'}, yours "
                        f"{v.theirs or 'none'})", v.start, "", action, subtype, lines))
    return out


def _issue_priority(subtype: str) -> int:
    """A MarkeTrak issue's priority on the queue: billing for usage and billing issues."""
    return 2 if subtype.startswith("Usage & Billing") else 1


def _issues(trace: Path, party: str, morning: dt.datetime) -> list[Item]:
    """MarkeTrak issues the party submitted that are not put right yet, and issues assigned to
    it that it has not acted on."""
    from ercot_sim.books.marketrak import catalog, read_issues

    subtypes = {s.name: s for s in catalog().subtypes}
    out = []
    for issue in read_issues(trace, morning):
        state, since = issue.state, issue.history[-1][0].date()
        if issue.submitter == party and state not in ("Complete", "Withdrawn"):
            if state == "Unexecutable":
                action = ("the assignee could not do it (its reject names why): work it out with the other CR "
                          "and ERCOT, or withdraw it")
            else:
                action = f"follow the issue: it is {state}" + (", escalated" if issue.escalated else "")
            out.append(Item(_issue_priority(issue.subtype), "marketrak", issue.esi_id,
                            f"your {issue.subtype} issue {issue.ref} is {state}",
                            since, "", action, issue.subtype, ()))
        elif issue.assignee == party and state == "New":
            days = subtypes[issue.subtype].agree_business_days if issue.subtype in subtypes else None
            within = f" within {days} business days" if days else ""
            out.append(Item(_issue_priority(issue.subtype), "marketrak", issue.esi_id,
                            f"the {issue.subtype} issue {issue.ref} from "
                            f"{issue.submitter} is assigned to you", since, "", f"agree{within} (or reject it with a "
                            "valid reason); then act on it as the issue type asks", issue.subtype, ()))
    return out


def _usage_and_invoices(trace: Path, mine: list[TxnRecord], party: str, day: dt.date) -> list[Item]:
    """A CR's served ESI IDs without monthly usage, and invoices for ESI IDs it did not serve."""
    views = read_views(trace, day - dt.timedelta(days=1))
    every = read_views(trace, dt.date.max - dt.timedelta(days=1))  # for the opening REP of every ESI ID changed
    db = sqlite3.connect(f"file:{trace}?mode=ro", uri=True)
    try:
        # the opening book: ESI IDs never changed keep the population's REP (the final registry's);
        # the others, the REP their first change started from
        unchanged = [e for (e,) in db.execute("SELECT esi_id FROM registry WHERE rep = ?", (party,))
                     if e not in every.by_esi]
        run_start = dt.date.fromisoformat(str(dict(db.execute("SELECT key, value FROM run"))["start"]))
    finally:
        db.close()

    def serves(esi: str) -> bool:
        line = views.by_esi.get(esi, {}).get(party)
        return line.on(day) == "1" if line is not None else every.opening.get(esi) == party

    served = [e for e in views.by_esi if serves(e)] + [e for e in every.by_esi if e not in views.by_esi
                                                        and serves(e)]
    opening = unchanged
    last_usage: dict[str, dt.date] = {}
    for r in mine:
        if r.receiver == party and r.code == "867_03":
            last_usage[r.esi_id] = r.sent_at.date()
    chased = {r.esi_id for r in mine if r.sender == party and r.code == "marketrak-usage-missing"}
    out = []
    for esi in sorted((set(served) | set(opening)) - chased):  # (an issue opened is on the queue as such)
        line = views.by_esi.get(esi, {}).get(party)
        # served since its gain, or (a customer of the opening book) since the run began
        start = line.dates[-1] if line is not None and line.dates else run_start
        last = last_usage.get(esi) or start
        if (day - last).days > USAGE_OVERDUE_DAYS:
            out.append(Item(2, "usage", esi, f"no monthly usage since {last}", last, "",
                            "ask the TDSP for the 867_03 (MarkeTrak Usage & Billing - Missing); bill on an "
                            "estimate meanwhile", "Usage & Billing - Missing", ()))
    opened = {r.esi_id for r in mine if r.sender == party and r.code == "marketrak-inadvertent-gain"}
    for (cr, esi), premise in sorted(views.premises.items()):
        line = views.by_esi.get(esi, {}).get(cr)
        if cr != party or line is None or line.on(day) != "1" or esi in opened:
            continue  # (an issue opened for it is on the queue as a MarkeTrak item)
        out.append(Item(1, "inadvertent", esi, f"you serve {esi}, but your customer's premise is {premise}",
                        line.dates[-1], "", f"open a MarkeTrak Inadvertent Gain issue: the losing CR regains "
                        f"{esi} from the date of loss or a prospective date (RMGRR133); then enroll {premise} "
                        "for your customer", "Inadvertent Gain",
                        tuple(_line(r) for r in mine if r.esi_id == esi and r.code in ("814_01", "814_16",
                                                                                       "814_05", "867_04"))))
    rejected = {r.orig_ref for r in mine if r.sender == party and r.code == "824"}
    for r in mine:
        if r.receiver != party or r.code != "810_02" or r.ref in rejected:
            continue
        line = views.by_esi.get(r.esi_id, {}).get(party)
        period = r.dates.get("150") or r.sent_at.date()  # the invoice's service period starts
        then = line.on(period) if line is not None else None
        if then == "0" and not any(x.sender == party and x.code == "820_02" and x.orig_ref == r.ref for x in mine):
            out.append(Item(2, "invoice", r.esi_id, f"invoice {r.ref} for an ESI ID you did not serve",
                            r.sent_at.date(), "", "reject it with an 824 (within 48 hours of the next business "
                            "day), or dispute it (MarkeTrak Usage & Billing - Dispute)", "Usage & Billing - Dispute",
                            (_line(r),)))
    return out


def queue_text(party: str, morning: dt.date, items: list[Item], limit: int = 50) -> str:
    """The queue as an associate reads it: numbered items, each with its key, next action and
    evidence."""
    lines = [f"work queue of {party} on the morning of {morning}: {len(items)} item(s)"]
    for n, i in enumerate(items[:limit], 1):
        due = f", due {i.due}" if i.due else ""
        lines.append(f"{n:>3}. [P{i.priority} {i.impact}] {i.esi_id or '-'}  {i.kind}: {i.title} "
                     f"(since {i.since}{due})")
        lines.append(f"       key: {i.key}")
        lines.append(f"       next: {i.next_action}")
        lines += [f"       {line}" for line in i.evidence]
    if len(items) > limit:
        lines.append(f"... and {len(items) - limit} more (--limit, --json)")
    return "\n".join(lines) + "\n"
