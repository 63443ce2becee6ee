"""Usage periods follow the meter read cycles: a meter's first period in a run starts at its
cycle's read day the month before (not at one date for every meter), and the 867_02 history
is the cycle's read-to-read periods, ending where the run's first period starts."""

from __future__ import annotations

import datetime as dt
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from edi.texas_set.catalog import identify
from edi.texas_set.mapping import from_segments
from edi.x12 import iter_transactions
from ercot_sim.market.engine import run_scenario
from ercot_sim.market.simtime import Clock
from ercot_sim.scenario import Scenario, load_scenario
from ercot_sim.scenario.population import build_population

ROOT = Path(__file__).resolve().parents[2]
#: cycle read to cycle read, cycles 1-23 on every calendar 2024-2026: 26 to 35 days
SHORTEST, LONGEST = 26, 35
#: a run's scenario, its 867_03 and its 867_02 (models of the files TDSPs sent ERCOT)
Market = tuple[Scenario, list[Any], list[Any]]


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock(dt.date(2025, 3, 3))


def test_a_cycle_is_read_on_its_business_day_or_the_months_last(clock: Clock) -> None:
    assert clock.cycle_read_day(2025, 1, 1) == dt.date(2025, 1, 2)  # New Year's Day is a holiday
    assert clock.nth_business_day(2025, 2, 21) is None  # February 2025 has 20 business days
    assert clock.cycle_read_day(2025, 2, 21) == dt.date(2025, 2, 28)
    assert clock.last_cycle_read(dt.date(2025, 3, 3), 1) == dt.date(2025, 2, 3)  # not on the day itself
    assert clock.last_cycle_read(dt.date(2025, 3, 4), 1) == dt.date(2025, 3, 3)
    assert clock.last_cycle_read(dt.date(2025, 1, 2), 1) == dt.date(2024, 12, 2)  # across the year


@pytest.mark.parametrize("cycle", [1, 2, 12, 20, 21, 23])
def test_the_last_cycle_read_is_the_latest_read_day_before(clock: Clock, cycle: int) -> None:
    reads = sorted({clock.cycle_read_day(y, m, cycle, "ONCOR") for y in (2024, 2025) for m in range(1, 13)})
    day = dt.date(2024, 2, 1)
    while day < dt.date(2026, 1, 1):
        assert clock.last_cycle_read(day, cycle, "ONCOR") == max(r for r in reads if r < day)
        day += dt.timedelta(days=1)
    assert all(SHORTEST <= (b - a).days <= LONGEST for a, b in pairwise(reads))


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> Market:
    """market-month.toml at 1,500 ESI IDs: its 867_03 and 867_02 as TDSPs sent them."""
    scenario = load_scenario(ROOT / "scenarios" / "market-month.toml")
    population = scenario.population.model_copy(update={"esi_ids": 1500})
    scenario = scenario.model_copy(update={"population": population})
    out = tmp_path_factory.mktemp("periods")
    run_scenario(scenario, out)
    parts = scenario.participants
    roles = {parts.ercot.duns: "ERCOT", **{t.duns: "TDSP" for t in parts.tdsps},
             **{c.duns: "CR" for c in parts.crs}}
    usage, history = [], []
    for path in sorted((out / "outbox" / parts.ercot.duns).glob("*.x12")):
        for txn in iter_transactions(path):
            if txn.st01 == "867":
                code = identify(txn, roles).code
                model = from_segments(code, [s.elements for s in txn.body])
                (usage if code == "867_03" else history if code == "867_02" else []).append(model)
    return scenario, usage, history


def test_every_meters_first_period_starts_at_its_previous_cycle_read(market: Market, clock: Clock) -> None:
    scenario, usage, _ = market
    start = scenario.scenario.start
    calendar = {t.name: t.calendar or t.name for t in scenario.participants.tdsps}
    premises = {p.esi_id: p for p in build_population(scenario).premises}
    first: dict[str, tuple[dt.date, dt.date, bool]] = {}
    for m in usage:
        period = m.periods[0]
        assert period.start <= period.end
        if not m.final:  # a cycle read: a month of usage at most
            assert (period.end - period.start).days <= LONGEST, (m.esi_id, period)
        got = first.get(m.esi_id)
        if got is None or period.end < got[1]:
            first[m.esi_id] = (period.start, period.end, m.final)
    served = [p for p in premises.values() if p.rep]
    checked = cycle_to_cycle = 0
    for p in served:
        got = first.get(p.esi_id)
        if got is None or got[0] >= start:  # not read in the run, or first read after a gain
            continue
        assert got[0] == clock.last_cycle_read(start, p.cycle, calendar[p.tdsp]), (p.esi_id, got)
        checked += 1
        if not got[2]:
            assert SHORTEST <= (got[1] - got[0]).days <= LONGEST, (p.esi_id, got)
            cycle_to_cycle += 1
    assert checked >= 0.9 * len(served) and cycle_to_cycle >= 0.8 * len(served)


def test_the_history_is_the_cycles_periods_up_to_the_last_read(market: Market, clock: Clock) -> None:
    scenario, usage, history = market
    calendar = {t.name: t.calendar or t.name for t in scenario.participants.tdsps}
    premises = {p.esi_id: p for p in build_population(scenario).premises}
    first_start = {}
    for m in sorted(usage, key=lambda m: m.periods[0].end, reverse=True):
        first_start[m.esi_id] = m.periods[0].start
    assert len(history) >= 3
    lined_up = 0
    for m in history:
        p = premises[m.esi_id]
        periods = m.periods
        assert len(periods) == 12
        assert periods[0].end < m.date
        for newer, older in pairwise(periods):
            assert newer.start == older.end  # read to read, newest first
        for period in periods:
            end = period.end
            assert end == clock.cycle_read_day(end.year, end.month, p.cycle, calendar[p.tdsp])
            assert SHORTEST <= (period.end - period.start).days <= LONGEST
        if first_start.get(m.esi_id) == periods[0].end:
            lined_up += 1
    assert lined_up  # the first 867_03 in the run picks up where the history ends
