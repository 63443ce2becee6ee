"""The population generator's draws: the shortcuts give the same numbers as the plain forms,
and the rate draws give the market the scenario asks for."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from ercot_sim.scenario import load_scenario
from ercot_sim.scenario.population import (
    _pick,
    _Picker,
    _premises,
    build_population,
    triggers,
    unit,
)

ROOT = Path(__file__).resolve().parents[2]


def test_premise_draws_are_unit_draws() -> None:
    sc = load_scenario(ROOT / "scenarios" / "market-month.toml")
    sc = sc.model_copy(update={"population": sc.population.model_copy(update={"esi_ids": 2_000})})
    seed, pop = sc.scenario.seed, sc.population
    crs = [(c.name, c.share) for c in sc.participants.crs if c.share > 0]
    premises = list(_premises(sc))
    assert len(premises) == 2_000
    for p in premises:
        assert p.cycle == int(unit(seed, p.esi_id, "cycle") * pop.cycles) + 1
        energized = unit(seed, p.esi_id, "energized") < pop.energized
        assert p.rep == (_pick(crs, unit(seed, p.esi_id, "rep")) if energized else None)


@given(st.lists(st.tuples(st.sampled_from("ABCDEFG"), st.floats(0.01, 100)), min_size=1, max_size=7),
       st.floats(0, 1, exclude_max=True))
def test_picker_is_pick(weights: list[tuple[str, float]], u: float) -> None:
    assert _Picker(weights)(u) == _pick(weights, u)


def test_triggers_are_uniform_and_independent() -> None:
    draws = [triggers(7, f"1044372{n:010d}") for n in range(20_000)]
    for k in range(5):
        col = [d[k] for d in draws]
        assert all(0 <= u < 1 for u in col)
        assert abs(sum(col) / len(col) - 0.5) < 0.01
        assert abs(sum(u < 0.01 for u in col) / len(col) - 0.01) < 0.003
    # two kinds firing together as often as independence says (1 % x 1 % of 20,000 = 2)
    both = sum(d[0] < 0.1 and d[1] < 0.1 for d in draws)
    assert 120 < both < 280


def test_rates_give_the_monthly_volumes() -> None:
    sc = load_scenario(ROOT / "scenarios" / "market-month.toml")
    sc = sc.model_copy(update={"population": sc.population.model_copy(update={"esi_ids": 40_000})})
    pop = build_population(sc)
    kinds: dict[str, int] = {}
    for pe in pop.events:
        kinds[pe.event.kind] = kinds.get(pe.event.kind, 0) + 1
    energized = sum(1 for p in pop.premises if p.rep)
    rates = sc.rates
    assert abs(kinds["switch"] / energized - rates.switch) < rates.switch * 0.25
    assert abs(kinds["move_in"] / 40_000 - rates.move_in) < rates.move_in * 0.15
    assert build_population(sc).events == pop.events  # deterministic
