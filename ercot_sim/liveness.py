"""Which process is this, and does it still run: a pid with its start time, so a pid the
system gives again to a later process is not taken for the first (folder claims, a serving
side's trace)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["claimer_id", "process_alive"]


def _started(pid: int) -> str:
    """When process ``pid`` started (clock ticks since boot, Linux ``/proc``), or '' when that
    cannot be read: with the pid it names one process, never a later one given the same pid."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return ""
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else ""  # field 22 of stat; the first two are cut off


def claimer_id(pid: int | None = None) -> str:
    """The name of a process's claim folder: ``<pid>-<start time>`` (or ``<pid>`` where start
    times cannot be read)."""
    pid = os.getpid() if pid is None else pid
    started = _started(pid)
    return f"{pid}-{started}" if started else str(pid)


def process_alive(name: str) -> bool:
    """Whether the process a :func:`claimer_id` names still runs (the same process: a pid the
    system gave again to another process does not count)."""
    pid, _, started = name.partition("-")
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return not started or _started(int(pid)) == started
