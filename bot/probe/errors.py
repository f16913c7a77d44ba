"""Probe failures in our own words: what failed, and for timeouts which timeout and its length.

httpx, httpcore, h11, anyio and OpenSSL describe failures for programmers: class names, cancel
scopes, ``bytearray(b'...')`` reprs of what the server sent. None of that reaches a user. Each
function here reads the exception chain and returns one sentence; the server's own bytes are never
quoted (they are hostile, and the headers the probe keeps are reported separately).
"""

from __future__ import annotations

import errno
import os
import ssl
from typing import TypeVar

import httpcore
import httpx

from bot.probe.models import ConnectStatus, HTTPStatus

_E = TypeVar("_E", bound=BaseException)

# h11's complaints about a response, by a fragment of its message -> what was wrong. The message
# itself quotes the server's bytes, so it is only matched, never shown.
_MALFORMED: tuple[tuple[str, str], ...] = (
    ("illegal status line", "the status line is not valid HTTP"),
    ("status_code", "the status code is not valid HTTP"),
    ("illegal header line", "a header line is not valid HTTP"),
    ("receive buffer too long", "the response head is larger than the probe accepts (100 KiB)"),
    ("content-length", "the Content-Length header is not valid"),
    ("transfer-encoding", "the Transfer-Encoding header is not valid"),
    ("chunk", "the chunked body is not valid"),
    ("without sending complete message body", "the connection closed before the whole body came"),
    ("switch", "the server switched protocols although the probe asked for no upgrade"),
)
_NOT_HTTP = "the answer is not a valid HTTP/1.1 response"

# What a TLS handshake with a port that answers in plain HTTP fails with (read by the EdgeOne
# findings: HTTPS origin-pull to an HTTP port).
PLAIN_ON_TLS_PORT = "the server does not speak TLS on this port (it answers in plain)"
# OpenSSL reasons for a failed handshake that have plainer names.
_TLS_REASONS = {
    "WRONG_VERSION_NUMBER": PLAIN_ON_TLS_PORT,
    "UNSUPPORTED_PROTOCOL": "the server only offers TLS versions the probe does not accept",
    "TLSV1_ALERT_PROTOCOL_VERSION": "the server does not accept the probe's TLS versions",
    "NO_SHARED_CIPHER": "the server and the probe have no cipher in common",
    "SSLV3_ALERT_HANDSHAKE_FAILURE": "the server refused the handshake (handshake failure alert)",
    "TLSV1_ALERT_INTERNAL_ERROR": "the server refused the handshake (internal error alert)",
    "TLSV1_UNRECOGNIZED_NAME": "the server does not know the host name sent as SNI",
    "TLSV1_ALERT_UNRECOGNIZED_NAME": "the server does not know the host name sent as SNI",
}
_VERIFY_WORDS = {
    9: "the certificate is not valid yet",
    10: "the certificate has expired",
    18: "the certificate is self-signed",
    19: "the certificate chain ends in a self-signed certificate nobody trusts",
    20: "the certificate is not issued by an authority the probe trusts",
    21: "the certificate is not issued by an authority the probe trusts",
    62: "the certificate does not cover the host name",
    64: "the certificate does not cover the IP address",
}


def find_cause(exc: BaseException, kind: type[_E]) -> _E | None:
    """Walk the cause/context chain for an exception of ``kind``."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def seconds(value: float) -> str:
    return f"{value:g} s"


# ---------------------------------------------------------------- TCP connect


def connect_status(exc: httpx.HTTPError) -> ConnectStatus:
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    if find_cause(exc, ConnectionRefusedError) is not None:
        return "refused"
    os_error = find_cause(exc, OSError)
    if os_error is not None and os_error.errno in {errno.ENETUNREACH, errno.EHOSTUNREACH}:
        return "unreachable"
    return "error"


def connect_error(exc: httpx.HTTPError, timeout: float) -> str:
    status = connect_status(exc)
    if status == "timeout":
        return f"no answer to the TCP handshake within the connect timeout ({seconds(timeout)})"
    if status == "refused":
        return "the connection was refused (nothing listens on the port, or a firewall rejects)"
    os_error = find_cause(exc, OSError)
    if os_error is not None and os_error.errno == errno.ENETUNREACH:
        return "the network of this address is unreachable from here"
    if os_error is not None and os_error.errno == errno.EHOSTUNREACH:
        return "the host is unreachable from here"
    if os_error is not None and os_error.errno:
        return f"the connection failed ({os.strerror(os_error.errno).lower()})"
    return "the connection failed"


# ---------------------------------------------------------------- TLS


def tls_error(exc: httpx.HTTPError, timeout: float) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"no TLS handshake within the connect timeout ({seconds(timeout)})"
    verify = find_cause(exc, ssl.SSLCertVerificationError)
    if verify is not None:
        words = _VERIFY_WORDS.get(verify.verify_code)
        if words is None:  # OpenSSL's sentence for the rarer verification failures
            detail = (verify.verify_message or "").strip().rstrip(".") or "no reason given"
            words = f"the certificate failed verification ({detail[:120]})"
        return words
    if find_cause(exc, ssl.SSLEOFError) is not None:
        return "the server closed the connection during the TLS handshake"
    if find_cause(exc, ConnectionResetError) is not None:
        return "the server reset the connection during the TLS handshake"
    ssl_error = find_cause(exc, ssl.SSLError)
    reason = getattr(ssl_error, "reason", None) if ssl_error is not None else None
    if isinstance(reason, str) and reason:
        if reason in _TLS_REASONS:
            return _TLS_REASONS[reason]
        if "ALERT" in reason:
            return f"the server refused the handshake ({_openssl_words(reason)})"
        return f"the TLS handshake failed ({_openssl_words(reason)})"
    if find_cause(exc, OSError) is not None or isinstance(exc, httpx.RemoteProtocolError):
        return "the connection broke during the TLS handshake"
    return "the TLS handshake failed"


def _openssl_words(reason: str) -> str:
    """'TLSV1_ALERT_ACCESS_DENIED' -> 'tlsv1 alert access denied'."""
    return reason.lower().replace("_", " ")[:80]


# ---------------------------------------------------------------- HTTP


def _malformed(exc: httpx.HTTPError) -> str | None:
    """Our words for a response h11 refused, or None when the server simply hung up."""
    core = find_cause(exc, httpcore.RemoteProtocolError)
    if core is None:
        return None
    # h11's complaint is chained to httpcore's error; httpcore's own "disconnected" has nothing.
    cause = core.__cause__ or core.__context__
    if cause is None:
        return None
    text = str(cause).lower()
    return next((words for fragment, words in _MALFORMED if fragment in text), _NOT_HTTP)


def http_status(exc: httpx.HTTPError) -> HTTPStatus:
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    if isinstance(exc, httpx.RemoteProtocolError):
        # A response h11 could not read is an invalid answer, not a silent hang-up.
        return "error" if _malformed(exc) else "closed"
    if find_cause(exc, ConnectionResetError) is not None or isinstance(exc, httpx.ReadError):
        return "reset"
    if isinstance(exc, httpx.WriteError):
        return "reset"
    return "error"


def http_error(exc: httpx.HTTPError, read_timeout: float) -> str:
    if isinstance(exc, httpx.WriteTimeout):
        return f"the request could not be sent within the write timeout ({seconds(read_timeout)})"
    if isinstance(exc, httpx.TimeoutException):
        return f"no response within the read timeout ({seconds(read_timeout)})"
    malformed = _malformed(exc)
    if malformed is not None:
        return malformed
    status = http_status(exc)
    if status == "closed":
        return "the server closed the connection without a response"
    if status == "reset":
        return "the server reset the connection"
    return _NOT_HTTP


def body_error(exc: httpx.HTTPError, read_timeout: float) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"the body stalled for longer than the read timeout ({seconds(read_timeout)})"
    malformed = _malformed(exc)
    if malformed is not None:
        return malformed
    if find_cause(exc, ConnectionResetError) is not None or isinstance(exc, httpx.ReadError):
        return "the server reset the connection while sending the body"
    return "the connection closed before the whole body came"


def deadline_error(deadline: float) -> str:
    return f"the probe's deadline ({seconds(deadline)}) passed"
