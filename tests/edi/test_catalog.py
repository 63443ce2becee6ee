"""Identification of Texas SET transactions (edi.texas_set.catalog).

Every guide is checked with a body built from the guide itself (its mandatory segments with
valid values, plus what its identification block requires), sent between the parties of its
first flow; the raw examples of the market notes are identified as what they are.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from edi.findings import Report
from edi.texas_set.catalog import Identification, identify, identify_segments, resolve_role
from edi.texas_set.guide import (
    ERCOT_DUNS,
    ElementSpec,
    Guide,
    LoopSpec,
    SegmentSpec,
    guide_codes,
    load_guide,
)
from edi.x12 import Segment, TransactionSet, iter_transactions

SAMPLES = Path(__file__).resolve().parent / "samples"
CR, TDSP = "123456789", "1039940674000"
DUNS = {"CR": CR, "TDSP": TDSP, "ERCOT": ERCOT_DUNS, "ANY": CR}
ESI_ID = "10443720001234567"


def _element_value(e: ElementSpec, wanted: str | None) -> str:
    if wanted:
        return wanted
    if e.codes:
        return sorted(e.codes)[0]
    return {
        "DT": "20250306",
        "TM": "120000"[: max(e.min_len, 4)],
        "N0": "1",
        "N2": "100",
        "R": "1",
    }.get(e.type, "A" * max(e.min_len, 1))


def _build_segment(guide: Guide, spec: SegmentSpec) -> list[str]:
    wanted: dict[int, str] = {}
    for key, value in guide.identify.items():
        if "*" not in key and key[:-2] == spec.id:
            pos = int(key[-2:])
            alts = [a for a in value.split("|") if a not in ("-", "*")]
            e = spec.by_pos.get(pos)
            # fill it when the guide needs a value: no "absent" alternative, or mandatory anyway
            if alts and ("-" not in value.split("|") or (e is not None and e.usage == "M")):
                wanted[pos] = alts[0]
    if spec.qualifier:
        wanted[1] = spec.qualifier
    filled = {e.pos for e in spec.elements if e.usage == "M"} | set(wanted)
    for cond in spec.conditions:  # satisfy the syntax notes: R needs one, P needs all or none
        if cond.kind == "R" and not filled & set(cond.positions):
            filled.add(cond.positions[0])
        if cond.kind == "P" and filled & set(cond.positions):
            filled |= set(cond.positions)
    els = [spec.id]
    for pos in range(1, max(filled, default=0) + 1):
        e = spec.by_pos.get(pos)
        if e is None or pos not in filled:
            els.append("")
            continue
        value = _element_value(e, wanted.get(pos))
        if (spec.id, spec.qualifier) == ("REF", "Q5") and pos in (2, 3) and e.name.startswith("ESI ID"):
            value = ESI_ID
        if spec.id == "N1" and pos == 4:
            value = DUNS[{"8S": "TDSP", "SJ": "CR", "AY": "ERCOT"}.get(spec.qualifier or "", "CR")]
        els.append(value)
    return els


def _required_segments(guide: Guide) -> set[tuple[str, str | None]]:
    return {tuple(k.split("*", 1)) for k, v in guide.identify.items() if "*" in k and v == "*"}  # type: ignore[misc]


def _build(guide: Guide, items: tuple[SegmentSpec | LoopSpec, ...], required: set, out: list[list[str]]) -> None:
    for item in items:
        if isinstance(item, LoopSpec):
            keys = {s.key for _, s in _walk_loop(item)}
            if item.usage == "M" or keys & required:
                _build(guide, item.children, required, out)
        elif item.usage == "M" or item.key in required:
            out.append(_build_segment(guide, item))


def _walk_loop(loop: LoopSpec):  # type: ignore[no-untyped-def]
    for c in loop.children:
        if isinstance(c, LoopSpec):
            yield from _walk_loop(c)
        else:
            yield (), c


def build_body(guide: Guide) -> list[list[str]]:
    """The smallest body the guide allows: mandatory segments plus what identification needs."""
    out: list[list[str]] = []
    _build(guide, guide.body, _required_segments(guide), out)
    return out


def build_transaction(guide: Guide, sender: str | None = None, receiver: str | None = None) -> TransactionSet:
    """An enveloped transaction of ``guide`` between the parties of its first flow."""
    s = sender or DUNS[guide.sender_role]
    r = receiver or DUNS[guide.receiver_role if guide.receiver_role != "ANY" else "TDSP"]
    isa = Segment(["ISA", "00", " " * 10, "00", " " * 10, "01", s.ljust(15), "01", r.ljust(15), "250303", "1015", "U",
                   "00401", "000000001", "0", "P", ">"], 1)
    gs = Segment(["GS", guide.functional_id, s, r, "20250303", "1015", "1", "X", "004010"], 2)
    body = build_body(guide)
    segs = [Segment(["ST", guide.st01, "0001"], 3)]
    segs += [Segment(els, 4 + i) for i, els in enumerate(body)]
    segs.append(Segment(["SE", str(len(body) + 2), "0001"], 4 + len(body)))
    return TransactionSet.from_segments(segs, isa, gs, "built")


@pytest.mark.parametrize("code", guide_codes())
def test_identify_every_guide(code: str) -> None:
    guide = load_guide(code)
    ident = identify(build_transaction(guide))
    assert ident.code == code, ident.reason
    assert not ident.role_mismatch
    assert code in ident.candidates


@pytest.mark.parametrize("code", [c for c in guide_codes() if len(load_guide(c).flows) > 1])
def test_identify_every_flow(code: str) -> None:
    """Transactions that ERCOT forwards are identified on every hop."""
    guide = load_guide(code)
    for flow in guide.flows:
        ident = identify(build_transaction(guide, DUNS[flow.sender], DUNS[flow.receiver]))
        assert ident.code == code, f"{flow}: {ident.reason}"


@pytest.mark.parametrize("code", guide_codes())
def test_built_body_validates_clean(code: str) -> None:
    """The guide is self-consistent: its own minimal body passes the validator."""
    from edi.validate import validate_transaction

    findings = validate_transaction(build_transaction(load_guide(code)))
    assert [str(f) for f in findings] == []


def _read_samples() -> list[tuple[str, TransactionSet]]:
    out = []
    for path in sorted(SAMPLES.glob("*.x12")):
        report = Report()
        for txn in iter_transactions(path, report=report):
            out.append((path.name, txn))
        assert report.ok, report.to_text()
    return out


@pytest.mark.parametrize(
    ("name", "code", "sender", "receiver", "variants"),
    [
        ("814_01-standard-switch.x12", "814_01", "CR", "ERCOT", ()),
        ("814_03-enrollment-notification.x12", "814_03", "ERCOT", "TDSP", ()),
        ("814_05-accept.x12", "814_05", "ERCOT", "CR", ("accept",)),
        ("867_03-monthly-usage.x12", "867_03", "TDSP", "ERCOT", ()),
        ("867_04-initial-read-2016.x12", "867_04", "ERCOT", "CR", ()),
        ("810_02-tdsp-invoice.x12", "810_02", "TDSP", "CR", ()),
    ],
)
def test_market_samples(name: str, code: str, sender: str, receiver: str, variants: tuple[str, ...]) -> None:
    txns = [t for n, t in _read_samples() if n == name]
    assert len(txns) == 1
    ident = identify(txns[0])
    assert (ident.code, ident.sender_role, ident.receiver_role, ident.variants) == (code, sender, receiver, variants), (
        ident.reason)


def _fragment(name: str) -> list[list[str]]:
    text = (SAMPLES / name).read_text().replace("\n", "")
    return [s.split("*") for s in text.split("~") if s]


def test_814_04_sample_fragment() -> None:
    segs = _fragment("814_04-accept.st")
    ident = identify_segments(segs[0][1], segs[1:-1], TDSP, ERCOT_DUNS)
    assert ident.code == "814_04" and ident.variants == ("accept",)


def test_814_04_reject_variant() -> None:
    segs = _fragment("814_04-accept.st")[1:-1]
    body = [s for s in segs if s[0] != "DTM" and s[:2] != ["REF", "MT"]]
    body = [["ASI", "U", "021"] if s[0] == "ASI" else s for s in body]
    body.insert(5, ["REF", "7G", "SHF", "SWITCH HOLD ON ESI ID"])
    ident = identify_segments("814", body, TDSP, ERCOT_DUNS)
    assert ident.code == "814_04" and "reject" in ident.variants


def _sample_body(name: str) -> list[list[str]]:
    txn = dict(_read_samples())[name]
    return [list(s) for s in txn.raw_body]


def test_mass_transition_and_acquisition() -> None:
    body = _sample_body("814_03-enrollment-notification.x12")
    for code, variant in (("TS", "mass-transition"), ("AQ", "acquisition")):
        b = [["BGN", "13", "ERCOT1", "20250303", "", "", "", code] if s[0] == "BGN" else s for s in body]
        ident = identify_segments("814", b, ERCOT_DUNS, TDSP)
        assert ident.code == "814_03" and variant in ident.variants
        # the same content to the POLR is the 814_14 drop notification
        ident = identify_segments("814", b, ERCOT_DUNS, CR)
        assert ident.code == "814_14", ident.reason


def test_move_in_is_not_a_switch() -> None:
    body = _sample_body("814_01-standard-switch.x12")
    b = [s + ["SH", "MVI"] if s[0] == "LIN" else s for s in body]
    b.append(["DTM", "150", "20250310"])
    assert identify_segments("814", b, CR, ERCOT_DUNS).code == "814_16"
    assert identify_segments("814", body, CR, ERCOT_DUNS).code == "814_01"


def test_final_867_03() -> None:
    body = _sample_body("867_03-monthly-usage.x12")
    body[0] = ["BPT", "00", "867030TD4372000123456701", "20250407", "DD", "", "", "F"]
    ident = identify_segments("867", body, TDSP, ERCOT_DUNS)
    assert ident.code == "867_03" and "final" in ident.variants


def test_roles_map_names_parties() -> None:
    body = [s for s in _sample_body("814_05-accept.x12") if s[0] != "N1"] + [["N1", "8S", "ONCOR"]]
    # without N104s the CR cannot be named ...
    assert resolve_role("987654321", body) is None
    # ... unless the caller says who it is
    ident = identify_segments("814", body, ERCOT_DUNS, "987654321", roles={"987654321": "CR"})
    assert ident.receiver_role == "CR" and ident.code == "814_05"
    assert resolve_role("1039940674000", [["N1", "8S", "X", "1", "1039940674"]]) == "TDSP"


def test_role_mismatch_is_reported_not_hidden() -> None:
    body = _sample_body("814_03-enrollment-notification.x12")
    ident = identify_segments("814", body, CR, TDSP)
    assert ident.code == "814_03" and ident.role_mismatch
    assert "ERCOT -> TDSP" in ident.reason


def test_unknown_and_ambiguous_are_results() -> None:
    ident = identify_segments("856", [["BSN", "00"]])
    assert ident.code is None and "856" in ident.reason and not ident
    garbage = identify_segments("814", [["BGN", "99", "X", "20250101"]], CR, ERCOT_DUNS)
    assert garbage.code is None and "BGN01=99" in garbage.reason
    # an 814 response for a loss or a cancel from parties nobody can name
    body = [["BGN", "11", "R1", "20250303", "", "", "O1"], ["LIN", "1", "SH", "EL", "SH", "CE"], ["ASI", "WQ", "024"],
            ["REF", "Q5", ESI_ID]]
    amb = identify_segments("814", body, "111111111", "222222222")
    assert amb.code is None and len(amb.candidates) >= 2 and "814_07" in amb.candidates
    assert "role" in amb.reason
    assert isinstance(amb, Identification)


def test_identify_accepts_odd_objects() -> None:
    ident = identify(object())
    assert ident.code is None and "not a readable" in ident.reason


def test_retired_814_10_is_flagged() -> None:
    body = [["BGN", "13", "D1", "20080101"], ["N1", "SJ", "CR", "1", CR], ["LIN", "1", "SH", "EL", "SH", "CE"],
            ["ASI", "7", "024"], ["REF", "Q5", ESI_ID]]
    ident = identify_segments("814", body, CR, ERCOT_DUNS)
    assert ident.code == "814_10" and "retired" in ident.variants
