"""``python -m bench check``: the compliance check against the run it checks, in one process.

The market month (``scenarios/market-month.toml``) runs at a size (default 100,000 ESI IDs,
files on tmpfs when there is one), then ``check_path`` judges it, then it runs and is checked
again (``--rounds``). Printed per round: the run's and the check's CPU seconds, and the check
over the run: the issue's target is a check no slower than the run it checks (<= 1.0 x).
With ``--report``, ``ercot-sim report``'s data (the run's kept check) is timed too, against
the run (target < 0.5 x).

Usage::

    python -m bench check [--esiids 100000] [--rounds 3] [--report] [--json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import provenance
from bench.engine_bench import default_out_dir

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "market-month.toml"


def one_round(esi_ids: int, base: Path, report: bool) -> dict[str, Any]:
    """Run the month at ``esi_ids``, check it (and keep the check, as ``ercot-sim run`` does),
    and read its report's data; CPU seconds of each."""
    from ercot_sim.market.engine import run_scenario
    from ercot_sim.scenario import load_scenario, with_esi_ids
    from ercot_sim.timing.check import check_path, load_check_rules
    from ercot_sim.timing.check.stored import keep_check

    out = Path(tempfile.mkdtemp(prefix=f"check-{esi_ids}-", dir=base))
    try:
        scenario = with_esi_ids(load_scenario(SCENARIO), esi_ids)
        t0 = time.process_time()
        result = run_scenario(scenario, out / "run")
        t1 = time.process_time()
        rules = load_check_rules()
        checked = check_path(out / "run", rules, owed=False)  # as 'ercot-sim run' checks
        t2 = time.process_time()
        got: dict[str, Any] = {"transactions": sum(result.counts.values()), "run_cpu_s": round(t1 - t0, 2),
                               "check_cpu_s": round(t2 - t1, 2), "check_over_run": round((t2 - t1) / (t1 - t0), 3),
                               "violations": len(checked.violations)}
        if report:
            from ercot_sim.report import load_report_data

            keep_check(out / "run" / "trace.sqlite", checked, rules)
            t3 = time.process_time()
            data = load_report_data(out / "run", rules=rules)
            t4 = time.process_time()
            if not data.check_kept:
                raise RuntimeError("the report did not take the run's kept check")
            got.update(report_cpu_s=round(t4 - t3, 2), report_over_run=round((t4 - t3) / (t1 - t0), 3))
        return got
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench check", description=__doc__.splitlines()[0])
    ap.add_argument("--esiids", type=int, default=100_000, help="the market month's ESI IDs")
    ap.add_argument("--rounds", type=int, default=3, help="runs, each checked")
    ap.add_argument("--report", action="store_true", help="also time the report's data (the run's kept check)")
    ap.add_argument("--out-dir", type=Path, default=None, help="where runs are written (default: tmpfs if any)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    base = args.out_dir or default_out_dir()
    rounds = []
    for i in range(args.rounds):
        got = one_round(args.esiids, base, args.report)
        rounds.append(got)
        if not args.json:
            extra = f", report {got['report_cpu_s']} s = {got['report_over_run']} x" if args.report else ""
            print(f"round {i + 1}: {got['transactions']:,} transactions: run {got['run_cpu_s']} s, "
                  f"check {got['check_cpu_s']} s = {got['check_over_run']} x the run{extra}")
    ratios = sorted(r["check_over_run"] for r in rounds)
    summary = {"esi_ids": args.esiids, "rounds": rounds, "check_over_run_median": ratios[len(ratios) // 2],
               **provenance()}
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"check / run, median of {len(rounds)}: {summary['check_over_run_median']} x (target <= 1.0 x)")
    return 0
