"""A run's output folder: a killed run, two runs at once and shards of different runs are
refused by check and report (exit 2, one line), never passed as a clean result."""

from __future__ import annotations

import json
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
    code = ("import sys; from pathlib import Path; from ercot_sim.market.engine import run_scenario; "
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
    validated = _invoke("validate", str(out))
    assert validated.exit_code == 2 and "incomplete run: its record says the run did not finish" in validated.output
    assert json.loads((out / ".ercot-sim-run.json").read_text())["state"] == "running"
    # the lock of the killed run stays: a new run into the folder says what to do
    again = _invoke("run", str(SMALL), "--out", str(out), "--no-check")
    assert again.exit_code == 2 and "another run is writing into this folder" in again.output
    (out / ".ercot-sim-run.lock").unlink()
    assert _invoke("run", str(SMALL), "--out", str(out), "--no-check").exit_code == 0
    assert _invoke("check", str(out)).exit_code == 0
    # nothing of the killed run is left beside the new one (its record named what it found)
    fresh = tmp_path / "fresh"
    assert _invoke("run", str(SMALL), "--out", str(fresh), "--no-check").exit_code == 0
    assert _listing(out) == _listing(fresh)


def test_a_second_run_into_a_folder_in_use_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "busy"
    code = ("import sys; from pathlib import Path; from ercot_sim.market.engine import run_scenario; "
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


def _listing(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_a_run_refuses_a_folder_with_files_no_run_wrote_and_force_writes_beside_them(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    (out / "outbox" / "123456789").mkdir(parents=True)
    (out / "notes.txt").write_text("keep me")
    own = out / "outbox" / "123456789" / "my-own.x12"
    own.write_text("not a run's")  # before: every *.x12 under outbox/ was deleted
    refused = _invoke("run", str(SMALL), "--out", str(out), "--no-check")
    assert refused.exit_code == 2
    assert refused.output.strip() == (
        f"ercot-sim run: {out}: holds notes.txt and 1 more, which no earlier run there wrote; give a new or "
        "empty folder, or --force to write beside them (nothing is deleted)")
    assert _listing(out) == ["notes.txt", "outbox/123456789/my-own.x12"]
    forced = _invoke("run", str(SMALL), "--out", str(out), "--no-check", "--force")
    assert forced.exit_code == 0, forced.output
    assert own.read_text() == "not a run's" and (out / "notes.txt").read_text() == "keep me"
    record = json.loads((out / ".ercot-sim-run.json").read_text())
    assert record["state"] == "complete" and record["kept"] == ["notes.txt", "outbox/123456789/my-own.x12"]
    assert "trace.sqlite" in record["files"] and "notes.txt" not in record["files"]
    # a second run replaces the first run's files, still only with --force, and keeps the others
    assert _invoke("run", str(SMALL), "--out", str(out), "--no-check").exit_code == 2
    assert _invoke("run", str(SMALL), "--out", str(out), "--no-check", "--force").exit_code == 0
    assert own.read_text() == "not a run's"


def test_a_run_into_an_earlier_runs_folder_replaces_exactly_its_files(tmp_path: Path) -> None:
    fresh, reused = tmp_path / "fresh", tmp_path / "reused"
    assert _invoke("run", str(ROOT / "scenarios" / "move-in.toml"), "--out", str(fresh), "--no-check").exit_code == 0
    # an earlier run of another scenario, sharded, then of this one: what is left is this run's
    assert _invoke("run", str(SMALL), "--out", str(reused), "--no-check", "--shards", "2").exit_code == 0
    assert any(p.name.startswith("shard-") for p in reused.iterdir())
    assert _invoke("run", str(ROOT / "scenarios" / "move-in.toml"), "--out", str(reused), "--no-check").exit_code == 0
    assert _listing(reused) == _listing(fresh)
    assert sum(name.endswith(".x12") for name in _listing(fresh)) > 10
    assert not any(p.name.startswith("shard-") for p in reused.iterdir())  # empty folders go too
    for name in _listing(fresh):
        if name.endswith(".x12") or name == ".ercot-sim-run.json":
            assert (reused / name).read_bytes() == (fresh / name).read_bytes(), name
