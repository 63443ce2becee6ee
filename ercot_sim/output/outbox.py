"""The run's files on disk: ``OUT/outbox/<receiver DUNS>/<sender>_<CCYYMMDDHHMM>_<ISA13>.x12``.

The transport decides what goes in a file and when; :class:`Outbox` only writes it and keeps
the list of files written (in order), making a receiver's folder the first time it is needed.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["Outbox"]

_CREATE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)


class Outbox:
    """Writes one run's X12 files under ``out``.

    Args:
        out: the run folder.
    """

    def __init__(self, out: Path) -> None:
        self.out = out
        self._root = os.path.join(out, "")  # out dir with its separator: file paths by concatenation
        self._dirs: set[str] = set()
        #: the files written, relative to ``out``, in the order they were written
        self.files: list[str] = []

    @staticmethod
    def name(sender: str, receiver: str, stamp: str, isa_control: str) -> str:
        """The file's path relative to the run folder."""
        return f"outbox/{receiver}/{sender}_{stamp}_{isa_control}.x12"

    def write(self, receiver: str, rel: str, text: str) -> None:
        """Write ``text`` (ASCII X12) to ``rel``, the receiver's folder made the first time."""
        if receiver not in self._dirs:
            (self.out / "outbox" / receiver).mkdir(parents=True, exist_ok=True)
            self._dirs.add(receiver)
        fd = os.open(self._root + rel, _CREATE, 0o666)
        try:
            os.write(fd, text.encode("ascii"))
        finally:
            os.close(fd)
        self.files.append(rel)
