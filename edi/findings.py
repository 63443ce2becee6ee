"""Findings: everything wrong in an X12 file, collected rather than raised.

A :class:`Finding` is a record: a stable ``code``, a :class:`Location` (file, segment number,
segment ID and qualifier, element position such as ``DTM02``), a message, the offending
value, the guide it comes from and the 997 codes it maps to.  ``str(finding)`` reads location
first::

    814_01.x12 segment 14 (DTM*150) DTM02: date 20261301 is not a valid CCYYMMDD [invalid-date, AK4=8, X12 004010]

The last word is the finding's *layer*: ``X12 004010`` when the X12 standard itself is broken
(a translator's syntax error, acknowledged in the 997), ``Texas SET`` when only a Texas SET
guide is (answered by an 824 or a reject; a 997 carries it only when asked to).

The mapping from finding codes to 997 (AK3/AK4/AK5/AK9) and TA1 codes is the table
:data:`CODES`; the 997 builder in :mod:`edi.ack` reads it, so every finding acknowledges the
same way wherever it was found.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # the catalog builds on this module; records only hold its answers
    from edi.texas_set.catalog import Identification

__all__ = [
    "CODES", "LAYER_NAMES", "UNIDENTIFIED", "FindingCode", "Layer", "Location", "Finding", "Report",
    "TransactionRecord",
]

Level = Literal["interchange", "group", "transaction", "segment", "element"]
#: whose rule a finding reports: the X12 004010 standard or a Texas SET guide
Layer = Literal["x12", "texas-set"]
#: how each layer is named in text
LAYER_NAMES: dict[str, str] = {"x12": "X12 004010", "texas-set": "Texas SET"}


@dataclass(frozen=True, slots=True)
class FindingCode:
    """What a finding code means and how it is acknowledged.

    Attributes:
        code: stable machine-readable code, e.g. ``invalid-date``.
        level: the envelope level it belongs to.
        description: one line for docs.
        ak3: AK304 segment syntax error code (segment and element findings).
        ak4: AK403 element syntax error code (element findings).
        ak5: AK502 transaction set syntax error code (transaction findings).
        ak9: AK905 functional group syntax error code (group findings).
        ta1: TA105 interchange note code (interchange findings).
    """

    code: str
    level: Level
    description: str
    ak3: str | None = None
    ak4: str | None = None
    ak5: str | None = None
    ak9: str | None = None
    ta1: str | None = None


def _c(code: str, level: Level, description: str, **ak: str) -> tuple[str, FindingCode]:
    return code, FindingCode(code, level, description, **ak)


#: Every finding code, with its X12 004010 acknowledgement codes.
CODES: dict[str, FindingCode] = dict(
    [
        # interchange (TA1)
        _c("isa-iea-control-mismatch", "interchange", "ISA13 and IEA02 differ", ta1="001"),
        _c("iea-count-mismatch", "interchange", "IEA01 is not the number of GS groups", ta1="021"),
        _c("iea-missing", "interchange", "interchange ends without IEA", ta1="023"),
        _c("isa-invalid-field", "interchange", "an ISA field has a wrong value or width", ta1="022"),
        _c("isa-invalid-date", "interchange", "ISA09 is not a valid YYMMDD", ta1="014"),
        _c("isa-invalid-time", "interchange", "ISA10 is not a valid HHMM", ta1="015"),
        _c("isa-invalid-version", "interchange", "ISA12 is not 00401", ta1="017"),
        _c("isa-invalid-control-number", "interchange", "ISA13 is not 9 digits", ta1="018"),
        _c("isa-invalid-usage", "interchange", "ISA15 is not P or T", ta1="020"),
        _c("isa-duplicate-control", "interchange", "ISA13 repeats within the file", ta1="025"),
        _c("interchange-structure", "interchange", "segment outside of a GS/GE group", ta1="024"),
        _c("truncated", "interchange", "file ends in the middle of a segment or envelope", ta1="023"),
        # functional group (AK9)
        _c("gs-ge-control-mismatch", "group", "GS06 and GE02 differ", ak9="4"),
        _c("ge-count-mismatch", "group", "GE01 is not the number of transaction sets", ak9="5"),
        _c("ge-missing", "group", "group ends without GE", ak9="3"),
        _c("gs-invalid-version", "group", "GS08 is not 004010", ak9="2"),
        _c("gs-invalid-control-number", "group", "GS06 is not a number of 1 to 9 digits", ak9="6"),
        _c("gs-functional-id-mismatch", "group", "GS01 does not fit the transaction sets in the group", ak9="1"),
        # transaction set (AK5)
        _c("st-se-control-mismatch", "transaction", "ST02 and SE02 differ", ak5="3"),
        _c("se-count-mismatch", "transaction", "SE01 is not the number of segments ST..SE", ak5="4"),
        _c("se-missing", "transaction", "transaction set ends without SE", ak5="2"),
        _c("st-duplicate-control", "transaction", "ST02 repeats within the group", ak5="23"),
        _c("st-invalid-control-number", "transaction", "ST02 is missing or not 4-9 characters", ak5="7"),
        _c("unknown-transaction", "transaction", "ST01 or its content is not a Texas SET transaction", ak5="1"),
        _c("transaction-not-identified", "transaction", "the Texas SET transaction cannot be told from BGN/ASI/N1",
           ak5="6"),
        # segments (AK3)
        _c("segment-unrecognized", "segment", "segment ID is not X12", ak3="1"),
        _c("segment-unexpected", "segment", "segment is not expected here", ak3="2"),
        _c("segment-missing", "segment", "mandatory segment missing", ak3="3"),
        _c("loop-repeat-exceeded", "segment", "loop occurs more often than allowed", ak3="4"),
        _c("segment-repeat-exceeded", "segment", "segment occurs more often than allowed", ak3="5"),
        _c("segment-not-in-guide", "segment", "segment is not in this transaction's guide", ak3="6"),
        _c("segment-out-of-order", "segment", "segment is not in proper sequence", ak3="7"),
        _c("segment-not-used", "segment", "segment marked not used by the guide", ak3="2"),
        # elements (AK4; their segment gets AK3 code 8)
        _c("element-missing", "element", "mandatory data element missing", ak3="8", ak4="1"),
        _c("element-conditional-missing", "element", "conditionally required element missing", ak3="8", ak4="2"),
        _c("element-too-many", "element", "too many data elements", ak3="8", ak4="3"),
        _c("element-too-short", "element", "data element too short", ak3="8", ak4="4"),
        _c("element-too-long", "element", "data element too long", ak3="8", ak4="5"),
        _c("invalid-character", "element", "invalid character in data element", ak3="8", ak4="6"),
        _c("invalid-code", "element", "value is not in the element's code list", ak3="8", ak4="7"),
        _c("invalid-date", "element", "not a valid date", ak3="8", ak4="8"),
        _c("invalid-time", "element", "not a valid time", ak3="8", ak4="9"),
        _c("element-exclusion", "element", "elements that exclude each other are both present", ak3="8", ak4="10"),
        _c("element-not-used", "element", "element marked not used by the guide", ak3="8", ak4="10"),
        _c("invalid-numeric", "element", "not a valid number for the data type", ak3="8", ak4="6"),
        _c("invalid-esi-id", "element", "ESI ID is not 17 to 22 digits", ak3="8", ak4="6"),
        _c("invalid-duns", "element", "DUNS is not 9 digits or DUNS+4 13 digits", ak3="8", ak4="6"),
    ]
)


#: the longest finding message and value shown whole (a 200 MB element must not become a
#: 200 MB line of the report); longer ones keep their start and end and say their length
MESSAGE_LIMIT = 600
VALUE_LIMIT = 200


def cut(text: str, limit: int) -> str:
    """``text``, or its start and end around ``... (N characters) ...`` when over ``limit``."""
    if len(text) <= limit:
        return text
    keep = max(limit // 2 - 20, 10)
    return f"{text[:keep]}... ({len(text):,} characters) ...{text[-keep // 2:]}"


@dataclass(frozen=True, slots=True)
class Location:
    """Where a finding is: file, segment number, segment label and element position.

    ``segment_number`` counts as X12 does, 1-based from the ISA of the file; ``segment``
    is the label (``DTM*150``); ``element`` the reference designator (``DTM02``).
    """

    file: str = ""
    segment_number: int | None = None
    segment: str = ""
    element: str = ""
    offset: int | None = None
    st_control: str = ""

    def __str__(self) -> str:
        parts = [self.file or "<input>"]
        if self.segment_number is not None:
            seg = f"segment {self.segment_number}"
            if self.segment:
                seg += f" ({self.segment})"
            parts.append(seg)
        elif self.segment:
            parts.append(f"({self.segment})")
        out = " ".join(parts)
        if self.element:
            out += f" {self.element}"
        return out


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing wrong in an X12 file.

    Attributes:
        code: a key of :data:`CODES`.
        location: where it is.
        message: what was found and what was expected, without the location.
        value: the offending value, if any.
        guide: the implementation guide it comes from (``814_01``), if any.
        severity: ``error`` (rejects or flags the transaction) or ``warning``.
        confirmed: whether the guide item broken is confirmed in a public source (False when
            the rule is an assumption of the guide data; such findings say so).
        layer: whose rule is broken: ``x12``, the X12 004010 standard (envelopes, the
            transaction set's table, the segment directory: a translator's syntax error,
            acknowledged in a 997 or TA1), or ``texas-set``, only a Texas SET guide (answered
            by an 824 or a reject, not in the 997 unless asked for).
    """

    code: str
    location: Location
    message: str
    value: str | None = None
    guide: str | None = None
    severity: Literal["error", "warning"] = "error"
    confirmed: bool = True
    layer: Layer = "x12"

    @property
    def info(self) -> FindingCode:
        return CODES[self.code]

    def ack_codes(self) -> str:
        """``AK4=8`` style summary of the 997/TA1 codes."""
        i = CODES[self.code]
        for name, value in (("TA1", i.ta1), ("AK9", i.ak9), ("AK5", i.ak5), ("AK4", i.ak4), ("AK3", i.ak3)):
            if value:
                return f"{name}={value}"
        return ""

    def __str__(self) -> str:
        tail = ", ".join(x for x in (self.code, self.ack_codes(), LAYER_NAMES.get(self.layer, "")) if x)
        extra = "" if self.confirmed else " (assumed rule)"
        return f"{self.location}: {cut(self.message, MESSAGE_LIMIT)}{extra} [{tail}]"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["location"] = asdict(self.location)
        d["message"] = cut(self.message, MESSAGE_LIMIT)
        if self.value is not None and len(self.value) > VALUE_LIMIT:
            d["value"] = cut(self.value, VALUE_LIMIT)
            d["value_length"] = len(self.value)
        d["text"] = str(self)
        d["ack"] = self.ack_codes()
        return d


#: The key under which :meth:`Report.by_transaction_code` counts transactions not identified.
UNIDENTIFIED = "unidentified"


@dataclass(slots=True)
class TransactionRecord:
    """What validation found one transaction set (ST..SE) to be.

    Kept only when asked for (``validate(..., records=True)``).  A record refers to strings the
    reader made anyway and to the identification, which is shared by every transaction of the
    same shape: about 330 bytes per transaction set, most of it the record itself, its ST02
    and its ESI ID (50 MB for a file of 150,000 transaction sets).  Not frozen, because
    building a frozen dataclass costs five times as much; treat it as read-only.

    Attributes:
        file: the file name used in locations.
        interchange: ISA13 of its interchange (empty when outside one).
        group: GS06 of its functional group (empty when outside one).
        st01: the transaction set identifier (``867``).
        st02: the transaction set control number.
        segment: the number of its ST in the file (the ISA of the file is 1).
        sender, receiver: GS02 and GS03 (ISA06 and ISA08 when the GS leaves them empty).
        esi_id: the ESI ID of its first ``REF*Q5`` (REF02, or REF03 when REF02 is empty),
            or None when it has none.
        findings: how many findings point into this transaction set (its ST..SE, not its
            group or interchange).
        identification: the answer of :func:`edi.texas_set.catalog.identify`.
    """

    file: str
    interchange: str
    group: str
    st01: str
    st02: str
    segment: int
    sender: str
    receiver: str
    esi_id: str | None
    findings: int
    identification: Identification

    @property
    def code(self) -> str | None:
        """The Texas SET transaction (``867_04``), or None when it could not be identified."""
        return self.identification.code

    @property
    def reason(self) -> str:
        """Why it is that code, or why it could not be identified."""
        return self.identification.reason

    @property
    def sender_role(self) -> str | None:
        """CR, ERCOT or TDSP, or None when it could not be told."""
        return self.identification.sender_role

    @property
    def receiver_role(self) -> str | None:
        """CR, ERCOT or TDSP, or None when it could not be told."""
        return self.identification.receiver_role

    def to_dict(self) -> dict[str, Any]:
        ident = self.identification
        return {
            "file": self.file,
            "interchange": self.interchange,
            "group": self.group,
            "st01": self.st01,
            "st02": self.st02,
            "segment": self.segment,
            "code": ident.code,
            "reason": ident.reason,
            "candidates": list(ident.candidates),
            "variants": list(ident.variants),
            "sender": self.sender,
            "receiver": self.receiver,
            "sender_role": ident.sender_role,
            "receiver_role": ident.receiver_role,
            "role_mismatch": ident.role_mismatch,
            "esi_id": self.esi_id,
            "findings": self.findings,
        }

    def to_text(self) -> str:
        """One line: where, what it is (or why not), who sent it to whom, ESI ID, findings."""
        ident = self.identification
        where = (f"{self.file or '<input>'} segment {self.segment} (ST {self.st01} {self.st02}, "
                 f"ISA {self.interchange or '-'}, GS {self.group or '-'})")
        flow = f"{ident.sender_role or '?'} -> {ident.receiver_role or '?'}"
        if ident.code is None:
            what = f"not identified ({ident.reason})"
        else:
            what = ident.code
            if ident.variants:
                what += f" ({', '.join(ident.variants)})"
        out = f"{where}: {what}, {flow}, ESI ID {self.esi_id or '-'}, {self.findings} finding(s)"
        if ident.code is not None and ident.role_mismatch:
            out += f"; {ident.reason}"
        return out


def _segment_order(f: Finding) -> int:
    n = f.location.segment_number
    return n if n is not None else 0


@dataclass
class Report:
    """All findings of one validation run, plus what was looked at.

    ``records`` is None unless validation was asked to keep a :class:`TransactionRecord` per
    transaction set (``records=True``); ``transaction_codes`` then counts them by Texas SET
    code (:data:`UNIDENTIFIED` for those not identified).  A caller that has used the records
    of one file may clear the list before the next: the counts stay.
    """

    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    interchanges: int = 0
    groups: int = 0
    transactions: int = 0
    segments: int = 0
    records: list[TransactionRecord] | None = None
    transaction_codes: Counter[str] = field(default_factory=Counter)
    #: with a sink, findings are handed to it as validation goes (each transaction's, sorted,
    #: when it is done) and not kept: memory stays flat however many there are; the counts
    #: below still count them (see :meth:`flush`)
    sink: Callable[[Finding], None] | None = field(default=None, repr=False, compare=False)
    flushed: Counter[str] = field(default_factory=Counter, repr=False)

    def add(self, finding: Finding) -> None:
        self.findings.append(finding)

    def extend(self, findings: Iterable[Finding]) -> None:
        self.findings.extend(findings)

    def flush(self) -> None:
        """Hand the findings kept so far to the sink, in file order, and drop them (counted)."""
        if self.sink is None or not self.findings:
            return
        counts = self.flushed
        for f in sorted(self.findings, key=_segment_order):
            counts["total"] += 1
            counts["code " + f.code] += 1
            counts["layer " + f.layer] += 1
            if f.severity == "error":
                counts["errors"] += 1
            self.sink(f)
        self.findings.clear()

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.findings)

    def __len__(self) -> int:
        return len(self.findings) + self.flushed["total"]

    @property
    def ok(self) -> bool:
        """True when no finding is an error."""
        return not self.flushed["errors"] and not any(f.severity == "error" for f in self.findings)

    def by_code(self) -> Counter[str]:
        """Findings counted by finding code."""
        counts = Counter(f.code for f in self.findings)
        for key, n in self.flushed.items():
            if key.startswith("code "):
                counts[key[5:]] += n
        return counts

    def by_transaction_code(self) -> dict[str, int]:
        """Transaction sets counted by Texas SET code, sorted by code, those not identified
        last under :data:`UNIDENTIFIED` (empty when no records were kept)."""
        counts = dict(self.transaction_codes)
        unknown = counts.pop(UNIDENTIFIED, 0)
        out = dict(sorted(counts.items()))
        if unknown:
            out[UNIDENTIFIED] = unknown
        return out

    def by_layer(self) -> dict[str, int]:
        """Findings per layer: ``{"x12": 2, "texas-set": 1}`` (both keys always present)."""
        counts: Counter[str] = Counter(f.layer for f in self.findings)
        return {layer: counts.get(layer, 0) + self.flushed["layer " + layer] for layer in LAYER_NAMES}

    def summary_line(self) -> str:
        """``N finding(s) (X12 004010 x, Texas SET y) in T transaction(s), F file(s)``."""
        layers = ""
        if len(self):
            layers = " (" + ", ".join(f"{LAYER_NAMES[k]} {n}" for k, n in self.by_layer().items()) + ")"
        return f"{len(self)} finding(s){layers} in {self.transactions} transaction(s), {self.files} file(s)"

    def codes_line(self) -> str:
        """``by Texas SET code: 814_01 2, 867_04 1, unidentified 1`` (from the records)."""
        counts = self.by_transaction_code()
        return "by Texas SET code: " + (", ".join(f"{k} {v}" for k, v in counts.items()) or "none")

    def to_text(self) -> str:
        lines = [str(f) for f in self.findings]
        lines.append(self.summary_line())
        return "\n".join(lines)

    def to_list_text(self) -> str:
        """One line per transaction set (the records), the count by code, the summary line."""
        lines = [r.to_text() for r in self.records or ()]
        lines.append(self.codes_line())
        lines.append(self.summary_line())
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data; ``records`` and ``transaction_codes`` only when
        records were kept."""
        data: dict[str, Any] = {
            "ok": self.ok,
            "files": self.files,
            "interchanges": self.interchanges,
            "groups": self.groups,
            "transactions": self.transactions,
            "segments": self.segments,
            "findings": [f.to_dict() for f in self.findings],
            "findings_by_layer": self.by_layer(),
        }
        if self.records is not None:
            data["transaction_codes"] = self.by_transaction_code()
            data["records"] = [r.to_dict() for r in self.records]
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)
