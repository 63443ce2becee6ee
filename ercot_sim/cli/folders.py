"""``ercot-sim folders``: folder-drop exchange with a trading partner.

``ercot-sim folders ack ROOT --partner DUNS``: pick up what the partner dropped in
``ROOT/<DUNS>/inbox/``, validate each file, answer it with its 997 (and TA1) in
``ROOT/<DUNS>/outbox/``, and file it in ``processed/`` (or ``rejected/`` with the reason, when
it is not X12 at all); with ``--watch SECONDS`` it keeps doing so until interrupted.

Exit codes: 0 every file clean, 1 a file rejected or with errors, 2 unusable input.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from ercot_sim.errors import SimError

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the ``folders`` commands."""
    folders = typer.Typer(help="Folder-drop exchange with a trading partner.", no_args_is_help=True)
    app.add_typer(folders, name="folders")

    @folders.command("ack")
    def ack_command(
        root: Annotated[Path, typer.Argument(help="The folder holding a folder per partner.")],
        partner: Annotated[str, typer.Option("--partner", help="The partner's DUNS (its folder under ROOT).")],
        guide: Annotated[bool, typer.Option("--guide", help="Acknowledge the Texas SET guides' findings too "
                                                            "(default: the X12 standard's).")] = False,
        watch: Annotated[float, typer.Option("--watch", help="Keep picking up every SECONDS until interrupted "
                                                             "(0: once).", metavar="SECONDS")] = 0,
    ) -> None:
        """Validate and acknowledge a partner's dropped files, then file them."""
        from ercot_sim.counterparty.folders import FolderExchange, acknowledge

        if not partner.isdigit() or len(partner) not in (9, 13):
            typer.echo(f"ercot-sim folders ack: --partner {partner!r}: a DUNS is 9 or 13 digits", err=True)
            raise typer.Exit(2)
        exchange = FolderExchange(root)
        bad = False
        try:
            while True:
                for r in acknowledge(exchange, partner, guide=guide):
                    bad = bad or r.state != "processed" or r.errors > 0
                    what = (f"processed, {r.errors} error(s)" + (f", answered with {r.detail}" if r.detail else "")
                            if r.state == "processed" else f"REJECTED: {r.detail}")
                    typer.echo(f"{r.file}: {what}")
                if not watch:
                    break
                time.sleep(watch)
        except SimError as exc:
            typer.echo(f"ercot-sim folders ack: {exc}", err=True)
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            pass
        if bad:
            raise typer.Exit(1)
