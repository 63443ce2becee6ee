"""The ``ercot-sim`` command line: a thin typer app over the library.

Each command lives in its own module in this package and exposes ``register(app)``; the
modules are discovered in name order so adding a command never touches this file.
Library errors become a one-line message and exit code 2 at this edge.
"""

from __future__ import annotations

import importlib
import pkgutil

import typer

__all__ = ["app", "main"]

app = typer.Typer(
    name="ercot-sim",
    help="Texas retail electricity market simulator: Texas SET X12 between CRs, TDSPs and ERCOT.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register_commands() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)


_register_commands()


def main() -> None:
    """Entry point of the ``ercot-sim`` console script."""
    app()
