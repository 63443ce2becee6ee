"""The market against a system that keeps no window protocol: the market keeps its own time
(the wall clock, accelerated, or stepped by an operator), hands the party each window's files
when the window comes, and takes in at each window whatever the party has sent since.

* :class:`Pacer`: when window ``M`` may run (the transport asks before it makes the window's
  files: ``Transport.on_window``). ``speed`` simulated minutes per wall second
  (``1/60``: the wall clock), and/or stepped: no window past the minute an operator released
  (``ercot-sim advance``, written to ``OUT/.serve/release``).
* :class:`Journal`: ``OUT/.serve/journal``, one line per file handed over or taken in, with the
  window. A market killed and started again with the same command replays its windows at full
  speed, takes in exactly what it had taken in at the same windows, and hands nothing over twice
  (the simulation is deterministic given its inputs); then it goes on live.
* :class:`FolderLive`: the folder pair (``EXCHANGE/<party>/outbox``, ``inbox``, ``processed``).
* :class:`EdmLive`: NAESB EDM 1.6: the market's receiver takes the party's posts; each window's
  files are posted to the party's receiver, a post that gets no receipt is tried again at later
  windows (``retry_seconds`` apart) and after the third attempt is an exchange failure:
  recorded, shown by ``ercot-sim status``, and sent again by ``ercot-sim edm resend`` with the
  configuration serve writes (``EXCHANGE/edm.toml``).

The timing follows the clock, so two live runs are not the same bytes; a replay after a kill
is.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from ercot_sim.counterparty.config import EdmSecurity
from ercot_sim.counterparty.intake import Route, intake, keep, merge, write_whole
from ercot_sim.counterparty.windows import FolderLockstep
from ercot_sim.errors import SimError
from ercot_sim.market.simtime import Clock
from ercot_sim.market.transport import Acks, Deliveries
from ercot_sim.output.trace import Trace

__all__ = ["EdmLive", "FolderLive", "Journal", "Pacer", "read_release", "write_release"]

#: where a stepped market reads how far it may run (a simulated minute), under ``OUT``
RELEASE = Path(".serve") / "release"


def read_release(out: Path) -> int | None:
    """The minute a stepped market in ``out`` may run to (None: nothing released yet)."""
    try:
        return int((Path(out) / RELEASE).read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None


def write_release(out: Path, minute: int) -> None:
    """Let a stepped market in ``out`` run to ``minute``."""
    path = Path(out) / RELEASE
    path.parent.mkdir(parents=True, exist_ok=True)
    write_whole(path, f"{minute}\n".encode("ascii"))


class Pacer:
    """When a window may run (see the module docstring).

    Args:
        out: the run folder (the stepped clock's release is there).
        speed: simulated minutes per wall second (0: as fast as released).
        stepped: wait for the operator's release.
        trace: the serving trace (``serve`` state: ``released``, ``waiting``).
        replay_until: windows before this minute are a replay: they run at once.
    """

    def __init__(self, out: Path, speed: float, stepped: bool, trace: Trace, replay_until: int = -1) -> None:
        self.out, self.speed, self.stepped, self.trace = Path(out), speed, stepped, trace
        self.replay_until = replay_until
        self._base: tuple[float, int] | None = None  # (wall time, minute) of the first live window

    def wait(self, now: int) -> None:
        """Return when window ``now`` may run."""
        if now < self.replay_until:
            return
        if self.speed > 0:
            if self._base is None:
                self._base = (time.monotonic(), now)
            due = self._base[0] + (now - self._base[1]) / self.speed
            if due > time.monotonic():
                time.sleep(due - time.monotonic())
        if self.stepped:
            released = read_release(self.out)
            if released is not None and released >= now:
                return
            self.trace.serve_state(waiting=str(now), released=str(released if released is not None else ""))
            while released is None or released < now:
                time.sleep(0.02)
                released = read_release(self.out)
            self.trace.serve_state(waiting="", released=str(released))
            self._base = (time.monotonic(), now)  # after a pause the pace starts again from here


class Journal:
    """``OUT/.serve/journal``: what a live market handed over and took in, window by window
    (lines ``out <minute> <name>`` and ``in <minute> <name>``, each flushed to disk before the
    hand-over or filing it records, and ``win <minute> -`` when a window is done: a market
    started again replays every window up to the last line's at full speed)."""

    def __init__(self, out: Path) -> None:
        self.path = Path(out) / ".serve" / "journal"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.handed: set[str] = set()
        self.taken: dict[int, list[str]] = {}
        self.last = -1
        if self.path.exists():
            data = self.path.read_bytes()
            whole = data[:data.rfind(b"\n") + 1]
            if len(whole) != len(data):  # a last line a crash cut short: its hand-over or filing never came
                with open(self.path, "r+b") as f:
                    f.truncate(len(whole))
            for line in whole.decode("utf-8", "replace").splitlines():
                parts = line.split(" ", 2)
                if len(parts) != 3 or not parts[1].isdigit():
                    continue
                kind, minute, name = parts[0], int(parts[1]), parts[2]
                self.last = max(self.last, minute)
                if kind == "out":
                    self.handed.add(name)
                elif kind == "in":
                    self.taken.setdefault(minute, []).append(name)
        self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - open for the run

    def record(self, kind: str, minute: int, name: str) -> None:
        self._file.write(f"{kind} {minute} {name}\n")
        self._file.flush()
        os.fsync(self._file.fileno())
        if kind == "out":
            self.handed.add(name)

    def close(self) -> None:
        self._file.close()


class _LiveWindows:
    """What every live link does when a window is done."""

    trace: Trace
    clock: Clock
    journal: Journal
    windows: int
    last_window: int

    def _window_done(self, now: int, acks: Acks) -> None:
        """Order the window's 997s as one market does, record the clock, write the trace, and
        journal the window as done (a restart replays to here)."""
        acks.sort(key=lambda a: (a[1], a[0]))
        self.windows += 1
        self.trace.serve_state(now=str(now), at=self.clock.iso(now))
        self.trace.write_window()
        self.journal.record("win", now, "-")
        self.last_window = now


class FolderLive(FolderLockstep, _LiveWindows):
    """The folder pair for a system that keeps no window protocol (see the module docstring):
    each window's files for the party are written to ``outbox/`` when the window comes, and
    whatever the party has renamed into ``inbox/`` since is taken in (validated and answered as
    in lockstep; hidden names and ``.tmp`` / ``.part`` are writes in progress)."""

    def __init__(self, out: Path, exchange: Path, party: str, remote: frozenset[str], latency: int,
                 local: frozenset[str], trace: Trace, clock: Clock, speed: float, stepped: bool) -> None:
        super().__init__(out, exchange, party, "market", remote, latency, 0, local, trace, clock)
        self.journal = Journal(out)
        self.pacer = Pacer(out, speed, stepped, trace, self.journal.last)
        self.last_window = 0

    def _hand_over(self, name: str, data: bytes, now: int, receiver: str) -> None:
        """Write a file for the party once: temp, journal, rename (a kill between the journal
        line and the rename is finished on the replay)."""
        final, temp = self.send / name, self.send / f".{name}.live.part"
        if name in self.journal.handed:
            if temp.exists():
                os.replace(temp, final)
            return
        with open(temp, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        self.journal.record("out", now, name)
        os.replace(temp, final)
        self.trace.transport_event(self.clock.iso(now), "out", "handed-over", receiver, name)

    def __call__(self, now: int, deliveries: Deliveries, acks: Acks) -> None:
        for receiver in sorted(deliveries):
            if receiver in self.remote:
                for rel, _msgs in deliveries[receiver]:
                    self._hand_over(Path(rel).name, (self.out / rel).read_bytes(), now, receiver)
        for name, data in self.answers:
            self._hand_over(name, data, now, "answer")
        self.answers = []
        for name in self.journal.taken.get(now, []):  # a replay: what was taken in at this window
            # where it was filed first: a file of the same name in inbox/ is a later one (unless the
            # kill came between the journal line and the filing)
            path = next((p for p in (self.filed / name, self.rejected / name, self.receive / name) if p.exists()),
                        None)
            if path is None:
                raise SimError(f"{name}: taken in at minute {now} by the run being replayed, and gone from "
                               f"{self.receive.parent} (processed/ and rejected/ must be kept)", str(self.journal.path))
            refused = self._take_in(path, now, deliveries, acks)
            if path.parent == self.receive:
                self._file(path, refused)
        if now >= self.journal.last:
            for path in sorted(self.receive.iterdir()):
                name = path.name
                if not path.is_file() or name.startswith(".") or name.endswith((".tmp", ".part")):
                    continue
                if (self.filed / name).exists() or (self.rejected / name).exists():
                    os.replace(path, self.rejected / f"{name}.{now}")
                    self._refuse(now, f"{name}: a file of this name was taken in already; this one is {name}.{now}")
                    continue
                self.journal.record("in", now, name)
                self._file(path, self._take_in(path, now, deliveries, acks))
        self._window_done(now, acks)

    def finish(self) -> None:
        """Hand over the answers the last window left (nothing comes after it)."""
        for name, data in self.answers:
            self._hand_over(name, data, self.last_window, "answer")
        self.answers = []
        self.trace.write_window()

    def close(self) -> None:
        self.journal.close()


class EdmLive(_LiveWindows):
    """NAESB EDM 1.6 for a system that keeps no window protocol (see the module docstring).

    Args:
        out: the run folder.
        folder: the market's EDM folder (its receiver's store; ``edm.toml`` is written there).
        own: the DUNS the market plays (ERCOT first): its receiver takes posts addressed to them.
        party: the party's DUNS; it posts with login ``party`` and password ``secret``.
        peer_url: the party's receiver: each window's files are posted there.
        port, host: where the market's receiver listens.
        latency: the transport's latency in minutes.
        trace, clock: the market's trace and clock.
        speed, stepped: the clock (:class:`Pacer`).
        retry_seconds: wall seconds before the second and third attempt of a post.
    """

    def __init__(self, out: Path, folder: Path, own: list[str], party: str, peer_url: str, port: int, host: str,
                 secret: str, latency: int, trace: Trace, clock: Clock, speed: float, stepped: bool,
                 retry_seconds: tuple[float, float] = (60.0, 300.0), security: EdmSecurity | None = None) -> None:
        from ercot_sim.counterparty.client import Poster
        from ercot_sim.counterparty.config import EdmConfig, EdmSettings, Partner
        from ercot_sim.counterparty.server import ServerThread
        from ercot_sim.counterparty.store import EdmStore

        security = security or EdmSecurity()
        self.config = EdmConfig(
            edm=EdmSettings.model_validate({"duns": own[0], "also": own[1:], "server_id": "ercot-sim",
                                            "retry_seconds": list(retry_seconds), **security.settings()}),
            partner=[Partner.model_validate({"duns": party, "login": party, "password": secret, "url": peer_url,
                                             **security.partner()})])
        self.sealing = self.config.sealing(party)
        self.folder = Path(folder)
        self.server = ServerThread(self.folder, self.config, host=host, port=port, ssl_cert=security.cert,
                                   ssl_key=security.key)
        self.store = EdmStore(self.folder, "ercot-sim")  # this thread's connection (the receiver has its own)
        self.poster = Poster(self.config.edm.timeout_seconds)
        _write_config(self.folder / "edm.toml", self.config)
        self.out, self.own, self.party, self.peer_url, self.secret = Path(out), own, party, peer_url, secret
        self.remote, self.local = frozenset({party}), frozenset(own)
        self.latency, self.trace, self.clock = latency, trace, clock
        self.route: Route | None = None
        self.journal = Journal(out)
        self.pacer = Pacer(out, speed, stepped, trace, self.journal.last)
        self.retry_seconds = retry_seconds
        self.last_window = 0
        self.answers: list[Path] = []
        self.windows = 0
        self.seen = 0  # the last post looked at (posts taken in by a killed run are in the journal)
        self.taken_ids = {tid for names in self.journal.taken.values() for tid in names}
        #: outbound post id -> wall time of its next attempt
        self.next_try: dict[int, float] = {}
        self._posted = {str(o.path) for o in self.store.outbounds()}

    def _queue(self, path: Path, sender: str, now: int) -> None:
        """Record a file to post to the party (once: a replay finds it recorded)."""
        if str(path.resolve()) in self._posted:
            return
        row = self.store.queue(path, sender=sender, receiver=self.party, url=self.peer_url)
        self._posted.add(str(path.resolve()))
        self.next_try[row.id] = 0.0
        self.trace.transport_event(self.clock.iso(now), "out", "queued", self.party, path.name, f"#{row.id}")

    def _post_due(self, now: int) -> None:
        """One attempt for each post due: receipted, refused, tried again later, or after the
        third attempt an exchange failure."""
        from ercot_sim.counterparty.client import ATTEMPTS
        from ercot_sim.errors import CounterpartyError

        at = self.clock.iso(now)
        for out in self.store.outbounds():
            if out.state != "pending":
                continue
            due = self.next_try.setdefault(out.id, 0.0)
            if due > time.monotonic():
                continue
            sender = out.path.name.split("_", 1)[0] if out.path.name[:1].isdigit() else self.own[0]
            try:
                receipt = self.poster.post(out.url, out.path, sender=sender, receiver=self.party, login=sender,
                                           password=self.secret, ca_file=self.config.partner[0].ca_file,
                                           sealing=self.sealing)
                problem = "" if receipt.ok else receipt.status
            except CounterpartyError as exc:
                receipt, problem = None, str(exc)
            if receipt is not None and receipt.ok:
                self.store.attempt(out.id, trans_id=receipt.trans_id or "?", time_c=receipt.time_c)
                self.trace.transport_event(at, "out", "receipted", self.party, out.path.name, receipt.trans_id or "")
                continue
            refused = receipt is not None and not receipt.status.startswith("EEDM999")
            last = refused or out.attempts + 1 >= ATTEMPTS
            got = self.store.attempt(out.id, error=problem, failed=last)
            kind = "exchange-failure" if last else "retry"
            self.trace.transport_event(at, "out", kind, self.party, out.path.name,
                                       f"attempt {got.attempts}: {problem}")
            if not last:
                self.next_try[out.id] = time.monotonic() + self.retry_seconds[min(got.attempts, 2) - 1]

    def __call__(self, now: int, deliveries: Deliveries, acks: Acks) -> None:
        for receiver in sorted(deliveries):
            if receiver in self.remote:
                for rel, _msgs in deliveries[receiver]:
                    self._queue(self.out / rel, Path(rel).name.split("_", 1)[0], now)
        for ack_file in self.answers:
            self._queue(ack_file, self.own[0], now)
        self.answers = []
        if now >= self.journal.last:
            self._post_due(now)
        for tid in self.journal.taken.get(now, []):  # a replay: what was taken in at this window
            self._take(tid, now, deliveries, acks, record=False)
        if now >= self.journal.last:
            for n, tid, fmt, _path in self.store.inbound_after(self.seen):
                self.seen = n
                if tid in self.taken_ids:
                    continue
                if fmt != "X12":
                    self.trace.transport_event(self.clock.iso(now), "in", "refused", self.party, tid,
                                               f"input-format {fmt}: only X12 is taken in")
                    continue
                self._take(tid, now, deliveries, acks, record=True)
        self._window_done(now, acks)

    def _take(self, tid: str, now: int, deliveries: Deliveries, acks: Acks, record: bool) -> None:
        path = self.store.path_of(tid)
        if path is None:
            raise SimError(f"post {tid}: taken in by the run being replayed, and not in the EDM store",
                           str(self.folder))
        if record:
            self.journal.record("in", now, tid)
            self.taken_ids.add(tid)
        got = intake(path, now, self.latency, self.remote, self.local, self.route)
        rel = keep(self.trace, self.clock, self.out, path, f"{tid}.x12", got, now, self.latency)
        merge(deliveries, acks, rel, got.messages, got.owed)
        if got.answer:
            saved = self.out / ".serve" / "answers" / f"{tid}.ack.x12"
            saved.parent.mkdir(parents=True, exist_ok=True)
            write_whole(saved, got.answer.encode("ascii"))
            self.answers.append(saved)

    def finish(self) -> None:
        """Post the answers the last window left, and keep posting what is pending until each is
        receipted or an exchange failure."""
        for ack_file in self.answers:
            self._queue(ack_file, self.own[0], self.last_window)
        self.answers = []
        while any(o.state == "pending" for o in self.store.outbounds()):
            self._post_due(self.last_window)
            time.sleep(0.05)
        self.trace.write_window()

    def close(self) -> None:
        self.poster.close()
        self.server.stop()
        self.store.close()
        self.journal.close()


def _write_config(path: Path, config: object) -> None:
    """The EDM configuration serve runs with, as a file ``ercot-sim edm resend`` reads (each
    post from its own sender, as serve posts it); readable by its owner only (it holds the
    password)."""
    from ercot_sim.counterparty.config import EdmConfig

    assert isinstance(config, EdmConfig)

    def text(value: str) -> str:  # a TOML basic string (JSON's escapes are TOML's)
        return json.dumps(value, ensure_ascii=False)

    e = config.edm
    lines = ["[edm]", f"duns = {text(e.duns)}", f"also = [{', '.join(text(d) for d in e.also)}]",
             f"server_id = {text(e.server_id)}", f"retry_seconds = [{e.retry_seconds[0]}, {e.retry_seconds[1]}]"]
    if e.pgp_secret_key:
        lines.append(f"pgp_secret_key = {text(str(Path(e.pgp_secret_key).resolve()))}")
    lines.append("")
    for p in config.partner:
        lines += ["[[partner]]", f"duns = {text(p.duns)}", f"login = {text(p.login)}", f"password = {text(p.password)}",
                  f"url = {text(p.url or '')}", "post_from_sender = true", f"post_password = {text(p.password)}"]
        lines += [f"{k} = {text(str(Path(v).resolve()))}" for k, v in (("ca_file", p.ca_file),
                                                                      ("pgp_public_key", p.pgp_public_key)) if v]
        lines.append("")
    fd = os.open(path.with_name(path.name + ".part"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write("\n".join(lines))
    os.replace(path.with_name(path.name + ".part"), path)
