"""Connect, TLS and HTTP phases over httpx's transport, timed with httpcore's trace events.

The request goes to an address that already passed the safety check (never re-resolved), with the
public host name in the Host header and as TLS SNI, like ``curl --resolve``. It is sent through
the transport itself, not a client: the probe follows no redirects, sends no cookies and must not
let a client parse what the server says (a client builds the next request from ``Location`` and
fails on values it cannot parse). Whatever the server answers becomes data; every failure is put
in our own words (see ``bot.probe.errors``).
"""

from __future__ import annotations

import ipaddress
import re
import ssl
import time
import zlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from bot.probe.errors import (
    body_error,
    connect_error,
    connect_status,
    find_cause,
    http_error,
    http_status,
    tls_error,
)
from bot.probe.marks import body_marks
from bot.probe.models import (
    INTERESTING_HEADERS,
    INTERESTING_PREFIXES,
    MAX_PREFIXED,
    ConnectResult,
    HTTPResult,
    TLSResult,
)
from bot.probe.tls import cert_info, fetch_leaf, verify_reason, verifying_context

MAX_BODY = 64 * 1024  # read at most this much off the wire, and decode at most this much
MAX_HEADER_VALUE = 1024  # characters of one header value kept; a longer one is cut with "…"
USER_AGENT = "eo-bot-probe/0.1 (+https://github.com/eo-bot)"
# Only what the probe can decode itself, within the cap (httpx would add br/zstd when installed).
ACCEPT_ENCODING = "gzip, deflate"
_FUNCTION_NAME = re.compile(rb"\b(?:INTERNAL_)?(?:NODE|CLOUD|EDGE)_FUNCTION_[A-Z_]{3,60}\b")
# EdgeOne's request id is a numeric string; anything else in that header is not EdgeOne's.
_EO_LOG_UUID = re.compile(r"[0-9]{1,40}")

PhaseCallback = Callable[[str], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class HopRequest:
    scheme: str
    ip: str
    port: int
    host_header: str  # the public host (with :port when not default)
    sni: str  # the public host name
    path: str
    method: str


@dataclass(frozen=True, slots=True)
class HopTimeouts:
    connect: float
    tls: float
    read: float

    @property
    def handshake(self) -> float:
        """httpcore applies one timeout to the TCP connect and the TLS handshake."""
        return max(self.connect, self.tls)


@dataclass(frozen=True, slots=True)
class HopResult:
    connect: ConnectResult
    tls: TLSResult
    http: HTTPResult
    failed_phase: str | None


@dataclass(slots=True)
class Recorder:
    """Collects httpcore trace events with their times; readable even if the probe is cancelled."""

    started: dict[str, float] = field(default_factory=dict)
    completed: dict[str, float] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)
    on_phase: PhaseCallback | None = None
    finished: float | None = None  # when the exchange ended (before the client's clean-up)

    async def __call__(self, name: str, info: Mapping[str, Any]) -> None:
        event, _, state = name.rpartition(".")
        now = time.perf_counter()
        if state == "started":
            self.started[_phase(event)] = now
        elif state == "complete":
            phase = _phase(event)
            self.completed[phase] = now
            if self.on_phase is not None and phase in _REPORTED:
                await self.on_phase(_REPORTED[phase])
        elif state == "failed":
            self.failed.append(_phase(event))

    def span(self, phase: str) -> float | None:
        if phase in self.started and phase in self.completed:
            return round((self.completed[phase] - self.started[phase]) * 1000, 2)
        return None

    def since(self, phase: str) -> float | None:
        """Milliseconds from the start of ``phase`` until the exchange ended (a phase cut short).

        Up to ``finished`` when it is set, the instant the total also ends at: "now" is a little
        later, and a segment must never outlast the total it is part of."""
        start = self.started.get(phase)
        end = self.finished if self.finished is not None else time.perf_counter()
        return round((end - start) * 1000, 2) if start is not None else None

    def current(self) -> str | None:
        """The phase that started last and has not completed."""
        pending = [p for p in self.started if p not in self.completed]
        return max(pending, key=lambda p: self.started[p]) if pending else None


_REPORTED = {"connect_tcp": "connect", "start_tls": "tls", "receive_response_headers": "http"}


def _phase(event: str) -> str:
    # "connection.connect_tcp" -> "connect_tcp"; "http11.receive_response_headers" -> same tail
    return event.rsplit(".", 1)[-1]


def _url(req: HopRequest) -> str:
    ip = ipaddress.ip_address(req.ip)
    host = f"[{ip}]" if ip.version == 6 else str(ip)
    return f"{req.scheme}://{host}:{req.port}{req.path}"


async def run_hop(
    req: HopRequest,
    timeouts: HopTimeouts,
    recorder: Recorder,
    *,
    ca_file: str | None = None,
    error_names: frozenset[str] = frozenset(),
) -> HopResult:
    # Plain http needs no context; building one loads the CA bundle (tens of ms).
    ctx: ssl.SSLContext | bool = verifying_context(ca_file) if req.scheme == "https" else False
    timeout = httpx.Timeout(
        connect=timeouts.handshake, read=timeouts.read, write=timeouts.read, pool=1.0
    )
    # A fresh transport per probe: pooling would skip the connect phase. It has no proxy, so the
    # request goes to the address that was checked.
    async with httpx.AsyncHTTPTransport(
        verify=ctx, retries=0, http1=True, http2=False, trust_env=False
    ) as transport:
        request = httpx.Request(
            req.method,
            _url(req),
            headers={
                "Host": req.host_header,
                "User-Agent": USER_AGENT,
                "Accept": "*/*",
                "Accept-Encoding": ACCEPT_ENCODING,
            },
            extensions={
                "sni_hostname": req.sni,
                "trace": recorder,
                "timeout": timeout.as_dict(),
            },
        )
        try:
            response = await transport.handle_async_request(request)
        except httpx.HTTPError as exc:
            return await _failure(req, timeouts, recorder, exc)
        try:
            return await _success(req, timeouts, recorder, response, error_names)
        finally:
            await response.aclose()


@dataclass(slots=True)
class _Body:
    raw: int = 0  # bytes read off the wire
    data: bytearray = field(default_factory=bytearray)  # decoded (or raw) bytes to scan
    decoded: bool = False
    error: str | None = None


async def _success(
    req: HopRequest,
    timeouts: HopTimeouts,
    rec: Recorder,
    response: httpx.Response,
    error_names: frozenset[str],
) -> HopResult:
    stream = response.extensions.get("network_stream")
    ssl_object = stream.get_extra_info("ssl_object") if stream is not None else None
    encoding = response.headers.get("content-encoding", "").strip().lower() or None
    body_start = time.perf_counter()
    body = await _read_body(response, encoding, timeouts)
    rec.finished = time.perf_counter()
    transfer_ms = round((rec.finished - body_start) * 1000, 2)
    headers = _headers(response)
    uuid = headers.get("eo-log-uuid", "").strip()
    connect = ConnectResult(status="ok", ip=req.ip, port=req.port, ms=rec.span("connect_tcp"))
    tls = _tls_ok(ssl_object, rec) if req.scheme == "https" else TLSResult(status="skipped")
    http = HTTPResult(
        status="ok",
        method=req.method,
        status_code=response.status_code,
        http_version=_version(response),
        ttfb_ms=_ttfb(rec),
        transfer_ms=transfer_ms,
        headers=headers,
        eo_log_uuid=uuid if _EO_LOG_UUID.fullmatch(uuid) else None,
        error_name=_error_name(bytes(body.data), response.status_code, error_names),
        body_bytes=body.raw,
        error=body.error,
        content_encoding=encoding,
        decoded_bytes=len(body.data) if body.decoded else None,
        body_marks=body_marks(bytes(body.data)),
    )
    return HopResult(connect=connect, tls=tls, http=http, failed_phase=None)


async def _read_body(
    response: httpx.Response, encoding: str | None, timeouts: HopTimeouts
) -> _Body:
    """Read at most MAX_BODY bytes and decode at most MAX_BODY bytes, whatever the body claims.

    A gzip bomb stops at the cap: zlib is asked for no more output than is left of it.
    """
    body = _Body()
    decoder = _Decoder.of(encoding)
    body.decoded = decoder is not None
    try:
        async for chunk in response.aiter_raw():
            chunk = chunk[: MAX_BODY - body.raw]
            body.raw += len(chunk)
            if decoder is None:
                body.data += chunk
            else:
                body.data += decoder.feed(chunk, MAX_BODY - len(body.data))
            if body.raw >= MAX_BODY or len(body.data) >= MAX_BODY:
                break  # enough to find an error name; the rest is not ours to download
    except httpx.HTTPError as exc:
        body.error = body_error(exc, timeouts.read)
    except zlib.error:
        body.error = f"the body is declared {encoding} but does not decompress"
    return body


class _Decoder:
    """gzip or deflate with bounded output; handles zlib-wrapped and raw deflate, and gzip
    bodies made of several members."""

    def __init__(self, wbits: int, *, deflate: bool) -> None:
        self._wbits = wbits
        self._deflate = deflate
        self._obj = zlib.decompressobj(wbits)
        self._started = False

    @classmethod
    def of(cls, encoding: str | None) -> _Decoder | None:
        if encoding in ("gzip", "x-gzip"):
            return cls(16 + zlib.MAX_WBITS, deflate=False)
        if encoding == "deflate":
            return cls(zlib.MAX_WBITS, deflate=True)
        return None  # identity, br, zstd, stacked encodings: scanned as they are

    def feed(self, data: bytes, room: int) -> bytes:
        out = bytearray()
        while data and room > len(out):
            try:
                out += self._obj.decompress(data, room - len(out))
            except zlib.error:
                if not (self._deflate and not self._started):
                    raise
                # "deflate" is often sent without the zlib wrapper: start again as raw deflate.
                self._deflate = False
                self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
                continue
            self._started = True
            if self._obj.unconsumed_tail:
                break  # the room is used up; the rest stays unread
            if self._obj.eof and self._obj.unused_data:
                data = self._obj.unused_data  # another gzip member follows
                self._obj = zlib.decompressobj(self._wbits)
                continue
            break
        return bytes(out)


def _headers(response: httpx.Response) -> dict[str, str]:
    """The INTERESTING_HEADERS present, then at most MAX_PREFIXED of the INTERESTING_PREFIXES
    families, each value decoded on its own (UTF-8, else Latin-1) so one odd header cannot garble
    the others; repeated headers are joined with ", "."""
    found: dict[str, list[str]] = {}
    prefixed: list[str] = []
    for raw_name, raw_value in response.headers.raw:
        name = raw_name.decode("latin-1").lower()
        if name not in INTERESTING_HEADERS:
            if not name.startswith(INTERESTING_PREFIXES):
                continue
            if name not in prefixed:
                if len(prefixed) >= MAX_PREFIXED:
                    continue
                prefixed.append(name)
        try:
            value = raw_value.decode("utf-8")
        except UnicodeDecodeError:
            value = raw_value.decode("latin-1")
        found.setdefault(name, []).append(value)
    names = [name for name in INTERESTING_HEADERS if name in found] + prefixed
    return {name: _cut(", ".join(found[name])) for name in names}


def _cut(value: str) -> str:
    return value if len(value) <= MAX_HEADER_VALUE else value[:MAX_HEADER_VALUE] + "…"


def _version(response: httpx.Response) -> str | None:
    version = response.extensions.get("http_version")
    return version.decode("ascii", "replace") if isinstance(version, bytes) else None


def _tls_ok(ssl_object: ssl.SSLObject | None, rec: Recorder) -> TLSResult:
    if ssl_object is None:
        return TLSResult(status="ok", ms=rec.span("start_tls"))
    der = ssl_object.getpeercert(binary_form=True)
    cipher = ssl_object.cipher()
    return TLSResult(
        status="ok",
        version=ssl_object.version(),
        cipher=cipher[0] if cipher else None,
        alpn=ssl_object.selected_alpn_protocol(),
        cert=cert_info(der) if der else None,
        ms=rec.span("start_tls"),
    )


def _ttfb(rec: Recorder) -> float | None:
    sent = rec.started.get("send_request_headers")
    got = rec.completed.get("receive_response_headers")
    if sent is None or got is None:
        return None
    return round((got - sent) * 1000, 2)


def _error_name(body: bytes, status: int, names: frozenset[str]) -> str | None:
    """An EdgeOne Pages error name shown on the error page, if any."""
    if status < 400:
        return None
    found = _FUNCTION_NAME.search(body)
    if found:
        return found.group(0).decode()
    # Plain status names (DEPLOYING, NOT_FOUND...) are common words: only the known ones count.
    for name in sorted(names, key=len, reverse=True):
        if re.search(rb"\b" + re.escape(name.encode()) + rb"\b", body):
            return name
    return None


async def _failure(
    req: HopRequest, timeouts: HopTimeouts, rec: Recorder, exc: httpx.HTTPError
) -> HopResult:
    rec.finished = time.perf_counter()
    phase = rec.failed[0] if rec.failed else (rec.current() or "connect_tcp")
    skipped_tls = TLSResult(status="skipped")
    skipped_http = HTTPResult(status="skipped", method=req.method)
    if phase == "connect_tcp":
        connect = ConnectResult(
            status=connect_status(exc),
            ip=req.ip,
            port=req.port,
            ms=rec.since(phase),
            error=connect_error(exc, timeouts.handshake),
        )
        return HopResult(connect, skipped_tls, skipped_http, "connect")
    connect = ConnectResult(status="ok", ip=req.ip, port=req.port, ms=rec.span("connect_tcp"))
    if phase == "start_tls":
        tls = await _tls_failure(req, timeouts, rec, exc)
        return HopResult(connect, tls, skipped_http, "tls")
    tls = (
        TLSResult(status="ok", ms=rec.span("start_tls"))
        if req.scheme == "https"
        else TLSResult(status="skipped")
    )
    http = HTTPResult(
        status=http_status(exc),
        method=req.method,
        ttfb_ms=rec.since("send_request_headers") or rec.since(phase),
        error=http_error(exc, timeouts.read),
    )
    return HopResult(connect, tls, http, "http")


async def _tls_failure(
    req: HopRequest, timeouts: HopTimeouts, rec: Recorder, exc: httpx.HTTPError
) -> TLSResult:
    ms = rec.since("start_tls")
    if isinstance(exc, httpx.TimeoutException):
        return TLSResult(status="timeout", ms=ms, error=tls_error(exc, timeouts.handshake))
    verify = find_cause(exc, ssl.SSLCertVerificationError)
    if verify is None:
        return TLSResult(status="handshake_failed", ms=ms, error=tls_error(exc, timeouts.handshake))
    der = await fetch_leaf(req.ip, req.port, req.sni, timeouts.tls)
    reason = verify_reason(verify)
    return TLSResult(
        status="cert_invalid",
        cert=cert_info(der) if der else None,
        verify_error=reason,
        ms=ms,
        error=tls_error(exc, timeouts.handshake),
    )
