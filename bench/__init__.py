"""Benchmarks (not tests): ``python -m bench edi --mb 50 --json``, ``python -m bench engine``.

Figures are reported as ratios against a baseline measured in the same process, because the
machines this runs on are shared and noisy.
"""

from __future__ import annotations


def provenance() -> dict[str, str]:
    """Date (UTC), commit of the code measured and interpreter, for the figures' record."""
    import contextlib
    import datetime as dt
    import os
    import platform
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    commit = "unknown"
    stamp = root / "COMMIT"  # a snapshot made with ``git archive`` has no .git: name it here
    if stamp.is_file():
        commit = stamp.read_text(encoding="ascii").strip()
    else:
        with contextlib.suppress(OSError, subprocess.CalledProcessError):
            commit = subprocess.run(["git", "-C", str(root), "describe", "--always", "--dirty"],
                                    capture_output=True, text=True, check=True).stdout.strip()
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%MZ"),
        "commit": commit,
        "python": platform.python_version(),
        "machine": f"{platform.machine()} {os.cpu_count()} cpu",
    }
