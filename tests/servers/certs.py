"""Certificates no honest server presents, issued by a CA the probe can be told to trust.

trustme makes well-formed certificates; these are built with ``cryptography`` and, where the
builder refuses, patched byte for byte and signed again (an RSA CA keeps the signature length, so
the outer DER lengths stay right). Each kind exercises one way a server's certificate can hurt a
client that reads it:

- ``odd_names``: a subject with ``<!channel>``, a right-to-left override and ``<@U0EVIL>``, and
  SANs holding a mention and a great many names (``localhost`` first, so it verifies);
- ``negative_serial``: a negative serial number (OpenSSL serves it; cryptography warns that it
  will refuse it);
- ``non_der_boolean``: a BOOLEAN encoded as 0x01 instead of 0xFF (OpenSSL reads BER and serves
  it; cryptography refuses the whole certificate);
- ``duplicate_extension``: two subjectAltName extensions (cryptography refuses to read them);
- ``bad_utf8_subject``: a common name that is not valid UTF-8 (cryptography refuses the subject).

OpenSSL will not serve the last two as its own certificate (``server_context`` raises), but a
client can still receive such bytes; ``der`` gives them for tests of the parsing alone.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import ssl
import tempfile
from typing import Literal, Self

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

__all__ = ["EVIL_MENTION", "HostileCertKind", "HostileCerts"]

HostileCertKind = Literal[
    "odd_names", "negative_serial", "non_der_boolean", "duplicate_extension", "bad_utf8_subject"
]
EVIL_MENTION = "<@U0EVIL>"
ODD_SANS = 40  # extra names on the odd_names certificate
_PLACEHOLDER = b"QQQQQ"


class HostileCerts:
    """A CA and leaf certificates per kind; use as a context manager (temporary PEM files)."""

    def __init__(self) -> None:
        now = datetime.datetime.now(datetime.UTC)
        self._now = now
        self._ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._leaf_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "eo-bot hostile CA")])
        self.ca = (
            self._builder(self._ca_name, self._ca_key.public_key(), 1)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self._ca_key, hashes.SHA256())
        )
        self._files: list[str] = []
        self.ca_pem_path = self._write(self.ca.public_bytes(serialization.Encoding.PEM))

    def _builder(
        self, subject: x509.Name, key: rsa.RSAPublicKey, serial: int
    ) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self._ca_name)
            .public_key(key)
            .serial_number(serial)
            .not_valid_before(self._now - datetime.timedelta(days=1))
            .not_valid_after(self._now + datetime.timedelta(days=30))
        )

    def der(self, kind: HostileCertKind) -> bytes:
        key = self._leaf_key.public_key()
        if kind == "odd_names":
            subject = x509.Name(
                [
                    x509.NameAttribute(NameOID.COMMON_NAME, "<!channel> \u202eevil"),
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, EVIL_MENTION),
                ]
            )
            names = [x509.DNSName("localhost"), x509.DNSName(EVIL_MENTION)]
            names += [x509.DNSName(f"n{i}.odd.test") for i in range(ODD_SANS)]
            cert = (
                self._builder(subject, key, 2)
                .add_extension(x509.SubjectAlternativeName(names), critical=False)
                .sign(self._ca_key, hashes.SHA256())
            )
            return cert.public_bytes(serialization.Encoding.DER)
        plain = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, _PLACEHOLDER.decode())])
        builder = self._builder(plain, key, 0x55).add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False
        )
        if kind == "negative_serial":
            cert = builder.sign(self._ca_key, hashes.SHA256())
            return self._patched(cert, bytes.fromhex("020155"), bytes.fromhex("0201d5"))
        if kind == "non_der_boolean":
            cert = builder.add_extension(
                x509.BasicConstraints(ca=False, path_length=None), critical=True
            ).sign(self._ca_key, hashes.SHA256())
            return self._patched(cert, bytes.fromhex("0101ff"), bytes.fromhex("010101"))
        if kind == "duplicate_extension":
            cert = builder.add_extension(
                x509.IssuerAlternativeName([x509.DNSName("localhost")]), critical=False
            ).sign(self._ca_key, hashes.SHA256())
            # issuerAltName's OID (2.5.29.18) becomes subjectAltName's (2.5.29.17).
            return self._patched(cert, bytes.fromhex("0603551d12"), bytes.fromhex("0603551d11"))
        cert = builder.sign(self._ca_key, hashes.SHA256())
        return self._patched(cert, _PLACEHOLDER, b"Q\xff\xfeQQ")

    def _patched(self, cert: x509.Certificate, old: bytes, new: bytes) -> bytes:
        der = cert.public_bytes(serialization.Encoding.DER)
        tbs = cert.tbs_certificate_bytes
        if tbs.count(old) != 1 or len(old) != len(new):
            raise ValueError("the patch must replace one run of bytes by one of the same length")
        patched = tbs.replace(old, new)
        signature = self._ca_key.sign(patched, padding.PKCS1v15(), hashes.SHA256())
        out = der.replace(tbs, patched)
        return out[: -len(cert.signature)] + signature

    def server_context(self, kind: HostileCertKind) -> ssl.SSLContext:
        pem = ssl.DER_cert_to_PEM_cert(self.der(kind)).encode()
        key = self._leaf_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        cert_path, key_path = self._write(pem), self._write(key)
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(cert_path, key_path)
        return ctx

    def _write(self, data: bytes) -> str:
        fd, path = tempfile.mkstemp(prefix="eo-hostile-", suffix=".pem")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        self._files.append(path)
        return path

    def close(self) -> None:
        for path in self._files:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        self._files.clear()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
