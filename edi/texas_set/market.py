"""The Texas market's own identities, in one place.

ERCOT is the registration agent in every market-wide flow; its DUNS number appears in the
envelopes and ``N1*AY`` segments of real market files (``../shared/texas-set/market.md``,
confirmed in raw samples). Participants' own DUNS numbers are scenario data.
"""

from __future__ import annotations

__all__ = ["ERCOT_DUNS", "ERCOT_NAME"]

#: ERCOT's DUNS number (``N1*AY*ERCOT*1*183529049``) [confirmed].
ERCOT_DUNS = "183529049"
#: The name ERCOT goes by in N1 segments.
ERCOT_NAME = "ERCOT"
