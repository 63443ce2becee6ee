"""``ercot-sim calendar``: holidays and business-day counts of a year, from the calendar data.

``ercot-sim calendar --year 2025`` prints every calendar's holidays and the number of
business days per month (rich tables); ``--tdsp ONCOR`` limits the output to ERCOT and that
TDSP; ``--json`` prints the same data as JSON; ``--ics FILE`` writes an iCalendar file
whose bytes depend only on the data (fixed UIDs, DTSTAMP derived from the year).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ercot_sim.calendar import MarketCalendar, default_calendar
from ercot_sim.errors import SimError

__all__ = ["register", "run_calendar", "year_report", "year_ics"]

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _calendars(mc: MarketCalendar, tdsp: str | None) -> list[str]:
    if tdsp is None:
        return mc.names
    name = mc.resolve(tdsp)
    return ["ERCOT"] if name == "ERCOT" else ["ERCOT", name]


def year_report(year: int, tdsp: str | None = None, mc: MarketCalendar | None = None) -> dict:
    """Holidays and business days per month of each calendar in ``year``.

    Args:
        year: the calendar year.
        tdsp: limit the report to ERCOT and this calendar (any name or alias).
        mc: calendar to use; default the shipped data.

    Raises:
        CalendarError: unknown calendar or year outside the data range.
    """
    mc = mc or default_calendar()
    out: dict[str, Any] = {"year": year, "calendars": []}
    for name in _calendars(mc, tdsp):
        cal = mc.definition(name)
        months = []
        for month in range(1, 13):
            first = dt.date(year, month, 1)
            last = dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)
            months.append(mc.count_business_days(first - dt.timedelta(days=1), last, name))
        out["calendars"].append(
            {
                "name": name,
                "title": cal.title,
                "kind": cal.kind,
                "status": cal.status,
                "source": cal.source,
                "holidays": [
                    {
                        "date": h.date.isoformat(),
                        "name": h.name,
                        "status": h.status,
                        "source": h.source,
                    }
                    for h in mc.holidays(year, name)
                ],
                "business_days": months,
                "business_days_total": sum(months),
            }
        )
    return out


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def year_ics(report: dict) -> bytes:
    """The report's holidays as iCalendar bytes (deterministic: UIDs and DTSTAMP from data)."""
    from icalendar import Calendar, Event

    ical = Calendar()
    ical.add("prodid", "-//ercot-sim//market calendar//EN")
    ical.add("version", "2.0")
    ical.add("calscale", "GREGORIAN")
    names = ", ".join(c["name"] for c in report["calendars"])
    ical.add("x-wr-calname", f"ercot-sim holidays {report['year']} ({names})")
    stamp = dt.datetime(report["year"], 1, 1, tzinfo=dt.UTC)
    for cal in report["calendars"]:
        for item in cal["holidays"]:
            day = dt.date.fromisoformat(item["date"])
            event = Event()
            event.add("uid", f"{item['date']}-{_slug(cal['name'])}-{_slug(item['name'])}@ercot-sim")
            event.add("dtstamp", stamp)
            event.add("dtstart", day)
            event.add("dtend", day + dt.timedelta(days=1))
            event.add("summary", f"{cal['name']}: {item['name']}")
            event.add("description", f"status: {item['status']}; {item['source']}")
            event.add("categories", [cal["name"], item["status"]])
            event.add("transp", "TRANSPARENT")
            ical.add_component(event)
    return ical.to_ical()


def _print_tables(report: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    year = report["year"]
    holidays = Table(title=f"Holidays {year}")
    for col in ("Date", "Day", "Calendar", "Holiday", "Status"):
        holidays.add_column(col)
    rows = []
    for cal in report["calendars"]:
        for item in cal["holidays"]:
            day = dt.date.fromisoformat(item["date"])
            rows.append(
                (item["date"], day.strftime("%a"), cal["name"], item["name"], item["status"])
            )
    for row in sorted(rows):
        holidays.add_row(*row)
    console.print(holidays)
    counts = Table(title=f"Business days per month {year}")
    counts.add_column("Month")
    for cal in report["calendars"]:
        counts.add_column(cal["name"], justify="right")
    for i, month in enumerate(_MONTHS):
        counts.add_row(month, *(str(c["business_days"][i]) for c in report["calendars"]))
    counts.add_row("Total", *(str(c["business_days_total"]) for c in report["calendars"]))
    console.print(counts)
    assumed = [c["name"] for c in report["calendars"] if c["status"] == "assumed"]
    if assumed:
        console.print(f"Assumed (unsourced) calendars: {', '.join(assumed)}")


def run_calendar(
    year: int, tdsp: str | None = None, ics: Path | None = None, as_json: bool = False
) -> int:
    """Print (and optionally write) a year's calendar report; returns the exit code."""
    if not 1900 <= year <= 2199:
        print(f"calendar: year {year} is outside the supported range 1900..2199", file=sys.stderr)
        return 2
    try:
        report = year_report(year, tdsp)
    except SimError as exc:
        print(f"calendar: {exc}", file=sys.stderr)
        return 2
    if ics is not None:
        try:
            ics.write_bytes(year_ics(report))
        except OSError as exc:
            print(f"calendar: cannot write {ics}: {exc.strerror}", file=sys.stderr)
            return 2
    if as_json:
        print(json.dumps(report, indent=2))
    else:
        _print_tables(report)
    return 0


def register(app: typer.Typer) -> None:
    """Add the ``calendar`` command to the app."""

    @app.command("calendar")
    def calendar_command(
        year: Annotated[int, typer.Option("--year", help="Calendar year, e.g. 2025.")],
        tdsp: Annotated[
            str | None,
            typer.Option("--tdsp", help="Show ERCOT and this TDSP only (name or alias)."),
        ] = None,
        ics: Annotated[
            Path | None, typer.Option("--ics", help="Also write the holidays as an iCalendar file.")
        ] = None,
        as_json: Annotated[
            bool, typer.Option("--json", help="Print JSON instead of tables.")
        ] = False,
    ) -> None:
        """Show a year's market holidays and business days per month (ERCOT, TDSPs, federal)."""
        raise typer.Exit(run_calendar(year, tdsp, ics, as_json))
