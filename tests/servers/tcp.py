"""TCP-level failures on loopback: refused, SYN dropped, reset, closed, silent; plus a canary."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from typing import Self

from ._loop import (
    Conn,
    Endpoint,
    StreamServer,
    bind_listener,
    check_loopback,
    family_of,
    read_request_bytes,
)

__all__ = [
    "CanaryServer",
    "CloseAfterRequestServer",
    "FullBacklogServer",
    "RawResponseServer",
    "ResetAfterRequestServer",
    "SilentServer",
    "closed_port",
]


def closed_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on: bind an ephemeral port, note it, close it (connect → refused)."""
    check_loopback(host)
    with socket.socket(family_of(host), socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
    return port


class FullBacklogServer(Endpoint):
    """A listener with ``listen(0)`` whose accept queue is filled by idle client connections.

    It never accepts, so the kernel drops further SYNs and a client's connect times out (Linux).
    ``hits`` is always 0; ``fillers`` is the number of idle connections that fill the queue.
    """

    def __init__(self, host: str = "127.0.0.1", *, max_fillers: int = 4) -> None:
        self.host = check_loopback(host)
        self._max_fillers = max_fillers
        self._listener: socket.socket | None = None
        self._fillers: list[socket.socket] = []
        self._port: int | None = None

    @property
    def hits(self) -> int:
        return 0

    @property
    def fillers(self) -> int:
        return len(self._fillers)

    def start(self) -> Self:
        if self._listener is not None:
            return self
        self._listener = bind_listener(self.host, 0, backlog=0)
        self._port = self._listener.getsockname()[1]
        try:
            # The first idle connection normally fills a backlog of 0; keep adding fillers until a
            # connect no longer completes quickly, which shows SYNs are now being dropped.
            for i in range(self._max_fillers + 1):
                client = socket.socket(family_of(self.host), socket.SOCK_STREAM)
                client.settimeout(2.0 if i == 0 else 0.05)
                try:
                    client.connect((self.host, self._port))
                except TimeoutError:
                    client.close()
                    return self
                except BaseException:
                    client.close()
                    raise
                self._fillers.append(client)
            raise RuntimeError("could not fill the accept queue: SYNs are not being dropped")
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        for client in self._fillers:
            client.close()
        self._fillers.clear()
        if self._listener is not None:
            self._listener.close()
            self._listener = None


class _RequestServer(StreamServer):
    """Base for servers that read the client's first message; keeps it in ``received``."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        super().__init__(host=host, port=port, ssl_context=ssl_context)
        #: What each connection sent first (an HTTP head + body, or a TLS ClientHello record).
        self.received: list[bytes] = []

    async def _read(self, conn: Conn) -> bytes:
        data = await read_request_bytes(conn.reader)
        self.received.append(data)
        return data


class ResetAfterRequestServer(_RequestServer):
    """Reads the request (after the TLS handshake with ``ssl_context``), then resets (RST).

    A TLS client talking to the plain server gets reset right after its ClientHello.
    """

    async def handle(self, conn: Conn) -> None:
        await self._read(conn)
        conn.reset()


class CloseAfterRequestServer(_RequestServer):
    """Reads the request, then closes normally without answering (FIN; close_notify under TLS)."""

    async def handle(self, conn: Conn) -> None:
        await self._read(conn)


class SilentServer(_RequestServer):
    """Accepts, reads the request, then never answers; closes when the client does.

    With ``silent_before_read=True`` it does not read anything (and does no TLS handshake even
    with ``ssl_context``): the connection just sits until the client gives up or the server stops.
    A TLS client connecting to a plain SilentServer sees a handshake timeout.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
        silent_before_read: bool = False,
    ) -> None:
        super().__init__(host=host, port=port, ssl_context=ssl_context)
        self.silent_before_read = silent_before_read
        self._handshake_first = not silent_before_read

    async def handle(self, conn: Conn) -> None:
        if self.silent_before_read:
            with contextlib.suppress(AttributeError, RuntimeError):
                conn.raw.pause_reading()  # type: ignore[attr-defined]
            await asyncio.Event().wait()  # until the server stops
            return
        await self._read(conn)
        while await conn.reader.read(65536):
            pass


class RawResponseServer(_RequestServer):
    """Reads the request, writes ``payload`` byte for byte (nothing added), then closes.

    For answers no well-behaved server would send: broken status lines, control bytes in
    headers, oversized heads, bodies that lie about their encoding. ``payload`` may be a list of
    pieces written ``gap`` seconds apart; ``keep_open`` leaves the connection open afterwards.
    """

    def __init__(
        self,
        payload: bytes | list[bytes],
        *,
        gap: float = 0.0,
        keep_open: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        super().__init__(host=host, port=port, ssl_context=ssl_context)
        self.pieces = [payload] if isinstance(payload, bytes) else list(payload)
        self.gap = gap
        self.keep_open = keep_open

    async def handle(self, conn: Conn) -> None:
        if not await self._read(conn):
            return
        for index, piece in enumerate(self.pieces):
            if index and self.gap:
                await asyncio.sleep(self.gap)
            conn.writer.write(piece)
            await conn.writer.drain()
        if self.keep_open:
            while await conn.reader.read(65536):
                pass


class CanaryServer(_RequestServer):
    """Counts connections in ``hits`` and answers a minimal ``200 canary``; used to prove that
    nothing was sent to it (``hits`` must stay 0)."""

    async def handle(self, conn: Conn) -> None:
        if not await self._read(conn):
            return
        body = b"canary"
        conn.writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        )
        await conn.writer.drain()
