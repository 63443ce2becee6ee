"""``ercot-sim serve``: the market against a party that runs elsewhere, in lockstep over folders.

``ercot-sim serve SCENARIO --under-test DUNS --exchange DIR --out OUT`` plays ERCOT, the TDSPs
and the other CRs; the party's files go to ``DIR/<DUNS>/outbox/`` and its files come from
``DIR/<DUNS>/inbox/``, window by window (:mod:`ercot_sim.counterparty.serve`). ``--as DUNS``
runs the other side: the project's own logic for that party, as a system under test would.

Exit codes: 0 done, 2 unusable input or the other side did not answer a window in time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ercot_sim.errors import SimError

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command."""

    @app.command("serve")
    def serve_command(
        scenario: Annotated[Path, typer.Argument(help="Scenario TOML file.")],
        exchange: Annotated[Path, typer.Option("--exchange", help=(
            "folders: the folder the two sides share (DIR/<DUNS>/inbox, outbox, processed); "
            "edm: this side's receiver's folder."))],
        out: Annotated[Path, typer.Option("--out", help="This side's output folder (outbox/, trace.sqlite).")],
        under_test: Annotated[str | None, typer.Option("--under-test", help="Play the market against the party "
                                                                            "with this DUNS (or ROLE:DUNS, e.g. "
                                                                            "CR:223456789).")] = None,
        as_party: Annotated[str | None, typer.Option("--as", help="Play the party with this DUNS or ROLE:DUNS "
                                                                  "(the project's own logic).")] = None,
        timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for the other side's "
                                                              "window.")] = 120,
        rules: Annotated[Path | None, typer.Option("--rules", help="Timing rules file.")] = None,
        transport: Annotated[str, typer.Option("--transport", help="How the sides exchange: folders (the "
                                                                   "exchange folder) or edm (NAESB EDM 1.6 "
                                                                   "posts).")] = "folders",
        listen: Annotated[int, typer.Option("--listen", help="edm: the port this side's receiver listens "
                                                             "on (0: any free port, printed).")] = 0,
        host: Annotated[str, typer.Option("--host", help="edm: the address this side's receiver listens "
                                                         "on.")] = "127.0.0.1",
        peer: Annotated[str, typer.Option("--peer", help="edm: the other side's receiver URL.")] = "",
        secret: Annotated[str, typer.Option("--secret", help="edm: the password of every DUNS's login (the "
                                                             "DUNS), the same on both sides.")] = "lockstep",
        speed: Annotated[float, typer.Option("--speed", help="--under-test: run on the wall clock at this many "
                                                             "simulated minutes per second, for a party that "
                                                             "keeps no window protocol (0: lockstep).")] = 0,
        wall: Annotated[bool, typer.Option("--wall", help="--under-test: run at the wall clock's own pace (a "
                                                          "simulated minute a minute; --speed 0.016667).")] = False,
        step: Annotated[bool, typer.Option("--step", help="--under-test: run no window past what `ercot-sim "
                                                          "advance OUT` released (a trainer's pause); with "
                                                          "--speed or --wall, at that pace.")] = False,
        retry_seconds: Annotated[str, typer.Option("--retry-seconds", help="edm, live: wall seconds before the "
                                                                           "2nd and 3rd attempt of a post "
                                                                           "(then: an exchange failure).")
                                 ] = "60,300",
        cert: Annotated[Path | None, typer.Option("--cert", help="edm: serve HTTPS with this certificate "
                                                                 "(PEM).")] = None,
        key: Annotated[Path | None, typer.Option("--key", help="edm: the private key (PEM) of --cert.")] = None,
        ca_file: Annotated[Path | None, typer.Option("--ca-file", help="edm: the certificate (PEM) that vouches "
                                                                       "for the other side's HTTPS receiver.")
                           ] = None,
        pgp_key: Annotated[Path | None, typer.Option("--pgp-key", help="edm: this side's OpenPGP secret key: "
                                                                       "input-data is sealed both ways (with "
                                                                       "--peer-pgp-key).")] = None,
        peer_pgp_key: Annotated[Path | None, typer.Option("--peer-pgp-key", help="edm: the other side's OpenPGP "
                                                                                 "public key.")] = None,
        status_port: Annotated[int | None, typer.Option("--status-port", help="Serve the operator's view "
                                                                              "(`ercot-sim status`) as HTML at / "
                                                                              "and JSON at /status.json on this "
                                                                              "port of --host (0: any free "
                                                                              "port, printed).")] = None,
    ) -> None:
        """Play the market against a party in another process (or play the party), window by window."""
        from ercot_sim.counterparty.serve import serve_side
        from ercot_sim.scenario import load_scenario

        if (under_test is None) == (as_party is None):
            typer.echo("ercot-sim serve: give exactly one of --under-test DUNS (play the market) and --as DUNS "
                       "(play the party)", err=True)
            raise typer.Exit(2)
        party = under_test or as_party or ""
        side = "market" if under_test else "party"
        try:
            first, second = (float(v) for v in retry_seconds.split(","))
            if min(first, second) < 0:
                raise ValueError
        except ValueError:
            typer.echo(f"ercot-sim serve: --retry-seconds {retry_seconds!r}: two numbers of seconds, e.g. 60,300",
                       err=True)
            raise typer.Exit(2) from None
        if not secret:
            typer.echo("ercot-sim serve: --secret: an empty password", err=True)
            raise typer.Exit(2)
        if wall:
            speed = 1 / 60
        if (pgp_key is None) != (peer_pgp_key is None):
            typer.echo("ercot-sim serve: sealing needs both keys: --pgp-key (ours) and --peer-pgp-key (theirs)",
                       err=True)
            raise typer.Exit(2)
        from ercot_sim.counterparty.config import EdmSecurity

        security = EdmSecurity(cert, key, ca_file, pgp_key, peer_pgp_key)
        pages = None
        if status_port is not None:
            from ercot_sim.counterparty.status import StatusServer

            try:
                pages = StatusServer(out, host, status_port, rules)
            except SimError as exc:
                typer.echo(f"ercot-sim serve: {exc}", err=True)
                raise typer.Exit(2) from None
            typer.echo(f"status on {pages.url}")
        try:
            market, link = serve_side(load_scenario(scenario), out, exchange, party, side, rules, timeout,
                                      transport, listen, peer, secret, host,
                                      lambda url: typer.echo(f"receiving on {url}"), speed, step,
                                      (first, second), security)
        except SimError as exc:
            typer.echo(f"ercot-sim serve: {exc}", err=True)
            raise typer.Exit(2) from None
        finally:
            if pages is not None:
                pages.stop()
        counts = market.transport.counts
        typer.echo(f"{side} side of {party}: {link.windows} windows exchanged, {sum(counts.values())} transactions "
                   f"written, files in {out / 'outbox'}")
