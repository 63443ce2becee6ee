"""Transactions named in market language for the people who work the queues: the guide's name
of each Texas SET code (``814_05`` -> "Enrollment response to CR" or as its guide calls it)."""

from __future__ import annotations

import functools

__all__ = ["meaning"]


@functools.cache
def meaning(code: str) -> str:
    """The guide's name of transaction ``code``; '' when there is no guide for it."""
    from edi.errors import GuideError
    from edi.texas_set.guide import load_guide

    if code == "997":
        return "Functional acknowledgment"
    try:
        return load_guide(code).name
    except (GuideError, OSError):
        return ""
