"""Long steps show progress on a terminal's stderr (never on stdout), and --quiet hides it."""

from __future__ import annotations

import os
import select
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from ercot_sim.cli import app

ROOT = Path(__file__).resolve().parents[1]


def _stderr_on_a_terminal(args: list[str]) -> tuple[str, str]:
    master, slave = os.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "ercot_sim", *args], stdout=subprocess.PIPE, stderr=slave,
                            cwd=ROOT, env={**os.environ, "COLUMNS": "120", "TERM": "xterm"})
    os.close(slave)
    seen = b""
    while True:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        elif proc.poll() is not None:
            break
    out = proc.stdout.read().decode() if proc.stdout else ""
    proc.wait(timeout=60)
    os.close(master)
    return seen.decode("utf-8", "replace"), out


def test_check_shows_its_step_on_a_terminal_and_quiet_hides_it(tmp_path: Path) -> None:
    run = tmp_path / "run"
    assert CliRunner().invoke(app, ["run", str(ROOT / "scenarios" / "switch-standard.toml"), "--out", str(run),
                                    "--no-check"]).exit_code == 0
    err, out = _stderr_on_a_terminal(["check", str(run)])
    assert f"checking {run} against" in err and "0:00:0" in err  # the step and the elapsed time
    assert "checking" not in out and "violation(s)" in out
    err, out = _stderr_on_a_terminal(["--quiet", "check", str(run)])
    assert "checking" not in err and "violation(s)" in out


def test_compare_shows_each_step_on_a_terminal_and_quiet_hides_it(tmp_path: Path) -> None:
    rules = tmp_path / "b.toml"
    rules.write_text('[defaults.fasd]\nvalue = 5\n')
    args = ["compare", str(ROOT / "scenarios" / "switch-standard.toml"), "--rules",
            str(ROOT / "ercot_sim" / "timing" / "rules.toml"), "--rules", str(rules)]
    err, out = _stderr_on_a_terminal(args)
    # the spinner shows the command's steps (a step shorter than a refresh may not be drawn)
    assert "switch-standard.toml" in err and "0:00:0" in err
    assert "under" not in out and "switch p50" in out
    steps: list[str] = []
    from ercot_sim.compare import compare_rules

    compare_rules(ROOT / "scenarios" / "switch-standard.toml", ROOT / "ercot_sim" / "timing" / "rules.toml", rules,
                  progress=steps.append)
    assert [s.split(" under ")[0] for s in steps] == ["running switch-standard.toml", "done: the run",
                                                      "done: the run"]  # the two runs side by side
    err, out = _stderr_on_a_terminal(["--quiet", *args])
    assert "running" not in err and "checking" not in err and "switch p50" in out
    piped = subprocess.run([sys.executable, "-m", "ercot_sim", *args], capture_output=True, text=True, cwd=ROOT)
    assert piped.returncode == 0 and piped.stderr == ""  # nothing but results when not on a terminal


def test_validate_shows_its_file_on_a_terminal_and_findings_stay_on_stdout() -> None:
    files = [str(ROOT / "tests" / "edi" / "invalid" / name) for name in ("bad-dtm-date.x12", "bad-duns.x12")]
    err, out = _stderr_on_a_terminal(["validate", *files])
    assert "validating" in err and "of 2 files" in err
    # stdout is a pipe here: every finding and the totals are on it, none on the terminal
    assert out.count("[invalid-") == 2 and "2 finding(s)" in out
    assert "[invalid-" not in err
    err, out = _stderr_on_a_terminal(["--quiet", "validate", *files])
    assert "validating" not in err and "2 finding(s)" in out
