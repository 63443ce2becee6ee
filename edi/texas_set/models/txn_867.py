"""The 867 usage family: historical (867_02), monthly (867_03) and initial read (867_04).

An 867 carries the ESI ID, the parties, one or more *usage periods* (``PTD*SU``: period
start and end, total kWh, actual or estimated) and the *meter reads* behind them (``PTD*PL``
on 867_02/03, ``PTD*BJ`` on the 867_04 initial read: meter number, period, begin and end
readings, kWh, meter type).  867_03 has one usage period; 867_02 has up to twelve, one per
month of history; 867_04 has none and one read per meter.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, StringConstraints, model_validator

from edi.texas_set.models.common import Part, Party, TxModel
from edi.texas_set.types import EsiId, Quantity, X12Id

__all__ = ["Usage867", "UsagePeriod", "MeterRead", "CODES_867"]

#: The codes of the family with their titles.
CODES_867: dict[str, str] = {
    "867_02": "Historical usage",
    "867_03": "Monthly usage",
    "867_04": "Initial meter read notification",
}

_MeterId = Annotated[str, StringConstraints(min_length=1, max_length=30, pattern=r"^[A-Za-z0-9\-]+$")]
_Code = Annotated[str, StringConstraints(min_length=2, max_length=10, pattern=r"^[A-Z0-9]+$")]


class UsagePeriod(Part):
    """Usage of a period for the whole ESI ID (``PTD*SU`` loop).

    Attributes:
        start: DTM*150, service period start.
        end: DTM*151, service period end.
        kwh: QTY02, total kWh of the period.
        estimated: QTY01 ``KA`` (estimated) instead of ``QD`` (actual) [C: flat-file sample].
    """

    start: dt.date
    end: dt.date
    kwh: Quantity
    estimated: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> UsagePeriod:
        if self.end < self.start:
            raise ValueError(f"period end {self.end} is before its start {self.start}")
        return self


class MeterRead(Part):
    """One meter's reads (``PTD*PL`` on 867_02/03, ``PTD*BJ`` on 867_04).

    Attributes:
        meter_number: PTD05 (PTD04 ``MG``), the meter ID; None for an unmetered read.
        start: DTM*150 (867_02/03) or the read date DTM*140 (867_04).
        end: DTM*151 (867_02/03); ``None`` on 867_04.
        begin_reading: MEA05, the reading at the period start.
        end_reading: MEA06, the reading at the period end; on 867_04 the initial reading.
        estimated: QTY01 ``KA`` (estimated) instead of ``QD`` (actual).
        kwh: MEA03 and QTY02, consumption; ``None`` on 867_04.
        meter_type: REF*MT, e.g. ``KHMON`` [C].
    """

    meter_number: _MeterId | None = None
    start: dt.date
    end: dt.date | None = None
    begin_reading: Quantity | None = None
    end_reading: Quantity
    kwh: Quantity | None = None
    estimated: bool = False
    meter_type: _Code | None = None


class Usage867(TxModel):
    """An 867_02, 867_03 or 867_04 usage transaction.

    Attributes:
        code: ``867_02``, ``867_03`` or ``867_04``.
        purpose: BPT01, ``original`` (00) or ``cancel`` (01) [00: C; 01: K].
        ref: BPT02, the TDSP's unique reference (the 810_02 names it in REF*OI).
        date: BPT03, the transaction date.
        final: BPT07 ``F``: the final 867_03 when the CR's service ends [U coding].
        esi_id: REF*Q5, in REF03 with REF02 empty (``REF*Q5**<ESI ID>``) as in public 867s
            (the 2016 flight-test 867_04) [C: sample].
        esi_id_in_ref03: 867_04 only, where the guide also reads an ESI ID in REF02 (False:
            written in REF02); 867_02 and 867_03 always carry it in REF03.
        orig_ref: REF*TN, the reference of the transaction this usage answers (e.g. the
            814_16 on an 867_04) [C: sample].
        tdsp: N1*8S.
        cr: N1*SJ.
        ercot: N1*AY, on the copy ERCOT forwards [C: sample].
        periods: the ``PTD*SU`` usage periods.
        meters: the per-meter reads (867_03, 867_04).
    """

    CODES: ClassVar[tuple[str, ...]] = tuple(CODES_867)
    REQUIRED: ClassVar[dict[str, tuple[str, ...]]] = {
        "867_02": ("tdsp", "cr", "periods"),
        "867_03": ("tdsp", "cr", "periods"),
        "867_04": ("tdsp", "cr", "meters"),
    }
    N106: ClassVar[bool] = True

    code: Literal["867_02", "867_03", "867_04"] = "867_03"
    purpose: Literal["original", "cancel"] = "original"
    ref: X12Id
    date: dt.date
    final: bool = False
    esi_id: EsiId
    esi_id_in_ref03: bool = False
    orig_ref: X12Id | None = None
    tdsp: Party | None = None
    cr: Party | None = None
    ercot: Party | None = None
    periods: tuple[UsagePeriod, ...] = Field(default=(), max_length=24)
    meters: tuple[MeterRead, ...] = Field(default=(), max_length=20)

    @model_validator(mode="after")
    def _shape(self) -> Usage867:
        if self.esi_id_in_ref03 and self.code != "867_04":
            raise ValueError("only the 867_04 may carry the ESI ID in REF03")
        if self.code == "867_04":
            if self.purpose != "original":
                raise ValueError("867_04 BPT01 is SU; it has no cancel purpose")
            if self.periods:
                raise ValueError("867_04 carries meter reads only, no usage periods")
            if not self.meters:
                raise ValueError("867_04 needs at least one meter read")
            for m in self.meters:
                if m.end is not None or m.kwh is not None or m.begin_reading is not None:
                    raise ValueError("867_04 meter reads have a read date and one reading only")
                if m.meter_type is not None:
                    raise ValueError("867_04 meter reads carry no meter type (REF*MT)")
        else:
            if not self.periods:
                raise ValueError(f"{self.code} needs at least one usage period")
            if self.code == "867_03" and len(self.periods) != 1:
                raise ValueError("867_03 has exactly one usage period")
            for m in self.meters:
                if m.end is None or m.kwh is None or m.meter_type is None:
                    raise ValueError(
                        f"{self.code} meter {m.meter_number} needs end, kwh and meter_type"
                    )
        if self.code == "867_02" and self.meters:
            raise ValueError("867_02 carries usage periods only, no meter reads")
        if self.final and self.code != "867_03":
            raise ValueError("only an 867_03 can be final")
        return self

    @property
    def kwh(self) -> Any:
        """Total kWh over all usage periods."""
        return sum(p.kwh for p in self.periods)
