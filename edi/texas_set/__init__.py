"""Texas SET on top of generic X12: implementation guides as data, identification, explanation.

* :mod:`edi.texas_set.guide`   guides (``guides/*.xml``, checked against ``guides/guide.xsd``)
  and code lists (``codes/*.xml``), compiled into frozen specs for validation;
* :mod:`edi.texas_set.catalog` which Texas SET transaction an ST..SE is (814_03 vs 814_01 ...);
* :mod:`edi.texas_set.explain` guides and transactions in plain market language.
"""

from __future__ import annotations

from edi.texas_set.catalog import Identification, identify
from edi.texas_set.explain import explain_guide, explain_transaction
from edi.texas_set.guide import (
    ERCOT_DUNS,
    CodeList,
    Condition,
    ElementSpec,
    Guide,
    LoopSpec,
    SegmentSpec,
    all_guides,
    guide_codes,
    load_code_list,
    load_guide,
)

__all__ = [
    "ERCOT_DUNS",
    "CodeList",
    "Condition",
    "ElementSpec",
    "Guide",
    "Identification",
    "LoopSpec",
    "SegmentSpec",
    "all_guides",
    "explain_guide",
    "explain_transaction",
    "guide_codes",
    "identify",
    "load_code_list",
    "load_guide",
]
