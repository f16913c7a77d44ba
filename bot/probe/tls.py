"""TLS details: SSL contexts, certificate parsing and verification-failure reasons."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache, lru_cache

import certifi
from cryptography import x509
from cryptography.x509.oid import ExtensionOID

from bot.probe.models import CertInfo, VerifyError

ALPN = ["http/1.1"]

# OpenSSL X509_V_ERR_* codes -> the reason a person cares about.
_VERIFY_CODES: dict[int, VerifyError] = {
    9: "not_yet_valid",
    10: "expired",
    18: "untrusted",  # self-signed leaf
    19: "untrusted",  # self-signed certificate in chain
    20: "untrusted",  # unable to get local issuer
    21: "untrusted",  # unable to verify the first certificate
    62: "hostname_mismatch",
    64: "hostname_mismatch",  # IP address mismatch
}


@lru_cache(maxsize=8)
def verifying_context(ca_file: str | None = None) -> ssl.SSLContext:
    """Shared per CA file: loading the CA bundle costs tens of milliseconds per context."""
    ctx = ssl.create_default_context(cafile=certifi.where())
    if ca_file:
        ctx.load_verify_locations(cafile=ca_file)
    ctx.set_alpn_protocols(ALPN)
    return ctx


@cache
def inspecting_context() -> ssl.SSLContext:
    """No verification: only used to read a certificate that already failed verification."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(ALPN)
    return ctx


def verify_reason(exc: ssl.SSLCertVerificationError) -> VerifyError:
    return _VERIFY_CODES.get(exc.verify_code, "other")


# What a name that cannot be read is reported as (the certificate comes from the server).
UNREADABLE = "(unreadable)"


def cert_info(der: bytes, *, now: datetime | None = None) -> CertInfo | None:
    """The certificate's names and dates; None when it cannot be parsed at all.

    The server chooses every byte: OpenSSL may accept what cryptography refuses (odd string types,
    broken extensions, duplicate extensions), so each part is read on its own and a part that
    cannot be read is reported as such instead of failing the probe.
    """
    with warnings.catch_warnings():
        # Lenient-parsing warnings (negative serial numbers...) are the server's problem.
        warnings.simplefilter("ignore")
        try:
            cert = x509.load_der_x509_certificate(der)
            not_before = cert.not_valid_before_utc
            not_after = cert.not_valid_after_utc
        except ValueError:
            return None
        moment = now or datetime.now(UTC)
        return CertInfo(
            subject=_name(lambda: cert.subject),
            sans=_sans(cert),
            issuer=_name(lambda: cert.issuer),
            not_before=not_before,
            not_after=not_after,
            days_left=(not_after - moment).days,
        )


def _name(read: Callable[[], x509.Name]) -> str:
    try:
        return read().rfc4514_string()
    except ValueError:
        return UNREADABLE


def _sans(cert: x509.Certificate) -> tuple[str, ...]:
    try:
        ext = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    except x509.ExtensionNotFound:
        return ()
    except (ValueError, x509.DuplicateExtension, x509.UnsupportedGeneralNameType):
        return (UNREADABLE,)
    san = ext.value
    if not isinstance(san, x509.SubjectAlternativeName):
        return (UNREADABLE,)
    try:
        names = [*san.get_values_for_type(x509.DNSName)]
        names += [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
    except ValueError:
        return (UNREADABLE,)
    return tuple(names)


async def fetch_leaf(ip: str, port: int, server_name: str, limit: float) -> bytes | None:
    """Handshake again without verification to report a certificate that failed it.

    Only called with the address that already passed the safety check.
    """
    writer = None
    try:
        async with asyncio.timeout(limit):
            _, writer = await asyncio.open_connection(
                ip, port, ssl=inspecting_context(), server_hostname=server_name
            )
            obj = writer.get_extra_info("ssl_object")
            return obj.getpeercert(binary_form=True) if obj is not None else None
    except (OSError, TimeoutError, ssl.SSLError):
        return None
    finally:
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError, TimeoutError, ssl.SSLError):
                await asyncio.wait_for(writer.wait_closed(), 1)
