"""Posting files to a trading partner over NAESB EDM 1.6, with retries and exchange failures.

:func:`send` records the file in the endpoint's store, then :func:`deliver` posts it: up to
three attempts (NAESB 4.3.13), waiting the configured seconds between them. A receipt with
``request-status=ok`` ends it (``receipted``, with the partner's trans-id); a receipt with an
EEDM code is a refusal, recorded as it is (trying the same post again would get the same
answer); no receipt after the third attempt (refused connection, time-out, HTTP error, a
body that is not a receipt) is an *exchange failure*: recorded, listed by ``ercot-sim edm
status``, and sent again with :func:`resend` once the partner is back.
"""

from __future__ import annotations

import asyncio
import base64
import ssl
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp

from ercot_sim.counterparty.config import EdmConfig, Partner
from ercot_sim.counterparty.edm import REPORT_TYPE, VERSION, Receipt
from ercot_sim.counterparty.store import EdmStore, Outbound
from ercot_sim.errors import CounterpartyError

__all__ = ["ATTEMPTS", "Poster", "deliver", "post_once", "resend", "send"]

#: attempts before an exchange failure (NAESB 4.3.13)
ATTEMPTS = 3


async def _post(session: aiohttp.ClientSession, url: str, fields: list[tuple[str, str]], data: bytes, filename: str,
                login: str, password: str, ca_file: str | None) -> tuple[int, str]:
    form = aiohttp.FormData()
    for name, value in fields:
        form.add_field(name, value)
    form.add_field("input-data", data, filename=filename, content_type="application/octet-stream")
    token = base64.b64encode(f"{login}:{password}".encode()).decode("ascii")  # RFC 7617
    headers = {"Authorization": f"Basic {token}"}
    tls = ssl.create_default_context(cafile=ca_file) if ca_file else None
    async with session.post(url, data=form, headers=headers, ssl=tls if tls is not None else True) as response:
        return response.status, await response.text()


def _data(path: Path, sealing: tuple[str, str] | None) -> bytes:
    """The input-data of a post of ``path``: its bytes, sealed (OpenPGP) with ``sealing`` (our
    secret key, the partner's public key) when given."""
    data = path.read_bytes()
    if sealing is None:
        return data
    from ercot_sim.counterparty.pgp import seal

    return seal(data, sealing[1], sealing[0])


class Poster:
    """Posts over one connection pool and event loop (keep-alive), for a caller that posts many
    files in a row (a market exchanging every window's files); :func:`post_once` makes one of
    its own per post."""

    def __init__(self, timeout: float = 120) -> None:
        self.loop = asyncio.new_event_loop()
        self.timeout = timeout
        self.session: aiohttp.ClientSession | None = None

    def post(self, url: str, path: Path, *, sender: str, receiver: str, login: str, password: str,
             refnum: str | None = None, refnum_orig: str | None = None, input_format: str = "X12",
             ca_file: str | None = None, sealing: tuple[str, str] | None = None) -> Receipt:
        """As :func:`post_once`."""
        fields = [("from", sender), ("to", receiver), ("version", VERSION), ("receipt-disposition-to", sender),
                  ("receipt-report-type", REPORT_TYPE), ("input-format", input_format)]
        if refnum:
            fields += [("refnum", refnum), ("refnum-orig", refnum_orig or refnum)]
        try:
            if self.session is None:
                self.session = self.loop.run_until_complete(self._session())
            status, body = self.loop.run_until_complete(
                _post(self.session, url, fields, _data(path, sealing), path.name, login, password, ca_file))
        except (TimeoutError, aiohttp.ClientError, OSError, ssl.SSLError) as exc:
            raise CounterpartyError(f"no receipt from {url}: {type(exc).__name__}: {exc}".rstrip(": ")) from None
        try:
            return Receipt.parse(body)
        except ValueError as exc:
            raise CounterpartyError(f"no receipt from {url}: HTTP {status}, {exc}") from None

    async def _session(self) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))

    def close(self) -> None:
        """Close the connections and the loop."""
        if self.session is not None:
            self.loop.run_until_complete(self.session.close())
        self.loop.close()


def post_once(url: str, path: Path, *, sender: str, receiver: str, login: str, password: str,
              refnum: str | None = None, refnum_orig: str | None = None, input_format: str = "X12",
              timeout: float = 120, ca_file: str | None = None, sealing: tuple[str, str] | None = None) -> Receipt:
    """One EDM post of ``path``; the partner's receipt. With ``sealing`` (our secret key, the
    partner's public key) the file is signed and encrypted (OpenPGP) before it is posted.

    Raises:
        CounterpartyError: no receipt (connection, time-out, an HTTP error without a
            receipt, a body that is not one), saying which.
    """
    fields = [("from", sender), ("to", receiver), ("version", VERSION), ("receipt-disposition-to", sender),
              ("receipt-report-type", REPORT_TYPE), ("input-format", input_format)]
    if refnum:
        fields += [("refnum", refnum), ("refnum-orig", refnum_orig or refnum)]

    data = _data(path, sealing)

    async def once() -> tuple[int, str]:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
            return await _post(session, url, fields, data, path.name, login, password, ca_file)

    try:
        status, body = asyncio.run(once())
    except (TimeoutError, aiohttp.ClientError, OSError, ssl.SSLError) as exc:
        raise CounterpartyError(f"no receipt from {url}: {type(exc).__name__}: {exc}".rstrip(": ")) from None
    try:
        receipt = Receipt.parse(body)
    except ValueError as exc:
        raise CounterpartyError(f"no receipt from {url}: HTTP {status}, {exc}") from None
    return receipt


def send(store: EdmStore, config: EdmConfig, path: Path, to: str, *,
         sleep: Callable[[float], None] = time.sleep) -> Outbound:
    """Record ``path`` as a post to partner ``to`` and deliver it (see the module docstring).

    Raises:
        CounterpartyError: ``to`` is not a partner, or has no ``url``; the file is unreadable.
    """
    partner = config.partner_of(to)
    if not partner.url:
        raise CounterpartyError(f"partner {to} has no url to post to (add url = \"...\" to its [[partner]])")
    if not path.is_file():
        raise CounterpartyError(f"{path}: no such file")
    row = store.queue(path, sender=config.edm.duns, receiver=to, url=partner.url)
    return deliver(store, config, row.id, sleep=sleep)


def deliver(store: EdmStore, config: EdmConfig, row_id: int, *,
            sleep: Callable[[float], None] = time.sleep) -> Outbound:
    """Post a recorded file until it is receipted or refused, or the third attempt fails."""
    out = store.outbound(row_id)
    partner: Partner = config.partner_of(out.receiver)
    if partner.url and partner.url != out.url:  # the partner's address as configured now
        out = store.move(row_id, partner.url)
    waits = [0.0, *config.edm.retry_seconds]
    sealing = config.sealing(out.receiver)
    for attempt in range(ATTEMPTS):
        if waits[attempt]:
            sleep(waits[attempt])
        try:
            sender = out.sender if partner.post_from_sender and out.sender else config.edm.duns
            receipt = post_once(out.url, out.path, sender=sender, receiver=out.receiver,
                                login=sender if partner.post_from_sender else partner.post_login or partner.login,
                                password=partner.post_password or partner.password,
                                refnum=out.refnum if partner.refnum else None, timeout=config.edm.timeout_seconds,
                                ca_file=partner.ca_file, sealing=sealing)
        except CounterpartyError as exc:
            last = attempt == ATTEMPTS - 1
            out = store.attempt(row_id, error=str(exc), failed=last)
            if last:
                return out
            continue
        if receipt.ok:
            return store.attempt(row_id, trans_id=receipt.trans_id or "?", time_c=receipt.time_c)
        if receipt.status.startswith("EEDM999"):  # the receiver's own trouble: tried again, as no receipt
            last = attempt == ATTEMPTS - 1
            out = store.attempt(row_id, error=receipt.status, failed=last)
            if last:
                return out
            continue
        return store.attempt(row_id, error=receipt.status, failed=True)  # refused: again, refused again
    return out


def resend(store: EdmStore, config: EdmConfig, row_id: int, *,
           sleep: Callable[[float], None] = time.sleep) -> Outbound:
    """Post a failed exchange again (three more attempts).

    Raises:
        CounterpartyError: no such post, or it was receipted already.
    """
    out = store.outbound(row_id)
    if out.state == "receipted":
        raise CounterpartyError(f"post #{row_id} was receipted already (trans-id {out.trans_id})")
    store.reopen(row_id)
    return deliver(store, config, row_id, sleep=sleep)
