"""Work-queue training exercises: each shipped exercise plays its scenario and puts its answer
key's items on the trainee's queue; ``grade`` scores resolutions with explanations; bad input
is one line naming the file and the row."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from ercot_sim.books.exercise import load_exercise

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "ercot_sim"]
EXERCISES = sorted((ROOT / "scenarios" / "exercises").glob("*.toml"))
EXERCISES = [p for p in EXERCISES if not p.name.endswith(".scenario.toml")]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, cwd=ROOT, timeout=300)


def test_three_exercises_are_shipped() -> None:
    assert {p.stem for p in EXERCISES} == {"inadvertent-gain", "missing-usage", "rep-of-record"}


@pytest.mark.parametrize("path", EXERCISES, ids=[p.stem for p in EXERCISES])
def test_an_exercise_runs_and_grades(tmp_path: Path, path: Path) -> None:
    ex = load_exercise(path)
    done = _cli("exercise", "run", path, "--out", tmp_path / "ex")
    assert done.returncode == 0, done.stderr
    assert ex.exercise.title in done.stdout and "work queue of" in done.stdout
    rows = list(csv.DictReader((tmp_path / "ex" / "responses.csv").open()))
    assert rows and all(r["action"] == "" for r in rows)
    # the trainee answers every item as the key says: all right
    key = {a.kind: a for a in ex.answers}
    for r in rows:
        a = key.get(r["item"].split(":")[0])
        if a is not None:
            r.update(action=a.action, marketrak=a.marketrak[0] if a.marketrak else "", code=a.send or "")
        else:
            r.update(action="no-action")
    good = tmp_path / "good.csv"
    with good.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["item", "action", "marketrak", "code", "note"])
        w.writeheader()
        w.writerows(rows)
    graded = _cli("grade", path, good)
    assert graded.returncode == 0 and f"{len(ex.answers)} of {len(ex.answers)} right" in graded.stdout, graded.stdout
    # an untouched sheet: every item left out, each with the trainer's explanation
    blank = _cli("grade", path, tmp_path / "ex" / "responses.csv")
    assert blank.returncode == 1 and f"0 of {len(ex.answers)} right" in blank.stdout
    assert blank.stdout.count("why: ") == len(ex.answers) and "MISSING" in blank.stdout


def test_a_wrong_answer_is_explained_and_bad_sheets_are_one_line(tmp_path: Path) -> None:
    path = ROOT / "scenarios" / "exercises" / "missing-usage.toml"
    assert _cli("exercise", "run", path, "--out", tmp_path / "ex").returncode == 0
    item = next(csv.DictReader((tmp_path / "ex" / "responses.csv").open()))["item"]
    (tmp_path / "wrong.csv").write_text(f"item,action,marketrak\n{item},marketrak,Rep of Record\n")
    wrong = _cli("grade", path, tmp_path / "wrong.csv", "--json")
    assert wrong.returncode == 1 and '"status": "wrong"' in wrong.stdout and "Usage & Billing - Missing" in wrong.stdout
    (tmp_path / "bad.csv").write_text(f"item,action\n{item},phone-a-friend\n")
    bad = _cli("grade", path, tmp_path / "bad.csv")
    assert bad.returncode == 2 and "bad.csv" in bad.stderr and "line 2, action" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1 and "Traceback" not in bad.stderr
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    refused = _cli("exercise", "run", path, "--out", tmp_path / "mine")
    assert refused.returncode == 2 and (tmp_path / "mine" / "notes.txt").exists()
