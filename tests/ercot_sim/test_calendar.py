"""Market calendar: conformance table, properties, holiday data errors and the CLI."""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ercot_sim.calendar import CENTRAL, MarketCalendar, SimClock, default_calendar, to_local
from ercot_sim.cli import app
from ercot_sim.errors import CalendarError
from ercot_sim.timing import load_rules

CASES_FILE = Path(__file__).parent / "cases" / "deadlines.toml"
CASES = tomllib.loads(CASES_FILE.read_text(encoding="utf-8"))["cases"]
CALENDARS = [
    "ERCOT",
    "ONCOR",
    "CENTERPOINT",
    "AEP_TEXAS_CENTRAL",
    "AEP_TEXAS_NORTH",
    "TNMP",
    "LPL",
    "FEDERAL",
]
SETTINGS = settings(max_examples=60, deadline=None)


@pytest.fixture(scope="module")
def mc() -> MarketCalendar:
    return default_calendar()


@pytest.fixture(scope="module")
def rules():
    return load_rules()


def test_conformance_table_is_large_enough() -> None:
    assert sum(c["op"] == "deadline" for c in CASES) >= 40
    assert len({c["id"] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_conformance(case: dict, mc: MarketCalendar, rules) -> None:
    op = case["op"]
    if op == "deadline":
        got = rules.deadline(case["rule"], case["at"], case.get("tdsp"))
        assert got == case["expect"]
        assert got.utcoffset() == case["expect"].utcoffset()
        assert got.tzinfo is CENTRAL
    elif op == "add_business_days":
        assert mc.add_business_days(case["day"], case["n"], case["calendar"]) == case["expect"]
    elif op == "count_business_days":
        got = mc.count_business_days(case["day"], case["end"], case["calendar"])
        assert got == case["expect"]
    elif op == "is_business_day":
        assert mc.is_business_day(case["day"], case["calendar"]) is case["expect"]
    elif op == "effective_business_date":
        got = mc.effective_business_date(case["at"], dt.time(17), case["calendar"])
        assert got == case["expect"]
    elif op == "add_business_hours":
        got = mc.add_business_hours(case["at"], case["hours"], case["calendar"])
        assert got == case["expect"] and got.utcoffset() == case["expect"].utcoffset()
    elif op == "sim_minutes":
        assert SimClock(case["day"]).from_datetime(case["at"]) == case["expect"]
    elif op == "day_length":
        assert SimClock(case["day"]).day_length(case["day"]) == case["expect"]
    else:  # pragma: no cover - a typo in the table must fail loudly
        pytest.fail(f"unknown op {op}")


# -- holidays ------------------------------------------------------------------------------


def test_ercot_holidays_2024(mc: MarketCalendar) -> None:
    days = [h.date.isoformat() for h in mc.holidays(2024)]
    assert days == [
        "2024-01-01",
        "2024-05-27",
        "2024-07-04",
        "2024-09-02",
        "2024-11-28",
        "2024-11-29",
        "2024-12-24",
        "2024-12-25",
    ]


def test_new_year_observed_in_previous_year(mc: MarketCalendar) -> None:
    # 1 January 2028 is a Saturday: observed Friday 31 December 2027.
    holiday = mc.holiday(dt.date(2027, 12, 31))
    assert holiday is not None and "observed" in holiday.name
    assert not mc.is_business_day(dt.date(2027, 12, 31))


def test_christmas_default_pattern_beyond_explicit_choices(mc: MarketCalendar) -> None:
    # 2028: Christmas on Monday -> 25 and 26 December (no explicit choice in the data).
    days = [h.date for h in mc.holidays(2028) if h.date.month == 12]
    assert days == [dt.date(2028, 12, 25), dt.date(2028, 12, 26)]
    assert all(h.status == "assumed" for h in mc.holidays(2028) if h.date.month == 12)


def test_tdsp_christmas_differs_from_ercot(mc: MarketCalendar) -> None:
    ercot = {h.date for h in mc.holidays(2023, "ERCOT")}
    oncor = {h.date for h in mc.holidays(2023, "ONCOR")}
    assert ercot - oncor == {dt.date(2023, 12, 26)}
    assert oncor - ercot == {dt.date(2023, 12, 22)}


def test_federal_calendar_comes_from_holidays_package(mc: MarketCalendar) -> None:
    names = {h.name for h in mc.holidays(2024, "FEDERAL")}
    assert "Juneteenth National Independence Day" in names
    assert "Day after Thanksgiving" not in names


def test_status_marks(mc: MarketCalendar) -> None:
    assert mc.definition("ERCOT").status == "confirmed"
    assert mc.tdsp_names
    for name in mc.tdsp_names:
        assert mc.definition(name).status == "assumed"
        assert mc.holidays(2025, name) and all(h.status == "assumed" for h in mc.holidays(2025, name))


def test_aliases_resolve(mc: MarketCalendar) -> None:
    assert mc.resolve("CenterPoint Energy") == "CENTERPOINT"
    assert mc.resolve("aep texas central") == "AEP_TEXAS_CENTRAL"
    with pytest.raises(CalendarError, match="unknown calendar 'NOPE'"):
        mc.resolve("NOPE")


def test_out_of_range_year(mc: MarketCalendar) -> None:
    with pytest.raises(CalendarError, match="outside"):
        mc.is_business_day(dt.date(2300, 1, 2))


def test_aware_datetime_uses_local_date(mc: MarketCalendar) -> None:
    # 03:00 UTC on Friday 29 Nov 2024 is 21:00 Thursday (Thanksgiving) in Chicago.
    moment = dt.datetime(2024, 11, 29, 3, 0, tzinfo=dt.UTC)
    assert to_local(moment).date() == dt.date(2024, 11, 28)
    assert mc.next_business_day(moment) == dt.date(2024, 12, 2)


def test_effective_dating(tmp_path: Path) -> None:
    text = (Path(__file__).parents[2] / "ercot_sim/calendar/holidays.toml").read_text()
    text = text.replace(
        'name = "Memorial Day"\nkind = "nth_weekday"\nmonth = 5\nweekday = "monday"\nn = -1\n',
        'name = "Memorial Day"\nkind = "nth_weekday"\nmonth = 5\nweekday = "monday"\nn = -1\n'
        "effective_from = 2025-01-01\n",
    )
    path = tmp_path / "holidays.toml"
    path.write_text(text)
    cal = MarketCalendar(path)
    assert cal.is_business_day(dt.date(2024, 5, 27))
    assert not cal.is_business_day(dt.date(2025, 5, 26))


def test_bad_holiday_file_names_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "holidays.toml"
    path.write_text(
        '[business_hours]\nstart = "08:00"\nend = "17:00"\nstatus = "confirmed"\n'
        '[retail_business_hours]\nstart = "08:00"\nend = "17:00"\nstatus = "assumed"\n'
        '[[calendars]]\nname = "ERCOT"\nkind = "market"\nstatus = "confirmed"\n'
        "[[calendars.holidays]]\n"
        'name = "X"\nkind = "nth_weekday"\nmonth = 5\nweekday = "someday"\nn = 1\n'
        'status = "confirmed"\n'
    )
    with pytest.raises(CalendarError) as info:
        MarketCalendar(path)
    assert f"{path} line 17, calendars[0].holidays[0].weekday:" in str(info.value)


# -- properties ----------------------------------------------------------------------------

dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2045, 12, 31))
calendars = st.sampled_from(CALENDARS)


@SETTINGS
@given(day=dates, n=st.integers(-400, 400), cal=calendars)
def test_add_then_count_gives_n(day: dt.date, n: int, cal: str) -> None:
    mc = default_calendar()
    result = mc.add_business_days(day, n, cal)
    assert mc.count_business_days(day, result, cal) == n
    if n != 0:
        assert mc.is_business_day(result, cal)
        assert result.weekday() < 5
        assert mc.holiday(result, cal) is None
        assert (result > day) == (n > 0)


@SETTINGS
@given(a=dates, b=dates, c=dates, cal=calendars)
def test_count_is_additive(a: dt.date, b: dt.date, c: dt.date, cal: str) -> None:
    mc = default_calendar()
    a, b, c = sorted((a, b, c))
    assert mc.count_business_days(a, b, cal) + mc.count_business_days(b, c, cal) == (
        mc.count_business_days(a, c, cal)
    )
    assert mc.count_business_days(c, a, cal) == -(
        mc.count_business_days(a, c, cal) + mc.is_business_day(a, cal) - mc.is_business_day(c, cal)
    )


@SETTINGS
@given(day=dates, cal=calendars)
def test_business_day_matches_definition(day: dt.date, cal: str) -> None:
    mc = default_calendar()
    off = {h.date for h in mc.holidays(day.year, cal)}
    assert mc.is_business_day(day, cal) == (day.weekday() < 5 and day not in off)
    rolled = mc.roll_forward(day, cal)
    assert rolled >= day and mc.is_business_day(rolled, cal)
    assert mc.count_business_days(day, rolled, cal) == (0 if rolled == day else 1)


@SETTINGS
@given(
    start=st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 12, 31)),
    minutes=st.floats(min_value=0, max_value=2 * 366 * 1440, allow_nan=False),
)
def test_sim_time_round_trip(start: dt.date, minutes: float) -> None:
    clock = SimClock(start)
    moment = clock.to_datetime(minutes)
    assert moment.tzinfo is CENTRAL
    assert clock.from_datetime(moment) == pytest.approx(minutes, abs=1e-6)
    assert clock.to_datetime(clock.from_datetime(moment)) == moment


@SETTINGS
@given(
    day=st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 12, 31)),
    minute=st.integers(0, 1439),
)
def test_wall_clock_round_trip_across_dst(day: dt.date, minute: int) -> None:
    clock = SimClock(day - dt.timedelta(days=3))
    wall = dt.datetime.combine(day, dt.time(minute // 60, minute % 60))
    back = clock.to_datetime(clock.from_datetime(wall))
    # Non-existent wall times (spring forward) move one hour later; all others survive.
    assert back.replace(tzinfo=None) in (wall, wall + dt.timedelta(hours=1))
    if back.replace(tzinfo=None) != wall:
        assert wall.hour == 2 and back.utcoffset() == dt.timedelta(hours=-5)


@SETTINGS
@given(
    day=st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 12, 31)),
    minute=st.integers(0, 1439),
    hours=st.floats(min_value=0, max_value=200, allow_nan=False),
    cal=calendars,
)
def test_business_hours_add_then_between(day: dt.date, minute: int, hours: float, cal: str) -> None:
    mc = default_calendar()
    start = dt.datetime.combine(day, dt.time(minute // 60, minute % 60))
    end = mc.add_business_hours(start, hours, cal)
    assert mc.business_hours_between(start, end, cal) == pytest.approx(hours, abs=1e-6)
    if hours > 0:
        assert mc.is_business_day(end, cal)
        assert dt.time(8) <= end.time() <= dt.time(17)


# -- CLI -----------------------------------------------------------------------------------

runner = CliRunner()


def test_cli_json_counts() -> None:
    result = runner.invoke(app, ["calendar", "--year", "2024", "--tdsp", "oncor", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [c["name"] for c in data["calendars"]] == ["ERCOT", "ONCOR"]
    ercot = data["calendars"][0]
    assert ercot["business_days"][10] == 19  # November 2024: 21 weekdays - Thanksgiving pair
    assert ercot["business_days_total"] == 254


def test_cli_table() -> None:
    result = runner.invoke(app, ["calendar", "--year", "2023"])
    assert result.exit_code == 0, result.output
    assert "Day after Thanksgiving" in result.output and "CENTERPOINT" in result.output


def test_cli_ics_is_deterministic(tmp_path: Path) -> None:
    files = [tmp_path / "a.ics", tmp_path / "b.ics"]
    for file in files:
        result = runner.invoke(app, ["calendar", "--year", "2025", "--ics", str(file), "--json"])
        assert result.exit_code == 0, result.output
    first = files[0].read_bytes()
    assert first == files[1].read_bytes()
    assert b"UID:2025-11-28-ercot-day-after-thanksgiving@ercot-sim" in first
    assert b"DTSTAMP:20250101T000000Z" in first


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--year", "2024", "--tdsp", "NOPE"], "unknown calendar 'NOPE'"),
        (["--year", "1800"], "outside the supported range"),
    ],
)
def test_cli_errors_exit_2(args: list[str], reason: str) -> None:
    result = runner.invoke(app, ["calendar", *args])
    assert result.exit_code == 2
    assert reason in result.output
    assert "Traceback" not in result.output
