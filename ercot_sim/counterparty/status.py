"""The operator's view of a serving side (``ercot-sim status OUT``, and ``serve
--status-port``): where the market's clock is, what each side owes and by when (the
timing rules' open answers, per ESI ID), the timing violations so far, and the exchange
failures, read from the side's trace while it runs (and its EDM store, for failures a resend
has cleared since).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ercot_sim.errors import SimError
from ercot_sim.timing.check.report import Violation

__all__ = ["ServeStatus", "StatusServer", "read_status", "serve_state"]


@dataclass
class ServeStatus:
    """What :func:`read_status` found (see the module docstring)."""

    out: str
    serve: dict[str, str]
    transactions: int
    owed: list[Violation]
    violations: list[Violation]
    #: (simulated time, partner, file, detail) of each post that is an exchange failure now
    failures: list[tuple[str, str, str, str]]
    #: transport events by "direction kind"
    events: dict[str, int] = field(default_factory=dict)

    @property
    def findings(self) -> bool:
        """Timing violations or exchange failures so far."""
        return bool(self.violations or self.failures)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        by_esi: dict[str, list[dict[str, Any]]] = {}
        for v in self.owed:
            by_esi.setdefault(v.esi_id or "-", []).append({
                "rule_id": v.rule_id, "owes": v.expected, "due": v.due.isoformat() if v.due else None,
                "answering": {"code": v.trigger.code, "ref": v.trigger.ref, "sent_at": v.trigger.sent_at.isoformat()}})
        return {
            "out": self.out, "party": self.serve.get("party", ""), "side": self.serve.get("side", ""),
            "transport": self.serve.get("transport", ""), "clock": self.serve.get("clock", ""),
            "state": self.serve.get("state", ""), "now": self.serve.get("at", ""),
            "released": self.serve.get("released", ""), "waiting": self.serve.get("waiting", ""),
            "transactions": self.transactions, "owed": by_esi,
            "violations": [v.message for v in self.violations],
            "exchange_failures": [{"at": a, "partner": p, "file": f, "detail": d} for a, p, f, d in self.failures],
            "transport_events": dict(sorted(self.events.items())),
        }

    def to_text(self, limit: int = 50) -> str:
        """The view as text (the first ``limit`` lines of each list)."""
        s = self.serve
        lines = [f"{self.out}: {s.get('side', '?')} side of {s.get('party', '?')} over {s.get('transport', '?')}, "
                 f"clock {s.get('clock', '?')}, {s.get('state', '?')}",
                 f"market time {s.get('at', '?')}; {self.transactions} transactions so far"]
        if s.get("waiting"):
            lines.append(f"paused: waiting for `ercot-sim advance` past {s.get('released') or 'the start'}")
        lines.append(f"owed: {len(self.owed)} answer(s) on {len({v.esi_id for v in self.owed})} ESI ID(s)")
        for v in self.owed[:limit]:
            due = v.due.strftime("%Y-%m-%d %H:%M %Z") if v.due else "-"
            lines.append(f"  {v.esi_id or '-':<22} {v.expected:<34} by {due}  ({v.rule_id}, answers "
                         f"{v.trigger.code} {v.trigger.ref or '-'})")
        lines.append(f"timing violations so far: {len(self.violations)}")
        lines += [f"  {v.message}" for v in self.violations[:limit]]
        lines.append(f"exchange failures: {len(self.failures)}")
        lines += [f"  {a} to {p}: {f}: {d}" for a, p, f, d in self.failures[:limit]]
        if self.events:
            lines.append("transport: " + ", ".join(f"{k} {n}" for k, n in sorted(self.events.items())))
        return "\n".join(lines) + "\n"

    def to_html(self) -> str:
        """The view as one HTML page (it refreshes itself every 5 seconds)."""
        d = self.to_dict()
        esc = html.escape
        owed_rows = "".join(
            f"<tr><td>{esc(esi)}</td><td>{esc(o['owes'])}</td><td>{esc(o['due'] or '-')}</td>"
            f"<td>{esc(o['rule_id'])}</td>"
            f"<td>{esc(o['answering']['code'] or '')} {esc(o['answering']['ref'])}</td></tr>"
            for esi, items in d["owed"].items() for o in items)
        bad = "".join(f"<li>{esc(m)}</li>" for m in d["violations"]) or "<li>none</li>"
        failed = "".join(f"<li>{esc(f['at'])} to {esc(f['partner'])}: {esc(f['file'])}: {esc(f['detail'])}</li>"
                         for f in d["exchange_failures"]) or "<li>none</li>"
        return ("<!doctype html><html><head><meta charset='utf-8'><meta http-equiv='refresh' content='5'>"
                f"<title>ercot-sim status: {esc(d['party'])}</title>"
                "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
                "td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}</style></head><body>"
                f"<h1>{esc(d['side'])} side of {esc(d['party'])}</h1>"
                f"<p>over {esc(d['transport'])}, clock {esc(d['clock'])}, {esc(d['state'])}; market time "
                f"<b>{esc(d['now'])}</b>; {d['transactions']} transactions</p>"
                f"<h2>Owed ({len(self.owed)})</h2><table><tr><th>ESI ID</th><th>owes</th><th>by</th><th>rule</th>"
                f"<th>answering</th></tr>{owed_rows}</table>"
                f"<h2>Timing violations ({len(self.violations)})</h2><ul>{bad}</ul>"
                f"<h2>Exchange failures ({len(self.failures)})</h2><ul>{failed}</ul></body></html>\n")


def _trace_of(out: Path) -> Path:
    db_path = Path(out) / "trace.sqlite"
    if not db_path.is_file():
        raise SimError("no trace.sqlite: not the run folder (--out) of an `ercot-sim serve` side", str(out))
    return db_path


def _read_serve_tables(db_path: Path, with_events: bool = True) -> tuple[dict[str, str], dict[str, int],
                                                                         list[tuple[str, str, str, str]]]:
    """The ``serve`` table of a serving side's trace and, with ``with_events``, its transport
    events by kind and its exchange failures."""
    events: dict[str, int] = {}
    failures: list[tuple[str, str, str, str]] = []
    try:
        db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        try:
            serve = {str(k): str(v) for k, v in db.execute("SELECT key, value FROM serve")}
            if with_events:
                for direction, kind, n in db.execute("SELECT direction, kind, COUNT(*) FROM transport_events "
                                                     "GROUP BY direction, kind"):
                    events[f"{direction} {kind}"] = int(n)
                failures = [(str(a), str(p), str(f), str(d)) for a, p, f, d in db.execute(
                    "SELECT at, partner, file, detail FROM transport_events WHERE kind = 'exchange-failure' "
                    "ORDER BY seq")]
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        raise SimError(f"not the trace of an `ercot-sim serve` side ({exc})", str(db_path)) from None
    return serve, events, failures


def serve_state(out: Path) -> dict[str, str]:
    """The ``serve`` table of the serving side whose run folder is ``out`` (its clock and state).

    Raises:
        SimError: no serving side's trace there.
    """
    return _read_serve_tables(_trace_of(out), with_events=False)[0]


def _still_failed(serve: dict[str, str], failures: list[tuple[str, str, str, str]]
                  ) -> list[tuple[str, str, str, str]]:
    """The failures an EDM store still holds as failed (a resend may have cleared some)."""
    store = Path(serve.get("exchange", "")) / "edm.sqlite"
    if serve.get("transport") != "edm" or not store.is_file():
        return failures
    try:
        db = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
        try:
            failed = {Path(p).name for (p,) in db.execute("SELECT path FROM outbound WHERE state = 'failed'")}
        finally:
            db.close()
    except sqlite3.DatabaseError:
        return failures
    return [f for f in failures if f[2] in failed]


def read_status(out: Path, rules: Path | None = None) -> ServeStatus:
    """The status of the serving side whose run folder is ``out``.

    Raises:
        SimError: no serving side's trace there.
    """
    from ercot_sim.calendar import to_local
    from ercot_sim.timing.check import check_dataset, load_check_rules
    from ercot_sim.timing.check.sources import read_trace, serve_alive

    db_path = _trace_of(out)
    serve, events, failures = _read_serve_tables(db_path)
    if serve.get("state") == "running" and not serve_alive(serve):
        serve["state"] = "stopped: its process is gone (killed?); the same command starts it again where it was"
    data = read_trace(db_path)  # complete or not: the view is of the data so far
    if serve.get("state") != "complete" and serve.get("at"):
        data.end = to_local(dt.datetime.fromisoformat(serve["at"]))
    result = check_dataset(data, load_check_rules(rules))
    return ServeStatus(str(out), serve, result.transactions, result.owed, result.violations,
                       _still_failed(serve, failures), events)


class StatusServer:
    """``GET /`` (HTML) and ``GET /status.json`` of a serving side, in a thread (aiohttp).

    Args:
        out: the side's run folder.
        host, port: where it listens (``port`` 0: any free port; :attr:`url` says which).
    """

    def __init__(self, out: Path, host: str = "127.0.0.1", port: int = 0, rules: Path | None = None) -> None:
        import asyncio

        from aiohttp import web

        async def page(_request: web.Request) -> web.Response:
            return web.Response(text=(await _status()).to_html(), content_type="text/html")

        async def as_json(_request: web.Request) -> web.Response:
            return web.json_response((await _status()).to_dict(), dumps=lambda v: json.dumps(v, indent=1))

        async def _status() -> ServeStatus:
            try:
                return await asyncio.get_running_loop().run_in_executor(None, read_status, Path(out), rules)
            except SimError as exc:
                raise web.HTTPServiceUnavailable(text=f"{exc}\n") from None

        app = web.Application()
        app.router.add_get("/", page)
        app.router.add_get("/status.json", as_json)
        self.url = ""
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()
        failure: list[BaseException] = []

        def serve() -> None:
            asyncio.set_event_loop(self._loop)
            runner = web.AppRunner(app, access_log=None)
            try:
                self._loop.run_until_complete(runner.setup())
                site = web.TCPSite(runner, host, port)
                self._loop.run_until_complete(site.start())
                sockets = getattr(site._server, "sockets", None) or []
                self.url = f"http://{host}:{sockets[0].getsockname()[1] if sockets else port}/"
            except OSError as exc:
                failure.append(exc)
                ready.set()
                return
            ready.set()
            self._loop.run_forever()
            self._loop.run_until_complete(runner.cleanup())
            self._loop.close()

        self._thread = threading.Thread(target=serve, daemon=True)
        self._thread.start()
        ready.wait(30)
        if failure or not self.url:
            raise SimError(f"the status page did not start on {host}:{port}: {failure[0] if failure else 'timeout'}")

    def stop(self) -> None:
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
