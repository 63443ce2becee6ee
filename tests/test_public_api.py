"""The declared public API is what the packages expose, and edi stands alone."""

from __future__ import annotations

import subprocess
import sys

import edi
import ercot_sim


def test_edi_all_resolves() -> None:
    for name in edi.__all__:
        assert getattr(edi, name) is not None, name


def test_ercot_sim_all_resolves_lazily() -> None:
    for name in ercot_sim.__all__:
        assert getattr(ercot_sim, name) is not None, name
    assert callable(ercot_sim.run_scenario) and callable(ercot_sim.check_path)


def test_unknown_attribute_is_an_attribute_error() -> None:
    try:
        ercot_sim.no_such_thing  # noqa: B018
    except AttributeError as exc:
        assert "no_such_thing" in str(exc)
    else:
        raise AssertionError("expected AttributeError")


def test_edi_never_imports_ercot_sim() -> None:
    code = "import sys, edi, edi.validate, edi.ack, edi.texas_set.mapping, edi.texas_set.xmlio, edi.texas_set.explain; print(any(m == 'ercot_sim' or m.startswith('ercot_sim.') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
