"""Code values participants put in payloads where the value itself says what happens.

The values are the shipped code lists' (``edi/texas_set/codes``); where those are placeholders
marked unconfirmed, so are these.
"""

from __future__ import annotations

__all__ = ["ESI_CREATE", "ESI_RETIRE", "PERMIT_PENDING", "SECOND_MOVE_OUT", "SWITCH_HOLD_CHANGE"]

#: REF*TD reasons for change of an 814_20 / 814_21: a new ESI ID, a retired one, a switch hold
#: placed or removed (placeholder values, unconfirmed)
ESI_CREATE = "CRT"
ESI_RETIRE = "RET"
SWITCH_HOLD_CHANGE = "SHS"
#: REF*TD of an 814_24 that is a second move-out request after a T019 [RMG 7.16.1]
SECOND_MOVE_OUT = "2MR"
#: REF*G7 of an 814_28: a permit is required before the move-in can be worked (unconfirmed)
PERMIT_PENDING = "PRQ"
