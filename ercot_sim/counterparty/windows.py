"""The two links of a market split at a party that keep the window protocol (lockstep): each
delivery window, each side hands the other the window's files and a list of them, and waits
for the other's list before the window's deliveries (:class:`FolderLockstep` over a folder
pair, :class:`EdmLockstep` over NAESB EDM 1.6 posts). See :mod:`ercot_sim.counterparty.serve`
for the protocol and :mod:`ercot_sim.counterparty.live` for a party that keeps none."""

from __future__ import annotations

import os
import time
from pathlib import Path

from ercot_sim.counterparty.config import EdmSecurity
from ercot_sim.counterparty.intake import NAME, Route, intake, keep, merge, write_whole
from ercot_sim.errors import SimError
from ercot_sim.market.simtime import Clock
from ercot_sim.market.transport import Acks, Deliveries
from ercot_sim.output.trace import Trace

__all__ = ["EdmLockstep", "FolderLockstep"]


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
        local: the DUNS this side plays.
        trace, clock: this side's trace (files taken in and transport events go there) and clock.
    """

    def __init__(self, out: Path, exchange: Path, party: str, side: str, remote: frozenset[str], latency: int,
                 timeout: float, local: frozenset[str], trace: Trace, clock: Clock) -> None:
        base = Path(exchange) / party
        self.trace, self.clock = trace, clock
        #: where a message from the other side may go (:func:`~ercot_sim.counterparty.intake.route_check`)
        self.route: Route | None = None
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

    def _put(self, name: str, data: bytes, now: int, receiver: str = "") -> None:
        """Hand the other side a file, once: a side started again after a kill replays its
        windows from the start and writes the same bytes; what was handed over already (waiting,
        or filed by the other side) is not handed over again."""
        if (self.send / name).exists() or (self.peer_filed / name).exists():
            return
        write_whole(self.send / name, data)
        if receiver:
            self.trace.transport_event(self.clock.iso(now), "out", "handed-over", receiver, name)

    def __call__(self, now: int, deliveries: Deliveries, acks: Acks) -> None:
        names = []
        for receiver in sorted(deliveries):
            if receiver in self.remote:
                for rel, _msgs in deliveries[receiver]:
                    self._put(Path(rel).name, (self.out / rel).read_bytes(), now, receiver)
                    names.append(Path(rel).name)
        for name, data in self.answers:
            self._put(name, data, now, "answer")
            names.append(name)
        self.answers = []
        self._put(f".window-{now}", "".join(n + "\n" for n in names).encode(), now)
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
            if not NAME.fullmatch(name) or name in listed:
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
        self.trace.serve_state(now=str(now), at=self.clock.iso(now))
        self.trace.write_window()

    def _take_in(self, path: Path, now: int, deliveries: Deliveries, acks: Acks) -> str:
        """Validate a file the other side sent and merge what it gives into this window; its
        acknowledgement, if it has errors, goes with the next window. Returns why it was refused."""
        got = intake(path, now, self.latency, self.remote, self.local, self.route)
        rel = keep(self.trace, self.clock, self.out, path, path.name, got, now, self.latency)
        merge(deliveries, acks, rel, got.messages, got.owed)
        if got.answer:
            self.answers.append((f"{path.stem}.{now}.ack.x12", got.answer.encode("ascii")))
        return got.refused

    def _file(self, path: Path, refused: str) -> None:
        """Move a file taken in to ``processed/<side>/``, or to ``rejected/<side>/`` with why."""
        if refused:
            os.replace(path, self.rejected / path.name)
            (self.rejected / f"{path.name}.reason.txt").write_text(refused + "\n", encoding="utf-8")
        else:
            os.replace(path, self.filed / path.name)

    def close(self) -> None:
        """Nothing to release (the folders stay as they are)."""

    def _refuse(self, now: int, why: str) -> None:
        """Record what a window's marker asked that cannot be done (the run goes on)."""
        with open(self.rejected / f"window-{now}.reason.txt", "a", encoding="utf-8") as out:
            out.write(why + "\n")
        self.trace.transport_event(self.clock.iso(now), "in", "refused", "", f".window-{now}", why)



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
        latency, timeout, trace, clock: as :class:`FolderLockstep`.
    """

    def __init__(self, out: Path, folder: Path, own: list[str], peer: list[str], peer_url: str, port: int,
                 secret: str, latency: int, timeout: float, host: str, trace: Trace, clock: Clock,
                 security: EdmSecurity | None = None) -> None:
        from ercot_sim.counterparty.config import EdmConfig, EdmSettings, Partner
        from ercot_sim.counterparty.server import ServerThread
        from ercot_sim.counterparty.store import EdmStore

        security = security or EdmSecurity()
        config = EdmConfig(
            edm=EdmSettings.model_validate({"duns": own[0], "also": own[1:], "server_id": "lockstep",
                                            **security.settings()}),
            partner=[Partner.model_validate({"duns": d, "login": d, "password": secret, **security.partner()})
                     for d in peer])
        #: (our secret key, the other side's public key) when input-data is sealed both ways
        self.sealing = config.sealing(peer[0])
        self.ca_file = str(security.ca_file) if security.ca_file else None
        from ercot_sim.counterparty.client import Poster

        self.server = ServerThread(Path(folder), config, host=host, port=port, ssl_cert=security.cert,
                                   ssl_key=security.key)
        self.poster = Poster(timeout)
        self.reader = EdmStore(Path(folder), "lockstep")
        self.out, self.own, self.peer, self.peer_url, self.secret = Path(out), own, peer, peer_url, secret
        self.trace, self.clock = trace, clock
        self.route: Route | None = None
        self.remote = frozenset(peer)
        self.latency, self.timeout = latency, timeout
        self.seen = 0  # the last inbound post looked at
        self.windows = 0
        #: acknowledgements of posts with errors, posted with the next window's files
        self.answers: list[Path] = []
        #: the posts delivered so far (a window post cannot deliver one twice)
        self.taken: set[str] = set()

    def _post(self, path: Path, sender: str, receiver: str, now: int, input_format: str = "X12") -> str:
        """Post a file, waiting for the other side's receiver to be up; its trans-id."""
        from ercot_sim.errors import CounterpartyError

        waited = 0.0
        at = self.clock.iso(now)
        while True:
            try:
                receipt = self.poster.post(self.peer_url, path, sender=sender, receiver=receiver, login=sender,
                                           password=self.secret, input_format=input_format, ca_file=self.ca_file,
                                           sealing=self.sealing)
            except CounterpartyError as exc:
                if waited > self.timeout:
                    self.trace.transport_event(at, "out", "exchange-failure", receiver, path.name, str(exc))
                    self.trace.write_window()
                    raise
                time.sleep(0.05)
                waited += 0.05
                continue
            if not receipt.ok:
                self.trace.transport_event(at, "out", "refused", receiver, path.name, receipt.status)
                self.trace.write_window()
                raise SimError(f"the other side refused {path.name}: {receipt.status}")
            if input_format == "X12":
                self.trace.transport_event(at, "out", "receipted", receiver, path.name, receipt.trans_id or "")
            return receipt.trans_id

    def __call__(self, now: int, deliveries: Deliveries, acks: Acks) -> None:
        ids = []
        for receiver in sorted(deliveries):
            if receiver in self.remote:
                for rel, _msgs in deliveries[receiver]:
                    sender = Path(rel).name.split("_", 1)[0]
                    ids.append(self._post(self.out / rel, sender, receiver, now))
        for ack_file in self.answers:
            ids.append(self._post(ack_file, self.own[0], self.peer[0], now))
        self.answers = []
        marker = self.out / ".edm" / f"window-{now}.ff"
        marker.parent.mkdir(exist_ok=True)
        write_whole(marker, f"window {now}\n{''.join(i + chr(10) for i in ids)}".encode())
        self._post(marker, self.own[0], self.peer[0], now, "FF")
        listed = self._wait(now)
        for tid in listed:
            path = self.reader.path_of(tid)
            if path is None or tid in self.taken:
                why = f"window {now} lists post {tid!r}: unknown, or taken already"
                self.reader.event("in", "refused", "", why)
                self.trace.transport_event(self.clock.iso(now), "in", "refused", "", "", why)
                continue
            self.taken.add(tid)
            got = intake(path, now, self.latency, self.remote, frozenset(self.own), self.route)
            rel = keep(self.trace, self.clock, self.out, path, f"{tid}.x12", got, now, self.latency)
            merge(deliveries, acks, rel, got.messages, got.owed)
            if got.answer:
                saved = self.out / ".edm" / f"{tid}.ack.x12"
                write_whole(saved, got.answer.encode("ascii"))
                self.answers.append(saved)
            if got.refused:
                self.reader.event("in", "refused", "", f"{tid}: {got.refused}")
        acks.sort(key=lambda a: (a[1], a[0]))
        self.windows += 1
        self.trace.serve_state(now=str(now), at=self.clock.iso(now))
        self.trace.write_window()

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
