"""Shared by the flow tests: a finished run of a scenario from scenarios/, cached per module."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from ercot_sim.market.engine import run_scenario
from ercot_sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]


class Run:
    """A finished run: its trace database and output directory."""

    def __init__(self, out: Path, trace: Path) -> None:
        self.out = out
        self.db = sqlite3.connect(str(trace))

    def execute(self, sql: str, args: tuple = ()) -> sqlite3.Cursor:  # type: ignore[type-arg]
        return self.db.execute(sql, args)


def scenario_runner(tmp_path_factory) -> Callable[[str], Run]:  # type: ignore[no-untyped-def]
    """A function running ``scenarios/<name>.toml`` once and returning the cached :class:`Run`."""
    cache: dict[str, Run] = {}

    def _run(name: str) -> Run:
        if name not in cache:
            out = tmp_path_factory.mktemp(name)
            result = run_scenario(load_scenario(ROOT / "scenarios" / f"{name}.toml"), out)
            cache[name] = Run(out, result.trace)
        return cache[name]

    return _run
