"""Which Texas SET transaction an ST..SE is: 814_03 or 814_01, 867_03 or 867_04 ...

ST01 only names the family (``814``); the transaction within it follows from the content and
from who sends it to whom.  :func:`identify` decides from data in the guides, never from
per-transaction code:

1. **values** -- each guide's ``<identify>`` block: ``BGN01=13``, ``ASI01=WQ|U``,
   ``BGN07=TS|AQ|-`` (``-``: absent), ``REF*G7=*`` (``*``: the segment is present);
2. **roles** -- the sender and receiver (GS02/GS03, else ISA06/ISA08) are resolved to CR,
   ERCOT or TDSP: from the ``roles`` map, from ERCOT's DUNS, else from the transaction's own
   N1 loops (``N1*8S`` names the TDSP, ``N1*SJ`` the CR, ``N1*AY`` ERCOT); a guide fits when
   one of its flows has those roles;
3. **structure** -- when several guides remain, the one whose layout fits best wins: segments
   the guide does not know or marks not used, and mandatory segments missing, count against it.

Unknown or ambiguous is an :class:`Identification` with ``code=None`` and a reason, never an
exception.  When the content fits exactly one guide but the roles do not, that code is
returned with ``role_mismatch=True`` and the reason says so (a misrouted transaction is still
an 814_03).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter

from edi.texas_set.guide import ERCOT_DUNS, Guide, LoopSpec, SegmentSpec, all_guides

__all__ = ["Identification", "entry_flows", "identify", "identify_segments", "resolve_role"]

_N1_ROLES = {"8S": "TDSP", "SJ": "CR", "AY": "ERCOT"}


@dataclass(frozen=True, slots=True)
class Identification:
    """The result of :func:`identify`.

    Attributes:
        code: the Texas SET transaction (``814_03``), or None when unknown or ambiguous.
        candidates: every guide that still fitted when the decision was made (sorted).
        reason: why: what decided it, or why it could not be decided.
        variants: what else the content says: ``accept``/``reject`` (ASI01), ``move-in``,
            ``move-out``, ``csa``, ``history`` (LIN07), ``mass-transition``/``acquisition``
            (BGN07), ``final``/``cancel`` (867), ``retired``.
        sender_role, receiver_role: CR / ERCOT / TDSP, or None when they could not be told.
        role_mismatch: the content fits ``code`` but the flow does not.
    """

    code: str | None
    candidates: tuple[str, ...] = ()
    reason: str = ""
    variants: tuple[str, ...] = ()
    sender_role: str | None = None
    receiver_role: str | None = None
    role_mismatch: bool = False

    def __bool__(self) -> bool:
        return self.code is not None


# compiled identification rules ==================================================================


@dataclass(frozen=True, slots=True)
class _Rule:
    """One ``<identify>`` value: where to look and what is allowed."""

    key: str
    seg: str
    pos: int  # element position, 0 for a segment-presence key
    qualifier: str  # for segment keys
    values: frozenset[str]
    absent_ok: bool
    present: bool  # '*': anything non-empty / segment present
    tag: str  # "KEY=VALUE": rules with the same tag give the same answer for one transaction


@dataclass(frozen=True, slots=True)
class _Entry:
    guide: Guide
    rules: tuple[_Rule, ...]
    flows: tuple[tuple[str, str], ...]
    known: frozenset[tuple[str, str | None]]
    unused: frozenset[tuple[str, str | None]]
    mandatory: tuple[tuple[str, str | None], ...]


def _rule(key: str, value: str) -> _Rule:
    if "*" in key:
        seg, qual = key.split("*", 1)
        pos = 0
    else:
        seg, pos, qual = key[:-2], int(key[-2:]), ""
    alts = value.split("|")
    return _Rule(key, seg, pos, qual, frozenset(a for a in alts if a not in ("-", "*")), "-" in alts, value == "*",
                 f"{key}={value}")


def _mandatory(items: Sequence[SegmentSpec | LoopSpec]) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    for item in items:
        if item.usage != "M":
            continue
        if isinstance(item, SegmentSpec):
            out.append(item.key)
        else:
            out.extend(_mandatory(item.children))
    return out


@functools.cache
def _entries() -> dict[str, tuple[_Entry, ...]]:
    by_st: dict[str, list[_Entry]] = {}
    for g in all_guides():
        specs = [s for _, s in g.segments()]
        by_st.setdefault(g.st01, []).append(
            _Entry(
                g,
                tuple(_rule(k, v) for k, v in g.identify.items()),
                tuple((f.sender, f.receiver) for f in g.flows),
                frozenset(s.key for s in specs if s.usage != "N"),
                frozenset(s.key for s in specs if s.usage == "N"),
                tuple(_mandatory(g.body)),
            )
        )
    return {k: tuple(v) for k, v in by_st.items()}


# evaluation =====================================================================================


class _Facts:
    """The body of one transaction, indexed by segment ID, for cheap rule checks."""

    __slots__ = ("by_id", "body", "_memo")

    def __init__(self, body: Sequence[Sequence[str]]) -> None:
        self.body = body
        by_id: dict[str, list[Sequence[str]]] = {}
        for els in body:
            if els:
                by_id.setdefault(els[0], []).append(els)
        self.by_id = by_id
        self._memo: dict[object, object] = {}

    def values(self, seg: str, pos: int) -> list[str]:
        key = (seg, pos)
        hit = self._memo.get(key)
        if hit is None:
            hit = self._memo[key] = [els[pos] for els in self.by_id.get(seg, ()) if pos < len(els) and els[pos]]
        return hit  # type: ignore[return-value]

    def has(self, seg: str, qualifier: str) -> bool:
        key = (seg, "*" + qualifier)
        hit = self._memo.get(key)
        if hit is None:
            hit = self._memo[key] = any(len(els) > 1 and els[1] == qualifier for els in self.by_id.get(seg, ()))
        return hit  # type: ignore[return-value]

    def n1_id(self, qualifier: str) -> str:
        for els in self.by_id.get("N1", ()):
            if len(els) > 4 and els[1] == qualifier:
                return els[4].strip()
        return ""


def _holds(rule: _Rule, facts: _Facts) -> bool:
    memo = facts._memo
    hit = memo.get(rule.tag)
    if hit is None:
        hit = memo[rule.tag] = _evaluate(rule, facts)
    return hit  # type: ignore[return-value]


def _evaluate(rule: _Rule, facts: _Facts) -> bool:
    if rule.pos == 0:
        present = facts.has(rule.seg, rule.qualifier)
        return present if rule.present else not present
    values = facts.values(rule.seg, rule.pos)
    if not values:
        return rule.absent_ok
    if rule.present:
        return True
    return any(v in rule.values for v in values)


def _penalty(entry: _Entry, facts: _Facts) -> int:
    known, unused = entry.known, entry.unused
    score = 0
    seen: set[tuple[str, str | None]] = set()
    for els in facts.body:
        if not els:
            continue
        q = els[1] if len(els) > 1 else ""
        key: tuple[str, str | None] = (els[0], q)
        if key in known:
            seen.add(key)
        elif (els[0], None) in known:
            seen.add((els[0], None))
        else:
            score += 2 if key in unused or (els[0], None) in unused else 1
    return score + sum(1 for m in entry.mandatory if m not in seen)


def resolve_role(party: str, facts_or_body: _Facts | Sequence[Sequence[str]],
                 roles: Mapping[str, str] | None = None) -> str | None:
    """The market role (CR, ERCOT, TDSP) of a DUNS / DUNS+4, or None when it cannot be told.

    Looks in ``roles`` (exact, then the 9-digit DUNS), then ERCOT's DUNS, then the N1 loops
    of the transaction (N1*8S = TDSP, N1*SJ = CR, N1*AY = ERCOT, matched on N104).
    """
    party = party.strip()
    if not party:
        return None
    if roles:
        role = roles.get(party) or roles.get(party[:9])
        if role:
            return role
    if party[:9] == ERCOT_DUNS:
        return "ERCOT"
    facts = facts_or_body if isinstance(facts_or_body, _Facts) else _Facts(facts_or_body)
    for qual, role in _N1_ROLES.items():
        n104 = facts.n1_id(qual)
        if n104 and (n104 == party or (len(party) >= 9 and n104[:9] == party[:9])):
            return role
    return None


@functools.cache
def _flows_by_code() -> dict[str, tuple[tuple[str, str], ...]]:
    return {e.guide.code: e.flows for entries in _entries().values() for e in entries}


def entry_flows(code: str) -> tuple[tuple[str, str], ...]:
    """The (sender role, receiver role) pairs the guide of ``code`` is sent on (``CR`` /
    ``ERCOT`` / ``TDSP`` / ``ANY``); () for a code without a guide."""
    return _flows_by_code().get(code, ())


def _flow_ok(flows: tuple[tuple[str, str], ...], sender: str | None, receiver: str | None) -> bool:
    for s, r in flows:
        if (s == "ANY" or sender is None or s == sender) and (r == "ANY" or receiver is None or r == receiver):
            return True
    return False


def _variants(code: str, facts: _Facts, guide: Guide) -> tuple[str, ...]:
    out: list[str] = []
    asi = facts.values("ASI", 1)
    if asi:
        out += ["accept"] if asi[0] == "WQ" else ["reject"] if asi[0] == "U" else []
    for v in facts.values("LIN", 7):
        out.append({"MVI": "move-in", "MVO": "move-out", "CSA": "csa", "HU": "history"}.get(v, v.lower()))
    for v in facts.values("BGN", 7):
        out.append({"TS": "mass-transition", "AQ": "acquisition"}.get(v, v.lower()))
    if facts.values("BPT", 7)[:1] == ["F"]:
        out.append("final")
    if code.startswith("867") and facts.values("BPT", 1)[:1] == ["01"]:
        out.append("cancel")
    if guide.retired:
        out.append("retired")
    return tuple(dict.fromkeys(out))


# memo =========================================================================================
#
# Identification reads only a few elements of a transaction (the rule keys of its family's
# guides, the N1 party IDs, and the values the reason and the variants name), and a market
# file repeats the same few combinations thousands of times.  The answer is therefore kept per
# *signature*: ST01, the parties, their roles from ``roles``, and those elements in body order.
# Only when several guides fit by value does the answer also depend on the layout of the whole
# body; then the layout score is computed per transaction and only the final answer is shared.

#: element positions read per segment ID besides the guides' own rule keys (N1 party IDs,
#: the values :func:`_describe` and :func:`_variants` name, and qualifiers for presence keys)
_READ = {"BGN": (1, 7), "BPT": (1, 4, 7), "ASI": (1, 2), "LIN": (5, 7), "PTD": (1,), "REF": (1,), "DTM": (1,),
         "N1": (1, 4)}
_MEMO_MAX = 4096  # signatures kept; cleared when full, so memory does not grow with the input


@dataclass(slots=True)
class _Decided:
    """What a signature decided: the answer, or the guides left for the layout to choose from."""

    result: Identification | None
    fitting: tuple[_Entry, ...] = ()
    mismatch: bool = False
    s_role: str | None = None
    r_role: str | None = None
    described: str = ""
    by_layout: dict[tuple[str, ...], Identification] | None = None


@functools.cache
def _readers() -> dict[str, dict[str, tuple[Callable[[Sequence[str]], object], int]]]:
    """Per ST01: segment ID -> (getter of the elements read, elements needed)."""
    out: dict[str, dict[str, tuple[Callable[[Sequence[str]], object], int]]] = {}
    for st01, entries in _entries().items():
        wanted: dict[str, set[int]] = {k: set(v) for k, v in _READ.items()}
        for e in entries:
            for r in e.rules:
                wanted.setdefault(r.seg, set()).add(r.pos or 1)
        # position 0 too: each getter returns one tuple that names its segment
        out[st01] = {seg: (itemgetter(0, *sorted(poss)), max(poss) + 1) for seg, poss in wanted.items()}
    return out


_memo: dict[tuple[object, ...], _Decided] = {}


def _signature(st01: str, readers: dict[str, tuple[Callable[[Sequence[str]], object], int]],
               body: Sequence[Sequence[str]]) -> tuple[object, ...]:
    getters = _getters(st01)
    try:  # common case: every segment read is long enough for its getter
        return tuple([getters[els[0]](els) for els in body if els[0] in getters])
    except IndexError:  # an empty or short segment: pad it and keep its length
        pass
    sig: list[object] = []
    add = sig.append
    get = readers.get
    for els in body:
        if not els:
            continue
        r = get(els[0])
        if r is not None:
            getter, need = r
            n = len(els)
            if n >= need:
                add(getter(els))
            else:  # shorter than the elements read: pad, and keep the length (N1 needs N104's)
                add((n, getter(list(els) + [""] * (need - n))))
    return tuple(sig)


@functools.cache
def _getters(st01: str) -> dict[str, Callable[[Sequence[str]], object]]:
    """Segment ID -> getter of the elements read, for one ST01 (see :func:`_readers`)."""
    return {k: g for k, (g, _n) in _readers()[st01].items()}


def identify_segments(
    st01: str,
    body: Sequence[Sequence[str]],
    sender: str = "",
    receiver: str = "",
    roles: Mapping[str, str] | None = None,
) -> Identification:
    """Identify a transaction from ST01, its body as element lists and the parties' IDs.

    Args:
        st01: the transaction set identifier (``814``).
        body: the segments between ST and SE, each ``[id, e1, e2, ...]``.
        sender, receiver: DUNS or DUNS+4 of the sending and receiving party (GS02/GS03).
        roles: DUNS -> ``CR``/``ERCOT``/``TDSP`` for parties the N1 loops do not name.
    """
    readers = _readers().get(st01)
    if readers is None:
        families = ", ".join(sorted(_entries()))
        return Identification(None, (), f"no Texas SET guide for ST01 {st01!r} (guides exist for {families})")
    if roles:
        s, r = sender.strip(), receiver.strip()
        named = (roles.get(s) or roles.get(s[:9]), roles.get(r) or roles.get(r[:9]))
    else:
        named = (None, None)
    key = (st01, sender, receiver, named, _signature(st01, readers, body))
    decided = _memo.get(key)
    if decided is None:
        decided = _decide(st01, body, sender, receiver, roles)
        if len(_memo) >= _MEMO_MAX:
            _memo.clear()
        _memo[key] = decided
    if decided.result is not None:
        return decided.result
    return _by_layout(st01, decided, body)


def _decide(st01: str, body: Sequence[Sequence[str]], sender: str, receiver: str,
            roles: Mapping[str, str] | None) -> _Decided:
    """Everything that follows from the signature (see the memo above)."""
    entries = _entries()[st01]
    facts = _Facts(body)
    s_role = resolve_role(sender, facts, roles)
    r_role = resolve_role(receiver, facts, roles)
    # the flow is the cheapest test: check it first, the values only for guides that fit it
    fitting = [e for e in entries if _flow_ok(e.flows, s_role, r_role) and all(_holds(r, facts) for r in e.rules)]
    flow = f"{s_role or '?'} -> {r_role or '?'}"
    mismatch = False
    if not fitting:
        by_value = [e for e in entries if all(_holds(r, facts) for r in e.rules)]
        if not by_value:
            return _Decided(Identification(None, (), f"{st01} content fits no guide ({_describe(facts)}); sent {flow}",
                                           (), s_role, r_role))
        fitting, mismatch = by_value, True
    if len(fitting) > 1:
        return _Decided(None, tuple(fitting), mismatch, s_role, r_role, _describe(facts), {})
    chosen = fitting[0]
    return _Decided(_answer(chosen, fitting, mismatch, facts, s_role, r_role, f"{_describe(facts)} sent {flow}"))


def _by_layout(st01: str, d: _Decided, body: Sequence[Sequence[str]]) -> Identification:
    """Several guides fit by value: the one whose layout fits this body best (see module doc)."""
    facts = _Facts(body)
    scored = sorted((_penalty(e, facts), e.guide.code, e) for e in d.fitting)
    best = scored[0][0]
    top = tuple(e for p, _, e in scored if p == best)
    codes = tuple(e.guide.code for e in top)
    cache = d.by_layout if d.by_layout is not None else {}
    hit = cache.get(codes)
    if hit is not None:
        return hit
    flow = f"{d.s_role or '?'} -> {d.r_role or '?'}"
    if len(top) > 1:
        why = f"{st01} content ({d.described}) sent {flow} fits {', '.join(codes)} equally well"
        if d.s_role is None or d.r_role is None:
            why += "; the sender or receiver role is unknown (pass roles= to name it)"
        result = Identification(None, codes, why, (), d.s_role, d.r_role, d.mismatch)
    else:
        chosen = top[0]
        reason = (f"{d.described} sent {flow}; layout fits {chosen.guide.code} "
                  f"best of {', '.join(sorted(e.guide.code for e in d.fitting))}")
        result = _answer(chosen, d.fitting, d.mismatch, facts, d.s_role, d.r_role, reason)
    cache[codes] = result
    return result


def _answer(chosen: _Entry, fitting: Sequence[_Entry], mismatch: bool, facts: _Facts, s_role: str | None,
            r_role: str | None, reason: str) -> Identification:
    code = chosen.guide.code
    if mismatch:
        flow = f"{s_role or '?'} -> {r_role or '?'}"
        expected = " or ".join(f"{s} -> {r}" for s, r in chosen.flows)
        reason = f"content is {code} but it was sent {flow}; {code} goes {expected}"
    candidates = tuple(sorted(e.guide.code for e in fitting))
    return Identification(code, candidates, reason, _variants(code, facts, chosen.guide), s_role, r_role, mismatch)


def identify(txn: object, roles: Mapping[str, str] | None = None) -> Identification:
    """Tell which Texas SET transaction an ST..SE is.

    Args:
        txn: an :class:`edi.x12.TransactionSet` (``st01``, ``raw_body`` or ``body``, ``gs``,
            ``isa``).
        roles: DUNS -> ``CR``/``ERCOT``/``TDSP`` for parties the N1 loops do not name; ERCOT's
            DUNS 183529049 is always known.

    Returns:
        An :class:`Identification`; ``code`` is None when the transaction is unknown or
        ambiguous, with the reason.
    """
    try:
        st01 = txn.st01  # type: ignore[attr-defined]
        raw = getattr(txn, "raw_body", None)
        body = raw if raw is not None else [s.elements for s in txn.body]  # type: ignore[attr-defined]
    except (AttributeError, IndexError) as exc:
        return Identification(None, (), f"not a readable transaction set: {exc}")
    sender, receiver = _party(txn, 2, 6), _party(txn, 3, 8)
    return identify_segments(st01, body, sender, receiver, roles)


def _party(txn: object, gs_pos: int, isa_pos: int) -> str:
    gs = getattr(txn, "gs", None)
    value = gs.get(gs_pos).strip() if gs is not None and gs.id == "GS" else ""
    if not value:
        isa = getattr(txn, "isa", None)
        value = isa.get(isa_pos).strip() if isa is not None and isa.id == "ISA" else ""
    return value


def _describe(facts: _Facts) -> str:
    parts = []
    for seg, pos in (("BGN", 1), ("BGN", 7), ("BPT", 1), ("BPT", 4), ("BPT", 7), ("ASI", 1), ("ASI", 2), ("LIN", 5),
                     ("LIN", 7), ("PTD", 1)):
        vals = facts.values(seg, pos)
        if vals:
            parts.append(f"{seg}{pos:02d}={'/'.join(dict.fromkeys(vals))}")
    for seg, qual in (("REF", "G7"), ("DTM", "097")):
        if facts.has(seg, qual):
            parts.append(f"{seg}*{qual}")
    return ", ".join(parts) or "no values beyond ST01"
