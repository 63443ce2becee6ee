"""What an EDM endpoint received and sent, durably: SQLite (WAL) beside the files.

A folder holds one endpoint::

    DIR/edm.sqlite                      posts received and sent, and every transport event
    DIR/inbox/<sender DUNS>/<trans-id>.<x12|ff>    each file accepted, exactly once
    DIR/rejected/<event>.bin + .reason.txt         what a refused post carried, and why

A file is written under a temporary name, flushed and renamed into place before its row is
committed, and the receipt is only sent after both: a post whose receipt its sender never
got is answered again from the row (the same trans-id) when it is posted again, so a resend
is never stored twice; a file renamed into place whose row a crash lost is recorded when the
store is opened again (:meth:`EdmStore.recover`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ercot_sim.errors import CounterpartyError

__all__ = ["EdmStore", "Inbound", "Outbound"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS inbound (
    n INTEGER PRIMARY KEY,
    trans_id TEXT UNIQUE NOT NULL,
    sender TEXT NOT NULL,
    receiver TEXT NOT NULL,
    input_format TEXT NOT NULL,
    refnum TEXT,
    refnum_orig TEXT,
    time_c TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    path TEXT NOT NULL,
    posts INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX IF NOT EXISTS inbound_content ON inbound (sender, sha256);
CREATE UNIQUE INDEX IF NOT EXISTS inbound_refnum ON inbound (sender, refnum) WHERE refnum IS NOT NULL;
CREATE TABLE IF NOT EXISTS outbound (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    sender TEXT NOT NULL,
    receiver TEXT NOT NULL,
    url TEXT NOT NULL,
    refnum TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    trans_id TEXT NOT NULL DEFAULT '',
    time_c TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    direction TEXT NOT NULL,
    kind TEXT NOT NULL,
    partner TEXT NOT NULL,
    detail TEXT NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class Inbound:
    """A post accepted: its trans-id, sender, when it arrived, and where its file is."""

    trans_id: str
    sender: str
    time_c: str
    size: int
    path: Path
    posts: int


@dataclass(frozen=True, slots=True)
class Outbound:
    """A file we post to a partner, and how far it got."""

    id: int
    path: Path
    receiver: str
    url: str
    refnum: str
    state: str  # "pending", "receipted" or "failed" (an exchange failure)
    attempts: int
    last_error: str
    trans_id: str
    sender: str = ""


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class EdmStore:
    """An endpoint's folder (see the module docstring).

    Args:
        root: the folder; made when missing.
        server_id: prefix of the trans-ids it gives.
    """

    def __init__(self, root: Path, server_id: str = "ercot-sim") -> None:
        self.root = Path(root)
        self.server_id = server_id
        try:
            (self.root / "inbox").mkdir(parents=True, exist_ok=True)
            (self.root / "rejected").mkdir(exist_ok=True)
            (self.root / ".tmp").mkdir(exist_ok=True)
            self.db = sqlite3.connect(self.root / "edm.sqlite", isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise CounterpartyError(f"cannot use {self.root} as an EDM folder: {exc}") from None

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Statements committed together or not at all: a row and its event (a kill between
        them must not keep one without the other)."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # -- inbound ----------------------------------------------------------------------------------
    def temp_file(self) -> Path:
        """A fresh temporary path inside the folder (same file system as the inbox)."""
        fd_name = f"{os.getpid()}-{dt.datetime.now(dt.UTC).timestamp():.6f}-{id(self)}.part"
        return self.root / ".tmp" / fd_name

    def find_post(self, sender: str, sha256: str, refnum: str | None) -> tuple[Inbound | None, bool]:
        """A post of ``sender`` already stored with this content (a resend: answered with its
        receipt again), and whether ``refnum`` was already used for another file."""
        row = self.db.execute("SELECT trans_id, sender, time_c, size, path, posts FROM inbound "
                              "WHERE sender = ? AND sha256 = ?", (sender, sha256)).fetchone()
        same = _inbound(row) if row else None
        clash = False
        if refnum and same is None:
            clash = self.db.execute("SELECT 1 FROM inbound WHERE sender = ? AND refnum = ?",
                                    (sender, refnum)).fetchone() is not None
        return same, clash

    def repost(self, trans_id: str) -> None:
        """Count one more post of a stored file."""
        self.db.execute("UPDATE inbound SET posts = posts + 1 WHERE trans_id = ?", (trans_id,))

    def accept(self, temp: Path, *, sender: str, receiver: str, input_format: str, refnum: str | None,
               refnum_orig: str | None, time_c: str, sha256: str, size: int) -> Inbound:
        """Move a received file into the inbox and record it: its trans-id is
        ``<server-id>-<n>``, ``n`` counting the posts this folder accepted."""
        n = (self.db.execute("SELECT COALESCE(MAX(n), 0) FROM inbound").fetchone()[0] or 0) + 1
        trans_id = f"{self.server_id}-{n:010d}"
        folder = self.root / "inbox" / sender
        folder.mkdir(parents=True, exist_ok=True)
        final = folder / f"{trans_id}.{'x12' if input_format == 'X12' else 'ff'}"
        os.replace(temp, final)
        _fsync_dir(folder)
        with self.transaction():  # a kill before the commit: recover() records the file at the next start
            self.db.execute(
                "INSERT INTO inbound (n, trans_id, sender, receiver, input_format, refnum, refnum_orig, time_c, "
                "sha256, size, path) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (n, trans_id, sender, receiver, input_format, refnum, refnum_orig, time_c, sha256, size,
                 str(final.relative_to(self.root))))
            self.event("in", "accepted", sender, f"{trans_id} {size} bytes")
        return Inbound(trans_id, sender, time_c, size, final, 1)

    def reject(self, temp: Path | None, sender: str, reason: str) -> None:
        """Keep what a refused post carried, with why, and record the event."""
        seq = self.event("in", "refused", sender, reason)
        if temp is not None and temp.exists():
            os.replace(temp, self.root / "rejected" / f"{seq:08d}.bin")
            (self.root / "rejected" / f"{seq:08d}.reason.txt").write_text(reason + "\n", encoding="utf-8")

    def path_of(self, trans_id: str) -> Path | None:
        """Where the file of a post is (None: no such post)."""
        row = self.db.execute("SELECT path FROM inbound WHERE trans_id = ?", (trans_id,)).fetchone()
        return self.root / row[0] if row else None

    def inbound_after(self, n: int) -> list[tuple[int, str, str, Path]]:
        """Posts accepted after number ``n``: (n, trans-id, input format, path), in order."""
        rows = self.db.execute("SELECT n, trans_id, input_format, path FROM inbound WHERE n > ? ORDER BY n",
                               (n,)).fetchall()
        return [(r[0], r[1], r[2], self.root / r[3]) for r in rows]

    def inbound(self) -> list[Inbound]:
        """Every post accepted, in order."""
        rows = self.db.execute("SELECT trans_id, sender, time_c, size, path, posts FROM inbound ORDER BY n").fetchall()
        return [_inbound(r, self.root) for r in rows]

    def recover(self) -> int:
        """Record inbox files that a crash left without their row (renamed, not yet committed);
        drop half-received temporary files. Returns the files recorded."""
        known = {Path(r[0]).name for r in self.db.execute("SELECT path FROM inbound")}
        found = 0
        for path in sorted((self.root / "inbox").glob("*/*")):
            if path.name in known or not path.is_file():
                continue
            number = path.stem.rsplit("-", 1)[-1]
            if not path.stem.startswith(f"{self.server_id}-") or not number.isdigit():
                self.event("in", "stray", path.parent.name, f"{path.name}: not a post of this receiver, left alone")
                continue
            data = path.read_bytes()
            n = int(number)
            with self.transaction():
                self.db.execute(
                    "INSERT OR IGNORE INTO inbound (n, trans_id, sender, receiver, input_format, time_c, sha256, "
                    "size, path) VALUES (?, ?, ?, '', ?, '', ?, ?, ?)",
                    (n, path.stem, path.parent.name, "X12" if path.suffix == ".x12" else "FF",
                     hashlib.sha256(data).hexdigest(), len(data), str(path.relative_to(self.root))))
                self.event("in", "recovered", path.parent.name, path.stem)
            found += 1
        for part in (self.root / ".tmp").glob("*.part"):
            part.unlink()
        return found

    # -- outbound ---------------------------------------------------------------------------------
    def queue(self, path: Path, *, sender: str, receiver: str, url: str) -> Outbound:
        """Record a file to post (its refnum: the row's number, unique over all time here)."""
        data = Path(path).read_bytes()
        cur = self.db.execute(
            "INSERT INTO outbound (path, sha256, sender, receiver, url, refnum, state) VALUES (?, ?, ?, ?, ?, '', "
            "'pending')", (str(Path(path).resolve()), hashlib.sha256(data).hexdigest(), sender, receiver, url))
        row_id = int(cur.lastrowid or 0)
        self.db.execute("UPDATE outbound SET refnum = ? WHERE id = ?", (str(row_id), row_id))
        return self.outbound(row_id)

    def attempt(self, row_id: int, error: str = "", trans_id: str = "", time_c: str = "",
                failed: bool = False) -> Outbound:
        """Record one attempt: receipted (``trans_id``), failed again (``error``), or, with
        ``failed``, the exchange failure."""
        state = "receipted" if trans_id else ("failed" if failed else "pending")
        self.db.execute("UPDATE outbound SET attempts = attempts + 1, last_error = ?, trans_id = ?, time_c = ?, "
                        "state = ? WHERE id = ?", (error, trans_id, time_c, state, row_id))
        out = self.outbound(row_id)
        kind = {"receipted": "receipted", "failed": "exchange-failure", "pending": "retry"}[state]
        self.event("out", kind, out.receiver, f"#{row_id} attempt {out.attempts}: {trans_id or error}")
        return out

    def move(self, row_id: int, url: str) -> Outbound:
        """Post to ``url`` from now on (the partner's address changed in the configuration)."""
        self.db.execute("UPDATE outbound SET url = ? WHERE id = ?", (url, row_id))
        self.event("out", "moved", self.outbound(row_id).receiver, f"#{row_id} to {url}")
        return self.outbound(row_id)

    def reopen(self, row_id: int) -> Outbound:
        """Make a failed exchange pending again (to resend it)."""
        self.db.execute("UPDATE outbound SET state = 'pending' WHERE id = ? AND state = 'failed'", (row_id,))
        return self.outbound(row_id)

    def outbound(self, row_id: int | None = None) -> Outbound:
        """An outbound post by id."""
        row = self.db.execute("SELECT id, path, receiver, url, refnum, state, attempts, last_error, trans_id, sender "
                              "FROM outbound WHERE id = ?", (row_id,)).fetchone()
        if row is None:
            raise CounterpartyError(f"no outbound post #{row_id} in {self.root}")
        return Outbound(row[0], Path(row[1]), *row[2:])

    def outbounds(self) -> list[Outbound]:
        """Every outbound post, in order."""
        ids = [r[0] for r in self.db.execute("SELECT id FROM outbound ORDER BY id")]
        return [self.outbound(i) for i in ids]

    # -- events -----------------------------------------------------------------------------------
    def event(self, direction: str, kind: str, partner: str, detail: str) -> int:
        """Record a transport event; returns its sequence number."""
        cur = self.db.execute("INSERT INTO events (at, direction, kind, partner, detail) VALUES (?, ?, ?, ?, ?)",
                              (_now(), direction, kind, partner, detail))
        return int(cur.lastrowid or 0)

    def events(self) -> list[tuple[int, str, str, str, str, str]]:
        """Every event: (seq, at, direction, kind, partner, detail)."""
        return self.db.execute("SELECT seq, at, direction, kind, partner, detail FROM events ORDER BY seq").fetchall()


def _inbound(row: tuple[str, str, str, int, str, int], root: Path | None = None) -> Inbound:
    trans_id, sender, time_c, size, path, posts = row
    return Inbound(trans_id, sender, time_c, size, (root / path) if root else Path(path), posts)


def _fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
