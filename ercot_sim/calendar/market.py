"""The market calendar: business days, retail business days per TDSP, business hours.

:class:`MarketCalendar` answers every date question of the simulator and of the timing
checker, for any calendar named in the holiday data (``"ERCOT"``, a TDSP such as
``"ONCOR"`` or an alias such as ``"CenterPoint"``, or ``"FEDERAL"``).

Conventions (see docs/calendar.md):

- Dates are ``datetime.date``. Where a ``datetime`` is passed instead, its **local**
  (America/Chicago) date is used; a naive datetime is read as local wall time.
- ``add_business_days(d, n)`` is the n-th business day after ``d`` (before it for
  ``n < 0``, ``d`` itself for ``n == 0``); ``count_business_days(a, b)`` counts business
  days ``x`` with ``a < x <= b`` (and, negated, ``b <= x < a`` when ``b < a``). So
  ``count(a, add(a, n)) == n``.
- Business hours are 08:00-17:00 local on business days (timing-rules.md A3); retail
  business hours use the ``retail_business_hours`` window (A4, assumed).
- A retail business day is a business day of the calendar of whoever processes the
  transaction: the TDSP's calendar for a TDSP, ERCOT's otherwise (A2). Pass that calendar.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

from ercot_sim.calendar.clock import to_local
from ercot_sim.calendar.data import (
    CalendarData,
    CalendarDef,
    Holiday,
    HoursWindow,
    expand_year,
    load_calendar_data,
    normalize_name,
)
from ercot_sim.calendar.index import BusinessDayIndex
from ercot_sim.errors import CalendarError

__all__ = ["MarketCalendar", "default_calendar"]

_DAY = dt.timedelta(days=1)


def _ordinal(day: dt.date | dt.datetime) -> int:
    if isinstance(day, dt.datetime):
        if day.tzinfo is not None:
            day = to_local(day)
        return day.date().toordinal()
    return day.toordinal()


def _minutes(t: dt.time) -> int:
    return t.hour * 60 + t.minute


class MarketCalendar:
    """Business-day and business-hour arithmetic over the holiday data.

    Args:
        path: holiday file to use instead of the shipped ``holidays.toml``.

    Raises:
        CalendarError: the holiday file is missing or invalid.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.data: CalendarData = load_calendar_data(path)
        self._defs: dict[str, CalendarDef] = {}
        self._lookup: dict[str, str] = {}
        for cal in self.data.calendars:
            self._defs[cal.name] = cal
            for key in (cal.name, *cal.aliases):
                self._lookup[normalize_name(key)] = cal.name
        self._index: dict[str, BusinessDayIndex] = {}
        self._holiday_cache: dict[tuple[str, int], tuple[Holiday, ...]] = {}
        self._hours = {
            False: self._window(self.data.business_hours),
            True: self._window(self.data.retail_business_hours),
        }

    @staticmethod
    def _window(window: HoursWindow) -> tuple[int, int]:
        return _minutes(window.start_time), _minutes(window.end_time)

    # -- names -----------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        """Canonical names of all calendars, in file order."""
        return [cal.name for cal in self.data.calendars]

    @property
    def tdsp_names(self) -> list[str]:
        """Canonical names of the TDSP calendars."""
        return [cal.name for cal in self.data.calendars if cal.kind == "tdsp"]

    def resolve(self, calendar: str) -> str:
        """Canonical name of a calendar or alias (case and separators ignored).

        Raises:
            CalendarError: no calendar has that name.
        """
        if calendar in self._defs:
            return calendar
        name = self._lookup.get(normalize_name(calendar))
        if name is None:
            raise CalendarError(f"unknown calendar '{calendar}'; known: {', '.join(self.names)}")
        return name

    def definition(self, calendar: str) -> CalendarDef:
        """The data behind a calendar (title, status, source, holiday rules)."""
        return self._defs[self.resolve(calendar)]

    def _idx(self, calendar: str) -> BusinessDayIndex:
        index = self._index.get(calendar)
        if index is None:
            name = self.resolve(calendar)
            index = self._index.get(name)
            if index is None:
                def holidays_of(year: int, n: str = name) -> list[dt.date]:
                    return [h.date for h in self.holidays(year, n)]

                index = BusinessDayIndex(name, holidays_of)
                self._index[name] = index
            self._index[calendar] = index
        return index

    # -- holidays --------------------------------------------------------------------
    def holidays(self, year: int, calendar: str = "ERCOT") -> tuple[Holiday, ...]:
        """Holidays of a calendar in a year, sorted by date (cached per year)."""
        name = self.resolve(calendar)
        key = (name, year)
        cached = self._holiday_cache.get(key)
        if cached is None:
            cached = tuple(expand_year(self._defs[name], year))
            self._holiday_cache[key] = cached
        return cached

    def holiday(self, day: dt.date, calendar: str = "ERCOT") -> Holiday | None:
        """The holiday on ``day``, if any (the first one when two share a day)."""
        for item in self.holidays(day.year, calendar):
            if item.date == day:
                return item
        return None

    # -- business days ---------------------------------------------------------------
    def is_business_day(self, day: dt.date | dt.datetime, calendar: str = "ERCOT") -> bool:
        """True when ``day`` is a business day of the calendar (Mon-Fri, not a holiday)."""
        return self._idx(calendar).is_business_day(_ordinal(day))

    def add_business_days(
        self, day: dt.date | dt.datetime, n: int, calendar: str = "ERCOT"
    ) -> dt.date:
        """The ``n``-th business day after ``day`` (before it if ``n < 0``; ``day`` if 0)."""
        return dt.date.fromordinal(self._idx(calendar).add(_ordinal(day), n))

    def count_business_days(
        self, start: dt.date | dt.datetime, end: dt.date | dt.datetime, calendar: str = "ERCOT"
    ) -> int:
        """Business days ``x`` with ``start < x <= end``.

        When ``end < start`` it is minus the business days ``x`` with ``end <= x < start``,
        so ``count_business_days(d, add_business_days(d, n)) == n`` for every ``n``.
        """
        return self._idx(calendar).count(_ordinal(start), _ordinal(end))

    def next_business_day(self, day: dt.date | dt.datetime, calendar: str = "ERCOT") -> dt.date:
        """First business day strictly after ``day``."""
        return self.add_business_days(day, 1, calendar)

    def previous_business_day(self, day: dt.date | dt.datetime, calendar: str = "ERCOT") -> dt.date:
        """Last business day strictly before ``day``."""
        return self.add_business_days(day, -1, calendar)

    def roll_forward(self, day: dt.date | dt.datetime, calendar: str = "ERCOT") -> dt.date:
        """``day`` if it is a business day, else the next one."""
        ordinal = _ordinal(day)
        index = self._idx(calendar)
        if index.is_business_day(ordinal):
            return dt.date.fromordinal(ordinal)
        return dt.date.fromordinal(index.add(ordinal, 1))

    def roll_backward(self, day: dt.date | dt.datetime, calendar: str = "ERCOT") -> dt.date:
        """``day`` if it is a business day, else the previous one."""
        ordinal = _ordinal(day)
        index = self._idx(calendar)
        if index.is_business_day(ordinal):
            return dt.date.fromordinal(ordinal)
        return dt.date.fromordinal(index.add(ordinal, -1))

    def effective_business_date(
        self,
        moment: dt.datetime,
        cutoff: dt.time | None = dt.time(17),
        calendar: str = "ERCOT",
    ) -> dt.date:
        """The business day a transaction sent at ``moment`` counts as sent on.

        A moment on a business day at or before ``cutoff`` (local) counts on that day; later
        than the cut-off, or on a weekend or holiday, it counts on the next business day
        (timing-rules.md A5: "after 5:00 p.m. CPT counts as sent the next Business Day").
        With ``cutoff=None`` only non-business days roll forward.
        """
        local = to_local(moment)
        ordinal = local.date().toordinal()
        index = self._idx(calendar)
        late = cutoff is not None and local.time() > cutoff
        if index.is_business_day(ordinal) and not late:
            return local.date()
        return dt.date.fromordinal(index.add(ordinal, 1))

    # -- business hours --------------------------------------------------------------
    def hours_window(self, retail: bool = False) -> tuple[dt.time, dt.time]:
        """Daily (retail) business-hours window as local (start, end)."""
        window = self.data.retail_business_hours if retail else self.data.business_hours
        return window.start_time, window.end_time

    def is_business_hours(
        self, moment: dt.datetime, calendar: str = "ERCOT", retail: bool = False
    ) -> bool:
        """True when ``moment`` is inside (retail) business hours (start inclusive, end exclusive)."""
        local = to_local(moment)
        start, end = self._hours[retail]
        now = local.hour * 60 + local.minute + local.second / 60
        return start <= now < end and self.is_business_day(local.date(), calendar)

    def _business_minutes(self, moment: dt.datetime, calendar: str, retail: bool) -> float:
        """Business minutes from the index origin up to ``moment``."""
        local = to_local(moment)
        start, end = self._hours[retail]
        index = self._idx(calendar)
        ordinal = local.date().toordinal()
        total: float = index.before(ordinal) * (end - start)
        if index.is_business_day(ordinal):
            now = local.hour * 60 + local.minute + (local.second + local.microsecond / 1e6) / 60
            total += min(max(now - start, 0.0), end - start)
        return total

    def business_hours_between(
        self,
        start: dt.datetime,
        end: dt.datetime,
        calendar: str = "ERCOT",
        retail: bool = False,
    ) -> float:
        """Business hours elapsed from ``start`` to ``end`` (negative if ``end`` is earlier)."""
        index = self._idx(calendar)
        # Cover both ends first so both counts come from the same span.
        index.before(_ordinal(start))
        index.before(_ordinal(end))
        a = self._business_minutes(start, calendar, retail)
        b = self._business_minutes(end, calendar, retail)
        return (b - a) / 60.0

    def add_business_hours(
        self,
        moment: dt.datetime,
        hours: float,
        calendar: str = "ERCOT",
        retail: bool = False,
    ) -> dt.datetime:
        """The aware local datetime ``hours`` business hours after ``moment``.

        Time outside business hours does not count: a moment before opening starts at
        opening, one after closing or on a non-business day starts at the next opening. A
        result exactly at a day's end stays at closing time (17:00) of that day.
        """
        if hours < 0:
            raise CalendarError(f"cannot add a negative number of business hours ({hours})")
        local = to_local(moment)
        start, end = self._hours[retail]
        per_day = end - start
        index = self._idx(calendar)
        ordinal = local.date().toordinal()
        now = local.hour * 60 + local.minute + (local.second + local.microsecond / 1e6) / 60
        if not index.is_business_day(ordinal) or now >= end:
            ordinal = index.add(ordinal, 1)
            now = start
        now = max(now, start)
        remaining = hours * 60.0
        available = end - now
        if remaining > available:
            remaining -= available
            full = int(-(-remaining // per_day)) - 1  # whole extra days before the last
            remaining -= full * per_day
            ordinal = index.add(ordinal, full + 1)
            now = start
        minutes = now + remaining
        day = dt.date.fromordinal(ordinal)
        naive = dt.datetime.combine(day, dt.time(0)) + dt.timedelta(minutes=minutes)
        return to_local(naive)

    def __repr__(self) -> str:
        return f"MarketCalendar({', '.join(self.names)})"


@lru_cache(maxsize=1)
def default_calendar() -> MarketCalendar:
    """The shared calendar built from the shipped holiday data."""
    return MarketCalendar()
