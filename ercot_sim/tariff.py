"""TDSP fees the simulated TDSPs bill on the 810_02 besides the monthly delivery charges."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["FEES", "billed_charges"]

#: TDSP fees billed to the gaining CR on an 810_02 of their own once the order is worked:
#: SAC04 -> (amount in cents, SAC15 description). That the fees are billed is confirmed for the
#: self-selected switch's out-of-cycle read (flows.md 2, timing-rules.md C5) and known for the
#: priority move-in (flows.md 3.2); the SAC04 values are assumed (marked so in
#: edi/texas_set/codes/sac-charges.xml). Amounts: $3.70 is Oncor's charge for working a
#: self-selected switch (askoncor.com billing FAQ), used for every TDSP; the priority move-in
#: amount is assumed.
FEES: dict[str, tuple[int, str]] = {
    "MSC001": (370, "OUT OF CYCLE METER READ"),
    "MSC002": (2500, "PRIORITY MOVE IN"),
}


def billed_charges(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The charge fields of an 810_02 that bills a charge rather than usage (an order's fee,
    ``charge``; a late payment, ``late_fee``), to carry over to its 824 and corrected invoice."""
    return {k: fields[k] for k in ("charge", "late_fee") if fields.get(k)}
