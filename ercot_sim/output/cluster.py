"""Shards on a Dask cluster: each shard of a run is one task that runs its ESI IDs and checks
them, on a LocalCluster of this machine or on a running ``dask scheduler``; what comes back is
small (transactions by code, orders by state, the shard's per-rule check), and is merged here.

A shard writes its folder (``OUT/shard-NNN/``) where its worker runs. With workers on other
machines, ``OUT`` must be a folder every worker and this machine see at the same path (a shared
file system): the merged trace is made from the shards' traces (docs/scale.md).

Flows are per ESI ID, so a shard's check is the check of its ESI IDs and the run's check is the
merge of the shards' (:meth:`CheckResult.merge`, per-rule counts added exactly).
"""

from __future__ import annotations

import logging
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

if TYPE_CHECKING:
    from ercot_sim.timing.check.report import CheckResult

__all__ = ["ShardJob", "ShardOutcome", "run_on_cluster", "run_shard"]


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
    ran = time.perf_counter()
    checked = check_path(job.out, load_check_rules(job.rules)) if job.check else None
    return ShardOutcome(counts=result.counts, orders=result.orders, files=len(result.files),
                        skipped=len(result.skipped), esi_ids=result.esi_ids, check=checked,
                        run_seconds=ran - started, check_seconds=time.perf_counter() - ran,
                        peak_rss=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)


def run_on_cluster(jobs: list[ShardJob], scheduler: str | None = None, workers: int | None = None,
                   done: Callable[[ShardJob, ShardOutcome], None] | None = None) -> list[ShardOutcome]:
    """Run ``jobs`` as Dask tasks and return their outcomes in the jobs' order.

    Args:
        jobs: the shards.
        scheduler: a running scheduler's address (``tcp://host:8786``); None for a LocalCluster
            of ``workers`` single-threaded worker processes on this machine.
        workers: the LocalCluster's size (default: one per core, at most one per shard).
        done: called as each shard finishes (progress).

    Raises:
        SimError: a shard's input cannot be used (the first such error), or the scheduler
            cannot be reached.
    """
    import os

    from distributed import Client, LocalCluster, as_completed

    from ercot_sim.errors import SimError

    cluster = None
    try:
        if scheduler is None:
            size = workers or min(len(jobs), os.cpu_count() or 1)
            cluster = LocalCluster(n_workers=size, threads_per_worker=1, processes=True, dashboard_address=None,
                                   silence_logs=logging.CRITICAL)
            client = Client(cluster)
        else:
            try:
                client = Client(scheduler, timeout="20s")
            except (OSError, TimeoutError) as exc:
                raise SimError(f"cannot reach the Dask scheduler: {exc}", scheduler) from None
        with client:
            # one task per shard, named by its folder; impure: a shard writes files
            futures = client.map(run_shard, jobs, key=[f"ercot-sim {job.out}" for job in jobs], pure=False,
                                 retries=0)
            position = {f.key: i for i, f in enumerate(futures)}
            outcomes: list[ShardOutcome | None] = [None] * len(jobs)
            for future in as_completed(futures):
                outcome = future.result()  # a shard's SimError is raised here, as it was raised there
                i = position[future.key]
                outcomes[i] = outcome
                if done is not None:
                    done(jobs[i], outcome)
    finally:
        if cluster is not None:
            cluster.close()
    return [o for o in outcomes if o is not None]
