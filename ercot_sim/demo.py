"""Narrated walk-throughs of the market's business flows, for training.

:func:`run_demo` runs the real engine on the flow's scenario (``scenarios/<file>.toml``), then
reads back what it produced: the trace rows of one ESI ID (the first that shows the flow)
and, for each, the X12 transaction in the file the row names. Nothing is scripted here:
the steps, their times and their segments are whatever the engine did.

Each :class:`Step` carries the clock (date, time, business days since the flow began),
sender and receiver, the transaction code and name, what it means for the customer, the
key segments decoded (:func:`edi.texas_set.explain.explain_transaction`) and the raw
segments. The ``ercot-sim demo`` command renders them.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from edi.errors import EdiError
from edi.texas_set.explain import explain_transaction
from edi.texas_set.guide import load_guide
from edi.x12 import format_segments, iter_transactions
from ercot_sim.calendar import default_calendar, to_local
from ercot_sim.errors import ScenarioError

__all__ = ["FLOWS", "OUT_OF_BAND", "DemoFlow", "Step", "Walkthrough", "find_scenario", "meaning", "run_demo"]

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class DemoFlow:
    """A flow the demo can show.

    Attributes:
        name: the name on the command line (``standard-switch``).
        title: a heading.
        scenario: the scenario file name in ``scenarios/``.
        signature: codes that show the flow; the demo follows the ESI ID of the first one.
        intro: what the flow is, in a few sentences (from docs of the market, flows.md).
    """

    name: str
    title: str
    scenario: str
    signature: tuple[str, ...]
    intro: str


FLOWS: dict[str, DemoFlow] = {f.name: f for f in (
    DemoFlow("standard-switch", "Standard switch", "switch-standard.toml", ("814_01",),
             "A customer picks a new retailer (CR) at the same premise. The new CR asks ERCOT; ERCOT asks "
             "the wires utility (TDSP) and gives the first available switch date; the switch happens on "
             "the meter read nearest that date."),
    DemoFlow("self-selected-switch", "Self-selected switch", "switch-self-selected.toml", ("814_01",),
             "Like a standard switch, but the customer chose the date: the 814_01 carries a requested date "
             "and the TDSP reads the meter out of cycle on that day (and bills the CR a fee)."),
    DemoFlow("move-in", "Move-in", "move-in.toml", ("814_16",),
             "A new occupant moves into a premise and asks a CR for service from a date. The CR sends a "
             "move-in request; the TDSP schedules the connection or read; the previous CR, if any, loses "
             "the premise."),
    DemoFlow("priority-move-in", "Priority (same-day) move-in", "move-in-priority.toml", ("814_16",),
             "A move-in flagged as priority: ERCOT handles it ahead of everything else (within 2 retail "
             "business hours) and the TDSP can energize the same day, for a fee."),
    DemoFlow("move-out", "Move-out", "move-out.toml", ("814_24",),
             "The customer leaves the premise. The CR of record asks for a move-out; the TDSP reads the "
             "meter (and may de-energize) and the CR gets the final usage."),
    DemoFlow("move-out-tampering", "Move-out at a tampered premise", "move-out-tampering.toml", ("814_28",),
             "The TDSP found tampering at the premise and put a switch hold on it. When the CR of record "
             "asks for a move-out, the field crew closes it as unexecutable (T019); the customer has "
             "still left, so the CR sends a second move-out request (2MR), which is always completed."),
    DemoFlow("cancel", "Cancel / customer rescission", "cancel-rescission.toml", ("814_08",),
             "The customer changes their mind while a switch is pending: the gaining CR cancels it with "
             "an 814_08, which ERCOT passes on to the TDSP. A cancel that comes too late is rejected."),
    DemoFlow("rescission-after-switch", "Rescission after a completed switch", "rescission-backdated.toml",
             ("814_16",),
             "The customer rescinds after the switch has already happened, too late to cancel it. The "
             "losing CR takes the customer back with a move-in backdated to the switch date, as if the "
             "switch never happened: the old CR gets a loss notice and its final read."),
    DemoFlow("date-change", "Date change", "date-change.toml", ("814_12",),
             "The CR asks to move the date of a pending switch or move-in with an 814_12. The TDSP may "
             "reject a date it cannot meet (it needs two business days' notice)."),
    DemoFlow("mass-transition", "Mass transition to the POLR", "mass-transition.toml", ("814_14",),
             "A CR defaults. ERCOT moves each of its customers to a provider of last resort (POLR) with "
             "an 814_03 marked TS, tells the POLR with an 814_14 and the defaulting CR with 814_06s, and "
             "rejects anything the defaulting CR still sends."),
    DemoFlow("usage-invoice", "Monthly usage and invoice", "monthly-usage-invoice.toml", ("824", "810_02"),
             "Every month the TDSP reads the meter and sends the usage (867_03, through ERCOT) and its "
             "invoice (810_02, directly) to the CR. The CR may reject a bad invoice with an 824 and pays "
             "with an 820_02."),
)}

#: Steps that are not EDI (trace rows without a file): their names.
OUT_OF_BAND: dict[str, str] = {
    "safety-net": "Safety-net move-in (e-mail / spreadsheet to the TDSP, no X12)",
    "safety-net-cancel": "Safety-net withdrawn (e-mail to the TDSP, no X12)",
    "marketrak-rescission": "MarkeTrak issue: Customer Rescission (no X12)",
    "marketrak-agree": "MarkeTrak: the losing CR agrees (no X12)",
    "marketrak-ready-to-receive": "MarkeTrak: the TDSP marks Ready to Receive (no X12)",
}

#: What each transaction means for the customer (plain language for trainers).
MEANINGS: dict[str, str] = {
    "814_01": "The new retailer asks ERCOT to switch the customer's premise to it.",
    "814_02": "ERCOT rejected the switch request; the customer stays with the current retailer.",
    "814_03": "ERCOT tells the wires utility (TDSP) about the new order and the date it should happen.",
    "814_04": "The TDSP accepts the order and schedules the meter read (or rejects it).",
    "814_05": "ERCOT tells the new retailer the order is accepted and on which date the customer starts.",
    "814_06": "ERCOT tells the current retailer it is losing the customer on that date.",
    "814_07": "The losing retailer acknowledges the loss notice.",
    "814_08": "A cancel: the order will not happen (the customer rescinded or the order was superseded).",
    "814_09": "The answer to the cancel: accepted (nothing changes for the customer) or rejected.",
    "814_12": "The retailer asks to move the date of the pending order.",
    "814_13": "The answer to the date change: the new date is confirmed, or rejected.",
    "814_14": "ERCOT tells the provider of last resort it is getting this customer (mass transition).",
    "814_15": "The provider of last resort acknowledges the new customer.",
    "814_16": "The retailer asks for service to start at the premise for a new occupant (move-in).",
    "814_17": "ERCOT rejected the move-in request.",
    "814_20": "The TDSP creates or changes the premise (ESI ID) in ERCOT's registry.",
    "814_21": "ERCOT confirms the premise data change.",
    "814_24": "The retailer asks to end service at the premise (move-out).",
    "814_25": "The move-out is scheduled (or rejected).",
    "814_28": "The TDSP could not do the field work (completed unexecutable) or waits for a permit.",
    "814_29": "The retailer acknowledges the unexecutable / permit notice.",
    "safety-net": "The new retailer asks the TDSP directly to connect the customer: its move-in is not "
                  "confirmed in time.",
    "safety-net-cancel": "The retailer withdraws its safety-net request.",
    "marketrak-rescission": "The customer rescinded after the switch: the retailer asks, through ERCOT's "
                            "issue tool, to undo it.",
    "marketrak-agree": "The previous retailer agrees to take the customer back.",
    "marketrak-ready-to-receive": "The TDSP is ready for the previous retailer's backdated move-in.",
    "867_03": "The meter reading and usage for the billing period (final when service ends).",
    "867_04": "The first meter reading for the new retailer: the customer's service with it starts here.",
    "867_02": "The customer's historical usage.",
    "810_02": "The TDSP's invoice to the retailer for delivering power to this premise.",
    "820_02": "The retailer pays the TDSP's invoice.",
    "824": "The retailer rejects the TDSP's invoice; the TDSP must correct it.",
    "650_01": "The retailer orders field work at the premise (e.g. disconnect, reconnect).",
    "650_02": "The TDSP reports the outcome of the field work.",
    "997": "Receipt: the file's X12 syntax was accepted.",
}

#: Segments whose lines the demo shows by default (the rest is in ``--x12``).
KEY_SEGMENTS = frozenset({"BGN", "ASI", "REF", "DTM", "BPT", "QTY", "MEA", "BIG", "TDS", "SAC", "RMR",
                          "PTD", "ITD", "BSS", "AMT", "OTI", "TED", "ENT", "BPR"})


@dataclass
class Step:
    """One transaction of the walk-through.

    Attributes:
        number: 1-based.
        sent_at: when it was sent (America/Chicago).
        business_day: ERCOT business days since the first step's date (0 on that date).
        day: calendar days since the first step's date.
        sender, receiver: DUNS; sender_name, receiver_name, sender_role, receiver_role.
        code: Texas SET code (or the name of an out-of-band step, ``marketrak-agree``);
            name: the guide's name. An out-of-band step has no key lines, X12 or file.
        meaning: what it means for the customer.
        reject: whether it rejects what it answers.
        key_lines: the key segments, decoded (one line each).
        x12: the raw segments ST..SE.
        file: the X12 file (relative to the run directory); segment: its ST's number there.
    """

    number: int
    sent_at: dt.datetime
    business_day: int
    day: int
    sender: str
    receiver: str
    sender_name: str
    receiver_name: str
    sender_role: str
    receiver_role: str
    code: str
    name: str
    meaning: str
    reject: bool
    key_lines: list[str] = field(default_factory=list)
    x12: list[str] = field(default_factory=list)
    file: str = ""
    segment: int | None = None


@dataclass
class Walkthrough:
    """A flow as the engine ran it: the steps of one ESI ID and what else happened."""

    flow: DemoFlow
    esi_id: str
    steps: list[Step]
    scenario_path: Path
    others: int
    orders: list[tuple[str, str, str]]


def find_scenario(flow: DemoFlow, scenarios_dir: str | Path | None = None) -> Path:
    """The flow's scenario file: in ``scenarios_dir``, ./scenarios, or the source tree's.

    Raises:
        ScenarioError: not found.
    """
    places = [Path(scenarios_dir)] if scenarios_dir else [Path("scenarios"), ROOT / "scenarios"]
    for place in places:
        path = place / flow.scenario
        if path.is_file():
            return path
    raise ScenarioError(f"scenario file {flow.scenario} for flow '{flow.name}' not found in "
                        + " or ".join(str(p) for p in places))


def _is_reject(body: list[list[str]]) -> bool:
    for els in body:
        if els[0] == "ASI" and len(els) > 1 and els[1] == "U":
            return True
        if els[0] == "REF" and len(els) > 1 and els[1] == "7G":
            return True
    return False


def meaning(code: str, reject: bool) -> str:
    """What a transaction means for the customer (a reject says so)."""
    text = MEANINGS.get(code, "")
    if reject and code not in ("814_02", "814_17", "824"):
        return "Rejected: the order will not go ahead as asked (the reason code is below)."
    return text


def _key_lines(explained: list[str]) -> list[str]:
    out: list[str] = []
    keep = False
    for line in explained[1:]:
        if not line.startswith(" "):
            seg = line.split(" ", 1)[0].split("*", 1)[0]
            keep = seg in KEY_SEGMENTS
            if keep:
                out.append(line)
        elif keep:
            out.append(line)
    return out


def _focus(db: sqlite3.Connection, flow: DemoFlow) -> str:
    marks = ",".join("?" * len(flow.signature))
    for code in flow.signature:
        row = db.execute(f"SELECT esi_id FROM transactions WHERE code = ? AND code IN ({marks}) "
                         "ORDER BY sent_at, seq LIMIT 1", (code, *flow.signature)).fetchone()
        if row:
            return str(row[0])
    raise ScenarioError(f"the run of {flow.scenario} has no {' or '.join(flow.signature)}: nothing to show")


def run_demo(name: str, workdir: str | Path | None = None, scenarios_dir: str | Path | None = None) -> Walkthrough:
    """Run the flow's scenario through the engine and read back the steps of one ESI ID.

    Args:
        name: a key of :data:`FLOWS`.
        workdir: where the run's files go (a temporary folder when None, removed afterwards).
        scenarios_dir: where the scenario files are (default ./scenarios, then the source tree's).

    Raises:
        ScenarioError: unknown flow, or its scenario is missing or wrong.
    """
    from ercot_sim.market.engine import run_scenario
    from ercot_sim.scenario import load_scenario

    if name not in FLOWS:
        raise ScenarioError(f"unknown flow '{name}'; one of: {', '.join(FLOWS)}")
    flow = FLOWS[name]
    path = find_scenario(flow, scenarios_dir)
    scenario = load_scenario(path)
    with tempfile.TemporaryDirectory(prefix="ercot-sim-demo-") as tmp:
        out = Path(workdir) if workdir is not None else Path(tmp)
        run_scenario(scenario, out, base_dir=path.parent)
        return _read_back(flow, path, scenario, out)


def _read_back(flow: DemoFlow, path: Path, scenario: object, out: Path) -> Walkthrough:
    parts = scenario.participants  # type: ignore[attr-defined]
    names = {parts.ercot.duns: parts.ercot.name, **{p.duns: p.name for p in [*parts.tdsps, *parts.crs]}}
    roles = {parts.ercot.duns: "ERCOT", **{p.duns: "TDSP" for p in parts.tdsps},
             **{p.duns: "CR" for p in parts.crs}}
    db = sqlite3.connect(str(out / "trace.sqlite"))
    try:
        esi = _focus(db, flow)
        rows = db.execute("SELECT sent_at, sender, receiver, code, file, st_control FROM transactions "
                          "WHERE esi_id = ? AND code != '997' ORDER BY sent_at, seq", (esi,)).fetchall()
        others = db.execute("SELECT COUNT(DISTINCT esi_id) FROM transactions WHERE esi_id NOT IN ('', ?)",
                            (esi,)).fetchone()[0]
        orders = db.execute("SELECT order_id, kind, state FROM orders WHERE esi_id = ? ORDER BY order_id",
                            (esi,)).fetchall()
    finally:
        db.close()
    cal = default_calendar()
    steps: list[Step] = []
    first: dt.date | None = None
    for n, (sent, snd, rcv, code, file, ctl) in enumerate(rows, 1):
        when = to_local(dt.datetime.fromisoformat(sent))
        first = first or when.date()
        if not file:  # out of band (a safety-net e-mail, a MarkeTrak issue): a trace row, no X12
            steps.append(Step(
                n, when, cal.count_business_days(first, when.date()), (when.date() - first).days, snd, rcv,
                names.get(snd, snd), names.get(rcv, rcv), roles.get(snd, "?"), roles.get(rcv, "?"), code,
                OUT_OF_BAND.get(code, "out of band (no X12)"), meaning(code, False), False))
            continue
        txn = _transaction(out / file, file, code[:3], ctl)
        body = [list(e) for e in txn.raw_body]
        reject = _is_reject(body)
        try:
            gname = load_guide(code).name
        except (EdiError, KeyError):
            gname = code
        steps.append(Step(
            n, when, cal.count_business_days(first, when.date()), (when.date() - first).days, snd, rcv,
            names.get(snd, snd), names.get(rcv, rcv), roles.get(snd, "?"), roles.get(rcv, "?"), code, gname,
            meaning(code, reject), reject, _key_lines(explain_transaction(txn, roles)),
            [format_segments([els], txn.delimiters) for els in txn.raw], file, txn.first_number))
    return Walkthrough(flow, esi, steps, path, int(others), [(str(a), str(b), str(c)) for a, b, c in orders])


def _transaction(path: Path, name: str, st01: str, control: str):
    try:
        for txn in iter_transactions(path, name=name):
            if txn.st01 == st01 and txn.control == control:
                return txn
    except EdiError as exc:
        raise ScenarioError(f"{name}: {exc}") from None
    raise ScenarioError(f"{name}: no {st01} with ST02 {control} (the trace and the file disagree)")
