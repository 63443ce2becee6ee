"""A run keeps its own check in its trace, and its report takes it from there (same rules only)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ercot_sim.cli import app
from ercot_sim.report import build_report, load_report_data
from ercot_sim.timing.check import CheckResult, check_path, iter_path, load_check_rules
from ercot_sim.timing.check.stored import TABLE, keep_check, kept_check, rules_digest

ROOT = Path(__file__).resolve().parent.parent
OLD_RULES = ROOT / "ercot_sim" / "timing" / "rules-pre-rmgrr162.toml"


@pytest.fixture(scope="module")
def faults_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``ercot-sim run scenarios/faults.toml``: a run with violations, checked by the command."""
    out = tmp_path_factory.mktemp("kept") / "run"
    got = CliRunner().invoke(app, ["run", str(ROOT / "scenarios" / "faults.toml"), "--out", str(out)])
    assert got.exit_code == 0, got.output
    return out


def _without_kept(run: Path, dest: Path) -> Path:
    shutil.copytree(run, dest)
    db = sqlite3.connect(dest / "trace.sqlite")
    with db:
        db.execute(f"DROP TABLE {TABLE}")
    db.close()
    return dest


@pytest.mark.parametrize("scenario", ["faults", "retail-outage", "date-change", "late-payment"])
def test_a_check_read_back_is_the_check(tmp_path: Path, scenario: str) -> None:
    got = CliRunner().invoke(app, ["run", str(ROOT / "scenarios" / f"{scenario}.toml"), "--out",
                                   str(tmp_path / "run"), "--no-check"])
    assert got.exit_code == 0, got.output
    result = check_path(tmp_path / "run")
    back = CheckResult.from_dict(json.loads(json.dumps(result.to_dict())))
    result.owed = []  # to_dict leaves the answers owed out
    assert back == result
    assert back.to_text() == result.to_text()


def test_the_run_keeps_its_check_and_the_report_takes_it(faults_run: Path, tmp_path: Path) -> None:
    rules = load_check_rules()
    kept = kept_check(faults_run / "trace.sqlite", rules, str(faults_run))
    fresh = check_path(faults_run)
    assert kept is not None and kept.violations, "the faults run breaks rules and keeps that"
    fresh.owed = []
    fresh.source = str(faults_run)
    assert kept == fresh
    data = load_report_data(faults_run)
    assert data.check_kept
    # the same report as one that checks anew, byte for byte (the folder's name aside)
    anew = _without_kept(faults_run, tmp_path / "run")
    assert not load_report_data(anew).check_kept
    assert build_report(faults_run).replace(str(faults_run).encode(), b"RUN") == \
        build_report(anew).replace(str(anew).encode(), b"RUN")


def test_other_rules_are_judged_anew(faults_run: Path) -> None:
    old = load_check_rules(OLD_RULES)
    assert rules_digest(old) != rules_digest(load_check_rules())
    assert kept_check(faults_run / "trace.sqlite", old, "x") is None
    data = load_report_data(faults_run, rules=old)
    assert not data.check_kept
    got = CliRunner().invoke(app, ["report", str(faults_run)])
    assert "the run's own check" in got.output
    got = CliRunner().invoke(app, ["report", str(faults_run), "--rules", str(OLD_RULES)])
    assert "the run's own check" not in got.output


def test_a_damaged_kept_check_is_judged_anew(faults_run: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(faults_run, run)
    db = sqlite3.connect(run / "trace.sqlite")
    with db:
        db.execute(f"UPDATE {TABLE} SET result = '{{\"rules\": 1'")
    db.close()
    assert kept_check(run / "trace.sqlite", load_check_rules(), str(run)) is None
    data = load_report_data(run)
    assert not data.check_kept and data.check.violations


def test_keeping_again_replaces_the_check_of_the_same_rules(faults_run: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(faults_run, run)
    rules = load_check_rules()
    result = check_path(run)
    result.violations = []
    keep_check(run / "trace.sqlite", result, rules)
    keep_check(run / "trace.sqlite", check_path(run, OLD_RULES), load_check_rules(OLD_RULES))
    db = sqlite3.connect(run / "trace.sqlite")
    assert db.execute(f"SELECT COUNT(*) FROM {TABLE}").fetchone()[0] == 2
    db.close()
    again = kept_check(run / "trace.sqlite", rules, str(run))
    assert again is not None and again.violations == []


def test_a_sharded_run_keeps_the_shards_check_in_its_merged_trace(tmp_path: Path) -> None:
    out = tmp_path / "sharded"
    got = CliRunner().invoke(app, ["run", str(ROOT / "scenarios" / "faults.toml"), "--out", str(out),
                                   "--shards", "2", "--workers", "1"])
    assert got.exit_code == 0, got.output
    kept = kept_check(out / "trace.sqlite", load_check_rules(), str(out))
    assert kept is not None
    fresh = check_path(out)
    assert [r.to_dict() for r in kept.rules] == [r.to_dict() for r in fresh.rules]
    assert [v.to_dict() for v in kept.violations] == [v.to_dict() for v in fresh.violations]


def test_a_sharded_run_is_checked_shard_by_shard_citing_files_from_its_folder(tmp_path: Path) -> None:
    out = tmp_path / "sharded"
    got = CliRunner().invoke(app, ["run", str(ROOT / "scenarios" / "faults.toml"), "--out", str(out),
                                   "--shards", "2", "--workers", "1", "--no-check"])
    assert got.exit_code == 0, got.output
    assert [Path(d.source).parent.name for d in iter_path(out)] == ["shard-000", "shard-001"]
    by_shards = check_path(out)
    merged = check_path(out / "trace.sqlite")  # the merged trace, read whole
    assert by_shards.violations, "the faults run breaks rules"
    for v in by_shards.violations:
        assert v.trigger.file.startswith("shard-") and (out / v.trigger.file).is_file(), v.trigger.file
    assert [v.to_dict() for v in by_shards.violations] == [v.to_dict() for v in merged.violations]
    assert [r.to_dict() for r in by_shards.rules] == [r.to_dict() for r in merged.rules]
    assert len(by_shards.notes) == len(set(by_shards.notes)), "a note about the data is said once"
