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
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = ["CODES", "LAYER_NAMES", "FindingCode", "Layer", "Location", "Finding", "Report"]

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
        _c("gs-invalid-control-number", "group", "GS06 is not numeric", ak9="6"),
        _c("gs-functional-id-mismatch", "group", "GS01 does not fit the transaction sets in the group", ak9="1"),
        # transaction set (AK5)
        _c("st-se-control-mismatch", "transaction", "ST02 and SE02 differ", ak5="3"),
        _c("se-count-mismatch", "transaction", "SE01 is not the number of segments ST..SE", ak5="4"),
        _c("se-missing", "transaction", "transaction set ends without SE", ak5="2"),
        _c("st-duplicate-control", "transaction", "ST02 repeats within the group", ak5="23"),
        _c("st-invalid-control-number", "transaction", "ST02 is missing or not 4-9 characters", ak5="7"),
        _c("unknown-transaction", "transaction", "ST01 or its content is not a Texas SET transaction", ak5="1"),
        _c("transaction-not-identified", "transaction", "the Texas SET transaction cannot be told from BGN/ASI/N1", ak5="6"),
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
        return f"{self.location}: {self.message}{extra} [{tail}]"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["location"] = asdict(self.location)
        d["text"] = str(self)
        d["ack"] = self.ack_codes()
        return d


@dataclass
class Report:
    """All findings of one validation run, plus what was looked at."""

    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    interchanges: int = 0
    groups: int = 0
    transactions: int = 0
    segments: int = 0

    def add(self, finding: Finding) -> None:
        self.findings.append(finding)

    def extend(self, findings: Iterable[Finding]) -> None:
        self.findings.extend(findings)

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.findings)

    def __len__(self) -> int:
        return len(self.findings)

    @property
    def ok(self) -> bool:
        """True when no finding is an error."""
        return not any(f.severity == "error" for f in self.findings)

    def by_code(self) -> Counter[str]:
        return Counter(f.code for f in self.findings)

    def to_text(self) -> str:
        lines = [str(f) for f in self.findings]
        lines.append(
            f"{len(self.findings)} finding(s) in {self.transactions} transaction(s), "
            f"{self.files} file(s)"
        )
        return "\n".join(lines)

    def to_json(self) -> str:
        return json.dumps(
            {
                "ok": self.ok,
                "files": self.files,
                "interchanges": self.interchanges,
                "groups": self.groups,
                "transactions": self.transactions,
                "segments": self.segments,
                "findings": [f.to_dict() for f in self.findings],
            },
            indent=2,
        )
