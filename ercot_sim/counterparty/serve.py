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

import os
import re
import time
from collections.abc import Callable
from pathlib import Path

from edi.x12 import iter_transactions
from ercot_sim.counterparty.inbound import read_messages
from ercot_sim.errors import SimError
from ercot_sim.market.builder import Market, build_market, plan, results
from ercot_sim.market.messages import Message
from ercot_sim.market.simtime import Clock
from ercot_sim.market.timing_bridge import load_market_rules
from ercot_sim.market.transport import Acks, Deliveries
from ercot_sim.scenario import Scenario

__all__ = ["EdmLockstep", "FolderLockstep", "serve_side"]


#: a file name the exchange folder holds: no path, not hidden
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,200}")


def _write_whole(path: Path, data: bytes) -> None:
    temp = path.with_name(f".{path.name}.{os.getpid()}.part")
    with open(temp, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temp, path)


def _acks_owed(path: Path) -> tuple[str, str, str, list[tuple[str, str, list[tuple[str, str]]]]]:
    """(receiver, sender, ISA13, (GS01, GS06, (ST01, ST02)...) per group but 997 groups) of a file:
    the 997s its receiver owes, from its envelopes."""
    groups: dict[tuple[str, str], list[tuple[str, str]]] = {}
    sender = receiver = isa = ""
    for txn in iter_transactions(path):
        sender, receiver, isa = txn.gs.get(2).strip(), txn.gs.get(3).strip(), txn.isa.get(13).strip()
        fid = txn.gs.get(1).strip()
        if fid != "FA":
            groups.setdefault((fid, txn.gs.get(6).strip()), []).append((txn.st01, txn.control))
    return receiver, sender, isa, [(fid, gctl, sets) for (fid, gctl), sets in groups.items()]


def _merge(deliveries: Deliveries, acks: Acks, rel: str, msgs: list[Message],
           owed: tuple[str, str, str, list[tuple[str, str, list[tuple[str, str]]]]] | None) -> None:
    """Put a file taken in among this window's deliveries, in the order one market delivers
    them (by sender), and the 997s the transport owes it among the window's."""
    if owed is not None and owed[3]:
        acks.append(owed)
    if msgs:
        receiver = msgs[0].receiver
        deliveries.setdefault(receiver, []).append((rel, msgs))
        deliveries[receiver].sort(key=lambda f: Path(f[0]).name.split("_", 1)[0])


def _received(path: Path, now: int, latency: int) -> list[Message]:
    """The messages of a file the other side wrote at window ``now``, as this side receives
    them: read from its bytes, sent at ``now``, arriving ``latency`` minutes later."""
    out = []
    for got in read_messages(path):
        m = got.message
        m.ready, m.sent_at, m.received_at = now, now, now + latency
        out.append(m)
    return out


def _intake(path: Path, now: int, latency: int, senders: frozenset[str], receivers: frozenset[str]
            ) -> tuple[list[Message], tuple[str, str, str, list[tuple[str, str, list[tuple[str, str]]]]] | None,
                       str, str]:
    """Take in a file the other side sent: (its messages, the 997s owed by the transport, an
    acknowledgement to send back instead, why it was refused).

    A clean file (no error by the X12 standard or the Texas SET guides) gives its messages and
    the 997s the transport owes it, as one market would. A file with errors gives the messages
    of its clean transaction sets only, and its acknowledgement as the validator writes it (TA1
    for envelope errors, a 997 rejecting the sets with errors) to send back; a file that is not
    X12 at all gives nothing but the reason.
    """
    from edi.ack import build_997
    from edi.errors import EdiError
    from edi.validate import validate
    from ercot_sim.errors import CounterpartyError

    try:
        report = validate(path)
        routes = {(t.isa.get(13).strip(), t.gs.get(2).strip(), t.gs.get(3).strip()) for t in iter_transactions(path)}
    except EdiError as exc:
        return [], None, "", f"not an X12 interchange: {exc}"
    if len({isa for isa, _s, _r in routes}) > 1:
        return [], None, "", "more than one interchange in the file (one file is one interchange here)"
    for _isa, sender, receiver in routes:
        if sender not in senders or receiver not in receivers:
            return [], None, "", (f"a group from {sender} to {receiver}: the other side sends from "
                                  f"{', '.join(sorted(senders))} to {', '.join(sorted(receivers))}")
    errors = [f for f in report.findings if f.severity == "error"]
    if not errors:
        return _received(path, now, latency), _acks_owed(path), "", ""
    bad = {f.location.st_control for f in errors}
    try:
        ack = build_997(report, path, layers=("x12", "texas-set"))
    except EdiError as exc:
        return [], None, "", f"not an X12 interchange: {exc}"
    if "" in bad:  # an envelope error: nothing of the interchange is taken in
        return [], None, ack, f"envelope: {errors[0]}"
    try:
        good = [g.message for g in read_messages(path, skip=bad)]
    except CounterpartyError as exc:
        return [], None, ack, str(exc)
    for m in good:
        m.ready, m.sent_at, m.received_at = now, now, now + latency
    return good, None, ack, f"{len(bad)} transaction set(s) with errors: {errors[0]}"


class FolderLockstep:
    """The link of one side's transport (see the module docstring).

    Args:
        out: this side's run folder (its files are read from there).
        exchange: the folder the two sides share.
        party: the party's DUNS.
        side: ``market`` (everyone but the party) or ``party``.
        remote: the DUNS the other side plays.
        latency: the transport's latency (sent -> received) in minutes.
        timeout: seconds to wait for the other side's window.
    """

    def __init__(self, out: Path, exchange: Path, party: str, side: str, remote: frozenset[str], latency: int,
                 timeout: float = 120, local: frozenset[str] = frozenset()) -> None:
        base = Path(exchange) / party
        self.out = Path(out)
        self.send = base / ("outbox" if side == "market" else "inbox")
        self.receive = base / ("inbox" if side == "market" else "outbox")
        self.filed = base / "processed" / side
        #: where the other side files what this side sent (a replayed window's files are there)
        self.peer_filed = base / "processed" / ("party" if side == "market" else "market")
        self.rejected = base / "rejected" / side
        #: acknowledgements of files with errors, handed over with the next window's files
        self.answers: list[tuple[str, bytes]] = []
        for folder in (self.send, self.receive, self.filed, self.peer_filed, self.rejected):
            folder.mkdir(parents=True, exist_ok=True)
        self.side, self.remote, self.latency, self.timeout = side, remote, latency, timeout
        #: the DUNS this side plays (what a file from the other side may be addressed to)
        self.local = local
        self.windows = 0

    def _put(self, name: str, data: bytes) -> None:
        """Hand the other side a file, once: a side started again after a kill replays its
        windows from the start and writes the same bytes; what was handed over already (waiting,
        or filed by the other side) is not handed over again."""
        if (self.send / name).exists() or (self.peer_filed / name).exists():
            return
        _write_whole(self.send / name, data)

    def __call__(self, now: int, deliveries: Deliveries, acks: Acks) -> None:
        names = []
        for receiver in sorted(deliveries):
            if receiver in self.remote:
                for rel, _msgs in deliveries[receiver]:
                    self._put(Path(rel).name, (self.out / rel).read_bytes())
                    names.append(Path(rel).name)
        for name, data in self.answers:
            self._put(name, data)
            names.append(name)
        self.answers = []
        self._put(f".window-{now}", "".join(n + "\n" for n in names).encode())
        marker = self.receive / f".window-{now}"
        waited = 0.0
        while not marker.exists() and not (self.filed / marker.name).exists():
            if waited > self.timeout:
                other = "the party (ercot-sim serve --as)" if self.side == "market" else "the market (--under-test)"
                raise SimError(f"no window {now} from {other} in {self.timeout:g} s", str(self.receive))
            time.sleep(0.005)
            waited += 0.005
        text = (marker if marker.exists() else self.filed / marker.name).read_bytes().decode("utf-8", "replace")
        listed: list[str] = []
        for name in text.split():
            if not _NAME.fullmatch(name) or name in listed:
                self._refuse(now, f"{name!r}: not a file name of the exchange folder, or listed twice")
                continue
            listed.append(name)
        for name in listed:  # a window taken in before a kill: its files are filed already
            path = self.receive / name
            if path.exists() and ((self.filed / name).exists() or (self.rejected / name).exists()):
                os.replace(path, self.rejected / f"{name}.{now}")
                self._refuse(now, f"{name}: a file of this name was taken in already; this one is {name}.{now}")
                continue
            if not path.exists():
                path = self.filed / name if (self.filed / name).exists() else self.rejected / name
            if not path.exists():
                self._refuse(now, f"{name}: listed but not in {self.receive}")
                continue
            refused = self._take_in(path, now, deliveries, acks)
            if path.parent == self.receive:
                self._file(path, refused)
        acks.sort(key=lambda a: (a[1], a[0]))
        if marker.exists():
            os.replace(marker, self.filed / marker.name)
        self.windows += 1

    def _take_in(self, path: Path, now: int, deliveries: Deliveries, acks: Acks) -> str:
        """Validate a file the other side sent and merge what it gives into this window; its
        acknowledgement, if it has errors, goes with the next window. Returns why it was refused."""
        msgs, owed, answer, refused = _intake(path, now, self.latency, self.remote, self.local)
        receiver = msgs[0].receiver if msgs else ""
        _merge(deliveries, acks, f"outbox/{receiver}/{path.name}", msgs, owed)
        if answer:
            self.answers.append((f"{path.stem}.{now}.ack.x12", answer.encode("ascii")))
        return refused

    def _file(self, path: Path, refused: str) -> None:
        """Move a file taken in to ``processed/<side>/``, or to ``rejected/<side>/`` with why."""
        if refused:
            os.replace(path, self.rejected / path.name)
            (self.rejected / f"{path.name}.reason.txt").write_text(refused + "\n", encoding="utf-8")
        else:
            os.replace(path, self.filed / path.name)

    def _refuse(self, now: int, why: str) -> None:
        """Record what a window's marker asked that cannot be done (the run goes on)."""
        with open(self.rejected / f"window-{now}.reason.txt", "a", encoding="utf-8") as out:
            out.write(why + "\n")



class EdmLockstep:
    """The same lockstep over NAESB EDM 1.6: each side runs an EDM receiver for the DUNS it
    plays and posts the window's files to the other's, each file from its sender's DUNS to its
    receiver's (HTTP Basic per DUNS, with ``secret``); then a flat-file post
    (``input-format=FF``) ``window <minute>`` listing the trans-ids of the window's receipts.
    It waits for the other side's window post in its own receiver's store and delivers the files
    it lists.

    Args:
        out: this side's run folder.
        folder: this side's EDM folder (its receiver's store).
        own: the DUNS this side plays, the one its window posts come from first.
        peer: the DUNS the other side plays, the one window posts go to first.
        peer_url: the other side's receiver.
        port: where this side's receiver listens.
        secret: the password of every DUNS's HTTP Basic login (the DUNS itself).
        latency, timeout: as :class:`FolderLockstep`.
    """

    def __init__(self, out: Path, folder: Path, own: list[str], peer: list[str], peer_url: str, port: int,
                 secret: str, latency: int, timeout: float = 120, host: str = "127.0.0.1") -> None:
        from ercot_sim.counterparty.config import EdmConfig, EdmSettings, Partner
        from ercot_sim.counterparty.server import ServerThread
        from ercot_sim.counterparty.store import EdmStore

        config = EdmConfig(edm=EdmSettings(duns=own[0], also=own[1:], server_id="lockstep"),
                           partner=[Partner(duns=d, login=d, password=secret) for d in peer])
        from ercot_sim.counterparty.client import Poster

        self.server = ServerThread(Path(folder), config, host=host, port=port)
        self.poster = Poster(timeout)
        self.reader = EdmStore(Path(folder), "lockstep")
        self.out, self.own, self.peer, self.peer_url, self.secret = Path(out), own, peer, peer_url, secret
        self.remote = frozenset(peer)
        self.latency, self.timeout = latency, timeout
        self.seen = 0  # the last inbound post looked at
        self.windows = 0
        #: acknowledgements of posts with errors, posted with the next window's files
        self.answers: list[Path] = []
        #: the posts delivered so far (a window post cannot deliver one twice)
        self.taken: set[str] = set()

    def _post(self, path: Path, sender: str, receiver: str, input_format: str = "X12") -> str:
        """Post a file, waiting for the other side's receiver to be up; its trans-id."""
        from ercot_sim.errors import CounterpartyError

        waited = 0.0
        while True:
            try:
                receipt = self.poster.post(self.peer_url, path, sender=sender, receiver=receiver, login=sender,
                                           password=self.secret, input_format=input_format)
            except CounterpartyError:
                if waited > self.timeout:
                    raise
                time.sleep(0.05)
                waited += 0.05
                continue
            if not receipt.ok:
                raise SimError(f"the other side refused {path.name}: {receipt.status}")
            return receipt.trans_id

    def __call__(self, now: int, deliveries: Deliveries, acks: Acks) -> None:
        ids = []
        for receiver in sorted(deliveries):
            if receiver in self.remote:
                for rel, _msgs in deliveries[receiver]:
                    sender = Path(rel).name.split("_", 1)[0]
                    ids.append(self._post(self.out / rel, sender, receiver))
        for ack_file in self.answers:
            ids.append(self._post(ack_file, self.own[0], self.peer[0]))
        self.answers = []
        marker = self.out / ".edm" / f"window-{now}.ff"
        marker.parent.mkdir(exist_ok=True)
        _write_whole(marker, f"window {now}\n{''.join(i + chr(10) for i in ids)}".encode())
        self._post(marker, self.own[0], self.peer[0], "FF")
        listed = self._wait(now)
        for tid in listed:
            path = self.reader.path_of(tid)
            if path is None or tid in self.taken:
                self.reader.event("in", "refused", "", f"window {now} lists post {tid!r}: unknown, or taken already")
                continue
            self.taken.add(tid)
            msgs, owed, answer, refused = _intake(path, now, self.latency, self.remote, frozenset(self.own))
            rel = f"outbox/{msgs[0].receiver}/{msgs[0].sender}_{tid}.x12" if msgs else ""
            _merge(deliveries, acks, rel, msgs, owed)
            if answer:
                saved = self.out / ".edm" / f"{tid}.ack.x12"
                _write_whole(saved, answer.encode("ascii"))
                self.answers.append(saved)
            if refused:
                self.reader.event("in", "refused", "", f"{tid}: {refused}")
        acks.sort(key=lambda a: (a[1], a[0]))
        self.windows += 1

    def _wait(self, now: int) -> list[str]:
        """The trans-ids the other side's window post for ``now`` lists."""
        waited = 0.0
        while True:
            for n, _tid, fmt, path in self.reader.inbound_after(self.seen):
                self.seen = n
                if fmt == "FF":
                    lines = path.read_bytes().decode("utf-8", "replace").splitlines()
                    if lines and lines[0] == f"window {now}":
                        return [ln for ln in lines[1:] if ln]
            if waited > self.timeout:
                raise SimError(f"no window {now} from the other side in {self.timeout:g} s", self.peer_url)
            time.sleep(0.005)
            waited += 0.005

    def close(self) -> None:
        self.poster.close()
        self.server.stop()
        self.reader.close()


class FolderLive(FolderLockstep):
    """The folder pair for a system that keeps no window protocol: the market runs on the wall
    clock, ``speed`` simulated minutes per second, writes each window's files for the party in
    ``outbox/`` when the window comes, and takes in at each window whatever the party has
    renamed into ``inbox/`` since (validated and answered as in lockstep; hidden names and
    ``.tmp`` / ``.part`` are writes in progress). Its timing follows the wall clock, so two runs
    are not the same bytes."""

    def __init__(self, out: Path, exchange: Path, party: str, remote: frozenset[str], latency: int,
                 local: frozenset[str], speed: float) -> None:
        super().__init__(out, exchange, party, "market", remote, latency, 0, local)
        self.speed = speed
        self.started = time.monotonic()

    def __call__(self, now: int, deliveries: Deliveries, acks: Acks) -> None:
        due = self.started + now / self.speed
        if due > time.monotonic():
            time.sleep(due - time.monotonic())
        for receiver in sorted(deliveries):
            if receiver in self.remote:
                for rel, _msgs in deliveries[receiver]:
                    self._put(Path(rel).name, (self.out / rel).read_bytes())
        for name, data in self.answers:
            self._put(name, data)
        self.answers = []
        for path in sorted(self.receive.iterdir()):
            name = path.name
            if not path.is_file() or name.startswith(".") or name.endswith((".tmp", ".part")):
                continue
            if (self.filed / name).exists() or (self.rejected / name).exists():
                os.replace(path, self.rejected / f"{name}.{now}")
                self._refuse(now, f"{name}: a file of this name was taken in already; this one is {name}.{now}")
                continue
            self._file(path, self._take_in(path, now, deliveries, acks))
        acks.sort(key=lambda a: (a[1], a[0]))
        self.windows += 1


def serve_side(scenario: Scenario, out: Path, exchange: Path, party: str, side: str,
               rules: Path | None = None, timeout: float = 120, transport: str = "folders", listen: int = 0,
               peer_url: str = "", secret: str = "lockstep", host: str = "127.0.0.1",
               on_ready: Callable[[str], None] | None = None,
               speed: float = 0) -> tuple[Market, FolderLockstep | EdmLockstep]:
    """Run one side to the end (see the module docstring). With ``transport="edm"`` the sides
    exchange over NAESB EDM (:class:`EdmLockstep`): this side's receiver listens on ``listen``,
    keeps its store in ``exchange``, and posts to ``peer_url``; ``on_ready`` is told its URL
    once it listens (the port chosen when ``listen`` is 0). With ``speed`` (folders, the market
    side) the market runs on the wall clock for a party that keeps no window protocol
    (:class:`FolderLive`).

    Raises:
        SimError: the party is not in the scenario, the latency is under a minute, or the
            other side does not answer a window in ``timeout`` seconds.
    """
    info = scenario.scenario
    everyone = {scenario.participants.ercot.duns, *(p.duns for p in scenario.participants.everyone())}
    if party not in everyone:
        raise SimError(f"{party} is not a participant of scenario {info.name}")
    if scenario.transport.latency_minutes < 1:
        raise SimError("serve needs a transport latency of at least a minute (files cross between windows)")
    remote = frozenset({party}) if side == "market" else frozenset(everyone - {party})
    clock = Clock(info.start)
    timing, market_rules = load_market_rules(rules, clock)
    Path(out).mkdir(parents=True, exist_ok=True)
    market = build_market(scenario, Path(out), clock, timing, market_rules, (0, 1), remote)
    latency = scenario.transport.latency_minutes
    link: FolderLockstep | EdmLockstep
    if transport == "edm":
        if not peer_url:
            raise SimError("serve over EDM needs the other side's receiver (--peer URL)")
        ercot = scenario.participants.ercot.duns
        market_side = [ercot, *sorted(everyone - {party, ercot})]
        own, peer = (market_side, [party]) if side == "market" else ([party], market_side)
        link = EdmLockstep(Path(out), Path(exchange), own, peer, peer_url, listen, secret, latency, timeout, host)
        if on_ready is not None:
            on_ready(link.server.url)
    elif transport == "folders" and speed > 0:
        if side != "market":
            raise SimError("--speed is for the market side (--under-test): the party keeps its own time")
        link = FolderLive(Path(out), exchange, party, remote, latency, frozenset(everyone - remote), speed)
    elif transport == "folders":
        link = FolderLockstep(Path(out), exchange, party, side, remote, latency, timeout, frozenset(everyone - remote))
    else:
        raise SimError(f"unknown transport {transport!r}: folders or edm")
    market.transport.link = link
    plan(market, None)
    try:
        market.env.run(until=market.horizon)
    finally:
        if isinstance(link, EdmLockstep):
            link.close()
    results(market, (0, 1))  # the trace's orders, registry and completion record
    return market, link
