"""A small HTTP/1.1 server on loopback: per-path responses, delays, TLS and SNI capture."""

from __future__ import annotations

import inspect
import ssl
from collections.abc import Awaitable, Callable, Mapping, Sequence

from ._http1 import RecordedRequest, Response, redirect_to, serve_http
from ._loop import Conn, StreamServer, url_host

__all__ = ["HTTPServer", "RecordedRequest", "Response", "RouteSpec", "redirect_to"]

#: What a path answers: one Response; a list of Responses given in turn (the last one repeats);
#: or a function of the request returning a Response (may be async).
RouteSpec = (
    Response | Sequence[Response] | Callable[[RecordedRequest], Response | Awaitable[Response]]
)


class _Route:
    def __init__(self, spec: RouteSpec) -> None:
        if not isinstance(spec, Response) and not callable(spec) and not spec:
            raise ValueError("a response sequence needs at least one Response")
        self.spec = spec
        self.calls = 0

    async def respond(self, req: RecordedRequest) -> Response:
        spec = self.spec
        index = self.calls
        self.calls += 1
        if isinstance(spec, Response):
            return spec
        if callable(spec):
            result = spec(req)
            if inspect.isawaitable(result):
                result = await result
            if not isinstance(result, Response):
                raise TypeError(f"route handler returned {result!r}, not a Response")
            return result
        return spec[min(index, len(spec) - 1)]


class HTTPServer(StreamServer):
    """HTTP/1.1 server (keep-alive, many concurrent connections) in a background thread.

    ``routes`` maps exact paths (query string ignored) to a RouteSpec; other paths get the default
    response built from ``status``/``headers``/``body``/``reason``/``first_byte_delay``, or, when
    ``sequence`` is given, the responses of ``sequence`` in turn. Every request is appended to
    ``requests`` (a RecordedRequest with method, target, headers, body, client, tls, sni);
    ``hits`` counts requests and ``connections`` accepted connections.
    """

    def __init__(
        self,
        routes: Mapping[str, RouteSpec] | None = None,
        *,
        status: int = 200,
        headers: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
        body: bytes = b"ok",
        reason: str | None = None,
        first_byte_delay: float = 0.0,
        sequence: Sequence[Response] | None = None,
        ssl_context: ssl.SSLContext | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(host=host, port=port, ssl_context=ssl_context)
        default: RouteSpec
        if sequence is not None:
            default = list(sequence)
        else:
            default = Response(
                status=status,
                headers=dict(headers) if isinstance(headers, Mapping) else list(headers or ()),
                body=body,
                reason=reason,
                first_byte_delay=first_byte_delay,
            )
        self._default = _Route(default)
        self._routes = {path: _Route(spec) for path, spec in (routes or {}).items()}
        #: Every request received, in arrival order.
        self.requests: list[RecordedRequest] = []

    @property
    def scheme(self) -> str:
        return "https" if self.ssl_context is not None else "http"

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:PORT`` (no trailing slash)."""
        return f"{self.scheme}://{url_host(self.host)}:{self.port}"

    def url_for(self, path: str = "/") -> str:
        return self.url + path

    def set_route(self, path: str, spec: RouteSpec) -> None:
        """Add or replace the route for ``path`` (its sequence position restarts)."""
        route = _Route(spec)
        self._routes[path] = route  # a single dict store: atomic, safe from any thread

    def _counts_connections_as_hits(self) -> bool:
        return False

    def _record(self, req: RecordedRequest) -> None:
        self.requests.append(req)
        self._hit()

    async def _respond(self, req: RecordedRequest) -> Response:
        return await self._routes.get(req.path, self._default).respond(req)

    async def handle(self, conn: Conn) -> None:
        await serve_http(conn, self._respond, self._record)
