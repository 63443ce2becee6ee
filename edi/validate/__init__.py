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

Every finding is collected; validation never stops at the first one and never raises
anything but :class:`~edi.errors.EdiError` (a file that cannot be read, or does not start
with an ISA).  Guides are compiled once per code into lookup tables
(:mod:`edi.validate.compiled`), and the per-segment work is dictionary look-ups and
precompiled checks (:mod:`edi.validate.walker`).
"""

from __future__ import annotations

import os
from dataclasses import replace
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from edi.errors import X12SyntaxError
from edi.findings import Finding, Location, Report
from edi.validate.compiled import CompiledGuide, compile_guide
from edi.validate.standard import layered, standard_findings, standard_guide
from edi.validate.walker import GuideFinding, check_transaction
from edi.x12.envelope import TransactionSet, iter_transactions
from edi.x12.reader import Source
from edi.x12.standard import table_ids

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


def validate_transaction(txn: TransactionSet, guide: Any = None, *, roles: Mapping[str, str] | None = None, standard: bool = True) -> list[Finding]:
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
    from edi.texas_set.catalog import identify

    ident = identify(txn, dict(roles) if roles else None)
    if ident.code:
        return ident.code, None
    st = txn.raw[0]
    loc = Location(txn.file, txn.first_number, "ST", "ST01", txn.offsets[0] if txn.offsets else 0, txn.control)
    reason = ident.reason or "no Texas SET guide matches"
    if ident.candidates:
        cands = ", ".join(ident.candidates)
        f = Finding("transaction-not-identified", loc, f"transaction set {txn.st01} {txn.control} cannot be told apart: {reason} (candidates {cands})", st[1] if len(st) > 1 else "")
    else:
        f = Finding("unknown-transaction", loc, f"transaction set {txn.st01!r} {txn.control} is not a Texas SET transaction: {reason}", st[1] if len(st) > 1 else "")
    return None, f


def iter_x12_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """Expand files and folders into X12 files: folders recursively, ``*.x12/*.edi/*.txt``, sorted.

    Raises:
        X12SyntaxError: a path does not exist, or a folder holds no X12 files.
    """
    for p in paths:
        path = Path(p)
        if path.is_dir():
            found = sorted(f for f in path.rglob("*") if f.suffix.lower() in X12_SUFFIXES and f.is_file())
            if not found:
                raise X12SyntaxError(f"folder holds no {'/'.join('*' + s for s in X12_SUFFIXES)} files", str(path))
            yield from found
        elif path.is_file():
            yield path
        else:
            raise X12SyntaxError("no such file or folder", str(path))


def validate_source(source: Source, *, name: str | None = None, report: Report | None = None, roles: Mapping[str, str] | None = None) -> Report:
    """Validate one file (path, bytes or binary stream): envelopes, identification, guides.

    Args:
        source: what to read.
        name: the file name used in findings (default: the path, ``<bytes>`` or the stream's name).
        report: add to this report instead of a new one.
        roles: DUNS -> role for identification.

    Raises:
        EdiError: the input cannot be read or does not start with an ISA.
    """
    rep = report if report is not None else Report()
    start = len(rep.findings)
    fid_checked = -1  # the GS last checked: a group's transactions come together
    for txn in iter_transactions(source, name=name, report=rep):
        std = standard_guide(txn.st01) if txn.st01 in _STANDARD_SETS else None
        code, finding = _identify(txn, roles)
        if code is None:
            # an incomplete set (no SE) is already rejected by its envelope finding; what is
            # left of it rarely identifies, and saying so would only repeat the problem
            if finding is not None and txn.complete:
                # a set the standard has no table for is not supported at all (AK5 1); one
                # that is X12 but fits no Texas SET guide is the guide layer's business
                rep.add(finding if std is None else replace(finding, layer="texas-set"))
                if std is not None:
                    rep.extend(standard_findings(check_transaction(txn, std, layer="x12")))
            continue
        cg = compiled(code)
        gs_number = txn.gs.number
        if gs_number != fid_checked:
            fid_checked = gs_number
            fid = std.guide.functional_id if std is not None else getattr(cg.guide, "functional_id", "")
            if fid and txn.gs.get(1) != fid:
                rep.add(Finding("gs-functional-id-mismatch", Location(txn.file, gs_number, "GS", "GS01", txn.gs.offset), f"functional group ID {txn.gs.get(1)!r} does not fit {code}, which travels in a {fid} group", txn.gs.get(1), code, confirmed=cg.confirmed))
        found = _checked(txn, cg, std)
        if found:
            rep.extend(found)
    # envelope findings are found when a trailer is read, guide findings per transaction:
    # present the file's findings in file order (stable, so same-segment order is kept)
    rep.findings[start:] = sorted(rep.findings[start:], key=_file_order)
    return rep


def _file_order(f: Finding) -> int:
    n = f.location.segment_number
    return n if n is not None else 0


def validate(*sources: Source, report: Report | None = None, roles: Mapping[str, str] | None = None) -> Report:
    """Validate files, folders, bytes or streams into one report.

    Paths may name files or folders (searched recursively for ``*.x12``, ``*.edi`` and
    ``*.txt``, in sorted order); bytes and binary streams are validated as one file each.

    Raises:
        EdiError: a path does not exist, a folder holds no X12 file, or a file cannot be read
            or does not start with an ISA (the message names the file).
    """
    rep = report if report is not None else Report()
    for src in sources:
        if isinstance(src, (str, os.PathLike)):
            for path in iter_x12_files([src]):
                validate_source(path, name=str(path), report=rep, roles=roles)
        else:
            validate_source(src, report=rep, roles=roles)
    return rep

