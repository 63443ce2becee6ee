"""Engine throughput: a market run end to end against SimPy's own message rate, same process.

``python -m bench engine --esiids N --days D --json`` runs ``scenarios/market-month.toml``
(or ``--scenario``) with N ESI IDs for D days through :func:`ercot_sim.market.engine.run_scenario`
in a temporary directory -- the SimPy market, the X12 files and the SQLite trace -- and
reports:

* ``transactions_per_s``: transactions written (every code, 997s included) per CPU second of
  the whole run (population, simulation, X12 files, SQLite), and per wall second;
* ``peak_rss_mib`` of the run;
* ``simpy_store_msgs_per_s``: the ceiling reference, measured in the same process:
  10,000 SimPy processes, one :class:`simpy.Store` inbox each, each looping *get from own
  inbox -> timeout(1) -> put to a random peer's inbox*, 10,000 messages circulating,
  ``until=100``; messages delivered per CPU second;
* ``ratio``: end-to-end transactions/s over the SimPy Store rate (target >= 1.0).

Both are measured ``--repeat`` times (default 3), interleaved (run, reference, run, ...), and
each reports its best round (least CPU time), as the EDI benchmark does: the machines this
runs on are shared, and the SimPy reference moves with their load more than the engine does.

The run writes its files where ``--out-dir`` says; by default to a RAM-backed directory
(``/dev/shm``) when the machine has one, else to the system's temporary directory. The
benchmark compares the engine's work with SimPy's, which writes nothing: on a shared virtual
disk the kernel's cost of writing 160 MB of new files moved between 1 and 3 CPU seconds from
one run to the next. ``out_dir`` and ``out_fs`` in the JSON say where it wrote;
``--out-dir /tmp`` measures the disk.

``--shards N`` also runs the market split into N shards, side by side in worker processes
(one per CPU at most) with their traces merged, as ``ercot-sim run --shards N`` does, and
reports its wall-clock rate: what the machine does with all its cores, beside the one-core
figure above (which stays the target's).

``--scaling 10000,100000`` runs each size in a child process and reports the CPU time ratio
of the largest to the smallest (target <= 11 for 10x the ESI IDs) and the memory per ESI ID
estimated from the difference of the peak RSS (target <= 2 KB per ESI ID plus a constant).

CPU time (``time.process_time``) is the primary clock because the machines this runs on are
shared: wall time is reported beside it.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import provenance
from bench.edi_bench import peak_rss_mib

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SCENARIO = ROOT / "scenarios" / "market-month.toml"


def simpy_store_rate(processes: int = 10_000, until: float = 100, seed: int = 1) -> dict[str, float]:
    """SimPy's Store message rate: messages delivered per CPU second (see module docstring)."""
    import simpy

    env = simpy.Environment()
    inboxes = [simpy.Store(env) for _ in range(processes)]
    rng = random.Random(seed)
    pick = rng.randrange
    delivered = 0

    def member(inbox: simpy.Store) -> Any:
        nonlocal delivered
        while True:
            msg = yield inbox.get()
            delivered += 1
            yield env.timeout(1)
            yield inboxes[pick(processes)].put(msg)

    for i, inbox in enumerate(inboxes):
        inbox.put(i)
        env.process(member(inbox))
    gc.collect()
    c0, w0 = time.process_time(), time.perf_counter()
    env.run(until=until)
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    return {
        "messages": delivered,
        "events": next(env._eid),  # noqa: SLF001 - SimPy's own event counter, as in peer-benchmarks.md
        "seconds_cpu": round(cpu, 3),
        "seconds_wall": round(wall, 3),
        "msgs_per_s": round(delivered / cpu),
    }


def load(scenario: Path, esi_ids: int, days: int) -> Any:
    """The scenario with its population and length replaced."""
    from ercot_sim.scenario import load_scenario

    sc = load_scenario(scenario)
    return sc.model_copy(update={
        "population": sc.population.model_copy(update={"esi_ids": esi_ids}),
        "scenario": sc.scenario.model_copy(update={"days": days}),
    })


def default_out_dir() -> Path:
    """A RAM-backed directory when the machine has a writable one, else the temp directory."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        return shm
    return Path(tempfile.gettempdir())


def fs_type(path: Path) -> str:
    """The file system type of ``path`` from /proc/mounts ('' when it cannot be told)."""
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return ""
    best, kind = "", ""
    target = str(path.resolve())
    for line in mounts:
        parts = line.split()
        inside = len(parts) >= 3 and (target == parts[1] or target.startswith(parts[1].rstrip("/") + "/"))
        if inside and len(parts[1]) > len(best):
            best, kind = parts[1], parts[2]
    return kind


def run_engine(scenario: Path, esi_ids: int, days: int, *, progress: bool = True,
               out_dir: Path | None = None) -> dict[str, Any]:
    """Run the engine once in a temporary directory under ``out_dir``; figures of the run."""
    from ercot_sim.market.engine import run_scenario

    sc = load(scenario, esi_ids, days)
    gc.collect()
    base = out_dir or default_out_dir()
    with tempfile.TemporaryDirectory(prefix="bench-engine-", dir=base) as tmp:
        bar, tick = _progress(days, f"{esi_ids:,} ESI IDs, {days} days", progress)
        c0, w0 = time.process_time(), time.perf_counter()
        try:
            result = run_scenario(sc, tmp, progress=tick)
        finally:
            if bar is not None:
                bar.stop()
        cpu, wall = time.process_time() - c0, time.perf_counter() - w0
        out = Path(tmp)
        files = list((out / "outbox").rglob("*.x12"))
        x12_bytes = sum(f.stat().st_size for f in files)
        with sqlite3.connect(out / "trace.sqlite") as db:
            rows = db.execute("SELECT count(*) FROM transactions").fetchone()[0]
        db.close()
    n = result.transactions
    if rows != n:  # the figure counts what the run says it wrote: the trace must agree
        raise RuntimeError(f"the run reports {n} transactions but its trace holds {rows}")
    return {
        "esi_ids": result.esi_ids,
        "days": days,
        "transactions": n,
        "trace_rows": rows,
        "by_code": result.counts,
        "orders": result.orders,
        "files": len(files),
        "x12_mb": round(x12_bytes / 1e6, 2),
        "out_dir": str(base),
        "out_fs": fs_type(base),
        "seconds_cpu": round(cpu, 3),
        "seconds_wall": round(wall, 3),
        "transactions_per_s": round(n / cpu),
        "transactions_per_s_wall": round(n / wall),
        "peak_rss_mib": round(peak_rss_mib(), 1),
        # hot-path templates per code: shapes seen and shapes whose template matched the
        # mapping; the others are rendered by the mapping (slower, same bytes). The 810_02 of a
        # fee or a late payment is such a shape by design: the template writes usage lines only.
        "templates": _templates_used(),
    }


def _shard_job(job: tuple[str, int, int, str, int, int]) -> dict[str, Any]:
    """One shard of a sharded run, in a worker process."""
    from ercot_sim.market.engine import run_scenario

    scenario, esi_ids, days, out, i, n = job
    result = run_scenario(load(Path(scenario), esi_ids, days), out, shard=(i, n))
    return {"transactions": result.transactions, "files": len(result.files)}


def run_sharded(scenario: Path, esi_ids: int, days: int, shards: int, out_dir: Path | None = None) -> dict[str, Any]:
    """The run split into ``shards`` shards run side by side in worker processes of a plain
    process pool (one per CPU at most), then their traces merged: the engine's own cost without
    the cluster's or the check's (``python -m bench scale`` measures ``ercot-sim run --shards``
    on Dask with its checks): wall time of the whole, and the CPU time of this process and its
    workers together."""
    import resource
    from concurrent.futures import ProcessPoolExecutor

    from ercot_sim.output.shard import merge_traces

    base = out_dir or default_out_dir()
    workers = min(shards, os.cpu_count() or 1)
    with tempfile.TemporaryDirectory(prefix="bench-shards-", dir=base) as tmp:
        jobs = [(str(scenario), esi_ids, days, str(Path(tmp) / f"shard-{i:03d}"), i, shards) for i in range(shards)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        c0, w0 = time.process_time(), time.perf_counter()
        with ProcessPoolExecutor(max_workers=workers) as pool:
            parts = list(pool.map(_shard_job, jobs))
        merged = merge_traces([Path(job[3]) / "trace.sqlite" for job in jobs], Path(tmp) / "trace.sqlite")
        wall = time.perf_counter() - w0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = time.process_time() - c0 + (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    n = sum(p["transactions"] for p in parts)
    if merged != n:
        raise RuntimeError(f"the shards report {n} transactions but the merged trace holds {merged}")
    return {
        "shards": shards,
        "workers": workers,
        "transactions": n,
        "files": sum(p["files"] for p in parts),
        "seconds_wall": round(wall, 3),
        "seconds_cpu_all_processes": round(cpu, 3),
        "transactions_per_s_wall": round(n / wall),
    }


def _templates_used() -> dict[str, dict[str, int]]:
    from ercot_sim.output.templates import template_stats

    out: dict[str, dict[str, int]] = {}
    for (code, _shape), ok in sorted(template_stats().items()):
        seen = out.setdefault(code, {"shapes": 0, "matched": 0})
        seen["shapes"] += 1
        seen["matched"] += int(ok)
    return out


def _progress(days: int, label: str, enabled: bool) -> tuple[Any, Any]:
    """A progress bar on stderr, advanced by the engine's per-day callback."""
    if not enabled:
        return None, None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    if not console.is_terminal:
        return None, None
    bar = Progress(TextColumn(label + ": day"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=console, transient=True)
    task = bar.add_task("run", total=days)
    bar.start()
    return bar, lambda day, _days: bar.update(task, completed=day)


def _with_status(text: str, fn: Any, enabled: bool) -> Any:
    """Run ``fn()`` with a spinner on stderr when it is a terminal."""
    from rich.console import Console

    console = Console(stderr=True)
    if not (enabled and console.is_terminal):
        return fn()
    with console.status(text):
        return fn()


def _child(scenario: Path, esi_ids: int, days: int, out_dir: Path | None) -> dict[str, Any]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [sys.executable, "-m", "bench", "engine", "--esiids", str(esi_ids), "--days", str(days),
           "--scenario", str(scenario), "--no-simpy", "--repeat", "1", "--json"]
    if out_dir is not None:
        cmd += ["--out-dir", str(out_dir)]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, env=env, text=True, check=True)
    return json.loads(out.stdout)["run"]


def scaling(scenario: Path, sizes: list[int], days: int, out_dir: Path | None = None) -> dict[str, Any]:
    """Run each size in its own process; time ratio and memory per ESI ID."""
    runs = [_child(scenario, n, days, out_dir) for n in sizes]
    small, big = runs[0], runs[-1]
    size_x = big["esi_ids"] / small["esi_ids"]
    per_esi = (big["peak_rss_mib"] - small["peak_rss_mib"]) * 1024 * 1024 / (big["esi_ids"] - small["esi_ids"])
    const = small["peak_rss_mib"] - per_esi * small["esi_ids"] / (1024 * 1024)
    return {
        "runs": runs,
        "esi_ids_ratio": round(size_x, 2),
        "time_ratio_cpu": round(big["seconds_cpu"] / small["seconds_cpu"], 2),
        "time_ratio_wall": round(big["seconds_wall"] / small["seconds_wall"], 2),
        "transactions_ratio": round(big["transactions"] / small["transactions"], 2),
        "bytes_per_esi_id": round(per_esi),
        "constant_mib": round(const, 1),
        "targets": {"time_ratio_cpu": f"<= {1.1 * size_x:g}", "bytes_per_esi_id": "<= 2048"},
    }


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench engine", description=__doc__.splitlines()[0])
    ap.add_argument("--esiids", type=int, default=10_000, help="ESI IDs in the market")
    ap.add_argument("--days", type=int, default=30, help="simulated days")
    ap.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO, help="scenario TOML (rates, participants)")
    ap.add_argument("--scaling", type=str, default="",
                    help="comma-separated ESI ID counts run in child processes, e.g. 10000,100000")
    ap.add_argument("--no-simpy", action="store_true", help="skip the SimPy Store reference")
    ap.add_argument("--repeat", type=int, default=3,
                    help="rounds of the run and of the reference, interleaved; the best of each is reported")
    ap.add_argument("--out-dir", type=Path, default=None,
                    help="where the run writes (default: /dev/shm when writable, else the temp directory)")
    ap.add_argument("--shards", type=int, default=0,
                    help="also run the market split into N shards side by side (wall-clock figure, merge included)")
    ap.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    if args.out_dir is not None and not args.out_dir.is_dir():
        ap.error(f"--out-dir {args.out_dir}: not a directory")

    result: dict[str, Any] = {
        "scenario": str(args.scenario.relative_to(ROOT) if args.scenario.is_relative_to(ROOT) else args.scenario),
        **provenance(),
        "out_dir": str(args.out_dir or default_out_dir()),
    }
    if args.scaling:
        sizes = sorted(int(x) for x in args.scaling.split(",") if x.strip())
        if len(sizes) < 2:
            ap.error("--scaling needs at least two sizes")
        result["scaling"] = scaling(args.scenario, sizes, args.days, args.out_dir)
    else:
        runs: list[dict[str, Any]] = []
        refs: list[dict[str, Any]] = []
        for k in range(args.repeat):
            label = f" (round {k + 1} of {args.repeat})" if args.repeat > 1 else ""
            runs.append(run_engine(args.scenario, args.esiids, args.days, progress=not args.no_progress,
                                   out_dir=args.out_dir))
            if not args.no_simpy:
                refs.append(_with_status(f"SimPy Store reference{label}: 10,000 processes, until=100",
                                         simpy_store_rate, not args.no_progress))
        run = min(runs, key=lambda r: r["seconds_cpu"])
        run["rounds_cpu"] = [r["seconds_cpu"] for r in runs]
        result["transactions_per_s"] = run["transactions_per_s"]
        result["peak_rss_mib"] = run["peak_rss_mib"]
        result["run"] = run
        if args.shards > 1:
            sharded = _with_status(f"{args.shards} shards side by side", lambda: run_sharded(
                args.scenario, args.esiids, args.days, args.shards, args.out_dir), not args.no_progress)
            result["sharded"] = sharded
        if refs:
            ref = max(refs, key=lambda r: r["msgs_per_s"])
            ref["rounds_msgs_per_s"] = [r["msgs_per_s"] for r in refs]
            result["simpy_store"] = ref
            result["simpy_store_msgs_per_s"] = ref["msgs_per_s"]
            result["ratio"] = round(run["transactions_per_s"] / ref["msgs_per_s"], 3)
            if "sharded" in result:  # several processes: wall clock, not one core's CPU time
                result["sharded"]["ratio_wall"] = round(
                    result["sharded"]["transactions_per_s_wall"] / ref["msgs_per_s"], 3)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for k, v in result.items():
            print(f"{k}: {v}")
    return 0
