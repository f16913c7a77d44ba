"""TLS fixtures (trustme) and TLS-level failure servers on loopback."""

from __future__ import annotations

import contextlib
import datetime
import os
import ssl
import struct
import tempfile
import weakref
from collections.abc import Sequence
from types import TracebackType
from typing import Literal, Self

import trustme

from ._loop import Conn, StreamServer, read_request_bytes

__all__ = [
    "DEFAULT_NAMES",
    "PlainOnTLSPortServer",
    "ServerCertKind",
    "TLSCloseServer",
    "TLSFixtures",
]

ServerCertKind = Literal["valid", "expired", "wrong_name", "untrusted"]

#: Names on the 'valid', 'expired' and 'untrusted' certificates.
DEFAULT_NAMES: tuple[str, ...] = (
    "localhost",
    "127.0.0.1",
    "::1",
    "origin.test",
    "shop.example.test",
)

#: The only name on the 'wrong_name' certificate.
WRONG_NAME = "other.invalid"

_KINDS: tuple[str, ...] = ("valid", "expired", "wrong_name", "untrusted")


def _unlink(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


class TLSFixtures:
    """A test CA the clients trust, a second CA they do not, and server certificates per kind.

    - ``ca``: the trusted trustme.CA; ``untrusted_ca``: a CA no client is told about.
    - ``server_context(kind)``: a fresh server SSLContext presenting a certificate of that kind:
      'valid' (for ``names``), 'expired' (for ``names``, notAfter yesterday), 'wrong_name' (only
      'other.invalid'), 'untrusted' (for ``names``, issued by ``untrusted_ca``).
    - ``client_ca_pem_path``: path of a PEM file holding only the trusted CA (removed by close()).
    - ``client_ssl_context()``: a client context trusting only the test CA (hostname checks on).
    Use as a context manager, or call close(), to remove the temporary PEM file.
    """

    def __init__(self, names: Sequence[str] = DEFAULT_NAMES) -> None:
        self.names: tuple[str, ...] = tuple(names)
        self.ca = trustme.CA(organization_name="eo-bot tests")
        self.untrusted_ca = trustme.CA(organization_name="eo-bot tests untrusted")
        self._certs: dict[str, trustme.LeafCert] = {}
        self._pem_path: str | None = None
        self._finalizer: weakref.finalize[[str], TLSFixtures] | None = None

    def cert(self, kind: ServerCertKind = "valid") -> trustme.LeafCert:
        """The (cached) leaf certificate for ``kind``."""
        if kind not in _KINDS:
            raise ValueError(f"unknown certificate kind {kind!r}; use one of {_KINDS}")
        if kind not in self._certs:
            now = datetime.datetime.now(datetime.UTC)
            if kind == "valid":
                leaf = self.ca.issue_cert(*self.names)
            elif kind == "expired":
                leaf = self.ca.issue_cert(
                    *self.names,
                    not_before=now - datetime.timedelta(days=30),
                    not_after=now - datetime.timedelta(days=1),
                )
            elif kind == "wrong_name":
                leaf = self.ca.issue_cert(WRONG_NAME)
            else:
                leaf = self.untrusted_ca.issue_cert(*self.names)
            self._certs[kind] = leaf
        return self._certs[kind]

    def server_context(self, kind: ServerCertKind = "valid") -> ssl.SSLContext:
        """A new server-side SSLContext (ALPN http/1.1) presenting the ``kind`` certificate."""
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.cert(kind).configure_cert(ctx)
        ctx.set_alpn_protocols(["http/1.1"])
        return ctx

    @property
    def client_ca_pem_path(self) -> str:
        """Path to a PEM file with the trusted test CA (written on first use)."""
        if self._pem_path is None:
            fd, path = tempfile.mkstemp(prefix="eo-test-ca-", suffix=".pem")
            with os.fdopen(fd, "wb") as f:
                f.write(self.ca.cert_pem.bytes())
            self._pem_path = path
            self._finalizer = weakref.finalize(self, _unlink, path)
        return self._pem_path

    def client_ssl_context(self) -> ssl.SSLContext:
        """A client SSLContext that trusts only the test CA (hostname checking on)."""
        ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
        ctx.load_verify_locations(cadata=self.ca.cert_pem.bytes().decode("ascii"))
        return ctx

    def close(self) -> None:
        if self._finalizer is not None:
            self._finalizer()
        self._pem_path = None
        self._finalizer = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class PlainOnTLSPortServer(StreamServer):
    """A plain-HTTP server to point TLS clients at: they get 'wrong version number'.

    A TLS ClientHello is answered with a plain ``HTTP/1.1 400`` (as nginx does), which the
    client's TLS layer cannot parse. A plain HTTP request gets ``200 plain``. ``hits`` counts
    connections; ``tls_attempts`` counts ClientHellos received.
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host=host, port=port)
        self.tls_attempts = 0

    async def handle(self, conn: Conn) -> None:
        data = await read_request_bytes(conn.reader)
        if not data:
            return
        if data[:1] == b"\x16":
            with self._lock:
                self.tls_attempts += 1
            status, body = b"400 Bad Request", b"plain HTTP server: TLS not spoken here\n"
        else:
            status, body = b"200 OK", b"plain"
        conn.writer.write(
            b"HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
            b"Connection: close\r\n\r\n%s" % (status, len(body), body)
        )
        await conn.writer.drain()


class TLSCloseServer(StreamServer):
    """Accepts and closes during the TLS handshake: the client gets an unexpected EOF.

    By default it first reads the ClientHello record (so the close is a clean FIN and the client
    sees SSLEOFError); with ``read_hello=False`` it closes at once on accept.
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, read_hello: bool = True) -> None:
        super().__init__(host=host, port=port)
        self.read_hello = read_hello

    async def handle(self, conn: Conn) -> None:
        if not self.read_hello:
            return
        header = await conn.reader.readexactly(5)
        (length,) = struct.unpack("!H", header[3:5])
        await conn.reader.readexactly(length)
