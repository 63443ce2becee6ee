"""Guide-driven validation of Texas SET X12 files into a :class:`~edi.findings.Report`.

:func:`validate` reads files, folders, bytes or streams and collects three kinds of findings:

1. envelope findings from :func:`edi.x12.iter_transactions` (ISA/IEA, GS/GE, ST/SE control
   numbers and counts, duplicate ST02, truncation ...);
2. identification: which Texas SET transaction each ST..SE is
   (:func:`edi.texas_set.catalog.identify`); one that cannot be identified is the finding
   ``unknown-transaction`` (or ``transaction-not-identified`` when several guides fit);
3. guide findings from :func:`validate_transaction`: segments unknown, not in the guide, out
   of order, missing, repeated too often or not used; elements missing, too many, too long or
   short, of the wrong data type, not in the code list, breaking a syntax note, not used;
   ESI IDs and DUNS numbers of the wrong shape.

With ``records=True`` the report also keeps a :class:`~edi.findings.TransactionRecord` per
transaction set: the Texas SET code it was identified as (or why not), the sender's and
receiver's roles, its ESI ID, ST02, envelope control numbers and how many findings point into
it.  The identification is the one validation computes anyway (shared by every transaction of
the same shape), so keeping records costs a list append and a look for ``REF*Q5`` per
transaction; it is off by default so that a library caller validating a file of a hundred
thousand transactions holds nothing per transaction unless it asks.

Every finding is collected; validation never stops at the first one and never raises
anything but :class:`~edi.errors.EdiError` (a file that cannot be read, or does not start
with an ISA).  Guides are compiled once per code into lookup tables
(:mod:`edi.validate.compiled`), and the per-segment work is dictionary look-ups and
precompiled checks (:mod:`edi.validate.walker`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edi.errors import X12SyntaxError
from edi.findings import CODES, UNIDENTIFIED, Finding, Location, Report, TransactionRecord
from edi.validate.compiled import CompiledGuide, compile_guide
from edi.validate.standard import layered, standard_findings, standard_guide
from edi.validate.walker import GuideFinding, check_transaction
from edi.x12.envelope import TransactionSet, iter_transactions
from edi.x12.reader import Source
from edi.x12.segment import Segment
from edi.x12.standard import table_ids

if TYPE_CHECKING:
    from edi.texas_set.catalog import Identification

__all__ = [
    "X12_SUFFIXES",
    "CompiledGuide",
    "GuideFinding",
    "compile_guide",
    "compiled",
    "iter_x12_files",
    "validate",
    "validate_source",
    "validate_transaction",
]

#: File name suffixes picked up when a folder is validated.
X12_SUFFIXES = (".x12", ".edi", ".txt")

#: transaction sets whose X12 004010 table is shipped (edi/x12/standard/data)
_STANDARD_SETS = frozenset(table_ids())

_BY_CODE: dict[str, CompiledGuide] = {}
_BY_OBJECT: dict[int, tuple[Any, CompiledGuide]] = {}


def compiled(guide: Any) -> CompiledGuide:
    """The compiled form of a guide object or guide code (``814_01``), cached.

    Raises:
        GuideError: the guide does not exist or is broken.
    """
    if isinstance(guide, str):
        cg = _BY_CODE.get(guide)
        if cg is None:
            from edi.texas_set.guide import load_guide

            cg = _BY_CODE[guide] = compiled(load_guide(guide))
        return cg
    hit = _BY_OBJECT.get(id(guide))
    if hit is not None and hit[0] is guide:
        return hit[1]
    cg = compile_guide(guide)
    _BY_OBJECT[id(guide)] = (guide, cg)
    return cg


def validate_transaction(txn: TransactionSet, guide: Any = None, *, roles: Mapping[str, str] | None = None,
                         standard: bool = True) -> list[Finding]:
    """Check one transaction set against its implementation guide.

    Args:
        txn: the transaction set (from :func:`edi.x12.iter_transactions`).
        guide: a guide object, a guide code such as ``814_01``, or ``None`` to identify the
            transaction first (an unidentified one gives a single ``unknown-transaction``
            or ``transaction-not-identified`` finding).
        roles: DUNS -> ``CR``/``ERCOT``/``TDSP``, passed to identification.
        standard: also check the set against the X12 004010 table of its ST01 (False: the
            guide alone, e.g. for a guide under construction).

    Returns:
        The findings of the body (between ST and SE): the X12 004010 standard's (``layer``
        ``x12``) and the guide's (``texas-set``), in segment order within each layer.

    Raises:
        GuideError: the guide named does not exist or is broken.
    """
    std = standard_guide(txn.st01) if standard and txn.st01 in _STANDARD_SETS else None
    if guide is None:
        guide, finding = _identify(txn, roles)
        if guide is None:
            if finding is None:
                return []
            if std is None:
                return [finding]
            return [replace(finding, layer="texas-set"), *standard_findings(check_transaction(txn, std, layer="x12"))]
    return _checked(txn, compiled(guide), std)


def _checked(txn: TransactionSet, cg: CompiledGuide, std: CompiledGuide | None) -> list[Finding]:
    """The guide's findings and the standard's, each in its layer (see :func:`layered`)."""
    if std is None:
        return check_transaction(txn, cg)
    # the standard's structure first (its element rules are the guide's, see standard.py)
    found = check_transaction(txn, cg, standard=std)
    if not found:
        return found
    base = [f for f in found if f.layer == "x12"]
    return layered(txn, std, base, [f for f in found if f.layer != "x12"])


def _identify(txn: TransactionSet, roles: Mapping[str, str] | None) -> tuple[str | None, Finding | None]:
    ident, finding = _identify_full(txn, roles)
    return ident.code or None, finding


def _identify_full(txn: TransactionSet, roles: Mapping[str, str] | None) -> tuple[Identification, Finding | None]:
    """The identification of ``txn`` and, when it has no code, the finding that says so."""
    from edi.texas_set.catalog import identify

    ident = identify(txn, dict(roles) if roles else None)
    if ident.code:
        return ident, None
    st = txn.raw[0]
    loc = Location(txn.file, txn.first_number, "ST", "ST01", txn.offsets[0] if txn.offsets else 0, txn.control)
    reason = ident.reason or "no Texas SET guide matches"
    if ident.candidates:
        cands = ", ".join(ident.candidates)
        f = Finding("transaction-not-identified", loc,
                    f"transaction set {txn.st01} {txn.control} cannot be told apart: {reason} (candidates {cands})",
                    st[1] if len(st) > 1 else "")
    else:
        f = Finding("unknown-transaction", loc,
                    f"transaction set {txn.st01!r} {txn.control} is not a Texas SET transaction: {reason}",
                    st[1] if len(st) > 1 else "")
    return ident, f


def iter_x12_files(paths: Iterable[str | os.PathLike[str]], *, skipped: list[str] | None = None) -> Iterator[Path]:
    """Expand files and folders into X12 files: folders recursively, ``*.x12/*.edi/*.txt``, sorted.

    A folder is walked without following links to folders, and a file that is a link to
    something outside the folder given is not read (a folder of partner files must not lead
    to ``/etc/passwd``): it goes to ``skipped`` as a line naming it, or, without ``skipped``,
    is an error.

    Raises:
        X12SyntaxError: a path does not exist, a folder holds no X12 files, or (without
            ``skipped``) a file in a folder links out of it.
    """
    for p in paths:
        path = Path(p)
        if path.is_dir():
            top = path.resolve()
            found: list[Path] = []
            for folder, dirs, names in os.walk(path, followlinks=False):
                dirs.sort()
                for n in names:
                    f = Path(folder) / n
                    if f.suffix.lower() not in X12_SUFFIXES:
                        continue
                    if f.is_symlink() and not f.resolve().is_relative_to(top):
                        reason = f"{f}: a link to {f.resolve()}, outside {path}: not read"
                        if skipped is None:
                            raise X12SyntaxError(f"a link to {f.resolve()}, outside the folder: not read", str(f))
                        skipped.append(reason)
                        continue
                    if f.is_file():
                        found.append(f)
            if not found:
                raise X12SyntaxError(f"folder holds no {'/'.join('*' + s for s in X12_SUFFIXES)} files", str(path))
            yield from sorted(found)
        elif path.is_file():
            yield path
        else:
            raise X12SyntaxError("no such file or folder", str(path))


def validate_source(source: Source, *, name: str | None = None, report: Report | None = None,
                    roles: Mapping[str, str] | None = None, records: bool = False) -> Report:
    """Validate one file (path, bytes or binary stream): envelopes, identification, guides.

    Args:
        source: what to read.
        name: the file name used in findings (default: the path, ``<bytes>`` or the stream's name).
        report: add to this report instead of a new one.
        roles: DUNS -> role for identification.
        records: also keep a :class:`~edi.findings.TransactionRecord` per transaction set in
            ``report.records`` (see the module docstring).

    Raises:
        EdiError: the input cannot be read or does not start with an ISA.
    """
    rep = report if report is not None else Report()
    start = len(rep.findings)
    stream = rep.sink is not None  # hand findings over per transaction instead of keeping them
    kept: list[TransactionRecord] | None = None
    if records:
        kept = rep.records = rep.records if rep.records is not None else []
    mark = start  # findings before this one belong to transactions already recorded
    envelope: _Envelope = (None, ("", "", "", ""))
    fid_checked = -1  # the GS last checked: a group's transactions come together
    for txn in iter_transactions(source, name=name, report=rep):
        std = standard_guide(txn.st01) if txn.st01 in _STANDARD_SETS else None
        ident, finding = _identify_full(txn, roles)
        code = ident.code
        if code is None:
            # an incomplete set (no SE) is already rejected by its envelope finding; what is
            # left of it rarely identifies, and saying so would only repeat the problem
            if finding is not None and txn.complete:
                # a set the standard has no table for is not supported at all (AK5 1); one
                # that is X12 but fits no Texas SET guide is the guide layer's business
                rep.add(finding if std is None else replace(finding, layer="texas-set"))
                if std is not None:
                    rep.extend(standard_findings(check_transaction(txn, std, layer="x12")))
            if kept is not None:
                mark, envelope = _keep(rep, kept, txn, ident, mark, envelope)
            if stream:
                rep.flush()
                mark = 0
            continue
        cg = compiled(code)
        gs_number = txn.gs.number
        if gs_number != fid_checked:
            fid_checked = gs_number
            fid = std.guide.functional_id if std is not None else getattr(cg.guide, "functional_id", "")
            if fid and txn.gs.get(1) != fid:
                rep.add(Finding("gs-functional-id-mismatch", Location(txn.file, gs_number, "GS", "GS01", txn.gs.offset),
                                f"functional group ID {txn.gs.get(1)!r} does not fit {code}, "
                                f"which travels in a {fid} group", txn.gs.get(1), code, confirmed=cg.confirmed))
        found = _checked(txn, cg, std)
        if found:
            rep.extend(found)
        if kept is not None:
            mark, envelope = _keep(rep, kept, txn, ident, mark, envelope)
        if stream:
            rep.flush()
            mark = 0
    if stream:  # trailer findings of the file's last group and interchange
        rep.flush()
        return rep
    # envelope findings are found when a trailer is read, guide findings per transaction:
    # present the file's findings in file order (stable, so same-segment order is kept)
    rep.findings[start:] = sorted(rep.findings[start:], key=_file_order)
    return rep


_OWN_LEVELS = frozenset({"transaction", "segment", "element"})

#: (the GS whose numbers and parties are known, (ISA13, GS06, sender, receiver))
_Envelope = tuple[Segment | None, tuple[str, str, str, str]]


def _keep(rep: Report, kept: list[TransactionRecord], txn: TransactionSet, ident: Identification, mark: int,
          envelope: _Envelope) -> tuple[int, _Envelope]:
    """Record ``txn``; returns where its findings end and the envelope for the next one."""
    if envelope[0] is not txn.gs:  # the group's numbers and parties, once per group
        envelope = (txn.gs, _envelope(txn))
    kept.append(_record(txn, ident, rep.findings, mark, envelope[1]))
    rep.transaction_codes[ident.code or UNIDENTIFIED] += 1
    return len(rep.findings), envelope


def _record(txn: TransactionSet, ident: Identification, findings: list[Finding], mark: int,
            envelope: tuple[str, str, str, str]) -> TransactionRecord:
    """The record of ``txn``; its findings are those since ``mark`` that point into it."""
    ctl = txn.control
    n = 0
    if len(findings) > mark:
        for f in findings[mark:]:
            if f.location.st_control == ctl and CODES[f.code].level in _OWN_LEVELS:
                n += 1
    esi: str | None = None
    raw = txn.raw
    for els in raw:
        if els[0] == "REF" and len(els) > 2 and els[1] == "Q5":
            esi = els[2] or (els[3] if len(els) > 3 else "") or None
            break
    st = raw[0]
    isa13, gs06, sender, receiver = envelope
    return TransactionRecord(txn.file, isa13, gs06, st[1] if len(st) > 1 else "", ctl, txn.first_number, sender,
                             receiver, esi, n, ident)


def _envelope(txn: TransactionSet) -> tuple[str, str, str, str]:
    """ISA13, GS06, and the sender and receiver as identification reads them: GS02/GS03, else
    ISA06/ISA08."""
    gs, isa = txn.gs, txn.isa
    in_gs, in_isa = gs.id == "GS", isa.id == "ISA"
    parties = []
    for gs_pos, isa_pos in ((2, 6), (3, 8)):
        value = gs.get(gs_pos).strip() if in_gs else ""
        if not value and in_isa:
            value = isa.get(isa_pos).strip()
        parties.append(value)
    return (isa.get(13) if in_isa else "", gs.get(6) if in_gs else "", parties[0], parties[1])


def _file_order(f: Finding) -> int:
    n = f.location.segment_number
    return n if n is not None else 0


def validate(*sources: Source, report: Report | None = None, roles: Mapping[str, str] | None = None,
             records: bool = False, sink: Callable[[Finding], None] | None = None) -> Report:
    """Validate files, folders, bytes or streams into one report.

    Paths may name files or folders (searched recursively for ``*.x12``, ``*.edi`` and
    ``*.txt``, in sorted order); bytes and binary streams are validated as one file each.

    Args:
        sources: what to validate.
        report: add to this report instead of a new one.
        roles: DUNS -> ``CR``/``ERCOT``/``TDSP`` for parties identification cannot tell.
        records: also keep a :class:`~edi.findings.TransactionRecord` per transaction set in
            ``report.records``: its Texas SET code (or why not), roles, ESI ID, ST02.
        sink: hand each finding to this callable as validation goes (each transaction's in
            file order; what only a file's end shows, such as a missing IEA, comes last)
            instead of keeping it: memory stays flat whatever the count; the
            report still counts them (``len(report)``, ``by_code()``, ``summary_line()``).

    Raises:
        EdiError: a path does not exist, a folder holds no X12 file, or a file cannot be read
            or does not start with an ISA (the message names the file).
    """
    rep = report if report is not None else Report(sink=sink)
    for src in sources:
        if isinstance(src, (str, os.PathLike)):
            for path in iter_x12_files([src]):
                validate_source(path, name=str(path), report=rep, roles=roles, records=records)
        else:
            validate_source(src, report=rep, roles=roles, records=records)
    return rep
