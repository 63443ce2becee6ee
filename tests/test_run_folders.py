"""A run's output folder: a killed run, two runs at once and shards of different runs are
refused by check and report (exit 2, one line), never passed as a clean result."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from ercot_sim.cli import app

ROOT = Path(__file__).resolve().parents[1]
MONTH = ROOT / "scenarios" / "market-month.toml"
SMALL = ROOT / "scenarios" / "switch-standard.toml"


def _invoke(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, list(args))


def test_a_run_killed_midway_is_an_incomplete_run_for_check_and_report(tmp_path: Path) -> None:
    out = tmp_path / "killed"
    code = ("import sys; from pathlib import Path; from ercot_sim.engine import run_scenario; "
            "from ercot_sim.scenario import load_scenario; sc = load_scenario(Path(sys.argv[1])); "
            "sc = sc.model_copy(update={'population': sc.population.model_copy(update={'esi_ids': 60000})}); "
            "run_scenario(sc, Path(sys.argv[2]))")
    proc = subprocess.Popen([sys.executable, "-c", code, str(MONTH), str(out)], cwd=ROOT)
    try:
        deadline = time.monotonic() + 120
        while not any(out.glob("outbox/*/*.x12")) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.poll() is None, "the run ended before it could be killed"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert (out / "trace.sqlite").is_file()
    checked = _invoke("check", str(out))
    assert checked.exit_code == 2
    assert "incomplete run: the trace has no completion record" in checked.output
    reported = _invoke("report", str(out), "--html", str(tmp_path / "r.html"))
    assert reported.exit_code == 2 and "incomplete run" in reported.output
    assert not (tmp_path / "r.html").exists()
    # the lock of the killed run stays: a new run into the folder says what to do
    again = _invoke("run", str(SMALL), "--out", str(out), "--no-check")
    assert again.exit_code == 2 and "another run is writing into this folder" in again.output
    (out / ".ercot-sim-run.lock").unlink()
    assert _invoke("run", str(SMALL), "--out", str(out), "--no-check").exit_code == 0
    assert _invoke("check", str(out)).exit_code == 0


def test_a_second_run_into_a_folder_in_use_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "busy"
    code = ("import sys; from pathlib import Path; from ercot_sim.engine import run_scenario; "
            "from ercot_sim.scenario import load_scenario; sc = load_scenario(Path(sys.argv[1])); "
            "sc = sc.model_copy(update={'population': sc.population.model_copy(update={'esi_ids': 60000})}); "
            "run_scenario(sc, Path(sys.argv[2]))")
    first = subprocess.Popen([sys.executable, "-c", code, str(MONTH), str(out)], cwd=ROOT)
    try:
        deadline = time.monotonic() + 120
        while not (out / ".ercot-sim-run.lock").exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert first.poll() is None
        second = _invoke("run", str(SMALL), "--out", str(out), "--no-check")
        assert second.exit_code == 2
        assert second.output.strip().endswith("if none is (a run killed earlier), delete that file")
    finally:
        assert first.wait(timeout=300) == 0
    assert not (out / ".ercot-sim-run.lock").exists()  # released when the run ended
    assert _invoke("check", str(out)).exit_code in (0, 1)  # the first run's result stands


def test_shard_folders_of_different_runs_are_mixed_runs(tmp_path: Path) -> None:
    out = tmp_path / "sharded"
    assert _invoke("run", str(SMALL), "--out", str(out), "--shards", "2", "--no-check").exit_code == 0
    (out / "trace.sqlite").unlink()  # a sharded run stopped before its merge
    assert _invoke("check", str(out)).exit_code in (0, 1)  # its two shards are one run
    shutil.copytree(out / "shard-001", out / "shard-002")  # a shard left by another run
    mixed = _invoke("check", str(out))
    assert mixed.exit_code == 2 and "mixed runs: its shard folders are not one run's" in mixed.output
