"""OpenPGP sealing of the NAESB EDM ``input-data`` part.

NAESB EDM has the sender sign ``input-data`` with its own private key and encrypt it to the
receiver's public key (PGP keys exchanged, and their fingerprints checked, under the trading
partner agreement); the receiver decrypts with its private key and verifies the sender's
signature before it reads the file. ``input-format`` still names the plaintext (``X12``, ``FF``).

Library: pysequoia, the Python binding of Sequoia PGP: a maintained OpenPGP implementation
shipped as wheels, with no ``gpg`` binary or other system library needed, that reads and writes
the standard ASCII-armored messages GnuPG does (``tests/test_pgp.py`` checks both directions).
Known gap: pysequoia (up to 0.1.35 at least) cannot verify a signed message compressed inside its
encryption, GnuPG's default; such input-data is refused with a message saying so.
"""

from __future__ import annotations

from pathlib import Path

import pysequoia
from pysequoia import ArmorKind, Cert, CipherSuite, Profile, Tsk
from pysequoia.packet import PacketPile, Tag

from ercot_sim.errors import CounterpartyError

__all__ = ["generate_key", "load_key", "open_sealed", "seal"]

_PRIMARY = (Tag.PublicKey, Tag.SecretKey)
_SUBKEY = (Tag.PublicSubkey, Tag.SecretSubkey)
_ENCRYPTED = (Tag.SEIP, Tag.AED, Tag.SED)


def generate_key(user_id: str) -> tuple[str, str]:
    """A new key for ``user_id``: (armored secret key, armored public key).

    Curve25519 keys of the RFC 4880 (v4) profile, which GnuPG 2.2 and older PGP tools read; no
    passphrase and no expiry.
    """
    tsk = Tsk.generate(user_id, profile=Profile.RFC4880, cipher_suite=CipherSuite.Cv25519, validity_seconds=None)
    return str(tsk), str(tsk.extract_certificate())


def load_key(path: Path) -> str:
    """The armored key (public or secret) in the file at ``path``.

    A binary key (``gpg --export`` without ``--armor``) is returned armored. Raises
    :class:`CounterpartyError` naming the file when it is missing, unreadable or not one key.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CounterpartyError("no such key file", str(path)) from None
    except OSError as exc:
        raise CounterpartyError(f"cannot read key file: {exc.strerror or exc}", str(path)) from None
    try:
        key = _parse_key(raw)
    except ValueError as exc:
        raise CounterpartyError(str(exc), str(path)) from None
    if raw.lstrip().startswith(b"-----BEGIN PGP "):
        return raw.decode("utf-8", errors="replace")
    return pysequoia.armor(raw, ArmorKind.SecretKey if isinstance(key, Tsk) else ArmorKind.PublicKey)


def seal(data: bytes, recipient_public: str, signer_secret: str) -> bytes:
    """``data`` signed with ``signer_secret`` and encrypted to ``recipient_public``, ASCII-armored."""
    recipient = _public(recipient_public, "recipient public key")
    signer_key = _secret(signer_secret, "signer secret key")
    try:
        signer = signer_key.signer()
    except RuntimeError as exc:
        raise CounterpartyError(f"signer secret key cannot sign: {_first_line(exc)}") from None
    try:
        return pysequoia.encrypt(data, recipients=[recipient], signer=signer, armor=True)
    except RuntimeError as exc:
        raise CounterpartyError(f"cannot encrypt input-data to {recipient.fingerprint}: {_first_line(exc)}") from None


def open_sealed(data: bytes, own_secret: str, sender_public: str) -> bytes:
    """The plaintext of sealed ``data``: decrypted with ``own_secret``, signature checked against ``sender_public``.

    ``data`` may be armored or binary. Raises :class:`CounterpartyError` when ``data`` is not an
    encrypted OpenPGP message, is not encrypted to our key, is damaged, or does not carry a valid
    signature by the sender's key.
    """
    own = _secret(own_secret, "own secret key")
    sender = _public(sender_public, "sender public key")
    try:
        tags: list[Tag] = [packet.tag for packet in PacketPile.from_bytes(data)]
    except RuntimeError as exc:
        raise CounterpartyError(f"input-data is not an OpenPGP message ({_first_line(exc)})") from None
    if not tags:
        raise CounterpartyError("input-data is empty, not an OpenPGP message")
    if not any(tag in _ENCRYPTED for tag in tags):
        raise CounterpartyError("input-data is an OpenPGP message but not an encrypted one")
    try:
        decryptor = own.decryptor()
    except RuntimeError as exc:
        raise CounterpartyError(f"own secret key cannot decrypt: {_first_line(exc)}") from None
    asked: list[str] = []

    def certificates(key_ids: list[str]) -> list[Cert]:
        asked.extend(str(key_id).lower() for key_id in key_ids)
        return [sender]

    try:
        opened = pysequoia.decrypt(data, decryptor=decryptor, store=certificates)
    except RuntimeError as exc:
        raise CounterpartyError(_why_not_opened(_first_line(exc), asked, own, sender)) from None
    plaintext = opened.bytes
    if plaintext is None or not any(sig.certificate == sender.fingerprint for sig in opened.valid_sigs):
        raise CounterpartyError(f"input-data carries no valid signature by the sender's key {sender.fingerprint}")
    return plaintext


def _why_not_opened(reason: str, asked: list[str], own: Tsk, sender: Cert) -> str:
    """One line saying why decrypt-and-verify failed, from Sequoia's reason and the signers it asked for."""
    if reason.startswith("No key to decrypt"):
        return (f"input-data is not encrypted to our key {own.extract_certificate().fingerprint} "
                "(or its session key packet is damaged)")
    if reason.startswith("Signature verification failed"):
        if not asked:
            return "input-data is encrypted but not signed"
        ours = _key_fingerprints(sender)
        if not any(fpr.endswith(key_id) for key_id in asked for fpr in ours):
            return f"input-data is signed by another key ({', '.join(asked)}), not the sender's {sender.fingerprint}"
        return (f"input-data's signature by the sender's key {sender.fingerprint} does not verify "
                "(bad signature, or the key is revoked or expired)")
    if reason.startswith("Unexpected message structure"):
        # pysequoia's verifier (<= 0.1.35) accepts [encryption, signature] but not [encryption,
        # compression, signature], which GnuPG and PGP write by default
        return ("input-data is compressed inside the encryption, which this receiver cannot verify yet: "
                "the sender must turn compression off (gpg --compress-algo none)")
    return f"input-data cannot be decrypted, damaged or tampered with: {reason}"


def _public(armored: str, role: str) -> Cert:
    """The certificate in ``armored``; the public part when it holds a secret key."""
    try:
        key = _parse_key(armored.encode("utf-8"))
    except ValueError as exc:
        raise CounterpartyError(f"{role}: {exc}") from None
    return key.extract_certificate() if isinstance(key, Tsk) else key


def _secret(armored: str, role: str) -> Tsk:
    """The secret key in ``armored``."""
    try:
        key = _parse_key(armored.encode("utf-8"))
    except ValueError as exc:
        raise CounterpartyError(f"{role}: {exc}") from None
    if not isinstance(key, Tsk):
        raise CounterpartyError(f"{role}: a public key, not a secret key")
    return key


def _parse_key(raw: bytes) -> Cert | Tsk:
    """The one key (secret: Tsk, public: Cert) in ``raw``, armored or binary; ValueError saying why not."""
    try:
        tags: list[Tag] = [packet.tag for packet in PacketPile.from_bytes(raw)]
    except RuntimeError as exc:
        raise ValueError(f"not an OpenPGP key ({_first_line(exc)})") from None
    if not tags or tags[0] not in _PRIMARY:
        raise ValueError("not an OpenPGP key")
    try:
        return Tsk.from_bytes(raw) if tags[0] == Tag.SecretKey else Cert.from_bytes(raw)
    except RuntimeError as exc:
        reason = _first_line(exc)
        if "Additional packets" in reason:
            raise ValueError("more than one key where one is expected") from None
        raise ValueError(f"not a usable OpenPGP key ({reason})") from None


def _key_fingerprints(cert: Cert) -> list[str]:
    """Lowercase fingerprints of the primary key and subkeys of ``cert``."""
    found: list[str] = []
    for packet in PacketPile.from_bytes(bytes(cert)):
        fingerprint = packet.fingerprint
        if packet.tag in _PRIMARY + _SUBKEY and fingerprint:
            found.append(str(fingerprint).lower())
    return found


def _first_line(exc: BaseException) -> str:
    """The first line of an error (Sequoia appends a backtrace when RUST_BACKTRACE is set)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
