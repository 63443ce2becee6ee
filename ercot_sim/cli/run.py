"""``ercot-sim run``: run a scenario, write X12 files and the SQLite trace, print a summary."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypedDict

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ercot_sim.cli._progress import QUIET
from ercot_sim.errors import SimError

if TYPE_CHECKING:
    from ercot_sim.output.cluster import ShardOutcome
    from ercot_sim.timing.check.report import CheckResult

__all__ = ["register", "run_command"]


class ShardSummary(TypedDict):
    """What a run (or one shard of it) reports back: transactions by code, orders by state,
    files written, events skipped, ESI IDs."""

    counts: dict[str, int]
    orders: dict[str, int]
    files: int
    skipped: int
    esi_ids: int


def run_command(
    scenario: Annotated[str | None, typer.Argument(
        help="Scenario TOML file; the embedded default scenario when left out.")] = None,
    out: Annotated[Path, typer.Option("--out", help="Output directory (outbox/ and trace.sqlite).")] = Path("OUT"),
    seed: Annotated[int | None, typer.Option("--seed", help="Override the scenario's seed.")] = None,
    rules: Annotated[Path | None, typer.Option("--rules",
                                               help="Timing rules file overriding the shipped rules.")] = None,
    shards: Annotated[int, typer.Option("--shards", min=1, max=256,
                                        help="Split the run by ESI ID into N shards, each a Dask task that runs "
                                             "and checks its ESI IDs (OUT/shard-NNN/, traces merged into "
                                             "OUT/trace.sqlite).")] = 1,
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="Run the shards on this running Dask "
                                                                      "scheduler (tcp://HOST:8786) instead of a "
                                                                      "local cluster; OUT must be a folder its "
                                                                      "workers see at the same path.")] = None,
    workers: Annotated[int | None, typer.Option("--workers", min=1, max=256,
                                                help="Worker processes of the local cluster (default: one per "
                                                     "core, at most one per shard).")] = None,
    esiids: Annotated[int | None, typer.Option("--esiids", min=1, max=20_000_000,
                                               help="Override the population's size (the scenario's "
                                                    "[population] esi_ids).")] = None,
    check: Annotated[bool, typer.Option("--check/--no-check",
                                        help="Print the timing compliance summary of the run "
                                             "(ercot-sim check).")] = True,
    html: Annotated[Path | None, typer.Option("--html", help="Also write the run's HTML report (sequence diagrams, "
                                                             "compliance, volumes) to this file.")] = None,
    fail_on_violation: Annotated[bool, typer.Option("--fail-on-violation",
                                                    help="Exit 1 when the run breaks a timing rule or a rule's "
                                                         "compliance is below its target (for pipelines).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object (counts, orders, files, and the "
                                                         "compliance check) instead of the tables.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Write into a folder that holds files no run wrote; they "
                                                        "are left as they are (an earlier run's files are replaced "
                                                        "either way).")] = False,
) -> None:
    """Run a market scenario: X12 files per trading partner, a SQLite trace, and a summary."""
    from ercot_sim.market.engine import run_scenario
    from ercot_sim.scenario import load_scenario, with_esi_ids

    err = Console(stderr=True)
    try:
        loaded = load_scenario(scenario)
        if esiids is not None:
            loaded = with_esi_ids(loaded, esiids)
        if shards == 1 and (scheduler is not None or workers is not None):
            raise SimError("--scheduler and --workers run shards: give --shards N (2 or more)")
        if rules is not None and not rules.exists():
            raise SimError("file not found", str(rules))
        if out.exists() and not out.is_dir():
            raise SimError("--out names a file; give a folder", str(out))
        if html is not None and html.is_dir():
            raise SimError("--html names a folder; give the report's file name (report.html)", str(html))
    except SimError as exc:
        print(f"ercot-sim run: {exc}", file=sys.stderr)
        raise typer.Exit(2) from None
    started = time.perf_counter()
    totals: dict[str, int] = {}
    orders: dict[str, int] = {}
    files = skipped = esi_ids = 0
    checked = None
    shard_costs: list[dict[str, float]] = []  # each shard's seconds running and checking, and its peak memory
    try:
        if shards == 1:
            with Progress(TextColumn("simulated day"), BarColumn(), MofNCompleteColumn(),
                          TimeElapsedColumn(), console=err, transient=True,
                          disable=QUIET["on"] or not err.is_terminal) as bar:
                task = bar.add_task("run", total=loaded.scenario.days)
                result = run_scenario(loaded, out, seed=seed, rules=rules,
                                      base_dir=Path(scenario).parent if scenario else None,
                                      progress=lambda day, _days: bar.update(task, completed=day), force=force)
            parts = [ShardSummary(counts=result.counts, orders=result.orders, files=len(result.files),
                                  skipped=len(result.skipped), esi_ids=result.esi_ids)]
        else:
            outcomes = _run_sharded(scenario, loaded.scenario.name, out, seed, rules, shards, force,
                                    check or fail_on_violation, scheduler, workers, esiids, err)
            parts = [ShardSummary(counts=o["counts"], orders=o["orders"], files=o["files"], skipped=o["skipped"],
                                  esi_ids=o["esi_ids"]) for o in outcomes]
            shard_costs = [{"run_seconds": round(o["run_seconds"], 2), "check_seconds": round(o["check_seconds"], 2),
                            "peak_rss_mib": round(o["peak_rss"] / 2**20, 1)} for o in outcomes]
            if check or fail_on_violation:
                from ercot_sim.timing.check.report import CheckResult

                checked = CheckResult.merge([o["check"] for o in outcomes if o["check"] is not None], str(out))
    except SimError as exc:
        print(f"ercot-sim run: {exc}", file=sys.stderr)
        raise typer.Exit(2) from None
    for part in parts:
        for code, n in part["counts"].items():
            totals[code] = totals.get(code, 0) + n
        for state, n in part["orders"].items():
            orders[state] = orders.get(state, 0) + n
        files += part["files"]
        skipped += part["skipped"]
        esi_ids += part["esi_ids"]
    elapsed = time.perf_counter() - started
    if (check or fail_on_violation) and checked is None:
        from ercot_sim.timing.check import check_path, load_check_rules

        try:
            checked = check_path(out, load_check_rules(rules), owed=False)
        except SimError as exc:
            print(f"ercot-sim run: compliance check: {exc}", file=sys.stderr)
            raise typer.Exit(2) from None
    if checked is not None:
        _keep_check(out, checked, rules)
    failed = checked is not None and (bool(checked.violations) or any(r.passed is False for r in checked.rules))
    if as_json:
        import json

        print(json.dumps({
            "scenario": loaded.scenario.name, "out": str(out), "esi_ids": esi_ids, "files": files,
            "events_skipped": skipped, "transactions": dict(sorted(totals.items())),
            "orders": dict(sorted(orders.items())), "seconds": round(elapsed, 3),
            "check": checked.to_dict() if checked is not None else None,
            "failed": failed if checked is not None else None,
            **({"shards": shard_costs} if shard_costs else {}),
        }, indent=2))
        _write_html(out, html, rules, quiet=True)
        if fail_on_violation and failed:
            raise typer.Exit(1)
        return
    console = Console()
    table = Table(title=f"{loaded.scenario.name}: transactions by code")
    table.add_column("code")
    table.add_column("count", justify="right")
    for code in sorted(totals):
        table.add_row(code, f"{totals[code]:,}")
    table.add_row("all", f"{sum(totals.values()):,}")
    console.print(table)
    states = Table(title="orders by state")
    states.add_column("state")
    states.add_column("count", justify="right")
    for state in sorted(orders):
        states.add_row(state, f"{orders[state]:,}")
    console.print(states)
    console.print(f"ESI IDs: {esi_ids:,}  files written: {files:,}  events skipped: {skipped:,}  "
                  f"out: {out}  ({elapsed:.1f} s, {sum(totals.values()) / max(elapsed, 1e-9):,.0f} transactions/s)")
    if check and checked is not None:
        print("compliance (ercot-sim check)\n" + checked.to_text(limit=20))
    _write_html(out, html, rules, quiet=False)
    if fail_on_violation and failed:
        print("ercot-sim run: the run breaks timing rules (--fail-on-violation)", file=sys.stderr)
        raise typer.Exit(1)


def _run_sharded(scenario: str | None, name: str, out: Path, seed: int | None, rules: Path | None,
                 shards: int, force: bool, check: bool, scheduler: str | None, workers: int | None,
                 esi_ids: int | None, err: Console) -> list[ShardOutcome]:
    """The shards as Dask tasks (OUT/shard-NNN/, each run and checked where it runs), their
    traces merged into OUT/trace.sqlite; the folder held and recorded like a run's own
    (:mod:`ercot_sim.output.run_folder`). A bar shows the shards done."""
    from ercot_sim.market.engine import OutLock
    from ercot_sim.output.cluster import ShardJob, run_on_cluster
    from ercot_sim.output.run_folder import RunFolder
    from ercot_sim.output.shard import merge_traces

    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SimError(f"cannot make the folder: {exc.strerror}", str(out)) from None
    root = out.resolve()  # the workers' path to it (the same on every machine of the cluster)
    with OutLock(out):
        folder = RunFolder.claim(out, force=force)  # the earlier run's shards and merged trace go
        jobs = [ShardJob(str(Path(scenario).resolve()) if scenario else None, str(root / f"shard-{i:03d}"), seed,
                         str(rules.resolve()) if rules else None, i, shards, esi_ids, check) for i in range(shards)]
        with Progress(TextColumn("shards run and checked"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=err, transient=True, disable=QUIET["on"] or not err.is_terminal) as bar:
            task = bar.add_task("shards", total=shards)
            outcomes = run_on_cluster(jobs, scheduler, workers, lambda _job, _outcome: bar.advance(task))
            bar.update(task, description="merging the shards' traces")
            merge_traces([Path(job.out) / "trace.sqlite" for job in jobs], out / "trace.sqlite")
        folder.finish({"scenario": name, "seed": seed, "shards": shards})
    return outcomes


def _keep_check(out: Path, checked: CheckResult, rules: Path | None) -> None:
    """Keep the run's check in its trace, for its report (:mod:`ercot_sim.timing.check.stored`);
    a trace that cannot take it is said, and the run stands. The report (``--html``) takes it
    from there."""
    import sqlite3

    from ercot_sim.timing.check import load_check_rules
    from ercot_sim.timing.check.stored import keep_check

    try:
        keep_check(out / "trace.sqlite", checked, load_check_rules(rules))
    except sqlite3.Error as exc:
        print(f"ercot-sim run: {out / 'trace.sqlite'}: the check is not kept in the trace ({exc}); "
              "'ercot-sim report' will check again", file=sys.stderr)


def _write_html(out: Path, html: Path | None, rules: Path | None, *, quiet: bool) -> None:
    if html is None:
        return
    from ercot_sim.report import write_report

    try:
        write_report(out, html, rules=rules)
    except SimError as exc:
        print(f"ercot-sim run: report: {exc}", file=sys.stderr)
        raise typer.Exit(2) from None
    if not quiet:
        print(f"report written to {html}")


def register(app: typer.Typer) -> None:
    """Add the ``run`` command."""
    app.command("run")(run_command)
