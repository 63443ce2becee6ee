"""The check's fast read of a run's own X12 files (:mod:`ercot_sim.timing.check.scan`) against
the envelope walk: the same facts for every file a run writes, ``None`` for any other shape,
and the same check when a file has to be read the slow way."""

from __future__ import annotations

from pathlib import Path

import pytest

from edi.x12 import iter_transactions
from ercot_sim.market.engine import run_scenario
from ercot_sim.scenario import load_scenario
from ercot_sim.timing.check import check_path
from ercot_sim.timing.check.scan import scan_transactions

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def faults_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("scan") / "run"
    run_scenario(load_scenario(ROOT / "scenarios" / "faults.toml"), out)
    return out


def _walked(text: str) -> list[tuple[str, str, int, str, str, list[str]]]:
    return [(t.st01, t.control, t.first_number, t.functional_id, t.gs.get(6).strip(), t.body_texts)
            for t in iter_transactions(text.encode("latin-1"), name="f.x12")]


def _scanned(text: str) -> list[tuple[str, str, int, str, str, list[str]]] | None:
    got = scan_transactions(text)
    if got is None:
        return None
    return [(t.st01, t.control, t.segment, t.functional_id, t.gs_control, t.body) for t in got[0]]


def test_every_file_a_run_writes_scans_as_the_envelope_walk_reads_it(faults_run: Path) -> None:
    files = sorted((faults_run / "outbox").rglob("*.x12"))
    assert len(files) > 50
    for f in files:
        text = f.read_bytes().decode("latin-1")
        assert _scanned(text) == _walked(text), f.name


def _sample(faults_run: Path) -> str:
    """A file of the run with at least two transactions."""
    for f in sorted((faults_run / "outbox").rglob("*.x12")):
        text = f.read_bytes().decode("latin-1")
        if text.count("~ST*") >= 2:
            return text
    raise AssertionError("no file with two transactions")


def test_two_groups_in_one_file_keep_their_own_numbers(faults_run: Path) -> None:
    text = _sample(faults_run)
    isa_end = text.index("~") + 1
    gs = text[isa_end:text.index("~", isa_end) + 1]
    gs_els = gs.rstrip("~").split("*")
    second = "*".join([*gs_els[:6], "4242", *gs_els[7:]]) + "~"
    body = text[isa_end + len(gs):text.rindex("~GE*") + 1]
    ge_els = text[text.rindex("~GE*") + 1:text.rindex("~IEA*")].split("*")
    ge = "*".join(ge_els) + "~"
    two = (text[:isa_end] + gs + body + ge + second + body + "*".join([*ge_els[:2], "4242"]) + "~"
           + text[text.rindex("~IEA*") + 1:])
    got = _scanned(two)
    assert got is not None and got == _walked(two)
    assert {g for *_, g, _b in got} == {gs_els[6], "4242"}


@pytest.mark.parametrize("change", ["line breaks", "no SE", "SE count", "SE control", "stray segment",
                                    "cut short", "not ISA"])
def test_a_file_of_another_shape_is_left_to_the_envelope_walk(faults_run: Path, change: str) -> None:
    text = _sample(faults_run)
    se = text.index("~SE*") + 1
    se_text = text[se:text.index("~", se)]
    els = se_text.split("*")
    edits = {
        "line breaks": lambda: text.replace("~", "~\n"),
        "no SE": lambda: text.replace(se_text + "~", "", 1),
        "SE count": lambda: text.replace(se_text, f"SE*{int(els[1]) + 1}*{els[2]}", 1),
        "SE control": lambda: text.replace(se_text, f"SE*{els[1]}*X{els[2]}", 1),
        "stray segment": lambda: text.replace(se_text + "~", se_text + "~NTE*ADD*stray~", 1),
        "cut short": lambda: text[:-1],
        "not ISA": lambda: " " + text,
    }
    assert _scanned(edits[change]()) is None


def test_a_run_file_read_the_slow_way_gives_the_same_check(faults_run: Path, tmp_path: Path) -> None:
    import shutil

    before = check_path(faults_run)
    copy = tmp_path / "copy"
    shutil.copytree(faults_run, copy)
    changed = 0
    for f in sorted((copy / "outbox").rglob("*.x12"))[::3]:  # every third file with line breaks
        f.write_bytes(f.read_bytes().replace(b"~", b"~\r\n"))
        changed += 1
    assert changed > 10
    after = check_path(copy)
    assert after.to_dict() == before.to_dict() | {"source": after.source}
