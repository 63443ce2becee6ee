"""Shards on a Dask cluster: each shard of a run is one task that runs its ESI IDs and checks
them, on a LocalCluster of this machine or on a running ``dask scheduler``; what comes back is
small (transactions by code, orders by state, the shard's per-rule check), and is merged here.

A shard writes its folder (``OUT/shard-NNN/``) where its worker runs. With workers on other
machines, ``OUT`` must be a folder every worker and this machine see at the same path (a shared
file system): the merged trace is made from the shards' traces (docs/scale.md).

Flows are per ESI ID, so a shard's check is the check of its ESI IDs and the run's check is the
merge of the shards' (:meth:`CheckResult.merge`, per-rule counts added exactly).
:func:`map_on_cluster` runs any importable function this way (``compare`` runs its two markets
side by side with it).
"""

from __future__ import annotations

import logging
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict, TypeVar

if TYPE_CHECKING:
    from ercot_sim.timing.check.report import CheckResult

__all__ = ["ShardJob", "ShardOutcome", "map_on_cluster", "run_on_cluster", "run_shard"]

_In = TypeVar("_In")
_Out = TypeVar("_Out")


@dataclass(frozen=True, slots=True)
class ShardJob:
    """One shard of a run, as a task: everything a worker needs, as plain values (the
    scenario is read again there)."""

    scenario: str | None
    out: str
    seed: int | None
    rules: str | None
    index: int
    count: int
    #: the population's size when overridden (``run --esiids``)
    esi_ids: int | None = None
    #: check the shard's transactions against the timing rules after running it
    check: bool = True


class ShardOutcome(TypedDict):
    """What a shard reports back: transactions by code, orders by state, files written,
    events skipped, its ESI IDs, its check (None when not asked), the seconds it ran and
    checked, and its worker's peak memory (bytes)."""

    counts: dict[str, int]
    orders: dict[str, int]
    files: int
    skipped: int
    esi_ids: int
    check: CheckResult | None
    run_seconds: float
    check_seconds: float
    peak_rss: int


def run_shard(job: ShardJob) -> ShardOutcome:
    """Run one shard, then check it (in a worker process).

    Raises:
        SimError: the scenario, rules or output folder cannot be used.
    """
    from ercot_sim.market.engine import run_scenario
    from ercot_sim.scenario import load_scenario, with_esi_ids
    from ercot_sim.timing.check import check_path, load_check_rules

    started = time.perf_counter()
    scenario = load_scenario(job.scenario)
    if job.esi_ids is not None:
        scenario = with_esi_ids(scenario, job.esi_ids)
    base = Path(job.scenario).parent if job.scenario else None
    result = run_scenario(scenario, job.out, seed=job.seed, rules=job.rules, shard=(job.index, job.count),
                          base_dir=base)
    summary = ShardOutcome(counts=result.counts, orders=result.orders, files=len(result.files),
                           skipped=len(result.skipped), esi_ids=result.esi_ids, check=None, run_seconds=0.0,
                           check_seconds=0.0, peak_rss=0)
    del result
    _release_memory()  # the market is gone: the check (and the worker's next shard) reuse its memory
    ran = time.perf_counter()
    if job.check:
        # the answers owed at the end of the data (every invoice not yet due for payment: a million
        # in a whole-market shard) are counted, not listed: the run prints and keeps the counts
        checked = check_path(job.out, load_check_rules(job.rules), owed=False)
        # the files its violations cite, as the run's folder holds them (shard-NNN/outbox/...)
        checked = checked.in_folder(Path(job.out).name)
        summary["check"] = checked
        _release_memory()
    summary["run_seconds"] = ran - started
    summary["check_seconds"] = time.perf_counter() - ran
    summary["peak_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return summary


def _release_memory() -> None:
    """Collect what is unreachable and hand the freed heap back to the system (glibc's
    ``malloc_trim``, where there is one), so that a worker's memory does not grow shard by shard."""
    import contextlib
    import ctypes
    import gc

    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def run_on_cluster(jobs: list[ShardJob], scheduler: str | None = None, workers: int | None = None,
                   done: Callable[[ShardJob, ShardOutcome], None] | None = None) -> list[ShardOutcome]:
    """Run ``jobs`` as Dask tasks (:func:`map_on_cluster` of :func:`run_shard`) and return their
    outcomes in the jobs' order.

    Raises:
        SimError: a shard's input cannot be used (the first such error), or the scheduler
            cannot be reached.
    """
    return map_on_cluster(run_shard, jobs, [f"ercot-sim {job.out}" for job in jobs], scheduler, workers, done)


def map_on_cluster(fn: Callable[[_In], _Out], items: list[_In], keys: list[str], scheduler: str | None = None,
                   workers: int | None = None, done: Callable[[_In, _Out], None] | None = None) -> list[_Out]:
    """``fn`` of each of ``items`` as Dask tasks named ``keys``, their results in the items' order.

    Args:
        fn: an importable function (workers import it by name).
        items: its arguments, one task each (plain values: they travel to the workers).
        keys: the tasks' names (unique).
        scheduler: a running scheduler's address (``tcp://host:8786``); None for a LocalCluster
            of ``workers`` single-threaded worker processes on this machine.
        workers: the LocalCluster's size (default: one per core, at most one per task).
        done: called as each task finishes (progress).

    Raises:
        SimError: a task's input cannot be used (the first such error, raised there), or the
            scheduler cannot be reached.
    """
    import os

    from distributed import Client, LocalCluster, as_completed

    from ercot_sim.errors import SimError

    cluster = None
    try:
        if scheduler is None:
            size = workers or min(len(items), os.cpu_count() or 1)
            # no dashboard; the scheduler's own HTTP server on a free local port (not 8787, which a
            # second cluster would find taken and warn about)
            cluster = LocalCluster(n_workers=size, threads_per_worker=1, processes=True, dashboard_address=None,
                                   silence_logs=logging.CRITICAL, scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})
            client = Client(cluster)
        else:
            try:
                client = Client(scheduler, timeout="20s")
            except (OSError, TimeoutError) as exc:
                raise SimError(f"cannot reach the Dask scheduler: {exc}", scheduler) from None
        with client:
            # impure: a task writes files
            futures = client.map(fn, items, key=keys, pure=False, retries=0)
            position = {f.key: i for i, f in enumerate(futures)}
            results: dict[int, _Out] = {}
            for future in as_completed(futures):
                result = future.result()  # a task's SimError is raised here, as it was raised there
                i = position[future.key]
                results[i] = result
                if done is not None:
                    done(items[i], result)
    finally:
        if cluster is not None:
            cluster.close()
    return [results[i] for i in range(len(items))]
