"""``ercot_sim``: the Texas retail electricity market as SimPy processes exchanging Texas SET X12."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
