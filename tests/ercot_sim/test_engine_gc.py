"""run_scenario tunes the garbage collector for the run and restores it afterwards."""

from __future__ import annotations

import gc
from pathlib import Path

from ercot_sim.market.engine import run_scenario
from ercot_sim.scenario import load_scenario


def test_gc_thresholds_restored(tmp_path: Path) -> None:
    before = gc.get_threshold()
    seen: list[tuple[int, int, int]] = []
    gc.set_threshold(1234, 7, 9)
    try:
        result = run_scenario(load_scenario(None), tmp_path / "run",
                              progress=lambda _d, _n: seen.append(gc.get_threshold()))
        assert gc.get_threshold() == (1234, 7, 9)
    finally:
        gc.set_threshold(*before)
    assert seen and all(t[0] >= 1_000_000 for t in seen)  # tuned during the run
    assert result.files
