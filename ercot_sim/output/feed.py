"""Synthetic feeds: the files one market participant would receive, for testing its system.

:func:`generate_feed` runs the engine on a busy generated market (or a scenario given), takes
the files delivered to one participant (``outbox/<its DUNS>/``: for a CR, everything ERCOT
and its TDSPs sent it), optionally plants faults in them, and writes them with a
``manifest.json``. The same arguments give the same bytes.

Faults (``--faults FILE``, TOML)::

    [[faults]]
    kind = "bad_date"      # see FAULT_KINDS
    count = 2              # how many (default 1)
    code = "867_03"        # only in this transaction (optional)

Each planted fault is listed in the manifest with the file, the segment (number and label),
the element, the value before and after, and the finding the receiving system should raise:
an :mod:`edi.validate` finding code where the X12 itself is wrong (``detected_by`` =
``edi.validate``), or a business finding where only the receiver's own data can tell
(an unknown ESI ID, a second copy of an interchange: ``detected_by`` = ``receiving system``).
Each fault is planted in a file of its own while untouched files remain; only faults the
validator finds ever share a file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from edi.texas_set.mapping import from_segments
from edi.texas_set.market import ERCOT_DUNS
from edi.texas_set.xmlio import model_to_json, x12_to_xml
from edi.x12 import X12Reader
from edi.x12.delimiters import Delimiters
from edi.x12.writer import format_segments
from ercot_sim.errors import ScenarioError
from ercot_sim.scenario import Scenario, load_scenario_text
from ercot_sim.tomlload import load_toml_model

__all__ = ["FAULT_KINDS", "FaultSpec", "FeedResult", "feed_scenario", "generate_feed", "load_faults"]

#: one planted fault as the manifest lists it (id, kind, file, segment, element, ...; the
#: segment itself while planting, under "marker")
FaultEntry = dict[str, Any]

#: kind -> (finding the receiver should raise, who detects it, formats that can carry it)
FAULT_KINDS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "bad_date": ("invalid-date", "edi.validate", ("x12", "xml")),
    "wrong_count": ("se-count-mismatch", "edi.validate", ("x12", "xml")),
    "bad_esi_id": ("invalid-esi-id", "edi.validate", ("x12", "xml")),
    "duplicate_transaction": ("st-duplicate-control", "edi.validate", ("x12", "xml")),
    "truncated": ("truncated", "edi.validate", ("x12",)),
    "unknown_esi_id": ("unknown-esi-id", "receiving system", ("x12", "xml")),
    "duplicate_file": ("duplicate-interchange", "receiving system", ("x12", "xml")),
}
_WHOLE_FILE = {"truncated", "duplicate_file"}


class FaultSpec(BaseModel):
    """One line of a faults file: plant ``count`` faults of ``kind`` (in ``code`` only, if set)."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
    kind: Literal["bad_date", "wrong_count", "bad_esi_id", "duplicate_transaction", "truncated",
                  "unknown_esi_id", "duplicate_file"]
    count: int = Field(default=1, ge=1, le=10_000)
    code: str | None = Field(default=None, pattern=r"^\d{3}(_[0-9A-Z]{2})?$")


class FaultFile(BaseModel):
    """A faults file: ``[[faults]]`` tables."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
    faults: list[FaultSpec] = Field(min_length=1)


def load_faults(path: str | Path) -> list[FaultSpec]:
    """Read a faults file (TOML).

    Raises:
        ScenarioError: naming the file, line and field of the problem.
    """
    return load_toml_model(path, FaultFile, ScenarioError).faults


#: A busy market, so that a small feed shows every kind of traffic (monthly fractions).
_FEED_TOML = """
[scenario]
name = "feed"
description = "Generated market for a synthetic feed"
start = {start}
days = {days}
seed = {seed}

[participants.ercot]
duns = "{ercot_duns}"

[[participants.tdsps]]
name = "ONCOR"
duns = "1039940674000"
esi_prefix = "10443720"
share = 0.5

[[participants.tdsps]]
name = "CENTERPOINT"
duns = "957877905"
esi_prefix = "1008901"
share = 0.3

[[participants.tdsps]]
name = "AEP TEXAS CENTRAL"
duns = "007924772"
esi_prefix = "1000288"
share = 0.2

[[participants.crs]]
name = "LONE STAR POWER"
duns = "123456789"
share = 0.5
roles = ["AREP", "POLR"]

[[participants.crs]]
name = "BLUEBONNET ENERGY"
duns = "223456789"
share = 0.3

[[participants.crs]]
name = "PECOS RETAIL"
duns = "323456789"
share = 0.2

[population]
esi_ids = {esi_ids}
energized = 0.95
opening_invoices = true

[rates]
switch = 0.08
move_in = 0.1
move_out = 0.05
cancel = 0.05
date_change = 0.05
unexecutable = 0.02
"""


def feed_scenario(esi_ids: int, days: int, seed: int = 1, start: dt.date = dt.date(2025, 3, 3)) -> Scenario:
    """The generated market a feed comes from: 3 TDSPs, 3 CRs, busy monthly rates.

    Raises:
        ScenarioError: the numbers are out of range (names the field).
    """
    text = _FEED_TOML.format(start=start.isoformat(), days=days, seed=seed, esi_ids=esi_ids, ercot_duns=ERCOT_DUNS)
    return load_scenario_text(text, "<generated feed scenario>")


@dataclass
class _File:
    name: str
    segs: list[list[str]]
    delims: Delimiters
    txns: list[tuple[int, int, str, str]]  # (ST index, SE index, code, esi_id)
    data: bytes = b""
    whole: bool = False
    touched: bool = False


@dataclass
class FeedResult:
    """What :func:`generate_feed` wrote.

    Attributes:
        out: the output folder.
        party: (role, DUNS, name) of the receiver.
        files: the feed's file names (in ``out``), sorted.
        faults: the manifest's fault entries.
        manifest: the manifest path.
    """

    out: Path
    party: tuple[str, str, str]
    files: list[str]
    faults: list[FaultEntry] = field(default_factory=list)
    manifest: Path = Path()


def _party(scenario: Scenario, spec: str | None) -> tuple[str, str, str]:
    parts = scenario.participants
    known = [("ERCOT", parts.ercot.duns, parts.ercot.name)] + [("TDSP", t.duns, t.name) for t in parts.tdsps] \
        + [("CR", c.duns, c.name) for c in parts.crs]
    if spec is None:
        return next(k for k in known if k[0] == "CR")
    role, _, duns = spec.partition(":")
    role = role.strip().upper()
    if role not in ("CR", "TDSP", "ERCOT") or not duns.strip():
        raise ScenarioError(f"--for {spec!r}: expected ROLE:DUNS with ROLE one of CR, TDSP, ERCOT")
    for k in known:
        if k[0] == role and k[1] == duns.strip():
            return k
    listing = ", ".join(f"{r}:{d} ({n})" for r, d, n in known)
    raise ScenarioError(f"--for {spec!r}: no {role} with DUNS {duns.strip()} in the market; participants: {listing}")


def _load_file(path: Path, name: str, codes: dict[tuple[str, str], tuple[str, str]]) -> _File:
    reader = X12Reader(path, name=name)
    segs = [list(s.elements) for s in reader.segments()]
    txns = []
    start = -1
    for i, els in enumerate(segs):
        if els[0] == "ST":
            start = i
        elif els[0] == "SE" and start >= 0:
            code, esi = codes.get((name, els[2] if len(els) > 2 else ""), (els[0], ""))
            txns.append((start, i, code, esi))
            start = -1
    assert reader.delimiters is not None  # a file the run wrote: read, so its ISA was read
    return _File(name, segs, reader.delimiters, txns, path.read_bytes())


def _entry(fid: int, kind: str, f: _File, marker: list[str], element: str, before: str, after: str,
           code: str, esi: str, note: str) -> FaultEntry:
    finding, who, _ = FAULT_KINDS[kind]
    return {"id": fid, "kind": kind, "file": f.name, "marker": marker, "element": element, "original": before,
            "planted": after, "code": code, "esi_id": esi, "finding": finding, "detected_by": who, "message": note}


def _plant(kind: str, f: _File, t: int, fid: int, known_esi: set[str], rng: random.Random) -> FaultEntry | None:
    st, se, code, esi = f.txns[t]
    body = f.segs[st:se + 1]
    if kind == "bad_date":
        for els in body:
            if els[0] == "DTM" and len(els) > 2 and len(els[2]) == 8 and els[2].isdigit():
                before = els[2]
                els[2] = before[:4] + "13" + before[6:]
                return _entry(fid, kind, f, els, "DTM02", before, els[2], code, esi,
                              f"DTM*{els[1]} date {els[2]} has month 13")
        return None
    if kind == "wrong_count":
        se_els = f.segs[se]
        before = se_els[1]
        se_els[1] = str(int(before) + 1)
        return _entry(fid, kind, f, se_els, "SE01", before, se_els[1], code, esi,
                      f"SE01 says {se_els[1]} segments, the transaction set has {before}")
    if kind in ("bad_esi_id", "unknown_esi_id"):
        for els in body:
            if els[0] == "REF" and len(els) > 2 and els[1] == "Q5":
                at = 3 if len(els) > 3 and els[3] else 2  # an 867 carries it in REF03
                before = els[at]
                if kind == "bad_esi_id":
                    els[at] = before[:-1] + "A"
                    note = f"ESI ID {els[at]} has a letter in it (17 to 22 digits expected)"
                else:
                    n = rng.randrange(10 ** 6)
                    while True:
                        candidate = before[:-9] + f"99{n:07d}"
                        if candidate not in known_esi:
                            break
                        n = (n + 1) % 10 ** 7
                    els[at] = candidate
                    note = f"ESI ID {candidate} is well formed but does not exist in the market"
                return _entry(fid, kind, f, els, f"REF{at:02d}", before, els[at], code, esi, note)
        return None
    if kind == "duplicate_transaction":
        copy = [list(els) for els in body]
        f.segs[se + 1:se + 1] = copy
        k = len(copy)
        f.txns = [(a + k if a > se else a, b + k if b > se else b, c, x) for a, b, c, x in f.txns]
        f.txns.insert(t + 1, (se + 1, se + k, code, esi))
        for els in f.segs:
            if els[0] == "GE":
                els[1] = str(int(els[1]) + 1)
                break
        return _entry(fid, kind, f, copy[0], "ST02", "", copy[0][2], code, esi,
                      f"transaction set {code} ST02 {copy[0][2]} is sent twice in the same group")
    return None


def _plant_whole(kind: str, f: _File, fid: int, extra: list[_File]) -> FaultEntry:
    if kind == "truncated":
        cut = f.txns[-1][0] + (f.txns[-1][1] - f.txns[-1][0]) // 2
        marker = f.segs[cut]
        f.whole = True
        return _entry(fid, kind, f, marker, "", "", "", f.txns[-1][2], f.txns[-1][3],
                      "the file ends in the middle of a segment (transfer cut short)")
    copy = _File(f.name.rsplit(".", 1)[0] + "_resent.x12", [list(s) for s in f.segs], f.delims, list(f.txns),
                 f.data, whole=True, touched=True)
    extra.append(copy)
    f.whole = True
    isa13 = copy.segs[0][13] if len(copy.segs[0]) > 13 else ""
    return _entry(fid, kind, copy, copy.segs[0], "ISA13", "", isa13, "", "",
                  f"a second copy of interchange {isa13} from the same sender (already received as {f.name})")


def _render(f: _File, entries: list[FaultEntry]) -> bytes:
    if not f.touched:
        return f.data
    text = format_segments(f.segs, f.delims)
    for e in entries:
        if e["file"] == f.name and e["kind"] == "truncated":
            marker = e["marker"]
            idx = next(i for i, s in enumerate(f.segs) if s is marker)
            head = format_segments(f.segs[:idx], f.delims)
            seg_text = format_segments([marker], f.delims)
            text = head + seg_text[: max(1, len(seg_text) // 2)]
    return text.encode("latin-1")


def _to_json(name: str, data: bytes, codes: dict[tuple[str, str], tuple[str, str]]) -> bytes:
    from edi.x12 import iter_transactions

    transactions: list[dict[str, object]] = []
    out: dict[str, object] = {"file": name, "transactions": transactions}
    for txn in iter_transactions(data, name=name):
        code = codes.get((name, txn.control), (txn.st01, ""))[0]
        model = from_segments(code, txn.raw_body, source=name)
        out.setdefault("sender", txn.sender)
        out.setdefault("receiver", txn.receiver)
        transactions.append({"code": code, "st_control": txn.control,
                                    "model": json.loads(model_to_json(model))})
    return (json.dumps(out, indent=2, sort_keys=True) + "\n").encode("utf-8")


def generate_feed(
    out: str | Path,
    esi_ids: int = 100,
    days: int = 30,
    *,
    for_party: str | None = None,
    faults: list[FaultSpec] | None = None,
    fmt: str = "x12",
    seed: int = 1,
    scenario: Scenario | None = None,
) -> FeedResult:
    """Run the engine and write the files one participant receives, with a manifest.

    Args:
        out: output folder: new, empty, or an earlier feed's (whose listed files are replaced);
            any other content is refused, never deleted.
        esi_ids: ESI IDs in the generated market (ignored with ``scenario``).
        days: days to simulate (ignored with ``scenario``).
        for_party: ``ROLE:DUNS`` of the receiver (default: the first CR).
        faults: faults to plant.
        fmt: ``x12``, ``xml`` (lossless, :func:`edi.texas_set.xmlio.x12_to_xml`) or ``json``
            (one document per file with each transaction's business model).
        seed: the run's seed and the fault placement seed.
        scenario: run this scenario instead of the generated market.

    Raises:
        ScenarioError: bad arguments, or more faults asked for than the feed can carry.
    """
    from ercot_sim.market.engine import run_scenario

    if fmt not in ("x12", "xml", "json"):
        raise ScenarioError(f"--format {fmt!r}: one of x12, xml, json")
    faults = list(faults or [])
    for spec in faults:
        if fmt not in FAULT_KINDS[spec.kind][2]:
            raise ScenarioError(f"fault kind {spec.kind} cannot be carried in {fmt} "
                                f"(use --format {' or '.join(FAULT_KINDS[spec.kind][2])})")
    scen = scenario if scenario is not None else feed_scenario(esi_ids, days, seed)
    role, duns, pname = _party(scen, for_party)
    target = Path(out)
    previous = _previous_feed(target)
    with tempfile.TemporaryDirectory(prefix="ercot-sim-feed-") as tmp:
        run = Path(tmp)
        run_scenario(scen, run, seed=seed if scenario is not None else None)
        db = sqlite3.connect(str(run / "trace.sqlite"))
        prefix = f"outbox/{duns}/"
        codes = {(str(f)[len(prefix):], str(c)): (str(code), str(esi)) for f, c, code, esi in db.execute(
            "SELECT file, st_control, code, esi_id FROM transactions WHERE receiver = ?", (duns,))}
        known_esi = {str(r[0]) for r in db.execute("SELECT esi_id FROM registry")}
        db.close()
        inbox = run / "outbox" / duns
        names = sorted(p.name for p in inbox.glob("*.x12")) if inbox.is_dir() else []
        files = [_load_file(inbox / n, n, codes) for n in names]
    # the folder is ours: replace what the previous feed listed, nothing else
    for name in previous:
        (target / name).unlink(missing_ok=True)
    entries = _plant_all(files, faults, known_esi, seed)
    extra = [f for f in files if f.name.endswith("_resent.x12")]
    originals = [f for f in files if f not in extra]
    written: list[dict[str, object]] = []
    for f in sorted(originals + extra, key=lambda x: x.name):
        data = _render(f, entries)
        name = f.name
        if fmt == "xml":
            name, data = name[:-4] + ".xml", x12_to_xml(data, name=name)
        elif fmt == "json":
            name, data = name[:-4] + ".json", _to_json(name, data, codes)
        _write_atomic(target / name, data)
        tx_codes: dict[str, int] = {}
        for _, _, code, _ in f.txns:
            tx_codes[code] = tx_codes.get(code, 0) + 1
        written.append({"name": name, "sender": name.split("_", 1)[0], "transactions": len(f.txns),
                        "codes": dict(sorted(tx_codes.items())), "sha256": hashlib.sha256(data).hexdigest()})
    for e in entries:
        f = next(x for x in files if x.name == e["file"])
        marker = e.pop("marker")
        idx = next(i for i, s in enumerate(f.segs) if s is marker)
        e["segment"] = idx + 1
        e["segment_id"] = marker[0] + (f"*{marker[1]}" if marker[0] in ("REF", "DTM", "N1") else "")
        if fmt == "xml":
            e["file"] = str(e["file"])[:-4] + ".xml"
    order = ("id", "kind", "file", "segment", "segment_id", "element", "original", "planted", "code", "esi_id",
             "finding", "detected_by", "message")
    entries = [{k: e[k] for k in order} for e in entries]
    manifest = {
        "generator": "ercot-sim generate",
        "receiver": {"role": role, "duns": duns, "name": pname},
        "scenario": scen.scenario.name, "seed": seed, "start": scen.scenario.start.isoformat(),
        "days": scen.scenario.days, "esi_ids": scen.population.esi_ids, "format": fmt,
        "segment_numbers": "1-based, the ISA of each file is segment 1 (for xml: of the X12 the XML carries)",
        "files": written, "faults": entries,
    }
    path = target / "manifest.json"
    _write_atomic(path, (json.dumps(manifest, indent=2) + "\n").encode("utf-8"))  # last: the feed is complete
    return FeedResult(target, (role, duns, pname), [str(w["name"]) for w in written], entries, path)


def _previous_feed(target: Path) -> list[str]:
    """Check that ``target`` may take a feed; the files a previous feed there listed.

    A feed goes into a new or empty folder, or into one an earlier ``generate`` wrote (its
    manifest lists every file it wrote, and nothing else is there): only those files are
    replaced. Anything else is refused, so a feed never deletes or mixes with other files.

    Raises:
        ScenarioError: the folder holds files no earlier feed listed, or cannot be made.
    """
    if target.exists() and not target.is_dir():
        raise ScenarioError(f"--out {target}: is a file, not a folder")
    try:
        target.mkdir(parents=True, exist_ok=True)
        present = sorted(p.name for p in target.iterdir())
    except OSError as exc:
        raise ScenarioError(f"--out {target}: cannot use the folder: {exc.strerror}") from None
    if not present:
        return []
    listed: list[str] = []
    manifest = target / "manifest.json"
    if manifest.is_file():
        try:
            doc = json.loads(manifest.read_text("utf-8"))
            if doc.get("generator") == "ercot-sim generate":
                listed = [str(f["name"]) for f in doc.get("files", [])] + ["manifest.json"]
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            listed = []
    foreign = [name for name in present if name not in listed]
    if foreign:
        more = f" and {len(foreign) - 1} more" if len(foreign) > 1 else ""
        raise ScenarioError(f"--out {target}: holds {foreign[0]}{more}, which no earlier feed there wrote; "
                            "give a new or empty folder (nothing is deleted)")
    return listed


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``path`` whole or not at all (a temporary file beside it, then a rename)."""
    tmp = path.with_name(f".{path.name}.part")
    try:
        tmp.write_bytes(data)
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ScenarioError(f"{path}: cannot write: {exc.strerror}") from None


def _plant_all(files: list[_File], faults: list[FaultSpec], known_esi: set[str], seed: int) -> list[FaultEntry]:
    """Plant ``faults`` in ``files`` (deterministic for ``seed``); the manifest entries.

    Each fault goes into a file no other fault is in, while there is one, so that every file
    shows one fault and can be checked on its own. When the untouched files run out, a fault
    the validator finds may share a file with other such faults (each is located by its
    segment and finding); a fault only the receiving system finds (``unknown_esi_id``) never
    shares: its file must pass the validator.
    """
    entries: list[FaultEntry] = []
    used: set[tuple[str, int]] = set()
    extra: list[_File] = []
    exclusive: set[str] = set()  # files holding a receiving-system fault
    for n, spec in enumerate(faults):
        rng = random.Random(f"{seed}:{n}:{spec.kind}")
        for _ in range(spec.count):
            fid = len(entries) + 1
            if spec.kind in _WHOLE_FILE:
                cands = [f for f in files if not f.whole and not f.touched and f.txns
                         and (spec.code is None or any(t[2] == spec.code for t in f.txns))]
                if not cands:
                    raise ScenarioError(f"fault {spec.kind}: no file left to plant it in (feed has {len(files)} files)")
                f = rng.choice(cands)
                entries.append(_plant_whole(spec.kind, f, fid, extra))
                f.touched = True
                continue
            alone = FAULT_KINDS[spec.kind][1] != "edi.validate"
            cands2 = [(f, i) for f in files if not f.whole and f.name not in exclusive
                      and not (alone and f.touched) for i, t in enumerate(f.txns)
                      if (f.name, i) not in used and t[2] != "997" and (spec.code is None or t[2] == spec.code)]
            rng.shuffle(cands2)
            cands2.sort(key=lambda c: c[0].touched)  # stable: untouched files first, in shuffled order
            for f, i in cands2:
                got = _plant(spec.kind, f, i, fid, known_esi, rng)
                if got is not None:
                    used.add((f.name, i))
                    if alone:
                        exclusive.add(f.name)
                    if spec.kind == "duplicate_transaction":
                        # positions after the copy moved by one transaction; keep it simple and
                        # plant nothing else in this file
                        f.whole = True
                    f.touched = True
                    entries.append(got)
                    break
            else:
                what = f" in {spec.code}" if spec.code else ""
                raise ScenarioError(f"fault {spec.kind}{what}: no transaction left to plant it in")
    files.extend(extra)
    return entries

