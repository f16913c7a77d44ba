"""The HTTP listener: an aiohttp application behind a guard on its connections.

aiohttp's server keeps a connection that sends nothing, or sends its headers a byte at a time,
for as long as its keep-alive timeout (an hour by default), and it has no cap on connections.
About a thousand such sockets exhaust the common 1024 open-file limit: accept() then fails and
``/healthz`` and Slack's requests time out. The guard wraps each connection's protocol:

- a connection must deliver a complete request within ``header_timeout``, counted from when it
  opens or, on a kept-alive connection, from the first byte of the next request (the handler then
  reads the body within the same time, see ``bot.slack.http``);
- between requests a connection may stay idle for ``idle_timeout``;
- at most ``max_connections`` are open (within half the open-file limit, less one accept burst;
  the rest is for the Web API, probes and the process itself): one more closes the connection
  that has been waiting longest without a request in progress; a request being handled is never
  cut.

``raise_open_file_limit`` lifts the soft RLIMIT_NOFILE to the hard one at start-up.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import resource
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from bot.config import HTTPLimits
from bot.slack.logs import Throttled

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SHUTDOWN_TIMEOUT = 3.0  # seconds requests in progress get to finish when the listener stops
BACKLOG = 128  # the listen queue; a smaller one drops SYNs under an ordinary burst
MIN_CAP = 16


def raise_open_file_limit() -> tuple[int, int]:
    """Raise the soft open-file limit to the hard limit; returns (before, after)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft == resource.RLIM_INFINITY or soft >= hard:
        return soft, soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ValueError, OSError) as exc:
        log.warning("could not raise the open-file limit from %d to %d: %s", soft, hard, exc)
        return soft, soft
    return soft, hard


def open_file_limit() -> int | None:
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return None if soft == resource.RLIM_INFINITY else soft


def connection_cap(wanted: int, files: int | None) -> int:
    """``wanted``, but within half the open-file limit, less one accept burst (asyncio accepts up
    to ``BACKLOG`` sockets before any of them can be turned away); the other half is for the Web
    API, probes and the process itself."""
    if files is None:
        return wanted
    return min(wanted, max(MIN_CAP, files // 2 - BACKLOG))


class _Phase(enum.Enum):
    WAITING = "waiting for a request"
    BUSY = "handling a request"
    IDLE = "idle"


class _Connection(asyncio.Protocol):
    """Delegates to aiohttp's protocol and reports what the connection is doing to the guard."""

    def __init__(self, inner: asyncio.Protocol, guard: ConnectionGuard) -> None:
        self.inner = inner
        self.guard = guard
        self.transport: asyncio.Transport | None = None
        self.phase = _Phase.WAITING
        self.timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.inner.connection_made(transport)
        self.guard.opened(self)

    def data_received(self, data: bytes) -> None:
        if self.phase is _Phase.IDLE:
            self.guard.waiting(self)
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self.guard.closed(self)
        self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()


class ConnectionGuard:
    """Timeouts and a cap for the connections of one listener (see the module docstring)."""

    def __init__(self, limits: HTTPLimits) -> None:
        self.limits = limits
        self.cap = connection_cap(limits.max_connections, open_file_limit())
        self._open: dict[asyncio.BaseTransport, _Connection] = {}
        # Connections without a request in progress, the longest waiting first.
        self._evictable: OrderedDict[_Connection, None] = OrderedDict()
        self._throttled = Throttled(log)

    @property
    def open_connections(self) -> int:
        return len(self._open)

    def wrap(self, inner: asyncio.Protocol) -> asyncio.Protocol:
        return _Connection(inner, self)

    # -- what the connections report -------------------------------------------------------------

    def opened(self, conn: _Connection) -> None:
        assert conn.transport is not None
        self._open[conn.transport] = conn
        self.waiting(conn)
        if len(self._open) > self.cap:
            victim = next(iter(self._evictable))
            self._throttled.warning(
                "cap",
                "%d connections open (EO_HTTP_MAX_CONNECTIONS or half the open-file limit): "
                "closed the one %s longest",
                self.cap,
                victim.phase.value,
            )
            self._close(victim)

    def waiting(self, conn: _Connection) -> None:
        self._set(conn, _Phase.WAITING, self.limits.header_timeout)

    def busy(self, conn: _Connection) -> None:
        self._set(conn, _Phase.BUSY, None)

    def idle(self, conn: _Connection) -> None:
        self._set(conn, _Phase.IDLE, self.limits.idle_timeout)

    def closed(self, conn: _Connection) -> None:
        if conn.timer is not None:
            conn.timer.cancel()
            conn.timer = None
        if conn.transport is not None:
            self._open.pop(conn.transport, None)
        self._evictable.pop(conn, None)

    # -- the aiohttp side --------------------------------------------------------------------------

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        conn = self._open.get(request.transport) if request.transport is not None else None
        if conn is not None:
            self.busy(conn)
        try:
            return await handler(request)
        finally:
            if conn is not None and conn.transport is not None and not conn.transport.is_closing():
                self.idle(conn)

    # -- internals ---------------------------------------------------------------------------------

    def _set(self, conn: _Connection, phase: _Phase, timeout: float | None) -> None:
        conn.phase = phase
        if conn.timer is not None:
            conn.timer.cancel()
            conn.timer = None
        if timeout is None:
            self._evictable.pop(conn, None)
            return
        self._evictable[conn] = None
        self._evictable.move_to_end(conn)
        conn.timer = asyncio.get_running_loop().call_later(timeout, self._expire, conn)

    def _expire(self, conn: _Connection) -> None:
        conn.timer = None
        if conn.phase is _Phase.WAITING:
            self._throttled.info(
                "slow",
                "closed a connection that sent no complete request within %g s "
                "(EO_HTTP_HEADER_TIMEOUT)",
                self.limits.header_timeout,
            )
        self._close(conn)

    def _close(self, conn: _Connection) -> None:
        self.closed(conn)
        if conn.transport is not None:
            conn.transport.close()

    def close_idle(self) -> None:
        """Close every connection without a request in progress (at shutdown: the requests being
        handled are left to finish under aiohttp's own shutdown)."""
        for conn in list(self._evictable):
            self._close(conn)


class _ServerLog(logging.LoggerAdapter[logging.Logger]):
    """aiohttp's server logs every malformed HTTP request (from anyone on the internet) at ERROR
    with a traceback; here each becomes one throttled line. Other errors keep their traceback."""

    def __init__(self) -> None:
        super().__init__(logging.getLogger("aiohttp.server"), {})
        self._throttled = Throttled(log)

    def log(self, level: int, msg: object, *args: Any, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info")
        if isinstance(exc, HttpProcessingError):
            peer = args[0] if args else "?"
            what = " ".join(str(exc.message).split())[:120]
            if level <= logging.DEBUG:
                log.debug("refused a malformed HTTP request from %s: %s", peer, what)
            else:
                self._throttled.info(
                    "malformed", "refused a malformed HTTP request from %s: %s", peer, what
                )
            return
        super().log(level, msg, *args, **kwargs)


class _AcceptErrors(logging.Filter):
    """When accept() runs out of file descriptors, asyncio logs an ERROR with a traceback on
    every attempt (and pauses accepting for a second): one throttled line instead."""

    def __init__(self) -> None:
        super().__init__()
        self._throttled = Throttled(log)

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith("socket.accept() out of system resource"):
            return True
        self._throttled.warning(
            "accept",
            "cannot accept connections: out of file descriptors (open-file limit %s); "
            "new connections wait",
            open_file_limit(),
        )
        return False


def _filter_accept_errors() -> None:
    logger = logging.getLogger("asyncio")
    if not any(isinstance(f, _AcceptErrors) for f in logger.filters):
        logger.addFilter(_AcceptErrors())


class GuardedSite(web.BaseSite):
    """A TCP site whose connections go through a ``ConnectionGuard``."""

    def __init__(
        self, runner: web.BaseRunner, host: str, port: int, *, guard: ConnectionGuard
    ) -> None:
        super().__init__(runner)
        self._host = host
        self._port = port
        self._guard = guard

    @property
    def name(self) -> str:
        return f"http://{self._host}:{self.port}"

    @property
    def port(self) -> int:
        """The bound port (useful with port 0)."""
        if isinstance(self._server, asyncio.Server) and self._server.sockets:
            port: int = self._server.sockets[0].getsockname()[1]
            return port
        return self._port

    async def start(self) -> None:
        await super().start()
        server = self._runner.server
        assert server is not None
        guard = self._guard
        self._server = await asyncio.get_running_loop().create_server(
            lambda: guard.wrap(server()),
            self._host,
            self._port,
            backlog=BACKLOG,
            reuse_address=True,
        )

    async def stop(self) -> None:
        await super().stop()
        self._guard.close_idle()


async def start_listener(
    app: web.Application, *, host: str, port: int, guard: ConnectionGuard
) -> tuple[web.AppRunner, GuardedSite]:
    """Serve ``app`` (built with ``guard.middleware``) on ``host:port``."""
    _filter_accept_errors()
    runner = web.AppRunner(
        app,
        access_log=None,
        # aiohttp's own keep-alive timer agrees with the guard's; the guard also covers the time
        # before the first request and slow headers.
        keepalive_timeout=guard.limits.idle_timeout,
        handle_signals=False,
        shutdown_timeout=SHUTDOWN_TIMEOUT,
        logger=_ServerLog(),
    )
    await runner.setup()
    site = GuardedSite(runner, host, port, guard=guard)
    await site.start()
    return runner, site
