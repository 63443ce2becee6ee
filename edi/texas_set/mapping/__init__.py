"""The one mapping between Texas SET business models and X12 segments.

Every transaction code has a *layout* (:mod:`.spec`): a table of segments and loops whose
elements are bound to model fields.  The tables live in :mod:`.tables_814` (the 814 family)
and :mod:`.tables_other` (867, 810, 820, 824, 650, 997).  From one layout come:

* :func:`render` — the fast path: fields as a plain dict, no validation, one compiled
  function per code (:mod:`.render`); the simulator calls it for every 867_03 and 810_02;
* :func:`to_segments` — a validated model rendered by the same compiled function, so
  ``render(code, fields) == to_segments(Model(**fields))`` by construction;
* :func:`from_segments` — body segments read back into the model (:mod:`.parse`), with
  every failure a :class:`~edi.errors.MappingError` that names segment and element.

:func:`transaction` wraps a body in ST/SE; :func:`write_interchange` writes models through
:class:`edi.x12.X12Writer`; :func:`read_models` reads every transaction of a file into its
model, identified by :func:`edi.texas_set.catalog.identify`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from edi.errors import MappingError
from edi.texas_set.mapping.parse import parse_body
from edi.texas_set.mapping.render import as_fields, compile_layout, plain
from edi.texas_set.mapping.spec import Layout, Loop, Seg
from edi.texas_set.mapping.tables_814 import layouts_814
from edi.texas_set.mapping.tables_other import layouts_other
from edi.texas_set.models import CODES_814, TxModel
from edi.x12.segment import Segment
from edi.x12.writer import ControlNumbers, X12Writer

__all__ = [
    "LAYOUTS",
    "Layout",
    "RETIRED",
    "codes",
    "layout",
    "render",
    "to_segments",
    "from_segments",
    "transaction",
    "write_interchange",
    "read_models",
    "iter_fields",
    "uncarried",
]

#: The layout of every transaction code.
LAYOUTS: dict[str, Layout] = {**layouts_814(), **layouts_other()}

#: Codes the market no longer uses (814_10): read them, do not send them.
RETIRED: frozenset[str] = frozenset(c for c, info in CODES_814.items() if info.retired)


def codes() -> list[str]:
    """Every transaction code the mapping knows, sorted."""
    return sorted(LAYOUTS)


def layout(code: str) -> Layout:
    """The layout of ``code``.

    Raises:
        MappingError: the code is not known.
    """
    try:
        return LAYOUTS[code]
    except KeyError:
        raise MappingError(f"no mapping for transaction code {code!r}; known: {', '.join(codes())}") from None


@functools.cache
def _renderer(code: str) -> Any:
    return compile_layout(layout(code))


def render(code: str, fields: Mapping[str, Any] | Any, *, allow_retired: bool = False,
           check: bool = False) -> list[list[str]]:
    """Body segments of a transaction from plain fields, without validation (the fast path).

    Args:
        code: the transaction code, e.g. ``867_03``.
        fields: the model's fields as a dict (nested parts as dicts or models), with
            Python values: :class:`~datetime.date` dates, ``int`` cents, ``int`` or
            ``Decimal`` quantities.  Values are trusted: text containing a delimiter breaks
            the output.  Use :func:`to_segments` on a validated model when in doubt.
        allow_retired: render a retired code (814_10) all the same; the simulator never
            sends one, so this is for tests and conversions only.
        check: refuse top-level fields with a value that the code does not carry (they
            are otherwise ignored, as the fast path does not validate); about a microsecond
            a call, meant for tests of the code that builds the fields.

    Returns:
        The segments between ST and SE, each ``[segment ID, element 1, ...]``; equal to
        ``to_segments(Model(code=code, **fields))``.

    Raises:
        MappingError: a required field is missing or a value has the wrong type; the
            message is the model's validation error.
    """
    if code in RETIRED and not allow_retired:
        raise MappingError(f"{code} is retired (PRR724): it can be read, not sent")
    if check:
        extra = uncarried(code, fields)
        if extra:
            raise MappingError(f"{code}: field(s) {', '.join(map(repr, extra))} not carried by this transaction")
    fn = _renderer(code)
    try:
        return fn(fields if type(fields) is dict else as_fields(fields))
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise _explain(code, fields, exc) from None


def uncarried(code: str, fields: Mapping[str, Any] | Any) -> list[str]:
    """Top-level fields with a value (not None, False or empty) that ``code`` does not carry."""
    carried = _carried(code)
    data = as_fields(fields)
    return sorted(k for k, v in data.items() if k not in carried and k != "code" and v not in (None, False, (), [], ""))


def _explain(code: str, fields: Any, exc: Exception) -> MappingError:
    """Turn a fast-path failure into the validation message of the model."""
    lay = layout(code)
    data = dict(plain(as_fields(fields)))
    data.setdefault("code", code)
    try:
        lay.model.model_validate(data)
    except ValidationError as verr:
        errs = verr.errors()
        first = errs[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "fields"
        more = f" (and {len(errs) - 1} more)" if len(errs) > 1 else ""
        return MappingError(f"{code}: cannot render: {where}: {first.get('msg', 'invalid')}{more}")
    return MappingError(f"{code}: cannot render: {type(exc).__name__}: {exc}")


def to_segments(model: TxModel) -> list[list[str]]:
    """Body segments (between ST and SE) of a validated model.

    Raises:
        MappingError: the model sets a field that its code's layout does not carry.
    """
    fields = model.__dict__
    carried = _carried(model.code)
    for name in model.model_fields_set:
        if name not in carried and name != "code" and fields[name] not in (None, False, (), ""):
            default = type(model).model_fields[name].default
            if fields[name] != default:
                raise MappingError(f"{model.code}: field {name!r} is not carried by this transaction")
    return _renderer(model.code)(fields)


@functools.cache
def _carried(code: str) -> frozenset[str]:
    return frozenset(layout(code).fields())


def from_segments(code: str, body: Sequence[Segment | Sequence[str]], *, source: str = "") -> Any:
    """Read the model of ``code`` from its body segments (between ST and SE).

    Args:
        code: the transaction code (see :func:`edi.texas_set.catalog.identify`).
        body: :class:`~edi.x12.segment.Segment` objects (their numbers are used in
            messages) or element lists (numbered from 2, ST being 1).
        source: a file name for messages.

    Raises:
        MappingError: naming the segment number, label and element of the first problem.
    """
    return parse_body(layout(code), body, source)


def transaction(model_or_code: TxModel | str, fields: Mapping[str, Any] | None = None, *,
                control: str = "0001") -> list[list[str]]:
    """The whole transaction set, ST through SE, of a model or of (code, fields).

    Args:
        model_or_code: a model (validated path) or a code (fast path with ``fields``).
        fields: the fields for the fast path.
        control: ST02/SE02.
    """
    if isinstance(model_or_code, str):
        code = model_or_code
        body = render(code, fields or {})  # refuses retired codes
    else:
        code = model_or_code.code
        body = to_segments(model_or_code)
    st01 = code[:3]
    return [["ST", st01, control], *body, ["SE", str(len(body) + 2), control]]


def write_interchange(
    models: Iterable[TxModel],
    sender: str,
    receiver: str,
    when: datetime,
    control: ControlNumbers,
    **writer_args: Any,
) -> str:
    """Write models as one interchange with :class:`edi.x12.X12Writer` (one GS per functional ID)."""
    w = X12Writer(sender, receiver, when, control, **writer_args)
    for m in models:
        w.add(m.code[:3], to_segments(m))
    return w.getvalue()


def read_models(source: Any, *, roles: Mapping[str, str] | None = None, name: str | None = None) -> list[Any]:
    """Every transaction of an X12 file as its model.

    Args:
        source: a path or the bytes of the file.
        roles: DUNS -> ``CR``/``ERCOT``/``TDSP`` for transactions told apart only by who
            sends them (814_07 and 814_09 ...).
        name: the file name used in messages.

    Raises:
        MappingError: a transaction cannot be identified or read; the message names the
            file, the segment and the element.
    """
    from edi.findings import Report
    from edi.texas_set.catalog import identify
    from edi.x12.envelope import iter_transactions

    report = Report()
    out = []
    for txn in iter_transactions(source, name=name, report=report):
        ident = identify(txn, roles)
        if ident.code is None:
            st = txn.segments[0]
            raise MappingError(f"transaction set {txn.control} not identified: {ident.reason}",
                               f"{txn.file} segment {st.number} (ST)")
        out.append(from_segments(ident.code, txn.body, source=txn.file))
    return out


def iter_fields(lay: Layout) -> Iterable[tuple[Seg, str]]:
    """Every (segment template, field) pair of a layout, loops flattened (for docs and tests)."""
    stack: list[Any] = list(lay.items)
    while stack:
        it = stack.pop(0)
        if isinstance(it, Loop):
            stack[0:0] = list(it.body)
        else:
            for e in it.els:
                if e.src:
                    yield it, e.src
