"""Simulation time <-> wall-clock time in America/Chicago (Central Prevailing Time).

Simulation time is a float number of **minutes of elapsed time since the run's epoch**,
and the epoch is midnight America/Chicago at the start of the run's first day. Elapsed
time is physical time (computed through UTC), so a spring-forward day is 1,380 minutes
long and a fall-back day 1,500; local 17:00 on day *k* is not always ``k * 1440 + 1020``.
Use :meth:`SimClock.at` for "this local time on this date" and never do that arithmetic
by hand.

Wall times that do not exist (02:30 on the spring-forward day) are read with the offset in
force before the change, i.e. they land an hour later (03:30 CDT). Wall times that occur
twice (01:30 on the fall-back day) mean the first one (CDT) unless ``fold=1`` is set.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

__all__ = ["CENTRAL", "UTC", "SimClock", "to_local"]

CENTRAL = ZoneInfo("America/Chicago")
UTC = dt.UTC


def to_local(moment: dt.datetime) -> dt.datetime:
    """An aware datetime in America/Chicago.

    Naive datetimes are taken as Central Prevailing Time wall clock; aware ones are
    converted. A naive non-existent wall time is normalised (02:30 on the spring-forward
    day becomes 03:30 CDT); a datetime already in ``CENTRAL`` is returned as it is.
    """
    tz = moment.tzinfo
    if tz is CENTRAL:
        return moment
    if tz is None:
        moment = moment.replace(tzinfo=CENTRAL)
    return moment.astimezone(UTC).astimezone(CENTRAL)


class SimClock:
    """Converts between simulation minutes and aware datetimes for one run.

    Args:
        start: the run's first day; its local midnight is sim time 0.

    Attributes:
        start: the first day of the run.
        epoch: the aware datetime (America/Chicago) of sim time 0.
    """

    __slots__ = ("start", "epoch", "_epoch_utc", "_day_cache")

    def __init__(self, start: dt.date) -> None:
        if isinstance(start, dt.datetime):
            start = start.date()
        self.start = start
        self.epoch = dt.datetime.combine(start, dt.time(0), CENTRAL)
        self._epoch_utc = self.epoch.astimezone(UTC)
        self._day_cache: dict[dt.date, float] = {}

    def to_datetime(self, minutes: float) -> dt.datetime:
        """Aware local datetime of a sim time."""
        return (self._epoch_utc + dt.timedelta(minutes=minutes)).astimezone(CENTRAL)

    def from_datetime(self, moment: dt.datetime) -> float:
        """Sim minutes of a datetime (naive = Central Prevailing Time wall clock)."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=CENTRAL)
        return (moment - self._epoch_utc).total_seconds() / 60.0

    def day_start(self, day: dt.date) -> float:
        """Sim minutes of local midnight at the start of ``day`` (cached per day)."""
        cached = self._day_cache.get(day)
        if cached is None:
            cached = self.from_datetime(dt.datetime.combine(day, dt.time(0), CENTRAL))
            self._day_cache[day] = cached
        return cached

    def at(self, day: dt.date, clock: dt.time, fold: int = 0) -> float:
        """Sim minutes of local wall time ``clock`` on ``day``."""
        local = dt.datetime.combine(day, clock, CENTRAL).replace(fold=fold)
        return self.from_datetime(to_local(local))

    def date_of(self, minutes: float) -> dt.date:
        """Local calendar date of a sim time."""
        return self.to_datetime(minutes).date()

    def day_length(self, day: dt.date) -> float:
        """Length of a local day in minutes (1380, 1440 or 1500)."""
        return self.day_start(day + dt.timedelta(days=1)) - self.day_start(day)

    def __repr__(self) -> str:
        return f"SimClock(start={self.start.isoformat()})"
