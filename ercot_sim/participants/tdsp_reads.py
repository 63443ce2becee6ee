"""A TDSP's meter reading: the monthly cycle reads (867_03 to ERCOT, 810_02 to the REP of
record), the final and switch reads of an order, and the invoice's due date.

A collaborator of :class:`~ercot_sim.participants.tdsp.Tdsp` that reaches the TDSP only
through :class:`ReadingDesk`. A cycle is read in one batch (:meth:`MeterReading.read_cycle`:
the rule's deadline and the draws' keys worked out once per cycle, the messages handed to the
transport in one call); :meth:`MeterReading.usage` is the same for one ESI ID, the reference
the batch is tested against byte for byte (``MeterReading.batch_reads = False``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Protocol

import simpy

from ercot_sim.messages import Message
from ercot_sim.participants.base import Context, MarketTiming, ymd
from ercot_sim.participants.tdsp_records import TEsi
from ercot_sim.population import Draws
from ercot_sim.simtime import Clock

__all__ = ["MeterReading", "ReadingDesk"]


class ReadingDesk(Protocol):
    """What meter reading uses of its TDSP: identity, calendar, clock, draws, master data,
    references and the answer-time helpers."""

    duns: str
    cal: str
    env: simpy.Environment
    clock: Clock
    timing: MarketTiming
    ctx: Context
    u: Draws
    esi: dict[str, TEsi]

    def ref_for(self, esi: str) -> str: ...

    def answer_time(self, received: int, rule_id: str, calendar: str, fallback_bd: int, *key: object,
                    trigger: int | None = None) -> int: ...

    def reopening(self, t: int, calendar: str) -> int | None: ...


class MeterReading:
    """Cycle reads, order reads and invoice due dates of one TDSP (see the module docstring)."""

    #: read a cycle in one batch; False reads it ESI ID by ESI ID through :meth:`usage`
    batch_reads = True

    def __init__(self, desk: ReadingDesk) -> None:
        self.desk = desk
        #: invoice send date -> its due date (CCYYMMDD): the same for every invoice of a day
        self._due_text: dict[dt.date, str] = {}

    def invoice_due_date(self, sent: dt.date) -> dt.date:
        """The due date of an invoice sent on ``sent``: the market's payment days later (E8),
        rolled to the TDSP's next business day. The one place this is worked out."""
        desk = self.desk
        return desk.clock.roll(sent + dt.timedelta(days=desk.timing.payment_days), desk.cal)

    def invoice_due(self, sent: dt.date) -> str:
        """:meth:`invoice_due_date` as CCYYMMDD (looked up once per send day)."""
        due = self._due_text.get(sent)
        if due is None:
            due = self._due_text[sent] = ymd(self.invoice_due_date(sent))
        return due

    def usage_time(self, read_day: dt.date, rule_id: str, *key: object) -> int:
        """Send time of usage / invoice for a read: inside rule E5 (monthly) or E6 (switch read)."""
        desk = self.desk
        read = desk.clock.minute(read_day, "06:00")
        start = max(read, int(desk.env.now))
        return desk.answer_time(start, rule_id, desk.cal, desk.timing.usage_after_read_bd, *key, trigger=read)

    def kwh(self, esi: str, start: dt.date, end: dt.date) -> int:
        return int((300 + self.desk.u("kwh", esi, end) * 1500) * max((end - start).days, 1) / 30)

    def usage(self, esi: str, e: TEsi, cr: str, start: dt.date, end: dt.date, final: bool, orig: str,
              order_id: str = "") -> None:
        """One ESI ID's 867_03 to ERCOT and 810_02 to ``cr`` for the period ``start``..``end``."""
        desk = self.desk
        start = min(start, end)  # a backdated read ends before the last cycle read
        kwh = self.kwh(esi, start, end)
        ref = desk.ref_for(esi)
        ready = self.usage_time(end, "E6-tdsp-867_04" if final else "E5-tdsp-867_03", esi, ref)
        now = int(desk.env.now)
        if ready < now:
            ready = now
        first, last = ymd(start), ymd(end)
        detail = "final" if final else "monthly"
        duns = desk.duns
        send = desk.ctx.send  # what Participant.send does, without its keyword dict (hot path)
        send(Message("867_03", duns, desk.ctx.ercot, esi, ref, orig, ready,
                     {"tdsp": duns, "cr": cr, "start": first, "end": last, "kwh": kwh, "final": final},
                     order_id, detail))
        send(Message("810_02", duns, cr, esi, desk.ref_for(esi), ref, ready,
                     {"tdsp": duns, "cr": cr, "start": first, "end": last, "kwh": kwh,
                      "due": self.invoice_due(desk.clock.date(ready)), "usage_ref": ref}, order_id, detail))

    def read_cycle(self, today: dt.date, members: list[str]) -> None:
        """The monthly read of one cycle: for every ESI ID served and last read 20 days ago
        or more, an 867_03 to ERCOT and an 810_02 to the REP of record (what :meth:`usage`
        does for each, with what is the same for the whole cycle worked out once)."""
        desk = self.desk
        read = desk.clock.minute(today, "06:00")
        rules = desk.ctx.rules
        due = rules.due("E5-tdsp-867_03", read, desk.cal) if rules is not None else None
        if not self.batch_reads or due is None or desk.ctx.send_all is None:
            # one by one (also when the rule is switched off: answer_time's fallback)
            for esi in members:
                e = desk.esi[esi]
                if e.rep and e.active and (today - e.last_read).days >= 20:
                    self.usage(esi, e, e.rep, e.last_read, today, final=False, orig="")
                    e.last_read = today
            return
        ready_at = self._ready_times(read, due)
        kwh_of = desk.u.sub("kwh").of_text
        end_text = f"|{today}".encode()  # str(date) as Draws joins it
        last = ymd(today)
        duns, ercot, esis = desk.duns, desk.ctx.ercot, desk.esi
        out: list[Message] = []
        add = out.append
        for esi in members:
            e = esis[esi]
            if not (e.rep and e.active) or (today - e.last_read).days < 20:
                continue
            cr = e.rep
            start = e.last_read if e.last_read < today else today
            kwh = int((300 + kwh_of(esi.encode() + end_text) * 1500) * max((today - start).days, 1) / 30)
            e.n += 1
            ref = f"T{esi}{e.n:04d}"
            ready = ready_at(f"{esi}|{ref}".encode())
            first = ymd(start)
            add(Message("867_03", duns, ercot, esi, ref, "", ready,
                        {"tdsp": duns, "cr": cr, "start": first, "end": last, "kwh": kwh, "final": False},
                        "", "monthly"))
            e.n += 1
            add(Message("810_02", duns, cr, esi, f"T{esi}{e.n:04d}", ref, ready,
                        {"tdsp": duns, "cr": cr, "start": first, "end": last, "kwh": kwh,
                         "due": self.invoice_due(desk.clock.date(ready)), "usage_ref": ref}, "", "monthly"))
            e.last_read = today
        if out:
            desk.ctx.send_all(out)

    def _ready_times(self, read: int, due: int) -> Callable[[bytes], int]:
        """When a cycle's reads go out, by draw key (``b"ESI|ref"``): what
        :meth:`~ercot_sim.participants.base.Participant.answer_time` gives for rule E5 from the
        06:00 read, with the cycle's bounds worked out once."""
        desk = self.desk
        now = int(desk.env.now)
        received = max(read, now)
        lo = received + 15
        width = due - lo
        answer, opening_of = desk.u.sub("ans").of_text, desk.u.sub("open").of_text
        reopening, cal = desk.reopening, desk.cal

        def ready_at(key: bytes) -> int:
            if due <= lo:
                ready = received if received > due else due
            else:
                ready = lo + int(answer(key) * width * 0.6)
                reopen = reopening(ready, cal)
                if reopen is not None:
                    opening = reopen + int(opening_of(key) * 120)
                    if opening <= due:
                        ready = opening
            return ready if ready >= now else now

        return ready_at


