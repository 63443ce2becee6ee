"""A work queue's new MarkeTrak issues as bulk-insert files: one CSV per issue subtype.

MarkeTrak takes many issues at once by bulk insert; through its user interface every issue of
one file is of one subtype (MarkeTrak Users Guide, section 8, 2014: confirmed), and issues are
accepted or rejected one by one. The columns here are the simulator's own (the template's
columns were not found in a public source: assumed): the ESI ID, the subtype, the transaction
the issue is about (its code and reference, when the item names one), the date the item dates
from, a description, and the work-queue item's key (to tie the issue back to the queue).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from pathlib import Path

from ercot_sim.books.worklist import Item

__all__ = ["COLUMNS", "bulk_insert_files", "new_issues"]

#: the columns of each file, in order
COLUMNS = ("esi_id", "subtype", "tran_type", "reference", "since", "description", "item")


def new_issues(items: Sequence[Item]) -> list[Item]:
    """The queue's items whose next action is to open a MarkeTrak issue (not those about an
    issue already open)."""
    return [i for i in items if i.marketrak and i.kind != "marketrak"]


def _slug(subtype: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", subtype.lower()).strip("-")


def bulk_insert_files(items: Sequence[Item], folder: Path) -> list[Path]:
    """Write one CSV per subtype of :func:`new_issues` into ``folder`` (new, or empty).

    Returns:
        The files written, by subtype name.

    Raises:
        ValueError: ``folder`` is a file, or holds files (nothing is overwritten).
        OSError: it cannot be made or written.
    """
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ValueError(f"--bulk-insert {folder}: give a new or empty folder (it holds files; nothing is "
                         "overwritten)")
    folder.mkdir(parents=True, exist_ok=True)
    by_subtype: dict[str, list[Item]] = {}
    for item in new_issues(items):
        by_subtype.setdefault(item.marketrak, []).append(item)
    written = []
    for subtype in sorted(by_subtype):
        path = folder / f"{_slug(subtype)}.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            out = csv.writer(fh, lineterminator="\n")
            out.writerow(COLUMNS)
            for item in by_subtype[subtype]:
                out.writerow((item.esi_id, subtype, item.code, item.ref, item.since.isoformat(), item.title,
                              item.key))
        written.append(path)
    return written
