"""``ercot-sim generate``: the files one participant receives, with faults that are really there."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from edi.texas_set.xmlio import xml_to_x12
from edi.validate import validate
from edi.x12 import iter_transactions
from ercot_sim.cli import app
from ercot_sim.output.feed import FAULT_KINDS, FaultSpec, generate_feed

ERCOT, LONE_STAR, CENTERPOINT = "183529049", "123456789", "957877905"
TDSPS = {"1039940674000", "957877905", "007924772"}
ALL_FAULTS = """
[[faults]]
kind = "bad_date"
count = 2
[[faults]]
kind = "wrong_count"
[[faults]]
kind = "bad_esi_id"
code = "867_03"
[[faults]]
kind = "unknown_esi_id"
[[faults]]
kind = "duplicate_transaction"
[[faults]]
kind = "truncated"
[[faults]]
kind = "duplicate_file"
"""


@pytest.fixture(scope="module")
def faults_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("faults") / "faults.toml"
    path.write_text(ALL_FAULTS, "utf-8")
    return path


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory, faults_file: Path) -> Path:
    out = tmp_path_factory.mktemp("faulty")
    done = CliRunner().invoke(app, ["generate", "--esiids", "60", "--days", "30", "--out", str(out),
                                    "--faults", str(faults_file), "--seed", "3"])
    assert done.exit_code == 0, done.output
    return out


def _manifest(out: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((out / "manifest.json").read_text("utf-8"))


def test_clean_feed_is_what_the_cr_receives_and_validates(tmp_path: Path) -> None:
    result = generate_feed(tmp_path, 40, 20, seed=2)
    assert result.party == ("CR", LONE_STAR, "LONE STAR POWER")
    assert result.files and not result.faults
    codes: set[str] = set()
    for name in result.files:
        for txn in iter_transactions(tmp_path / name):
            assert txn.receiver == LONE_STAR
            assert txn.sender in TDSPS | {ERCOT}
            codes.add(txn.st01)
    assert {"867", "810", "997"} <= codes
    report = validate(tmp_path)
    assert report.ok, report.to_text()
    manifest = _manifest(tmp_path)
    assert [f["name"] for f in manifest["files"]] == result.files
    assert sum(f["transactions"] for f in manifest["files"]) == report.transactions


def test_feed_is_deterministic(tmp_path: Path) -> None:
    a = generate_feed(tmp_path / "a", 30, 15, faults=[FaultSpec(kind="bad_date"), FaultSpec(kind="wrong_count")],
                      seed=5)
    b = generate_feed(tmp_path / "b", 30, 15, faults=[FaultSpec(kind="bad_date"), FaultSpec(kind="wrong_count")],
                      seed=5)
    assert a.files == b.files
    for name in [*a.files, "manifest.json"]:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    c = generate_feed(tmp_path / "c", 30, 15, faults=[FaultSpec(kind="bad_date")], seed=6)
    assert c.faults[0]["file"] != a.faults[0]["file"] or c.faults[0]["esi_id"] != a.faults[0]["esi_id"] \
        or c.files != a.files


def test_every_validator_fault_is_found_where_the_manifest_says(faulty: Path) -> None:
    manifest = _manifest(faulty)
    faults = manifest["faults"]
    assert {f["kind"] for f in faults} == set(FAULT_KINDS)
    assert len(faults) == 8
    faulted_files = {f["file"] for f in faults}
    assert len(faulted_files) == len(faults), "one fault per file while the feed has untouched files"
    for fault in faults:
        if fault["detected_by"] != "edi.validate":
            continue
        report = validate(faulty / fault["file"])
        hits = [x for x in report.findings if x.code == fault["finding"]
                and x.location.segment_number == fault["segment"]]
        assert hits, (fault, report.to_text())
        if fault["element"]:
            assert hits[0].location.element == fault["element"]
    clean = [f["name"] for f in manifest["files"] if f["name"] not in faulted_files
             and not f["name"].endswith("_resent.x12")]
    assert clean
    report = validate(*[faulty / n for n in clean])
    assert report.files == len(clean) and report.transactions > 0 and report.ok


def test_business_faults_pass_the_validator_but_are_real(faulty: Path) -> None:
    faults = {f["kind"]: f for f in _manifest(faulty)["faults"]}
    unknown = faults["unknown_esi_id"]
    assert validate(faulty / unknown["file"]).ok
    assert unknown["planted"] != unknown["original"] and len(unknown["planted"]) == len(unknown["original"])
    everywhere = set()
    for path in sorted(faulty.glob("*.x12")):
        if path.name == unknown["file"]:
            continue
        text = path.read_text("latin-1")
        everywhere.update(next(v for v in seg.split("*")[2:] if v)
                          for seg in text.split("~") if seg.startswith("REF*Q5*"))
    assert everywhere and unknown["planted"] not in everywhere
    text = (faulty / unknown["file"]).read_text("latin-1")
    assert f"REF*Q5*{unknown['planted']}~" in text or f"REF*Q5**{unknown['planted']}~" in text
    dup = faults["duplicate_file"]
    original = dup["file"].replace("_resent", "")
    assert (faulty / dup["file"]).read_bytes() == (faulty / original).read_bytes()
    assert dup["planted"] == (faulty / original).read_text("latin-1").split("*")[13]


def test_faults_share_files_only_when_they_run_out_and_never_with_a_business_fault(tmp_path: Path) -> None:
    clean = generate_feed(tmp_path / "clean", 40, 20, seed=2)
    per_file = Counter(name for name in clean.files for txn in iter_transactions(tmp_path / "clean" / name)
                       if txn.st01 != "997")
    count = sum(per_file.values()) - max(per_file.values())  # always room, more than the files left
    assert count > len(per_file) - 1, "the feed must be too small for one fault per file"
    result = generate_feed(tmp_path / "f", 40, 20, seed=2,
                           faults=[FaultSpec(kind="unknown_esi_id"), FaultSpec(kind="wrong_count", count=count)])
    unknown = next(f for f in result.faults if f["kind"] == "unknown_esi_id")
    assert [f["kind"] for f in result.faults if f["file"] == unknown["file"]] == ["unknown_esi_id"]
    assert validate(tmp_path / "f" / str(unknown["file"])).ok
    shared = Counter(str(f["file"]) for f in result.faults if f["kind"] == "wrong_count")
    assert max(shared.values()) > 1
    for name, n in shared.items():  # each shared fault is still found where the manifest says
        report = validate(tmp_path / "f" / name)
        segments = {x.location.segment_number for x in report.findings if x.code == "se-count-mismatch"}
        assert segments == {f["segment"] for f in result.faults if f["file"] == name} and len(segments) == n


def test_xml_feed_carries_the_same_faults(tmp_path: Path) -> None:
    faults = [FaultSpec(kind="bad_date"), FaultSpec(kind="wrong_count"), FaultSpec(kind="bad_esi_id")]
    result = generate_feed(tmp_path, 40, 20, faults=faults, fmt="xml", seed=4)
    assert result.files and all(n.endswith(".xml") for n in result.files)
    assert sorted(f["kind"] for f in result.faults) == ["bad_date", "bad_esi_id", "wrong_count"]
    for fault in result.faults:
        data = xml_to_x12((tmp_path / str(fault["file"])).read_bytes(), name=str(fault["file"]))
        report = validate(data)
        assert any(x.code == fault["finding"] and x.location.segment_number == fault["segment"]
                   for x in report.findings), fault


def test_json_feed_and_other_receivers(tmp_path: Path) -> None:
    result = generate_feed(tmp_path, 30, 20, for_party=f"TDSP:{CENTERPOINT}", fmt="json", seed=2)
    assert result.party[0] == "TDSP"
    doc = json.loads((tmp_path / result.files[0]).read_text("utf-8"))
    assert doc["receiver"] == CENTERPOINT
    assert doc["transactions"] and all("model" in t and t["code"] for t in doc["transactions"])
    senders = {json.loads((tmp_path / n).read_text("utf-8"))["sender"] for n in result.files}
    assert senders <= {ERCOT, LONE_STAR, "223456789", "323456789"}


def test_cli_errors_name_what_is_wrong(tmp_path: Path) -> None:
    runner = CliRunner()
    bad_party = runner.invoke(app, ["generate", "--out", str(tmp_path / "x"), "--esiids", "5", "--days", "2",
                                    "--for", "CR:999999999"])
    assert bad_party.exit_code == 2 and "no CR with DUNS 999999999" in bad_party.output
    bad_role = runner.invoke(app, ["generate", "--out", str(tmp_path / "x"), "--for", "REP:123456789"])
    assert bad_role.exit_code == 2 and "ROLE:DUNS" in bad_role.output
    faults = tmp_path / "f.toml"
    faults.write_text('[[faults]]\nkind = "bad_date"\n\n[[faults]]\nkind = "no_such_fault"\n', "utf-8")
    bad_kind = runner.invoke(app, ["generate", "--out", str(tmp_path / "x"), "--faults", str(faults)])
    assert bad_kind.exit_code == 2
    assert "f.toml" in bad_kind.output and "line 5" in bad_kind.output and "kind" in bad_kind.output
    faults.write_text('[[faults]]\nkind = "bad_date"\n', "utf-8")
    json_faults = runner.invoke(app, ["generate", "--out", str(tmp_path / "x"), "--faults", str(faults),
                                      "--format", "json"])
    assert json_faults.exit_code == 2 and "cannot be carried in json" in json_faults.output
    too_many = runner.invoke(app, ["generate", "--out", str(tmp_path / "y"), "--esiids", "2", "--days", "2",
                                   "--faults", str(faults)])
    assert too_many.exit_code == 2 and "no transaction left" in too_many.output


def _generate(out: Path, *extra: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["generate", "--esiids", "20", "--days", "10", "--out", str(out), *extra])


def test_a_feed_never_deletes_or_mixes_with_files_it_did_not_write(tmp_path: Path) -> None:
    """A folder with someone else's files is refused, one line, exit 2, nothing deleted
    (before, every *.x12/*.xml/*.json there was deleted, other people's files included)."""
    out = tmp_path / "feed"
    out.mkdir()
    mine = {"notes.txt": b"my notes", "partner.x12": b"ISA*not ours", "config.json": b"{}"}
    for name, data in mine.items():
        (out / name).write_bytes(data)
    result = _generate(out)
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert line.startswith("ercot-sim generate: --out ") and "config.json and 2 more" in line
    assert {p.name: p.read_bytes() for p in out.iterdir()} == mine


def test_a_feed_replaces_only_the_files_of_the_feed_before_it(tmp_path: Path) -> None:
    out = tmp_path / "feed"
    assert _generate(out).exit_code == 0
    first = json.loads((out / "manifest.json").read_text())
    assert first["files"] and {p.name for p in out.iterdir()} == {f["name"] for f in first["files"]} | {"manifest.json"}
    again = _generate(out, "--format", "xml")  # an earlier feed's folder: replaced whole
    assert again.exit_code == 0, again.output
    second = json.loads((out / "manifest.json").read_text())
    assert {p.name for p in out.iterdir()} == {f["name"] for f in second["files"]} | {"manifest.json"}
    assert all(p.suffix in (".xml", ".json") for p in out.iterdir())
    (out / "mine.txt").write_text("added by hand")
    refused = _generate(out)
    assert refused.exit_code == 2 and "mine.txt" in refused.output
    assert (out / "mine.txt").read_text() == "added by hand" and (out / "manifest.json").is_file()


def test_out_naming_a_file_is_one_line(tmp_path: Path) -> None:
    target = tmp_path / "file.txt"
    target.write_text("keep")
    result = _generate(target)
    assert (result.exit_code == 2
            and result.output.strip() == f"ercot-sim generate: --out {target}: is a file, not a folder")
    assert target.read_text() == "keep"
