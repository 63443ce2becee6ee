"""``ercot-sim flight run``: the shipped CR flight against the reference CR (the project's own
logic, in another process, over serve's folder exchange) passes every step; a deliberately
faulty reference fails exactly the steps its planted faults touch, and nothing else."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from edi.x12 import iter_transactions

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "ercot_sim"]
FLIGHT = ROOT / "scenarios" / "flights" / "cr.toml"
PARTY = "223456789"

FAULTS = """
[[faults]]
kind = "rejected"
participant = "PARTY"
esi_index = 1
code = "810_02"

[[faults]]
kind = "late"
participant = "PARTY"
esi_index = 8
code = "820_02"
delay_minutes = 4320

[[faults]]
kind = "missing"
participant = "PARTY"
code = "997"
probability = 0.2
"""


def _run(out: Path, *extra: str, flight: Path = FLIGHT, party: str = f"CR:{PARTY}"
         ) -> tuple[subprocess.CompletedProcess[str], dict]:  # type: ignore[type-arg]
    """``flight run`` of ``flight`` against the reference party, and its JSON report ({} when none)."""
    done = subprocess.run([*CLI, "flight", "run", str(flight), "--under-test", party, "--out", str(out),
                           "--reference", "--timeout", "60", *extra], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    report = json.loads((out / "flight.json").read_text()) if (out / "flight.json").exists() else {}
    return done, report


def test_the_reference_cr_passes_every_step_of_the_shipped_flight(tmp_path: Path) -> None:
    done, report = _run(tmp_path / "f")
    assert done.returncode == 0, done.stdout + done.stderr
    assert report["verdict"] == "passed" and len(report["tracks"]) == 18
    assert report["tracks"][0]["track"] == "connectivity" and [c["status"] for c in report["connectivity"]] == [
        "passed"] * 4  # the penny invoice came, the party acknowledged it, paid it, and got our 997
    for track in report["tracks"]:
        for step in track["steps"]:
            assert step["status"] == ("passed" if step["from"] == "party" else "given"), (track["track"], step)
    assert {q["function"] for q in report["qualification"]} == {t["track"] for t in report["tracks"]}
    page = (tmp_path / "f" / "flight.html").read_text()
    assert page.count("<svg") == 18 and "Day by day" in page
    assert report["log"] and report["log"] == sorted(report["log"], key=lambda r: (r["day"], r["time"]))


def test_a_faulty_reference_fails_exactly_its_planted_faults(tmp_path: Path) -> None:
    faults = tmp_path / "faults.toml"
    faults.write_text(FAULTS)
    done, report = _run(tmp_path / "f", "--reference-faults", str(faults))
    assert done.returncode == 1, done.stderr
    failed = {(t["track"], s["step"]): s for t in report["tracks"] for s in t["steps"] if s["status"] != "passed"
              and s["from"] == "party"}
    # what was planted, from the reference party's own record: the 997s it dropped ...
    party_db = sqlite3.connect(tmp_path / "f" / "party" / "trace.sqlite")
    dropped = {(receiver, *ref[1:].split("G")) for receiver, ref in party_db.execute(
        "SELECT receiver, ref FROM faults WHERE kind = 'missing' AND code = '997'")}  # (sender, ISA13, GS06)
    party_db.close()
    assert dropped, "the planted 997 fault dropped nothing: the test proves nothing"
    market = tmp_path / "f" / "market"
    expected = {}
    def group_of(file: str, segment: int | None = None) -> tuple[str, str, str]:
        """(sender, ISA13, GS06) of the transaction at ``segment`` of ``file`` (the first when None)."""
        txn = next(t for t in iter_transactions(market / file) if segment is None or t.first_number == segment)
        return txn.isa.get(6).strip(), txn.isa.get(13).strip(), txn.gs.get(6).strip()

    for t in report["tracks"]:
        for s in t["steps"]:
            if s["code"] == "997" and s["from"] == "party" and group_of(s["file"], s["segment"]) in dropped:
                expected[(t["track"], s["step"])] = "missing"  # its 997 was one the fault dropped
    # ... the 824 sent for a good invoice, and the late 820_02
    expected[("switch-self-selected", 8)] = "wrong transaction: sent 824"
    expected[("usage-invoice", 8)] = "late against E8-cr-820_02"
    assert set(failed) == set(expected), sorted(set(failed) ^ set(expected))
    for key, why in expected.items():
        assert failed[key]["status"] == "failed" and failed[key]["reason"].startswith(why), failed[key]
    assert not [s for t in report["tracks"] for s in t["steps"] if s["status"] in ("blocked", "not-reached")]
    penny = report["tracks"][0]["steps"][0]  # the connectivity test: its 997 (ACK55) too may be dropped
    assert group_of(penny["file"], penny["segment"]) not in dropped, (
        "the seed's dropped 997s now include the penny's: every track is blocked behind it")
    assert [c["status"] for c in report["connectivity"]] == ["passed"] * 4
    assert "FAILED" in done.stdout and "wrong transaction: sent 824" in done.stdout
    for why in report["outside_tracks"]:  # violations no step cites: only 997s the fault dropped
        file, _, segment = why.split()[:3]
        assert "B1-any-997" in why and group_of(file, int(segment)) in dropped, why


def test_one_track_can_be_retested_alone(tmp_path: Path) -> None:
    done, report = _run(tmp_path / "f", "--track", "cancel")
    assert done.returncode == 0 and [t["track"] for t in report["tracks"]] == ["connectivity", "cancel"]
    events = (tmp_path / "f" / "scenario.toml").read_text().count("[[events]]")
    assert events == 3  # the connectivity test's penny invoice, then the cancel track's switch and cancel


@pytest.mark.parametrize(("change", "said"), [
    ("esi_ids = 17", "line"),  # the test bed shrinks: tracks use ESI IDs outside it
    ('code = "814_01", from = "party"', "line"),
])
def test_a_wrong_flight_file_is_one_line_naming_where(tmp_path: Path, change: str, said: str) -> None:
    text = FLIGHT.read_text()
    bad = text.replace("esi_ids = 17", "esi_ids = 3") if change == "esi_ids = 17" else text.replace(
        'code = "814_01", from = "party"', 'code = "814_01", from = "nobody"', 1)
    assert bad != text
    (tmp_path / "bad.toml").write_text(bad)
    done = subprocess.run([*CLI, "flight", "run", str(tmp_path / "bad.toml"), "--under-test", f"CR:{PARTY}", "--out",
                           str(tmp_path / "o")], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "bad.toml" in done.stderr and said in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_the_flight_schema_is_exported_and_the_flight_listed() -> None:
    schema = subprocess.run([*CLI, "schema", "flight"], cwd=ROOT, capture_output=True, text=True, check=True)
    assert '"tracks"' in schema.stdout and '"testbed"' in schema.stdout
    shown = subprocess.run([*CLI, "flight", "show", str(FLIGHT)], cwd=ROOT, capture_output=True, text=True, check=True)
    assert "usage-invoice (ours): Usage, invoice and remittance" in shown.stdout
    assert "820_02 party -> TDSP  [E8-cr-820_02]" in shown.stdout


TDSP_FLIGHT = ROOT / "scenarios" / "flights" / "tdsp.toml"
TDSP = "1039940674000"
TDSP_FAULTS = """
[[faults]]
kind = "late"
participant = "PARTY"
esi_index = 0
code = "814_04"
delay_minutes = 4320

[[faults]]
kind = "missing"
participant = "PARTY"
esi_index = 2
code = "867_04"

[[faults]]
kind = "rejected"
participant = "PARTY"
esi_index = 5
code = "814_03"

[[faults]]
kind = "missing"
participant = "PARTY"
esi_index = 11
code = "650_04"
"""


def _run_tdsp(out: Path, *extra: str) -> tuple[subprocess.CompletedProcess[str], dict]:  # type: ignore[type-arg]
    return _run(out, *extra, flight=TDSP_FLIGHT, party=f"TDSP:{TDSP}")


def test_the_reference_tdsp_passes_the_tdsp_flight_and_a_faulty_one_fails_its_faults(tmp_path: Path) -> None:
    done, report = _run_tdsp(tmp_path / "good")
    assert done.returncode == 0 and report["verdict"] == "passed", done.stdout + done.stderr
    assert all(s["status"] in ("passed", "given") for t in report["tracks"] for s in t["steps"])
    (tmp_path / "faults.toml").write_text(TDSP_FAULTS)
    done, report = _run_tdsp(tmp_path / "bad", "--reference-faults", str(tmp_path / "faults.toml"))
    assert done.returncode == 1
    failed = {(t["track"], s["step"]): s["reason"] for t in report["tracks"] for s in t["steps"]
              if s["status"] == "failed"}
    assert sorted(failed) == [("cancel", 3), ("move-in", 4), ("outage", 4), ("switch-standard", 3)], failed
    assert failed[("outage", 4)].startswith("missing")
    assert failed[("switch-standard", 3)].startswith("late against B6-tdsp-814_04")
    assert failed[("move-in", 4)].startswith("missing")
    assert failed[("cancel", 3)].startswith("rejected where an acceptance was expected")
    blocked = sorted((t["track"], s["step"]) for t in report["tracks"] for s in t["steps"] if s["status"] == "blocked")
    assert blocked == [("cancel", 4), ("cancel", 5), ("cancel", 6), ("outage", 5)]  # what follows the failures


def test_a_flight_over_naesb_edm(tmp_path: Path) -> None:
    """The same flight with the two sides' files posted over NAESB EDM (each side an HTTP
    receiver) instead of the folder pair: the reference CR passes."""
    done, report = _run(tmp_path / "f", "--transport", "edm", "--track", "switch-standard", "--track", "cancel")
    assert done.returncode == 0, done.stdout + done.stderr
    assert report["verdict"] == "passed" and "the market receives on http://127.0.0.1:" in done.stderr
    assert list((tmp_path / "f" / "market-edm" / "inbox" / PARTY).glob("*.x12"))  # the party's files came as posts


def test_a_system_that_sends_a_broken_file_sees_why_it_was_refused(tmp_path: Path) -> None:
    """Not the reference: a system (a script here) that keeps the window protocol but sends only
    an 814_01 without the customer's N1*8R loop (and no REF*Q5), and never acknowledges or pays
    the penny invoice. The market refuses the file with the guide's finding (segment and
    element); the connectivity test fails, and the track is blocked behind it."""
    import threading
    import time

    out = tmp_path / "f"
    base = out / "exchange" / PARTY
    done_flag = threading.Event()

    def play() -> None:
        first = True
        while not done_flag.is_set():
            markers = sorted((base / "outbox").glob(".window-*"), key=lambda p: int(p.name.split("-")[1])) \
                if (base / "outbox").is_dir() else []
            if not markers:
                time.sleep(0.005)
                continue
            marker = markers[0]
            (base / "processed" / "party").mkdir(parents=True, exist_ok=True)
            for name in marker.read_text().split():
                (base / "outbox" / name).replace(base / "processed" / "party" / name)
            names = []
            if first:
                bad = ("ISA*00*          *00*          *01*223456789      *01*183529049      *250304*0900*U*00401*"
                       "000000001*0*P*>~GS*GE*223456789*183529049*20250304*0900*1*X*004010~ST*814*0001~"
                       "BGN*13*C1*20250304~N1*8S*ONCOR*1*1039940674000~N1*SJ*PARTY*1*223456789~LIN*1*SH*EL*SH*CE~"
                       "ASI*7*021~SE*7*0001~GE*1*1~IEA*1*000000001~")
                (base / "inbox").mkdir(parents=True, exist_ok=True)
                (base / "inbox" / "request.x12").write_text(bad)
                names, first = ["request.x12"], False
            (base / "inbox" / f".{marker.name}.tmp").write_text("".join(n + "\n" for n in names))
            (base / "inbox" / f".{marker.name}.tmp").replace(base / "inbox" / marker.name)
            marker.replace(base / "processed" / "party" / marker.name)

    player = threading.Thread(target=play, daemon=True)
    player.start()
    try:
        done = subprocess.run([*CLI, "flight", "run", str(FLIGHT), "--under-test", f"CR:{PARTY}", "--out", str(out),
                               "--track", "switch-standard", "--timeout", "60"], cwd=ROOT, capture_output=True,
                              text=True, timeout=300)
    finally:
        done_flag.set()
        player.join(10)
    assert done.returncode == 1, done.stdout + done.stderr
    report = json.loads((out / "flight.json").read_text())
    assert [r["file"] for r in report["refused"]] == ["request.x12"]
    why = report["refused"][0]["why"]
    assert "segment 7 (LIN*1)" in why and "no N1*8R found (guide 814_01)" in why, why  # the guide's finding
    penny = report["tracks"][0]["steps"]  # the connectivity test: the script neither acknowledges nor pays
    assert [(s["status"], s["reason"].split(":")[0]) for s in penny] == [
        ("given", ""), ("failed", "missing"), ("failed", "missing"), ("blocked", "after step 3 failed")]
    assert [c["status"] for c in report["connectivity"]] == ["passed", "failed", "failed", "failed"]
    steps = report["tracks"][1]["steps"]  # so the transaction track is blocked behind it
    assert {(s["status"], s["reason"]) for s in steps} == {("blocked", "the connectivity test (connectivity) failed")}
    assert "REFUSED  request.x12" in done.stdout
    assert "Files refused" in (out / "flight.html").read_text()


def test_a_flight_never_mixes_its_folder_with_other_files(tmp_path: Path) -> None:
    """A folder with a user's files is refused (exit 2, nothing deleted); a former flight run's
    folder is replaced by the new run, its own outputs only."""
    user = tmp_path / "mine"
    user.mkdir()
    (user / "notes.txt").write_text("keep me")
    done, _ = _run(user, "--track", "cancel")
    assert done.returncode == 2 and "not a flight run's" in done.stderr and (user / "notes.txt").exists()
    first, _ = _run(tmp_path / "f", "--track", "cancel")
    again, report = _run(tmp_path / "f", "--track", "historical-usage")
    assert first.returncode == again.returncode == 0
    assert [t["track"] for t in report["tracks"]] == ["connectivity", "historical-usage"]
    played = (tmp_path / "f" / "scenario.toml").read_text()
    assert 'kind = "historical_usage"' in played and 'kind = "cancel"' not in played  # nothing of the first run left


def test_requests_of_one_code_are_told_apart_and_a_duplicate_is_named(tmp_path: Path) -> None:
    """Two 650_01 requests in a track (disconnect, then reconnect) are matched to their own
    instructions by day: each of the party's duplicated requests is named as sent twice, and the
    dropped switch-hold request fails its own step, not the release's."""
    faults = tmp_path / "faults.toml"
    faults.write_text('''
[[faults]]
kind = "duplicate"
participant = "PARTY"
esi_index = 9
code = "650_01"

[[faults]]
kind = "missing"
participant = "PARTY"
esi_index = 10
code = "650_01"
probability = 0.5
''')
    done, report = _run(tmp_path / "f", "--reference-faults", str(faults), "--track", "disconnect-reconnect",
                        "--track", "switch-hold")
    assert done.returncode == 1
    status = {(t["track"], s["step"]): (s["status"], s["reason"]) for t in report["tracks"] for s in t["steps"]}
    assert status[("disconnect-reconnect", 4)][1].startswith("duplicate: 650_01")
    assert status[("disconnect-reconnect", 7)][1].startswith("duplicate: 650_01")
    assert status[("disconnect-reconnect", 5)][0] == status[("disconnect-reconnect", 8)][0] == "given"
    hold = [status[("switch-hold", n)][0] for n in range(4, 10)]
    party_db = sqlite3.connect(tmp_path / "f" / "party" / "trace.sqlite")
    dropped = party_db.execute("SELECT at FROM faults WHERE kind = 'missing' AND code = '650_01'").fetchall()
    party_db.close()
    assert len(dropped) == 1  # the seed drops one of the two: which one decides the grades below
    if dropped[0][0] < "2025-03-25":  # the hold (day 15) was dropped: its step fails, the rest waits on it
        assert hold == ["failed", "blocked", "blocked", "blocked", "blocked", "blocked"], hold
    else:  # the release (day 25) was dropped
        assert hold == ["passed", "given", "passed", "failed", "blocked", "blocked"], hold


@pytest.mark.parametrize(("args", "faults", "said"), [
    (["--under-test", "CR:123456789"], None, "the simulator's INCUMBENT"),
    (["--under-test", "CR:abc"], None, "a DUNS is 9 or 13 digits"),
    (["--under-test", "TDSP:223456789"], None, "tests a CR, not a TDSP"),
    (["--under-test", f"CR:{PARTY}", "--reference"], '[[faults]]\nkind = "late"\nparticipant = "ONCOR"\n',
     "faults[0].participant"),
    (["--under-test", f"CR:{PARTY}", "--reference"], '[[faults]]\nkind = "late"\nesi_index = 99\n',
     "outside the test bed"),
    (["--under-test", f"CR:{PARTY}", "--reference"], '[[faults]]\nkind = "slow"\n', "faults.toml line 2"),
])
def test_bad_parties_and_faults_are_one_line_naming_what(tmp_path: Path, args: list[str], faults: str | None,
                                                         said: str) -> None:
    extra = []
    if faults is not None:
        (tmp_path / "faults.toml").write_text(faults)
        extra = ["--reference-faults", str(tmp_path / "faults.toml")]
    done = subprocess.run([*CLI, "flight", "run", str(FLIGHT), *args, *extra, "--out", str(tmp_path / "o")], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and said in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_the_polr_flight_a_mass_transition_to_the_party(tmp_path: Path) -> None:
    """A CR flight as the gaining POLR: the incumbent defaults, the party receives the drop
    notices (814_14) and must answer each with its 814_15; the reference passes, and one that
    never answers for the second ESI ID fails that step alone."""
    polr = ROOT / "scenarios" / "flights" / "cr-polr.toml"

    def run(out: Path, *extra: str) -> tuple[int, dict]:  # type: ignore[type-arg]
        done, report = _run(out, *extra, flight=polr)
        return done.returncode, report

    code, report = run(tmp_path / "good")
    assert code == 0 and report["verdict"] == "passed"
    assert 'roles = ["POLR"]' in (tmp_path / "good" / "scenario.toml").read_text()
    (tmp_path / "faults.toml").write_text('[[faults]]\nkind = "missing"\nparticipant = "PARTY"\nesi_index = 1\n'
                                          'code = "814_15"\n')
    code, report = run(tmp_path / "bad", "--reference-faults", str(tmp_path / "faults.toml"))
    failed = [(t["track"], s["step"], s["reason"]) for t in report["tracks"] for s in t["steps"]
              if s["status"] == "failed"]
    assert code == 1 and [(t, n) for t, n, _ in failed] == [("mass-transition-second", 3)], failed
    assert failed[0][2].startswith("missing")


def test_a_party_that_misses_a_bad_invoice_fails_the_invoice_track(tmp_path: Path) -> None:
    """The simulator plants a wrong total on the invoice of the invoice-reject track; a party
    whose 824 never goes fails that step, and what would follow it is blocked."""
    (tmp_path / "faults.toml").write_text('[[faults]]\nkind = "missing"\nparticipant = "PARTY"\nesi_index = 12\n'
                                          'code = "824"\n')
    done, report = _run(tmp_path / "f", "--track", "invoice-reject", "--reference-faults",
                        str(tmp_path / "faults.toml"))
    assert done.returncode == 1 and 'kind = "wrong_total"' in (tmp_path / "f" / "scenario.toml").read_text()
    steps = {s["step"]: (s["status"], s["reason"]) for s in report["tracks"][1]["steps"]}
    assert steps[6] == ("failed", "missing: the party sent no 824 to TDSP")
    assert {steps[n][0] for n in (7, 8, 9)} == {"blocked"}
    assert all(steps[n][0] in ("passed", "given") for n in range(1, 6))


@pytest.mark.parametrize(("old", "new", "said"), [
    ('by = "TDSP", esi = 12', 'by = "newcomer", esi = 12', "by newcomer: not one of the simulator's participants"),
    ('by = "TDSP", esi = 12', 'by = "TDSP", esi = 3', "esi 3 is not one of the track's ESI IDs"),
    ('{ kind = "switch", esi = 0, day = 1 }', '{ kind = "switch", esi = 0, day = 0 }',
     "not after the connectivity track's last (day 0)"),
])
def test_plants_and_the_connectivity_track_are_checked(tmp_path: Path, old: str, new: str, said: str) -> None:
    text = FLIGHT.read_text()
    assert old in text
    (tmp_path / "bad.toml").write_text(text.replace(old, new, 1))
    done = subprocess.run([*CLI, "flight", "show", str(tmp_path / "bad.toml")], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and said in done.stderr and "bad.toml" in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_move_in_not_backdated_fails_the_rescission_track_as_a_wrong_value(tmp_path: Path) -> None:
    """The rescission track's backdated move-in must carry the switch date (DTM*150, day 14):
    a party told only to move the customer in (no requested date) sends its own date, and the
    step fails naming the date it sent and the one expected; what follows is blocked."""
    text = FLIGHT.read_text()
    told = '{ kind = "move_in", esi = 13, day = 21, requested_day = 14 }'
    assert told in text
    (tmp_path / "flight.toml").write_text(text.replace(told, '{ kind = "move_in", esi = 13, day = 21 }'))
    done, report = _run(tmp_path / "f", "--track", "rescission", flight=tmp_path / "flight.toml")
    assert done.returncode == 1, done.stdout + done.stderr
    steps = {s["step"]: (s["status"], s["reason"]) for s in report["tracks"][1]["steps"]}
    assert steps[7][0] == "failed" and steps[7][1].startswith("wrong value: DTM*150 is 20250326 where 20250317 "
                                                              "(day 14) was expected"), steps[7]
    assert all(steps[n][0] in ("passed", "given") for n in range(1, 7))
    assert {steps[n][0] for n in range(8, 12)} == {"blocked"}
    # the report shows the transaction as it crossed, the failing segment marked and read by the guide
    shown = report["tracks"][1]["steps"][6]["evidence"]
    marked = [s for s in shown["segments"] if s["marked"]]
    assert shown["code"] == "814_16" and [s["text"] for s in marked] == ["DTM*150*20250326"]
    assert marked[0]["reading"] == ["DTM*150 Requested move-in date: 2025-03-26"]
    assert "<mark class='fail'>   13  DTM*150*20250326</mark>" in (tmp_path / "f" / "flight.html").read_text()


def test_a_simulated_actor_must_be_one_of_the_test_bed(tmp_path: Path) -> None:
    text = FLIGHT.read_text().replace('actor = "incumbent" }', 'actor = "newcomer" }', 1)
    (tmp_path / "bad.toml").write_text(text)
    done = subprocess.run([*CLI, "flight", "show", str(tmp_path / "bad.toml")], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and "do actor 'newcomer'" in done.stderr and "bad.toml" in done.stderr, done.stderr


def test_a_do_item_without_a_day_is_one_line(tmp_path: Path) -> None:
    text = FLIGHT.read_text().replace('do = [{ kind = "switch", esi = 0, day = 1 }]',
                                      'do = [{ kind = "switch", esi = 0 }]')
    (tmp_path / "bad.toml").write_text(text)
    done = subprocess.run([*CLI, "flight", "show", str(tmp_path / "bad.toml")], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and "do item 0 names its day" in done.stderr and "bad.toml" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
