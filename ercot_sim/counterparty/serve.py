"""One side of a market split at a party, in its own process, exchanging every delivery
window's files with the other side over a folder pair, in lockstep.

``ercot-sim serve SCENARIO --under-test DUNS`` runs the market without the party; ``ercot-sim
serve SCENARIO --as DUNS`` runs the party alone (the project's own logic as the system under
test). Under ``EXCHANGE/<party DUNS>/``, files to the party go to ``outbox/`` and files from it
to ``inbox/``, each written whole (temp + rename). The protocol per delivery window (sim
minute ``M``), on both sides: write the window's files for the other side, then an empty-named
marker ``.window-M`` listing them; wait for the other side's ``.window-M``; read the files it
lists (only their bytes cross), deliver them with this window's own deliveries, owe them their
997s; file them in ``processed/``. A system under test that is not a market keeps the same
protocol: drop the window's files, then the marker.

Together the two sides write exactly the files one market writes (``tests/test_serve.py``
runs both as processes and compares them byte for byte), as in-process
:mod:`ercot_sim.counterparty.lockstep` does.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from ercot_sim.counterparty.config import EdmSecurity
from ercot_sim.counterparty.intake import route_check
from ercot_sim.counterparty.live import EdmLive, FolderLive
from ercot_sim.counterparty.windows import EdmLockstep, FolderLockstep
from ercot_sim.errors import SimError
from ercot_sim.market.builder import Market, build_market, plan, results
from ercot_sim.market.simtime import Clock
from ercot_sim.market.timing_bridge import load_market_rules
from ercot_sim.output.trace import Trace
from ercot_sim.scenario import Scenario

__all__ = ["serve_side"]


def serve_side(scenario: Scenario, out: Path, exchange: Path, party: str, side: str,
               rules: Path | None = None, timeout: float = 120, transport: str = "folders", listen: int = 0,
               peer_url: str = "", secret: str = "lockstep", host: str = "127.0.0.1",
               on_ready: Callable[[str], None] | None = None,
               speed: float = 0, stepped: bool = False,
               retry_seconds: tuple[float, float] = (60.0, 300.0),
               security: EdmSecurity | None = None) -> tuple[Market, Link]:
    """Run one side to the end (see the module docstring); ``party`` is a DUNS, or ``ROLE:DUNS``
    (``CR:223456789``: the role is checked against the scenario). With ``transport="edm"`` the sides
    exchange over NAESB EDM (:class:`EdmLockstep`): this side's receiver listens on ``listen``,
    keeps its store in ``exchange``, and posts to ``peer_url``; ``on_ready`` is told its URL
    once it listens (the port chosen when ``listen`` is 0); ``security`` gives HTTPS and
    OpenPGP sealing. With ``speed`` or ``stepped`` (the
    market side) the market keeps its own time for a party that keeps no window protocol
    (:mod:`ercot_sim.counterparty.live`).

    Raises:
        SimError: the party is not in the scenario, the latency is under a minute, or the
            other side does not answer a window in ``timeout`` seconds.
    """
    info = scenario.scenario
    parts = scenario.participants
    roles = {parts.ercot.duns: "ERCOT", **{t.duns: "TDSP" for t in parts.tdsps}, **{c.duns: "CR" for c in parts.crs}}
    everyone = set(roles)
    role, _, party = party.rpartition(":")
    if party not in everyone:
        raise SimError(f"{party} is not a participant of scenario {info.name}")
    if role and role.upper() != roles[party]:
        raise SimError(f"{party} is a {roles[party]} in scenario {info.name}, not a {role}")
    if scenario.transport.latency_minutes < 1:
        raise SimError("serve needs a transport latency of at least a minute (files cross between windows)")
    live = speed > 0 or stepped
    if live and side != "market":
        raise SimError("--speed, --wall and --step are for the market side (--under-test): the party keeps its "
                       "own time")
    if transport not in ("folders", "edm"):
        raise SimError(f"unknown transport {transport!r}: folders or edm")
    if transport == "edm" and not peer_url:
        raise SimError("serve over EDM needs the other side's receiver (--peer URL)")
    _claim(Path(out), {"scenario": info.name, "party": party, "side": side, "transport": transport,
                       "exchange": str(Path(exchange).resolve())})
    remote = frozenset({party}) if side == "market" else frozenset(everyone - {party})
    local = frozenset(everyone - remote)
    clock = Clock(info.start)
    timing, market_rules = load_market_rules(rules, clock)
    Path(out).mkdir(parents=True, exist_ok=True)
    market = build_market(scenario, Path(out), clock, timing, market_rules, (0, 1), remote)
    trace = market.trace
    latency = scenario.transport.latency_minutes
    ercot = scenario.participants.ercot.duns
    market_side = [ercot, *sorted(everyone - {party, ercot})]
    try:
        link = _make_link(Path(out), Path(exchange), party, side, transport, live, market_side, remote, local,
                          latency, timeout, listen, host, peer_url, secret, trace, clock, speed, stepped,
                          retry_seconds, security)
    except ValidationError as exc:  # an EDM setting the receiver's configuration refuses
        first = exc.errors()[0]
        raise SimError(f"EDM settings: {'.'.join(map(str, first['loc']))}: {first['msg']}") from None
    if on_ready is not None and isinstance(link, (EdmLive, EdmLockstep)):
        on_ready(link.server.url)
    from ercot_sim.liveness import claimer_id

    trace.serve_state(party=party, side=side, transport=transport, state="running", now="0", at=clock.iso(0),
                      exchange=str(Path(exchange).resolve()), pid=claimer_id(),
                      clock=" ".join([*(["stepped"] if stepped else []), *([f"{speed:g} min/s"] if speed else [])])
                      or "lockstep")
    link.route = route_check(market)
    market.transport.link = link
    if isinstance(link, (EdmLive, FolderLive)):
        market.transport.on_window = link.pacer.wait
    plan(market, None)
    try:
        market.env.run(until=market.horizon)
        if isinstance(link, (EdmLive, FolderLive)):
            link.finish()
    except BaseException as exc:  # the operator's view says why it stopped (a kill -9 it cannot)
        trace.serve_state(state=f"stopped: {exc}" if isinstance(exc, SimError) else f"stopped: {type(exc).__name__}")
        raise
    finally:
        link.close()
    results(market, (0, 1))  # the trace's orders, registry and completion record
    return market, link


if TYPE_CHECKING:
    from typing import TypeAlias

    #: the link a serving side runs with
    Link: TypeAlias = FolderLockstep | EdmLockstep | FolderLive | EdmLive


def _make_link(out: Path, exchange: Path, party: str, side: str, transport: str, live: bool, market_side: list[str],
               remote: frozenset[str], local: frozenset[str], latency: int, timeout: float, listen: int, host: str,
               peer_url: str, secret: str, trace: Trace, clock: Clock, speed: float, stepped: bool,
               retry_seconds: tuple[float, float], security: EdmSecurity | None) -> Link:
    """The link of a serving side: lockstep or live, over folders or EDM."""
    if transport == "edm" and live:
        return EdmLive(out, exchange, market_side, party, peer_url, listen, host, secret, latency, trace, clock, speed,
                       stepped, retry_seconds, security)
    if transport == "edm":
        own, peer = (market_side, [party]) if side == "market" else ([party], market_side)
        return EdmLockstep(out, exchange, own, peer, peer_url, listen, secret, latency, timeout, host, trace, clock,
                           security)
    if live:
        return FolderLive(out, exchange, party, remote, latency, local, trace, clock, speed, stepped)
    return FolderLockstep(out, exchange, party, side, remote, latency, timeout, local, trace, clock)


def _claim(out: Path, run: dict[str, str]) -> None:
    """Make ``out`` this side's folder, or find it is already (the same command started again
    after a kill: it replays there).

    Raises:
        SimError: ``out`` holds something else (another run's side, or files that are not a
            serving side's): output folders are never mixed, and nothing there is deleted.
    """
    import json

    record = out / ".serve" / "run.json"
    if record.is_file():
        try:
            was = json.loads(record.read_text(encoding="utf-8"))
        except ValueError:
            was = {}
        if was != run:
            raise SimError(f"it is the folder of another serving side ({', '.join(f'{k} {v}' for k, v in was.items())}"
                           "): give another --out", str(out))
        return
    if out.exists() and any(out.iterdir()):
        raise SimError("the folder holds files that are not a serving side's: give an empty or new --out", str(out))
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps(run, sort_keys=True) + "\n", encoding="utf-8")
