"""A run's own X12 files, read for the details its trace does not hold, at the speed of
``str.split``.

The files an ``ercot-sim run`` writes have one regular shape: an ISA of 106 characters, then
groups of transactions, each ST closed by an SE whose count and control number agree, and no
line breaks between segments. :func:`scan_transactions` reads a file of that shape by cutting
it at each ``<terminator>ST<separator>``, without a general envelope walk (a segment object,
a byte offset and a structural test per segment). A file of any other shape (one edited by
hand, cut short, with line breaks, a segment outside a transaction) gives ``None``, and the
caller reads it with :func:`edi.x12.iter_transactions`, which reports what is wrong. Both give
the same facts for a regular file (tested).
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["ScannedTransaction", "scan_transactions"]

_ISA_LENGTH = 106
#: segments that may follow a transaction's SE before the next ST (a second interchange in one
#: file is read by the envelope walk)
_BETWEEN = frozenset({"GE", "IEA", "GS"})


class ScannedTransaction(NamedTuple):
    """What the check reads of one transaction set.

    Attributes:
        st01, control: ST01 and ST02.
        segment: the 1-based number of its ST in the file.
        functional_id, gs_control: GS01 and GS06 (stripped) of its group.
        body: the segment texts between ST and SE.
    """

    st01: str
    control: str
    segment: int
    functional_id: str
    gs_control: str
    body: list[str]


def scan_transactions(text: str) -> tuple[list[ScannedTransaction], str] | None:
    """Every transaction of a regular file (see the module docstring), and its element
    separator; ``None`` when the file is not of that shape.

    Args:
        text: the whole file, decoded as Latin-1.
    """
    if len(text) < _ISA_LENGTH or not text.startswith("ISA"):
        return None
    sep, term = text[3], text[_ISA_LENGTH - 1]
    if sep.isalnum() or term.isalnum() or sep == term or "\n" in text or "\r" in text:
        return None
    cut = f"{term}ST{sep}"
    chunks = text.split(cut)
    head = chunks[0].split(term)
    group = _last_group(head, sep)
    if group is None or any(s.split(sep, 1)[0] not in ("ISA", "GS") for s in head):
        return None
    out: list[ScannedTransaction] = []
    number = len(head) + 1  # the first ST's segment number
    last = len(chunks) - 1
    se_head = f"SE{sep}"
    functional_id, gs_control = group
    for k in range(1, len(chunks)):
        segs = chunks[k].split(term)
        st01, _, rest = segs[0].partition(sep)
        control = rest.split(sep, 1)[0]
        if k != last and segs[-1].startswith(se_head):  # the next ST follows the SE: the common case
            end = len(segs) - 1
            if segs[end] != f"SE{sep}{len(segs)}{sep}{control}":
                return None
        else:
            found = _se_index(segs, sep, control)
            if found is None:
                return None
            end = found
            after = segs[end + 1:]
            if k == last:
                if not after or after[-1] != "":  # a file ends with a terminator
                    return None
                after = after[:-1]
            heads = [s.split(sep, 1)[0] for s in after]
            if any(h not in _BETWEEN for h in heads):
                return None
            if "GS" in heads:
                group = _last_group(after, sep)
                assert group is not None
        out.append(ScannedTransaction(st01, control, number, functional_id, gs_control, segs[1:end]))
        functional_id, gs_control = group
        number += len(segs)
    return out, sep


def _last_group(segs: list[str], sep: str) -> tuple[str, str] | None:
    """GS01 and GS06 of the last GS among ``segs``, or None when there is none."""
    for s in reversed(segs):
        if s.startswith(f"GS{sep}"):
            els = s.split(sep)
            return (els[1] if len(els) > 1 else "", els[6].strip() if len(els) > 6 else "")
    return None


def _se_index(segs: list[str], sep: str, control: str) -> int | None:
    """The index of the SE closing a transaction whose segments are ``segs`` (``segs[0]`` its
    ST without ``ST<sep>``), or None when no SE agrees with it (count and control number)."""
    for i in range(len(segs) - 1, 0, -1):
        if segs[i].startswith(f"SE{sep}"):
            els = segs[i].split(sep)
            if len(els) < 3 or els[1] != str(i + 1) or els[2] != control:
                return None
            return i
    return None
