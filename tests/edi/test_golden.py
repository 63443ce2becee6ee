"""Golden X12 files: one directory per transaction code, one file per business case.

Each file under ``tests/edi/golden/<code>/<case>.x12`` is a complete interchange written by
:class:`edi.x12.X12Writer` with a fixed date and control numbers.  Two properties:

* read -> model -> write gives the same bytes (the writer is rebuilt from the file's ISA/GS);
* the business case below, built as a model, writes exactly the file (so the files and the
  cases cannot drift apart).

Regenerate the files on purpose only::

    PYTHONPATH=. python -m tests.edi.test_golden --write
"""

from __future__ import annotations

import datetime as dt
import sys
import zlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edi import testing as S
from edi.errors import MappingError
from edi.findings import Report
from edi.texas_set.guide import load_guide
from edi.texas_set.mapping import codes, from_segments, read_models, to_segments
from edi.texas_set.models import build
from edi.x12 import ControlNumbers, X12Writer, iter_transactions

GOLDEN = Path(__file__).resolve().parent / "golden"

CR = {"name": "ACME POWER", "duns": "123456789"}
TDSP = {"name": "ONCOR", "duns": "1039940674000"}
ERCOT = {"name": "ERCOT", "duns": "183529049"}
DUNS = {"CR": CR["duns"], "TDSP": TDSP["duns"], "ERCOT": ERCOT["duns"]}
ESI = "10443720001234567"
JANE = {"name": "JANE DOE", "address1": "123 MAIN ST", "city": "DALLAS", "state": "TX", "zip": "75201",
        "phone": "2145551212"}
D = dt.date


def _814(**kw: Any) -> dict[str, Any]:
    return {"date": D(2025, 3, 3), "esi_id": ESI, "tdsp": TDSP, "cr": CR, **kw}


#: (code, case) -> (fields, sender role or DUNS, receiver role or DUNS)
CASES: dict[tuple[str, str], dict[str, Any]] = {
    ("814_01", "switch-standard"): _814(ref="ACME20250303000001", line_ref="ACME0000001", customer=JANE,
                                        cr_account="ACCT-998877"),
    ("814_01", "switch-self-selected"): _814(ref="ACME20250303000002", customer=JANE, requested_date=D(2025, 3, 10)),
    ("814_01", "switch-with-history"): _814(ref="ACME20250303000003", customer=JANE, indicator="HU",
                                            billing_type="DUAL", bill_calculator="DUAL"),
    ("814_02", "reject-esi-id-not-found"): _814(ref="ERCOT250303000011", orig_ref="ACME20250303000001", tdsp=None,
                                                reject_code="A76", reject_text="ESI ID NOT FOUND"),
    ("814_03", "switch-notification"): _814(ref="ERCOT250303000077", orig_ref="ACME20250303000001",
                                            line_ref="ACME0000001",
                                            customer={k: v for k, v in JANE.items() if k != "phone"},
                                            requested_date=D(2025, 3, 6), last_date_to_object=D(2025, 3, 5)),
    ("814_03", "mass-transition"): _814(ref="ERCOT250303000078", orig_ref="ERCOT250303000078", transition_type="TS",
                                        requested_date=D(2025, 3, 4), life_support=True),
    ("814_04", "accept"): _814(ref="ONC2503030000055", orig_ref="ERCOT250303000077", line_ref="ACME0000001",
                               meter_type="KHMON", scheduled_date=D(2025, 3, 6)),
    ("814_04", "reject-switch-hold"): _814(ref="ONC2503030000056", orig_ref="ERCOT250303000079", action="reject",
                                           reject_code="SHF", reject_text="SWITCH HOLD ON ESI ID"),
    ("814_04", "accept-after-mass-transition"): _814(ref="ONC2503030000057", orig_ref="ERCOT250303000078",
                                                     transition_type="TS", meter_type="COMBO", meter_dials=5,
                                                     switch_hold=True, scheduled_date=D(2025, 3, 4)),
    ("814_05", "accept"): _814(ref="ERCOT250303000123", orig_ref="ACME20250303000001", line_ref="ACME0000001",
                               scheduled_date=D(2025, 3, 6)),
    ("814_05", "reject-leapfrog"): _814(ref="ERCOT250303000124", orig_ref="ACME20250303000002", action="reject",
                                        reject_code="LFG"),
    ("814_06", "loss-notification"): _814(ref="ERCOT250303000200", orig_ref="ACME20250303000001",
                                          cr={"name": "OLDCO ENERGY", "duns": "987654321"}, end_date=D(2025, 3, 6)),
    ("814_07", "loss-acknowledged"): _814(ref="OLD250303000001", orig_ref="ERCOT250303000200",
                                          cr={"name": "OLDCO ENERGY", "duns": "987654321"}),
    ("814_08", "cancel-switch"): _814(ref="ACME20250304000001", orig_ref="ACME20250303000001", date=D(2025, 3, 4)),
    ("814_09", "cancel-accepted"): _814(ref="ONC2503040000001", orig_ref="ERCOT250304000001", date=D(2025, 3, 4)),
    ("814_09", "reject-subsequent-order"): _814(ref="ONC2503040000002", orig_ref="ERCOT250304000002",
                                                date=D(2025, 3, 4), action="reject", reject_code="SOP",
                                                reject_text="SUBSEQUENT ORDER PROCESSED"),
    ("814_10", "drop-to-arep-retired"): _814(ref="ACME20080101000001", date=D(2008, 1, 1), end_date=D(2008, 1, 15)),
    ("814_11", "mass-drop-accepted"): _814(ref="ONC2503030000090", orig_ref="ERCOT250303000300", transition_type="TS"),
    ("814_12", "date-change"): _814(ref="ACME20250305000001", orig_ref="ACME20250303000002",
                                    requested_date=D(2025, 3, 12), iteration=dt.datetime(2025, 3, 5, 9, 30)),
    ("814_13", "reject-two-days-notice"): _814(ref="ONC2503050000001", orig_ref="ERCOT250305000001", action="reject",
                                               reject_code="TDR", reject_text="TWO BUSINESS DAYS NOTIFICATION REQUIRED",
                                               iteration=dt.datetime(2025, 3, 5, 9, 30)),
    ("814_14", "polr-notification"): _814(ref="ERCOT250303000400", customer={"name": "JOHN ROE"}, transition_type="TS",
                                          switch_hold=True, scheduled_date=D(2025, 3, 4),
                                          cr={"name": "POLR ENERGY", "duns": "555666777"}),
    ("814_15", "polr-accept"): _814(ref="POLR250303000001", orig_ref="ERCOT250303000400", transition_type="TS",
                                    cr={"name": "POLR ENERGY", "duns": "555666777"}),
    ("814_16", "move-in-standard"): _814(ref="ACME20250303000010", customer=JANE, requested_date=D(2025, 3, 7),
                                         cr_account="ACCT-1000"),
    ("814_16", "move-in-priority"): _814(ref="ACME20250303000011", customer=JANE, requested_date=D(2025, 3, 3),
                                         priority=True),
    ("814_17", "move-in-reject"): _814(ref="ERCOT250303000500", orig_ref="ACME20250303000011", tdsp=None,
                                       reject_code="API", reject_text="REQUIRED INFORMATION MISSING"),
    ("814_18", "establish-csa"): _814(ref="ACME20250303000020",
                                      customer={"name": "LANDLORD LLC", "address1": "500 ELM ST", "city": "DALLAS",
                                                "state": "TX", "zip": "75202"},
                                      requested_date=D(2025, 3, 10)),
    ("814_19", "reject-not-first-in"): _814(ref="ERCOT250303000600", orig_ref="ACME20250303000020", action="reject",
                                            reject_code="NFI"),
    ("814_20", "switch-hold-added"): _814(ref="ONC2503030000100", cr=None, maintenance_reason="SHS", switch_hold=True,
                                          effective_date=D(2025, 3, 3)),
    ("814_20", "create-esi-id"): _814(ref="ONC2503030000101", cr=None, maintenance="add",
                                      customer={"name": "NEW CONSTRUCTION", "address1": "77 OAK AVE", "city": "PLANO",
                                                "state": "TX", "zip": "75023"},
                                      maintenance_reason="CRT", meter_type="KHMON", effective_date=D(2025, 3, 3)),
    ("814_21", "maintenance-accepted"): _814(ref="ERCOT250303000700", orig_ref="ONC2503030000100", cr=None),
    ("814_22", "csa-move-in"): _814(ref="ERCOT250303000800", requested_date=D(2025, 3, 8)),
    ("814_23", "csa-move-in-accepted"): _814(ref="ACME20250303000030", orig_ref="ERCOT250303000800"),
    ("814_24", "move-out"): _814(ref="ACME20250303000040", customer=JANE, end_date=D(2025, 3, 14)),
    ("814_24", "move-out-bypass-csa-second-request"): _814(ref="ACME20250303000041", bypass_csa=True,
                                                           maintenance_reason="2MR", end_date=D(2025, 3, 14)),
    ("814_25", "move-out-scheduled"): _814(ref="ONC2503030000200", orig_ref="ERCOT250303000900",
                                           end_date=D(2025, 3, 14)),
    ("814_26", "historical-usage-request"): _814(ref="ACME20250303000050", authorization="LOA20250301"),
    ("814_27", "historical-usage-unavailable"): _814(ref="ONC2503030000300", orig_ref="ERCOT250303001000",
                                                     status_reason="HUU", status_text="HISTORICAL USAGE UNAVAILABLE"),
    ("814_28", "unexecutable-tampering"): _814(ref="ONC2503070000001", orig_ref="ERCOT250303000077", date=D(2025, 3, 7),
                                               indicator="MVI", unexecutable_code="T019",
                                               unexecutable_text="TAMPERING FOUND"),
    ("814_28", "permit-required"): _814(ref="ONC2503070000002", orig_ref="ERCOT250303000078", date=D(2025, 3, 7),
                                        indicator="MVI", unexecutable_code="PRQ"),
    ("814_29", "acknowledged"): _814(ref="ACME20250307000001", orig_ref="ONC2503070000001", date=D(2025, 3, 7),
                                     unexecutable_code="T019"),
    ("814_PC", "customer-information"): _814(ref="ACME20250303000060", customer={**JANE, "contact": "JANE DOE"},
                                             effective_date=D(2025, 3, 3)),
    ("814_PD", "customer-information-accepted"): _814(ref="ONC2503030000400", orig_ref="ACME20250303000060"),
    ("867_02", "twelve-months"): {
        "ref": "867020TD4372000123456701", "date": D(2025, 3, 4), "esi_id": ESI, "tdsp": TDSP, "cr": CR,
        "periods": [{"start": D(2024, m, 5), "end": D(2024, m + 1, 4), "kwh": 900 + 37 * m, "estimated": m == 7}
                    for m in range(1, 12)]
        + [{"start": D(2024, 12, 5), "end": D(2025, 1, 4), "kwh": 1311}],
    },
    ("867_03", "monthly"): {
        "ref": "867030TD4372000123456701", "date": D(2025, 4, 7), "esi_id": ESI, "tdsp": TDSP, "cr": CR,
        "periods": [{"start": D(2025, 3, 6), "end": D(2025, 4, 4), "kwh": 1287}],
        "meters": [{"meter_number": "104137265LG", "start": D(2025, 3, 6), "end": D(2025, 4, 4), "kwh": 1287,
                    "begin_reading": 45210, "end_reading": 46497, "meter_type": "KHMON"}],
    },
    ("867_03", "final-estimated-forwarded"): {
        "ref": "867030TD4372000123456702", "date": D(2025, 3, 7), "esi_id": ESI, "final": True,
        "tdsp": {**TDSP, "relationship": "41"},
        "cr": {"name": "OLDCO ENERGY", "duns": "987654321", "relationship": "40"}, "ercot": ERCOT,
        "periods": [{"start": D(2025, 2, 5), "end": D(2025, 3, 6), "kwh": 1002, "estimated": True}],
        "meters": [{"meter_number": "104137265LG", "start": D(2025, 2, 5), "end": D(2025, 3, 6), "kwh": 1002,
                    "begin_reading": 44208, "end_reading": 45210, "meter_type": "KHMON", "estimated": True}],
    },
    ("867_04", "initial-read"): {
        "ref": "CPLA737883B119523136", "date": D(2025, 3, 6), "esi_id": ESI, "orig_ref": "ACME20250303000010",
        "tdsp": TDSP, "ercot": {**ERCOT, "relationship": "41"}, "cr": {**CR, "relationship": "40"},
        "meters": [{"meter_number": "134404448", "start": D(2025, 3, 5), "end_reading": 0}],
    },
    ("810_02", "monthly-invoice"): {
        "date": D(2025, 4, 8), "invoice_number": "ONC-INV-0000123456", "esi_id": ESI,
        "usage_ref": "867030TD4372000123456701",
        "tdsp": TDSP, "cr": CR, "due_date": D(2025, 5, 13), "period_start": D(2025, 3, 6), "period_end": D(2025, 4, 4),
        "charges": [
            {"code": "BAS001", "amount": 925, "quantity": 1, "uom": "EA", "description": "BASIC CUSTOMER CHARGE"},
            {"code": "DIS001", "amount": 578, "quantity": 1287, "uom": "KH",
             "description": "DISTRIBUTION SYSTEM CHARGE"},
            {"code": "TRN002", "amount": 466, "quantity": 1287, "uom": "KH",
             "description": "TRANSMISSION COST RECOVERY FACTOR"},
            {"code": "MSC041", "amount": 45, "quantity": 1287, "uom": "KH",
             "description": "ENERGY EFFICIENCY COST RECOVERY"},
        ],
    },
    ("810_02", "misc-credit"): {
        "date": D(2025, 4, 9), "invoice_number": "ONC-INV-0000123999", "invoice_type": "26", "esi_id": ESI,
        "tdsp": TDSP, "cr": CR, "due_date": D(2025, 5, 14), "period_start": D(2025, 3, 6), "period_end": D(2025, 4, 4),
        "charges": [{"code": "BAS003", "amount": 350, "allowance": True, "description": "METERING CREDIT"}],
    },
    ("820_02", "ach-two-invoices"): {
        "handling": "C", "amount": 4028, "method": "ACH", "payment_format": "CCP", "payer_routing": "111000025",
        "payer_account": "123456789012",
        "payment_date": D(2025, 5, 12), "trace": "ACMEPAY0000777", "payer": CR, "payee": TDSP,
        "items": [
            {"invoice_number": "ONC-INV-0000123456", "amount_paid": 2014, "invoice_amount": 2014, "esi_id": ESI},
            {"invoice_number": "ONC-INV-0000123457", "amount_paid": 2014, "invoice_amount": 2100,
             "esi_id": "10443720001234568"},
        ],
    },
    ("824", "invoice-reject"): {
        "ref": "ACME824000001", "date": D(2025, 4, 9), "tdsp": TDSP, "cr": CR,
        "advices": [{"result": "reject", "ref_qualifier": "IV", "orig_ref": "ONC-INV-0000123456",
                     "group_control": 550001, "orig_control": "0001", "orig_transaction": "810", "esi_id": ESI,
                     "reasons": [{"code": "848", "text": "BILLING PERIOD OVERLAPS PRIOR INVOICE"}]}],
    },
    ("650_01", "disconnect-non-pay"): {"ref": "ACMESO000001", "date": D(2025, 5, 20), "time": dt.time(8, 0),
                                       "tdsp": TDSP, "cr": CR, "customer": JANE, "order_type": "DNP", "esi_id": ESI,
                                       "service_date": D(2025, 5, 21)},
    ("650_01", "switch-hold-add-dpp"): {"ref": "ACMESO000002", "date": D(2025, 5, 20), "tdsp": TDSP, "cr": CR,
                                        "order_type": "SH001", "esi_id": ESI},
    ("650_02", "completed"): {"ref": "ONCSO000001", "date": D(2025, 5, 21), "orig_ref": "ACMESO000001", "tdsp": TDSP,
                              "cr": CR, "order_type": "DNP", "esi_id": ESI, "status": "CMP",
                              "service_date": D(2025, 5, 21)},
    ("650_02", "reject-weather-moratorium"): {"ref": "ONCSO000002", "date": D(2025, 8, 1), "orig_ref": "ACMESO000009",
                                              "tdsp": TDSP, "cr": CR, "order_type": "DNP", "esi_id": ESI,
                                              "status": "REJ", "reject_code": "WTM",
                                              "reject_text": "EXTREME WEATHER MORATORIUM"},
    ("650_02", "unexecutable"): {"ref": "ONCSO000003", "date": D(2025, 5, 22), "orig_ref": "ACMESO000003", "tdsp": TDSP,
                                 "cr": CR, "order_type": "RNP", "esi_id": ESI, "status": "UNX",
                                 "unexecutable_code": "T022"},
    ("650_04", "tampering-suspension"): {"ref": "ONCSUS000001", "date": D(2025, 6, 2), "tdsp": TDSP, "cr": CR,
                                         "order_type": "TM001", "esi_id": ESI, "service_date": D(2025, 6, 2)},
    ("650_05", "reject-not-served"): {"ref": "ACMESR000001", "date": D(2025, 6, 2), "orig_ref": "ONCSUS000001",
                                      "tdsp": TDSP, "cr": CR, "order_type": "TM001", "esi_id": ESI,
                                      "reject_code": "A76", "reject_text": "ESI ID NOT SERVED BY THIS CR",
                                      "service_date": D(2025, 6, 2)},
    ("997", "accept-814-group"): {"functional_id": "GE", "group_control": 25,
                                  "transactions": [{"st01": "814", "control": "0002", "status": "A"}], "status": "A",
                                  "included": 1, "received": 1, "accepted": 1},
    ("997", "reject-with-errors"): {
        "functional_id": "PT", "group_control": 312345, "status": "R", "included": 1, "received": 1, "accepted": 0,
        "group_code": "5",
        "transactions": [{"st01": "867", "control": "0001", "status": "R", "code1": "5",
                          "segments": [{"segment_id": "DTM", "position": 7, "loop_id": "PTD", "code": "8",
                                        "elements": [{"position": 2, "element_ref": 373, "code": "8",
                                                      "value": "20251301"}]}]}],
    },
}  # fmt: skip

#: Sender and receiver of the codes whose guide says ``ANY``.
_ANY = {"824": ("CR", "TDSP"), "997": ("ERCOT", "TDSP")}
WHEN = dt.datetime(2025, 3, 3, 10, 15)


def _roles(code: str) -> tuple[str, str]:
    if code in _ANY:
        return _ANY[code]
    g = load_guide(code)
    return g.sender_role, g.receiver_role


def write_case(code: str, case: str) -> str:
    """The X12 text of a golden case."""
    model = build(code, **CASES[(code, case)])
    sender, receiver = (DUNS[r] for r in _roles(code))
    control = ControlNumbers(start=zlib.crc32(f"{code}/{case}".encode()) % 900_000_000 + 1)
    w = X12Writer(sender, receiver, WHEN, control)
    w.add(code[:3], to_segments(model))
    return w.getvalue()


def golden_files() -> list[Path]:
    """Every golden file."""
    return sorted(GOLDEN.glob("*/*.x12"))


def rewrite(path: Path) -> str:
    """Read a golden file into models and write them back with the file's envelope."""
    report = Report()
    txns = list(iter_transactions(path, report=report))
    assert report.ok, report.to_text()
    isa, gs = txns[0].isa, txns[0].gs
    when = dt.datetime.strptime(gs.get(4) + gs.get(5), "%Y%m%d%H%M")
    control = ControlNumbers(start=int(isa.get(13)))
    w = X12Writer(gs.get(2), gs.get(3), when, control, delimiters=txns[0].delimiters, usage=isa.get(15))
    for t in txns:
        model = from_segments(path.parent.name, t.body, source=str(path))
        w.add(t.st01, to_segments(model))
    return w.getvalue()


def test_every_code_has_a_golden_file() -> None:
    assert {p.parent.name for p in golden_files()} == set(codes())


def test_cases_and_files_match() -> None:
    files = {(p.parent.name, p.stem) for p in golden_files()}
    assert files == set(CASES)


@pytest.mark.parametrize("path", golden_files(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_read_model_write_gives_same_bytes(path: Path) -> None:
    assert rewrite(path).encode("latin-1") == path.read_bytes()


@pytest.mark.parametrize("key", sorted(CASES), ids=lambda k: f"{k[0]}/{k[1]}")
def test_case_writes_its_file(key: tuple[str, str]) -> None:
    path = GOLDEN / key[0] / f"{key[1]}.x12"
    assert write_case(*key).encode("latin-1") == path.read_bytes()


def main(argv: list[str]) -> int:
    """Write every golden file (``--write``); otherwise list them."""
    for code, case in sorted(CASES):
        path = GOLDEN / code / f"{case}.x12"
        if "--write" in argv:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(write_case(code, case).encode("latin-1"))
        print(path.relative_to(GOLDEN))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


ROLES = {CR["duns"]: "CR", TDSP["duns"]: "TDSP", ERCOT["duns"]: "ERCOT", "987654321": "CR", "555666777": "CR"}


@pytest.mark.parametrize("path", golden_files(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_read_models_identifies_each_golden_file(path: Path) -> None:
    (model,) = read_models(path, roles=ROLES)
    assert model.code == path.parent.name


def test_read_models_needs_roles_where_content_is_ambiguous() -> None:
    path = GOLDEN / "814_07" / "loss-acknowledged.x12"
    with pytest.raises(MappingError, match=r"loss-acknowledged.x12 segment 3 \(ST\).*not identified"):
        read_models(path)


@pytest.mark.parametrize("path", golden_files(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_golden_files_pass_the_validator(path: Path) -> None:
    from edi.validate import validate

    report = validate(path, roles=ROLES)
    assert not report.findings, report.to_text()


@pytest.mark.parametrize("code", codes())
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_written_models_pass_the_validator(code: str, data: st.DataObject) -> None:
    """Whatever valid model of a code is written, its code-valued fields drawn from the
    code's guide, the validator finds nothing at all."""
    from edi.validate import validate

    model = data.draw(S.models(code), label="model")
    sender, receiver = (DUNS[r] for r in _roles(code))
    w = X12Writer(sender, receiver, WHEN, ControlNumbers(start=1))
    w.add(code[:3], to_segments(model))
    report = validate(w.getvalue().encode("latin-1"), roles=ROLES)
    assert [str(f) for f in report.findings] == []


@settings(max_examples=30, deadline=None)
@given(model=S.any_model(free_codes=True))
def test_free_codes_are_all_the_validator_flags(model: Any) -> None:
    """Models whose code-valued fields are drawn freely (valid for the model, not for the
    guide) get ``invalid-code`` findings on those fields and nothing else."""
    from edi.validate import validate

    sender, receiver = (DUNS[r] for r in _roles(model.code))
    w = X12Writer(sender, receiver, WHEN, ControlNumbers(start=1))
    w.add(model.code[:3], to_segments(model))
    report = validate(w.getvalue().encode("latin-1"), roles=ROLES)
    assert [str(f) for f in report.findings if f.code != "invalid-code"] == []


def test_a_reject_code_outside_the_guide_list_is_flagged() -> None:
    """The 814_05 guide's reject codes are not the 814_25's: NFI is a move-out reject only."""
    from edi.validate import validate

    assert "NFI" in S.guide_code_values("814_25")["reject_code"]
    assert "NFI" not in S.guide_code_values("814_05")["reject_code"]
    model = build("814_05", **_814(ref="ERCOT250303000125", orig_ref="ACME20250303000003", action="reject",
                                   reject_code="NFI"))
    sender, receiver = (DUNS[r] for r in _roles("814_05"))
    w = X12Writer(sender, receiver, WHEN, ControlNumbers(start=1))
    w.add("814", to_segments(model))
    report = validate(w.getvalue().encode("latin-1"), roles=ROLES)
    assert [(f.code, f.location.segment, f.location.element, f.value) for f in report.findings] == [
        ("invalid-code", "REF*7G", "REF02", "NFI")
    ]
