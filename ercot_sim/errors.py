"""Exceptions raised by ``ercot_sim``.

Hierarchy::

    SimError                root of everything ercot_sim raises on bad input
    ├── ScenarioError       a scenario file is wrong (names file, line and field)
    ├── RulesError          a timing rules file is wrong (names file, line and field)
    ├── CalendarError       a calendar data file is wrong, or a date is out of its range
    └── CounterpartyError   a counterparty (EDM) configuration or store cannot be used

All arguments are passed positionally to ``Exception.__init__`` so they survive SimPy's
re-raise of a failed process (``type(exc)(*exc.args)``).
"""

from __future__ import annotations

__all__ = ["SimError", "ScenarioError", "RulesError", "CalendarError", "CounterpartyError"]


class SimError(Exception):
    """Root of every exception ``ercot_sim`` raises because of its input."""

    def __init__(self, reason: str, location: str = "") -> None:
        super().__init__(reason, location)
        self.reason = reason
        self.location = location

    def __str__(self) -> str:
        return f"{self.location}: {self.reason}" if self.location else self.reason


class ScenarioError(SimError):
    """A scenario file cannot be used."""


class RulesError(SimError):
    """A timing rules file cannot be used."""


class CalendarError(SimError):
    """Calendar data is wrong or a date falls outside it."""


class CounterpartyError(SimError):
    """A counterparty configuration, store or exchange cannot be used."""
