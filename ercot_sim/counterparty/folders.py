"""Folder drop: the transport inside a company, a folder pair per trading partner.

::

    ROOT/<partner DUNS>/inbox/       the partner drops its files here (write elsewhere, then rename in)
    ROOT/<partner DUNS>/outbox/      our files for the partner, each appearing whole (temp + rename)
    ROOT/<partner DUNS>/processing/<pid>-<start>/  a file being worked by the process with that
                                     pid and start time (claimed by a rename out of inbox/)
    ROOT/<partner DUNS>/processed/   files worked, once
    ROOT/<partner DUNS>/rejected/    files refused, each with <name>.reason.txt

A file is picked up once: claiming it is a rename out of ``inbox/`` into the claimer's own
``processing/<pid>/`` (only one claimer can win), and it leaves that only for ``processed/``
or ``rejected/``; a claimer that died leaves its claims there, and the next pickup takes them
over first (the claimer's process is gone, or its pid now names a process that started later:
claimers share one machine). A file's 997 reaches the outbox once, even across a crash between
writing it and filing the file (:meth:`FolderExchange.answer_once`). Names starting
with ``.`` and ending ``.tmp`` or ``.part`` are a partner's writes in progress and are left
alone. Nothing is overwritten or deleted: a name already in ``processed/`` or ``rejected/``
gets a numbered suffix.

:func:`acknowledge` is the counterparty's first answer to a dropped file: it validates it (the
X12 standard and, with ``guide``, the Texas SET guides), writes the 997 (with a TA1 for
envelope errors) to the partner's outbox, and files it as processed; a file that is not X12
at all is rejected with the reason.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from ercot_sim.errors import CounterpartyError
from ercot_sim.liveness import claimer_id, process_alive

__all__ = ["Acknowledged", "FolderExchange", "acknowledge"]

_IN_PROGRESS = (".tmp", ".part")


def _place(src: Path, folder: Path, name: str) -> Path:
    """Move ``src`` to ``folder/name``, or ``name.1``, ``.2`` ... when taken, atomically against
    other processes doing the same (a hard link fails on a taken name; nothing is overwritten)."""
    n = 0
    while True:
        target = folder / (name if n == 0 else f"{name}.{n}")
        try:
            os.link(src, target)
        except FileExistsError:
            n += 1
            continue
        os.unlink(src)
        return target


def _free_name(folder: Path, name: str) -> Path:
    """``folder/name``, or ``folder/name.1``, ``.2`` ... when taken (nothing is overwritten)."""
    target = folder / name
    n = 0
    while target.exists():
        n += 1
        target = folder / f"{name}.{n}"
    return target


class FolderExchange:
    """The folders of one endpoint (see the module docstring).

    Args:
        root: the folder holding one folder per partner.
    """

    KINDS = ("inbox", "outbox", "processing", "processed", "rejected")

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def folder(self, partner: str, kind: str) -> Path:
        """A partner's folder of ``kind``, made when missing."""
        if kind not in self.KINDS:
            raise ValueError(f"unknown folder kind {kind!r}")
        path = self.root / partner / kind
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CounterpartyError(f"{path}: cannot make the folder: {exc.strerror}") from None
        return path

    def write(self, partner: str, name: str, data: bytes) -> Path:
        """Put a file in the partner's outbox, whole or not at all (written under a temporary
        name, flushed, renamed); an existing name is never overwritten."""
        outbox = self.folder(partner, "outbox")
        temp = outbox / f".{name}.{os.getpid()}.part"
        with open(temp, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        return _place(temp, outbox, name)

    def pick_up(self, partner: str) -> list[Path]:
        """Claim the partner's dropped files, in name order (claims a crashed pickup left
        first); each comes back as its path in ``processing/<pid>/``."""
        processing = self.folder(partner, "processing") / claimer_id()
        processing.mkdir(exist_ok=True)
        claimed = sorted(p for p in processing.iterdir() if p.is_file() and not p.name.startswith("."))
        for other in sorted(self.folder(partner, "processing").iterdir()):
            if other == processing or not other.is_dir() or process_alive(other.name):
                continue
            for path in sorted(other.iterdir()):  # a dead claimer's files (and their marks): taken over
                target = _free_name(processing, path.name)
                try:
                    os.rename(path, target)
                except FileNotFoundError:
                    continue
                if not path.name.startswith("."):
                    claimed.append(target)
            with contextlib.suppress(OSError):
                other.rmdir()
        for path in sorted(self.folder(partner, "inbox").iterdir()):
            if not path.is_file() or path.name.startswith(".") or path.name.endswith(_IN_PROGRESS):
                continue
            target = _free_name(processing, path.name)
            try:
                os.rename(path, target)  # the claim: whoever renames it first has it
            except FileNotFoundError:
                continue
            claimed.append(target)
        return claimed

    def release(self, partner: str) -> None:
        """Drop this process's claim folder once it is empty."""
        with contextlib.suppress(OSError):
            (self.root / partner / "processing" / claimer_id()).rmdir()

    def answer_once(self, partner: str, claimed: Path, name: str, data: bytes) -> Path:
        """Put the answer to a claimed file in the partner's outbox exactly once, across a crash:
        written under a temporary name, then a mark in the claim folder naming it (keyed by the
        claimed file's content, so a takeover that renames claims keeps each mark with its
        file), then linked into place (never over another file); a pickup that finds the mark
        finishes the hand-over if the crash came before it, and writes nothing again."""
        outbox = self.folder(partner, "outbox")
        mark = claimed.parent / f".{hashlib.sha256(claimed.read_bytes()).hexdigest()[:16]}.answered"
        temp = outbox / f".{name}.answer.part"
        if mark.exists():
            final = outbox / mark.read_text(encoding="utf-8").strip()
            if temp.exists():
                with contextlib.suppress(FileExistsError):
                    os.link(temp, final)
                temp.unlink()
            return final
        with open(temp, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        final = _free_name(outbox, name)
        mark.write_text(final.name + "\n", encoding="utf-8")
        try:
            os.link(temp, final)
        except FileExistsError:  # another process took the name meanwhile: the next free one
            final = _place(temp, outbox, name)
            mark.write_text(final.name + "\n", encoding="utf-8")
            return final
        temp.unlink()
        return final

    def done(self, partner: str, path: Path) -> Path:
        """A claimed file worked: into ``processed/``."""
        mark = path.parent / f".{hashlib.sha256(path.read_bytes()).hexdigest()[:16]}.answered"
        filed = _place(path, self.folder(partner, "processed"), path.name)
        mark.unlink(missing_ok=True)
        return filed

    def reject(self, partner: str, path: Path, reason: str) -> Path:
        """A claimed file refused: into ``rejected/``, with ``<name>.reason.txt``."""
        mark = path.parent / f".{hashlib.sha256(path.read_bytes()).hexdigest()[:16]}.answered"
        target = _place(path, self.folder(partner, "rejected"), path.name)
        target.with_name(target.name + ".reason.txt").write_text(reason.rstrip() + "\n", encoding="utf-8")
        mark.unlink(missing_ok=True)
        return target


@dataclass(frozen=True, slots=True)
class Acknowledged:
    """What became of one dropped file."""

    file: str
    state: str  # "processed" or "rejected"
    detail: str  # why it was rejected; for a processed file, its acknowledgement's name ('' when none)
    errors: int  # findings at error severity


def acknowledge(exchange: FolderExchange, partner: str, *, guide: bool = False) -> list[Acknowledged]:
    """Pick up the partner's dropped files: validate each, answer it with its 997 (and TA1) in
    the partner's outbox, and file it (see the module docstring)."""
    from edi.ack import ACK_LAYERS, build_997
    from edi.errors import EdiError
    from edi.validate import validate

    layers = ("x12", "texas-set") if guide else ACK_LAYERS
    results = []
    for path in exchange.pick_up(partner):
        data = path.read_bytes()
        try:
            report = validate(path)
            ack = build_997(report, path, layers=layers)
        except EdiError as exc:
            exchange.reject(partner, path, f"{path.name}: not an X12 interchange: {exc}")
            results.append(Acknowledged(path.name, "rejected", str(exc), 1))
            continue
        errors = sum(1 for f in report.findings if f.severity == "error")
        name = ""
        if ack:
            digest = hashlib.sha256(data).hexdigest()[:12]
            name = exchange.answer_once(partner, path, f"{Path(path.name).stem}.{digest}.997.x12",
                                        ack.encode("ascii")).name
        if not report.interchanges:
            exchange.reject(partner, path, f"{path.name}: no interchange (ISA) in the file")
            results.append(Acknowledged(path.name, "rejected", "no interchange", errors))
            continue
        exchange.done(partner, path)
        results.append(Acknowledged(path.name, "processed", name, errors))
    exchange.release(partner)
    return results
