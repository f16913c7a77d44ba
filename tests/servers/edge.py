"""FakeEdge: a tiny EdgeOne-like reverse proxy on loopback, for end-to-end probe tests.

Per request (HTTP/1.1, keep-alive): every answer carries ``EO-LOG-UUID`` (a unique numeric
string); ``Server: TencentEdgeOne`` is added unless the origin sent a Server header. Host not in
``sites`` → 418; ``CDN-Loop: TencentEdgeOne; loops=N`` with N >= 16 → 423. Otherwise the request
is forwarded to the site's origin (one connection per request) with ``CDN-Loop: ...; loops=N+1``,
``EO-LOG-UUID``, ``EO-Connecting-IP``, ``X-Forwarded-For`` and ``X-Forwarded-Proto`` added, and
origin failures are mapped to EdgeOne's codes:

==========================================================  ====
origin hostname does not resolve (or resolves off loopback)  523
connection refused                                           521
connect timeout (``connect_timeout``) / other connect error  522
TLS handshake or certificate failure (scheme https)          525
reset, or closed without a (valid) response                  520
no response head / body before ``origin_timeout``            524
==========================================================  ====

Anything else is passed through: status, reason, headers (minus hop-by-hop ones; the body is
re-framed with Content-Length) and body, plus ``EO-Cache-Status: MISS``.
The edge never connects anywhere but loopback.
"""

from __future__ import annotations

import asyncio
import html
import ipaddress
import random
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import dns.asyncresolver
import dns.exception
import dns.nameserver
import dns.resolver

from ._http1 import (
    HOP_BY_HOP,
    ProtocolError,
    RecordedRequest,
    Response,
    get_header,
    no_body_status,
    parse_head,
    parse_status_line,
    read_body,
    read_head,
    reason_for,
    serve_http,
)
from ._loop import Conn, StreamServer, check_loopback, url_host

__all__ = ["LOOP_LIMIT", "EdgeOutcome", "FakeEdge", "OriginSpec"]

#: ``CDN-Loop`` loops value at which the edge answers 423.
LOOP_LIMIT = 16

OutcomeKind = Literal[
    "ok",
    "no_host",
    "unknown_host",
    "loop",
    "dns_failed",
    "refused",
    "connect_timeout",
    "connect_error",
    "tls_failed",
    "reset",
    "closed",
    "bad_response",
    "timeout",
]


@dataclass(frozen=True)
class OriginSpec:
    """Where a site's origin is and how to reach it.

    ``host``: a loopback IP literal, or a hostname resolved through ``resolve`` (a static
    name → IP map) and then ``dns_server`` ((host, port) of a loopback DNS server); a name that
    neither resolves gives 523. ``host_header``: Host sent to the origin (default: the client's).
    ``sni``: TLS server name for https origins (default: the Host sent to the origin, without port).
    """

    host: str
    port: int
    scheme: Literal["http", "https"] = "http"
    resolve: Mapping[str, str] | None = None
    dns_server: tuple[str, int] | None = None
    host_header: str | None = None
    sni: str | None = None

    def __post_init__(self) -> None:
        if self.scheme not in ("http", "https"):
            raise ValueError(f"scheme must be http or https, not {self.scheme!r}")
        if _ip_or_none(self.host) is not None:
            check_loopback(self.host)
        if self.dns_server is not None:
            check_loopback(self.dns_server[0])

    @classmethod
    def from_url(cls, url: str, **kwargs: object) -> OriginSpec:
        """``OriginSpec.from_url("https://127.0.0.1:8443")`` (default ports 80/443)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"bad origin URL {url!r}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return cls(parts.hostname, port, parts.scheme, **kwargs)  # type: ignore[arg-type]


@dataclass(frozen=True)
class EdgeOutcome:
    """What the edge did with one request."""

    uuid: str
    host: str | None
    method: str
    target: str
    status: int
    kind: OutcomeKind
    detail: str = ""
    #: (ip, port) the edge connected to (None if it never tried).
    origin: tuple[str, int] | None = None
    #: Status the origin answered (pass-through only).
    origin_status: int | None = None
    #: When the edge finished with the request (what EdgeOne's log line is stamped with).
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


class _OriginFailure(Exception):
    def __init__(self, status: int, kind: OutcomeKind, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.kind = kind
        self.detail = detail


def _ip_or_none(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _split_host(value: str) -> str:
    """Host header → lower-case hostname without port or IPv6 brackets."""
    value = value.strip()
    if value.startswith("["):
        return value[1 : value.find("]")].lower() if "]" in value else value.lower()
    if value.count(":") == 1:
        value = value.split(":", 1)[0]
    return value.lower().rstrip(".")


def parse_cdn_loop(value: str | None) -> tuple[int, list[str]]:
    """(EdgeOne loops count, the other CDN-Loop entries) from a CDN-Loop header value."""
    loops = 0
    others: list[str] = []
    for entry in (value or "").split(","):
        entry = entry.strip()
        if not entry:
            continue
        cdn_id, *params = (p.strip() for p in entry.split(";"))
        if cdn_id.lower() != "tencentedgeone":
            others.append(entry)
            continue
        for param in params:
            key, _, val = param.partition("=")
            if key.strip().lower() == "loops" and val.strip().strip('"').isdigit():
                loops = max(loops, int(val.strip().strip('"')))
    return loops, others


_ERROR_TEXT = {
    400: "Bad request: no Host header.",
    418: "This domain is not configured on this node.",
    423: "Request loop detected (CDN-Loop).",
    520: "The origin reset or closed the connection without a valid response.",
    521: "The origin refused the connection.",
    522: "Connecting to the origin timed out.",
    523: "The origin hostname could not be resolved.",
    524: "The origin did not respond in time.",
    525: "The TLS handshake with the origin failed.",
}


class FakeEdge(StreamServer):
    """EdgeOne-like reverse proxy on loopback (see the module docstring for behaviour).

    ``sites`` maps the public hostname (no port, any case) to an OriginSpec or an origin URL
    string. ``origin_ca``: PEM file the edge uses to verify https origins (hostname = SNI); None
    means no verification. ``dns_server``: default for origins without their own.
    ``requests`` records client requests (RecordedRequest); ``outcomes`` an EdgeOutcome per request;
    ``hits`` counts requests.
    """

    def __init__(
        self,
        sites: Mapping[str, OriginSpec | str],
        *,
        origin_timeout: float = 1.0,
        connect_timeout: float = 1.0,
        origin_ca: str | Path | None = None,
        dns_server: tuple[str, int] | None = None,
        ssl_context: ssl.SSLContext | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(host=host, port=port, ssl_context=ssl_context)
        self.sites: dict[str, OriginSpec] = {
            _split_host(name): spec if isinstance(spec, OriginSpec) else OriginSpec.from_url(spec)
            for name, spec in sites.items()
        }
        self.origin_timeout = origin_timeout
        self.connect_timeout = connect_timeout
        if dns_server is not None:
            check_loopback(dns_server[0])
        self.dns_server = dns_server
        self._origin_tls = self._make_origin_context(origin_ca)
        self.requests: list[RecordedRequest] = []
        self.outcomes: list[EdgeOutcome] = []
        self._uuids: set[str] = set()
        self._random = random.Random()

    @property
    def scheme(self) -> str:
        return "https" if self.ssl_context is not None else "http"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{url_host(self.host)}:{self.port}"

    @staticmethod
    def _make_origin_context(origin_ca: str | Path | None) -> ssl.SSLContext:
        if origin_ca is not None:
            return ssl.create_default_context(cafile=str(origin_ca))
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx

    def _counts_connections_as_hits(self) -> bool:
        return False

    def _record(self, req: RecordedRequest) -> None:
        self.requests.append(req)
        self._hit()

    def _new_uuid(self) -> str:
        while True:
            uuid = str(self._random.randrange(10**18, 10**19))
            if uuid not in self._uuids:
                self._uuids.add(uuid)
                return uuid

    async def handle(self, conn: Conn) -> None:
        await serve_http(conn, self._respond, self._record)

    # request handling ---------------------------------------------------------------------------

    async def _respond(self, req: RecordedRequest) -> Response:
        uuid = self._new_uuid()
        host = _split_host(req.host) if req.host else None

        def done(
            status: int,
            kind: OutcomeKind,
            detail: str = "",
            origin: tuple[str, int] | None = None,
            origin_status: int | None = None,
        ) -> None:
            self.outcomes.append(
                EdgeOutcome(
                    uuid, host, req.method, req.target, status, kind, detail, origin, origin_status
                )
            )

        if not host:
            done(400, "no_host")
            return self._error_page(400, uuid)
        spec = self.sites.get(host)
        if spec is None:
            done(418, "unknown_host", f"no site for {host!r}")
            return self._error_page(418, uuid)
        loops, other_cdns = parse_cdn_loop(req.header("cdn-loop"))
        if loops >= LOOP_LIMIT:
            done(423, "loop", f"loops={loops}")
            return self._error_page(423, uuid)
        origin: tuple[str, int] | None = None
        try:
            ip = await self._resolve(spec)
            origin = (ip, spec.port)
            status, reason, headers, body = await self._pull(req, spec, ip, uuid, loops, other_cdns)
        except _OriginFailure as failure:
            done(failure.status, failure.kind, failure.detail, origin)
            return self._error_page(failure.status, uuid)
        done(status, "ok", "", origin, status)
        return self._pass_through(req, status, reason, headers, body, uuid)

    def _error_page(self, status: int, uuid: str) -> Response:
        title = f"{status} {reason_for(status)}"
        body = (
            f"<html><head><title>{html.escape(title)}</title></head><body>"
            f"<h1>{html.escape(title)}</h1><p>{html.escape(_ERROR_TEXT.get(status, ''))}</p>"
            f"<p>EO-LOG-UUID: {uuid}</p><hr><center>TencentEdgeOne</center></body></html>\n"
        ).encode()
        headers = [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Server", "TencentEdgeOne"),
            ("EO-LOG-UUID", uuid),
        ]
        return Response(status=status, headers=headers, body=body)

    def _pass_through(
        self,
        req: RecordedRequest,
        status: int,
        reason: str,
        headers: list[tuple[str, str]],
        body: bytes,
        uuid: str,
    ) -> Response:
        keep_length = req.method == "HEAD" or no_body_status(status)
        out = [
            (k, v)
            for k, v in headers
            if k.lower() not in HOP_BY_HOP
            and k.lower() != "eo-log-uuid"
            and (keep_length or k.lower() != "content-length")
        ]
        if get_header(out, "server") is None:
            out.append(("Server", "TencentEdgeOne"))
        out.append(("EO-Cache-Status", "MISS"))
        out.append(("EO-LOG-UUID", uuid))
        return Response(status=status, headers=out, body=body, reason=reason or None)

    # origin side --------------------------------------------------------------------------------

    async def _resolve(self, spec: OriginSpec) -> str:
        if _ip_or_none(spec.host) is not None:
            return spec.host
        name = spec.host.lower().rstrip(".")
        static = {k.lower().rstrip("."): v for k, v in (spec.resolve or {}).items()}
        dns_server = spec.dns_server or self.dns_server
        if name in static:
            address = static[name]
        elif dns_server is not None:
            address = await self._query(name, dns_server)
        else:
            raise _OriginFailure(523, "dns_failed", f"no resolver for {name!r}")
        ip = _ip_or_none(address)
        if ip is None or not ip.is_loopback:
            raise _OriginFailure(523, "dns_failed", f"{name!r} → {address!r} is not loopback")
        return str(ip)

    async def _query(self, name: str, server: tuple[str, int]) -> str:
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = [dns.nameserver.Do53Nameserver(server[0], port=server[1])]
        budget = min(1.0, self.origin_timeout)
        resolver.timeout = resolver.lifetime = budget
        try:
            async with asyncio.timeout(budget + 0.5):
                for rdtype in ("A", "AAAA"):
                    try:
                        answer = await resolver.resolve(name, rdtype)
                    except dns.resolver.NoAnswer:
                        continue
                    return str(answer[0].to_text())
        except dns.resolver.NXDOMAIN as exc:
            raise _OriginFailure(523, "dns_failed", f"NXDOMAIN for {name!r}") from exc
        except dns.resolver.NoNameservers as exc:
            raise _OriginFailure(523, "dns_failed", f"SERVFAIL/REFUSED for {name!r}") from exc
        except (dns.exception.Timeout, TimeoutError) as exc:
            raise _OriginFailure(523, "dns_failed", f"DNS timeout for {name!r}") from exc
        except dns.exception.DNSException as exc:
            raise _OriginFailure(523, "dns_failed", f"DNS error for {name!r}: {exc}") from exc
        raise _OriginFailure(523, "dns_failed", f"no A/AAAA records for {name!r}")

    def _origin_request(
        self, req: RecordedRequest, spec: OriginSpec, uuid: str, loops: int, others: list[str]
    ) -> tuple[bytes, str]:
        """Serialized request for the origin, and the Host it carries."""
        skip = HOP_BY_HOP | {
            "host",
            "content-length",
            "cdn-loop",
            "eo-log-uuid",
            "eo-connecting-ip",
        }
        host_header = spec.host_header or req.host or spec.host
        client_ip = req.client[0]
        xff = req.header("x-forwarded-for")
        items = [("Host", host_header)]
        items += [(k, v) for k, v in req.raw_headers if k.lower() not in skip | {"x-forwarded-for"}]
        items += [
            ("CDN-Loop", ", ".join([*others, f"TencentEdgeOne; loops={loops + 1}"])),
            ("EO-LOG-UUID", uuid),
            ("EO-Connecting-IP", client_ip),
            ("X-Forwarded-For", f"{xff}, {client_ip}" if xff else client_ip),
            ("X-Forwarded-Proto", "https" if req.tls else "http"),
            ("Connection", "close"),
        ]
        if req.body or req.method in ("POST", "PUT", "PATCH"):
            items.append(("Content-Length", str(len(req.body))))
        head = f"{req.method} {req.target} HTTP/1.1\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in items) + "\r\n"
        return head.encode("latin-1") + req.body, host_header

    async def _pull(
        self,
        req: RecordedRequest,
        spec: OriginSpec,
        ip: str,
        uuid: str,
        loops: int,
        others: list[str],
    ) -> tuple[int, str, list[tuple[str, str]], bytes]:
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(ip, spec.port), self.connect_timeout
            )
        except ConnectionRefusedError as exc:
            raise _OriginFailure(521, "refused", f"{ip}:{spec.port} refused") from exc
        except TimeoutError as exc:
            raise _OriginFailure(522, "connect_timeout", f"{ip}:{spec.port} timed out") from exc
        except OSError as exc:
            raise _OriginFailure(522, "connect_error", f"{ip}:{spec.port}: {exc}") from exc
        raw = writer.transport
        self._raw_transports.append(raw)
        try:
            data, host_header = self._origin_request(req, spec, uuid, loops, others)
            if spec.scheme == "https":
                sni = spec.sni or _split_host(host_header)
                try:
                    await asyncio.wait_for(
                        writer.start_tls(self._origin_tls, server_hostname=sni),
                        self.connect_timeout,
                    )
                except (OSError, EOFError, TimeoutError) as exc:
                    raise _OriginFailure(525, "tls_failed", f"{type(exc).__name__}: {exc}") from exc
            try:
                writer.write(data)
                await writer.drain()
                async with asyncio.timeout(self.origin_timeout):
                    head = await read_head(reader)
                if head is None:
                    raise _OriginFailure(520, "closed", "origin closed without a response")
                start, headers = parse_head(head)
                _, status, reason = parse_status_line(start)
                body = b""
                if req.method != "HEAD" and not no_body_status(status):
                    async with asyncio.timeout(self.origin_timeout):
                        body = await read_body(reader, headers, until_eof=True)
            except TimeoutError as exc:
                raise _OriginFailure(
                    524, "timeout", f"no response in {self.origin_timeout}s"
                ) from exc
            except ConnectionResetError as exc:
                raise _OriginFailure(520, "reset", "origin reset the connection") from exc
            except (ProtocolError, asyncio.IncompleteReadError) as exc:
                raise _OriginFailure(520, "bad_response", str(exc)) from exc
            except OSError as exc:
                raise _OriginFailure(520, "reset", f"{type(exc).__name__}: {exc}") from exc
            return status, reason, headers, body
        finally:
            raw.abort()
            self._raw_transports.remove(raw)
