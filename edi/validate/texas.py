"""Texas SET checks that are not expressed as element definitions, and X12 segment IDs.

* ESI ID: ``REF*Q5`` carries the ESI ID, 17 to 22 digits (confirmed in market samples).  The
  ESI ID sits in REF02; one real 867_04 sample puts it in REF03 with REF02 empty, so REF03 is
  checked when REF02 is empty.
* DUNS: ``N104`` is a DUNS (9 digits) or DUNS+4 (13 digits) when N103 is ``1`` or ``9``.
  Market samples pair both lengths with both qualifiers, so the length is not tied to the
  qualifier.

:data:`X12_SEGMENT_IDS` lists segment IDs of the X12 004010 dictionary used by utility and
common business transaction sets; a segment ID outside it (and outside the guide) is
reported as unrecognized (997 AK304 ``1``) rather than as not in the guide (``6``).
"""

from __future__ import annotations

__all__ = ["X12_SEGMENT_IDS", "check_duns", "check_esi_id", "looks_like_segment_id", "texas_ok"]


def check_esi_id(value: str) -> str | None:
    """Message when ``value`` is not an ESI ID (17-22 ASCII digits), else ``None``."""
    if 17 <= len(value) <= 22 and value.isascii() and value.isdigit():
        return None
    return f"ESI ID {value!r} is not 17 to 22 digits"


def check_duns(value: str, qualifier: str) -> str | None:
    """Message when ``value`` is not a DUNS (9 digits) or DUNS+4 (13 digits), else ``None``."""
    if len(value) in (9, 13) and value.isascii() and value.isdigit():
        return None
    return f"N104 {value!r} is not a DUNS (9 digits) or DUNS+4 (13 digits), as N103 {qualifier} requires"


def texas_ok(els: list[str]) -> bool:
    """Whether a REF*Q5 or N1 segment passes the ESI ID and DUNS checks (fast path)."""
    n = len(els)
    sid = els[0]
    if sid == "REF" and n > 2 and els[1] == "Q5":
        v = els[2] if els[2] or n < 4 else els[3]
        return not v or check_esi_id(v) is None
    if sid == "N1" and n > 4 and els[3] in ("1", "9") and els[4]:
        return check_duns(els[4], els[3]) is None
    return True


def looks_like_segment_id(sid: str) -> bool:
    """Whether ``sid`` has the shape of an X12 segment ID: 2-3 upper-case letters/digits."""
    return 2 <= len(sid) <= 3 and sid.isascii() and sid.isalnum() and sid.isupper() and sid[0].isalpha()


X12_SEGMENT_IDS = frozenset(
    """
    AAA ACT ADX AK1 AK2 AK3 AK4 AK5 AK9 AMT ASI BAL BCH BEG BGN BHT BIG BLI BPR BPT BSN
    BTR CAD CDD CID CLM CLP CN1 CRC CSH CTB CTP CTT CUR DED DMG DN1 DN2 DTM DTP EFI ENT
    EQ EB FOB G61 G62 HL IEA IIS IMM INS ISA IT1 IT3 ITA ITD K1 K2 K3 LE LIN LQ LS LX
    MEA MSG N1 N2 N3 N4 N9 NM1 NTE OTI PAM PER PID PKG PLB PO1 PRV PTD PWK QTY RDM REF
    RMR SAC SCH SDQ SE SI SLN SPI SSS ST STC SV1 TD1 TD4 TD5 TDS TRN TXI UIT UM UR
    GS GE TA1 ADV AIN AMC BAU BMG CSF DFI DSI FA1 FA2 G53 LM LR MAN MS1 MS2 MSI N10 OOI
    PCT PDS PER PLD PYD QUA REA RTE SPA SUP TMD TPB TTI UCS UNP YNQ
    """.split()  # noqa: SIM905 - a readable block of IDs
)
