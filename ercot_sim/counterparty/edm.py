"""NAESB EDM 1.6 as Texas retail uses it: the request's fields, their checks, the receipt.

No I/O here: :mod:`ercot_sim.counterparty.server` receives posts over HTTP and
:mod:`ercot_sim.counterparty.client` sends them; both speak through this module.

A post is ``multipart/form-data`` with, in this order, ``from`` (the sender's DUNS), ``to``
(the receiver's), ``version`` (``1.6``), ``receipt-disposition-to`` (the sender's DUNS),
``receipt-report-type`` (``gisb-acknowledgement-receipt``), ``input-format`` (``X12``) and
``input-data`` (the file); ``refnum`` / ``refnum-orig`` when the partners agree on them. The
synchronous receipt is ``key=value*`` lines: ``request-status`` (``ok`` or ``EEDMnnn: text``),
``time-c`` (``yyyymmddhhmmss``, when the whole file had arrived), ``server-id``, ``trans-id``,
``file-size``. Sources and how sure they are: ``texas-set/edm-and-flights.md`` of the project's
notes; the EEDM numbers are the NAESB WGQ table's as two public gateways transcribe it, so
they may differ from the Texas 1.6 guide, whose body is not public (:data:`ERRORS` marks
which are confirmed).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

__all__ = [
    "ERRORS",
    "INPUT_FORMATS",
    "REPORT_TYPE",
    "REQUIRED_FIELDS",
    "VERSION",
    "EdmError",
    "Receipt",
    "check_fields",
    "error",
]

VERSION = "1.6"
REPORT_TYPE = "gisb-acknowledgement-receipt"
#: ``input-format`` values: X12, and flat files (Texas flat-file exchange since 2007)
INPUT_FORMATS = ("X12", "FF")
#: the request's fields in their order (NAESB Internet ET data dictionary)
REQUIRED_FIELDS = ("from", "to", "version", "receipt-disposition-to", "receipt-report-type", "input-format",
                   "input-data")

#: EEDM code -> (its text, confirmed against the NAESB text itself). EEDM means the post is
#: rejected and not processed further.
ERRORS: dict[str, tuple[str, bool]] = {
    "EEDM100": ("Missing 'from' Common Code", True),
    "EEDM101": ("Missing 'to' Common Code", False),
    "EEDM102": ("Missing input-format", False),
    "EEDM103": ("Missing input-data (data file)", False),
    "EEDM105": ("Invalid 'from' Common Code: not a trading partner", False),
    "EEDM106": ("Invalid 'to' Common Code: not this receiver", False),
    "EEDM107": ("Invalid input-format", False),
    "EEDM109": ("No parameters supplied", False),
    "EEDM110": ("Invalid version", False),
    "EEDM111": ("Missing version", False),
    "EEDM114": ("Missing receipt-disposition-to", False),
    "EEDM115": ("Invalid receipt-disposition-to", False),
    "EEDM116": ("Missing receipt-report-type", False),
    "EEDM117": ("Invalid receipt-report-type", False),
    "EEDM121": ("Duplicate refnum received", False),
    "EEDM701": ("Sender not associated with the receiver (login or trading partner)", False),
    "EEDM999": ("System error", False),
}

_MISSING = {"from": "EEDM100", "to": "EEDM101", "input-format": "EEDM102", "input-data": "EEDM103",
            "version": "EEDM111", "receipt-disposition-to": "EEDM114", "receipt-report-type": "EEDM116"}


@dataclass(frozen=True, slots=True)
class EdmError:
    """Why a post is refused: an EEDM code and what was wrong with it."""

    code: str
    detail: str = ""

    @property
    def status(self) -> str:
        """The receipt's ``request-status`` value."""
        text = ERRORS[self.code][0]
        return f"{self.code}: {text}" + (f" ({self.detail})" if self.detail else "")


def error(code: str, detail: str = "") -> EdmError:
    """An :class:`EdmError` of a known code."""
    if code not in ERRORS:
        raise KeyError(f"unknown EDM error code {code!r}")
    return EdmError(code, _safe(detail))


def _safe(text: str) -> str:
    """Text that cannot break a ``key=value*`` line (no ``*``, no line breaks), at most 200 chars."""
    return re.sub(r"[\r\n*]+", " ", text)[:200]


def check_fields(fields: Mapping[str, str], has_data: bool, *, receiver: str | Collection[str],
                 partners: Mapping[str, object], login_duns: str | None) -> EdmError | None:
    """The first thing wrong with a post's fields, or None.

    Args:
        fields: the text fields posted (``input-data`` aside).
        has_data: whether ``input-data`` came with a file.
        receiver: this receiver's DUNS (``to`` must be it), or the DUNS it receives for.
        partners: the trading partners by DUNS (``from`` must be one).
        login_duns: the partner whose credentials came with the post (``from`` must be it).
    """
    if not fields and not has_data:
        return error("EEDM109")
    for name in REQUIRED_FIELDS:
        present = has_data if name == "input-data" else bool(fields.get(name, "").strip())
        if not present:
            return error(_MISSING[name])
    sender = fields["from"].strip()
    if sender not in partners:
        return error("EEDM105", sender)
    if login_duns is not None and login_duns != sender:
        return error("EEDM701", f"login of {login_duns} posting as {sender}")
    if fields["to"].strip() not in ({receiver} if isinstance(receiver, str) else receiver):
        return error("EEDM106", fields["to"].strip())
    if fields["version"].strip() != VERSION:
        return error("EEDM110", fields["version"].strip())
    if fields["receipt-disposition-to"].strip() != sender:
        return error("EEDM115", fields["receipt-disposition-to"].strip())
    if fields["receipt-report-type"].strip() != REPORT_TYPE:
        return error("EEDM117", fields["receipt-report-type"].strip())
    if fields["input-format"].strip() not in INPUT_FORMATS:
        return error("EEDM107", fields["input-format"].strip())
    return None


@dataclass(frozen=True, slots=True)
class Receipt:
    """The synchronous receipt of a post.

    Attributes:
        status: ``ok`` or ``EEDMnnn: text``.
        time_c: when the whole file had arrived, ``yyyymmddhhmmss`` (market time).
        server_id: the receiving server.
        trans_id: the receiver's identifier of the post ('' when refused).
        file_size: bytes of ``input-data`` received.
    """

    status: str
    time_c: str
    server_id: str
    trans_id: str = ""
    file_size: int | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def text(self) -> str:
        """The receipt as ``key=value*`` lines (CRLF)."""
        lines = [f"request-status={self.status}*", f"time-c={self.time_c}*", f"server-id={self.server_id}*"]
        if self.trans_id:
            lines.append(f"trans-id={self.trans_id}*")
        if self.file_size is not None:
            lines.append(f"file-size={self.file_size}*")
        return "\r\n".join(lines) + "\r\n"

    @classmethod
    def parse(cls, text: str) -> Receipt:
        """Read a receipt.

        Raises:
            ValueError: naming the line that is not ``key=value*``, or the missing key.
        """
        values: dict[str, str] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            key, eq, value = line.partition("=")
            if not eq or not value.endswith("*"):
                raise ValueError(f"receipt line {number}: expected key=value*, got {line[:80]!r}")
            values[key.strip()] = value[:-1]
        for key in ("request-status", "time-c", "server-id"):
            if key not in values:
                raise ValueError(f"receipt without {key}")
        size = values.get("file-size")
        return cls(values["request-status"], values["time-c"], values["server-id"], values.get("trans-id", ""),
                   int(size) if size and size.isdigit() else None)
