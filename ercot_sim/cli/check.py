"""``ercot-sim check``: judge a run's trace or any system's X12 files against the timing rules.

A thin layer over :func:`ercot_sim.timing.check.check_path`. Exit codes: 0 no violation,
1 violations or files of a folder that could not be read (listed as ``not read:``, the rest is
checked), 2 unusable input or rules file (one line on stderr naming file and reason).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from edi.errors import EdiError
from ercot_sim.cli._progress import working
from ercot_sim.errors import SimError

if TYPE_CHECKING:
    from ercot_sim.timing.check import Outage

__all__ = ["parse_outage", "register", "run_check"]


def parse_outage(text: str) -> Outage:
    """``START/END`` (ISO 8601 local date-times, END excluded) as an ERCOT outage window.

    Raises:
        SimError: not two date-times, or END not after START.
    """
    from ercot_sim.calendar import to_local
    from ercot_sim.timing.check import Outage

    parts = text.split("/")
    try:
        if len(parts) != 2:
            raise ValueError
        start, end = (to_local(dt.datetime.fromisoformat(part.strip())) for part in parts)
    except ValueError:
        raise SimError(f"--outage {text!r} is not START/END in ISO 8601 (2025-03-08T14:00/2025-03-10T00:00)") from None
    if end <= start:
        raise SimError(f"--outage {text!r}: the end is not after the start")
    return Outage("ERCOT", start, end, "", "A7")


def run_check(path: Path, rules: Path | None = None, as_json: bool = False,
              only: list[str] | None = None, limit: int | None = None, until: str | None = None,
              outages: list[str] | None = None) -> int:
    """Check ``path``, print the result, and return the exit code."""
    from ercot_sim.timing.check import check_path, load_check_rules

    try:
        end = None
        if until is not None:
            try:
                end = dt.datetime.fromisoformat(until)
            except ValueError:
                raise SimError(f"--until {until!r} is not an ISO 8601 date or date and time") from None
        windows = [parse_outage(o) for o in outages or ()]
        ruleset = load_check_rules(rules)
        if only:
            for rule_id in only:
                ruleset.get(rule_id)
        with working(f"checking {path} against {len(ruleset)} rules"):
            result = check_path(path, ruleset, only=only or None, until=end, outages=windows, owed=False)
    except (SimError, EdiError) as exc:
        print(f"ercot-sim check: {exc}", file=sys.stderr)
        return 2
    print(result.to_json() if as_json else result.to_text(limit=limit))
    # a file that could not be read was not checked: a finding, as a violation is
    unread = any(f.endswith(" [unreadable]") for f in result.findings)
    return 1 if result.violations or unread else 0


def register(app: typer.Typer) -> None:
    """Add the ``check`` command."""

    @app.command("check")
    def check_command(
        path: Annotated[Path, typer.Argument(help="A run directory (its trace.sqlite; all shards), a trace "
                                                  "database (.sqlite/.db), or an X12 file or folder.")],
        rules: Annotated[Path | None, typer.Option("--rules", help="Rules file applied over the shipped rules "
                                                                   "(override by id, or add).")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
        rule: Annotated[list[str] | None, typer.Option("--rule", help="Check only this rule id (repeatable).")] = None,
        limit: Annotated[int | None, typer.Option("--limit", min=0, help="List at most this many violations "
                                                                         "(text output).")] = None,
        until: Annotated[str | None, typer.Option("--until", help="The data extend to this local date/time "
                                                  "(ISO 8601): unanswered triggers due before it are missing, "
                                                  "later ones open. Default: the run's end, or the last "
                                                  "sending time in X12.")] = None,
        outage: Annotated[list[str] | None, typer.Option("--outage", help="An ERCOT retail outage window "
                                                         "START/END (ISO 8601 local, END excluded; repeatable) "
                                                         "for data that do not hold their windows (X12): "
                                                         "deadlines that meet it restart when it ends (A7).")] = None,
    ) -> None:
        """Check transactions against the timing rules: violations, compliance per rule, pass/fail.

        Exit code 0 when no rule is broken, 1 when there are violations, 2 when the input or
        the rules file cannot be used.
        """
        raise typer.Exit(run_check(path, rules, as_json, rule, limit, until, outage))
