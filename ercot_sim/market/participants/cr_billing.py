"""A CR's invoices: each 810_02 is checked and rejected with an 824 (its total is not the sum of
its lines; a scenario fault; or the scenario's rate of rejects) or paid with an 820_02 on its
due day (never after rule E8's); last month's invoices open at the start are paid on their due
days too.

An invoice that bills the same ESI ID, period and charges as one this CR rejected is the
TDSP's corrected invoice: the CR knows it from its own record of what it rejected, and pays it.

A collaborator of :class:`~ercot_sim.market.participants.cr.Cr` that reaches it through
:class:`BillingDesk`.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from edi.texas_set.payloads import (
    Advice,
    Charge,
    Party,
    Payload810,
    Payload820,
    Payload824,
    Reason,
    RemittanceItem,
)
from ercot_sim.market.messages import Message, as810
from ercot_sim.market.participants.base import ParticipantDesk
from ercot_sim.market.tariff import delivery_charges
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
        self._pay_at: dict[tuple[dt.date, int], int] = {}
        #: what the invoices it rejected billed: (ESI ID, period start, period end, charges)
        self.rejected: set[tuple[str, dt.date, dt.date, tuple[Charge, ...]]] = set()

    def on_810_02(self, m: Message) -> None:
        """Validate the invoice: reject with an 824, or pay it on its due date with an 820_02."""
        p = as810(m)
        now = int(self.desk.env.now)
        billed = (m.esi_id, p.period_start, p.period_end, p.charges)
        corrected = bool(self.rejected) and billed in self.rejected  # fixes what it rejected
        if corrected:
            self.rejected.discard(billed)
        elif (wrong := _wrong_total(p)) or self.desk.rejects(m) or (
                self.invoice_reject and self.desk.u("inv", m.ref) < self.invoice_reject):
            self.rejected.add(billed)
            ready = self.desk.answer_time(now, "E7-cr-824", "ERCOT", 2, m.ref, "824", trigger=m.sent_at)
            reason = (Reason("012", "TOTAL IS NOT THE SUM OF THE CHARGES") if wrong
                      else Reason("848", "INVOICE DATA INVALID"))
            advice = Advice(orig_ref=m.ref, esi_id=m.esi_id, reasons=(reason,))
            self.desk.send("824", m.sender, m.esi_id, self.desk.answer_ref(m.ref), m.ref, ready,
                           Payload824(cr=self.desk.party(self.desk.duns), tdsp=self.desk.party(m.sender),
                                      advices=(advice,)), detail="invoice rejected")
            return
        key = (p.due_date, now)
        due = self._pay_at.get(key)
        if due is None:  # the same for every invoice with this due date received now
            due = self.desk.clock.minute(p.due_date, "09:00")
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
        payer, payee = self.desk.party(duns), self.desk.party(tdsp)
        assert payer is not None and payee is not None
        for esi in esis:
            kwh = int(300 + unit(seed, "opening", esi, read) * 1500)
            inv = f"T{esi}0000"
            amount = sum(c.amount for c in delivery_charges(kwh))
            send(Message("820_02", duns, tdsp, esi, f"P{esi}0000", inv, now,
                         _remittance(payer, payee, inv, amount, esi), "", "payment opening"))

    def _pay(self, m: Message) -> None:
        p = as810(m)
        # the invoice's TDS01: its charge lines, fees included
        amount = p.total if p.total is not None else sum(c.amount for c in p.charges)
        payer, payee = self.desk.party(self.desk.duns), self.desk.party(m.sender)
        assert payer is not None and payee is not None
        self.desk.send("820_02", m.sender, m.esi_id, self.desk.answer_ref(m.ref, "P"), m.ref, int(self.desk.env.now),
                       _remittance(payer, payee, m.ref, amount, m.esi_id), detail="payment")


def _wrong_total(p: Payload810) -> bool:
    """Whether the invoice's total (TDS01) is not the sum of its lines: the CR's own check."""
    return p.total is not None and p.total != p.lines_total


def _remittance(payer: Party, payee: Party, invoice: str, amount: int, esi: str) -> Payload820:
    """An 820_02 paying ``invoice`` in full (``amount`` cents)."""
    return Payload820(amount=amount, payment_format="CCP", payer=payer, payee=payee,
                      items=(RemittanceItem(invoice, amount, amount, esi),))

