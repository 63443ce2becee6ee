"""X12 004010 data element types: fast checks of one value against its type and length.

X12 gives every simple data element a type and a minimum/maximum length:

========  ==============================================================================
``AN``    string: printable characters of the basic and extended character sets
``ID``    identifier: a code from a list (the list itself is checked by the validator)
``DT``    date: ``CCYYMMDD`` (8 digits) or ``YYMMDD`` (6 digits)
``TM``    time: ``HHMM``, ``HHMMSS``, ``HHMMSSd`` or ``HHMMSSdd`` (decimal seconds)
``Nn``    numeric with ``n`` implied decimal places (``N0``, ``N2``): optional leading minus,
          digits only; the minus sign does not count towards the length
``R``     decimal: optional minus, digits with an optional decimal point; neither the sign nor
          the point counts towards the length.  Exponential notation is not accepted.
``B``     binary: not checked beyond its length
========  ==============================================================================

:func:`check` answers one value at a time; :func:`checker` precompiles the check for one
element definition into a function, which is what the validator calls for every element, so
the common case (a valid value) costs a few string method calls and, for dates and times, a
dictionary look-up.  A problem is returned as ``(finding_code, message)`` with a code from
:data:`edi.findings.CODES`: ``element-too-short``, ``element-too-long``,
``invalid-character``, ``invalid-numeric``, ``invalid-date`` or ``invalid-time``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = [
    "DATA_TYPES",
    "Problem",
    "check",
    "checker",
    "is_valid_date",
    "is_valid_time",
    "value_length",
]

#: ``(finding code, message)`` describing what is wrong with a value.
Problem = tuple[str, str]

#: The data types this module knows (``Nn`` for n = 0..9 as well).
DATA_TYPES = frozenset({"AN", "ID", "DT", "TM", "R", "B"} | {f"N{n}" for n in range(10)})

_DAYS = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_DECIMAL = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)")
# Dates and times repeat heavily in market files (every 867_03 of a cycle carries the same
# period), so the calendar arithmetic is done once per distinct value.
_DATE_CACHE: dict[str, bool] = {}
_TIME_CACHE: dict[str, bool] = {}
_CACHE_LIMIT = 50_000


def _date_ok(value: str) -> bool:
    n = len(value)
    if n == 8:
        year, mm, dd = int(value[:4]), int(value[4:6]), int(value[6:])
    elif n == 6:
        year, mm, dd = 2000 + int(value[:2]), int(value[2:4]), int(value[4:])
    else:
        return False
    if not 1 <= mm <= 12 or dd < 1 or dd > _DAYS[mm]:
        return False
    if mm == 2 and dd == 29:
        return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return True


def is_valid_date(value: str) -> bool:
    """Whether ``value`` is a real calendar date as ``CCYYMMDD`` or ``YYMMDD``.

    Six-digit years are read as 20YY for the leap-year rule (X12 leaves the century to the
    trading partners; the Texas market writes 8-digit dates everywhere except the ISA).
    """
    ok = _DATE_CACHE.get(value)
    if ok is None:
        ok = value.isascii() and value.isdigit() and _date_ok(value)
        if len(_DATE_CACHE) >= _CACHE_LIMIT:
            _DATE_CACHE.clear()
        _DATE_CACHE[value] = ok
    return ok


def _time_ok(value: str) -> bool:
    n = len(value)
    if n < 4 or n == 5 or n > 8 or not (value.isascii() and value.isdigit()):
        return False
    if int(value[:2]) > 23 or int(value[2:4]) > 59:
        return False
    return n == 4 or int(value[4:6]) <= 59


def is_valid_time(value: str) -> bool:
    """Whether ``value`` is ``HHMM``, ``HHMMSS`` or ``HHMMSS`` plus 1-2 decimal digits."""
    ok = _TIME_CACHE.get(value)
    if ok is None:
        ok = _time_ok(value)
        if len(_TIME_CACHE) >= _CACHE_LIMIT:
            _TIME_CACHE.clear()
        _TIME_CACHE[value] = ok
    return ok


def value_length(dtype: str, value: str) -> int:
    """Length of ``value`` as X12 counts it for ``dtype``.

    Numeric types do not count a leading minus sign; ``R`` does not count the decimal point.
    """
    if dtype == "R":
        return len(value) - value.count("-") - value.count(".")
    if dtype[0] == "N":
        return len(value) - (value[:1] == "-")
    return len(value)


def _length_problem(value: str, length: int, min_len: int, max_len: int, what: str) -> Problem | None:
    if max_len and length > max_len:
        return "element-too-long", f"{what} {value!r} is {length} characters long, the maximum is {max_len}"
    if length < min_len:
        return "element-too-short", f"{what} {value!r} is {length} characters long, the minimum is {min_len}"
    return None


def _bad_char(value: str) -> str:
    for ch in value:
        if not (ch.isascii() and ch.isprintable()):
            return ch
    return ""


def checker(dtype: str, min_len: int = 0, max_len: int = 0) -> Callable[[str], Problem | None]:
    """A function that checks one non-empty value of type ``dtype`` and length limits.

    Args:
        dtype: ``AN``, ``ID``, ``DT``, ``TM``, ``N0``..``N9``, ``R`` or ``B``.
        min_len: minimum length (X12 counting, see :func:`value_length`).
        max_len: maximum length; 0 for no maximum.

    Returns:
        A callable returning ``None`` for a valid value or a :data:`Problem`.

    Raises:
        ValueError: ``dtype`` is not an X12 data type.
    """
    if dtype not in DATA_TYPES:
        raise ValueError(f"unknown X12 data type {dtype!r}")
    lo, hi = min_len, max_len or 1 << 30

    if dtype in ("AN", "ID"):
        what = "value" if dtype == "AN" else "code"

        def check_string(value: str) -> Problem | None:
            if lo <= len(value) <= hi and value.isascii() and value.isprintable():
                return None
            ch = _bad_char(value)
            if ch:
                return "invalid-character", (f"{what} {value!r} holds the character {ch!r}, "
                                             "which is not in the X12 character set")
            return _length_problem(value, len(value), lo, max_len, what)

        return check_string

    if dtype == "DT":

        def check_date(value: str) -> Problem | None:
            if lo <= len(value) <= hi and is_valid_date(value):
                return None
            if value.isascii() and value.isdigit() and len(value) in (6, 8):
                if not is_valid_date(value):
                    form = "CCYYMMDD" if len(value) == 8 else "YYMMDD"
                    return "invalid-date", f"date {value} is not a valid {form}"
                return _length_problem(value, len(value), lo, max_len, "date")
            return "invalid-date", f"date {value!r} is not a valid CCYYMMDD"

        return check_date

    if dtype == "TM":

        def check_time(value: str) -> Problem | None:
            if lo <= len(value) <= hi and is_valid_time(value):
                return None
            if not is_valid_time(value):
                return "invalid-time", f"time {value!r} is not a valid HHMM[SS[d..]]"
            return _length_problem(value, len(value), lo, max_len, "time")

        return check_time

    if dtype == "R":

        def check_decimal(value: str) -> Problem | None:
            if value.isascii() and value.isdigit():
                n = len(value)
            elif _DECIMAL.fullmatch(value) and value.isascii():
                n = value_length("R", value)
            else:
                return "invalid-numeric", f"{value!r} is not a valid decimal number (R)"
            if lo <= n <= hi:
                return None
            return _length_problem(value, n, lo, max_len, "number")

        return check_decimal

    if dtype == "B":

        def check_binary(value: str) -> Problem | None:
            return _length_problem(value, len(value), lo, max_len, "binary data")

        return check_binary

    def check_numeric(value: str) -> Problem | None:
        digits = value[1:] if value[:1] == "-" else value
        if not (digits.isascii() and digits.isdigit()):
            return "invalid-numeric", f"{value!r} is not a valid {dtype} number (digits only, implied decimals)"
        n = len(digits)
        if lo <= n <= hi:
            return None
        return _length_problem(value, n, lo, max_len, "number")

    return check_numeric


_CHECKERS: dict[tuple[str, int, int], Callable[[str], Problem | None]] = {}


def check(dtype: str, value: str, min_len: int = 0, max_len: int = 0) -> Problem | None:
    """Check one non-empty value against a data type and length limits.

    Example:
        >>> check("DT", "20261301", 8, 8)
        ('invalid-date', 'date 20261301 is not a valid CCYYMMDD')
        >>> check("N2", "-12345", 1, 5) is None
        True
    """
    key = (dtype, min_len, max_len)
    fn = _CHECKERS.get(key)
    if fn is None:
        fn = _CHECKERS[key] = checker(dtype, min_len, max_len)
    return fn(value)
