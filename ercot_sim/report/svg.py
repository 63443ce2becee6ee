"""Swimlane sequence diagrams in SVG (lxml elements, no script, no external assets).

One diagram per ESI ID: a lane per participant (the CRs, ERCOT, the TDSPs), one arrow per
transaction (code and sending time), and a deadline bar for every response rule a
transaction triggers, drawn on the lane of the participant that owes the answer, from the
trigger to the deadline the rule set computes. Bars are green when the answer came in time,
red when the compliance checker found a violation, grey when the answer is still open.
Violations are marked red on the arrows (late answers) or as a red cross where the missing
answer was due.

Rows are in time order but not to scale: each transaction and each deadline gets a row, and
the left column gives its date and time.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree

from edi.errors import EdiError
from edi.texas_set.guide import load_guide
from ercot_sim.errors import SimError
from ercot_sim.report.data import EsiFlow
from ercot_sim.timing.check import Violation
from ercot_sim.timing.flows import TxnRecord
from ercot_sim.timing.rules import Rule, RuleSet

__all__ = ["RED", "DeadlineBar", "deadline_bars", "lane_order", "sequence_diagram"]

RED = "#c62828"
GREEN = "#2e7d32"
GREY = "#9e9e9e"
INK = "#263238"
_LANE_W = 180
_LEFT = 150
_HEAD = 58
_ROW = 34
_DUE_ROW = 18
_ROLE_FILL = {"CR": "#e3f2fd", "ERCOT": "#fff8e1", "TDSP": "#e8f5e9"}


@dataclass(frozen=True)
class DeadlineBar:
    """A response rule's deadline for one trigger.

    Attributes:
        rule_id: the rule.
        trigger: the transaction that started the clock.
        owner: DUNS of the participant that owes the answer.
        due: the deadline.
        answer: the answering transaction (None when not sent).
        status: ``met``, ``violated`` or ``open``.
    """

    rule_id: str
    trigger: TxnRecord
    owner: str
    due: dt.datetime
    answer: TxnRecord | None
    status: str


def lane_order(records: Sequence[TxnRecord], roles: dict[str, str]) -> list[str]:
    """The lanes of a diagram: CRs (in order of appearance), ERCOT, then the TDSPs."""
    seen: list[str] = []
    for r in records:
        for party in (r.sender, r.receiver):
            if party and party not in seen:
                seen.append(party)
    rank = {"CR": 0, "ERCOT": 1, "TDSP": 2}
    return sorted(seen, key=lambda p: (rank.get(roles.get(p, ""), 3), seen.index(p)))


def _tdsp_calendar(rules: RuleSet, rec: TxnRecord, records: Sequence[TxnRecord], roles: dict[str, str]) -> str:
    candidates = [rec.tdsp_name] + [p for r in records for p in (r.sender, r.receiver) if roles.get(p) == "TDSP"]
    for c in candidates:
        if not c:
            continue
        try:
            return rules.calendar.resolve(c)
        except SimError:
            continue
    return "ERCOT"


def _answer(rule: Rule, trig: TxnRecord, later: Sequence[TxnRecord]) -> TxnRecord | None:
    codes = {c for m in rule.expect for c in m.codes}
    senders = {m.sender for m in rule.expect}
    fitting = [r for r in later if r.code in codes and r.sent_at >= trig.sent_at and r is not trig
               and ("ANY" in senders or r.sender_role in senders
                    or ("RECEIVER" in senders and r.sender == trig.receiver))]
    for r in fitting:
        if trig.ref and (r.orig_ref == trig.ref or r.ref == trig.ref):
            return r
    return fitting[0] if fitting else None


def _key(file: str, st_control: str, code: str | None) -> tuple[str, str, str]:
    return (file, st_control, code or "")


def deadline_bars(flow: EsiFlow, rules: RuleSet, roles: dict[str, str]) -> list[DeadlineBar]:
    """Deadline bars for the response rules the flow's transactions trigger (997 rules left out)."""
    bars: list[DeadlineBar] = []
    priority = any(r.priority for r in flow.records)
    violated = {(v.rule_id, _key(v.trigger.file, v.trigger.st_control, v.trigger.code)) for v in flow.violations}
    for i, rec in enumerate(flow.records):
        if not rec.code:
            continue
        for rule in rules.rules_for_trigger(rec.code, rec.sender_role, on=rec.sent_at.date(),
                                            priority=priority, bgn07=rec.bgn07 or None):
            if rule.kind != "response" or rule.deadline is None or not rule.expect:
                continue
            if any(c == "997" for m in rule.expect for c in m.codes):
                continue
            cal = _tdsp_calendar(rules, rec, flow.records, roles)
            try:
                due = rules.deadline(rule, rec.sent_at, tdsp=cal)
            except SimError:
                continue
            ans = _answer(rule, rec, flow.records[i + 1:])
            want = rule.expect[0].sender
            if ans is not None:
                owner = ans.sender
            elif want == "RECEIVER" or roles.get(rec.receiver) == want:
                owner = rec.receiver
            else:
                owner = next((p for r in flow.records for p in (r.sender, r.receiver) if roles.get(p) == want),
                             rec.receiver)
            if (rule.id, _key(rec.file, rec.st_control, rec.code)) in violated:
                status = "violated"
            elif ans is not None and ans.sent_at <= due:
                status = "met"
            elif ans is None:
                status = "open"
            else:
                status = "violated"
            bars.append(DeadlineBar(rule.id, rec, owner, due, ans, status))
    return bars


@functools.cache
def transaction_name(code: str | None) -> str:
    """The Texas SET name of a code (``814_03`` -> ``Enrollment notification``), for tooltips."""
    if not code:
        return "(not identified)"
    try:
        return load_guide(code).name
    except EdiError:
        return "(no guide)"


def _fmt(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrs: object) -> etree._Element:
    el = etree.SubElement(parent, tag, {k.rstrip("_").replace("_", "-"): str(v) for k, v in attrs.items()})
    if text is not None:
        el.text = text
    return el


def _arrow(g: etree._Element, x1: float, x2: float, y: float, color: str, dashed: bool) -> None:
    attrs = {"stroke_dasharray": "5 3"} if dashed else {}
    _el(g, "line", x1=x1, y1=y, x2=x2, y2=y, stroke=color, stroke_width=1.6, **attrs)
    d = 1 if x2 > x1 else -1
    _el(g, "polygon", points=f"{x2},{y} {x2 - 9 * d},{y - 4} {x2 - 9 * d},{y + 4}", fill=color)


def sequence_diagram(flow: EsiFlow, rules: RuleSet, roles: dict[str, str], names: dict[str, str]) -> etree._Element:
    """The SVG sequence diagram of one ESI ID (an ``svg`` element for inline HTML)."""
    lanes = lane_order(flow.records, roles)
    lane_x = {p: _LEFT + _LANE_W * i + _LANE_W / 2 for i, p in enumerate(lanes)}
    bars = deadline_bars(flow, rules, roles)
    by_trigger = {_key(v.trigger.file, v.trigger.st_control, v.trigger.code): v for v in flow.violations}
    late_answers = {_key(v.answered.file, v.answered.st_control, v.answered.code): v
                    for v in flow.violations if v.answered is not None}
    missing = [v for v in flow.violations if v.kind == "missing" and v.due is not None]
    # rows: (time, order, kind, payload); a transaction sorts before a deadline at the same time
    rows: list[tuple[dt.datetime, int, int, object]] = [(r.sent_at, 0, n, r) for n, r in enumerate(flow.records)]
    rows += [(b.due, 1, n, b) for n, b in enumerate(bars)]
    rows += [(v.due, 2, n, v) for n, v in enumerate(missing) if v.due is not None]
    rows.sort(key=lambda t: (t[0], t[1], t[2]))
    y = float(_HEAD + 16)
    ys: dict[tuple[int, int], float] = {}
    for _moment, kind, n, _ in rows:
        y += _ROW if kind == 0 else _DUE_ROW
        ys[(kind, n)] = y
    height = int(y + 24)
    width = _LEFT + _LANE_W * max(1, len(lanes)) + 160
    svg = etree.Element("svg", {"width": str(width), "height": str(height),
                                "viewBox": f"0 0 {width} {height}", "role": "img", "class": "seq",
                                "font-family": "sans-serif", "font-size": "11"})
    _el(svg, "title", f"Sequence of transactions for ESI ID {flow.esi_id}")
    _el(svg, "rect", x=0, y=0, width=width, height=height, fill="#ffffff")
    for p in lanes:
        x = lane_x[p]
        role = roles.get(p, "?")
        _el(svg, "line", x1=x, y1=_HEAD, x2=x, y2=height - 8, stroke="#b0bec5", stroke_width=1)
        _el(svg, "rect", x=x - _LANE_W / 2 + 8, y=6, width=_LANE_W - 16, height=_HEAD - 14, rx=5,
            fill=_ROLE_FILL.get(role, "#eeeeee"), stroke="#90a4ae")
        _el(svg, "text", names.get(p, p)[:24], x=x, y=24, text_anchor="middle", font_weight="bold", fill=INK)
        _el(svg, "text", f"{role} {p}", x=x, y=39, text_anchor="middle", fill="#546e7a")
    bar_slots: dict[str, int] = {}
    for n, b in enumerate(bars):
        slot = bar_slots.get(b.owner, 0)
        bar_slots[b.owner] = slot + 1
        x = lane_x.get(b.owner, lane_x[lanes[0]]) + 6 + 7 * (slot % 8)
        y1 = ys[(0, flow.records.index(b.trigger))]
        y2 = ys[(1, n)]
        color = {"met": GREEN, "violated": RED}.get(b.status, GREY)
        g = _el(svg, "g", class_=f"deadline {b.status}")
        _el(g, "title", f"{b.rule_id}: answer due {_fmt(b.due)} ({b.status})")
        _el(g, "rect", x=x, y=y1, width=5, height=max(2.0, y2 - y1), fill=color, fill_opacity=0.55)
        _el(g, "line", x1=x - 3, y1=y2, x2=x + 8, y2=y2, stroke=color, stroke_width=2)
        _el(g, "text", f"due {_fmt(b.due)[5:]} {b.rule_id}", x=x + 12, y=y2 + 4, fill=color, font_size=10)
    for moment, kind, n, payload in rows:
        y = ys[(kind, n)]
        if kind == 0:
            r = payload
            assert isinstance(r, TxnRecord)
            key = _key(r.file, r.st_control, r.code)
            bad: Violation | None = late_answers.get(key) or by_trigger.get(key)
            color = RED if bad is not None else INK
            x1, x2 = lane_x[r.sender], lane_x[r.receiver]
            g = _el(svg, "g", class_="txn violation" if bad is not None else "txn")
            tip = f"{r.code or r.st01 + '(?)'} {transaction_name(r.code)}: {names.get(r.sender, r.sender)} -> " \
                  f"{names.get(r.receiver, r.receiver)} at {_fmt(r.sent_at)}, ref {r.ref or '-'}, {r.location}"
            if bad is not None:
                tip += f"; {bad.rule_id}: {bad.lateness}"
            _el(g, "title", tip)
            _el(svg, "text", _fmt(moment), x=8, y=y + 4, fill="#37474f")
            _arrow(g, x1, x2, y, color, r.reject)
            label = f"{r.code or r.st01 + '(?)'}" + (" reject" if r.reject else "")
            if bad is not None:
                label += f" ! {bad.rule_id}"
            _el(g, "text", label, x=(x1 + x2) / 2, y=y - 5, text_anchor="middle", fill=color,
                font_weight="bold" if bad is not None else "normal")
        elif kind == 2:
            v = payload
            assert isinstance(v, Violation)
            owner = next((b.owner for b in bars if b.rule_id == v.rule_id), None)
            x = lane_x.get(owner or "", lane_x[lanes[-1]])
            g = _el(svg, "g", class_="missing violation")
            _el(g, "title", v.message)
            _el(g, "path", d=f"M{x - 6},{y - 6} L{x + 6},{y + 6} M{x - 6},{y + 6} L{x + 6},{y - 6}",
                stroke=RED, stroke_width=2.5)
            _el(g, "text", f"{v.expected} missing ({v.rule_id})", x=x - 10, y=y + 4, text_anchor="end",
                fill=RED, font_weight="bold")
    return svg
