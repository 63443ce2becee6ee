"""``python -m bench scale``: the whole market's scale, measured on this machine.

For each size (10,000, 100,000 and 1,000,000 ESI IDs; 7,000,000 too with ``--full``) the
market of ``scenarios/ercot-month.toml`` at that size runs as ``ercot-sim run --shards`` does:
shards as Dask tasks on a local cluster, each run and checked where it runs, then the traces
merged. Each size runs with one worker and then with two, the same shards both times, so the
speed-up of two workers over one is a ratio measured in the same run. Printed per size and
worker count: transactions, wall seconds (shards, merge), transactions/s, the run's and the
check's CPU seconds summed over shards, peak RSS per worker, bytes written per ESI ID; and the
whole-market month (7 M ESI IDs) extrapolated from the largest size with two workers.

Usage::

    python -m bench scale [--sizes 10000,100000,1000000] [--full] [--shards 4] [--days 30] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.engine_bench import default_out_dir

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "ercot-month.toml"
WHOLE_MARKET = 7_000_000


def _bytes_under(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def measure(esi_ids: int, workers: int, shards: int, base: Path) -> dict[str, Any]:
    """One sharded run (and its check) of the market at ``esi_ids`` on ``workers`` workers."""
    from ercot_sim.output.cluster import ShardJob, run_on_cluster
    from ercot_sim.output.shard import merge_traces

    out = Path(tempfile.mkdtemp(prefix=f"scale-{esi_ids}-{workers}-", dir=base))
    try:
        jobs = [ShardJob(str(SCENARIO), str(out / f"shard-{i:03d}"), None, None, i, shards, esi_ids, True)
                for i in range(shards)]
        w0 = time.perf_counter()
        outcomes = run_on_cluster(jobs, workers=workers)
        w1 = time.perf_counter()
        merged = merge_traces([Path(j.out) / "trace.sqlite" for j in jobs], out / "trace.sqlite")
        w2 = time.perf_counter()
        n = sum(sum(o["counts"].values()) for o in outcomes)
        written = _bytes_under(out)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    if merged != n:
        raise RuntimeError(f"the shards report {n} transactions, the merged trace holds {merged}")
    return {
        "esi_ids": esi_ids, "workers": workers, "shards": shards, "transactions": n,
        "seconds_wall_shards": round(w1 - w0, 2), "seconds_wall_merge": round(w2 - w1, 2),
        "seconds_wall": round(w2 - w0, 2), "transactions_per_s_wall": round(n / (w2 - w0)),
        "seconds_run_cpu_shards": round(sum(o["run_seconds"] for o in outcomes), 2),
        "seconds_check_shards": round(sum(o["check_seconds"] for o in outcomes), 2),
        "peak_rss_per_worker_mib": round(max(o["peak_rss"] for o in outcomes) / 2**20, 1),
        "bytes_per_esi_id": round(written / esi_ids),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench scale", description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10000,100000,1000000", help="ESI ID counts, comma-separated")
    ap.add_argument("--full", action="store_true", help="also the whole market (7,000,000 ESI IDs)")
    ap.add_argument("--shards", type=int, default=4, help="shards per run (the same for 1 and 2 workers)")
    ap.add_argument("--out-dir", type=Path, default=None, help="where runs are written (default: tmpfs if any)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    if args.full:
        sizes.append(WHOLE_MARKET)
    base = args.out_dir or default_out_dir()
    rows = []
    for size in sizes:
        pair = [measure(size, workers, args.shards, base) for workers in (1, 2)]
        pair[1]["speedup_2_over_1"] = round(pair[0]["seconds_wall"] / pair[1]["seconds_wall"], 2)
        rows.extend(pair)
        if not args.json:
            for r in pair:
                print(f"{r['esi_ids']:>9,} ESI IDs  {r['workers']} worker(s)  {r['transactions']:>10,} txns  "
                      f"{r['seconds_wall']:>8.1f} s wall ({r['seconds_wall_merge']:.1f} merge)  "
                      f"{r['transactions_per_s_wall']:>7,}/s  run {r['seconds_run_cpu_shards']:.1f} s  "
                      f"check {r['seconds_check_shards']:.1f} s  {r['peak_rss_per_worker_mib']:.0f} MiB/worker  "
                      f"{r['bytes_per_esi_id']:,} B/ESI ID" + (f"  speed-up {r['speedup_2_over_1']} x"
                                                              if "speedup_2_over_1" in r else ""))
    top = max((r for r in rows if r["workers"] == 2), key=lambda r: r["esi_ids"])
    factor = WHOLE_MARKET / top["esi_ids"]
    whole = {"from_esi_ids": top["esi_ids"], "seconds_wall": round(top["seconds_wall"] * factor),
             "gigabytes_written": round(top["bytes_per_esi_id"] * WHOLE_MARKET / 1e9, 1),
             "transactions": round(top["transactions"] * factor)}
    result = {"bench": "scale", "date": time.strftime("%Y-%m-%d %H:%M"), "cpus": os.cpu_count(),
              "scenario": "scenarios/ercot-month.toml", "rows": rows, "whole_market_extrapolated": whole}
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"whole market (7,000,000 ESI IDs) extrapolated from {top['esi_ids']:,} with 2 workers: "
              f"{whole['transactions']:,} transactions, {whole['seconds_wall']:,} s wall, "
              f"{whole['gigabytes_written']} GB written")
    return 0
