"""The trading-partner configuration of an EDM endpoint: who we are, who may post to us, where
we post to them.

```toml
[edm]
duns = "183529049"          # this endpoint's DUNS: the ``to`` of every post it accepts
server_id = "ercot-sim"     # the receipt's server-id
max_mb = 50                 # largest input-data accepted
retry_seconds = [60, 300]   # waits before the 2nd and 3rd attempt of a post (then: exchange failure)

[[partner]]
duns = "123456789"
name = "ACME ENERGY"
login = "acme"              # HTTP Basic credentials the partner posts with ...
password = "secret"
url = "http://127.0.0.1:8701/edm"   # ... and where we post to it (optional), with
post_login = "ercot"        # the credentials it gave us (default: login and password above)
post_password = "secret2"
ca_file = "acme-ca.pem"     # trust for an https url that no public authority signs (optional)
pgp_public_key = "acme.public.asc"  # seal input-data both ways (OpenPGP): its key (optional)
```

With ``pgp_public_key`` on a partner (and ``pgp_secret_key`` under ``[edm]``: ours), what we
post to it is signed with our key and encrypted to its key, and what it posts must be sealed
the same way to us (:mod:`ercot_sim.counterparty.pgp`); keys are exchanged under the trading
partner agreement. ``ercot-sim edm keygen`` makes a key pair.

Loaded with :func:`load_config`; every error names the file, the line and the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from ercot_sim.errors import CounterpartyError
from ercot_sim.tomlload import load_toml_model

__all__ = ["EdmConfig", "EdmSecurity", "EdmSettings", "Partner", "load_config"]

Duns = Annotated[str, StringConstraints(pattern=r"^[0-9]{9}([0-9]{4})?$")]


class Partner(BaseModel):
    """A trading partner: its DUNS, the credentials it posts with, where we post to it."""

    model_config = ConfigDict(extra="forbid")

    duns: Duns
    name: str = ""
    login: Annotated[str, StringConstraints(min_length=1)]
    password: Annotated[str, StringConstraints(min_length=1)]
    url: str | None = None
    #: the credentials the partner gave us for posting to it (default: the same as above)
    post_login: str | None = None
    post_password: str | None = None
    #: send refnum / refnum-orig (mutually agreed fields; Texas production posts do without)
    refnum: bool = False
    #: the certificate (PEM) that vouches for the partner's HTTPS url when no public
    #: authority does (its own, or its private CA's); relative to the configuration file
    ca_file: str | None = None
    #: the partner's OpenPGP public key (armored file): input-data is sealed both ways
    pgp_public_key: str | None = None
    #: post each file from the DUNS that sent it (an endpoint playing several, as ``ercot-sim
    #: serve`` does), logging in as that DUNS with ``post_password``
    post_from_sender: bool = False


class EdmSettings(BaseModel):
    """This endpoint."""

    model_config = ConfigDict(extra="forbid")

    duns: Duns
    #: more DUNS this endpoint receives for (one endpoint for ERCOT and the TDSPs it plays)
    also: list[Duns] = []
    server_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,40}$")] = "ercot-sim"
    max_mb: Annotated[float, Field(gt=0, le=2048)] = 50
    retry_seconds: Annotated[list[Annotated[float, Field(ge=0)]], Field(min_length=2, max_length=2)] = [60.0, 300.0]
    timeout_seconds: Annotated[float, Field(gt=0)] = 120
    #: our OpenPGP secret key (armored file), for partners with a ``pgp_public_key``
    pgp_secret_key: str | None = None


class EdmConfig(BaseModel):
    """An EDM endpoint and its trading partners."""

    model_config = ConfigDict(extra="forbid")

    edm: EdmSettings
    partner: list[Partner] = []

    @model_validator(mode="after")
    def _unique(self) -> EdmConfig:
        seen: set[str] = set()
        for p in self.partner:
            if p.duns in seen:
                raise ValueError(f"partner {p.duns} is listed twice")
            seen.add(p.duns)
            if p.pgp_public_key and not self.edm.pgp_secret_key:
                raise ValueError(f"partner {p.duns} has a pgp_public_key: [edm] needs our pgp_secret_key")
        return self

    def sealing(self, duns: str) -> tuple[str, str] | None:
        """(our secret key, the partner's public key), armored, when input-data to and from
        partner ``duns`` is sealed (None: plain).

        Raises:
            CounterpartyError: a key file is missing or not a key (names the file).
        """
        from ercot_sim.counterparty.pgp import load_key

        partner = self.partners().get(duns)
        if partner is None or not partner.pgp_public_key or not self.edm.pgp_secret_key:
            return None
        return load_key(Path(self.edm.pgp_secret_key)), load_key(Path(partner.pgp_public_key))

    def receivers(self) -> frozenset[str]:
        """The DUNS posts may be addressed to (``to``)."""
        return frozenset([self.edm.duns, *self.edm.also])

    def partners(self) -> dict[str, Partner]:
        """The partners by DUNS."""
        return {p.duns: p for p in self.partner}

    def partner_of(self, duns: str) -> Partner:
        """The partner of ``duns``.

        Raises:
            CounterpartyError: not a partner of this endpoint.
        """
        got = self.partners().get(duns)
        if got is None:
            raise CounterpartyError(f"{duns} is not a trading partner (known: {', '.join(sorted(self.partners()))})")
        return got


@dataclass(frozen=True, slots=True)
class EdmSecurity:
    """How a side of ``ercot-sim serve`` secures its EDM link (each optional).

    Attributes:
        cert, key: this side's receiver serves HTTPS with this certificate and key (PEM).
        ca_file: the certificate (PEM) that vouches for the other side's HTTPS receiver when no
            public authority does.
        pgp_key: this side's OpenPGP secret key (armored): input-data is sealed both ways ...
        peer_pgp_key: ... with the other side's public key.
    """

    cert: Path | None = None
    key: Path | None = None
    ca_file: Path | None = None
    pgp_key: Path | None = None
    peer_pgp_key: Path | None = None

    def settings(self) -> dict[str, str]:
        """The ``[edm]`` settings these give (``pgp_secret_key``)."""
        return {"pgp_secret_key": str(self.pgp_key)} if self.pgp_key and self.peer_pgp_key else {}

    def partner(self) -> dict[str, str]:
        """The ``[[partner]]`` settings these give for the other side."""
        got = {"ca_file": str(self.ca_file)} if self.ca_file else {}
        if self.pgp_key and self.peer_pgp_key:
            got["pgp_public_key"] = str(self.peer_pgp_key)
        return got


def load_config(path: str | Path) -> EdmConfig:
    """Read an EDM configuration file.

    Raises:
        CounterpartyError: the file is missing or wrong (names file, line and field).
    """
    config = load_toml_model(path, EdmConfig, CounterpartyError)
    here = Path(path).parent
    if config.edm.pgp_secret_key and not Path(config.edm.pgp_secret_key).is_absolute():
        config.edm.pgp_secret_key = str(here / config.edm.pgp_secret_key)
    for partner in config.partner:  # certificates and keys are named relative to the file
        if partner.ca_file and not Path(partner.ca_file).is_absolute():
            partner.ca_file = str(here / partner.ca_file)
        if partner.pgp_public_key and not Path(partner.pgp_public_key).is_absolute():
            partner.pgp_public_key = str(here / partner.pgp_public_key)
        config.sealing(partner.duns)  # a missing or wrong key file is an error now, not at the first post
    return config
