"""The toolkit's entry points as a user calls them: ``edi.read``, ``edi.validate``, ``edi.write``."""

from __future__ import annotations

import datetime as dt
import doctest
import importlib
import io
import sys
from pathlib import Path

import pytest

import edi
import edi.api
from edi import ControlNumbers, Delimiters, Report, Segment, read_segments
from edi.errors import EdiError, MappingError
from edi.texas_set.models import build

HERE = Path(__file__).parent
SAMPLES = HERE / "samples"
FLIGHT_TEST = SAMPLES / "867_04-initial-read-2016.x12"
WHEN = dt.datetime(2025, 3, 3, 10, 15)
CR, ERCOT = "123456789", "183529049"


def _switch(ref: str = "SW-0001") -> edi.texas_set.models.TxModel:
    return build(
        "814_01", ref=ref, date=dt.date(2025, 3, 3), esi_id="10443720001234567",
        cr={"name": "ACME POWER", "duns": CR}, customer={"name": "J SMITH"},
        requested_date=dt.date(2025, 3, 10),
    )


# edi.validate: the function, with the subpackage still importable --------------------------


def test_edi_validate_is_the_function_and_the_subpackage_stays_importable() -> None:
    module = sys.modules["edi.validate"]
    assert edi.validate is module.validate and callable(edi.validate)
    assert importlib.import_module("edi.validate") is module
    from edi.validate import compiled, validate_source, walker

    assert callable(compiled) and callable(validate_source) and walker.__name__ == "edi.validate.walker"
    report = edi.validate(FLIGHT_TEST)
    assert isinstance(report, Report) and report.ok and report.transactions == 1


def test_top_level_validate_keeps_records_too() -> None:
    report = edi.validate(FLIGHT_TEST.read_bytes(), records=True)
    (rec,) = report.records or []
    assert rec.code == "867_04" and rec.file == "<bytes>"


def test_importing_a_new_validate_submodule_does_not_rebind_edi_validate() -> None:
    """A submodule imported for the first time is set on the subpackage, not on ``edi``."""
    sys.modules.pop("edi.validate.texas", None)
    importlib.import_module("edi.validate.texas")
    assert edi.validate is sys.modules["edi.validate"].validate


# edi.read -----------------------------------------------------------------------------------


def test_read_identifies_the_flight_test_867_04_from_a_path_bytes_and_a_stream() -> None:
    data = FLIGHT_TEST.read_bytes()
    for source in (FLIGHT_TEST, str(FLIGHT_TEST), data, io.BytesIO(data)):
        (txn,) = edi.read(source)
        assert isinstance(txn, edi.IdentifiedTransaction)
        assert (txn.code, txn.st01, txn.control) == ("867_04", "867", "1001")
        assert (txn.identification.sender_role, txn.identification.receiver_role) == ("ERCOT", "CR")
        assert [s.id for s in txn.body][:2] == ["BPT", "REF"]
    assert next(edi.read(FLIGHT_TEST)).transaction.file == str(FLIGHT_TEST)


def test_read_a_folder_in_sorted_order_and_the_model_of_each() -> None:
    read = list(edi.read(SAMPLES))
    assert [t.code for t in read] == ["810_02", "814_01", "814_03", "814_05", "867_03", "867_04"]
    model = read[-1].model()
    assert model.code == "867_04" and model.esi_id == "10032789419418520"


def test_read_collects_envelope_findings_only_when_asked() -> None:
    bad = (HERE / "invalid" / "se-count-wrong.x12").read_bytes()
    assert [t.code for t in edi.read(bad)] == ["814_01"]
    report = Report()
    list(edi.read(bad, report=report))
    assert [f.code for f in report] == ["se-count-mismatch"]


def test_read_an_unidentified_transaction_and_its_model() -> None:
    (txn,) = edi.read(HERE / "invalid" / "unknown-transaction.x12")
    assert txn.code is None and "999" in txn.identification.reason
    with pytest.raises(MappingError, match="not identified"):
        txn.model()


def test_read_refuses_what_is_not_x12() -> None:
    with pytest.raises(EdiError):
        list(edi.read(b"not an interchange"))
    with pytest.raises(EdiError):
        list(edi.read(HERE / "no-such-file.x12"))


def test_read_docstring_example_runs() -> None:
    assert doctest.testmod(edi.api).failed == 0


# edi.write ----------------------------------------------------------------------------------


def test_write_a_model_validates_and_reads_back_as_the_same_model() -> None:
    text = edi.write(_switch(), sender=CR, receiver=ERCOT, when=WHEN)
    assert text.startswith("ISA*00*") and "GS*GE*123456789*183529049*20250303*1015*1*X*004010~" in text
    report = edi.validate(text.encode("latin-1"), records=True)
    assert report.ok and report.by_transaction_code() == {"814_01": 1}
    (txn,) = edi.read(text.encode("latin-1"))
    assert txn.model() == _switch()


def test_write_several_models_with_the_callers_control_numbers() -> None:
    control = ControlNumbers(start=41)
    text = edi.write([_switch("A"), _switch("B")], sender=CR, receiver=ERCOT, when=WHEN, control=control)
    assert "*000000041*" in text and "GE*2*41~" in text
    assert [t.model().ref for t in edi.read(text.encode("latin-1"))] == ["A", "B"]


def test_write_segments_as_they_are() -> None:
    segments = list(read_segments(FLIGHT_TEST))
    assert edi.write(segments, delimiters=Delimiters(suffix="\n")) == FLIGHT_TEST.read_text("latin-1")
    assert edi.write([["DTM", "150", "20250310"], Segment(["REF", "Q5", "1"])]) == "DTM*150*20250310~REF*Q5*1~"


def test_write_transaction_sets_into_an_interchange() -> None:
    (txn,) = edi.read(FLIGHT_TEST)
    text = edi.write(txn.transaction.segments, sender=ERCOT, receiver="8292445521100", when=WHEN)
    report = edi.validate(text.encode("latin-1"), records=True)
    assert report.ok and report.by_transaction_code() == {"867_04": 1}
    assert "ST*867*0001~" in text and "SE*12*0001~" in text  # the writer's ST02 and SE01


def test_write_refuses_what_it_cannot_write() -> None:
    with pytest.raises(ValueError, match="sender=, receiver= and when="):
        edi.write(_switch(), sender=CR, receiver=ERCOT)
    with pytest.raises(ValueError, match="not both"):
        edi.write([_switch(), ["DTM", "150", "20250310"]])
    with pytest.raises(ValueError, match="outside an ST..SE"):
        edi.write([["DTM", "150", "20250310"]], sender=CR, receiver=ERCOT, when=WHEN)
    with pytest.raises(ValueError, match="no SE"):
        edi.write([["ST", "814", "0001"], ["BGN", "13"]], sender=CR, receiver=ERCOT, when=WHEN)
    with pytest.raises(EdiError):
        edi.write(_switch(), sender="", receiver=ERCOT, when=WHEN)
