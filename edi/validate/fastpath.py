"""Generated per-segment checks: the hot path of validation.

For every segment of a guide, :func:`segment_check` generates one small function
``ok(els) -> bool`` with each element rule unrolled into straight code: the mandatory test,
the code list look-up or an inline test of the common valid form of the data type (ASCII
printable text within its length; 8-digit dates and times through the cache of
:mod:`edi.datatypes`; plain digit strings for numbers), the syntax notes and the Texas ESI
ID / DUNS shapes.  Anything the inline test does not accept goes to the full data type check,
so the generated function says exactly whether the detailed checks of
:func:`edi.validate.walker.check_elements` would find something; only then are they run, to
say what.

The generated source is built from positions, lengths and the names of objects placed in
its namespace, never from guide text, so no guide content can become code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from edi import datatypes
from edi.validate.texas import texas_ok

__all__ = ["segment_check"]


def _type_test(pos: int, dtype: str, lo: int, hi: int, ind: str) -> list[str]:
    """Lines rejecting a non-empty ``v`` that fails its type or length (``check{pos}`` is the full check)."""
    hi_s = str(hi) if hi else "1 << 30"
    full = [f"{ind}    if check{pos}(v) is not None:", f"{ind}        return False"]
    if dtype in ("AN", "ID"):
        return [f"{ind}if not ({lo} <= len(v) <= {hi_s} and v.isascii() and v.isprintable()):",
                f"{ind}    return False"]
    if dtype == "DT":
        return [f"{ind}if not ({lo} <= len(v) <= {hi_s} and dates.get(v)):", *full]
    if dtype == "TM":
        return [f"{ind}if not ({lo} <= len(v) <= {hi_s} and times.get(v)):", *full]
    if dtype == "R" or dtype[0] == "N":
        return [f"{ind}if not ({lo} <= len(v) <= {hi_s} and v.isdigit() and v.isascii()):", *full]
    return [f"{ind}if check{pos}(v) is not None:", f"{ind}    return False"]


def segment_check(spec: Any) -> Callable[[list[str]], bool]:
    """Generate ``ok(els)`` for a :class:`~edi.validate.compiled.CompiledSegment`."""
    env: dict[str, Any] = {"dates": datatypes._DATE_CACHE, "times": datatypes._TIME_CACHE, "texas_ok": texas_ok}
    lines = ["def ok(els):", "    n = len(els)", f"    if n > {spec.max_pos + 1}:", "        return False"]
    for pos, _ref, usage, check, codes, _conf, _name, _names in spec.elements:
        dtype, lo, hi = spec.limits[pos]
        lines.append(f"    v = els[{pos}] if n > {pos} else ''")
        if usage == "M":
            lines += ["    if not v:", "        return False"]
            ind = "    "
        else:
            lines += ["    if v:"]
            ind = "        "
        if usage == "N":
            lines += [f"{ind}return False"]
            continue
        env[f"check{pos}"] = check
        if codes is not None:
            env[f"codes{pos}"] = codes
            lines += [f"{ind}if v not in codes{pos}:", f"{ind}    return False"]
        else:
            lines += _type_test(pos, dtype, lo, hi, ind)
        if usage != "M":
            lines.append("        pass")
    for pos in spec.unlisted:
        lines += [f"    if n > {pos} and els[{pos}]:", "        return False"]
    for kind, poss, _conf in spec.conditions:
        count = " + ".join(f"(n > {p} and els[{p}] != '')" for p in poss)
        k = len(poss)
        first = f"(n > {poss[0]} and els[{poss[0]}] != '')"
        test = {
            "P": f"c and c != {k}",
            "R": "not c",
            "E": "c > 1",
            "C": f"{first} and c != {k}",
            "L": f"{first} and c == 1 and {k} > 1",
        }.get(kind, "False")
        lines += [f"    c = {count}", f"    if {test}:", "        return False"]
    if not spec.texas:
        pass  # the X12 standard's own segment: no Texas SET shape checks
    elif spec.id == "REF" and spec.qualifier == "Q5":
        lines += [
            "    e = els[2] if n > 2 else ''",
            "    if not e and n > 3:",
            "        e = els[3]",
            "    if e and not (17 <= len(e) <= 22 and e.isdigit() and e.isascii()):",
            "        return False",
        ]
    elif spec.id == "N1":
        lines += [
            "    if n > 4 and els[4] and els[3] in ('1', '9') and not (len(els[4]) in (9, 13) and els[4].isdigit()"
            " and els[4].isascii()):",
            "        return False",
        ]
    elif spec.id == "REF" and spec.qualifier is None:
        lines += ["    if not texas_ok(els):", "        return False"]
    lines.append("    return True")
    code = compile("\n".join(lines), f"<guide check {spec.label}>", "exec")
    exec(code, env)  # noqa: S102 - source generated from positions and lengths only, see module docstring
    return env["ok"]
