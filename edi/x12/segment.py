"""A segment that knows where it came from.

A :class:`Segment` holds its elements as strings exactly as they appeared (``elements[0]`` is
the segment ID, so ``elements[n]`` is the nth data element, as X12 numbers them), the
1-based segment number counted as X12 counts them (ISA is segment 1 of the file) and the
byte offset of its first character in the file.
"""

from __future__ import annotations

__all__ = ["Segment"]


class Segment:
    """One X12 segment with its position in the file.

    Args:
        elements: segment ID followed by its data elements, as strings.
        number: 1-based position in the file (ISA = 1), 0 when built in memory.
        offset: byte offset of the segment ID in the file.
    """

    __slots__ = ("elements", "number", "offset")

    def __init__(self, elements: list[str], number: int = 0, offset: int = 0) -> None:
        self.elements = elements
        self.number = number
        self.offset = offset

    @property
    def id(self) -> str:
        """The segment ID (``BGN``, ``DTM`` ...)."""
        return self.elements[0]

    @property
    def qualifier(self) -> str:
        """The first data element, which qualifies most Texas SET segments (``DTM*150``)."""
        return self.elements[1] if len(self.elements) > 1 else ""

    def get(self, pos: int) -> str:
        """Data element ``pos`` (1-based), or ``""`` when the segment stops before it."""
        els = self.elements
        return els[pos] if pos < len(els) else ""

    def __len__(self) -> int:
        return len(self.elements) - 1

    def label(self) -> str:
        """``DTM*150`` style label used in messages: ID plus qualifier when there is one."""
        q = self.qualifier
        return f"{self.id}*{q}" if q and len(q) <= 3 and self.id not in _NO_QUALIFIER else self.id

    def to_x12(self, element: str = "*") -> str:
        """The segment as text, without terminator."""
        return element.join(self.elements)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Segment):
            return self.elements == other.elements
        if isinstance(other, list):
            return self.elements == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Segment({'*'.join(self.elements)!r}, number={self.number})"


# Segments whose first element is data rather than a qualifier.
_NO_QUALIFIER = frozenset({"ISA", "GS", "ST", "SE", "GE", "IEA", "BIG", "TDS", "CTT", "IT1"})
