"""Reports of a run: a self-contained HTML file with sequence diagrams, compliance and volumes.

Public API::

    build_report(run_dir_or_db, violations=None, rules=None, max_diagrams=12) -> bytes
    write_report(run_dir_or_db, html_path, violations=None, rules=None) -> Path
    load_report_data(...) -> ReportData; render_report(data) -> bytes
"""

from __future__ import annotations

from ercot_sim.report.data import DEFAULT_MAX_DIAGRAMS, EsiFlow, ReportData, load_report_data
from ercot_sim.report.html import build_report, render_report, write_report

__all__ = [
    "DEFAULT_MAX_DIAGRAMS",
    "EsiFlow",
    "ReportData",
    "build_report",
    "load_report_data",
    "render_report",
    "write_report",
]
