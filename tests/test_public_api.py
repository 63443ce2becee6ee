"""The declared public API is what the packages expose, and edi stands alone."""

from __future__ import annotations

import subprocess
import sys

import edi
import ercot_sim


def test_edi_all_resolves() -> None:
    for name in edi.__all__:
        assert getattr(edi, name) is not None, name


def test_edi_entry_points_are_exported() -> None:
    for name in ("read", "validate", "write", "IdentifiedTransaction", "TransactionRecord"):
        assert name in edi.__all__, name
    assert callable(edi.read) and callable(edi.validate) and callable(edi.write)
    assert edi.validate is sys.modules["edi.validate"].validate  # the function, not the subpackage


def test_edi_testing_all_resolves() -> None:
    import edi.testing

    for name in edi.testing.__all__:
        assert getattr(edi.testing, name) is not None, name
    for name in ("transactions", "invalid_transactions", "MUTATIONS", "models", "esi_ids"):
        assert name in edi.testing.__all__, name


def test_import_edi_does_not_import_the_test_strategies() -> None:
    code = "import sys, edi; print(any(m == 'hypothesis' or m.startswith('edi.testing') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_edi_testing_without_hypothesis_says_what_to_install() -> None:
    code = ("import sys; sys.modules['hypothesis'] = None\n"
            "try:\n    import edi.testing\nexcept ImportError as e:\n    print(e)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "edi.testing needs hypothesis" in out.stdout and "pip install 'ercot-sim[test]'" in out.stdout


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
    code = ("import sys, edi, edi.validate, edi.ack, edi.api, edi.testing, edi.texas_set.mapping, edi.texas_set.xmlio, "
            "edi.texas_set.explain; print(any(m == 'ercot_sim' or m.startswith('ercot_sim.') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
