"""Shards on Dask: the canonical transaction set of a run is the same for 1, 2 and 7 shards on
a local cluster and for 2 shards on a scheduler with two workers started here as separate
processes (``dask scheduler``, ``dask worker``); the shards' checks merged give the same
per-rule counts as a check of the merged trace; ``--esiids`` resizes a population; a scheduler
that cannot be reached is a one-line error."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ercot_sim.output.shard import canonical_transactions

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CLI = [sys.executable, "-m", "ercot_sim"]
#: the market month at 600 ESI IDs, its faults planted (they act per ESI ID, so per shard too)
SCENARIO = str(ROOT / "scenarios" / "market-month.toml")


def _run(out: Path, *extra: str) -> dict:
    done = subprocess.run([*CLI, "run", SCENARIO, "--esiids", "600", "--out", str(out), "--json", *extra],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)


def _rules(check: dict, per_file: bool = True) -> dict[str, tuple[int, ...]]:
    """Each rule's counts; without ``per_file``, not the 997s' rule (a 997 answers a file, and
    shards group transactions into other files than one run does)."""
    keys = ("on_time", "excused", "late", "missing", "outside", "open", "optional_absent", "skipped")
    return {r["rule_id"]: tuple(r[k] for k in keys) for r in check["rules"]
            if per_file or r["rule_id"] != "B1-any-997"}


@pytest.fixture(scope="module")
def whole(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("whole") / "run"
    return out, _run(out)


@pytest.mark.parametrize("shards", [2, 7])
def test_any_number_of_shards_on_a_local_cluster_gives_the_same_transactions(
        tmp_path: Path, whole: tuple[Path, dict], shards: int) -> None:
    one, summary = whole
    out = tmp_path / "run"
    sharded = _run(out, "--shards", str(shards))
    assert sharded["esi_ids"] == summary["esi_ids"] == 600
    assert sorted(p.name for p in out.glob("shard-*")) == [f"shard-{i:03d}" for i in range(shards)]
    merged = canonical_transactions([out / "trace.sqlite"])
    assert merged and merged == canonical_transactions([one / "trace.sqlite"])
    assert merged == canonical_transactions(sorted(out.glob("shard-*/trace.sqlite")))
    # the shards' own checks, merged, count every rule as the check of the merged trace does
    checked = subprocess.run([*CLI, "check", str(out / "trace.sqlite"), "--json"], capture_output=True, text=True,
                             cwd=ROOT)
    assert _rules(sharded["check"]) == _rules(json.loads(checked.stdout))
    assert _rules(sharded["check"], per_file=False) == _rules(summary["check"], per_file=False)


@pytest.fixture()
def cluster(tmp_path: Path) -> Iterator[str]:
    """A scheduler and two single-threaded workers, each its own process, as on other machines."""
    info = tmp_path / "scheduler.json"
    procs = [subprocess.Popen([str(BIN / "dask"), "scheduler", "--scheduler-file", str(info), "--port", "0",
                               "--no-dashboard"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)]
    try:
        for _ in range(600):
            if info.exists() and info.stat().st_size:
                break
            time.sleep(0.1)
        address = json.loads(info.read_text())["address"]
        for _ in range(2):
            procs.append(subprocess.Popen([str(BIN / "dask"), "worker", address, "--nthreads", "1",
                                           "--no-dashboard"], stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL, start_new_session=True))
        from distributed import Client

        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)
        yield address
    finally:
        for p in reversed(procs):
            os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


def test_a_scheduler_with_two_workers_gives_the_same_transactions(
        tmp_path: Path, whole: tuple[Path, dict], cluster: str) -> None:
    one, summary = whole
    out = tmp_path / "run"
    sharded = _run(out, "--shards", "2", "--scheduler", cluster)
    assert canonical_transactions([out / "trace.sqlite"]) == canonical_transactions([one / "trace.sqlite"])
    assert _rules(sharded["check"], per_file=False) == _rules(summary["check"], per_file=False)


def test_esiids_resizes_the_population_and_bad_options_are_one_line(tmp_path: Path) -> None:
    small = subprocess.run([*CLI, "run", str(ROOT / "scenarios" / "market-month.toml"), "--esiids", "40", "--out",
                            str(tmp_path / "s"), "--json", "--no-check"], capture_output=True, text=True, cwd=ROOT)
    assert small.returncode == 0, small.stderr
    assert json.loads(small.stdout)["esi_ids"] == 40
    cases = [
        (["run", str(ROOT / "scenarios" / "faults.toml"), "--esiids", "2"], "esi_index"),  # its events name ESI 3
        (["run", SCENARIO, "--esiids", "40", "--workers", "2"], "give --shards N"),
        (["run", SCENARIO, "--esiids", "40", "--shards", "2", "--scheduler", "tcp://127.0.0.1:9"],
         "cannot reach the Dask scheduler"),
    ]
    for args, words in cases:
        done = subprocess.run([*CLI, *args, "--out", str(tmp_path / "bad")], capture_output=True, text=True,
                              cwd=ROOT, timeout=120)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1 and words in done.stderr, done.stderr
