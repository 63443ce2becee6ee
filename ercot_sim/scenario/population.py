"""The population generator: ESI IDs, their TDSP, read cycle and first REP, and their events.

Everything here is derived per ESI ID from ``(seed, ESI ID, purpose)`` so that a shard that
holds only some ESI IDs generates exactly what a whole run generates for them. Nothing
draws from a shared random stream.

An ESI ID is the TDSP's prefix followed by a zero-padded serial number, 17 digits in all
(Oncor ``10443720`` + 9 digits, market.md); prefixes other than Oncor's are assumed.
"""

from __future__ import annotations

import bisect
import hashlib
import random
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from ercot_sim.scenario import Event, EventRates, Scenario

__all__ = ["Draws", "Premise", "Population", "PlannedEvent", "build_population", "rng_for", "triggers", "unit"]


def rng_for(seed: int, *key: object) -> random.Random:
    """A fresh ``random.Random`` for one purpose of one ESI ID (never shared)."""
    return random.Random(f"{seed}|" + "|".join(map(str, key)))


def unit(seed: int, *key: object) -> float:
    """A deterministic number in [0, 1) for ``key`` (cheaper than building a Random).

    Two CRC-32s of the key (forwards and with the seed after it) give 64 well-mixed bits;
    the simulator needs reproducible spread, not cryptographic strength.
    """
    text = f"{seed}|{'|'.join(map(str, key))}".encode()
    return ((zlib.crc32(text) << 32) | zlib.crc32(text, seed & 0xFFFFFFFF or 1)) / 2**64


class Draws:
    """``unit(seed, *prefix, *key)`` with the prefix hashed once (same numbers, less work).

    CRC-32 is incremental, so the CRCs of the prefix are the start values for the key.
    """

    __slots__ = ("_c1", "_c2")

    def __init__(self, seed: int, *prefix: object) -> None:
        head = (f"{seed}|" + "".join(f"{p}|" for p in prefix)).encode()
        self._c1 = zlib.crc32(head)
        self._c2 = zlib.crc32(head, seed & 0xFFFFFFFF or 1)

    def __call__(self, *key: object) -> float:
        """A deterministic number in [0, 1) for ``key`` (at least one part)."""
        text = "|".join(map(str, key)).encode()
        return ((zlib.crc32(text, self._c1) << 32) | zlib.crc32(text, self._c2)) / 2**64

    def sub(self, *prefix: object) -> Draws:
        """``Draws`` with more prefix: ``self.sub(a)(b) == self(a, b)``."""
        head = "".join(f"{p}|" for p in prefix).encode()
        out = Draws.__new__(Draws)
        out._c1 = zlib.crc32(head, self._c1)
        out._c2 = zlib.crc32(head, self._c2)
        return out

    def of_text(self, text: bytes) -> float:
        """``self(*key)`` for a key already joined and encoded (``b"a|b"``): for loops that
        build the key text once for several draws."""
        return ((zlib.crc32(text, self._c1) << 32) | zlib.crc32(text, self._c2)) / 2**64

    @property
    def state(self) -> tuple[int, int]:
        """The two CRC start values: ``self(*key)`` is ``((crc32(t, c1) << 32) | crc32(t, c2)) / 2**64``
        of the key text ``t`` (parts joined with ``|``); for loops that build the text themselves."""
        return self._c1, self._c2



@dataclass(slots=True)
class Premise:
    """One ESI ID as generated: where it is and who serves it at the start."""

    esi_id: str
    index: int
    tdsp: str
    cycle: int
    rep: str | None


@dataclass(frozen=True, slots=True)
class PlannedEvent:
    """One event of the run, resolved to an ESI ID, a day of the run and a local time.

    ``ordinal`` numbers the events of one ESI ID (explicit and generated) in time order;
    references (BGN02) are built from it, so they are the same in every shard. ``drawn``: the
    event was drawn from the scenario's rates (not written in its ``[[events]]``, which a
    participant acts on exactly as written, a request the market will reject included).
    """

    day: int
    at: str
    esi_id: str
    ordinal: int
    event: Event
    drawn: bool = False


@dataclass
class Population:
    """The premises of a run and the events planned for them."""

    premises: list[Premise]
    events: list[PlannedEvent] = field(default_factory=list)
    created: dict[str, str] = field(default_factory=dict)  # esi_id -> TDSP for esi_create

    def by_id(self) -> dict[str, Premise]:
        """Premises keyed by ESI ID."""
        return {p.esi_id: p for p in self.premises}


def _pick(weights: list[tuple[str, float]], u: float) -> str:
    total = sum(w for _, w in weights)
    acc = 0.0
    for name, w in weights:
        acc += w / total
        if u < acc:
            return name
    return weights[-1][0]


class _Picker:
    """``_pick(weights, u)`` with the running shares computed once (the same choices)."""

    __slots__ = ("_acc", "_names")

    def __init__(self, weights: list[tuple[str, float]]) -> None:
        total = sum(w for _, w in weights)
        acc = 0.0
        self._acc: list[float] = []
        for _name, w in weights:
            acc += w / total
            self._acc.append(acc)
        self._names = [n for n, _ in weights]

    def __call__(self, u: float) -> str:
        i = bisect.bisect_right(self._acc, u)  # the first running share above u
        return self._names[i] if i < len(self._names) else self._names[-1]


def _interleaved(scenario: Scenario) -> Iterator[tuple[int, str]]:
    """The population's ESI IDs with their TDSP's position, in ``esi_index`` order: the TDSPs
    interleaved, so that esi_index 0, 1, 2 ... visit every TDSP in turn."""
    pop = scenario.population
    tdsps = scenario.participants.tdsps
    total = sum(t.share for t in tdsps)
    counts = [int(pop.esi_ids * t.share / total) for t in tdsps]
    for i in range(pop.esi_ids - sum(counts)):
        counts[i % len(counts)] += 1
    serial = [0] * len(tdsps)
    remaining = counts[:]
    shapes = [(t.esi_prefix, max(17 - len(t.esi_prefix), 1)) for t in tdsps]
    while any(remaining):
        for k, (prefix, digits) in enumerate(shapes):
            if not remaining[k]:
                continue
            remaining[k] -= 1
            serial[k] += 1
            yield k, f"{prefix}{serial[k]:0{digits}d}"


def _esi_at(scenario: Scenario, indexes: set[int]) -> dict[int, str]:
    """The ESI IDs at ``indexes`` of the population (the events' ``esi_index``)."""
    found: dict[int, str] = {}
    if not indexes:
        return found
    last = max(indexes)
    for index, (_k, esi) in enumerate(_interleaved(scenario)):
        if index in indexes:
            found[index] = esi
        if index >= last:
            break
    return found


def _premises(scenario: Scenario, shard: tuple[int, int] = (0, 1)) -> list[Premise]:
    """The premises of shard ``(i, n)``: an ESI ID of another shard is skipped before its draws."""
    from ercot_sim.output.shard import shard_of

    seed = scenario.scenario.seed
    pop = scenario.population
    names = [t.name for t in scenario.participants.tdsps]
    crs = [(c.name, c.share) for c in scenario.participants.crs if c.share > 0]
    out: list[Premise] = []
    draw = Draws(seed)  # draw(esi, purpose) == unit(seed, esi, purpose), cheaper
    pick_rep = _Picker(crs)
    energized_share, cycles = pop.energized, pop.cycles
    mine, count = shard
    # draw(esi, "energized"), draw(esi, "rep"), draw(esi, "cycle") written out: the CRCs of
    # "<esi>|" extended by each purpose (the same numbers; this loop runs once per ESI ID)
    c1, c2 = draw.state
    crc32 = zlib.crc32
    scale = 2**64
    for index, (k, esi) in enumerate(_interleaved(scenario)):
        if count > 1 and shard_of(esi, count) != mine:
            continue
        head = (esi + "|").encode()
        h1, h2 = crc32(head, c1), crc32(head, c2)
        u_energized = ((crc32(b"energized", h1) << 32) | crc32(b"energized", h2)) / scale
        u_cycle = ((crc32(b"cycle", h1) << 32) | crc32(b"cycle", h2)) / scale
        if u_energized < energized_share and crs:
            rep = pick_rep(((crc32(b"rep", h1) << 32) | crc32(b"rep", h2)) / scale)
        else:
            rep = None
        out.append(Premise(esi, index, names[k], int(u_cycle * cycles) + 1, rep))
    return out


#: the event kinds drawn from the monthly rates, in the order of their trigger draws
_RATE_KINDS = ("switch", "move_in", "move_out", "historical_usage", "switch_hold")


def triggers(seed: int, esi_id: str) -> tuple[float, ...]:
    """One ESI ID's trigger draws for the rate events, one number in [0, 1) per kind of
    :data:`_RATE_KINDS`, from a single BLAKE2b digest of ``(seed, ESI ID)``.

    Most ESI IDs have no event in a month: one hash decides that for all kinds at once,
    and only an event that happens pays for its own ``random.Random`` (its day, time, CR ...).
    Each kind has its own draws, so a rate changed for one kind leaves the others' events
    where they were.
    """
    a, b, c, d, e = _FIVE(hashlib.blake2b(f"{seed}|{esi_id}|events".encode(), digest_size=40).digest())
    return (a / _2_64, b / _2_64, c / _2_64, d / _2_64, e / _2_64)


_FIVE = struct.Struct("<5Q").unpack
_2_64 = float(2**64)


def _thresholds(scenario: Scenario) -> tuple[float, ...]:
    """Each rate kind's monthly rate scaled to the run's length, in :data:`_RATE_KINDS` order."""
    scale = scenario.scenario.days / 30.0
    return tuple(getattr(scenario.rates, k) * scale for k in _RATE_KINDS)


def _generated(scenario: Scenario, premise: Premise, crs: list[tuple[str, float]],
                drawn: tuple[float, ...]) -> list[Event]:
    """Events drawn from the monthly rates for one premise (at most one of each kind);
    ``drawn`` = its :func:`triggers`."""
    rates = scenario.rates
    days = scenario.scenario.days
    scale = days / 30.0
    seed = scenario.scenario.seed
    esi = premise.esi_id
    u_switch, u_move_in, u_move_out, u_history, u_hold = drawn
    events: list[Event] = []
    idx = premise.index

    def when(rng: random.Random) -> tuple[int, str]:
        return rng.randrange(days), f"{9 + rng.randrange(8):02d}:{rng.randrange(60):02d}"

    def other_cr(rng: random.Random, not_this: str | None) -> str | None:
        choices = [(n, w) for n, w in crs if n != not_this]
        return _pick(choices, rng.random()) if choices else None

    if premise.rep and u_switch < rates.switch * scale:
        rng = rng_for(seed, esi, "switch")
        day, at = when(rng)
        cr = other_cr(rng, premise.rep)
        if cr:
            requested = day + 3 + rng.randrange(10) if rng.random() < rates.self_selected else None
            events.append(Event(kind="switch", day=day, at=at, esi_index=idx, cr=cr,
                                requested_day=requested))
            _followups(rates, rng, events, day, cr, idx, requested, days)
    if u_move_in < rates.move_in * scale:
        rng = rng_for(seed, esi, "move_in")
        day, at = when(rng)
        cr = other_cr(rng, None)
        if cr:
            priority = rng.random() < rates.priority
            requested = day if priority else day + 2 + rng.randrange(5)
            unexec = rng.random() < rates.unexecutable
            events.append(Event(kind="move_in", day=day, at=at, esi_index=idx, cr=cr,
                                requested_day=requested, priority=priority, unexecutable=unexec))
            _followups(rates, rng, events, day, cr, idx, requested, days)
    if premise.rep and u_move_out < rates.move_out * scale:
        rng = rng_for(seed, esi, "move_out")
        day, at = when(rng)
        events.append(Event(kind="move_out", day=day, at=at, esi_index=idx, cr=premise.rep,
                            requested_day=day + 2 + rng.randrange(5),
                            unexecutable=rng.random() < rates.unexecutable))
    if premise.rep and u_history < rates.historical_usage * scale:
        day, at = when(rng_for(seed, esi, "historical_usage"))
        events.append(Event(kind="historical_usage", day=day, at=at, esi_index=idx,
                            cr=premise.rep))
    if u_hold < rates.switch_hold * scale:
        day, at = when(rng_for(seed, esi, "switch_hold"))
        events.append(Event(kind="switch_hold", day=day, at=at, esi_index=idx, by="tdsp"))
    return events


def _followups(rates: EventRates, rng: random.Random, events: list[Event], day: int, cr: str, idx: int,
               requested: int | None, days: int) -> None:
    """A cancel (rescission) or a date change after an order, drawn from the rates."""
    if rng.random() < rates.cancel:
        cday = min(day + 1 + rng.randrange(2), days - 1)
        events.append(Event(kind="cancel", day=cday, at="10:00", esi_index=idx, cr=cr,
                            rescission=True))
    elif requested is not None and rng.random() < rates.date_change:
        cday = min(day + 1, days - 1)
        events.append(Event(kind="date_change", day=cday, at="10:30", esi_index=idx, cr=cr,
                            requested_day=requested + 2 + rng.randrange(4)))


def build_population(scenario: Scenario, shard: tuple[int, int] = (0, 1)) -> Population:
    """Generate the premises and events of ``scenario`` (only shard ``i`` of ``n``).

    Args:
        scenario: the validated scenario.
        shard: ``(i, n)``; an ESI ID belongs to shard ``i`` when a hash of it modulo ``n``
            is ``i``, so each ESI ID is in exactly one shard for any ``n``.
    """
    from ercot_sim.output.shard import in_shard

    kept = _premises(scenario, shard)  # only this shard's: the others are never drawn
    by_index = _esi_at(scenario, {ev.esi_index or 0 for ev in scenario.events if ev.esi_id is None})
    per_esi: dict[str, list[Event]] = {}
    created: dict[str, str] = {}
    for ev in scenario.events:
        esi = ev.esi_id if ev.esi_id is not None else by_index[ev.esi_index or 0]
        per_esi.setdefault(esi, []).append(ev)
        if ev.kind == "esi_create" and ev.tdsp:
            created[esi] = ev.tdsp
    rates = scenario.rates
    drawn_events: set[int] = set()  # id() of the events drawn from the rates
    any_rate = any(
        getattr(rates, k) > 0
        for k in ("switch", "move_in", "move_out", "historical_usage", "switch_hold")
    )
    if any_rate:
        crs = [(c.name, c.share) for c in scenario.participants.crs if c.share > 0]
        t_switch, t_move_in, t_move_out, t_history, t_hold = _thresholds(scenario)
        seed = scenario.scenario.seed
        for p in kept:
            drawn = triggers(seed, p.esi_id)
            u_switch, u_move_in, u_move_out, u_history, u_hold = drawn
            if not (u_move_in < t_move_in or u_hold < t_hold or (p.rep and (
                    u_switch < t_switch or u_move_out < t_move_out or u_history < t_history))):
                continue  # most ESI IDs: no event this run
            gen = _generated(scenario, p, crs, drawn)
            if gen:
                per_esi.setdefault(p.esi_id, []).extend(gen)
                drawn_events.update(id(ev) for ev in gen)
    planned: list[PlannedEvent] = []
    for esi, evs in per_esi.items():
        if not in_shard(esi, shard):
            continue
        evs.sort(key=lambda e: (e.day, e.at))
        for k, ev in enumerate(evs, start=1):
            planned.append(PlannedEvent(ev.day, ev.at, esi, k, ev, id(ev) in drawn_events))
    planned.sort(key=lambda pe: (pe.day, pe.at, pe.esi_id, pe.ordinal))
    created = {e: t for e, t in created.items() if in_shard(e, shard)}
    return Population(kept, planned, created)
