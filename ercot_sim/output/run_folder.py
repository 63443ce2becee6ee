"""A run's output folder: which folders a run may write into, and the record of what it wrote.

A run writes into a new or empty folder, or into one an earlier run wrote. The record,
``.ercot-sim-run.json``, is what tells them apart: a run writes it when it starts (state
``running``, with the files that were there before it) and again when it ends (state
``complete``, with every file it wrote). The next run into the folder removes exactly the
files the earlier run wrote (for a run killed before its end: everything that appeared after
it started) and nothing else. A folder holding anything no run there wrote is refused with
one line, unless the run is given ``force``: it then writes beside those files, which stay
as they are (and are named in the record as ``kept``).

The record holds no time and no path outside the folder, so the same run gives the same
bytes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ercot_sim.errors import SimError

__all__ = ["RECORD", "LOCK", "RunFolder", "read_record"]

#: the record of the run that wrote (or is writing) a folder
RECORD = ".ercot-sim-run.json"
#: the lock a run holds while it writes (see :mod:`ercot_sim.market.engine`)
LOCK = ".ercot-sim-run.lock"
_GENERATOR = "ercot-sim run"


def read_record(folder: Path) -> dict[str, object] | None:
    """The record in ``folder`` (None when there is none or it is not a run's record)."""
    path = folder / RECORD
    if not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("generator") != _GENERATOR:
        return None
    return doc


def _files(folder: Path) -> set[str]:
    """Every file (and link) under ``folder``, relative, '/'-separated; links are not followed."""
    found: set[str] = set()
    for root, dirs, names in os.walk(folder, followlinks=False):
        base = Path(root).relative_to(folder)
        for name in names:
            found.add((base / name).as_posix())
        for name in dirs:  # a link to a folder is listed as a file, never walked
            if (Path(root) / name).is_symlink():
                found.add((base / name).as_posix())
    found.discard(RECORD)
    found.discard(LOCK)
    return found


def _strings(value: object) -> set[str]:
    return {str(v) for v in value} if isinstance(value, list) else set()


@dataclass(frozen=True)
class RunFolder:
    """An output folder claimed by a run (see the module docstring).

    Attributes:
        path: the folder.
        kept: files that were there and are not any run's (left as they are, with ``force``).
    """

    path: Path
    kept: frozenset[str]

    @classmethod
    def claim(cls, path: Path, *, force: bool = False) -> RunFolder:
        """Make ``path`` ready for a run: created, or an earlier run's files removed.

        The caller holds the folder's lock.

        Raises:
            SimError: the folder holds files no run there wrote (without ``force``), or cannot
                be used.
        """
        if path.exists() and not path.is_dir():
            raise SimError("--out names a file; give a folder", str(path))
        try:
            path.mkdir(parents=True, exist_ok=True)
            present = _files(path)
        except OSError as exc:
            raise SimError(f"cannot use the folder: {exc.strerror}", str(path)) from None
        record = read_record(path)
        if record is None:
            ours: set[str] = set()
        elif record.get("state") == "complete":
            ours = _strings(record.get("files")) & present
        else:  # killed before its end: what appeared after it started is its
            ours = present - _strings(record.get("kept"))
        foreign = sorted(present - ours)
        if foreign and not force:
            more = f" and {len(foreign) - 1} more" if len(foreign) > 1 else ""
            raise SimError(f"holds {foreign[0]}{more}, which no earlier run there wrote; give a new or empty "
                           "folder, or --force to write beside them (nothing is deleted)", str(path))
        try:
            for name in sorted(ours):
                (path / name).unlink(missing_ok=True)
            _remove_empty_folders(path, {str(Path(name).parent) for name in ours})
        except OSError as exc:
            raise SimError(f"cannot remove an earlier run's file: {exc.strerror}", str(path)) from None
        folder = cls(path, frozenset(foreign))
        folder._write({"generator": _GENERATOR, "state": "running", "kept": sorted(foreign)})
        return folder

    def finish(self, about: Mapping[str, object]) -> list[str]:
        """Record the run as complete: ``about`` (scenario, seed ...) and every file it wrote.

        Returns:
            The files written, relative to the folder, sorted.
        """
        written = sorted(_files(self.path) - self.kept)
        self._write({"generator": _GENERATOR, "state": "complete", **about, "files": written,
                     "kept": sorted(self.kept)})
        return written

    def _write(self, doc: Mapping[str, object]) -> None:
        target = self.path / RECORD
        tmp = self.path / f".{RECORD}.part"
        try:
            tmp.write_text(json.dumps(doc, indent=1) + "\n", "utf-8")
            tmp.replace(target)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise SimError(f"cannot write the run record: {exc.strerror}", str(target)) from None


def _remove_empty_folders(root: Path, parents: set[str]) -> None:
    """Remove the folders an earlier run's files were in, deepest first, when they are empty."""
    candidates: set[Path] = set()
    for parent in parents:
        p = Path(parent)
        while str(p) not in ("", "."):
            candidates.add(p)
            p = p.parent
    for rel in sorted(candidates, key=lambda p: len(p.parts), reverse=True):
        folder = root / rel
        if folder.is_dir() and not folder.is_symlink() and not any(folder.iterdir()):
            folder.rmdir()
