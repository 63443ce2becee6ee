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
