"""X12 delimiters, found in the fixed-width ISA segment.

The ISA is always 106 characters: the element separator is its 4th character, the component
(sub-element) separator is ISA16 (character 105) and the segment terminator is character 106.
Anything between the terminator and the next ``GS`` that is only CR/LF is a *suffix* that
some senders put after every terminator; it is kept so that a file written back is
byte-identical.
"""

from __future__ import annotations

from dataclasses import dataclass

from edi.errors import X12SyntaxError

__all__ = ["Delimiters", "DEFAULT_DELIMITERS", "ISA_LENGTH"]

ISA_LENGTH = 106
_LETTERS_DIGITS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 ")


@dataclass(frozen=True, slots=True)
class Delimiters:
    """The separators of one interchange.

    Attributes:
        element: data element separator (``*`` in the Texas market).
        component: component element separator, ISA16 (``>`` in the Texas market).
        segment: segment terminator (``~``).
        suffix: characters written after every terminator, ``""`` or ``"\\n"`` / ``"\\r\\n"``.
    """

    element: str = "*"
    component: str = ">"
    segment: str = "~"
    suffix: str = ""

    def __post_init__(self) -> None:
        chars = (self.element, self.component, self.segment)
        for c in chars:
            if len(c) != 1:
                raise X12SyntaxError(f"delimiter {c!r} must be exactly one character")
            if c in _LETTERS_DIGITS:
                raise X12SyntaxError(f"delimiter {c!r} cannot be a letter, digit or space")
        if len(set(chars)) != 3:
            raise X12SyntaxError(
                f"element {self.element!r}, component {self.component!r} and segment "
                f"{self.segment!r} separators must all differ"
            )
        if self.suffix.strip("\r\n"):
            raise X12SyntaxError(f"segment suffix {self.suffix!r} may hold only CR and LF")

    @property
    def terminator(self) -> str:
        """The segment terminator with its suffix, as written after every segment."""
        return self.segment + self.suffix

    @classmethod
    def from_isa(cls, text: str, where: str = "") -> Delimiters:
        """Read the delimiters from the start of an interchange (text begins with ``ISA``)."""
        if not text.startswith("ISA"):
            raise X12SyntaxError(
                f"expected an ISA segment at the start, found {text[:3]!r}", where
            )
        if len(text) < ISA_LENGTH:
            raise X12SyntaxError(
                f"ISA segment is truncated: {len(text)} characters, need {ISA_LENGTH}", where
            )
        element = text[3]
        fields = text[:ISA_LENGTH].split(element)
        if len(fields) != 17:
            raise X12SyntaxError(
                f"ISA must have 16 elements of fixed width separated by {element!r}; found "
                f"{len(fields) - 1} (is the ISA 106 characters long?)",
                where,
            )
        component = text[104]
        segment = text[105]
        rest = text[ISA_LENGTH : ISA_LENGTH + 2]
        suffix = ""
        if rest.startswith("\r\n"):
            suffix = "\r\n"
        elif rest[:1] in ("\n", "\r"):
            suffix = rest[:1]
        try:
            return cls(element=element, component=component, segment=segment, suffix=suffix)
        except X12SyntaxError as exc:
            raise X12SyntaxError(exc.reason, where) from None


DEFAULT_DELIMITERS = Delimiters()
