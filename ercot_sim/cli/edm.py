"""``ercot-sim edm``: NAESB EDM 1.6 endpoints: receive a partner's posts, post files to one.

* ``ercot-sim edm serve DIR --config edm.toml``: an EDM receiver; each file accepted lands in
  ``DIR/inbox/<sender>/`` exactly once, every post gets its synchronous receipt;
* ``ercot-sim edm send FILE... --config edm.toml --dir DIR --to DUNS``: post files to a partner
  (three attempts, then an exchange failure, recorded);
* ``ercot-sim edm resend ID --config edm.toml --dir DIR``: post a failed exchange again;
* ``ercot-sim edm status DIR``: what came in, what went out, what failed.

Exit codes: 0 done, 1 a post refused or an exchange failure, 2 unusable input.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ercot_sim.errors import SimError

__all__ = ["register"]

ConfigOpt = Annotated[Path, typer.Option("--config", help="The endpoint's EDM configuration (TOML).")]
DirOpt = Annotated[Path, typer.Option("--dir", help="The endpoint's folder (edm.sqlite, inbox/, rejected/).")]


def _fail(command: str, exc: SimError) -> typer.Exit:
    typer.echo(f"ercot-sim edm {command}: {exc}", err=True)
    return typer.Exit(2)


def _show(out: object) -> None:
    from ercot_sim.counterparty.store import Outbound

    assert isinstance(out, Outbound)
    result = f"receipted, trans-id {out.trans_id}" if out.state == "receipted" else (
        f"EXCHANGE FAILURE after {out.attempts} attempt(s): {out.last_error}" if out.last_error and "EEDM" not in
        out.last_error else f"REFUSED: {out.last_error}")
    typer.echo(f"#{out.id} {out.path.name} -> {out.receiver}: {result}")


def register(app: typer.Typer) -> None:
    """Add the ``edm`` commands."""
    edm = typer.Typer(help="NAESB EDM 1.6: receive a partner's posts, post files to one.", no_args_is_help=True)
    app.add_typer(edm, name="edm")

    @edm.command("serve")
    def serve_command(
        folder: Annotated[Path, typer.Argument(help="The endpoint's folder; made when missing.")],
        config: ConfigOpt,
        host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option("--port", help="Port to listen on (0: any free port, printed).")] = 8700,
        path: Annotated[str, typer.Option("--path", help="URL path posts go to.")] = "/edm",
        cert: Annotated[Path | None, typer.Option("--cert", help="TLS certificate (PEM): serve HTTPS.")] = None,
        key: Annotated[Path | None, typer.Option("--key", help="TLS private key (PEM) of --cert.")] = None,
    ) -> None:
        """Receive EDM posts until interrupted: a receipt for each, each file kept once."""
        from ercot_sim.counterparty.config import load_config
        from ercot_sim.counterparty.server import run_server

        try:
            cfg = load_config(config)
            run_server(folder, cfg, host, port, path, cert, key)
        except SimError as exc:
            raise _fail("serve", exc) from None

    @edm.command("send")
    def send_command(
        files: Annotated[list[Path], typer.Argument(help="Files to post, in order.")],
        config: ConfigOpt,
        folder: DirOpt,
        to: Annotated[str, typer.Option("--to", help="The partner's DUNS (its [[partner]] url is posted to).")],
    ) -> None:
        """Post files to a trading partner: three attempts each, then an exchange failure."""
        from ercot_sim.counterparty.client import send
        from ercot_sim.counterparty.config import load_config
        from ercot_sim.counterparty.store import EdmStore

        missing = [str(f) for f in files if not f.is_file()]
        if missing:  # nothing is posted unless every file can be
            typer.echo(f"ercot-sim edm send: no such file: {', '.join(missing)}", err=True)
            raise typer.Exit(2)
        try:
            cfg = load_config(config)
            store = EdmStore(folder, cfg.edm.server_id)
            results = [send(store, cfg, f, to) for f in files]
        except SimError as exc:
            raise _fail("send", exc) from None
        for out in results:
            _show(out)
        if any(o.state != "receipted" for o in results):
            raise typer.Exit(1)

    @edm.command("resend")
    def resend_command(
        post_id: Annotated[int, typer.Argument(help="The post's number (ercot-sim edm status).")],
        config: ConfigOpt,
        folder: DirOpt,
    ) -> None:
        """Post a failed exchange again."""
        from ercot_sim.counterparty.client import resend
        from ercot_sim.counterparty.config import load_config
        from ercot_sim.counterparty.store import EdmStore

        try:
            cfg = load_config(config)
            out = resend(EdmStore(folder, cfg.edm.server_id), cfg, post_id)
        except SimError as exc:
            raise _fail("resend", exc) from None
        _show(out)
        if out.state != "receipted":
            raise typer.Exit(1)

    @edm.command("keygen")
    def keygen_command(
        name: Annotated[str, typer.Argument(help="Whose key (a user id such as 'ACME ENERGY <edi@acme.example>').")],
        out: Annotated[Path, typer.Option("--out", help="Where to write NAME.secret.asc and NAME.public.asc "
                                                        "(the file names use the part before any '<').")],
    ) -> None:
        """Make an OpenPGP key pair for sealing input-data (give the public one to the partner)."""
        import os
        import re

        from ercot_sim.counterparty.pgp import generate_key

        stem = re.sub(r"[^A-Za-z0-9._-]+", "-", name.split("<")[0].strip()).strip("-") or "edm"
        secret_path, public_path = out / f"{stem}.secret.asc", out / f"{stem}.public.asc"
        for path in (secret_path, public_path):
            if path.exists():
                typer.echo(f"ercot-sim edm keygen: {path}: exists; not replaced", err=True)
                raise typer.Exit(2)
        secret, public = generate_key(name)
        out.mkdir(parents=True, exist_ok=True)
        fd = os.open(secret_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # the secret key: owner only
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secret)
        public_path.write_text(public, encoding="ascii")
        typer.echo(f"secret key {secret_path} (pgp_secret_key under [edm]); public key {public_path} (give it to "
                   "the partner: its pgp_public_key)")

    @edm.command("status")
    def status_command(
        folder: Annotated[Path, typer.Argument(help="The endpoint's folder.")],
        as_json: Annotated[bool, typer.Option("--json", help="JSON instead of text.")] = False,
    ) -> None:
        """What an endpoint received and sent, and its exchange failures."""
        from ercot_sim.counterparty.store import EdmStore

        if not (folder / "edm.sqlite").is_file():
            typer.echo(f"ercot-sim edm status: {folder}: not an EDM folder (no edm.sqlite)", err=True)
            raise typer.Exit(2)
        try:
            store = EdmStore(folder)
        except SimError as exc:
            raise _fail("status", exc) from None
        inbound, outbound = store.inbound(), store.outbounds()
        refused = [e for e in store.events() if e[3] == "refused"]
        failures = [o for o in outbound if o.state == "failed"]
        if as_json:
            typer.echo(json.dumps({
                "inbound": [{"trans_id": i.trans_id, "from": i.sender, "time_c": i.time_c, "bytes": i.size,
                             "posts": i.posts} for i in inbound],
                "refused": [{"at": e[1], "from": e[4], "why": e[5]} for e in refused],
                "outbound": [{"id": o.id, "file": str(o.path), "to": o.receiver, "state": o.state,
                              "attempts": o.attempts, "trans_id": o.trans_id, "error": o.last_error}
                             for o in outbound]}, indent=1, sort_keys=True))
            return
        typer.echo(f"received: {len(inbound)} file(s) accepted, {len(refused)} post(s) refused")
        for i in inbound:
            again = f", posted {i.posts} times" if i.posts > 1 else ""
            typer.echo(f"  {i.trans_id} from {i.sender} at {i.time_c}: {i.size} bytes{again}")
        for e in refused:
            typer.echo(f"  refused from {e[4] or '?'} at {e[1]}: {e[5]}")
        typer.echo(f"sent: {len(outbound)} post(s), {len(failures)} exchange failure(s) or refusal(s)")
        for o in outbound:
            typer.echo(f"  #{o.id} {o.path.name} -> {o.receiver}: {o.state} after {o.attempts} attempt(s)"
                       + (f", trans-id {o.trans_id}" if o.trans_id else f": {o.last_error}"))
