"""OpenPGP sealing of EDM input-data (ercot_sim.counterparty.pgp): round trip, every refusal,
and both directions against GnuPG."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import pysequoia
import pytest
from pysequoia import ArmorKind, Cert, Tsk

from ercot_sim.counterparty.pgp import generate_key, load_key, open_sealed, seal
from ercot_sim.errors import CounterpartyError

# X12-like bytes with a CR LF, a NUL and a non-ASCII byte: the round trip must keep every byte
DATA = (b"ISA*00*          *00*          *01*183529049      *01*1039940674000  *250101*1200*U*00401*"
        b"000000001*0*P*>~\r\nGS*GE*183529049*1039940674000*20250101*1200*1*X*004010~\x00\xe9" * 20)


@dataclass(frozen=True)
class Party:
    secret: str
    public: str

    @property
    def fingerprint(self) -> str:
        return Cert.from_bytes(self.public.encode()).fingerprint


def _party(user_id: str) -> Party:
    return Party(*generate_key(user_id))


@pytest.fixture(scope="module")
def sender() -> Party:
    return _party("CR Sender <edm@sender.invalid>")


@pytest.fixture(scope="module")
def receiver() -> Party:
    return _party("TDSP Receiver <edm@receiver.invalid>")


@pytest.fixture(scope="module")
def stranger() -> Party:
    return _party("Stranger <edm@stranger.invalid>")


def _dearmor(armored: bytes) -> bytes:
    lines = armored.decode("ascii").splitlines()
    body = lines[lines.index("") + 1:lines.index("-----END PGP MESSAGE-----")]
    return base64.b64decode("".join(line for line in body if not line.startswith("=")))


def _one_line(exc: pytest.ExceptionInfo[CounterpartyError]) -> str:
    text = str(exc.value)
    assert "\n" not in text and "backtrace" not in text.lower(), text
    return text


def test_generate_key_gives_an_armored_secret_and_its_public_key(sender: Party) -> None:
    assert sender.secret.startswith("-----BEGIN PGP PRIVATE KEY BLOCK-----")
    assert sender.public.startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")
    assert "PRIVATE" not in sender.public
    assert Tsk.from_bytes(sender.secret.encode()).extract_certificate().fingerprint == sender.fingerprint
    assert generate_key("Another <a@b.invalid>")[1] != sender.public


def test_round_trip(sender: Party, receiver: Party) -> None:
    sealed = seal(DATA, receiver.public, sender.secret)
    assert sealed.startswith(b"-----BEGIN PGP MESSAGE-----")
    assert sealed.rstrip().endswith(b"-----END PGP MESSAGE-----")
    sealed.decode("ascii")  # ASCII armor throughout
    assert b"ISA*00" not in sealed and b"183529049" not in sealed
    assert open_sealed(sealed, receiver.secret, sender.public) == DATA


def test_binary_message_opens_too(sender: Party, receiver: Party) -> None:
    binary = _dearmor(seal(DATA, receiver.public, sender.secret))
    assert not binary.startswith(b"-----")
    assert open_sealed(binary, receiver.secret, sender.public) == DATA


def test_each_seal_is_fresh(sender: Party, receiver: Party) -> None:
    assert seal(DATA, receiver.public, sender.secret) != seal(DATA, receiver.public, sender.secret)


def test_not_encrypted_to_our_key(sender: Party, receiver: Party, stranger: Party) -> None:
    sealed = seal(DATA, receiver.public, sender.secret)
    with pytest.raises(CounterpartyError) as exc:
        open_sealed(sealed, stranger.secret, sender.public)
    assert "not encrypted to our key" in _one_line(exc)
    assert stranger.fingerprint in str(exc.value)


@pytest.mark.parametrize("where", ["middle", "last byte"])
def test_tampered_ciphertext(sender: Party, receiver: Party, where: str) -> None:
    binary = bytearray(_dearmor(seal(DATA, receiver.public, sender.secret)))
    position = len(binary) // 2 if where == "middle" else len(binary) - 1
    binary[position] ^= 0x01
    for tampered in (bytes(binary), pysequoia.armor(bytes(binary), ArmorKind.Message).encode()):
        with pytest.raises(CounterpartyError) as exc:
            open_sealed(tampered, receiver.secret, sender.public)
        assert "cannot be decrypted" in _one_line(exc)


def test_signed_by_another_key(sender: Party, receiver: Party, stranger: Party) -> None:
    forged = seal(DATA, receiver.public, stranger.secret)
    assert open_sealed(forged, receiver.secret, stranger.public) == DATA  # a good message, wrong sender
    with pytest.raises(CounterpartyError) as exc:
        open_sealed(forged, receiver.secret, sender.public)
    assert "signed by another key" in _one_line(exc)
    assert sender.fingerprint in str(exc.value)


def test_encrypted_but_unsigned(sender: Party, receiver: Party) -> None:
    unsigned = pysequoia.encrypt(DATA, recipients=[Cert.from_bytes(receiver.public.encode())])
    assert pysequoia.decrypt(unsigned, decryptor=Tsk.from_bytes(receiver.secret.encode()).decryptor()).bytes == DATA
    with pytest.raises(CounterpartyError) as exc:
        open_sealed(unsigned, receiver.secret, sender.public)
    assert "not signed" in _one_line(exc)


def test_signature_by_a_revoked_sender_key(sender: Party, receiver: Party) -> None:
    tsk = Tsk.from_bytes(sender.secret.encode())
    cert = tsk.extract_certificate()
    revoked = Cert.from_bytes(bytes(cert) + bytes(cert.revoke(certifier=tsk.certifier())))
    assert revoked.is_revoked
    sealed = seal(DATA, receiver.public, sender.secret)
    with pytest.raises(CounterpartyError) as exc:
        open_sealed(sealed, receiver.secret, str(revoked))
    assert "does not verify" in _one_line(exc)


def test_signed_but_not_encrypted(sender: Party, receiver: Party) -> None:
    signed = pysequoia.sign(Tsk.from_bytes(sender.secret.encode()).signer(), DATA)
    with pytest.raises(CounterpartyError) as exc:
        open_sealed(signed, receiver.secret, sender.public)
    assert "not an encrypted one" in _one_line(exc)


@pytest.mark.parametrize("garbage", [DATA, b"", b"\x00" * 64, b"-----BEGIN PGP MESSAGE-----\n\nAAAA\n"
                                     b"-----END PGP MESSAGE-----\n", os.urandom(512)])
def test_garbage(sender: Party, receiver: Party, garbage: bytes) -> None:
    with pytest.raises(CounterpartyError) as exc:
        open_sealed(garbage, receiver.secret, sender.public)
    assert "not an OpenPGP message" in _one_line(exc)


def test_wrong_kind_of_key_is_refused(sender: Party, receiver: Party) -> None:
    with pytest.raises(CounterpartyError, match="signer secret key: a public key, not a secret key"):
        seal(DATA, receiver.public, sender.public)
    with pytest.raises(CounterpartyError, match="own secret key: a public key"):
        open_sealed(seal(DATA, receiver.public, sender.secret), receiver.public, sender.public)
    with pytest.raises(CounterpartyError, match="recipient public key: not an OpenPGP key"):
        seal(DATA, "not a key", sender.secret)
    with pytest.raises(CounterpartyError, match="recipient public key: more than one key where one is expected"):
        seal(DATA, receiver.public + sender.public, sender.secret)
    with pytest.raises(CounterpartyError, match="sender public key: more than one key where one is expected"):
        open_sealed(seal(DATA, receiver.public, sender.secret), receiver.secret, sender.public + receiver.public)


def test_a_secret_key_serves_as_its_public_key(sender: Party, receiver: Party) -> None:
    sealed = seal(DATA, receiver.secret, sender.secret)
    assert open_sealed(sealed, receiver.secret, sender.secret) == DATA


def test_load_key(tmp_path: Path, sender: Party) -> None:
    public, secret = tmp_path / "partner.asc", tmp_path / "own.asc"
    public.write_text(sender.public)
    secret.write_text(sender.secret)
    assert load_key(public) == sender.public
    assert load_key(secret) == sender.secret
    binary = tmp_path / "partner.gpg"
    binary.write_bytes(bytes(Cert.from_bytes(sender.public.encode())))
    rearmored = load_key(binary)
    assert rearmored.startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")
    assert Cert.from_bytes(rearmored.encode()).fingerprint == sender.fingerprint


def test_load_key_names_the_file(tmp_path: Path, sender: Party, receiver: Party) -> None:
    missing = tmp_path / "missing.asc"
    with pytest.raises(CounterpartyError) as exc:
        load_key(missing)
    assert str(exc.value) == f"{missing}: no such key file"
    junk = tmp_path / "junk.asc"
    junk.write_text("ISA*00*~\n")
    with pytest.raises(CounterpartyError) as exc:
        load_key(junk)
    assert str(exc.value).startswith(f"{junk}: not an OpenPGP key")
    message = tmp_path / "message.asc"
    message.write_bytes(seal(DATA, receiver.public, sender.secret))
    with pytest.raises(CounterpartyError) as exc:
        load_key(message)
    assert str(exc.value) == f"{message}: not an OpenPGP key"
    with pytest.raises(CounterpartyError) as exc:
        load_key(tmp_path)
    assert str(exc.value).startswith(f"{tmp_path}: cannot read key file")


# --- GnuPG interoperability: gpg in a subprocess with a throwaway GNUPGHOME ---------------------

GPG = shutil.which("gpg")


@dataclass(frozen=True)
class GnuPG:
    home: Path
    fingerprint: str
    secret: str
    public: str

    def run(self, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
        assert GPG is not None
        return subprocess.run([GPG, "--homedir", str(self.home), "--batch", "--no-tty", "--pinentry-mode", "loopback",
                               "--passphrase", "", "--trust-model", "always", *args],
                              input=stdin, capture_output=True, timeout=60, check=False)


def _gpg(home: Path, *args: str) -> bytes:
    assert GPG is not None
    done = subprocess.run([GPG, "--homedir", str(home), "--batch", "--no-tty", "--pinentry-mode", "loopback",
                           "--passphrase", "", *args], capture_output=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done.stdout


@pytest.fixture(scope="module", params=[("ed25519", "cv25519"), ("rsa3072", "rsa3072")], ids=["ed25519", "rsa3072"])
def gnupg(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GnuPG]:
    """A partner whose key GnuPG made and holds (primary signs, subkey encrypts)."""
    if GPG is None:
        pytest.xfail("gpg is not installed (Debian package gnupg): GnuPG interoperability not checked")
    primary, subkey = request.param
    home = tmp_path_factory.mktemp("gnupg")
    home.chmod(0o700)
    uid = f"GnuPG Partner {primary} <edm@gnupg.invalid>"
    try:
        _gpg(home, "--quick-generate-key", uid, primary, "sign,cert", "never")
        colons = _gpg(home, "--with-colons", "--list-keys", uid).decode()
        fingerprint = next(line.split(":")[9] for line in colons.splitlines() if line.startswith("fpr:"))
        _gpg(home, "--quick-add-key", fingerprint, subkey, "encr", "never")
        yield GnuPG(home, fingerprint, _gpg(home, "--armor", "--export-secret-keys", fingerprint).decode(),
                    _gpg(home, "--armor", "--export", fingerprint).decode())
    finally:
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], capture_output=True, check=False)


def test_gpg_opens_what_we_seal(gnupg: GnuPG, sender: Party) -> None:
    assert gnupg.run("--import", stdin=sender.public.encode()).returncode == 0
    sealed = seal(DATA, gnupg.public, sender.secret)
    done = gnupg.run("--status-fd", "2", "--decrypt", stdin=sealed)
    status = done.stderr.decode(errors="replace")
    assert done.returncode == 0, status
    assert done.stdout == DATA
    assert "[GNUPG:] DECRYPTION_OKAY" in status and "[GNUPG:] GOODSIG" in status, status
    validsig = next(line for line in status.splitlines() if line.startswith("[GNUPG:] VALIDSIG"))
    assert validsig.split()[-1] == sender.fingerprint.upper()  # the primary key's fingerprint ends the line


def test_gpg_refuses_what_a_stranger_signed_for_it(gnupg: GnuPG, stranger: Party) -> None:
    # the control for the test above: gpg does fail when it lacks the signer's key
    done = gnupg.run("--status-fd", "2", "--decrypt", stdin=seal(DATA, gnupg.public, stranger.secret))
    status = done.stderr.decode(errors="replace")
    assert done.returncode != 0 and "[GNUPG:] GOODSIG" not in status and "[GNUPG:] NO_PUBKEY" in status, status


def _gpg_seal(gnupg: GnuPG, receiver: Party, *options: str, sign: bool = True) -> bytes:
    assert gnupg.run("--import", stdin=receiver.public.encode()).returncode == 0
    signing = ("--sign", "--local-user", gnupg.fingerprint) if sign else ()
    done = gnupg.run("--armor", *options, *signing, "--encrypt", "--recipient",
                     Cert.from_bytes(receiver.public.encode()).fingerprint, stdin=DATA)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert done.stdout.startswith(b"-----BEGIN PGP MESSAGE-----")
    return done.stdout


def test_we_open_what_gpg_seals(gnupg: GnuPG, receiver: Party, sender: Party) -> None:
    # uncompressed: see test_we_open_what_gpg_seals_compressed
    sealed = _gpg_seal(gnupg, receiver, "--compress-algo", "none")
    assert open_sealed(sealed, receiver.secret, gnupg.public) == DATA
    with pytest.raises(CounterpartyError) as exc:
        open_sealed(sealed, receiver.secret, sender.public)
    assert "signed by another key" in _one_line(exc)
    with pytest.raises(CounterpartyError) as exc:
        open_sealed(_gpg_seal(gnupg, receiver, "--compress-algo", "none", sign=False), receiver.secret, gnupg.public)
    assert "not signed" in _one_line(exc)


def test_we_open_what_gpg_seals_compressed(gnupg: GnuPG, receiver: Party) -> None:
    """gpg's default compresses inside the encryption; pysequoia's verifier (<= 0.1.35) refuses
    that layering. Until it does not, the refusal must say what to change; then this passes."""
    sealed = _gpg_seal(gnupg, receiver)  # gpg's defaults: ZIP, as our keys state no preference
    try:
        opened = open_sealed(sealed, receiver.secret, gnupg.public)
    except CounterpartyError as error:
        assert "compressed inside the encryption" in str(error) and "--compress-algo none" in str(error)
        pytest.xfail(f"pysequoia {version('pysequoia')} cannot verify compressed sign+encrypt: {error}")
    assert opened == DATA


def test_gpg_keys_load(gnupg: GnuPG, tmp_path: Path) -> None:
    (tmp_path / "pub.asc").write_text(gnupg.public)
    (tmp_path / "sec.asc").write_text(gnupg.secret)
    assert Cert.from_bytes(load_key(tmp_path / "pub.asc").encode()).fingerprint == gnupg.fingerprint.lower()
    assert load_key(tmp_path / "sec.asc") == gnupg.secret
