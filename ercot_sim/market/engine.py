"""The engine: builds the SimPy market from a scenario, runs it, and leaves files and a trace.

:func:`run_scenario` is the library entry point::

    from ercot_sim import load_scenario, run_scenario
    result = run_scenario(load_scenario("scenarios/switch-standard.toml"), "OUT")
    result.counts["814_03"], result.orders["completed"], result.trace

Sim time is minutes since midnight America/Chicago of the start date (see
:mod:`ercot_sim.market.simtime`). ERCOT, the TDSPs and the CRs are participants that only exchange
:class:`~ercot_sim.market.messages.Message` through the :class:`~ercot_sim.market.transport.Transport`;
customer events and field facts from the scenario are handed to the participant that would
know them in the real market (a CR knows its customers' plans, a TDSP knows a premise needs
a permit). ``shard=(i, n)`` runs only the ESI IDs of shard ``i``.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ercot_sim.errors import ScenarioError, SimError
from ercot_sim.market.builder import build_market, plan, results
from ercot_sim.market.participants.base import MarketTiming
from ercot_sim.market.simtime import Clock
from ercot_sim.market.timing_bridge import MarketRules, load_market_rules
from ercot_sim.output.run_folder import LOCK, RunFolder
from ercot_sim.scenario import Scenario, ScenarioInfo, reference_problems
from ercot_sim.tomlload import format_loc

__all__ = ["RunResult", "run_scenario"]


@dataclass
class RunResult:
    """What a run produced.

    Attributes:
        out: the output directory (``outbox/`` and ``trace.sqlite`` inside).
        trace: path of the SQLite trace.
        counts: transactions written, by Texas SET code.
        orders: orders by state (terminal states and any still pending at the end).
        files: X12 files written (paths relative to ``out``).
        skipped: customer events a CR could not act on (esi_id, kind, reason).
        esi_ids: ESI IDs simulated (this shard).
        timing: the market timing the participants worked to.
    """

    out: Path
    trace: Path
    counts: dict[str, int]
    orders: dict[str, int]
    files: list[str]
    skipped: list[tuple[str, str, str]] = field(default_factory=list)
    esi_ids: int = 0
    timing: MarketTiming | None = None

    @property
    def transactions(self) -> int:
        """Transactions written, all codes."""
        return sum(self.counts.values())


def run_scenario(
    scenario: Scenario,
    out: str | Path,
    *,
    seed: int | None = None,
    rules: str | Path | None = None,
    shard: tuple[int, int] = (0, 1),
    progress: Callable[[int, int], None] | None = None,
    base_dir: str | Path | None = None,
    force: bool = False,
) -> RunResult:
    """Run a scenario and write its X12 files and trace under ``out``.

    Args:
        scenario: the validated scenario.
        out: output directory: new, empty, or an earlier run's (whose files are replaced);
            see :mod:`ercot_sim.output.run_folder`.
        seed: overrides the scenario's seed.
        rules: timing rules file overriding the shipped rules (and the scenario's ``rules``).
        shard: ``(i, n)``: run only the ESI IDs of shard ``i`` of ``n``.
        progress: called with (simulated day, days) after each day's last window.
        base_dir: directory relative paths in the scenario (``rules``) are resolved against.
        force: write beside files no run wrote in ``out`` (they are left as they are).

    Returns:
        The :class:`RunResult`.

    Raises:
        ScenarioError: the scenario names a participant or ESI ID that does not exist.
        RulesError: the rules file is unusable.
        SimError: ``out`` holds files no run wrote (without ``force``) or cannot be used.
    """
    # A run allocates millions of short-lived objects next to a large, long-lived market
    # (premises, registry, orders): with the default thresholds the collector runs hundreds
    # of times and rescans the market each time (about a tenth of the CPU time). Fewer,
    # larger young collections for the run; the thresholds are restored afterwards.
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], _GC_YOUNG), max(before[1], 50), max(before[2], 100))
    try:
        return _run(scenario, out, seed, rules, shard, progress, base_dir, force)
    finally:
        gc.set_threshold(*before)


#: young-generation threshold during a run (the default is 700 allocations). What a run
#: drops is freed by reference counting (its peak RSS is the same with the collector off), so
#: the collector only has to catch the rare cycle: once per million allocations. At 100,000
#: ESI IDs x 30 days that is 1 young collection instead of 24 at 50,000, about 4 % less CPU
#: time (docs/performance.md).
_GC_YOUNG = 1_000_000


def _run(
    scenario: Scenario,
    out: str | Path,
    seed: int | None,
    rules: str | Path | None,
    shard: tuple[int, int],
    progress: Callable[[int, int], None] | None,
    base_dir: str | Path | None,
    force: bool,
) -> RunResult:
    """The body of :func:`run_scenario`."""
    problems = reference_problems(scenario)
    if problems:
        loc, message = problems[0]
        raise ScenarioError(message, f"scenario {scenario.scenario.name}, {format_loc(loc)}")
    info = scenario.scenario
    if seed is not None:
        scenario = scenario.model_copy(update={"scenario": info.model_copy(update={"seed": seed})})
        info = scenario.scenario
    rules_path = rules
    if rules_path is None and info.rules:
        rules_path = Path(base_dir or ".") / info.rules
    clock = Clock(info.start)
    timing, market_rules = load_market_rules(rules_path, clock)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise SimError("--out names a file; give a folder", str(out))
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SimError(f"cannot make the folder: {exc.strerror}", str(out)) from None
    with OutLock(out):
        folder = RunFolder.claim(out, force=force)
        result = _run_locked(scenario, info, out, clock, timing, market_rules, shard, progress)
        folder.finish({"scenario": info.name, "seed": info.seed, "shard": f"{shard[0]}/{shard[1]}"})
        return result


class OutLock:
    """One run at a time in an output folder: ``.ercot-sim-run.lock``, made exclusively.

    A second run into the same folder is refused (the files of two runs would mix); the lock
    goes when the run ends, failed or not. A run killed outright leaves it: the message says
    to delete it then.
    """

    NAME = LOCK

    def __init__(self, out: Path) -> None:
        self.path = out / self.NAME

    def __enter__(self) -> OutLock:
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            raise ScenarioError(f"another run is writing into this folder ({self.NAME}); if none is "
                                "(a run killed earlier), delete that file", str(self.path.parent)) from None
        os.close(fd)
        return self

    def __exit__(self, *exc: object) -> None:
        self.path.unlink(missing_ok=True)


def _run_locked(scenario: Scenario, info: ScenarioInfo, out: Path, clock: Clock, timing: MarketTiming,
                market_rules: MarketRules | None, shard: tuple[int, int],
                progress: Callable[[int, int], None] | None) -> RunResult:
    """The run itself, in an output folder it holds the lock of."""
    market = build_market(scenario, out, clock, timing, market_rules, shard)
    plan(market, progress)
    market.env.run(until=market.horizon)
    by_state, skipped = results(market, shard)
    transport = market.transport
    return RunResult(out, out / "trace.sqlite", dict(sorted(transport.counts.items())), by_state,
                     transport.outbox.files, skipped, len(market.population.premises), timing)


def start_date(scenario: Scenario) -> dt.date:
    """The first day of a scenario's run."""
    return scenario.scenario.start
