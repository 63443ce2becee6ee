"""Market calendar: business days, retail business days per TDSP, business hours, sim time.

Public API::

    MarketCalendar            business-day / business-hour arithmetic per calendar
    default_calendar()        shared MarketCalendar over the shipped holiday data
    SimClock                  sim minutes since the run epoch <-> aware datetimes
    to_local(dt)              aware America/Chicago datetime (naive = local wall time)
    CENTRAL                   ZoneInfo("America/Chicago")
    Holiday                   one holiday date of a calendar (name, status, source)
    load_calendar_data(path)  validate a holiday file
    DEFAULT_HOLIDAYS_PATH     the shipped ercot_sim/calendar/holidays.toml

Holidays are effective-dated data (``holidays.toml``); US federal days come from the
``holidays`` package. See docs/calendar.md.
"""

from __future__ import annotations

from ercot_sim.calendar.clock import CENTRAL, SimClock, to_local
from ercot_sim.calendar.data import (
    DEFAULT_HOLIDAYS_PATH,
    CalendarData,
    Holiday,
    christmas_pair,
    load_calendar_data,
)
from ercot_sim.calendar.market import MarketCalendar, default_calendar

__all__ = [
    "CENTRAL",
    "DEFAULT_HOLIDAYS_PATH",
    "CalendarData",
    "Holiday",
    "MarketCalendar",
    "SimClock",
    "christmas_pair",
    "default_calendar",
    "load_calendar_data",
    "to_local",
]
