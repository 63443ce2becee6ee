"""Pydantic v2 business models of the Texas SET transactions, one class per family.

=====================  ========================================================
class                  codes
=====================  ========================================================
:class:`Enrollment814`  814_01 ... 814_29, 814_PC, 814_PD (814_10 read only)
:class:`Usage867`       867_02, 867_03, 867_04
:class:`Invoice810`     810_02
:class:`Remittance820`  820_02
:class:`ApplicationAdvice824`  824
:class:`ServiceOrder650`  650_01, 650_02, 650_04
:class:`Ack997`         997
=====================  ========================================================

Models are frozen and forbid unknown fields.  ``model_for(code)`` gives the class of a code,
``build(code, **fields)`` a validated model.  Segments are the business of
:mod:`edi.texas_set.mapping`.
"""

from __future__ import annotations

from typing import Any

from edi.texas_set.models.common import ERCOT_DUNS, Customer, Part, Party, TxModel
from edi.texas_set.models.txn_650 import CODES_650, ServiceOrder650
from edi.texas_set.models.txn_810 import Charge, Invoice810, invoice_total
from edi.texas_set.models.txn_814 import CODES_814, REQUIRED_814, CodeInfo814, Enrollment814
from edi.texas_set.models.txn_820 import Remittance820, RemittanceItem
from edi.texas_set.models.txn_824 import Advice, ApplicationAdvice824, Reason
from edi.texas_set.models.txn_867 import CODES_867, MeterRead, Usage867, UsagePeriod
from edi.texas_set.models.txn_997 import Ack997, ElementError, SegmentError, TransactionAck

__all__ = [
    "ERCOT_DUNS",
    "MODELS",
    "Ack997",
    "Advice",
    "ApplicationAdvice824",
    "CODES_650",
    "CODES_814",
    "CODES_867",
    "Charge",
    "CodeInfo814",
    "Customer",
    "ElementError",
    "Enrollment814",
    "Invoice810",
    "MeterRead",
    "Part",
    "REQUIRED_814",
    "Party",
    "Reason",
    "Remittance820",
    "RemittanceItem",
    "SegmentError",
    "ServiceOrder650",
    "TransactionAck",
    "TxModel",
    "Usage867",
    "UsagePeriod",
    "build",
    "invoice_total",
    "model_for",
]

_CLASSES: tuple[type[TxModel], ...] = (
    Enrollment814, Usage867, Invoice810, Remittance820, ApplicationAdvice824, ServiceOrder650, Ack997,
)  # fmt: skip

#: Model class per transaction code.
MODELS: dict[str, type[TxModel]] = {code: cls for cls in _CLASSES for code in cls.CODES}


def model_for(code: str) -> type[TxModel]:
    """The model class of a transaction code.

    Raises:
        KeyError: the code is unknown.
    """
    try:
        return MODELS[code]
    except KeyError:
        raise KeyError(f"no model for transaction code {code!r}") from None


def build(code: str, **fields: Any) -> TxModel:
    """A validated model of ``code`` from keyword fields."""
    return model_for(code).model_validate({"code": code, **fields})
