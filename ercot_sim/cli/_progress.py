"""What the command line shows while a long step works: a spinner, the step and the time.

Shown on stderr, only when stderr is a terminal (never in pipes, files or tests) and not with
the global ``--quiet``; results stay on stdout, so scripts read the same output either way.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

__all__ = ["QUIET", "working", "working_steps"]

#: set by the global ``--quiet``
QUIET = {"on": False}


@contextmanager
def working(what: str) -> Iterator[None]:
    """Show ``what`` with a spinner and the elapsed time while the block runs."""
    err = Console(stderr=True)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err,
                  transient=True, disable=QUIET["on"] or not err.is_terminal) as bar:
        bar.add_task(what, total=None)
        yield


@contextmanager
def working_steps(first: str) -> Iterator[Callable[[str], None]]:
    """:func:`working` for a command of several steps: the block gets a callable that
    replaces the step shown (the elapsed time runs on). What the block prints to stdout goes
    above the spinner when stdout is the same terminal, and straight to stdout otherwise (a
    pipe or file gets exactly the command's output)."""
    err = Console(stderr=True)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err,
                  transient=True, disable=QUIET["on"] or not err.is_terminal,
                  redirect_stdout=sys.stdout.isatty(), redirect_stderr=False) as bar:
        task = bar.add_task(first, total=None)
        yield lambda text: bar.update(task, description=text)
