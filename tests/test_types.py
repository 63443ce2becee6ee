"""The type checker passes on edi and ercot_sim (pyproject's [tool.mypy]), in CI as here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_mypy_finds_no_error(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache")],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success: no issues found" in done.stdout


def test_mypy_would_find_one(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from ercot_sim.market.messages import Message\n\nm: Message = Message('814_01')\n")
    done = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache"), str(bad)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 1 and "Missing positional arguments" in done.stdout


def test_a_misspelled_or_mistyped_payload_field_is_a_type_error(tmp_path: Path) -> None:
    """Payloads are typed (edi.texas_set.payloads): a field the layout does not have, or a value
    of the wrong type (a date as text, an amount as text), is a type error, and ``send`` takes a
    payload, not loose fields."""
    bad = tmp_path / "fields.py"
    bad.write_text(
        "import datetime as dt\n"
        "from edi.texas_set.payloads import Payload810, Payload814\n"
        "from ercot_sim.market.participants.base import Participant\n\n"
        "def f(p: Participant) -> None:\n"
        "    p.send('814_01', 'x', 'e', 'r', '', 0, Payload814(strat=dt.date(2025, 3, 1)))\n"
        "    p.send('814_01', 'x', 'e', 'r', '', 0, Payload814(requested_date='20250301'))\n"
        "    p.send('814_01', 'x', 'e', 'r', '', 0, start='20250301')\n"
        "    p.send('814_01', 'x', 'e', 'r', '', 0, Payload814(requested_date=dt.date(2025, 3, 1)))\n")
    done = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache"), str(bad)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 1
    assert 'Unexpected keyword argument "strat" for "Payload814"' in done.stdout
    assert 'Argument "requested_date" to "Payload814" has incompatible type "str"' in done.stdout
    assert 'Unexpected keyword argument "start" for "send" of "Participant"' in done.stdout
    assert "fields.py:9" not in done.stdout  # the right fields and types pass
