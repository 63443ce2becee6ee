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
    as_json = invoke("validate", str(tmp_path), "--json")
    data = json.loads(as_json.stdout)
    assert as_json.exit_code == 2 and len(data["unreadable"]) == 1 and "b.x12" in data["unreadable"][0]


def test_folder_and_ack(tmp_path: Path) -> None:
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    for name in ("ok-switch-request", "bad-dtm-date", "iea-control-mismatch"):
        (src / "sub" / f"{name}.x12").write_bytes((SAMPLES / f"{name}.x12").read_bytes())
    acks = tmp_path / "acks"
    result = invoke("validate", str(src), "--ack", str(acks))
    assert result.exit_code == 1
    written = sorted(p.name for p in acks.iterdir())
    assert written == ["sub__bad-dtm-date.997.x12", "sub__iea-control-mismatch.997.x12",
                       "sub__ok-switch-request.997.x12"]
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


# --list and the per-transaction records in --json ------------------------------------------

FLIGHT_TEST = Path(__file__).parent / "edi" / "samples" / "867_04-initial-read-2016.x12"


def test_list_names_the_2016_flight_test_867_04() -> None:
    """The public 2016 flight-test initial read comes out as what it is: an 867_04 from ERCOT
    to the CR, its ESI ID from REF03 (REF02 is empty in that file)."""
    result = invoke("validate", "--list", str(FLIGHT_TEST))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"{FLIGHT_TEST} segment 3 (ST 867 1001, ISA 000000015, GS 1): "
        "867_04, ERCOT -> CR, ESI ID 10032789419418520, 0 finding(s)",
        "by Texas SET code: 867_04 1",
        "0 finding(s) in 1 transaction(s), 1 file(s)",
    ]


def test_json_records_name_the_2016_flight_test_867_04() -> None:
    result = invoke("validate", "--json", str(FLIGHT_TEST))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["transaction_codes"] == {"867_04": 1}
    (record,) = data["records"]
    assert {k: record[k] for k in ("code", "st01", "st02", "sender_role", "receiver_role", "esi_id", "interchange",
                                   "group", "findings")} == {
        "code": "867_04", "st01": "867", "st02": "1001", "sender_role": "ERCOT", "receiver_role": "CR",
        "esi_id": "10032789419418520", "interchange": "000000015", "group": "1", "findings": 0,
    }
    assert record["sender"] == "183529049" and record["receiver"] == "8292445521100"


def test_list_says_why_a_transaction_is_not_identified_and_counts_by_code(tmp_path: Path) -> None:
    for name in ("unknown-transaction", "bad-dtm-date", "ok-monthly-usage"):
        (tmp_path / f"{name}.x12").write_bytes((SAMPLES / f"{name}.x12").read_bytes())
    result = invoke("validate", "--list", str(tmp_path))
    assert result.exit_code == 1  # findings still decide the exit code
    lines = result.stdout.splitlines()
    assert len(lines) == 4 + 2  # one line per transaction set, then the counts and the totals
    bad, usage1, usage2, unknown = lines[:4]
    assert (bad.startswith(f"{tmp_path / 'bad-dtm-date.x12'} segment 3 (ST 814 0001,")
            and bad.endswith(": 814_01, CR -> ERCOT, ESI ID 10443720001234567, 1 finding(s)"))
    assert ": 867_03, TDSP -> ERCOT, ESI ID 10443720000000002, 0 finding(s)" in usage1
    assert ": 867_03, TDSP -> ERCOT, ESI ID 10443720000000003, 0 finding(s)" in usage2
    assert "(ST 999 0001," in unknown and ": not identified (no Texas SET guide for ST01 '999'" in unknown
    assert unknown.endswith("ESI ID -, 1 finding(s)")
    assert lines[4] == "by Texas SET code: 814_01 1, 867_03 2, unidentified 1"
    assert lines[5] == "2 finding(s) (X12 004010 2, Texas SET 0) in 4 transaction(s), 3 file(s)"
    assert "invalid-date" not in result.stdout  # the list view lists transactions, not findings


def test_json_wins_over_list() -> None:
    result = invoke("validate", "--json", "--list", str(FLIGHT_TEST))
    assert json.loads(result.stdout)["records"][0]["code"] == "867_04"


def test_list_with_an_unreadable_file_still_lists_the_others(tmp_path: Path) -> None:
    (tmp_path / "a.x12").write_bytes(FLIGHT_TEST.read_bytes())
    (tmp_path / "b.x12").write_bytes(b"garbage")
    result = invoke("validate", "--list", str(tmp_path))
    assert result.exit_code == 2
    assert ": 867_04, ERCOT -> CR," in result.stdout and "by Texas SET code: 867_04 1" in result.stdout
    assert "b.x12" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_the_997_reports_the_standard_and_with_ack_guide_the_guide_too(tmp_path: Path) -> None:
    """A code outside a Texas SET list is the guide's finding: the 997 accepts the set unless
    --ack-guide asks it to report guide findings as well."""
    src = tmp_path / "in"
    src.mkdir()
    (src / "bad-code.x12").write_bytes((SAMPLES / "bad-code.x12").read_bytes())
    plain = invoke("validate", str(src), "--ack", str(tmp_path / "a"))
    assert plain.exit_code == 1 and "[invalid-code, AK4=7, Texas SET]" in plain.stdout
    assert "(X12 004010 0, Texas SET 1)" in plain.stdout
    ack = (tmp_path / "a" / "bad-code.997.x12").read_text("latin-1")
    assert "AK5*A" in ack and "AK3" not in ack
    guided = invoke("validate", str(src), "--ack", str(tmp_path / "g"), "--ack-guide")
    assert guided.exit_code == 1
    ack = (tmp_path / "g" / "bad-code.997.x12").read_text("latin-1")
    assert "AK3*PER*" in ack and "AK4*3**7*FX" in ack and "AK5*E*5" in ack  # an assumed rule: noted, not rejected


def test_the_cli_reference_quotes_what_validate_prints(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """docs/cli.md's example of the two layers is this command's real output."""
    root = Path(__file__).resolve().parents[1]
    doc = (root / "docs" / "cli.md").read_text()
    command = "$ ercot-sim validate tests/edi/invalid/bad-code.x12 tests/edi/invalid/bad-dtm-date.x12"
    block = doc[doc.index(command) + len(command):]
    quoted = block[: block.index("```")].strip().splitlines()
    monkeypatch.chdir(root)
    result = invoke("validate", "tests/edi/invalid/bad-code.x12", "tests/edi/invalid/bad-dtm-date.x12")
    assert result.exit_code == 1
    assert result.stdout.strip().splitlines() == quoted


def test_jsonl_prints_one_finding_per_line_then_a_summary() -> None:
    paths = [SAMPLES / "bad-dtm-date.x12", SAMPLES / "bad-duns.x12", SAMPLES / "ok-switch-request.x12"]
    result = invoke("validate", *map(str, paths), "--jsonl")
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    text = invoke("validate", *map(str, paths))
    # the same findings, in the same order, as the text view prints them
    assert [line["finding"]["text"] for line in lines[:-1]] == text.stdout.splitlines()[:-1]
    summary = lines[-1]["summary"]
    assert summary["files"] == 3 and summary["findings"] == len(lines) - 1 == 2
    assert summary["findings_by_layer"] == {"x12": 1, "texas-set": 1} and summary["ok"] is False
    clean = invoke("validate", str(paths[2]), "--jsonl")
    assert clean.exit_code == 0 and [*json.loads(clean.stdout)] == ["summary"]


def test_ack_of_a_file_with_findings_everywhere_is_build_997s(tmp_path: Path) -> None:
    from edi.ack import build_997
    from edi.validate import validate
    from tests.edi.test_ack_stream import _many_bad_dates

    path = tmp_path / "many.x12"
    path.write_bytes(_many_bad_dates(3_000))
    result = invoke("validate", str(path), "--ack", str(tmp_path / "acks"))
    assert result.exit_code == 1
    assert result.stdout.count("[invalid-date") == 3_000
    written = (tmp_path / "acks" / "many.997.x12").read_text("latin-1")
    assert written == build_997(validate(path), path, name=str(path))
    assert written.count("AK5*R") == 3_000
    assert not list((tmp_path / "acks").glob(".*"))  # no temporary file left
