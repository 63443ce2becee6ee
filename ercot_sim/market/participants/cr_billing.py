"""A CR's invoices: each 810_02 is checked and rejected with an 824 (a scenario fault, or the
scenario's rate of rejects) or paid with an 820_02 on its due day (never after rule E8's);
last month's invoices open at the start are paid on their due days too.

A collaborator of :class:`~ercot_sim.market.participants.cr.Cr` that reaches it through
:class:`BillingDesk`.
"""

from __future__ import annotations

from typing import Protocol

from ercot_sim.market.messages import Message
from ercot_sim.market.participants.base import ParticipantDesk
from ercot_sim.market.tariff import billed_charges
from ercot_sim.output.emit import invoice_total
from ercot_sim.scenario.population import unit

__all__ = ["Billing", "BillingDesk"]


class BillingDesk(ParticipantDesk, Protocol):
    """What billing uses of its CR."""

    def answer_ref(self, orig: str, letter: str = "") -> str: ...


class Billing:
    """Invoice checks and payments of one CR.

    Args:
        desk: the CR.
        invoice_reject: share of 810_02 it rejects with an 824.
    """

    def __init__(self, desk: BillingDesk, invoice_reject: float = 0.0) -> None:
        self.desk = desk
        self.invoice_reject = invoice_reject
        #: (invoice due date, received) -> payment minute
        self._pay_at: dict[tuple[str, int], int] = {}

    def on_810_02(self, m: Message) -> None:
        """Validate the invoice: reject with an 824, or pay it on its due date with an 820_02."""
        f = m.fields
        now = int(self.desk.env.now)
        corrected = bool(f.get("corrected"))  # a corrected invoice fixes what was rejected
        if not corrected and (self.desk.rejects(m) or (self.invoice_reject and self.desk.u("inv", m.ref) < self.invoice_reject)):
            ready = self.desk.answer_time(now, "E7-cr-824", "ERCOT", 2, m.ref, "824", trigger=m.sent_at)
            self.desk.send("824", m.sender, m.esi_id, self.desk.answer_ref(m.ref), m.ref, ready, detail="invoice rejected",
                      cr=self.desk.duns, tdsp=m.sender, reason="INVOICE DATA INVALID", start=f["start"],
                      end=f["end"], kwh=f.get("kwh", 0), usage_ref=f.get("usage_ref", ""),
                      **billed_charges(f))
            return
        key = (f["due"], now)
        due = self._pay_at.get(key)
        if due is None:  # the same for every invoice with this due date received now
            due = self.desk.clock.minute(self.desk.clock.parse(f["due"]), "09:00")
            rules = self.desk.ctx.rules
            deadline = rules.due("E8-cr-820_02", now, "FEDERAL") if rules is not None else None
            if deadline is not None:  # pay on the rule's due day, never after it
                due = min(due, self.desk.clock.minute(self.desk.clock.date(deadline), "09:00"))
            if len(self._pay_at) > 10_000:
                self._pay_at.clear()
            self._pay_at[key] = due
        if due < self.desk.ctx.horizon:
            self.desk.at(due, self._pay, m)

    def pay_opening(self, tdsp: str, esis: list[str], read: str) -> None:
        """Pay last month's invoices of ``esis`` at ``tdsp`` (read on ``read``, invoiced before
        the run: ``[population] opening_invoices``): one 820_02 each, for the invoice the TDSP
        numbered 0 (``T<ESI ID>0000``; its own numbering in the run starts at 1). The amount
        is the invoice's total for a month's usage drawn from the seed and the ESI ID."""
        now = int(self.desk.env.now)
        send = self.desk.ctx.send
        duns, seed = self.desk.duns, self.desk.ctx.seed
        for esi in esis:
            kwh = int(300 + unit(seed, "opening", esi, read) * 1500)
            inv = f"T{esi}0000"
            send(Message("820_02", duns, tdsp, esi, f"P{esi}0000", inv, now,
                         {"cr": duns, "tdsp": tdsp, "amount": invoice_total({"kwh": kwh}), "inv_sent": -1},
                         "", "payment opening"))

    def _pay(self, m: Message) -> None:
        f = m.fields
        amount = invoice_total(f)  # the invoice's TDS01: its charge lines, fees included
        # inv_sent: when the invoice paid was transmitted (its envelope), for the TDSP's E8 check
        self.desk.send("820_02", m.sender, m.esi_id, self.desk.answer_ref(m.ref, "P"), m.ref, int(self.desk.env.now),
                  detail="payment", cr=self.desk.duns, tdsp=m.sender, amount=amount, inv_sent=m.sent_at)

