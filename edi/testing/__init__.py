"""``edi.testing``: hypothesis strategies for Texas SET, for your own test suite.

Needs hypothesis (``pip install 'ercot-sim[test]'``, or ``pip install hypothesis``); importing
this package without it raises an :class:`ImportError` that says so.  Nothing else in
:mod:`edi` imports it.

Three kinds of strategies:

* X12 drawn from the implementation guides (:mod:`edi.testing.guided`):
  :func:`transactions` draws a valid transaction of any Texas SET code as a
  :class:`DrawnTransaction` (body, parties, ``to_x12()``), generic over the guides;
* deliberately invalid X12 (:mod:`edi.testing.mutations`): :func:`invalid_transactions`
  applies one named mutation from :data:`MUTATIONS` to a valid draw and says which finding
  codes validation must produce (:class:`InvalidTransaction`);
* business models and scalars (:mod:`edi.testing.strategies`): :func:`models`,
  :func:`fields_for`, :func:`any_model` for :mod:`edi.texas_set.models`, and
  :func:`esi_ids`, :func:`duns_numbers`, :func:`dates` ...

See ``docs/edi-toolkit.md`` for an example test.
"""

from __future__ import annotations

try:
    import hypothesis  # noqa: F401
except ImportError as exc:  # pragma: no cover - the test suite has hypothesis
    raise ImportError(
        "edi.testing needs hypothesis, which is not installed: "
        "pip install 'ercot-sim[test]' (or pip install hypothesis)"
    ) from exc

from edi.testing.guided import (
    MAX_REPEAT,
    DrawnTransaction,
    element_values,
    texas_set_codes,
    transactions,
)
from edi.testing.mutations import MUTATIONS, InvalidTransaction, Mutation, invalid_transactions
from edi.testing.strategies import (
    TEXT_ALPHABET,
    any_model,
    cents,
    codes,
    customers,
    dates,
    datetimes,
    duns_numbers,
    esi_ids,
    fields_for,
    guide_code_values,
    models,
    parties,
    quantities,
    references,
    texts,
    times,
    transaction_codes,
)

__all__ = [
    "MAX_REPEAT",
    "MUTATIONS",
    "TEXT_ALPHABET",
    "DrawnTransaction",
    "InvalidTransaction",
    "Mutation",
    "any_model",
    "cents",
    "codes",
    "customers",
    "dates",
    "datetimes",
    "duns_numbers",
    "element_values",
    "esi_ids",
    "fields_for",
    "guide_code_values",
    "invalid_transactions",
    "models",
    "parties",
    "quantities",
    "references",
    "texas_set_codes",
    "texts",
    "times",
    "transaction_codes",
    "transactions",
]
