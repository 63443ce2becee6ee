"""Build the X12 sample folders for the compliance checker tests.

``clean/`` is a small market in which every timing rule the checker can judge is met;
``violations/`` is the same market with planted violations (see README.md for the list and
the lateness each one must be reported with). Every file is one interchange written with
:class:`edi.x12.X12Writer`; every interchange gets a 997 back from its receiver.

Run ``python -m tests.ercot_sim.x12_planted.build`` from the project root to rewrite the
folders; tests check that the committed files equal what this script writes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from edi.x12 import ControlNumbers, X12Writer

__all__ = ["HERE", "build", "write"]

HERE = Path(__file__).parent
ERCOT = "183529049"
ONCOR = "1039940674000"
CR = "123456789"
NAMES = {ONCOR: "ONCOR", CR: "LONE STAR POWER"}
Segs = list[list[str]]


def _n1() -> Segs:
    return [["N1", "8S", "ONCOR", "1", ONCOR], ["N1", "SJ", "LONE STAR POWER", "1", CR]]


def _814(bgn01: str, ref: str, date: str, orig: str, asi: str, esi: str, dtm150: str = "") -> Segs:
    bgn = ["BGN", bgn01, ref, date] + (["", "", orig] if orig else [])
    segs: Segs = [bgn, *_n1(), ["LIN", f"L{esi[-6:]}", "SH", "EL", "SH", "CE"], ["ASI", asi, "021"],
                  ["REF", "Q5", esi]]
    if dtm150:
        segs.append(["DTM", "150", dtm150])
    return segs


def _867_03(ref: str, date: str, esi: str, start: str, end: str) -> Segs:
    return [["BPT", "00", ref, date, "DD"], ["REF", "Q5", esi], *_n1(), ["PTD", "SU"],
            ["DTM", "150", start], ["DTM", "151", end], ["QTY", "QD", "1287", "KH"]]


def _810_02(ref: str, date: str, esi: str, usage_ref: str, start: str, end: str) -> Segs:
    return [["BIG", date, ref, "", "", "", "", "ME", "00"], ["REF", "Q5", esi], ["REF", "OI", usage_ref],
            *_n1(), ["ITD", *([""] * 11), "20250415"], ["DTM", "150", start], ["DTM", "151", end],
            ["IT1", "1", "1", "EA", "", "", "SV", "RATE"],
            ["SAC", "C", "", "EU", "BAS001", "925", "", "", "", "EA", "1", "", "", "BASIC CUSTOMER CHARGE"],
            ["TDS", "925"], ["CTT", "1"]]


@dataclass
class _Market:
    """Writes one file per transaction and its 997, with control numbers per sender."""

    files: dict[str, str] = field(default_factory=dict)
    controls: dict[str, ControlNumbers] = field(default_factory=dict)
    n: int = 0

    def send(self, when: str, sender: str, receiver: str, st01: str, body: Segs, label: str,
             ack_after: dt.timedelta | None = dt.timedelta(hours=1)) -> None:
        moment = dt.datetime.fromisoformat(when)
        self.n += 1
        w = X12Writer(sender, receiver, moment, self.controls.setdefault(sender, ControlNumbers()))
        ctl = w.add(st01, body)
        name = f"{self.n:02d}-{label}.x12"
        self.files[name] = w.getvalue()
        if ack_after is not None:
            fid = {"814": "GE", "867": "PT", "810": "IN"}[st01]
            gctl = self.files[name].split("~")[1].split("*")[6]
            ack_at = moment + ack_after
            a = X12Writer(receiver, sender, ack_at, self.controls.setdefault(receiver, ControlNumbers()))
            a.add("997", [["AK1", fid, gctl], ["AK2", st01, ctl], ["AK5", "A"], ["AK9", "A", "1", "1", "1"]])
            self.files[f"{self.n:02d}-{label}.997.x12"] = a.getvalue()


ESI = {k: f"1044372000000000{k}" for k in range(1, 6)}


def build(planted: bool) -> dict[str, str]:
    """The files of the sample market: ``{file name: X12 text}``.

    Args:
        planted: plant the violations listed in README.md.
    """
    m = _Market()
    # ESI 1: a standard switch, on time everywhere.
    e = ESI[1]
    m.send("2025-03-03T09:00", CR, ERCOT, "814", _814("13", "C1-01", "20250303", "", "7", e), "814_01-esi1")
    m.send("2025-03-03T11:00", ERCOT, ONCOR, "814", _814("13", "E1-03", "20250303", "C1-01", "7", e, "20250306"),
           "814_03-esi1")
    m.send("2025-03-04T09:00", ONCOR, ERCOT, "814", _814("11", "T1-04", "20250304", "E1-03", "WQ", e, "20250306"),
           "814_04-esi1")
    m.send("2025-03-04T11:00", ERCOT, CR, "814", _814("11", "E1-05", "20250304", "C1-01", "WQ", e, "20250306"),
           "814_05-esi1")
    # ESI 2: the 814_04 comes five retail business days after its deadline (planted).
    e = ESI[2]
    m.send("2025-03-03T09:00", CR, ERCOT, "814", _814("13", "C2-01", "20250303", "", "7", e), "814_01-esi2")
    m.send("2025-03-03T11:00", ERCOT, ONCOR, "814", _814("13", "E2-03", "20250303", "C2-01", "7", e, "20250306"),
           "814_03-esi2")
    at4, at5 = ("2025-03-12T10:00", "2025-03-12T13:00") if planted else ("2025-03-05T09:00", "2025-03-05T11:00")
    m.send(at4, ONCOR, ERCOT, "814", _814("11", "T2-04", at4[:10].replace("-", ""), "E2-03", "WQ", e, "20250310"),
           "814_04-esi2")
    m.send(at5, ERCOT, CR, "814", _814("11", "E2-05", at5[:10].replace("-", ""), "C2-01", "WQ", e, "20250310"),
           "814_05-esi2")
    # ESI 3: the TDSP never answers the 814_03 (planted).
    e = ESI[3]
    m.send("2025-03-03T09:00", CR, ERCOT, "814", _814("13", "C3-01", "20250303", "", "7", e), "814_01-esi3")
    m.send("2025-03-03T11:00", ERCOT, ONCOR, "814", _814("13", "E3-03", "20250303", "C3-01", "7", e, "20250306"),
           "814_03-esi3")
    if not planted:
        m.send("2025-03-04T13:00", ONCOR, ERCOT, "814",
               _814("11", "T3-04", "20250304", "E3-03", "WQ", e, "20250307"), "814_04-esi3")
        m.send("2025-03-04T15:00", ERCOT, CR, "814",
               _814("11", "E3-05", "20250304", "C3-01", "WQ", e, "20250307"), "814_05-esi3")
    # ESI 4: read on 2025-03-03; the 810_02 goes out 6 business days later (planted).
    e = ESI[4]
    m.send("2025-03-04T09:00", ONCOR, ERCOT, "867", _867_03("U4-01", "20250304", e, "20250203", "20250303"),
           "867_03-esi4")
    m.send("2025-03-04T11:00", ERCOT, CR, "867", _867_03("U4-01", "20250304", e, "20250203", "20250303"),
           "867_03-esi4-pass-on")
    at = "2025-03-11T09:00" if planted else "2025-03-05T09:00"
    m.send(at, ONCOR, CR, "810", _810_02("I4-01", at[:10].replace("-", ""), e, "U4-01", "20250203", "20250303"),
           "810_02-esi4")
    # ESI 5: usage and invoice on time; ERCOT's 997 for the 867_03 takes 30 hours (planted).
    e = ESI[5]
    m.send("2025-03-05T09:00", ONCOR, ERCOT, "867", _867_03("U5-01", "20250305", e, "20250204", "20250304"),
           "867_03-esi5", ack_after=dt.timedelta(hours=30 if planted else 2))
    m.send("2025-03-05T11:00", ERCOT, CR, "867", _867_03("U5-01", "20250305", e, "20250204", "20250304"),
           "867_03-esi5-pass-on")
    m.send("2025-03-06T09:00", ONCOR, CR, "810", _810_02("I5-01", "20250306", e, "U5-01", "20250204", "20250304"),
           "810_02-esi5")
    # The data extend to 2025-03-20: a TDSP 867_03 for ESI 1 (and its pass-on and invoice).
    e = ESI[1]
    m.send("2025-03-19T09:00", ONCOR, ERCOT, "867", _867_03("U1-01", "20250319", e, "20250218", "20250318"),
           "867_03-esi1")
    m.send("2025-03-19T11:00", ERCOT, CR, "867", _867_03("U1-01", "20250319", e, "20250218", "20250318"),
           "867_03-esi1-pass-on")
    m.send("2025-03-20T09:00", ONCOR, CR, "810", _810_02("I1-01", "20250320", e, "U1-01", "20250218", "20250318"),
           "810_02-esi1")
    return m.files


def write(folder: Path, files: dict[str, str]) -> None:
    """Replace the ``*.x12`` files of ``folder`` with ``files``."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.x12"):
        old.unlink()
    for name, text in sorted(files.items()):
        (folder / name).write_text(text, encoding="ascii", newline="")


if __name__ == "__main__":
    write(HERE / "clean", build(planted=False))
    write(HERE / "violations", build(planted=True))
