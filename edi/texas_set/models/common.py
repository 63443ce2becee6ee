"""Parts shared by every Texas SET business model: the base class, parties, customers.

Every model is a frozen pydantic v2 model that forbids unknown fields and carries its
transaction ``code`` (``"814_01"``, ``"867_03"`` ... ``"997"``).  Models hold business data
only; which segment and element each field travels in is the business of
:mod:`edi.texas_set.mapping`, the one place that knows both.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator

from edi.texas_set.market import ERCOT_DUNS
from edi.texas_set.types import TEXT_PATTERN, Duns

__all__ = ["TxModel", "Part", "Party", "Customer", "Phone", "ERCOT_DUNS"]


Phone = Annotated[str, StringConstraints(pattern=r"^[0-9]{10,15}$")]


class Part(BaseModel):
    """Base of the nested parts of a transaction (parties, charges, readings)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class TxModel(Part):
    """Base of every transaction model.

    Attributes:
        code: the Texas SET transaction code, e.g. ``814_01``.
    """

    code: str

    #: every code this model class carries
    CODES: ClassVar[tuple[str, ...]] = ()

    #: per code, the fields the implementation guide makes mandatory beyond the model's own
    #: required fields (a dotted name reaches into a part: ``customer.city``)
    REQUIRED: ClassVar[dict[str, tuple[str, ...]]] = {}

    #: whether parties may carry N106 (entity relationship); only the 867 guides have it
    N106: ClassVar[bool] = False

    @classmethod
    def code_defaults(cls, code: str) -> dict[str, Any]:
        """Field defaults that depend on the code (the mapping's fast path uses them too)."""
        return {}

    @model_validator(mode="before")
    @classmethod
    def _apply_code_defaults(cls, data: Any) -> Any:
        if isinstance(data, dict) and "code" in data:
            defaults = cls.code_defaults(data["code"])
            # None means "not given" for these fields: the code decides their value
            missing = {k: v for k, v in defaults.items() if data.get(k) is None}
            if missing:
                data = {**data, **missing}
        return data

    @model_validator(mode="after")
    def _guide_required(self) -> TxModel:
        for name in self.REQUIRED.get(self.code, ()):
            value: Any = self
            for part in name.split("."):
                value = getattr(value, part, None) if value is not None else None
            if value is None or value == ():
                raise ValueError(f"{self.code} requires {name} (mandatory in its implementation guide)")
        if not self.N106:
            for name in type(self).model_fields:
                value = getattr(self, name)
                if isinstance(value, Party) and value.relationship is not None:
                    raise ValueError(f"{name}.relationship (N106) is carried on 867 transactions only")
        return self

    @property
    def st01(self) -> str:
        """The X12 transaction set identifier (``814`` for ``814_01``)."""
        return self.code[:3]

    def _check_texts(self, *pairs: tuple[str, str]) -> None:
        """Each free text (``reject_text`` ...) needs the code it explains (``reject_code``)."""
        for text, code in pairs:
            if getattr(self, text) is not None and getattr(self, code) is None:
                raise ValueError(f"{text} needs a {code}")

    def _check_line_ref(self) -> None:
        """LIN01 is the line reference: ``ref`` itself when it fits, else ``line_ref``."""
        if getattr(self, "line_ref") == getattr(self, "ref"):  # noqa: B009 - fields of subclasses
            object.__setattr__(self, "line_ref", None)
        if getattr(self, "line_ref") is None and len(getattr(self, "ref")) > 20:  # noqa: B009
            raise ValueError("LIN01 holds at most 20 characters: give a line_ref when ref is longer")


class Party(Part):
    """A market participant named in an ``N1`` segment.

    Attributes:
        name: N102, the participant's name.
        duns: N104, DUNS or DUNS+4.
        id_qualifier: N103, ``1`` (DUNS) or ``9`` (DUNS+4); the market uses ``1`` for both
            in most samples [C: samples show both].
        relationship: N106, ``41`` submitter or ``40`` receiver (on ERCOT-forwarded 867s) [C].
    """

    name: Annotated[str, StringConstraints(min_length=1, max_length=60, pattern=TEXT_PATTERN)]
    duns: Duns
    id_qualifier: Literal["1", "9"] = "1"
    relationship: Literal["40", "41"] | None = None


class Customer(Part):
    """The end-use customer (``N1*8R`` with ``N3``, ``N4`` and ``PER``).

    Attributes:
        name: N102.
        address1: N301 street address.
        address2: N302 second address line.
        city: N401.
        state: N402, two letters.
        zip: N403 postal code (5 or 9 digits).
        contact: PER02 contact name (at most 60 characters, as PER02 holds).
        phone: PER04 telephone number (PER03 ``TE``), digits only.
    """

    name: Annotated[str, StringConstraints(min_length=1, max_length=60, pattern=TEXT_PATTERN)]
    address1: Annotated[str, StringConstraints(min_length=1, max_length=55, pattern=TEXT_PATTERN)] | None = None
    address2: Annotated[str, StringConstraints(min_length=1, max_length=55, pattern=TEXT_PATTERN)] | None = None
    city: Annotated[str, StringConstraints(min_length=2, max_length=30, pattern=TEXT_PATTERN)] | None = None
    state: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] | None = None
    zip: Annotated[str, StringConstraints(pattern=r"^([0-9]{5}|[0-9]{9})$")] | None = None
    contact: Annotated[str, StringConstraints(min_length=1, max_length=60, pattern=TEXT_PATTERN)] | None = None
    phone: Phone | None = None

    @model_validator(mode="after")
    def _groups(self) -> Customer:
        if self.address2 is not None and self.address1 is None:
            raise ValueError("address2 (N302) needs address1 (N301)")
        n4 = (self.city, self.state, self.zip)
        if any(v is not None for v in n4) and any(v is None for v in n4):
            raise ValueError("city, state and zip (N401-N403) go together")
        if self.contact is not None and self.phone is None:
            raise ValueError("contact (PER02) needs a phone (PER04)")
        return self
