"""What validation found each transaction set to be: ``validate(..., records=True)``.

A record per transaction set (code or why not, roles, ESI ID, ST02, control numbers, findings
pointing into it), kept only when asked for; the counts by code; the JSON report.
"""

from __future__ import annotations

import glob
import json
from pathlib import Path

from edi.findings import UNIDENTIFIED, Report, TransactionRecord
from edi.texas_set.catalog import identify
from edi.validate import validate, validate_source
from edi.x12 import iter_transactions

HERE = Path(__file__).parent
SAMPLES = HERE / "samples"
INVALID = HERE / "invalid"
FLIGHT_TEST = SAMPLES / "867_04-initial-read-2016.x12"


def test_records_are_off_by_default() -> None:
    report = validate(FLIGHT_TEST)
    assert report.records is None and report.by_transaction_code() == {}
    assert "records" not in json.loads(report.to_json())


def test_the_2016_flight_test_867_04_is_recorded_as_867_04() -> None:
    report = validate(FLIGHT_TEST, records=True)
    (rec,) = report.records or []
    assert isinstance(rec, TransactionRecord)
    assert (rec.code, rec.sender_role, rec.receiver_role) == ("867_04", "ERCOT", "CR")
    assert (rec.st01, rec.st02, rec.interchange, rec.group, rec.segment) == ("867", "1001", "000000015", "1", 3)
    assert (rec.sender, rec.receiver) == ("183529049", "8292445521100")
    assert rec.esi_id == "10032789419418520"  # REF*Q5**<ESI ID>: REF03 when REF02 is empty
    assert rec.findings == 0 and rec.file == str(FLIGHT_TEST)
    assert report.by_transaction_code() == {"867_04": 1}


def test_every_sample_is_recorded_as_what_identification_says() -> None:
    report = validate(SAMPLES, records=True)
    records = report.records or []
    assert len(records) == report.transactions == 6
    for rec in records:
        (txn,) = iter_transactions(Path(rec.file))
        assert rec.identification == identify(txn)
        assert rec.code == Path(rec.file).name[:6]


def test_records_share_the_identification_of_transactions_of_one_shape() -> None:
    """Validation computes identification anyway, memoized per shape: records refer to it."""
    (first, second) = validate(INVALID / "ok-monthly-usage.x12", records=True).records or []
    assert first.identification is second.identification
    assert (first.st02, second.st02) == ("0001", "0002")
    assert (first.esi_id, second.esi_id) == ("10443720000000002", "10443720000000003")


def test_finding_counts_are_the_findings_inside_each_transaction_set() -> None:
    files = sorted(glob.glob(str(INVALID / "*.x12")))
    report = validate(*files, records=True)
    records = report.records or []
    assert len(records) == report.transactions
    inside = [f for f in report.findings if f.info.level not in ("interchange", "group")]
    assert sum(r.findings for r in records) == len(inside)
    by_file = {Path(r.file).stem: r for r in records if Path(r.file).stem != "duplicate-st02"}
    assert by_file["ge-count-wrong"].findings == 0  # a group finding is not the transaction's
    assert by_file["iea-control-mismatch"].findings == 0
    assert by_file["segment-out-of-order"].findings == 2
    assert by_file["missing-esi-id"].esi_id is None
    dup = [r for r in records if Path(r.file).stem == "duplicate-st02"]
    assert [r.findings for r in dup] == [0, 1]  # the repeated ST02 is the second one's finding


def test_a_transaction_not_identified_says_why_and_counts_as_unidentified() -> None:
    report = validate(INVALID / "unknown-transaction.x12", INVALID / "truncated.x12", records=True)
    unknown, truncated = report.records or []
    assert unknown.code is None and "no Texas SET guide for ST01 '999'" in unknown.reason
    assert unknown.findings == 1
    assert truncated.code is None and truncated.reason
    assert report.by_transaction_code() == {UNIDENTIFIED: 2}
    data = json.loads(report.to_json())
    assert data["transaction_codes"] == {UNIDENTIFIED: 2}
    assert data["records"][0]["code"] is None and data["records"][0]["reason"] == unknown.reason
    assert "not identified (no Texas SET guide" in unknown.to_text()


def test_counts_stay_when_a_caller_clears_the_records_between_files() -> None:
    report = Report()
    validate_source(FLIGHT_TEST, report=report, records=True)
    assert report.records is not None and len(report.records) == 1
    report.records.clear()
    validate_source(INVALID / "ok-monthly-usage.x12", report=report, records=True)
    assert len(report.records) == 2
    assert report.by_transaction_code() == {"867_03": 2, "867_04": 1}
    text = report.to_list_text().splitlines()
    assert text[-2:] == ["by Texas SET code: 867_03 2, 867_04 1", report.summary_line()]


def test_records_do_not_change_the_findings() -> None:
    files = sorted(glob.glob(str(INVALID / "*.x12")))
    plain, kept = validate(*files), validate(*files, records=True)
    assert [str(f) for f in plain] == [str(f) for f in kept]
    assert json.loads(plain.to_json())["findings"] == json.loads(kept.to_json())["findings"]

