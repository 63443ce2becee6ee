"""``ercot-sim serve`` over NAESB EDM, either side killed at random (kill -9) and started again
with the same command, twenty times: a restarted side replays its windows (the market is
deterministic), posts again what it had posted (the other side's receiver answers a repost
with its first receipt and stores nothing twice), and takes in what it had taken in from its
own receiver's store. In the end the two sides' files are byte for byte one in-process run's,
and every file crossed the wire, into the other side's store, exactly once."""

from __future__ import annotations

import hashlib
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from ercot_sim.market.engine import run_scenario
from ercot_sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "ercot_sim"]
PARTY = "123456789"
#: the delivery windows of the market month (eight a day)
WINDOWS = 240


def _files(*outs: Path) -> dict[str, str]:
    """The outbox files of run folders, by path under the run folder: their sha256 (as
    ``tests/test_serve.py``)."""
    got: dict[str, str] = {}
    for out in outs:
        for p in sorted((out / "outbox").rglob("*.x12")):
            got[str(p.relative_to(out))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return got


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _stored_once(edm: Path, wrote: list[Path], senders: set[str], windows: int) -> list[str]:
    """What is wrong with an EDM store that should hold each file of ``wrote`` (what the other
    side wrote for this one) exactly once, and one window post per window, and nothing else."""
    problems: list[str] = []
    db = sqlite3.connect(edm / "edm.sqlite")
    try:
        rows = db.execute("SELECT trans_id, sender, input_format, sha256, path, posts FROM inbound "
                          "ORDER BY n").fetchall()
    finally:
        db.close()
    shas = [sha for _t, _s, _f, sha, _p, _n in rows]
    if len(shas) != len(set(shas)):
        problems.append(f"{len(shas) - len(set(shas))} inbound row(s) hold content another row holds")
    x12 = [r for r in rows if r[2] == "X12"]
    want: dict[str, Path] = {_sha(p): p for p in wrote}
    if len(want) != len(wrote):
        problems.append("the other side wrote two files with the same bytes (cannot tell them apart on the wire)")
    got: dict[str, int] = {}
    for trans_id, sender, _fmt, sha, rel, _posts in x12:
        got[sha] = got.get(sha, 0) + 1
        if sender not in senders:
            problems.append(f"{trans_id}: from {sender}, not a DUNS the other side plays")
        if not (edm / rel).is_file() or _sha(edm / rel) != sha:
            problems.append(f"{trans_id}: {rel} missing, or not the bytes its row says")
        elif sha in want and not want[sha].name.startswith(f"{sender}_"):
            problems.append(f"{trans_id}: stored as from {sender}, written as {want[sha].name}")
    missing = sorted(want[s].name for s in want if s not in got)
    twice = sorted(want[s].name for s in want if got.get(s, 0) > 1)
    extra = sorted(t for t, _s, _f, sha, _p, _n in x12 if sha not in want)
    if missing:
        problems.append(f"{len(missing)} file(s) never stored, e.g. {missing[:3]}")
    if twice:
        problems.append(f"{len(twice)} file(s) stored more than once, e.g. {twice[:3]}")
    if extra:
        problems.append(f"{len(extra)} X12 post(s) that are none of the other side's files, e.g. {extra[:3]}")
    on_disk = sorted((edm / "inbox").glob("*/*.x12"))
    if len(on_disk) != len(x12):
        problems.append(f"{len(on_disk)} X12 files in {edm / 'inbox'}, {len(x12)} X12 rows")
    db = sqlite3.connect(edm / "edm.sqlite")
    try:  # each row has its event, each repost its "resent" event (committed together)
        logged = {d.split()[0] for (d,) in db.execute(
            "SELECT detail FROM events WHERE kind IN ('accepted', 'recovered')")}
        resent = db.execute("SELECT COUNT(*) FROM events WHERE kind = 'resent'").fetchone()[0]
    finally:
        db.close()
    unlogged = [t for t, *_ in rows if t not in logged]
    reposts = sum(r[5] for r in rows) - len(rows)
    if unlogged or reposts != resent:
        problems.append(f"torn events: rows without their event {unlogged}; reposts {reposts}, resent events {resent}")
    marks = [(edm / p).read_text().splitlines()[0] for _t, _s, fmt, _sha, p, _n in rows if fmt == "FF"]
    if sorted(marks) != sorted(set(marks)) or len(marks) != windows:
        problems.append(f"{len(marks)} window posts ({len(set(marks))} different), {windows} windows")
    return problems


def test_sides_over_edm_killed_at_random_twenty_times_still_post_each_file_once(tmp_path: Path) -> None:
    """kill -9 either side at random moments, 20 times, and start it again with the same command
    (its receiver back on the same port): the files are byte for byte one run's, and each side's
    EDM store holds every file the other side wrote for it exactly once (reposts counted on its
    row, not stored again)."""
    # a market month of 400 ESI IDs: 240 windows, long enough for twenty kills
    scenario = tmp_path / "month.toml"
    text = (ROOT / "scenarios" / "market-month.toml").read_text()
    scenario.write_text(text.replace("\nesi_ids = 100000\n", "\nesi_ids = 400\n"))
    assert "esi_ids = 400" in scenario.read_text()
    run_scenario(load_scenario(scenario), tmp_path / "one")
    ports = {"market": _port(), "party": _port()}
    other = {"market": "party", "party": "market"}
    commands = {side: [*CLI, "serve", str(scenario), flag, PARTY, "--transport", "edm", "--exchange",
                       str(tmp_path / f"edm-{side}"), "--out", str(tmp_path / side), "--listen", str(ports[side]),
                       "--peer", f"http://127.0.0.1:{ports[other[side]]}/edm", "--timeout", "120"]
                for flag, side in (("--under-test", "market"), ("--as", "party"))}
    logs: dict[str, list[Path]] = {side: [] for side in commands}

    def start(side: str) -> subprocess.Popen[bytes]:
        log = tmp_path / f"{side}-{len(logs[side])}.log"
        logs[side].append(log)
        with open(log, "wb") as out:
            proc = subprocess.Popen(commands[side], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        waited = 0.0  # until its receiver listens: a kill while Python starts tests nothing
        while "receiving on" not in log.read_text(errors="replace") and proc.poll() is None and waited < 60:
            time.sleep(0.01)
            waited += 0.01
        return proc

    def said(side: str) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-2000:]}" for p in logs[side])

    def received(side: str) -> int:
        """The other side's window posts in this side's store: how far it had got."""
        try:
            db = sqlite3.connect(tmp_path / f"edm-{side}" / "edm.sqlite")
            try:
                return int(db.execute("SELECT COUNT(*) FROM inbound WHERE input_format = 'FF'").fetchone()[0])
            finally:
                db.close()
        except sqlite3.Error:
            return 0

    procs = {side: start(side) for side in commands}
    rng = random.Random(20)
    landed: list[int] = []  # at each kill, the windows the killed side had received
    try:
        # twenty moments over the month, by how far the run has got (a restarted side replays
        # what it had done first, so a kill at a random time would land ever earlier): a side,
        # a window, and a random moment in the next one or two
        for target in sorted(rng.sample(range(1, WINDOWS - 10), 20)):
            side = rng.choice(sorted(procs))
            proc = procs[side]
            waited = 0.0
            while received(side) < target and proc.poll() is None and waited < 300:
                time.sleep(0.01)
                waited += 0.01
            time.sleep(rng.uniform(0, 0.05))
            if proc.poll() is not None:
                assert proc.returncode == 0, said(side)
                continue
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            landed.append(received(side))
            procs[side] = start(side)
        for proc in procs.values():
            proc.wait(timeout=600)
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert all(p.returncode == 0 for p in procs.values()), said("market") + "\n" + said("party")
    assert len(landed) >= 10, f"only {len(landed)} kills landed before the run ended"
    assert _files(tmp_path / "market", tmp_path / "party") == _files(tmp_path / "one")

    last = logs["market"][-1].read_text()
    windows = int(last.split(" windows exchanged")[0].rsplit(" ", 1)[-1])
    assert windows == WINDOWS, last
    print(f"{len(landed)} kills landed, the killed side having received windows {landed} of {windows}")
    month = load_scenario(scenario).participants
    market_duns = {month.ercot.duns, *(p.duns for p in month.everyone())} - {PARTY}
    to_party = sorted((tmp_path / "market" / "outbox" / PARTY).glob("*.x12"))
    from_party = sorted(p for p in (tmp_path / "party" / "outbox").rglob("*.x12") if p.parent.name != PARTY)
    assert to_party and from_party
    problems = {"party's store": _stored_once(tmp_path / "edm-party", to_party, market_duns, windows),
                "market's store": _stored_once(tmp_path / "edm-market", from_party, {PARTY}, windows)}
    assert problems == {"party's store": [], "market's store": []}
