"""``python -m bench same-bytes``: fingerprints of every output, to prove a change keeps the bytes.

Runs every scenario in ``scenarios/`` (market-month and ercot-month at 5,000 ESI IDs; with
``--full`` market-month also at 100,000) into a scratch folder and prints, per run, one SHA-256
over its X12 files (relative path and bytes, in path order) and one per trace table (every row in ``rowid`` order), as
JSON. Save the output of the commit before a change and compare the commit after it::

    python -m bench same-bytes --out before.json          # on the old commit
    python -m bench same-bytes --compare before.json      # on the new one: exit 1 if any differ

A run prints its progress on stderr; the comparison lists every run and table that differs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from bench import provenance

ROOT = Path(__file__).resolve().parent.parent


def fingerprint(out: Path) -> dict[str, str]:
    """``{"x12": sha256, "x12 files": count, "table NAME": sha256, ...}`` of one run folder."""
    digest = hashlib.sha256()
    files = sorted(p for p in out.rglob("*.x12") if p.is_file())
    for path in files:
        digest.update(str(path.relative_to(out)).encode() + b"\0" + path.read_bytes() + b"\0")
    got = {"x12": digest.hexdigest(), "x12 files": str(len(files))}
    db = sqlite3.connect(out / "trace.sqlite")
    try:
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
            rows = hashlib.sha256()
            for row in db.execute(f'SELECT * FROM "{table}" ORDER BY rowid'):
                rows.update(repr(row).encode() + b"\n")
            got[f"table {table}"] = rows.hexdigest()
    finally:
        db.close()
    return got


def runs(full: bool) -> list[tuple[str, Path, int | None]]:
    """(name, scenario file, ESI IDs override) of every run the fingerprint covers."""
    out: list[tuple[str, Path, int | None]] = []
    for path in sorted((ROOT / "scenarios").glob("*.toml")):
        if path.stem == "market-month":
            out.append(("market-month@5000", path, 5000))
            if full:
                out.append(("market-month@100000", path, 100_000))
        elif path.stem == "ercot-month":  # the whole market: 7 million ESI IDs, run at a market-month's sizes
            out.append(("ercot-month@5000", path, 5000))
        else:
            out.append((path.stem, path, None))
    return out


def fingerprints(full: bool) -> dict[str, dict[str, str]]:
    from ercot_sim.market.engine import run_scenario
    from ercot_sim.scenario import load_scenario

    result: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory(prefix="same-bytes-") as tmp:
        for name, path, esi_ids in runs(full):
            t0 = time.perf_counter()
            scenario = load_scenario(path)
            if esi_ids is not None:
                population = scenario.population.model_copy(update={"esi_ids": esi_ids})
                scenario = scenario.model_copy(update={"population": population})
            out = Path(tmp) / name
            run_scenario(scenario, out)
            result[name] = fingerprint(out)
            print(f"{name}: {result[name]['x12 files']} X12 files, {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return result


def compare(before: dict[str, dict[str, str]], after: dict[str, dict[str, str]]) -> list[str]:
    """One line per run or table that differs (empty: the same bytes)."""
    lines = []
    for name in sorted(set(before) | set(after)):
        a, b = before.get(name), after.get(name)
        if a is None or b is None:
            lines.append(f"{name}: only {'after' if a is None else 'before'}")
            continue
        for key in sorted(set(a) | set(b)):
            if a.get(key) != b.get(key):
                lines.append(f"{name}: {key} differs")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench same-bytes", description=__doc__.splitlines()[0])
    ap.add_argument("--full", action="store_true", help="also market-month at 100,000 ESI IDs")
    ap.add_argument("--out", type=Path, help="write the fingerprints (JSON) here")
    ap.add_argument("--compare", type=Path, help="fingerprints of another commit: exit 1 when any differ")
    args = ap.parse_args(argv)
    got = fingerprints(args.full)
    doc = {**provenance(), "runs": got}
    if args.out:
        args.out.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    if args.compare:
        try:
            before = json.loads(args.compare.read_text())["runs"]
        except (OSError, ValueError, KeyError) as exc:
            print(f"{args.compare}: not a same-bytes file ({exc})", file=sys.stderr)
            return 2
        if not args.full:
            before = {k: v for k, v in before.items() if k != "market-month@100000"}
        diff = compare(before, got)
        for line in diff:
            print(line)
        print(f"{len(got)} run(s): " + ("same bytes" if not diff else f"{len(diff)} difference(s)"))
        return 1 if diff else 0
    if not args.out:
        print(json.dumps(doc, indent=1, sort_keys=True))
    return 0
