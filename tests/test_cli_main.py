"""The console entry point: --version, and a bug becomes one line and exit 3 (--debug: traceback)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import ercot_sim.cli as cli

SAMPLE = Path(__file__).parent / "edi" / "invalid" / "ok-switch-request.x12"


def test_version_prints_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib import metadata

    with pytest.raises(SystemExit) as exc:
        cli.main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"ercot-sim {metadata.version('ercot-sim')}"


def _boom(*args: object, **kwargs: object) -> None:
    raise RuntimeError("a planted bug\nsecond line")


def test_an_unexpected_error_is_one_line_and_exit_3(monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    import ercot_sim.cli.validate as validate_cli

    monkeypatch.setattr(validate_cli, "validate_source", _boom)
    monkeypatch.setattr(cli, "_DEBUG", False)
    with pytest.raises(SystemExit) as exc:
        cli.main(["validate", str(SAMPLE)])
    assert exc.value.code == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["ercot-sim validate: internal error (RuntimeError: a planted bug); this is a bug: please "
                   "report it with the command line and its input (ercot-sim --debug ... shows the traceback)"]


def test_debug_shows_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    import ercot_sim.cli.validate as validate_cli

    monkeypatch.setattr(validate_cli, "validate_source", _boom)
    with pytest.raises(RuntimeError, match="a planted bug"):
        cli.main(["--debug", "validate", str(SAMPLE)])
    monkeypatch.setattr(cli, "_DEBUG", False)


def test_the_console_script_exits_like_main() -> None:
    """The installed console script goes through main (a real process, not the test runner)."""
    done = subprocess.run([sys.executable, "-m", "ercot_sim", "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("ercot-sim ")
