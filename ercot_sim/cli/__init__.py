"""The ``ercot-sim`` command line: a thin typer app over the library.

Each command lives in its own module in this package and exposes ``register(app)``; the
modules are discovered in name order so adding a command never touches this file.
Library errors become a one-line message and exit code 2 at this edge, and so does an
``OSError`` (a path that cannot be used: a file where a folder belongs, no permission ...,
named with its reason). Anything else is a bug: :func:`main` prints one line naming the
command and asking for a report, exit code 3; ``--debug`` (before the command) shows the
traceback instead. ``--version`` prints the version.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from importlib import metadata
from typing import Annotated

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


#: set by ``--debug``: let an unexpected exception show its traceback
_DEBUG = False


def _version(value: bool) -> None:
    if value:
        try:
            version = metadata.version("ercot-sim")
        except metadata.PackageNotFoundError:  # run from a source tree that is not installed
            version = "unknown (not installed)"
        print(f"ercot-sim {version}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", is_eager=True, callback=_version,
                                          help="Print the version and exit.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show the traceback of an unexpected error "
                                        "(a bug) instead of a one-line message.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="Show no progress on stderr while long steps "
                                        "run (it is shown only on a terminal anyway).")] = False,
) -> None:
    """Texas retail electricity market simulator: Texas SET X12 between CRs, TDSPs and ERCOT."""
    global _DEBUG
    _DEBUG = debug
    from ercot_sim.cli._progress import QUIET

    QUIET["on"] = quiet


_register_commands()


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``ercot-sim`` console script.

    Exit codes: those of the command (0, 1 findings, 2 unusable input), 3 for an unexpected
    error (a bug: one line on stderr, the traceback with ``--debug``), 130 when interrupted.
    """
    args = sys.argv[1:] if argv is None else argv
    try:
        app(args=args, prog_name="ercot-sim")
    except KeyboardInterrupt:
        print("ercot-sim: interrupted", file=sys.stderr)
        sys.exit(130)
    except OSError as exc:  # a path that cannot be used: the input's problem, not a bug
        if _DEBUG:
            raise
        command = next((a for a in args if not a.startswith("-")), "")
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"ercot-sim {command}: {where}{exc.strerror or exc}".replace("ercot-sim : ", "ercot-sim: "),
              file=sys.stderr)
        sys.exit(2)
    except Exception as exc:  # noqa: BLE001 - the one place that turns a bug into a message
        if _DEBUG:
            raise
        command = next((a for a in args if not a.startswith("-")), "")
        text = str(exc).splitlines()[0][:300] if str(exc) else ""
        print(f"ercot-sim {command}: internal error ({type(exc).__name__}{': ' + text if text else ''}); "
              "this is a bug: please report it with the command line and its input "
              "(ercot-sim --debug ... shows the traceback)".replace("ercot-sim : ", "ercot-sim: "), file=sys.stderr)
        sys.exit(3)
