"""The qualification report of a flight: per track and step, the verdict and why, the files
exchanged, a sequence diagram per track, and the day-by-day log a flight administrator keeps;
as text, JSON and one HTML page. Results are per participant, trading partner and function
(the track), as ERCOT qualifies participants."""

from __future__ import annotations

import html
import json
from typing import Any

from ercot_sim.flight.evidence import Evidence, evidence
from ercot_sim.flight.grade import StepResult, TrackResult
from ercot_sim.flight.run import FlightRun

__all__ = ["to_dict", "to_html", "to_text", "write_reports"]

_LANES = ("party", "ERCOT", "TDSP", "CR")
_COLOUR = {"passed": "#1a7f37", "given": "#57606a", "failed": "#cf222e", "blocked": "#9a6700",
           "pending": "#0969da", "not-reached": "#9a6700"}


def _partners(t: TrackResult) -> list[str]:
    return sorted({s.step.receiver if s.step.sender == "party" else s.step.sender for s in t.steps})


def to_dict(run: FlightRun) -> dict[str, Any]:
    """The report as JSON-ready data."""
    f = run.flight
    return {
        "flight": f.flight.name, "role": f.flight.role, "party": run.party, "verdict": run.verdict,
        "reference": run.reference, "start": f.flight.start.isoformat(), "days": f.flight.days,
        "connectivity": [c.to_dict() for c in run.checks],
        "refused": [{"at": a, "file": f, "why": w} for a, f, w in run.refused],
        "outside_tracks": list(run.outside),
        "qualification": [{"function": t.track.name, "partners": _partners(t), "verdict": t.verdict}
                          for t in run.tracks],
        "tracks": [_track_dict(run, t) for t in run.tracks],
        "log": _log(run),
    }


def _track_dict(run: FlightRun, t: TrackResult) -> dict[str, Any]:
    """A track's result, each failed step with its evidence (the transaction, its failing
    segments marked and read by the guide)."""
    d = t.to_dict()
    for step, result in zip(d["steps"], t.steps, strict=True):
        found = evidence(run.out / "market", result)
        if found is not None:
            step["evidence"] = found.to_dict()
    return d


def _log(run: FlightRun) -> list[dict[str, Any]]:
    """Day by day: each step's transaction, in the order it crossed."""
    rows = [(s.sent_at, t.track.name, s) for t in run.tracks for s in t.steps if s.sent_at and s.step.code != "997"]
    out: list[dict[str, Any]] = []
    for sent_at, track, s in sorted(rows, key=lambda r: (r[0], r[1], r[2].number)):
        out.append({"day": sent_at[:10], "time": sent_at[11:16], "track": track, "step": s.number, "code": s.step.code,
                    "from": s.step.sender, "to": s.step.receiver, "ref": s.ref, "status": s.status, "file": s.file})
    return out


def to_text(run: FlightRun) -> str:
    """The report as text: a line per track, then each step that did not pass, with why."""
    lines = [f"flight {run.flight.flight.name} for {run.flight.flight.role} {run.party}: {run.verdict.upper()}"]
    for c in run.checks:
        lines.append(f"  {'PASSED' if c.passed else 'FAILED':<8} {'connectivity':<22} {c.name}: {c.detail}")
    for at, file, why in run.refused:
        lines.append(f"  REFUSED  {file} at {at}: {why}")
    for why in run.outside:
        lines.append(f"  FAILED   {'outside the tracks':<22} {why}")
    for t in run.tracks:
        party = [s for s in t.steps if s.step.sender == "party"]
        ok = sum(1 for s in party if s.status == "passed")
        lines.append(f"  {t.verdict.upper():<8} {t.track.name:<22} {t.track.title} ({ok}/{len(party)} steps of the "
                     "party passed)")
        for s in t.steps:
            if s.status in ("failed", "blocked", "pending", "not-reached"):
                lines.append(f"      step {s.number} {s.step.code} {s.step.sender} -> {s.step.receiver}: "
                             f"{s.status}: {s.reason}")
    return "\n".join(lines) + "\n"


def _svg(t: TrackResult) -> str:
    """A sequence diagram of a track: a lane per participant, an arrow per step (colour: status)."""
    width, top, gap = 520, 30, 26
    x = {lane: 60 + i * 130 for i, lane in enumerate(_LANES)}
    height = top + gap * (len(t.steps) + 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
             'font-size="11">']
    for lane, lx in x.items():
        parts.append(f'<text x="{lx}" y="16" text-anchor="middle" font-weight="bold">{lane}</text>'
                     f'<line x1="{lx}" y1="22" x2="{lx}" y2="{height - 4}" stroke="#d0d7de"/>')
    for i, s in enumerate(t.steps):
        y = top + gap * (i + 1) - 8
        a, b = x[s.step.sender], x[s.step.receiver]
        colour = _COLOUR.get(s.status, "#57606a")
        head = b - 6 if b > a else b + 6
        label = s.step.code + (f" ({s.step.acknowledges})" if s.step.acknowledges else "")
        dash = ' stroke-dasharray="4 3"' if s.status in ("blocked", "not-reached", "pending") else ""
        parts.append(f'<line x1="{a}" y1="{y}" x2="{head}" y2="{y}" stroke="{colour}" stroke-width="2"{dash}/>'
                     f'<polygon points="{b},{y} {head},{y - 4} {head},{y + 4}" fill="{colour}"/>'
                     f'<text x="{(a + b) / 2}" y="{y - 4}" text-anchor="middle" fill="{colour}">'
                     f"{s.number}. {html.escape(label)}: {s.status}</text>")
    parts.append("</svg>")
    return "".join(parts)


def _row(s: StepResult, found: Evidence | None) -> str:
    esc = html.escape
    colour = _COLOUR.get(s.status, "#57606a")
    where = f"{esc(s.file)} segment {s.segment}" if s.file else ""
    row = (f"<tr><td>{s.number}</td><td>{esc(s.step.code)}</td><td>{esc(s.step.sender)} &rarr; "
           f"{esc(s.step.receiver)}</td><td style='color:{colour};font-weight:bold'>{esc(s.status)}</td>"
           f"<td>{esc(s.step.rule or '')}</td><td>{esc(s.ref)}</td><td><code>{where}</code></td>"
           f"<td>{esc(s.reason)}</td></tr>")
    if found is None:
        return row
    lines = []
    for seg in found.segments:
        text = f"{seg.number:>5}  {esc(seg.text)}"
        if seg.marked:
            reading = "".join(f"\n       {esc(r)}" for r in seg.reading)
            text = f"<mark class='fail'>{text}</mark><span class='guide'>{reading}</span>"
        lines.append(text)
    return row + (f"<tr><td></td><td colspan='7'><details open><summary>{esc(found.code)} in "
                  f"<code>{esc(found.file)}</code>: the failing segments marked, with the guide's reading"
                  f"</summary><pre>{chr(10).join(lines)}</pre></details></td></tr>")


def to_html(run: FlightRun) -> str:
    """The report as one HTML page (no script; pictures are inline SVG)."""
    esc = html.escape
    d = to_dict(run)
    out = ["<!doctype html><html><head><meta charset='utf-8'>",
           f"<title>Flight {esc(d['flight'])}: {esc(run.party)}</title>",
           "<style>body{font-family:sans-serif;margin:2em;max-width:80em}table{border-collapse:collapse}"
           "td,th{border:1px solid #d0d7de;padding:2px 6px;text-align:left;vertical-align:top}"
           "h2{margin-top:2em}mark.fail{background:#ffebe9;color:#cf222e;font-weight:bold}"
           ".guide{color:#57606a}pre{margin:0}</style></head><body>",
           f"<h1>Flight {esc(d['flight'])}: {esc(d['role'])} {esc(run.party)}: {esc(run.verdict.upper())}</h1>",
           f"<p>{esc(run.flight.flight.description)}. From {esc(d['start'])}, {d['days']} days"
           f"{' (the reference participant)' if run.reference else ''}.</p>",
           "<h2>Connectivity and acknowledgement</h2><table><tr><th>check</th><th>result</th><th>detail</th></tr>",
           *(f"<tr><td>{esc(c['check'])}</td><td style='color:{_COLOUR[c['status']]};font-weight:bold'>"
             f"{esc(c['status'])}</td><td>{esc(c['detail'])}</td></tr>" for c in d["connectivity"]),
           "</table>",
           "<h2>Qualification</h2><table><tr><th>function (track)</th><th>trading partners</th><th>verdict</th></tr>"]
    for q in d["qualification"]:
        colour = _COLOUR.get(q["verdict"], "#57606a")
        out.append(f"<tr><td>{esc(q['function'])}</td><td>{esc(', '.join(q['partners']))}</td>"
                   f"<td style='color:{colour};font-weight:bold'>{esc(q['verdict'])}</td></tr>")
    out.append("</table>")
    for t in run.tracks:
        out.append(f"<h2 id='{esc(t.track.name)}'>{esc(t.track.title)} ({esc(t.track.name)}): "
                   f"{esc(t.verdict)}</h2><p>ESI ID {esc(', '.join(t.esi_ids))}; source: {esc(t.track.source)}"
                   f"{'; ' + esc(t.track.basis) if t.track.basis else ''}</p>{_svg(t)}"
                   "<table><tr><th>#</th><th>code</th><th>route</th><th>status</th><th>rule</th><th>ref</th>"
                   "<th>file</th><th>why</th></tr>" + "".join(_row(s, evidence(run.out / "market", s)) for s in t.steps)
                   + "</table>")
    if run.refused:
        out.append("<h2>Files refused</h2><p>Files of the party the market did not act on, with the finding "
                   "(segment and element, and what the guide expects):</p><table><tr><th>market time</th>"
                   "<th>file</th><th>why</th></tr>" + "".join(
                       f"<tr><td>{esc(a)}</td><td><code>{esc(f)}</code></td><td style='color:#cf222e'>{esc(w)}</td>"
                       "</tr>" for a, f, w in run.refused) + "</table>")
    if run.outside:
        out.append("<h2>Outside the tracks</h2><p>Timing violations of the party that no step cites:</p><ul>"
                   + "".join(f"<li style='color:#cf222e'>{esc(w)}</li>" for w in run.outside) + "</ul>")
    out.append("<h2>Day by day</h2><table><tr><th>day</th><th>time</th><th>track</th><th>step</th><th>code</th>"
               "<th>route</th><th>ref</th><th>status</th></tr>")
    for r in d["log"]:
        out.append(f"<tr><td>{esc(r['day'])}</td><td>{esc(r['time'])}</td><td>{esc(r['track'])}</td>"
                   f"<td>{r['step']}</td><td>{esc(r['code'])}</td><td>{esc(r['from'])} &rarr; {esc(r['to'])}</td>"
                   f"<td>{esc(r['ref'])}</td><td>{esc(r['status'])}</td></tr>")
    out.append("</table></body></html>\n")
    return "".join(out)


def write_reports(run: FlightRun) -> None:
    """``flight.json``, ``flight.html`` and ``flight.txt`` in the run's folder."""
    (run.out / "flight.json").write_text(json.dumps(to_dict(run), indent=1) + "\n", encoding="utf-8")
    (run.out / "flight.html").write_text(to_html(run), encoding="utf-8")
    (run.out / "flight.txt").write_text(to_text(run), encoding="utf-8")
