"""The streamed acknowledgement (edi.ack_stream) is byte for byte build_997's, for every
sample, every golden, many mutated inputs and both layer choices; and it stays flat in memory
on a file with a finding in every transaction set."""

from __future__ import annotations

import io
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edi.ack import build_997
from edi.ack_stream import FindingSpool, write_997
from edi.errors import EdiError
from edi.findings import Finding
from edi.validate import validate
from tests.conftest import examples
from tests.edi.test_fuzz import apply_edits

HERE = Path(__file__).parent
FILES = sorted([*(HERE / "invalid").glob("*.x12"), *(HERE / "golden").rglob("*.x12"),
                *(HERE / "samples").glob("*.x12")])
LAYERS = [("x12",), ("x12", "texas-set")]


def both(data: bytes, layers: tuple[str, ...]) -> tuple[str, str] | None:
    """(build_997's text, write_997's text) of ``data``, findings handed over by a sink."""
    kept: list[Finding] = []
    with FindingSpool(layers) as spool:
        def sink(f: Finding) -> None:
            kept.append(f)
            spool.add(f)
        try:
            validate(data, sink=sink)
        except EdiError:
            return None
        try:
            expected = build_997(kept, data, name="<bytes>", layers=layers)
        except EdiError:
            with pytest.raises(EdiError):
                write_997(spool, data, io.StringIO(), name="<bytes>")
            return None
        out = io.StringIO()
        wrote = write_997(spool, data, out, name="<bytes>")
    assert wrote == bool(expected)
    return expected, out.getvalue()


def test_the_corpus_has_acknowledgements_with_findings_in_them() -> None:
    texts = [got[0] for path in FILES for layers in LAYERS if (got := both(path.read_bytes(), layers))]
    assert len(FILES) > 60
    assert sum("AK3" in t for t in texts) > 10 and sum("TA1" in t for t in texts) > 2
    assert sum("AK9*P" in t or "AK9*R" in t for t in texts) > 5


@pytest.mark.parametrize("layers", LAYERS, ids=["x12", "both"])
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_streamed_997_is_build_997(path: Path, layers: tuple[str, ...]) -> None:
    got = both(path.read_bytes(), layers)
    if got is not None:
        assert got[1] == got[0]


SAMPLES = sorted((HERE / "invalid").glob("*.x12"))


@settings(max_examples=examples(150))
@given(
    st.sampled_from(SAMPLES),
    st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(list(b"*~>:^|\nISAGESTIEA0123456789")),
                       st.sampled_from(["flip", "insert", "delete"])), min_size=1, max_size=6),
    st.sampled_from(LAYERS),
)
def test_streamed_997_is_build_997_on_mutated_samples(sample: Path, edits: list[tuple[int, int, str]],
                                                      layers: tuple[str, ...]) -> None:
    data = apply_edits(sample.read_bytes(), edits)
    got = both(bytes(data), layers)
    if got is not None:
        assert got[1] == got[0]


def test_out_of_order_findings_are_sorted_back() -> None:
    for path in SAMPLES:  # the first sample with findings on two segments or more
        data = path.read_bytes()
        kept: list[Finding] = []
        validate(data, sink=kept.append)
        if len({f.location.segment_number for f in kept}) > 1:
            break
    with FindingSpool(("x12", "texas-set")) as spool:
        for f in reversed(kept):
            spool.add(f)
        assert not spool.in_order
        out = io.StringIO()
        write_997(spool, data, out, name="<bytes>")
    assert out.getvalue() == build_997(sorted(kept, key=lambda f: f.location.segment_number or 0), data,
                                       name="<bytes>", layers=("x12", "texas-set"))


def _many_bad_dates(n: int) -> bytes:
    """One interchange, one group, ``n`` 867_03s each with an impossible DTM date (an X12 finding)."""
    body = []
    for i in range(1, n + 1):
        ctl = f"{i:04d}"
        segs = [f"ST*867*{ctl}", f"BPT*00*R{i}*20250301*DD", f"REF*Q5**1008901{i:015d}",
                "PTD*SU", "DTM*150*20251341", "DTM*151*20250301", "QTY*QD*100*KH", f"SE*8*{ctl}"]
        body.extend(segs)
    head = ("ISA*00*          *00*          *01*123456789      *01*183529049      *250301*1200*U*00401*"
            "000000001*0*P*>~GS*PT*123456789*183529049*20250301*1200*1*X*004010~")
    return (head + "~".join(body) + f"~GE*{n}*1~IEA*1*000000001~").encode()


def test_memory_stays_flat_with_the_number_of_findings(tmp_path: Path) -> None:
    peaks = []
    for n in (3_000, 12_000):  # 0.4 and 1.6 MB, read 64 KB at a time
        path = tmp_path / f"{n}.x12"
        path.write_bytes(_many_bad_dates(n))
        data = path  # read from the file, as ercot-sim validate --ack does
        with FindingSpool() as spool:
            validate(data, sink=spool.add)
            assert spool.count >= n
            out = io.StringIO()
            tracemalloc.start()
            write_997(spool, data, _Discard(), chunk_size=1 << 16)
            peaks.append(tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
            write_997(spool, data, out)
        text = out.getvalue()
        assert text.count("AK2*867") == n and f"AK9*R*{n}*{n}*0" in text
        if n == 3_000:
            assert text == build_997(_all(data), data)
    # four times the findings and the 997: not 10 % more memory
    assert peaks[1] < 1.1 * peaks[0], peaks


def _all(data: Path) -> list[Finding]:
    kept: list[Finding] = []
    validate(data, sink=kept.append)
    return kept


class _Discard(io.StringIO):
    def write(self, s: str) -> int:
        return len(s)
