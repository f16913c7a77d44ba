"""Ed25519 keys: an agent signs what it publishes, the caller checks who signed it.

Each region has its own key pair (or several, one per agent). The private key stays with the
region's agents (``EO_AGENT_KEY_FILE``, PEM); the caller lists the public keys per region
(``EO_AGENT_KEYS=fra=KEY,...``, each KEY the 32 raw bytes in base64). A result for a region counts
only when it is signed by one of that region's keys, whatever the NATS subject it came on, so an
agent of one region cannot answer for another and a client that can only publish on NATS cannot
answer at all.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

PUBLIC_KEY_BYTES = 32
SIGNATURE_BYTES = 64


@dataclass(frozen=True, slots=True)
class SigningKey:
    """An agent's private key; ``public`` is what the caller lists for the region."""

    private: Ed25519PrivateKey

    @property
    def public(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @property
    def public_text(self) -> str:
        return base64.b64encode(self.public).decode("ascii")

    def sign(self, data: bytes) -> bytes:
        return self.private.sign(data)

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(Ed25519PrivateKey.generate())

    def pem(self) -> bytes:
        return self.private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


def load_signing_key(path: str, *, what: str) -> SigningKey:
    """The Ed25519 private key in ``path`` (PEM); ValueError names ``what``."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ValueError(f"{what}: cannot read {path}: {exc.strerror or exc}") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise ValueError(f"{what}: {path} is not an unencrypted PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{what}: {path} holds a key that is not Ed25519")
    return SigningKey(key)


def write_new_key(path: str) -> SigningKey:
    """Create a key, write it to ``path`` readable by its owner only; never overwrite a file."""
    key = SigningKey.generate()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ValueError(f"--new-key: {path} exists; choose another path") from None
    except OSError as exc:
        raise ValueError(f"--new-key: cannot create {path}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "wb") as out:
        out.write(key.pem())
    return key


def parse_public_key(text: str) -> bytes:
    """A public key as listed in EO_AGENT_KEYS: 32 raw bytes in base64."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{text[:60]!r} is not base64") from None
    if len(raw) != PUBLIC_KEY_BYTES:
        raise ValueError(
            f"a public key is {PUBLIC_KEY_BYTES} bytes in base64 (44 characters), got {len(raw)}"
        )
    return raw


def verify(public: bytes, signature: bytes, data: bytes) -> bool:
    """True when ``signature`` is ``public``'s signature of ``data``."""
    if len(public) != PUBLIC_KEY_BYTES or len(signature) != SIGNATURE_BYTES:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, data)
    except InvalidSignature:
        return False
    return True
