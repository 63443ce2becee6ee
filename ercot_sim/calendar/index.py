"""Precomputed business-day index of one calendar: O(1) membership, counting and adding.

For a span of years the index keeps, per day, whether it is a business day and how many
business days come before it (a prefix sum), plus the ordinals of all business days. Then

- ``is_business_day`` is one array lookup,
- ``count(start, end)`` is a difference of two prefix sums,
- ``add(day, n)`` is one lookup into the list of business-day ordinals.

The span grows on demand (by whole decades), so a run never pays for years it does not use.
"""

from __future__ import annotations

import datetime as dt
from array import array
from collections.abc import Callable, Iterable

from ercot_sim.errors import CalendarError

__all__ = ["BusinessDayIndex"]

MIN_YEAR = 1900
MAX_YEAR = 2199


class BusinessDayIndex:
    """Business days of one calendar over a growing span of years.

    Args:
        name: calendar name (for messages).
        holidays_of: returns the holiday dates of a year.
        weekend: weekday numbers (Monday = 0) that are never business days.
    """

    def __init__(
        self,
        name: str,
        holidays_of: Callable[[int], Iterable[dt.date]],
        weekend: frozenset[int] = frozenset({5, 6}),
    ) -> None:
        self.name = name
        self._holidays_of = holidays_of
        self._weekend = weekend
        self.first_year = 0
        self.last_year = -1
        self._base = 0  # ordinal of 1 January of first_year
        self._flags = bytearray()
        self._before = array("l")  # business days strictly before base + i
        self._days = array("l")  # ordinals of the business days, ascending

    # -- span management -----------------------------------------------------------------
    def _build(self, first_year: int, last_year: int) -> None:
        first_year = max(first_year, MIN_YEAR)
        last_year = min(last_year, MAX_YEAR)
        base = dt.date(first_year, 1, 1).toordinal()
        end = dt.date(last_year, 12, 31).toordinal() + 1
        off: set[int] = set()
        for year in range(first_year, last_year + 1):
            off.update(d.toordinal() for d in self._holidays_of(year))
        flags = bytearray(end - base)
        before = array("l", [0]) * (end - base + 1)
        days = array("l")
        count = 0
        weekday = dt.date.fromordinal(base).weekday()
        for i in range(end - base):
            before[i] = count
            ordinal = base + i
            if weekday not in self._weekend and ordinal not in off:
                flags[i] = 1
                days.append(ordinal)
                count += 1
            weekday = (weekday + 1) % 7
        before[end - base] = count
        self.first_year, self.last_year = first_year, last_year
        self._base, self._flags, self._before, self._days = base, flags, before, days

    def _cover(self, ordinal: int) -> int:
        """Make sure ``ordinal`` is inside the span; return its index."""
        i = ordinal - self._base
        if 0 <= i < len(self._flags):
            return i
        year = dt.date.fromordinal(max(1, min(ordinal, dt.date.max.toordinal()))).year
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise CalendarError(
                f"date in year {year} is outside the calendar range {MIN_YEAR}..{MAX_YEAR}",
                self.name,
            )
        if self.last_year < self.first_year:
            self._build(year - 2, year + 8)
        else:
            self._build(min(self.first_year, year - 10), max(self.last_year, year + 10))
        return ordinal - self._base

    # -- queries ----------------------------------------------------------------------
    def is_business_day(self, ordinal: int) -> bool:
        """True when the day is a business day."""
        i = ordinal - self._base
        if not 0 <= i < len(self._flags):
            i = self._cover(ordinal)
        return self._flags[i] == 1

    def before(self, ordinal: int) -> int:
        """Number of business days strictly before ``ordinal`` within the span."""
        i = ordinal - self._base
        if not 0 <= i < len(self._flags):
            i = self._cover(ordinal)
        return self._before[i]

    def count(self, start: int, end: int) -> int:
        """Business days ``d`` with ``start < d <= end``.

        When ``end < start`` the result is minus the business days ``d`` with
        ``end <= d < start``, so that ``count(x, add(x, n)) == n`` for every ``n``.
        """
        # Cover both ends first: growing the span shifts every prefix sum.
        lo, hi = min(start, end), max(start, end)
        self.before(lo)
        self.before(hi + 1)
        if end >= start:
            return self.before(end + 1) - self.before(start + 1)
        return self.before(end) - self.before(start)

    def add(self, ordinal: int, n: int) -> int:
        """The ``n``-th business day after ``ordinal`` (before it when ``n < 0``; itself at 0)."""
        if n == 0:
            return ordinal
        for _ in range(4):
            k = self.before(ordinal + 1) + n - 1 if n > 0 else self.before(ordinal) + n
            if 0 <= k < len(self._days):
                # ``before`` may have rebuilt the span; recompute k in the new span.
                return self._days[k]
            # Result lies outside the span: grow it towards the result and retry.
            step = 366 * (abs(n) // 200 + 2)
            self._cover(ordinal + step if n > 0 else ordinal - step)
        raise CalendarError(f"cannot add {n} business days to day {ordinal}", self.name)
