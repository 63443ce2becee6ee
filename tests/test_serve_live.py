"""``ercot-sim serve --under-test DUNS --transport edm --step``: the market on its own clock,
against a system that keeps no window protocol; here that system is plain ``curl`` posting a
hand-written file and an ``ercot-sim edm serve`` receiver taking the market's answers, all
separate processes over real HTTP. An operator pauses the market (``--step``), reads what is
owed (``ercot-sim status`` and the status page), and lets it run (``ercot-sim advance``)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from ercot_sim.counterparty.inbound import read_messages
from ercot_sim.market.engine import run_scenario
from ercot_sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "ercot_sim"]
PARTY, ERCOT, ONCOR = "223456789", "183529049", "1039940674000"


def _port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(check, what: str, seconds: float = 60):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.05)
    raise AssertionError(f"no {what} in {seconds} s")


def _curl(url: str, path: Path, sender: str, login: str, password: str) -> tuple[int, dict[str, str]]:
    done = subprocess.run(["curl", "-sS", "-o", "-", "-w", "\n%{http_code}", "-u", f"{login}:{password}",
                           "-F", f"from={sender}", "-F", f"to={ERCOT}", "-F", "version=1.6",
                           "-F", f"receipt-disposition-to={sender}",
                           "-F", "receipt-report-type=gisb-acknowledgement-receipt",
                           "-F", "input-format=X12", "-F", f"input-data=@{path}", url],
                          capture_output=True, text=True, timeout=60, check=True)
    body, _, code = done.stdout.rpartition("\n")
    fields = dict(line.rstrip("\r*").split("=", 1) for line in body.splitlines() if "=" in line)
    return int(code), fields


def test_a_curl_party_gets_receipts_and_the_markets_answers_on_a_stepped_clock(tmp_path: Path) -> None:
    scenario = ROOT / "scenarios" / "switch-standard.toml"
    run_scenario(load_scenario(scenario), tmp_path / "one")
    request = next(p for p in sorted((tmp_path / "one" / "outbox" / ERCOT).glob(f"{PARTY}_*.x12"))
                   if any(i.message.code == "814_01" for i in read_messages(p)))
    ref = next(i.message.ref for i in read_messages(request) if i.message.code == "814_01")
    # the party's own receiver: an EDM endpoint that takes the market's posts (from ERCOT and the TDSP)
    (tmp_path / "party.toml").write_text(
        f'[edm]\nduns = "{PARTY}"\nserver_id = "party"\n\n'
        + "".join(f'[[partner]]\nduns = "{d}"\nlogin = "{d}"\npassword = "s3cret"\n\n' for d in (ERCOT, ONCOR)))
    party_port, market_port, status_port = _port(), _port(), _port()
    receiver = subprocess.Popen([*CLI, "edm", "serve", str(tmp_path / "party-edm"), "--config",
                                 str(tmp_path / "party.toml"), "--port", str(party_port)], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out = tmp_path / "market"
    market = subprocess.Popen([*CLI, "serve", str(scenario), "--under-test", PARTY, "--transport", "edm", "--step",
                               "--exchange", str(tmp_path / "market-edm"), "--out", str(out), "--listen",
                               str(market_port), "--peer", f"http://127.0.0.1:{party_port}/edm", "--secret",
                               "s3cret", "--status-port", str(status_port), "--retry-seconds", "0.2,0.2"],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{market_port}/edm"

        def paused() -> bool:
            done = subprocess.run([*CLI, "status", str(out), "--json"], cwd=ROOT, capture_output=True, text=True)
            return done.returncode in (0, 1) and json.loads(done.stdout)["waiting"] != ""

        _wait_for(paused, "paused market")
        # the hand-written files, posted with plain curl
        code, receipt = _curl(url, request, PARTY, PARTY, "s3cret")
        assert code == 200 and receipt["request-status"] == "ok" and receipt["trans-id"], receipt
        junk = tmp_path / "junk.x12"
        junk.write_text("ISA*this is not X12~")
        code, junk_receipt = _curl(url, junk, PARTY, PARTY, "s3cret")
        assert code == 200 and junk_receipt["request-status"] == "ok"  # EDM takes it; the market refuses it
        version = tmp_path / "version.x12"  # an envelope error: answered with a TA1
        version.write_text(request.read_text().replace("*00401*", "*00501*"))
        assert _curl(url, version, PARTY, PARTY, "s3cret")[1]["request-status"] == "ok"
        code, denied = _curl(url, request, PARTY, PARTY, "wrong")
        assert code == 401 and denied["request-status"].startswith("EEDM701")
        code, again = _curl(url, request, PARTY, PARTY, "s3cret")  # a resend: the first receipt
        assert again["trans-id"] == receipt["trans-id"]
        # an hour on: the 814_01 is taken in, and the view lists what is owed on its ESI ID, and by when
        hour = subprocess.run([*CLI, "advance", str(out), "--hours", "1"], cwd=ROOT, capture_output=True)
        assert hour.returncode == 0

        def owed() -> dict[str, list[dict[str, object]]]:
            done = subprocess.run([*CLI, "status", str(out), "--json"], cwd=ROOT, capture_output=True, text=True)
            view = json.loads(done.stdout) if done.returncode in (0, 1) else {}
            return view.get("owed", {}) if view.get("waiting") not in ("", "30", None) else {}

        esi = next(i.message.esi_id for i in read_messages(request) if i.message.code == "814_01")
        owes = {(o["owes"], o["answering"]["code"], o["due"]) for o in _wait_for(owed, "owed answers")[esi]}
        assert owes == {("997 from the receiver", "814_01", "2025-03-04T00:30:00-06:00"),
                        ("814_03 from ERCOT", "814_01", "2025-03-04T17:00:00-06:00")}
        # the operator's view while paused, as a page
        page = urllib.request.urlopen(f"http://127.0.0.1:{status_port}/", timeout=30).read().decode()
        assert f"side of {PARTY}" in page and "stepped" in page
        # let it run to the end
        done = subprocess.run([*CLI, "advance", str(out), "--days", "40"], cwd=ROOT, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0 and "released to minute 57660" in done.stdout, done
        stdout, stderr = market.communicate(timeout=300)
        assert market.returncode == 0, stderr
    finally:
        for proc in (market, receiver):
            if proc.poll() is None:
                proc.terminate()
                proc.wait(30)
    # the market's answers reached the party's receiver, each once
    got = [(p, i.message) for p in sorted((tmp_path / "party-edm" / "inbox").rglob("*.x12"))
           for i in read_messages(p)]
    codes = [m.code for _p, m in got]
    assert any(m.code == "814_05" and m.orig_ref == ref for _p, m in got), codes
    assert "867_04" in codes and "997" in codes
    sent = sorted((out / "outbox" / PARTY).glob("*.x12"))
    answers = [p for p in (tmp_path / "party-edm" / "inbox").rglob("*.x12") if b"~TA1*" in p.read_bytes()]
    assert len(answers) == 1  # the TA1 of the envelope error; the junk has no envelope to answer
    received = {p.read_bytes() for p in (tmp_path / "party-edm" / "inbox").rglob("*.x12")}
    assert {p.read_bytes() for p in sent} | {answers[0].read_bytes()} == received  # each file once
    # the trace has both directions and the transport events; status reads it after the run
    done = subprocess.run([*CLI, "status", str(out), "--json"], cwd=ROOT, capture_output=True, text=True)
    view = json.loads(done.stdout)
    assert done.returncode == 1 and len(view["violations"]) == 2  # the 997s below
    assert view["state"] == "complete" and view["exchange_failures"] == []
    events = view["transport_events"]
    assert events["in taken-in"] == 1 and events["in refused"] == 2, events
    assert events["out receipted"] == len(sent) + 1
    assert (out / "inbound" / PARTY / f"{receipt['trans-id']}.x12").read_bytes() == request.read_bytes()
    check = subprocess.run([*CLI, "check", str(out), "--json"], cwd=ROOT, capture_output=True, text=True)
    result = json.loads(check.stdout)
    on_time = {r["rule_id"]: r["on_time"] for r in result["rules"]}
    # curl acknowledged nothing: the checker finds exactly the party's missing 997s, one per file it was sent
    # that a 997 is owed for (the 814_05 and the 867_04; not the 997 and the TA1)
    assert check.returncode == 1
    assert sorted((v["rule_id"], v["kind"], v["trigger"]["code"]) for v in result["violations"]) == [
        ("B1-any-997", "missing", "814_05"), ("B1-any-997", "missing", "867_04")]
    assert all(v["trigger"]["file"].startswith(f"outbox/{PARTY}/") for v in result["violations"])
    assert on_time["B5-ercot-814_03"] >= 1  # the party's 814_01 is in the trace; ERCOT sent its 814_03 in time


def test_a_live_market_killed_at_random_replays_its_journal_and_repeats_nothing(tmp_path: Path) -> None:
    """kill -9 the live market (wall clock, folders) at random moments and start it again with
    the same command: it replays the windows it had run from its journal at full speed, takes in
    what it had taken at the same windows, hands nothing over twice, and goes on live. The party
    (a thread here) drops its 814_01 and a junk file whenever it likes and takes every file the
    market writes for it; in the end it took each of the market's files once, and the market's
    trace has each of the party's files once."""
    import random
    import signal
    import sqlite3
    import threading

    scenario = ROOT / "scenarios" / "switch-standard.toml"
    run_scenario(load_scenario(scenario), tmp_path / "one")
    request = next(p for p in sorted((tmp_path / "one" / "outbox" / ERCOT).glob(f"{PARTY}_*.x12"))
                   if any(i.message.code == "814_01" for i in read_messages(p)))
    base, taken = tmp_path / "x" / PARTY, tmp_path / "taken"
    taken.mkdir()
    out = tmp_path / "market"
    command = [*CLI, "serve", str(scenario), "--under-test", PARTY, "--exchange", str(tmp_path / "x"), "--out",
               str(out), "--speed", "3000"]
    done = threading.Event()
    copies: list[str] = []

    def party() -> None:
        drops = {0.8: ("request.x12", request.read_bytes()), 2.5: ("junk.x12", b"not X12")}
        started = time.monotonic()
        while not done.is_set():
            for at, (name, data) in list(drops.items()):
                if time.monotonic() - started > at:
                    (base / "inbox").mkdir(parents=True, exist_ok=True)
                    (base / "inbox" / f".{name}.part").write_bytes(data)
                    (base / "inbox" / f".{name}.part").replace(base / "inbox" / name)
                    del drops[at]
            for f in sorted((base / "outbox").glob("*.x12")) if (base / "outbox").is_dir() else []:
                copies.append(f.name)
                f.replace(taken / f.name)
            time.sleep(0.01)

    player = threading.Thread(target=party, daemon=True)
    player.start()
    rng = random.Random(13)
    kills = 0
    journal = out / ".serve" / "journal"

    def windows_run() -> int:  # how far the market got: the last window its journal or trace names
        try:
            db = sqlite3.connect(f"file:{out / 'trace.sqlite'}?mode=ro", uri=True)
            try:
                return int(db.execute("SELECT value FROM serve WHERE key = 'now'").fetchone()[0])
            finally:
                db.close()
        except (sqlite3.Error, TypeError):
            return -1

    # kills at eight random points of the month (by the market's progress, not the wall clock: a
    # restart replays first, so a kill timed by the clock could keep the market from getting on)
    targets = sorted(rng.randrange(600, 40_000) for _ in range(8))
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for target in targets:
            while proc.poll() is None and windows_run() < target:
                time.sleep(0.01)
            if proc.poll() is not None:
                break
            time.sleep(rng.uniform(0, 0.05))
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
            kills += 1
            proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        stdout, stderr = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
        time.sleep(0.3)  # the party takes the last window's files
        done.set()
        player.join(10)
    assert proc.returncode == 0, stderr
    assert kills == 8, f"only {kills} kills landed"
    written = sorted(p.name for p in (out / "outbox" / PARTY).glob("*.x12"))
    assert sorted(copies) == written  # every file the market wrote for the party, taken once
    got = [i.message for p in sorted(taken.glob("*.x12")) for i in read_messages(p)]
    assert [m.code for m in got].count("814_05") == 1 and "867_04" in [m.code for m in got]
    db = sqlite3.connect(out / "trace.sqlite")
    events = db.execute("SELECT kind, file FROM transport_events WHERE direction = 'in'").fetchall()
    assert sorted(events) == [("refused", "junk.x12"), ("taken-in", "request.x12")]
    lines = journal.read_text().splitlines()
    assert sorted(line.split()[2] for line in lines if line.startswith("in ")) == ["junk.x12", "request.x12"]


def test_wrong_routes_and_unknown_esi_ids_are_answered_and_never_stop_the_market(tmp_path: Path) -> None:
    """The party sends ERCOT an 867_03 (a TDSP's transaction) and an 814_01 for an ESI ID no TDSP
    has: the first is refused with the route it broke (not handed to ERCOT's handling of a
    TDSP's 867_03), still acknowledged by its 997; the second gets ERCOT's 814_02 reject."""
    import re
    import sqlite3

    scenario = ROOT / "scenarios" / "switch-standard.toml"
    run_scenario(load_scenario(scenario), tmp_path / "one")
    request = next(p for p in sorted((tmp_path / "one" / "outbox" / ERCOT).glob(f"{PARTY}_*.x12"))
                   if any(i.message.code == "814_01" for i in read_messages(p)))
    usage = next(p for p in sorted((tmp_path / "one" / "outbox").glob(f"*/{ERCOT}_*.x12"))
                 if any(i.message.code == "867_03" for i in read_messages(p)))
    receiver = usage.parent.name
    text = usage.read_text().replace(f"*01*{ERCOT}      *01*{receiver}      *", f"*01*{PARTY}      *01*{ERCOT}      *")
    text = re.sub(rf"GS\*(\w+)\*{ERCOT}\*{receiver}\*", rf"GS*\1*{PARTY}*{ERCOT}*", text)
    inbox = tmp_path / "x" / PARTY / "inbox"
    inbox.mkdir(parents=True)
    (inbox / "route.x12").write_text(text)
    (inbox / "unknown.x12").write_text(request.read_text().replace("10443720000000001", "10443729999999999"))
    out = tmp_path / "market"
    done = subprocess.run([*CLI, "serve", str(scenario), "--under-test", PARTY, "--exchange", str(tmp_path / "x"),
                           "--out", str(out), "--speed", "50000"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    reason = (tmp_path / "x" / PARTY / "rejected" / "market" / "route.x12.reason.txt").read_text()
    assert "wrong route: 867_03" in reason and "is not sent CR -> ERCOT" in reason
    got = [i.message for p in sorted((tmp_path / "x" / PARTY / "outbox").glob("*.x12")) for i in read_messages(p)]
    assert any(m.code == "814_02" and m.esi_id == "10443729999999999" for m in got)
    acked = {(m.payload.functional_id, m.payload.status) for m in got if m.code == "997"}  # type: ignore[union-attr]
    assert acked == {("PT", "A"), ("GE", "A")}  # both files acknowledged: received, whatever became of them
    db = sqlite3.connect(out / "trace.sqlite")
    assert db.execute("SELECT COUNT(*) FROM transactions WHERE code = '867_03' AND sender = ?",
                      (PARTY,)).fetchone()[0] == 0


def test_exchange_failures_are_listed_and_resent_with_the_configuration_serve_writes(tmp_path: Path) -> None:
    """The party (ERCOT here) has its receiver down for the whole month: each post to it is tried
    three times and becomes an exchange failure, which `ercot-sim status` lists (exit 1). Once
    the receiver is up, `ercot-sim edm resend` with the configuration serve wrote posts each
    from its own sender; status then lists none."""
    import sqlite3

    scenario = ROOT / "scenarios" / "switch-standard.toml"
    party_port = _port()
    secret = 'pa"ss\\word'  # quotes and backslashes survive the written configuration
    out, edm = tmp_path / "market", tmp_path / "market-edm"
    done = subprocess.run([*CLI, "serve", str(scenario), "--under-test", ERCOT, "--transport", "edm", "--speed",
                           "20000", "--exchange", str(edm), "--out", str(out), "--listen", str(_port()), "--peer",
                           f"http://127.0.0.1:{party_port}/edm", "--secret", secret, "--retry-seconds", "0.05,0.05"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    status = subprocess.run([*CLI, "status", str(out), "--json"], cwd=ROOT, capture_output=True, text=True)
    failures = json.loads(status.stdout)["exchange_failures"]
    assert status.returncode == 1 and failures
    assert (edm / "edm.toml").stat().st_mode & 0o077 == 0
    db = sqlite3.connect(edm / "edm.sqlite")
    failed = db.execute("SELECT id, sender FROM outbound WHERE state = 'failed' ORDER BY id").fetchall()
    db.close()
    assert len(failed) == len(failures) and {s for _i, s in failed} >= {PARTY, ONCOR}  # the CRs' and the TDSP's
    (tmp_path / "ercot.toml").write_text(
        f'[edm]\nduns = "{ERCOT}"\nserver_id = "ercot"\n\n'
        + "".join(f'[[partner]]\nduns = "{d}"\nlogin = "{d}"\npassword = {json.dumps(secret)}\n\n'
                  for d in sorted({s for _i, s in failed})))
    receiver = subprocess.Popen([*CLI, "edm", "serve", str(tmp_path / "ercot-edm"), "--config",
                                 str(tmp_path / "ercot.toml"), "--port", str(party_port)], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert receiver.stdout is not None and receiver.stdout.readline().startswith("listening on")
        for row_id, _sender in failed:
            again = subprocess.run([*CLI, "edm", "resend", str(row_id), "--config", str(edm / "edm.toml"), "--dir",
                                    str(edm)], cwd=ROOT, capture_output=True, text=True, timeout=120)
            assert again.returncode == 0, again.stdout + again.stderr
    finally:
        receiver.terminate()
        receiver.wait(30)
    kept = {p.parent.name for p in (tmp_path / "ercot-edm" / "inbox").rglob("*.x12")}
    assert kept == {s for _i, s in failed}  # each from its own sender
    status = subprocess.run([*CLI, "status", str(out), "--json"], cwd=ROOT, capture_output=True, text=True)
    assert json.loads(status.stdout)["exchange_failures"] == []


def test_advance_and_status_refuse_what_makes_no_sense_and_a_killed_side_says_so(tmp_path: Path) -> None:
    """`advance` never sets a market back and only steps a stepped one; a stepped market killed
    while it waits is shown as stopped, and `check` calls its trace incomplete; bad serve
    options are one-line errors (exit 2), not tracebacks."""
    import signal

    scenario = ROOT / "scenarios" / "switch-standard.toml"
    out = tmp_path / "market"
    proc = subprocess.Popen([*CLI, "serve", str(scenario), "--under-test", PARTY, "--exchange", str(tmp_path / "x"),
                             "--out", str(out), "--step"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        def waiting() -> bool:
            done = subprocess.run([*CLI, "status", str(out), "--json"], cwd=ROOT, capture_output=True, text=True)
            return done.returncode == 0 and json.loads(done.stdout)["waiting"] != ""

        _wait_for(waiting, "a waiting market")
        ahead = subprocess.run([*CLI, "advance", str(out), "--to", "2025-03-05"], cwd=ROOT, capture_output=True,
                               text=True)
        assert ahead.returncode == 0 and "2025-03-05T00:00:00-06:00" in ahead.stdout, ahead
        back = subprocess.run([*CLI, "advance", str(out), "--to", "2025-03-04"], cwd=ROOT, capture_output=True,
                              text=True)
        assert back.returncode == 2 and "never set back" in back.stderr
        def at_release() -> bool:
            done = subprocess.run([*CLI, "status", str(out), "--json"], cwd=ROOT, capture_output=True, text=True)
            return json.loads(done.stdout)["waiting"] not in ("", "30")

        _wait_for(at_release, "the market at its release")
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    view = subprocess.run([*CLI, "status", str(out)], cwd=ROOT, capture_output=True, text=True)
    assert "stopped: its process is gone" in view.stdout
    check = subprocess.run([*CLI, "check", str(out)], cwd=ROOT, capture_output=True, text=True)
    assert check.returncode == 2 and "incomplete run" in check.stderr
    lockstep = tmp_path / "lockstep"
    subprocess.run([*CLI, "serve", str(scenario), "--under-test", PARTY, "--exchange", str(tmp_path / "y"), "--out",
                    str(lockstep), "--timeout", "0.2"], cwd=ROOT, capture_output=True, text=True)
    refused = subprocess.run([*CLI, "advance", str(lockstep), "--days", "1"], cwd=ROOT, capture_output=True, text=True)
    assert refused.returncode == 2 and "not started with --step" in refused.stderr
    for bad, said in ((["--retry-seconds", "-1,5"], "--retry-seconds"), (["--secret", ""], "--secret")):
        done = subprocess.run([*CLI, "serve", str(scenario), "--under-test", PARTY, "--transport", "edm", "--peer",
                               "http://127.0.0.1:9/edm", "--exchange", str(tmp_path / "z"), "--out",
                               str(tmp_path / "zo"), "--step", *bad], cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 2 and said in done.stderr and "Traceback" not in done.stderr, done.stderr
