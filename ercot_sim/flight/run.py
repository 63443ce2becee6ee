"""Play a flight against the system under test: the simulator's side is ``ercot-sim serve``'s
market (the flight's scenario without the party), in this process; the party is the system
under test, over the exchange folder, or with ``reference`` the project's own CR logic in
another process (``ercot-sim serve --as``), with planted faults when given. Then every step is
graded (:mod:`ercot_sim.flight.grade`)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ercot_sim.errors import SimError
from ercot_sim.flight.compile import scenario_toml
from ercot_sim.flight.grade import Check, TrackResult, connectivity, esi_ids_of, grade, outside_tracks, records_of
from ercot_sim.flight.script import Flight

__all__ = ["FlightRun", "run_flight"]


@dataclass(frozen=True, slots=True)
class FlightRun:
    """A flight played: where, by whom, and every track's result."""

    flight: Flight
    party: str
    out: Path
    reference: bool
    faults: str
    tracks: list[TrackResult]
    #: the connectivity and acknowledgement tests, graded before the tracks
    checks: list[Check]
    #: files of the party the market refused, with why (the validator names segment and element)
    refused: list[tuple[str, str, str]]
    #: the party's timing violations no step cites
    outside: list[str]

    @property
    def verdict(self) -> str:
        """``passed`` (every check and track passed), ``failed`` or ``pending``."""
        verdicts = {t.verdict for t in self.tracks} | {"passed" if c.passed else "failed" for c in self.checks}
        if self.outside:
            verdicts.add("failed")
        return "failed" if "failed" in verdicts else "pending" if "pending" in verdicts else "passed"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_flight(flight: Flight, party: str, out: Path, *, reference: bool = False, faults: str = "",
               tracks: list[str] | None = None, timeout: float = 120,
               on_ready: Callable[[Path], None] | None = None, transport: str = "folders", listen: int = 0,
               peer_url: str = "", secret: str = "flight", on_url: Callable[[str], None] | None = None) -> FlightRun:
    """Play ``flight`` against the party ``party`` (DUNS) into ``out`` and grade it.

    ``out`` gets ``scenario.toml`` (what the simulator plays), ``exchange/`` (the folder pair:
    ``exchange/<DUNS>/outbox`` to the party, ``inbox`` from it, window by window; over
    ``transport="edm"``, ``market-edm/``, the market's EDM receiver on ``listen``, posting to the
    party's at ``peer_url``, each login its DUNS with ``secret``), ``market/``
    (the simulator's files and trace) and, for a reference party, ``party/`` and
    ``party-scenario.toml`` (with its planted ``faults``). ``on_ready`` is told the exchange
    folder before the market starts.

    Raises:
        SimError: a track name is unknown, the party does not answer a window in ``timeout``
            seconds, or the reference party fails.
    """
    from ercot_sim.counterparty.serve import serve_side
    from ercot_sim.scenario import load_scenario_text

    for name in tracks or []:
        flight.track(name)
    _fresh(out)
    text = scenario_toml(flight, party, tracks)
    (out / "scenario.toml").write_text(text, encoding="utf-8")
    edm = transport == "edm"
    exchange = out / ("market-edm" if edm else "exchange")
    if edm:
        listen = listen or _free_port()
        if reference and not peer_url:
            peer_url = f"http://127.0.0.1:{_free_port()}/edm"
        if not peer_url:
            raise SimError("a flight over EDM needs the party's receiver (--peer URL)")
    proc = None
    if reference:
        party_text = scenario_toml(flight, party, tracks, faults)
        load_scenario_text(party_text, "the reference party's faults")  # a bad fault is an error here, not there
        (out / "party-scenario.toml").write_text(party_text, encoding="utf-8")
        link = (["--transport", "edm", "--exchange", str(out / "party-edm"), "--listen",
                 peer_url.rsplit(":", 1)[1].split("/")[0], "--peer", f"http://127.0.0.1:{listen}/edm", "--secret",
                 secret] if edm else ["--exchange", str(exchange)])
        proc = subprocess.Popen([sys.executable, "-m", "ercot_sim", "serve", str(out / "party-scenario.toml"), "--as",
                                 party, *link, "--out", str(out / "party"), "--timeout", str(timeout)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if on_ready is not None:
        on_ready(exchange)
    try:
        serve_side(load_scenario_text(text, str(out / "scenario.toml")), out / "market", exchange, party, "market",
                   timeout=timeout, transport=transport, listen=listen, peer_url=peer_url, secret=secret,
                   on_ready=on_url)
    except SimError:
        if proc is not None and proc.poll() not in (None, 0):  # the party died: say why, not that it was silent
            said = (proc.stderr.read() if proc.stderr else "").strip().splitlines()
            raise SimError(f"the reference party failed: {said[-1] if said else proc.returncode}") from None
        raise
    finally:
        if proc is not None:
            try:
                _stdout, stderr = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                stderr = "did not finish"
    if proc is not None and proc.returncode != 0:
        raise SimError(f"the reference party failed: {stderr.strip().splitlines()[-1] if stderr.strip() else '?'}")
    records, result = records_of(out / "market")
    ercot = load_scenario_text(text).participants.ercot.duns
    graded = grade(flight, esi_ids_of(text), records, result, party, ercot, tracks)
    checks = connectivity(flight, records, result, party, ercot, graded)
    return FlightRun(flight, party, out, reference, faults, graded, checks, _refused(out / "market" / "trace.sqlite"),
                     outside_tracks(result, graded, party))


def _refused(trace: Path) -> list[tuple[str, str, str]]:
    """(market time, file, why) of each file of the party the market refused."""
    import sqlite3

    db = sqlite3.connect(f"file:{trace}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT at, file, detail FROM transport_events WHERE direction = 'in' AND kind = 'refused' "
                          "ORDER BY seq").fetchall()
    finally:
        db.close()
    return [(str(a), str(f), str(d)) for a, f, d in rows]


#: what a flight run writes in its folder (a later run into the folder replaces exactly these)
_OURS = ("scenario.toml", "party-scenario.toml", "exchange", "market", "market-edm", "party", "party-edm",
         "flight.json", "flight.html", "flight.txt", ".flight-run")


def _fresh(out: Path) -> None:
    """Make ``out`` ready for a run: new, empty, or a former flight run's folder (whose outputs,
    and only those, are removed). Anything else there is refused: output folders are never
    mixed, and a user's files are never deleted.

    Raises:
        SimError: ``out`` holds files that no flight run wrote.
    """
    import shutil

    if out.exists() and any(out.iterdir()):
        if not (out / ".flight-run").is_file():
            raise SimError("the folder holds files that are not a flight run's: give an empty or new --out", str(out))
        foreign = sorted(p.name for p in out.iterdir() if p.name not in _OURS)
        if foreign:
            raise SimError(f"the folder of a former flight run also holds {', '.join(foreign[:3])}: give another --out",
                           str(out))
        for name in _OURS:
            path = out / name
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            elif path.exists() or path.is_symlink():
                path.unlink()
    out.mkdir(parents=True, exist_ok=True)
    (out / ".flight-run").write_text("a flight run's folder: ercot-sim flight run replaces what it wrote here\n",
                                     encoding="utf-8")
