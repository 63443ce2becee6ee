"""``ercot-sim explain``: a transaction file or an implementation guide in plain market language.

``ercot-sim explain 814_01`` prints the guide as a readable table (segments, elements, usage,
codes, what is confirmed and what is assumed); ``ercot-sim explain FILE`` walks every
transaction set of an X12 file and says what each segment and element means, with codes
decoded.  The wording comes from :mod:`edi.texas_set.explain`; this module only chooses
between the two and turns library errors into exit code 2.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

import typer

from edi.errors import EdiError

__all__ = ["register", "run_explain"]


def _text(result: object) -> str:
    if isinstance(result, str):
        return result
    if isinstance(result, Iterable):
        return "\n".join(str(line) for line in result)
    return str(result)


def run_explain(target: str) -> int:
    """Print the explanation of a guide code or an X12 file; returns the exit code."""
    try:
        from edi.texas_set import explain as ex
        from edi.texas_set.guide import guide_codes
    except ImportError as exc:
        print(f"explain: the Texas SET guide explanations are not available ({exc})", file=sys.stderr)
        return 2
    try:
        codes = guide_codes()
        if target in codes:
            print(_text(ex.explain_guide(target)))
            return 0
        path = Path(target)
        if not path.exists():
            known = ", ".join(codes) if codes else "none installed"
            print(f"{target}: not a file and not a guide code (guides: {known})", file=sys.stderr)
            return 2
        if path.is_dir():
            print(f"{target}: is a folder; explain takes one X12 file or one guide code", file=sys.stderr)
            return 2
        from edi.x12 import iter_transactions

        out = []
        for txn in iter_transactions(path, name=str(path)):
            out.append(_text(ex.explain_transaction(txn)))
        if not out:
            print(f"{target}: holds no transaction set (ST..SE)", file=sys.stderr)
            return 2
        print("\n\n".join(out))
        return 0
    except EdiError as exc:
        print(str(exc) if target in str(exc) else f"{target}: {exc}", file=sys.stderr)
        return 2


def register(app: typer.Typer) -> None:
    """Add the ``explain`` command to the app."""

    @app.command("explain")
    def explain_command(
        target: Annotated[str, typer.Argument(help="An X12 file, or a guide code such as 814_01.")],
    ) -> None:
        """Explain an X12 file segment by segment, or print a Texas SET guide as a table."""
        raise typer.Exit(run_explain(target))
