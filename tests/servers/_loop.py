"""Shared machinery: an asyncio loop in a daemon thread, and a loopback-only TCP stream server.

Every test server runs its own event loop in its own daemon thread, so it works whatever event
loop (or none) the test itself uses. Servers refuse to bind anything but a loopback address.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import ssl
import struct
import threading
import time
import weakref
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self, TypeVar

_T = TypeVar("_T")

#: How long start/stop wait for the server thread before giving up.
THREAD_TIMEOUT = 5.0


def check_loopback(host: str) -> str:
    """Return ``host`` if it is a loopback IP literal (127.0.0.0/8, ::1); else ValueError."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"test servers use loopback IP literals only, got {host!r}") from None
    if not ip.is_loopback:
        raise ValueError(f"test servers use loopback addresses only, got {host!r}")
    return host


def url_host(host: str) -> str:
    """Host as written in a URL: IPv6 literals in brackets."""
    return f"[{host}]" if ":" in host else host


def family_of(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def bind_listener(host: str, port: int = 0, backlog: int = 1024) -> socket.socket:
    """A listening TCP socket on a loopback address (ephemeral port when ``port`` is 0)."""
    check_loopback(host)
    sock = socket.socket(family_of(host), socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if sock.family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind((host, port))
        sock.listen(backlog)
    except BaseException:
        sock.close()
        raise
    return sock


# --- SNI recording -------------------------------------------------------------------------------
# A server-side SSLContext only reveals the client's SNI through sni_callback. The callback gets
# the connection's SSLObject; remember the name against it so a handler can look it up later.

_SNI_NAMES: weakref.WeakKeyDictionary[object, str | None] = weakref.WeakKeyDictionary()
_RECORDING: weakref.WeakSet[ssl.SSLContext] = weakref.WeakSet()
_SNI_LOCK = threading.Lock()


def record_sni(ctx: ssl.SSLContext) -> None:
    """Install (once) an sni_callback on ``ctx`` that remembers each connection's server name.

    An sni_callback already present on the context keeps being called.
    """
    with _SNI_LOCK:
        if ctx in _RECORDING:
            return
        previous = ctx.sni_callback

        def callback(
            ssl_obj: ssl.SSLObject, server_name: str, context: ssl.SSLContext
        ) -> int | None:
            # server_name is None when the client sent no SNI (typeshed says str)
            with contextlib.suppress(TypeError):
                _SNI_NAMES[ssl_obj] = server_name
            return previous(ssl_obj, server_name, context) if previous is not None else None

        ctx.sni_callback = callback
        _RECORDING.add(ctx)


def sni_of(ssl_obj: object | None) -> str | None:
    """The SNI name a client sent on the connection owning ``ssl_obj`` (None if none/unknown)."""
    if ssl_obj is None:
        return None
    try:
        return _SNI_NAMES.get(ssl_obj)
    except TypeError:
        return None


def wait_until(predicate: Callable[[], bool], timeout: float = 1.0, interval: float = 0.01) -> bool:
    """Poll ``predicate`` until true or ``timeout``; for counters a server thread updates later
    (e.g. ``tls_failures`` after a client has already seen its handshake fail)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True


# --- the public surface every server shares ------------------------------------------------------


class Endpoint:
    """``port``, ``address`` and the context-manager protocol; subclasses start and stop."""

    host: str
    _port: int | None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return self._port

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


# --- event loop in a thread ----------------------------------------------------------------------


class LoopThread:
    """Owns an asyncio event loop running in a daemon thread."""

    def __init__(self, name: str) -> None:
        self._thread_name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        #: Unexpected errors seen by the server (handler exceptions, loop errors), for debugging.
        self.errors: list[str] = []

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeError(f"{type(self).__name__} is not running")
        return self._loop

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _start_loop(self) -> None:
        loop = asyncio.new_event_loop()
        loop.set_exception_handler(self._on_loop_error)
        self._loop = loop
        self._thread = threading.Thread(
            target=self._run_loop, args=(loop,), name=self._thread_name, daemon=True
        )
        self._thread.start()

    def _run_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
        finally:
            try:
                pending = asyncio.all_tasks(loop)
                for task in pending:
                    task.cancel()
                if pending:
                    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.run_until_complete(loop.shutdown_default_executor())
            finally:
                asyncio.set_event_loop(None)
                loop.close()

    def _on_loop_error(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        self.errors.append(f"loop: {context.get('message')}: {exc!r}")

    def _call(self, coro: Coroutine[Any, Any, _T], timeout: float = THREAD_TIMEOUT) -> _T:
        """Run ``coro`` on the server loop and wait for its result from another thread."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def _stop_loop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(loop.stop)
        thread.join(THREAD_TIMEOUT)
        self._thread = None
        self._loop = None

    def _record_error(self, where: str, exc: BaseException) -> None:
        self.errors.append(f"{where}: {type(exc).__name__}: {exc}")


# --- TCP stream server ---------------------------------------------------------------------------


@dataclass(eq=False)
class Conn:
    """One accepted connection, as seen by a server's handler."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    #: The plain TCP transport (stays the same after start_tls); used to reset/abort.
    raw: asyncio.BaseTransport
    peer: tuple[str, int]
    tls: bool = False
    sni: str | None = None
    task: asyncio.Task[Any] | None = field(default=None, repr=False)

    def reset(self) -> None:
        """Close with SO_LINGER (1, 0): the kernel sends RST instead of FIN."""
        sock = self.raw.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.raw.abort()  # type: ignore[attr-defined]

    async def start_tls(self, ctx: ssl.SSLContext, handshake_timeout: float) -> None:
        record_sni(ctx)
        async with asyncio.timeout(handshake_timeout):
            await self.writer.start_tls(ctx)
        self.tls = True
        self.sni = sni_of(self.writer.get_extra_info("ssl_object"))


class StreamServer(Endpoint, LoopThread):
    """A loopback TCP server running ``handle(conn)`` for each connection in its own thread's loop.

    With ``ssl_context`` the TLS handshake is done before ``handle`` is called (unless the
    subclass sets ``_handshake_first = False``); failed handshakes are counted in
    ``tls_failures``. ``hits`` counts accepted connections (subclasses may count requests).
    """

    #: Whether the base class performs the TLS handshake before calling handle().
    _handshake_first = True
    handshake_timeout = 5.0

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
        backlog: int = 1024,
    ) -> None:
        super().__init__(f"eo-test-{type(self).__name__}")
        self.host = check_loopback(host)
        self._requested_port = port
        self._port: int | None = None
        self.ssl_context = ssl_context
        self._backlog = backlog
        self._server: asyncio.Server | None = None
        self._conns: set[Conn] = set()
        self._raw_transports: list[asyncio.BaseTransport] = []
        self._hits = 0
        self._connections = 0
        #: Number of TLS handshakes that failed (with ``ssl_context``).
        self.tls_failures = 0

    # public surface -----------------------------------------------------------------------------

    @property
    def hits(self) -> int:
        with self._lock:
            return self._hits

    @property
    def connections(self) -> int:
        """Accepted TCP connections."""
        with self._lock:
            return self._connections

    def start(self) -> Self:
        if self.running:
            return self
        sock = bind_listener(self.host, self._requested_port, self._backlog)
        self._port = sock.getsockname()[1]
        self._start_loop()
        try:
            self._server = self._call(self._serve(sock))
        except BaseException:
            sock.close()
            self._stop_loop()
            raise
        return self

    def stop(self) -> None:
        if self._loop is None:
            return
        if self.running:
            with contextlib.suppress(Exception):
                self._call(self._shutdown())
        self._stop_loop()

    # internals ----------------------------------------------------------------------------------

    def _hit(self) -> None:
        with self._lock:
            self._hits += 1

    def _counts_connections_as_hits(self) -> bool:
        return True

    async def _serve(self, sock: socket.socket) -> asyncio.Server:
        # create_server listens again on the socket: pass the backlog or it drops to 100
        return await asyncio.start_server(
            self._on_connection, sock=sock, limit=1 << 20, backlog=self._backlog
        )

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        for transport in self._raw_transports:
            transport.abort()  # type: ignore[attr-defined]
        tasks = [c.task for c in self._conns if c.task is not None]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
        # let connection_lost callbacks run so every socket is closed before the loop stops
        for _ in range(3):
            await asyncio.sleep(0)

    async def _on_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        peer = writer.get_extra_info("peername") or ("", 0)
        conn = Conn(
            reader, writer, writer.transport, (peer[0], peer[1]), task=asyncio.current_task()
        )
        self._conns.add(conn)
        self._raw_transports.append(writer.transport)
        with self._lock:
            self._connections += 1
            if self._counts_connections_as_hits():
                self._hits += 1
        try:
            if self.ssl_context is not None and self._handshake_first:
                try:
                    await conn.start_tls(self.ssl_context, self.handshake_timeout)
                except (OSError, EOFError, TimeoutError):
                    with self._lock:
                        self.tls_failures += 1
                    return
            await self.handle(conn)
        except asyncio.CancelledError:
            pass  # only the server's own shutdown cancels handlers: end quietly
        except (ConnectionError, EOFError, ssl.SSLError, asyncio.IncompleteReadError):
            pass  # the client went away: nothing to do
        except Exception as exc:
            self._record_error("handler", exc)
        finally:
            self._conns.discard(conn)
            if not conn.raw.is_closing():
                conn.writer.close()

    async def handle(self, conn: Conn) -> None:
        raise NotImplementedError


async def read_request_bytes(reader: asyncio.StreamReader) -> bytes:
    """Read what a client sends first: an HTTP request head (plus a Content-Length body),
    or, when a TLS client talks to a plain port, one complete TLS record (the ClientHello).

    Returns b"" if the client closed before sending anything.
    """
    first = await reader.read(1)
    if not first:
        return b""
    if first == b"\x16":  # TLS handshake record: read the whole record
        header = first + await reader.readexactly(4)
        (length,) = struct.unpack("!H", header[3:5])
        return header + await reader.readexactly(length)
    head = first + await reader.readuntil(b"\r\n\r\n")
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and value.strip().isdigit():
            return head + await reader.readexactly(int(value.strip()))
    return head
