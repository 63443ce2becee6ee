"""``ercot-sim validate`` and ``ercot-sim explain``: exit codes, text and JSON output, --ack."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from ercot_sim.cli import app

SAMPLES = Path(__file__).parent / "edi" / "invalid"
runner = CliRunner()


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args))


def test_clean_file_exits_0() -> None:
    result = invoke("validate", str(SAMPLES / "ok-switch-request.x12"))
    assert result.exit_code == 0, result.output
    assert "0 finding(s) in 1 transaction(s), 1 file(s)" in result.stdout


def test_findings_exit_1_with_location_first() -> None:
    path = SAMPLES / "bad-dtm-date.x12"
    result = invoke("validate", str(path))
    assert result.exit_code == 1
    line = result.stdout.splitlines()[0]
    assert line.startswith(f"{path} segment 15 (DTM*150) DTM02: date 20261301")
    assert line.endswith("[invalid-date, AK4=8, X12 004010]")


def test_json_output_parses() -> None:
    result = invoke("validate", "--json", str(SAMPLES / "bad-dtm-date.x12"), str(SAMPLES / "ok-switch-request.x12"))
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["files"] == 2 and data["ok"] is False
    assert [f["code"] for f in data["findings"]] == ["invalid-date"]
    assert data["findings"][0]["location"]["element"] == "DTM02"
    assert data["unreadable"] == []


def test_unusable_input_exits_2_naming_the_file(tmp_path: Path) -> None:
    junk = tmp_path / "junk.x12"
    junk.write_bytes(b"this is not X12 at all")
    result = invoke("validate", str(junk))
    assert result.exit_code == 2
    assert str(junk) in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_missing_path_exits_2(tmp_path: Path) -> None:
    result = invoke("validate", str(tmp_path / "nope.x12"))
    assert result.exit_code == 2
    assert "nope.x12" in result.stderr


def test_unreadable_file_does_not_hide_others(tmp_path: Path) -> None:
    (tmp_path / "a.x12").write_bytes((SAMPLES / "bad-dtm-date.x12").read_bytes())
    (tmp_path / "b.x12").write_bytes(b"garbage")
    result = invoke("validate", str(tmp_path))
    assert result.exit_code == 2
    assert "invalid-date" in result.stdout
    assert "b.x12" in result.stderr


def test_folder_and_ack(tmp_path: Path) -> None:
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    for name in ("ok-switch-request", "bad-dtm-date", "iea-control-mismatch"):
        (src / "sub" / f"{name}.x12").write_bytes((SAMPLES / f"{name}.x12").read_bytes())
    acks = tmp_path / "acks"
    result = invoke("validate", str(src), "--ack", str(acks))
    assert result.exit_code == 1
    written = sorted(p.name for p in acks.iterdir())
    assert written == ["sub__bad-dtm-date.997.x12", "sub__iea-control-mismatch.997.x12", "sub__ok-switch-request.997.x12"]
    bad = (acks / "sub__bad-dtm-date.997.x12").read_text()
    assert "AK4*2**8*20261301~" in bad and "AK5*R*5~" in bad
    assert "TA1*000004711*250303*1015*E*001~" in (acks / "sub__iea-control-mismatch.997.x12").read_text()
    assert "AK5*A~" in (acks / "sub__ok-switch-request.997.x12").read_text()
    # the 997s validate clean themselves
    again = invoke("validate", str(acks / "sub__bad-dtm-date.997.x12"), str(acks / "sub__ok-switch-request.997.x12"))
    assert again.exit_code == 0, again.output


def test_ack_with_ta1_validates_clean(tmp_path: Path) -> None:
    acks = tmp_path / "acks"
    invoke("validate", str(SAMPLES / "iea-control-mismatch.x12"), "--ack", str(acks))
    again = invoke("validate", str(acks))
    assert again.exit_code == 0, again.output


def test_explain_guide_and_file() -> None:
    result = invoke("explain", "814_01")
    assert result.exit_code == 0, result.output
    assert "BGN" in result.stdout and "REF" in result.stdout
    result = invoke("explain", str(SAMPLES / "ok-switch-request.x12"))
    assert result.exit_code == 0, result.output
    assert "10443720001234567" in result.stdout


def test_explain_unknown_target_exits_2() -> None:
    result = invoke("explain", "no-such-thing")
    assert result.exit_code == 2
    assert "no-such-thing" in result.stderr
