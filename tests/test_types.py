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


def test_a_misspelled_or_mistyped_message_field_is_a_type_error(tmp_path: Path) -> None:
    """Message fields are a closed, typed set (ercot_sim.market.messages.Fields): ``send`` takes no
    other key and no other type, so a field no renderer reads cannot slip in unnoticed."""
    bad = tmp_path / "fields.py"
    bad.write_text(
        "from ercot_sim.market.participants.base import Participant\n\n"
        "def f(p: Participant) -> None:\n"
        "    p.send('814_01', 'x', 'e', 'r', '', 0, strat='20250301')\n"
        "    p.send('814_01', 'x', 'e', 'r', '', 0, kwh='12')\n"
        "    p.send('814_01', 'x', 'e', 'r', '', 0, start='20250301', kwh=12)\n")
    done = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache"), str(bad)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 1
    assert 'Unexpected keyword argument "strat"' in done.stdout
    assert 'Argument "kwh" to "send" of "Participant" has incompatible type "str"' in done.stdout
    assert "fields.py:6" not in done.stdout  # the right keys and types pass
