"""The same scenario, seed and rules give the same bytes in separate processes, whatever the
hash seed, time zone and locale of each (a draw seeded by ``hash()`` of a string would differ
between processes while every in-process test stays green)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_RUN = """
import json, sys
from pathlib import Path
from bench.same_bytes import fingerprint
from ercot_sim.market.engine import run_scenario
from ercot_sim.scenario import load_scenario
sc = load_scenario(Path(sys.argv[1]))
sc = sc.model_copy(update={"population": sc.population.model_copy(update={"esi_ids": 400})})
run_scenario(sc, Path(sys.argv[2]))
print(json.dumps(fingerprint(Path(sys.argv[2]))))
"""


def _run(out: Path, hash_seed: str, tz: str, lang: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed, "TZ": tz, "LANG": lang, "LC_ALL": lang}
    done = subprocess.run([sys.executable, "-c", _RUN, str(ROOT / "scenarios" / "market-month.toml"), str(out)],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_rate_driven_market_gives_the_same_bytes_in_two_unlike_processes(tmp_path: Path) -> None:
    a = _run(tmp_path / "a", "1", "UTC", "C.UTF-8")
    b = _run(tmp_path / "b", "4242", "Asia/Tokyo", "C")
    assert int(a["x12 files"]) > 100 and "table transactions" in a
    assert a == b
