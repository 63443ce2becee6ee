"""The simulated premises' customers, as enrollments name them: the one place this market
data lives.

Every enrollment (814_01, 814_03, 814_16, 814_18) carries the customer's name and service
address. The simulator has no customer records, so each premise gets a synthetic one derived
from its ESI ID: the same premise always has the same address, and different premises (by
the last five digits of their ESI IDs) different house numbers.
"""

from __future__ import annotations

from edi.texas_set.payloads import Customer

__all__ = ["CUSTOMER_NAME", "SERVICE_CITY", "SERVICE_STATE", "SERVICE_STREET", "SERVICE_ZIP", "customer_of"]

#: the name on every synthetic enrollment (N1*8R)
CUSTOMER_NAME = "RESIDENT"
#: the street every synthetic premise is on, its city, state and ZIP code (N3/N4)
SERVICE_STREET = "ELM ST"
SERVICE_CITY = "DALLAS"
SERVICE_STATE = "TX"
SERVICE_ZIP = "75201"


def customer_of(esi_id: str) -> Customer:
    """The customer of premise ``esi_id`` as an enrollment's payload carries it."""
    return Customer(name=CUSTOMER_NAME, address1=f"{int(esi_id[-5:]) or 1} {SERVICE_STREET}",
                    city=SERVICE_CITY, state=SERVICE_STATE, zip=SERVICE_ZIP)
