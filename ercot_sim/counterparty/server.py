"""The EDM receiver: an HTTP server (aiohttp) that takes NAESB EDM 1.6 posts from trading
partners, keeps each file exactly once (:class:`~ercot_sim.counterparty.store.EdmStore`) and
answers with the synchronous receipt (:class:`~ercot_sim.counterparty.edm.Receipt`).

* ``POST <path>`` (default ``/edm``): ``multipart/form-data`` with the EDM fields and
  HTTP Basic credentials of a partner. Answers ``200`` with a receipt whose
  ``request-status`` is ``ok`` or the EEDM code of what was wrong (the post is then kept in
  ``rejected/`` with the reason), ``401`` without or with wrong credentials, ``413`` when
  ``input-data`` is over the configured size (the rest is not read). A file posted again
  (same sender, same bytes) is answered with its first receipt, not stored twice.
* ``GET <path>/status``: JSON counts of what came and went.

Nothing a partner posts stops the server: every post gets a receipt or an HTTP error, and a
line in the store's events.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime as dt
import hashlib
import json
import os
import ssl
import sys
import threading
from pathlib import Path
from zoneinfo import ZoneInfo

from aiohttp import BodyPartReader, web
from aiohttp.typedefs import Handler

from ercot_sim.counterparty.config import EdmConfig
from ercot_sim.counterparty.edm import Receipt, check_fields, error
from ercot_sim.counterparty.store import EdmStore
from ercot_sim.errors import CounterpartyError

__all__ = ["ServerThread", "make_app", "market_time", "run_server"]

_MARKET = ZoneInfo("America/Chicago")
_CONFIG = web.AppKey("config", EdmConfig)
_STORE = web.AppKey("store", EdmStore)
#: (our secret key, the partner's public key) of partners whose input-data is sealed (OpenPGP)
_SEALING = web.AppKey("sealing", dict)
#: the longest text field accepted (DUNS, version, refnum ...: a few dozen characters)
_FIELD_LIMIT = 1024


def market_time(now: dt.datetime | None = None) -> str:
    """``yyyymmddhhmmss`` in market (Central) time: a receipt's ``time-c``."""
    return (now or dt.datetime.now(dt.UTC)).astimezone(_MARKET).strftime("%Y%m%d%H%M%S")


def _login(request: web.Request, config: EdmConfig) -> tuple[str, str]:
    """The partner DUNS whose Basic credentials came with the request, or '' and why not."""
    header = request.headers.get("Authorization", "")
    if not header:
        return "", "no credentials"
    kind, _, token = header.partition(" ")
    if kind.lower() != "basic":
        return "", f"{kind} credentials, not Basic"
    try:
        login, _, password = base64.b64decode(token, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return "", "unreadable Basic credentials"
    for partner in config.partner:
        if partner.login == login and partner.password == password:
            return partner.duns, ""
    return "", f"wrong credentials for login {login[:40]!r}"


class _Unauthorized:
    """Posts refused for their credentials, counted in memory and recorded as one event per
    second at most (a flood of them must not become a flood of synced writes)."""

    def __init__(self, store: EdmStore) -> None:
        self.store = store
        self.counts: dict[str, int] = {}
        self.since = 0.0

    def note(self, why: str, peer: str) -> None:
        import time

        key = f"{why} (from {peer})"
        first = not self.counts
        self.counts[key] = self.counts.get(key, 0) + 1
        if time.monotonic() - self.since >= 1.0:
            self.flush()
            self.since = time.monotonic()
        elif first:  # recorded within the second even if no other refusal comes
            asyncio.get_running_loop().call_later(1.0, self.flush)

    def flush(self) -> None:
        for key, n in sorted(self.counts.items()):
            self.store.event("in", "refused", "", f"{n} post(s): {key}")
        self.counts.clear()


_UNAUTHORIZED = web.AppKey("unauthorized", _Unauthorized)


def _answer(receipt: Receipt, status: int = 200) -> web.Response:
    headers = {"WWW-Authenticate": 'Basic realm="EDM"'} if status == 401 else None
    return web.Response(status=status, text=receipt.text(), content_type="text/plain", headers=headers)


async def _post(request: web.Request) -> web.Response:
    config, store = request.app[_CONFIG], request.app[_STORE]
    server_id = config.edm.server_id
    login, why = _login(request, config)
    if not login:
        request.app[_UNAUTHORIZED].note(why, request.remote or "?")
        return _answer(Receipt(error("EEDM701", "HTTP Basic credentials of a trading partner required").status,
                               market_time(), server_id), 401)
    if not request.content_type.startswith("multipart/"):
        store.event("in", "refused", login, f"content type {request.content_type}")
        return _answer(Receipt(error("EEDM109", f"not multipart/form-data: {request.content_type}").status,
                               market_time(), server_id))
    fields: dict[str, str] = {}
    temp: Path | None = None
    size, digest, limit = 0, hashlib.sha256(), int(config.edm.max_mb * 1024 * 1024)
    try:
        reader = await request.multipart()
        while True:
            part = await reader.next()
            if part is None:
                break
            if not isinstance(part, BodyPartReader):
                continue
            name = part.name or ""
            if name == "input-data":
                if temp is not None:  # one file per post: a second one is refused, not mixed in
                    store.reject(temp, fields.get("from", login), "more than one input-data part")
                    return _answer(Receipt(error("EEDM999", "more than one input-data part").status,
                                           market_time(), server_id))
                temp = store.temp_file()
                with open(temp, "wb") as out:
                    while chunk := await part.read_chunk(1 << 16):
                        size += len(chunk)
                        if size > limit:
                            out.close()
                            store.reject(temp, fields.get("from", login), f"input-data over {config.edm.max_mb} MB")
                            return _answer(Receipt(error("EEDM999", f"input-data over {config.edm.max_mb} MB").status,
                                                   market_time(), server_id), 413)
                        digest.update(chunk)
                        out.write(chunk)
                    out.flush()
                    os.fsync(out.fileno())
            else:
                raw = await part.read(decode=True)
                fields[name] = raw[:_FIELD_LIMIT].decode("utf-8", "replace")
    except Exception as exc:  # noqa: BLE001 - whatever a partner posts gets a receipt, not a 500
        why = f"unreadable post: {type(exc).__name__}: {exc}"
        store.reject(temp, login, why)
        return _answer(Receipt(error("EEDM999", why).status, market_time(), server_id))
    time_c = market_time()  # the whole file has arrived (NAESB WGQ 4.3.9)
    problem = check_fields(fields, temp is not None, receiver=config.receivers(), partners=config.partners(),
                           login_duns=login)
    if problem is not None:
        store.reject(temp, fields.get("from", login), problem.status)
        return _answer(Receipt(problem.status, time_c, server_id))
    assert temp is not None  # check_fields refuses a post without input-data
    sender = fields["from"].strip()
    keys = request.app[_SEALING].get(sender)
    if keys is not None:  # sealed input-data: opened (decrypted, signature checked) before anything reads it
        from ercot_sim.counterparty.pgp import open_sealed

        try:
            plain = open_sealed(temp.read_bytes(), *keys)
            if len(plain) > limit:
                raise CounterpartyError(f"opened, over {config.edm.max_mb} MB")
        except Exception as exc:  # noqa: BLE001 - whatever the library raises, the post gets a receipt
            why = str(exc) if isinstance(exc, CounterpartyError) else f"cannot open it: {type(exc).__name__}: {exc}"
            problem = error("EEDM999", f"input-data: {why}")
            store.reject(temp, sender, problem.status)
            return _answer(Receipt(problem.status, time_c, server_id))
        with open(temp, "wb") as out:
            out.write(plain)
            out.flush()
            os.fsync(out.fileno())
        digest, size = hashlib.sha256(plain), len(plain)
    refnum = fields.get("refnum", "").strip() or None
    same, clash = store.find_post(sender, digest.hexdigest(), refnum)
    if same is not None:  # posted again (its receipt was lost): the first receipt, once stored
        temp.unlink()
        with store.transaction():
            store.repost(same.trans_id)
            store.event("in", "resent", sender, same.trans_id)
        return _answer(Receipt("ok", same.time_c, server_id, same.trans_id, same.size))
    if clash:
        problem = error("EEDM121", f"refnum {refnum}")
        store.reject(temp, sender, problem.status)
        return _answer(Receipt(problem.status, time_c, server_id))
    got = store.accept(temp, sender=sender, receiver=fields["to"].strip(), input_format=fields["input-format"].strip(),
                       refnum=refnum, refnum_orig=fields.get("refnum-orig", "").strip() or None, time_c=time_c,
                       sha256=digest.hexdigest(), size=size)
    return _answer(Receipt("ok", time_c, server_id, got.trans_id, size))


async def _status(request: web.Request) -> web.Response:
    config, store = request.app[_CONFIG], request.app[_STORE]
    if not _login(request, config)[0]:  # what came and went is for the trading partners
        return web.Response(status=401, text="credentials of a trading partner required\n",
                            headers={"WWW-Authenticate": 'Basic realm="EDM"'})
    kinds: dict[str, int] = {}
    for _seq, _at, direction, kind, _partner, _detail in store.events():
        kinds[f"{direction} {kind}"] = kinds.get(f"{direction} {kind}", 0) + 1
    body = {"server_id": config.edm.server_id, "duns": config.edm.duns, "inbound": len(store.inbound()),
            "outbound": {o.state: sum(1 for x in store.outbounds() if x.state == o.state) for o in store.outbounds()},
            "events": kinds}
    return web.json_response(body, dumps=lambda v: json.dumps(v, sort_keys=True))


@web.middleware
async def _never_a_bare_500(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A bug in the receiver still answers with a receipt (EEDM999) and a logged event."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception as exc:  # noqa: BLE001 - the one place a failure becomes a receipt
        config, store = request.app[_CONFIG], request.app[_STORE]
        why = f"system error: {type(exc).__name__}: {exc}"
        store.event("in", "error", "", why)
        return _answer(Receipt(error("EEDM999", why).status, market_time(), config.edm.server_id), 500)


def make_app(config: EdmConfig, store: EdmStore, path: str = "/edm") -> web.Application:
    """The receiver's application: ``POST path`` and ``GET path/status``."""
    limit = int(config.edm.max_mb * 1024 * 1024) + (1 << 20)
    app = web.Application(client_max_size=limit, middlewares=[_never_a_bare_500])
    app[_CONFIG] = config
    app[_STORE] = store
    app[_UNAUTHORIZED] = _Unauthorized(store)

    async def _flush(app: web.Application) -> None:
        app[_UNAUTHORIZED].flush()

    app.on_cleanup.append(_flush)
    app[_SEALING] = {p.duns: keys for p in config.partner if (keys := config.sealing(p.duns)) is not None}
    app.router.add_post(path, _post)
    app.router.add_get(f"{path.rstrip('/')}/status", _status)
    return app


class ServerThread:
    """The receiver in a thread of this process (for a market that answers while it runs).

    Args:
        folder: the endpoint's folder.
        config: its configuration.
        host, port: where it listens (``port`` 0: any free port; :attr:`url` says which).
    """

    def __init__(self, folder: Path, config: EdmConfig, host: str = "127.0.0.1", port: int = 0,
                 path: str = "/edm", ssl_cert: Path | None = None, ssl_key: Path | None = None) -> None:
        self.store = EdmStore(folder, config.edm.server_id)
        self.store.recover()
        self.url = ""
        self._ssl = _tls(ssl_cert, ssl_key)
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._serve, args=(config, host, port, path), daemon=True)
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None or not self.url:
            raise CounterpartyError(f"the EDM receiver did not start on {host}:{port}: {self._error}")

    def _serve(self, config: EdmConfig, host: str, port: int, path: str) -> None:
        loop = self._loop
        asyncio.set_event_loop(loop)
        runner = web.AppRunner(make_app(config, self.store, path), access_log=None)
        try:
            loop.run_until_complete(runner.setup())
            site = web.TCPSite(runner, host, port, ssl_context=self._ssl, reuse_address=True)
            loop.run_until_complete(site.start())
            sockets = getattr(site._server, "sockets", None) or []
            scheme = "https" if self._ssl else "http"
            self.url = f"{scheme}://{host}:{sockets[0].getsockname()[1] if sockets else port}{path}"
        except OSError as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())
        loop.close()

    def stop(self) -> None:
        """Stop serving (what was received stays in the store)."""
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self.store.close()


def _tls(cert: Path | None, key: Path | None) -> ssl.SSLContext | None:
    """The TLS context of a receiver serving HTTPS with ``cert`` (and ``key``), or None.

    Raises:
        CounterpartyError: the certificate or key cannot be loaded (names the file).
    """
    if cert is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise CounterpartyError(f"cannot serve HTTPS with this certificate and key: {exc}", str(cert)) from None
    return context


def run_server(folder: Path, config: EdmConfig, host: str = "127.0.0.1", port: int = 8700, path: str = "/edm",
               ssl_cert: Path | None = None, ssl_key: Path | None = None) -> None:
    """Serve until interrupted; prints ``listening on URL`` (the port chosen when ``port`` is 0)
    once it accepts posts."""
    store = EdmStore(folder, config.edm.server_id)
    recovered = store.recover()
    ssl_context = _tls(ssl_cert, ssl_key)

    async def main() -> None:
        runner = web.AppRunner(make_app(config, store, path), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port, ssl_context=ssl_context)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        bound = sockets[0].getsockname()[1] if sockets else port
        scheme = "https" if ssl_context else "http"
        note = f" ({recovered} file(s) recovered)" if recovered else ""
        print(f"listening on {scheme}://{host}:{bound}{path}{note}", flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    finally:
        store.close()
