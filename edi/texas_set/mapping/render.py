"""The fast path: each layout compiled once into a plain Python function.

:func:`compile_layout` turns a :class:`~.spec.Layout` into the source of one function that
takes the fields as a plain dict (or a model's ``__dict__``) and returns the body segments
as lists of strings, then compiles it.  No pydantic validation runs; defaults (model field
defaults and the code-dependent ones of ``Model.code_defaults``) are baked into the code, so
the result equals what the validated model gives.  The generated source is kept on the
function (``__source__``) for inspection.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from edi.texas_set.mapping.spec import El, Layout, Loop, Seg
from edi.texas_set.types import format_date, format_quantity, format_r, format_time

__all__ = ["compile_layout", "compile_payload_text_layout", "compile_text_layout", "as_fields", "plain"]

Renderer = Callable[[Any], list[list[str]]]
TextRenderer = Callable[[Any], tuple[str, int]]


def as_fields(obj: Any) -> dict[str, Any]:
    """A model, payload part or mapping as a dict of fields (models: their ``__dict__``, no
    copy; the named tuples and dataclasses of :mod:`edi.texas_set.payloads`: their fields)."""
    if type(obj) is dict:
        return obj
    if isinstance(obj, BaseModel):
        return obj.__dict__
    names = getattr(type(obj), "_fields", None)
    if names is not None:  # a named tuple
        return dict(zip(names, obj, strict=True))
    as_fields_of = getattr(obj, "as_fields", None)
    if as_fields_of is not None:
        return as_fields_of()
    return dict(obj)


def _date(d: Any, _c: dict[Any, str] = {}) -> str:  # noqa: B006 - deliberate cache
    s = _c.get(d)
    if s is None:
        s = format_date(d)
        if len(_c) < 100_000:
            _c[d] = s
    return s


def plain(value: Any) -> Any:
    """``value`` with every named tuple part (edi.texas_set.payloads) turned into a dict: what
    the models validate."""
    if isinstance(value, tuple):
        if hasattr(value, "_asdict"):
            return {k: plain(v) for k, v in value._asdict().items()}
        return tuple(plain(v) for v in value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


_RUNTIME: dict[str, Any] = {
    "_date": _date,
    "_time": format_time,
    "_r": format_r,
    "_q": format_quantity,
    "_obj": as_fields,
    "int": int,
    "str": str,
    "type": type,
    "enumerate": enumerate,
}


def _literal(expr: str) -> str | None:
    """The value of ``expr`` when it is a string literal, else None."""
    if not expr or expr[0] not in "'\"":
        return None
    try:
        value = ast.literal_eval(expr)
    except (ValueError, SyntaxError):
        return None
    return value if type(value) is str else None


class _Gen:
    def __init__(self, layout: Layout, text: tuple[str, str] | None = None,
                 header: frozenset[str] | None = None) -> None:
        self.layout = layout
        self.text = text  # (element separator, segment terminator): emit segment text
        #: payload mode: the fields are attributes of a payload (its parts named tuples), but
        #: these top-level ones, which come from a dict ``h``
        self.header = header
        self.lines: list[str] = []
        self.consts: dict[str, Any] = {}
        self.n = 0
        self.code_default: set[str] = set()

    def const(self, value: Any) -> str:
        name = f"_k{len(self.consts)}"
        self.consts[name] = value
        return name

    def var(self) -> str:
        self.n += 1
        return f"v{self.n}"

    def emit(self, indent: int, line: str) -> None:
        self.lines.append("    " * indent + line)

    # -- fields -----------------------------------------------------------------------
    def defaults(self, model: type, top: bool) -> dict[str, tuple[bool, Any]]:
        """field -> (required, default) of a model class."""
        out: dict[str, tuple[bool, Any]] = {}
        extra = model.code_defaults(self.layout.code) if top and hasattr(model, "code_defaults") else {}
        if top:
            self.code_default = set(extra)
        for name, info in model.model_fields.items():  # type: ignore[attr-defined]
            if name in extra:
                out[name] = (False, extra[name])
            elif info.is_required():
                out[name] = (True, None)
            else:
                out[name] = (False, info.get_default(call_default_factory=True))
        return out

    def fetch(self, indent: int, src: str, obj: str, defs: dict[str, tuple[bool, Any]], cache: dict[str, str]) -> str:
        """A local variable holding field ``src`` of ``obj`` (fetched once per scope)."""
        if src in cache:
            return cache[src]
        required, default = defs[src]
        v = self.var()
        if self.header is not None and not (obj == "f" and src in self.header):
            # a payload's attribute (every payload field and part field always has one)
            self.emit(indent, f"{v} = {obj}.{src}")
            if src in self.code_default and obj == "f":
                self.emit(indent, f"if {v} is None:")
                self.emit(indent + 1, f"{v} = {default!r}")
            cache[src] = v
            return v
        if self.header is not None:
            obj = "h"
        if src in self.code_default and obj == "f":
            # None means "not given": the code decides (as the model's validator does)
            self.emit(indent, f"{v} = {obj}.get({src!r})")
            self.emit(indent, f"if {v} is None:")
            self.emit(indent + 1, f"{v} = {default!r}")
        elif required:
            self.emit(indent, f"{v} = {obj}[{src!r}]")
        elif default is None or isinstance(default, (bool, int, str)):
            self.emit(indent, f"{v} = {obj}.get({src!r}, {default!r})")
        else:
            self.emit(indent, f"{v} = {obj}.get({src!r}, {self.const(default)})")
        cache[src] = v
        return v

    # -- elements -----------------------------------------------------------------------
    def element(self, e: El, v: str, optional: bool, idx: str, fallback: str | None) -> str:
        k = e.kind
        if k == "LIT":
            return repr(e.lit)
        if k == "IDX":
            return f"str({idx})"
        if k == "COUNT":
            return f"str(len({v}))"
        if k == "FLAG":
            return f"({e.lit!r} if {v} else '')"
        if k == "PRE":
            return f"('' if {v} is None else {e.lit!r})"
        if k == "YN":
            yn = f"('Y' if {v} else 'N')"
            return f"('' if {v} is None else {yn})" if optional else yn
        if k == "AN":
            expr = v
        elif k == "N0" or k == "N2":
            expr = f"str({v})"
        elif k == "DT":
            expr = f"_date({v})"
        elif k == "DTD":
            expr = f"_date({v}.date())"
        elif k in ("TM", "DTT"):
            expr = f"_time({v})"
        elif k == "R":
            expr = f"_r({v})"
        elif k == "Q":
            expr = f"(str({v}) if type({v}) is int else _q({v}))"
        elif k == "MAP":
            expr = f"{self.const(dict(e.codes))}[{v}]"
        else:  # pragma: no cover - spec checks kinds
            raise ValueError(k)
        if fallback is not None:
            return f"({expr} if {v} is not None else {fallback})"
        if optional:
            return f"('' if {v} is None else {expr})"
        return expr

    # -- segments and loops -------------------------------------------------------------
    def items(self, items: tuple[Seg | Loop, ...], indent: int, obj: str, model: type, top: bool, idx: str) -> None:
        defs = self.defaults(model, top)
        cache: dict[str, str] = {}
        for it in items:
            if isinstance(it, Loop):
                v = self.fetch(indent, it.field, obj, defs, cache)
                item = self.var()
                if it.many:
                    i = self.var()
                    self.emit(indent, f"for {i}, {item} in enumerate({v}, 1):")
                    if self.header is None:
                        self.emit(indent + 1, f"{item} = {item} if type({item}) is dict else _obj({item})")
                    self.items(it.body, indent + 1, item, it.model, False, i)
                else:
                    self.emit(indent, f"if {v} is not None:")
                    self.emit(indent + 1, f"{item} = {v}" if self.header is not None else
                              f"{item} = {v} if type({v}) is dict else _obj({v})")
                    self.items(it.body, indent + 1, item, it.model, False, idx)
                continue
            for e in it.els:
                if e.src:
                    self.fetch(indent, e.src, obj, defs, cache)
                if e.fallback:
                    self.fetch(indent, e.fallback, obj, defs, cache)
                if e.gate:
                    self.fetch(indent, e.gate, obj, defs, cache)
            ind = indent
            if it.when:
                w = self.fetch(indent, it.when, obj, defs, cache)
                self.emit(indent, f"if {w}:" if it.when_true else f"if {w} is not None:")
                ind = indent + 1
            parts: list[str] = [repr(it.id)]
            may_trail = False
            pos = 0
            for e in it.els:
                while pos + 1 < e.pos:
                    parts.append("''")
                    pos += 1
                pos = e.pos
                v = self.fetch(indent, e.src, obj, defs, cache) if e.src else ""
                guarded = bool(e.src) and e.src == it.when  # the segment condition covers it
                optional = bool(e.src) and not defs[e.src][0] and defs[e.src][1] is None and not guarded
                fb = None
                if e.fallback:
                    fb = self.fetch(indent, e.fallback, obj, defs, cache)
                    optional = False
                expr = self.element(e, v, optional, idx, fb)
                if e.gate:
                    g = cache[e.gate]
                    expr = f"({expr} if {'' if e.gate_on else 'not '}{g} else '')"
                parts.append(expr)
                may_trail = (not guarded) if e.kind in ("FLAG", "PRE") else optional or bool(e.gate)
            if may_trail:
                s = self.var()
                self.emit(ind, f"{s} = [{', '.join(parts)}]")
                self.emit(ind, f"while {s}[-1] == '':")
                self.emit(ind + 1, f"{s}.pop()")
                self.emit(ind, f"ap({s})" if self.text is None else f"ap({self.text[0]!r}.join({s}))")
            elif self.text is None:
                self.emit(ind, f"ap([{', '.join(parts)}])")
            else:
                self.emit(ind, f"ap({self.concat(parts)})")

    def concat(self, parts: list[str]) -> str:
        """One expression joining ``parts`` with the element separator, literals merged."""
        sep = self.text[0]  # type: ignore[index]
        pieces: list[str] = []  # expressions
        lit: str | None = None  # literal text not yet written
        for i, expr in enumerate(parts):
            value = _literal(expr)
            head = sep if i else ""
            if value is not None:
                lit = (lit or "") + head + value
                continue
            if head:
                lit = (lit or "") + head
            if lit is not None:
                pieces.append(repr(lit))
                lit = None
            pieces.append(expr)
        if lit is not None:
            pieces.append(repr(lit))
        return " + ".join(pieces)

    def source(self) -> str:
        lay = self.layout
        self.emit(0, "def render(f):" if self.header is None else "def render(f, h):")
        if lay.prepare is not None:
            if self.header is not None:
                raise ValueError(f"{lay.code}: a layout that prepares its fields renders from a dict")
            self.consts["_prepare"] = lay.prepare
            self.emit(1, "f = _prepare(f)")
        self.emit(1, "out = []")
        self.emit(1, "ap = out.append")
        self.items(lay.items, 1, "f", lay.model, True, "0")
        if self.text is None:
            self.emit(1, "return out")
        else:
            term = self.text[1]
            self.emit(1, f"return ({term!r}.join(out) + {term!r} if out else ''), len(out)")
        return "\n".join(self.lines) + "\n"


def compile_layout(layout: Layout) -> Renderer:
    """Compile a layout into its rendering function (fields dict -> body segments)."""
    gen = _Gen(layout)
    src = gen.source()
    namespace: dict[str, Any] = {**_RUNTIME, **gen.consts}
    code = compile(src, f"<render {layout.code}>", "exec")
    exec(code, namespace)  # noqa: S102 - source generated from the mapping tables above
    fn = namespace["render"]
    fn.__source__ = src
    return fn


def compile_text_layout(layout: Layout, separator: str = "*", terminator: str = "~") -> TextRenderer:
    """Compile a layout into a function giving the body as X12 text.

    The function takes the same fields as :func:`compile_layout`'s and returns
    ``(text, segment_count)``: the segments between ST and SE, each terminated, elements
    joined with ``separator`` -- exactly what formatting :func:`compile_layout`'s segments
    with those delimiters gives, without building the element lists.
    """
    gen = _Gen(layout, (separator, terminator))
    src = gen.source()
    namespace: dict[str, Any] = {**_RUNTIME, **gen.consts}
    code = compile(src, f"<render text {layout.code}>", "exec")
    exec(code, namespace)  # noqa: S102 - source generated from the mapping tables above
    fn = namespace["render"]
    fn.__source__ = src
    return fn


def compile_payload_text_layout(layout: Layout, header: frozenset[str], separator: str = "*",
                                terminator: str = "~") -> Callable[[Any, dict[str, Any]], tuple[str, int]]:
    """Compile a layout into a function giving the body as X12 text from a payload object
    (:mod:`edi.texas_set.payloads`) and its header: ``render(payload, header_fields)``.

    The same text as :func:`compile_text_layout` of the joined fields
    (:func:`edi.texas_set.payloads.mapping_fields`), read straight from the payload's
    attributes and its parts' (named tuples), without building a dict: ``header`` names the
    top-level fields that come from the dict instead. Not for a layout that prepares its
    fields (``Layout.prepare``).
    """
    gen = _Gen(layout, (separator, terminator), header)
    src = gen.source()
    namespace: dict[str, Any] = {**_RUNTIME, **gen.consts}
    code = compile(src, f"<render payload text {layout.code}>", "exec")
    exec(code, namespace)  # noqa: S102 - source generated from the mapping tables above
    fn = namespace["render"]
    fn.__source__ = src
    return fn
