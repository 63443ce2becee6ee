"""``ercot-sim status OUT`` and ``ercot-sim advance OUT``: the operator's view of a serving
side, and the stepped clock's release.

``status`` prints where the market's clock is, what each side owes and by when (per ESI ID),
the timing violations so far and the exchange failures (:mod:`ercot_sim.counterparty.status`);
``--json`` as JSON, ``--html FILE`` as a page. ``advance`` lets a market started with ``serve
--step`` run further: ``--minutes``, ``--hours`` or ``--days`` past what it may run to now, or
``--to`` a market time.

Exit codes: status 0 (nothing wrong so far), 1 (timing violations or exchange failures so far),
2 (not a serving side's folder); advance 0 or 2.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from ercot_sim.errors import SimError

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the ``status`` and ``advance`` commands."""

    @app.command("status")
    def status_command(
        out: Annotated[Path, typer.Argument(help="The serving side's output folder (serve --out).")],
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
        html: Annotated[Path | None, typer.Option("--html", help="Also write the view as an HTML page.")] = None,
        rules: Annotated[Path | None, typer.Option("--rules", help="Timing rules file (over the shipped "
                                                                   "rules).")] = None,
        limit: Annotated[int, typer.Option("--limit", help="Lines per list in the text view.")] = 50,
    ) -> None:
        """What a serving side owes and is owed, by when; violations and exchange failures so far."""
        import json

        from ercot_sim.counterparty.status import read_status

        try:
            status = read_status(out, rules)
        except SimError as exc:
            typer.echo(f"ercot-sim status: {exc}", err=True)
            raise typer.Exit(2) from None
        if html is not None:
            html.write_text(status.to_html(), encoding="utf-8")
        typer.echo(json.dumps(status.to_dict(), indent=1) if as_json else status.to_text(limit), nl=not as_json)
        if status.findings:
            raise typer.Exit(1)

    @app.command("advance")
    def advance_command(
        out: Annotated[Path, typer.Argument(help="The output folder of a market started with serve --step.")],
        minutes: Annotated[int, typer.Option("--minutes", min=0, help="Simulated minutes further.")] = 0,
        hours: Annotated[int, typer.Option("--hours", min=0, help="Simulated hours further.")] = 0,
        days: Annotated[int, typer.Option("--days", min=0, help="Simulated days further.")] = 0,
        to: Annotated[str | None, typer.Option("--to", help="A market time to run to: YYYY-MM-DD or "
                                                            "YYYY-MM-DDTHH:MM (Central).")] = None,
    ) -> None:
        """Let a stepped market (serve --step) run further."""
        from ercot_sim.counterparty.live import read_release, write_release
        from ercot_sim.counterparty.status import serve_state

        try:
            serve = serve_state(out)
            if "at" not in serve or "now" not in serve:
                raise SimError("the serving side has not started its clock yet", str(out))
            if "stepped" not in serve.get("clock", ""):
                raise SimError(f"this market was not started with --step (its clock: {serve.get('clock', '?')}): "
                               "it does not wait for advance", str(out))
            now, at = int(serve["now"]), dt.datetime.fromisoformat(serve["at"])
            start_at = at - dt.timedelta(minutes=now)
            released = read_release(out)
            if to is not None:
                try:
                    target = dt.datetime.fromisoformat(to)
                except ValueError:
                    raise SimError(f"--to {to!r}: not YYYY-MM-DD or YYYY-MM-DDTHH:MM") from None
                if target.tzinfo is None:
                    from zoneinfo import ZoneInfo

                    target = target.replace(tzinfo=ZoneInfo("America/Chicago"))
                minute = int((target - start_at).total_seconds() // 60)
                if minute < max(released or 0, now):
                    raise SimError(f"--to {to}: the market may run to minute {max(released or 0, now)} already "
                                   "(a market is never set back)")
            else:
                if not (minutes or hours or days):
                    raise SimError("say how far: --minutes, --hours, --days or --to")
                minute = max(released or 0, now) + minutes + 60 * hours + 1440 * days
        except SimError as exc:
            typer.echo(f"ercot-sim advance: {exc}", err=True)
            raise typer.Exit(2) from None
        write_release(out, minute)
        from zoneinfo import ZoneInfo

        until = (start_at + dt.timedelta(minutes=minute)).astimezone(ZoneInfo("America/Chicago"))
        typer.echo(f"released to minute {minute} ({until.isoformat()}); the market is at {serve['at']}")
