"""Property tests: reading, validating and acknowledging arbitrary or damaged input.

Whatever the bytes, :func:`edi.validate.validate` either returns a report or raises an
:class:`~edi.errors.EdiError` (unreadable input); it never raises anything else.  The same
holds for :func:`edi.ack.build_997` on the findings, and an acknowledgement that is built is
itself readable X12.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from edi.ack import build_997
from edi.errors import EdiError
from edi.findings import Report
from edi.validate import validate
from edi.x12 import iter_transactions
from tests.conftest import examples

SAMPLES = sorted((Path(__file__).parent / "invalid").glob("*.x12"))
VALID = (Path(__file__).parent / "invalid" / "ok-switch-request.x12").read_bytes()
ISA = VALID[: VALID.index(b"~") + 1]
X12_BYTES = st.sampled_from(list(b"*~>:^|\n\r ") + list(b"ISAGEN0123456789QRTDML"))


def check(data: bytes) -> Report | None:
    """Validate and acknowledge ``data``; only EdiError may escape."""
    try:
        report = validate(data)
    except EdiError as exc:
        assert str(exc)  # a reason, never an empty message
        return None
    assert report.files == 1
    for f in report:
        assert str(f).startswith("<bytes>")
    try:
        ack = build_997(report, data, name="<bytes>")
    except EdiError:
        return report
    if ack:
        rep = Report()
        list(iter_transactions(ack.encode("latin-1"), report=rep))
    return report


def apply_edits(sample: bytes, edits: list[tuple[int, int, str]]) -> bytearray:
    """``sample`` with each (position, byte, "flip" / "insert" / "delete") applied in turn."""
    data = bytearray(sample)
    for pos, byte, op in edits:
        i = pos % (len(data) + 1)
        if op == "insert":
            data[i:i] = bytes([byte])
        elif data and i < len(data):
            if op == "flip":
                data[i] = byte
            else:
                del data[i]
    return data


@given(st.binary(max_size=600))
def test_arbitrary_bytes(data: bytes) -> None:
    check(data)


@given(st.lists(X12_BYTES, max_size=400).map(bytes))
def test_x12_alphabet_after_a_valid_isa(tail: bytes) -> None:
    check(ISA + tail)


@settings(max_examples=examples(120))
@given(
    st.sampled_from(SAMPLES),
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255), st.sampled_from(["flip", "insert", "delete"])),
             min_size=1, max_size=6),
    st.one_of(st.none(), st.integers(0, 10_000)),
)
def test_mutated_samples(sample: Path, edits: list[tuple[int, int, str]], cut: int | None) -> None:
    data = apply_edits(sample.read_bytes(), edits)
    if cut is not None:
        data = data[: cut % (len(data) + 1)]
    check(bytes(data))


@given(st.sampled_from(SAMPLES), st.integers(1, 400))
def test_truncated_samples_report_truncation(sample: Path, keep_from_end: int) -> None:
    data = sample.read_bytes().rstrip()
    cut = data[: max(107, len(data) - keep_from_end)]
    report = check(cut)
    if report is not None and not cut.rstrip().endswith(b"~"):
        assert "truncated" in report.by_code()
