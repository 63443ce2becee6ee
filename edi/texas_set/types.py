"""Small constrained types of the Texas SET business models and their X12 renderings.

Identifiers stay strings (leading zeros matter): :data:`EsiId` (17 to 22 digits, carried in
``REF*Q5``) and :data:`Duns` (9-digit DUNS or 13-digit DUNS+4).  Dates are
:class:`datetime.date` rendered ``CCYYMMDD``, times ``HHMM``.  Money is an ``int`` number of
cents, rendered as X12 ``N2`` (implied two decimals: ``925`` is $9.25) or ``R`` (explicit
decimal dollars: ``9.25``) depending on the element.  Quantities (kWh, meter readings) are
``int`` or :class:`~decimal.Decimal`.

The ``format_*`` functions never validate (they serve the fast rendering path); the
``parse_*`` functions raise :class:`ValueError` with a sentence the mapping turns into a
:class:`~edi.errors.MappingError` naming the segment and element.
"""

from __future__ import annotations

import re
from datetime import date, time
from decimal import Decimal, InvalidOperation
from typing import Annotated

from pydantic import StringConstraints

__all__ = [
    "EsiId",
    "Duns",
    "Cents",
    "Quantity",
    "X12Text",
    "X12Id",
    "TEXT_PATTERN",
    "format_date",
    "parse_date",
    "format_time",
    "parse_time",
    "format_n2",
    "parse_n2",
    "format_r",
    "parse_r",
    "format_quantity",
    "parse_quantity",
]

#: Characters allowed in free text: X12 basic and extended character set without the
#: market's delimiters (``*`` element, ``~`` segment, ``>`` component) and ``^``.
TEXT_PATTERN = r"^[A-Za-z0-9 !\"&'()+,\-./:;?=%@\[\]_{}\\|<#$]+$"

EsiId = Annotated[str, StringConstraints(pattern=r"^[0-9]{17,22}$")]
"""Electric Service Identifier: 17 to 22 digits, kept as text."""

Duns = Annotated[str, StringConstraints(pattern=r"^([0-9]{9}|[0-9]{13})$")]
"""DUNS number (9 digits) or DUNS+4 (13 digits), kept as text."""

X12Text = Annotated[str, StringConstraints(min_length=1, max_length=80, pattern=TEXT_PATTERN)]
"""Free text (names, descriptions, references): 1 to 80 characters, no delimiters."""

X12Id = Annotated[str, StringConstraints(min_length=1, max_length=30, pattern=r"^[A-Za-z0-9\-]+$")]
"""Reference identifiers and codes: 1 to 30 letters, digits or dashes."""

Cents = int
"""Money as a whole number of cents."""

Quantity = Decimal | int
"""A quantity (kWh, meter reading): an integer or a decimal.

Decimal comes first so that text such as ``"0.0"`` (JSON) stays a Decimal with its places
instead of becoming the integer 0; Python ints and JSON numbers stay ints."""

_DATE_CACHE: dict[date, str] = {}


def format_date(d: date) -> str:
    """``CCYYMMDD`` text of a date (cached: simulations reuse few dates)."""
    s = _DATE_CACHE.get(d)
    if s is None:
        iso = d.isoformat()
        s = iso[0:4] + iso[5:7] + iso[8:10]
        if len(_DATE_CACHE) < 100_000:
            _DATE_CACHE[d] = s
    return s


_DATE_RE = re.compile(r"^[0-9]{8}\Z")


def parse_date(text: str) -> date:
    """Parse ``CCYYMMDD``.

    Raises:
        ValueError: not eight digits, or not a calendar date.
    """
    if not _DATE_RE.match(text):
        raise ValueError(f"date {text!r} is not a valid CCYYMMDD")
    try:
        return date(int(text[0:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise ValueError(f"date {text!r} is not a valid CCYYMMDD") from None


def format_time(t: time) -> str:
    """``HHMM`` text of a time (seconds are not carried)."""
    return f"{t.hour:02d}{t.minute:02d}"


def parse_time(text: str) -> time:
    """Parse ``HHMM``.

    Raises:
        ValueError: not four digits, or not a time of day.
    """
    if len(text) != 4 or not text.isdigit():
        raise ValueError(f"time {text!r} is not a valid HHMM")
    try:
        return time(int(text[0:2]), int(text[2:4]))
    except ValueError:
        raise ValueError(f"time {text!r} is not a valid HHMM") from None


def format_n2(cents: int) -> str:
    """X12 ``N2`` (implied two decimals): the cents as an integer, ``-`` for negatives."""
    return str(cents)


_INT_RE = re.compile(r"^-?[0-9]+\Z")


def parse_n2(text: str) -> int:
    """Parse an X12 ``N2`` amount into cents.

    Raises:
        ValueError: not an optionally signed integer.
    """
    if not _INT_RE.match(text):
        raise ValueError(f"amount {text!r} is not an N2 number (cents without a decimal point)")
    return int(text)


def format_r(cents: int) -> str:
    """X12 ``R`` decimal dollars, shortest form: 2014 -> ``20.14``, 2010 -> ``20.1``, 2000 -> ``20``."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    if frac == 0:
        return f"{sign}{whole}"
    if frac % 10 == 0:
        return f"{sign}{whole}.{frac // 10}"
    return f"{sign}{whole}.{frac:02d}"


_R_RE = re.compile(r"^-?([0-9]+(\.[0-9]*)?|\.[0-9]+)\Z")


def parse_r(text: str) -> int:
    """Parse an X12 ``R`` dollar amount into cents.

    Raises:
        ValueError: not a decimal number, or finer than a cent.
    """
    if not _R_RE.match(text):
        raise ValueError(f"amount {text!r} is not an R decimal number")
    cents = Decimal(text) * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"amount {text!r} has fractions of a cent")
    return int(cents)


def format_quantity(q: int | Decimal) -> str:
    """Quantity as X12 ``R`` text: integers as they are, decimals in fixed-point notation."""
    if type(q) is int:
        return str(q)
    return format(q, "f")


_Q_RE = re.compile(r"^-?[0-9]+(\.[0-9]+)?\Z")


def parse_quantity(text: str) -> int | Decimal:
    """Parse a quantity: ``int`` without a decimal point, :class:`~decimal.Decimal` with one.

    Raises:
        ValueError: not a decimal number.
    """
    if not _Q_RE.match(text):
        raise ValueError(f"quantity {text!r} is not a decimal number")
    if "." in text:
        try:
            return Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern rules this out
            raise ValueError(f"quantity {text!r} is not a decimal number") from None
    return int(text)
