"""The HTML report of a run: one self-contained file (inline CSS and SVG, no script).

Sections: a summary of the run, the per-rule compliance table (from the compliance checker),
transaction volumes by code per day as a chart, and a swimlane sequence diagram per ESI ID
(a bounded selection on large runs, with a note saying which). The same run and rules give
the same bytes.

Library use::

    from ercot_sim.report import build_report, write_report
    html = build_report("OUT")                      # bytes
    write_report("OUT", "report.html", rules=None)  # what ``--html FILE`` does
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from lxml import etree

from edi.errors import EdiError
from edi.texas_set.guide import load_guide
from ercot_sim.report.charts import volume_chart
from ercot_sim.report.data import DEFAULT_MAX_DIAGRAMS, EsiFlow, ReportData, load_report_data
from ercot_sim.report.svg import RED, sequence_diagram
from ercot_sim.timing.check import CheckResult, Violation
from ercot_sim.timing.rules import RuleSet

__all__ = ["build_report", "render_report", "write_report"]

_CSS = """
body{font-family:sans-serif;margin:24px;color:#263238;max-width:1400px}
h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #cfd8dc;padding-bottom:4px;margin-top:32px}
h3{font-size:15px;margin-bottom:4px}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #cfd8dc;padding:3px 8px;text-align:left}
th{background:#eceff1}td.n{text-align:right}.fail{color:#c62828;font-weight:bold}.pass{color:#2e7d32}
.note{background:#fff8e1;border-left:4px solid #f9a825;padding:6px 10px}
.viol{color:#c62828}.diagram{overflow-x:auto;margin-bottom:12px}.legend span{margin-right:16px}
.assumed{color:#6d4c41;font-style:italic}
"""


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, tag, {k.rstrip("_"): v for k, v in attrs.items()})
    if text is not None:
        el.text = text
    return el


def _table(parent: etree._Element, head: Sequence[str], rows: Sequence[Sequence[object]],
           numeric: Sequence[int] = (), classes: Sequence[str] | None = None) -> etree._Element:
    table = _el(parent, "table")
    tr = _el(table, "tr")
    for h in head:
        _el(tr, "th", h)
    for i, row in enumerate(rows):
        tr = _el(table, "tr", class_=classes[i]) if classes and classes[i] else _el(table, "tr")
        for j, cell in enumerate(row):
            text = f"{cell:,}" if isinstance(cell, int) else str(cell)
            if j in numeric:
                _el(tr, "td", text, class_="n")
            else:
                _el(tr, "td", text)
    return table


def _summary(body: etree._Element, data: ReportData) -> None:
    check = data.check
    _el(body, "h2", "Summary", id="summary")
    run = data.run
    failed = sum(1 for r in check.rules if r.passed is False)
    rows: list[tuple[str, object]] = [
        ("source", data.source),
        ("scenario", run.get("scenario", "-")),
        ("seed", run.get("seed", "-")),
        ("start / days", f"{run.get('start', '-')} / {run.get('days', '-')}"),
        ("ESI IDs with transactions", data.esi_total),
        ("transactions (997s included)", sum(data.volumes.values())),
        ("orders by state", ", ".join(f"{k} {v:,}" for k, v in sorted(data.orders.items())) or "-"),
        ("timing violations", len(check.violations)),
        ("data extract variances", "-" if data.variances is None else len(data.variances)),
        ("rules checked / failing their target", f"{len(check.rules)} / {failed}"),
    ]
    _table(body, ("item", "value"), rows, numeric=())


def _compliance(body: etree._Element, data: ReportData) -> None:
    check = data.check
    _el(body, "h2", "Compliance per rule", id="compliance")
    _el(body, "p", "Judged by the compliance checker (ercot-sim check) from the transactions alone. "
                   "Status says whether the rule's value is confirmed in a source or assumed; excused "
                   "answers came after the ordinary deadline but by the one an ERCOT outage window "
                   "moved (A7), or were safety nets sent early while an outage lay ahead (D1), and "
                   "count as met.")
    rows = []
    classes = []
    for r in check.rules:
        c = r.compliance
        verdict = "n/a" if r.passed is None else "pass" if r.passed else "FAIL"
        rows.append((r.rule_id, r.status, r.title, r.on_time, r.excused, r.late, r.missing, r.outside, r.open,
                     r.skipped, "-" if c is None else f"{100 * c:.2f}%", f"{100 * r.target:.0f}%", verdict))
        classes.append("fail" if r.passed is False else "")
    _table(body, ("rule", "status", "title", "met", "excused", "late", "missing", "outside", "open", "skipped",
                  "compliance", "target", "result"), rows, numeric=(3, 4, 5, 6, 7, 8, 9, 10, 11), classes=classes)
    if check.not_checked:
        _el(body, "p", "Not checkable from transactions: " + ", ".join(i for i, _ in check.not_checked) + ".")
    for note in check.notes:
        _el(body, "p", f"Note: {note}", class_="note")


def _variances(body: etree._Element, data: ReportData) -> None:
    _el(body, "h2", "Data extract variances", id="variances")
    last = data.run.get("days", "?")
    _el(body, "p", "Where a participant's own records (built only from what it sent and received) say "
                   "otherwise than ERCOT's registry about who serves an ESI ID, on the run's last day "
                   f"(day {last}; the last 7 days of effective dates are still settling): ercot-sim "
                   "reconcile.")
    if data.variances is None:
        _el(body, "p", "Not worked out for this run (a sharded run, or a trace without the participants' books): "
                       "ercot-sim reconcile on one shard's folder gives them.")
        return
    if not data.variances:
        _el(body, "p", "None: every participant's records agree with ERCOT's.")
        return
    rows = []
    for v in data.variances:
        ercot, theirs = ((("serves" if v.ercot == "1" else "does not serve"),
                          ("serves" if v.theirs == "1" else "does not serve")) if v.role == "CR"
                         else (v.ercot or "none", v.theirs or "none"))
        rows.append((v.esi_id, f"{v.role} {v.party}", v.field, ercot, theirs, v.start.isoformat(),
                     v.end.isoformat() if v.end else "still open", v.kind, v.cause))
    _table(body, ("ESI ID", "participant", "field", "ERCOT", "the participant", "from", "to", "kind", "probable cause"),
           rows, numeric=(), classes=["fail"] * len(rows))


def _volumes(body: etree._Element, data: ReportData) -> None:
    _el(body, "h2", "Volumes by transaction code per day", id="volumes")
    div = _el(body, "div", class_="diagram")
    div.append(volume_chart(data.volumes))


def _code_names(codes: Sequence[str]) -> list[tuple[str, str, str]]:
    out = []
    for code in sorted(set(codes)):
        try:
            g = load_guide(code)
        except (EdiError, KeyError, OSError):
            out.append((code, "-", "-"))
            continue
        out.append((code, g.name, f"{g.sender_role} -> {g.receiver_role}" + (" (assumed)" if not g.confirmed else "")))
    return out


def _violation_lines(parent: etree._Element, violations: Sequence[Violation]) -> None:
    ul = _el(parent, "ul", class_="viol")
    for v in violations:
        _el(ul, "li", v.message)


def _diagrams(body: etree._Element, data: ReportData) -> None:
    _el(body, "h2", "Sequence diagrams per ESI ID", id="diagrams")
    legend = _el(body, "p", class_="legend")
    _el(legend, "span", "Arrows: transactions in time order (rows not to scale), dashed = reject.")
    _el(legend, "span", "Bars: deadline of a response rule on the lane that owes the answer "
                        "(green met, red violated, grey open).")
    _el(legend, "span", "Red: a violation found by the compliance checker; a cross marks a missing answer.")
    if data.selection_note:
        _el(body, "p", data.selection_note, class_="note")
    if not data.diagrams:
        _el(body, "p", "No ESI ID has a transaction other than a 997.")
    codes = [r.code for f in data.diagrams for r in f.records if r.code]
    for f in data.diagrams:
        _diagram(body, f, data.rules, data)
    if codes:
        _el(body, "h3", "Transactions in these diagrams")
        _table(body, ("code", "name", "flow"), _code_names(codes))


def _diagram(body: etree._Element, f: EsiFlow, rules: RuleSet, data: ReportData) -> None:
    sec = _el(body, "section", class_="esi", id=f"esi-{f.esi_id}")
    title = f"ESI ID {f.esi_id}"
    if f.kinds:
        title += f" ({', '.join(f.kinds)})"
    _el(sec, "h3", title)
    if f.reason:
        _el(sec, "p", f"Selected: {f.reason}.")
    div = _el(sec, "div", class_="diagram")
    div.append(sequence_diagram(f, rules, data.roles, data.names))
    if f.violations:
        _violation_lines(sec, f.violations)


def render_report(data: ReportData) -> bytes:
    """The HTML bytes of a report (see :func:`build_report`)."""
    html = etree.Element("html", lang="en")
    head = _el(html, "head")
    _el(head, "meta", charset="utf-8")
    scenario = data.run.get("scenario", Path(data.source).name)
    _el(head, "title", f"ercot-sim report: {scenario}")
    _el(head, "style", _CSS)
    body = _el(html, "body")
    _el(body, "h1", f"ercot-sim report: {scenario}")
    nav = _el(body, "p")
    for anchor, label in (("summary", "Summary"), ("compliance", "Compliance"), ("variances", "Variances"),
                          ("volumes", "Volumes"), ("diagrams", "Sequence diagrams")):
        a = _el(nav, "a", label, href=f"#{anchor}")
        a.tail = "  "
    if data.check.violations:
        _el(body, "p", f"{len(data.check.violations)} timing violation(s).", class_="fail",
            style=f"color:{RED}")
    _summary(body, data)
    _compliance(body, data)
    _variances(body, data)
    _volumes(body, data)
    _diagrams(body, data)
    return etree.tostring(html, method="html", encoding="utf-8", doctype="<!DOCTYPE html>") + b"\n"


def build_report(
    run_dir_or_db: str | Path,
    violations: CheckResult | Sequence[Violation] | None = None,
    rules: RuleSet | str | Path | None = None,
    max_diagrams: int = DEFAULT_MAX_DIAGRAMS,
) -> bytes:
    """Build the HTML report of a run.

    Args:
        run_dir_or_db: the run's output directory (``trace.sqlite``, or ``shard-*/``) or its
            trace database.
        violations: a check result already computed (``ercot_sim.timing.check``), or a list of
            violations to mark; None runs the compliance checker.
        rules: the rule set, or a rules file applied over the shipped rules (the deadline
            bars and the check use it).
        max_diagrams: how many ESI IDs get a sequence diagram at most.

    Returns:
        The report as UTF-8 HTML bytes; deterministic for the same input.

    Raises:
        CheckInputError: the path is not a run.
        RulesError: the rules file is wrong.
    """
    return render_report(load_report_data(run_dir_or_db, violations, rules, max_diagrams))


def write_report(
    run_dir_or_db: str | Path,
    html_path: str | Path,
    violations: CheckResult | Sequence[Violation] | None = None,
    rules: RuleSet | str | Path | None = None,
    max_diagrams: int = DEFAULT_MAX_DIAGRAMS,
) -> Path:
    """Write the HTML report of a run to ``html_path`` (what ``--html FILE`` does); returns the path."""
    out = Path(html_path)
    data = build_report(run_dir_or_db, violations, rules, max_diagrams)
    if out.parent and not out.parent.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return out
