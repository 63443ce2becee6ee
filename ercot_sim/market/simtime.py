"""The engine's clock: sim minutes since the run's epoch, and market-calendar arithmetic.

Sim time is the number of minutes since the run's epoch, midnight America/Chicago of the
scenario's start date, counted in real elapsed minutes (a DST day has 23 or 25 hours).
Every conversion to local dates and times, and every business-day question, goes through
this class; the holidays themselves come from :mod:`ercot_sim.calendar` (ERCOT's, each
TDSP's own, and the federal calendar for the rescission period). Participants never do
date arithmetic themselves.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from ercot_sim.calendar import MarketCalendar, SimClock, default_calendar
from ercot_sim.errors import CalendarError

__all__ = ["CENTRAL", "Clock"]

CENTRAL = ZoneInfo("America/Chicago")
_ONE = dt.timedelta(days=1)


class Clock:
    """Minutes since the epoch <-> local time, and business days per calendar.

    Args:
        start: the run's first day; minute 0 is its local midnight.
    """

    def __init__(self, start: dt.date, calendar: MarketCalendar | None = None) -> None:
        self.start = start
        self.sim = SimClock(start)
        self.market = calendar or default_calendar()
        self._local_cache: dict[int, dt.datetime] = {}
        self._minute_cache: dict[tuple[dt.date, str | dt.time], int] = {}
        self._names: dict[str, str] = {}
        self._cycle_days: dict[tuple[int, int, int, str], dt.date] = {}

    def calendar_name(self, name: str) -> str:
        """Canonical calendar name; a TDSP without its own calendar counts ERCOT's days."""
        got = self._names.get(name)
        if got is None:
            try:
                got = self.market.resolve(name)
            except CalendarError:
                got = "ERCOT"
            self._names[name] = got
        return got

    # -- sim time <-> local time ----------------------------------------------------------
    def minute(self, day: dt.date, hhmm: str | dt.time = "00:00") -> int:
        """Sim minute of a local date and time (a time skipped by DST maps forward)."""
        key = (day, hhmm)
        got = self._minute_cache.get(key)
        if got is None:
            t = dt.time.fromisoformat(hhmm) if isinstance(hhmm, str) else hhmm
            got = self._minute_cache[key] = int(self.sim.at(day, t) // 1)
        return got

    def minute_of_day(self, day: int, hhmm: str = "00:00") -> int:
        """Sim minute of day ``day`` of the run at local ``hhmm``."""
        return self.minute(self.start + dt.timedelta(days=day), hhmm)

    def local(self, minute: int) -> dt.datetime:
        """Local (America/Chicago) aware datetime of a sim minute."""
        got = self._local_cache.get(minute)
        if got is None:
            got = self.sim.to_datetime(minute)
            if len(self._local_cache) > 100_000:
                self._local_cache.clear()
            self._local_cache[minute] = got
        return got

    def date(self, minute: int) -> dt.date:
        """Local date of a sim minute."""
        return self.local(minute).date()

    def iso(self, minute: int) -> str:
        """ISO 8601 local time with offset (the trace's ``sent_at``)."""
        return self.local(minute).isoformat()

    # -- business days ------------------------------------------------------------------
    # -- calendar days -----------------------------------------------------------------------
    def run_day(self, n: int) -> dt.date:
        """The date of day ``n`` of the run (0: its first day)."""
        return self.start + dt.timedelta(days=n)

    @staticmethod
    def plus_days(day: dt.date, n: int) -> dt.date:
        """``n`` calendar days after ``day`` (before it when negative)."""
        return day + dt.timedelta(days=n)

    @staticmethod
    def days_between(first: dt.date, last: dt.date) -> int:
        """Calendar days from ``first`` to ``last`` (negative when ``last`` is earlier)."""
        return (last - first).days

    @staticmethod
    def parse(text: str) -> dt.date:
        """A CCYYMMDD date of a transaction's fields."""
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))

    def iteration(self, minute: int) -> dt.datetime:
        """Local date and time of sim ``minute`` to the minute, without a zone: an 814_12's
        iteration counter (DTM*097), which orders a CR's date changes."""
        return self.local(minute).replace(tzinfo=None, second=0, microsecond=0)

    def stamp(self, minute: int) -> str:
        """Local CCYYMMDDHHMM of sim ``minute`` (an 814_12's iteration counter)."""
        return self.local(minute).strftime("%Y%m%d%H%M")

    # -- business days and hours -----------------------------------------------------------
    def next_opening(self, minute: int, calendar: str = "ERCOT") -> int | None:
        """None when sim ``minute`` is inside business hours on ``calendar`` (the market
        calendar's window, 08:00-17:00), else the minute they open next: the window's start
        on the next business day (today's, when it is a business day not yet open)."""
        local = self.local(minute)
        opens, closes = self.market.hours_window()
        now = local.time()
        day = local.date()
        if opens <= now < closes and self.is_business_day(day, calendar):
            return None
        if now >= opens:
            day += _ONE
        return self.minute(self.roll(day, calendar), opens)

    def is_business_day(self, day: dt.date, calendar: str = "ERCOT") -> bool:
        """Monday-Friday and not a holiday of ``calendar`` (ERCOT, a TDSP, or FEDERAL)."""
        return self.market.is_business_day(day, self.calendar_name(calendar))

    def roll(self, day: dt.date, calendar: str = "ERCOT") -> dt.date:
        """``day`` if it is a business day, else the next business day."""
        return self.market.roll_forward(day, self.calendar_name(calendar))

    def add_business_days(self, day: dt.date, n: int, calendar: str = "ERCOT") -> dt.date:
        """The ``n``-th business day after ``day`` (before it when ``n`` < 0)."""
        return self.market.add_business_days(day, n, self.calendar_name(calendar))

    def business_day_index(self, day: dt.date, calendar: str = "ERCOT") -> int:
        """1 for the first business day of ``day``'s month, 2 for the second ...; 0 if none."""
        if not self.is_business_day(day, calendar):
            return 0
        last_of_previous = day.replace(day=1) - _ONE
        return self.market.count_business_days(last_of_previous, day, self.calendar_name(calendar))

    def nth_business_day(self, year: int, month: int, n: int, calendar: str = "ERCOT") -> dt.date | None:
        """The ``n``-th business day of a month, or ``None`` when the month has fewer."""
        d = dt.date(year, month, 1)
        count = 0
        while d.month == month:
            if self.is_business_day(d, calendar):
                count += 1
                if count == n:
                    return d
            d += _ONE
        return None

    def cycle_read_day(self, year: int, month: int, cycle: int, calendar: str = "ERCOT") -> dt.date:
        """The day meter read ``cycle`` is read in a month: its ``cycle``-th business day, or
        the month's last business day when the month has fewer (that day reads the cycles
        the month has no day for, as ``Tdsp.daily`` does)."""
        key = (year, month, cycle, self.calendar_name(calendar))
        got = self._cycle_days.get(key)
        if got is None:
            got = self.nth_business_day(year, month, cycle, calendar)
            if got is None:
                after = dt.date(year + month // 12, month % 12 + 1, 1)
                got = self.add_business_days(after, -1, calendar)
            self._cycle_days[key] = got
        return got

    def last_cycle_read(self, before: dt.date, cycle: int, calendar: str = "ERCOT") -> dt.date:
        """The last read day of ``cycle`` before ``before`` (this month's or last month's
        :meth:`cycle_read_day`): where a meter's period ending at its next cycle read starts."""
        day = self.cycle_read_day(before.year, before.month, cycle, calendar)
        if day < before:
            return day
        if before.month == 1:
            return self.cycle_read_day(before.year - 1, 12, cycle, calendar)
        return self.cycle_read_day(before.year, before.month - 1, cycle, calendar)
