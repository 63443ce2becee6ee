"""Holiday calendars as data: the schema of ``holidays.toml`` and the expansion to dates.

A calendar (ERCOT, one per TDSP, FEDERAL) is a list of effective-dated holiday rules.
:func:`load_calendar_data` validates the file; :func:`expand_year` turns one calendar's
rules into the :class:`Holiday` dates of a year. US federal days come from the
``holidays`` package rather than from the file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import holidays as holidays_lib
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ercot_sim.errors import CalendarError
from ercot_sim.tomlload import load_toml_model

__all__ = [
    "DEFAULT_HOLIDAYS_PATH",
    "CalendarData",
    "CalendarDef",
    "Holiday",
    "HolidayRule",
    "HoursWindow",
    "Status",
    "expand_year",
    "load_calendar_data",
]

DEFAULT_HOLIDAYS_PATH = Path(__file__).with_name("holidays.toml")

Status = Literal["confirmed", "assumed"]
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[str, ...] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)
HHMM = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HoursWindow(_Strict):
    """Daily window of (retail) business hours, local time."""

    start: str = HHMM
    end: str = HHMM
    status: Status
    source: str = ""

    @property
    def start_time(self) -> dt.time:
        """Opening time."""
        return dt.time.fromisoformat(self.start)

    @property
    def end_time(self) -> dt.time:
        """Closing time."""
        return dt.time.fromisoformat(self.end)

    @model_validator(mode="after")
    def _ordered(self) -> HoursWindow:
        if self.start >= self.end:
            raise ValueError(f"start {self.start} must be before end {self.end}")
        return self


class Choice(_Strict):
    """Dates explicitly chosen for one year of a ``chosen`` holiday."""

    year: int = Field(ge=1900, le=2199)
    dates: list[dt.date] = Field(min_length=1)
    status: Status

    @model_validator(mode="after")
    def _same_year(self) -> Choice:
        for day in self.dates:
            if day.year != self.year:
                raise ValueError(f"date {day} is not in year {self.year}")
        return self


class HolidayRule(_Strict):
    """One holiday rule of a calendar (see module ``holidays.toml`` for the kinds)."""

    name: str = Field(min_length=1)
    kind: Literal["fixed", "nth_weekday", "easter", "chosen", "dates"]
    month: int | None = Field(default=None, ge=1, le=12)
    day: int | None = Field(default=None, ge=1, le=31)
    weekday: Weekday | None = None
    n: int | None = Field(default=None, ge=-1, le=5)
    offset_days: int = Field(default=0, ge=-14, le=14)
    observed: Literal["none", "nearest_weekday", "next_weekday", "previous_weekday"] = "none"
    dates: list[dt.date] = []
    choices: list[Choice] = []
    default: Literal["christmas_pair", "christmas_eve_and_day", "none"] = "none"
    status: Status
    source: str = ""
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None

    @model_validator(mode="after")
    def _fields_for_kind(self) -> HolidayRule:
        need = {
            "fixed": ("month", "day"),
            "nth_weekday": ("month", "weekday", "n"),
            "easter": (),
            "chosen": (),
            "dates": (),
        }[self.kind]
        missing = [f for f in need if getattr(self, f) is None]
        if missing:
            raise ValueError(f"kind '{self.kind}' needs {', '.join(missing)}")
        if self.kind == "nth_weekday" and self.n == 0:
            raise ValueError("n must be 1..5 or -1 (last)")
        if self.kind == "fixed":
            dt.date(2000, self.month or 1, self.day or 1)  # 2000 is a leap year
        if self.kind == "dates" and not self.dates:
            raise ValueError("kind 'dates' needs a non-empty dates list")
        if self.kind == "chosen" and not self.choices and self.default == "none":
            raise ValueError("kind 'chosen' needs choices or a default pattern")
        if self.effective_from and self.effective_to and self.effective_from > self.effective_to:
            raise ValueError("effective_from is after effective_to")
        return self


class CalendarDef(_Strict):
    """A named calendar: ERCOT, a TDSP, or FEDERAL."""

    name: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    aliases: list[str] = []
    kind: Literal["market", "tdsp", "federal"]
    title: str = ""
    status: Status
    source: str = ""
    holidays: list[HolidayRule] = []

    @model_validator(mode="after")
    def _federal_has_no_rules(self) -> CalendarDef:
        if self.kind == "federal" and self.holidays:
            raise ValueError("a federal calendar takes its holidays from the 'holidays' package")
        return self


class CalendarData(_Strict):
    """The whole holiday file."""

    business_hours: HoursWindow
    retail_business_hours: HoursWindow
    calendars: list[CalendarDef] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_names(self) -> CalendarData:
        seen: dict[str, str] = {}
        for cal in self.calendars:
            for key in (cal.name, *cal.aliases):
                norm = normalize_name(key)
                if norm in seen and seen[norm] != cal.name:
                    raise ValueError(
                        f"name '{key}' is used by calendars {seen[norm]} and {cal.name}"
                    )
                seen[norm] = cal.name
        if "ERCOT" not in seen:
            raise ValueError("an 'ERCOT' calendar is required")
        return self


@dataclass(frozen=True, order=True)
class Holiday:
    """One non-business day produced by a calendar's rules.

    Attributes:
        date: the day that is not a business day (the observed day).
        name: holiday name, with "(observed)" when moved off a weekend.
        calendar: canonical calendar name.
        status: ``confirmed`` or ``assumed``.
        source: where the rule comes from.
    """

    date: dt.date
    name: str
    calendar: str
    status: str
    source: str = ""


def normalize_name(name: str) -> str:
    """Canonical lookup form of a calendar name or alias: upper case, ``_`` for separators."""
    out = []
    for ch in name.strip().upper():
        out.append(ch if ch.isalnum() else "_")
    return "_".join(part for part in "".join(out).split("_") if part)


@lru_cache(maxsize=8)
def _load_cached(path: str, mtime: float) -> CalendarData:
    return load_toml_model(path, CalendarData, CalendarError)


def load_calendar_data(path: str | Path | None = None) -> CalendarData:
    """Load and validate a holiday file (default: the shipped ``holidays.toml``).

    Raises:
        CalendarError: the file is missing or invalid (names file, line and field).
    """
    file = Path(path) if path is not None else DEFAULT_HOLIDAYS_PATH
    try:
        mtime = file.stat().st_mtime
    except OSError:
        raise CalendarError("file not found", str(file)) from None
    return _load_cached(str(file), mtime)


def easter(year: int) -> dt.date:
    """Easter Sunday of a Gregorian year (anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 19 * el) // 433
    month = (h + el - 7 * m + 90) // 25
    return dt.date(year, month, (h + el - 7 * m + 33 * month + 19) % 32)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    if n > 0:
        first = dt.date(year, month, 1)
        day = first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
        if day.month != month:
            raise CalendarError(f"there is no weekday #{n} in {year}-{month:02d}")
        return day
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    last = nxt - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def _observe(day: dt.date, how: str) -> dt.date:
    wd = day.weekday()
    if wd < 5 or how == "none":
        return day
    if how == "nearest_weekday":
        return day + dt.timedelta(days=-1 if wd == 5 else 1)
    if how == "next_weekday":
        return day + dt.timedelta(days=7 - wd)
    return day - dt.timedelta(days=wd - 4)  # previous_weekday


def christmas_pair(year: int) -> list[dt.date]:
    """Default pattern for the two Christmas holidays of a year (ASSUMED).

    Christmas on Monday: 25 and 26 December. Tuesday to Friday: 24 and 25. Saturday: the
    Thursday and Friday before (23, 24). Sunday: Friday 23 and Monday 26.
    """
    xmas = dt.date(year, 12, 25)
    wd = xmas.weekday()
    one = dt.timedelta(days=1)
    if wd == 0:
        return [xmas, xmas + one]
    if wd <= 4:
        return [xmas - one, xmas]
    if wd == 5:
        return [xmas - 2 * one, xmas - one]
    return [xmas - 2 * one, xmas + one]


def christmas_eve_and_day(year: int) -> list[dt.date]:
    """Christmas Eve and Christmas Day moved off weekends as a pair (ASSUMED TDSP pattern).

    Christmas on Saturday: Thursday 23 and Friday 24. Sunday: Friday 23 and Monday 26.
    Monday: Friday 22 and Monday 25. Otherwise 24 and 25 December.
    """
    xmas = dt.date(year, 12, 25)
    one = dt.timedelta(days=1)
    shift = {5: [-2, -1], 6: [-2, 1], 0: [-3, 0]}.get(xmas.weekday(), [-1, 0])
    return [xmas + k * one for k in shift]


_PATTERNS = {"christmas_pair": christmas_pair, "christmas_eve_and_day": christmas_eve_and_day}


def _rule_dates(rule: HolidayRule, year: int) -> list[tuple[dt.date, bool, str]]:
    """Dates a rule gives for its own ``year`` as (date, moved?, status)."""
    offset = dt.timedelta(days=rule.offset_days)
    if rule.kind == "fixed":
        try:
            base = dt.date(year, rule.month or 1, rule.day or 1)
        except ValueError:  # 29 February in a common year
            return []
        day = _observe(base + offset, rule.observed)
        return [(day, day != base + offset, rule.status)]
    if rule.kind == "nth_weekday":
        wd = WEEKDAYS.index(rule.weekday or "monday")
        base = _nth_weekday(year, rule.month or 1, wd, rule.n or 1) + offset
        day = _observe(base, rule.observed)
        return [(day, day != base, rule.status)]
    if rule.kind == "easter":
        base = easter(year) + offset
        day = _observe(base, rule.observed)
        return [(day, day != base, rule.status)]
    if rule.kind == "dates":
        return [(d, False, rule.status) for d in rule.dates if d.year == year]
    for choice in rule.choices:
        if choice.year == year:
            return [(d, False, choice.status) for d in choice.dates]
    if rule.default != "none":
        return [(d, False, "assumed") for d in _PATTERNS[rule.default](year)]
    return []


def expand_year(cal: CalendarDef, year: int) -> list[Holiday]:
    """All holidays of ``cal`` that fall in ``year``, sorted by date.

    Rules are evaluated for the neighbouring years too, so a New Year's Day observed on
    31 December appears in the earlier year.

    Raises:
        CalendarError: the year is outside 1900..2199.
    """
    if not 1900 <= year <= 2199:
        raise CalendarError(f"year {year} is outside the supported range 1900..2199")
    if cal.kind == "federal":
        return [
            Holiday(day, name, cal.name, "confirmed", cal.source)
            for day, name in sorted(holidays_lib.country_holidays("US", years=year).items())
            if day.year == year
        ]
    out: list[Holiday] = []
    for rule in cal.holidays:
        for rule_year in (year - 1, year, year + 1):
            for day, moved, status in _rule_dates(rule, rule_year):
                if day.year != year:
                    continue
                if rule.effective_from and day < rule.effective_from:
                    continue
                if rule.effective_to and day > rule.effective_to:
                    continue
                name = f"{rule.name} (observed)" if moved else rule.name
                out.append(Holiday(day, name, cal.name, status, rule.source or cal.source))
    return sorted(out)
