"""Connect, TLS and HTTP phases over httpx, timed with httpcore's trace events.

The request goes to an address that already passed the safety check (never re-resolved), with the
public host name in the Host header and as TLS SNI, like ``curl --resolve``.
"""

from __future__ import annotations

import errno
import ipaddress
import re
import ssl
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from bot.probe.models import (
    INTERESTING_HEADERS,
    ConnectResult,
    HTTPResult,
    TLSResult,
)
from bot.probe.tls import cert_info, fetch_leaf, verify_reason, verifying_context

MAX_BODY = 64 * 1024
USER_AGENT = "eo-bot-probe/0.1 (+https://github.com/eo-bot)"
_FUNCTION_NAME = re.compile(rb"\b(?:INTERNAL_)?(?:NODE|CLOUD|EDGE)_FUNCTION_[A-Z_]{3,60}\b")

PhaseCallback = Callable[[str], Awaitable[None]]
_E = TypeVar("_E", bound=BaseException)


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
    extra: dict[str, Any] = field(default_factory=dict)
    on_phase: PhaseCallback | None = None

    async def __call__(self, name: str, info: Mapping[str, Any]) -> None:
        event, _, state = name.rpartition(".")
        now = time.perf_counter()
        if state == "started":
            self.started[_phase(event)] = now
        elif state == "complete":
            phase = _phase(event)
            self.completed[phase] = now
            if phase == "connect_tcp":
                stream = info.get("return_value")
                if stream is not None:
                    self.extra["server_addr"] = stream.get_extra_info("server_addr")
            if self.on_phase is not None and phase in _REPORTED:
                await self.on_phase(_REPORTED[phase])
        elif state == "failed":
            self.failed.append(_phase(event))

    def span(self, phase: str) -> float | None:
        if phase in self.started and phase in self.completed:
            return round((self.completed[phase] - self.started[phase]) * 1000, 2)
        return None

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
    # A fresh client per probe: pooling would skip the connect phase. Environment proxies are
    # ignored (trust_env=False): the request must go to the address that was checked.
    transport = httpx.AsyncHTTPTransport(verify=ctx, retries=0, http1=True, http2=False)
    timeout = httpx.Timeout(
        connect=max(timeouts.connect, timeouts.tls),
        read=timeouts.read,
        write=timeouts.read,
        pool=1.0,
    )
    async with httpx.AsyncClient(
        transport=transport, trust_env=False, follow_redirects=False, timeout=timeout
    ) as client:
        request = client.build_request(
            req.method,
            _url(req),
            headers={"Host": req.host_header, "User-Agent": USER_AGENT, "Accept": "*/*"},
            extensions={"sni_hostname": req.sni, "trace": recorder},
        )
        try:
            response = await client.send(request, stream=True)
        except httpx.HTTPError as exc:
            return await _failure(req, timeouts, recorder, exc)
        try:
            return await _success(req, recorder, response, error_names)
        finally:
            await response.aclose()


async def _success(
    req: HopRequest, rec: Recorder, response: httpx.Response, error_names: frozenset[str]
) -> HopResult:
    stream = response.extensions.get("network_stream")
    ssl_object = stream.get_extra_info("ssl_object") if stream is not None else None
    body = bytearray()
    body_error: str | None = None
    body_start = time.perf_counter()
    try:
        async for chunk in response.aiter_raw():
            body += chunk
            if len(body) >= MAX_BODY:
                break  # enough to find an error name; the rest is not ours to download
    except httpx.HTTPError as exc:
        body_error = f"body read failed: {_describe(exc)}"
    transfer_ms = round((time.perf_counter() - body_start) * 1000, 2)
    headers = {k: response.headers[k] for k in INTERESTING_HEADERS if k in response.headers}
    connect = ConnectResult(status="ok", ip=req.ip, port=req.port, ms=rec.span("connect_tcp"))
    tls = _tls_ok(ssl_object, rec) if req.scheme == "https" else TLSResult(status="skipped")
    http = HTTPResult(
        status="ok",
        method=req.method,
        status_code=response.status_code,
        http_version=response.http_version,
        ttfb_ms=_ttfb(rec),
        transfer_ms=transfer_ms,
        headers=headers,
        eo_log_uuid=response.headers.get("eo-log-uuid"),
        error_name=_error_name(bytes(body[:MAX_BODY]), response.status_code, error_names),
        body_bytes=min(len(body), MAX_BODY),
        error=body_error,
    )
    return HopResult(connect=connect, tls=tls, http=http, failed_phase=None)


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
    phase = rec.failed[0] if rec.failed else (rec.current() or "connect_tcp")
    skipped_tls = TLSResult(status="skipped")
    skipped_http = HTTPResult(status="skipped", method=req.method)
    detail = _describe(exc)
    if phase == "connect_tcp":
        connect = ConnectResult(
            status=_connect_status(exc),
            ip=req.ip,
            port=req.port,
            ms=_since(rec, phase),
            error=detail,
        )
        return HopResult(connect, skipped_tls, skipped_http, "connect")
    connect = ConnectResult(status="ok", ip=req.ip, port=req.port, ms=rec.span("connect_tcp"))
    if phase == "start_tls":
        tls = await _tls_failure(req, timeouts, rec, exc, detail)
        return HopResult(connect, tls, skipped_http, "tls")
    tls = (
        TLSResult(status="ok", ms=rec.span("start_tls"))
        if req.scheme == "https"
        else TLSResult(status="skipped")
    )
    http = HTTPResult(
        status=_http_status(exc), method=req.method, ttfb_ms=_since(rec, phase), error=detail
    )
    return HopResult(connect, tls, http, "http")


async def _tls_failure(
    req: HopRequest, timeouts: HopTimeouts, rec: Recorder, exc: httpx.HTTPError, detail: str
) -> TLSResult:
    ms = _since(rec, "start_tls")
    if isinstance(exc, httpx.TimeoutException):
        return TLSResult(status="timeout", ms=ms, error=detail)
    verify = _find(exc, ssl.SSLCertVerificationError)
    if verify is None:
        return TLSResult(status="handshake_failed", ms=ms, error=detail)
    der = await fetch_leaf(req.ip, req.port, req.sni, timeouts.tls)
    return TLSResult(
        status="cert_invalid",
        cert=cert_info(der) if der else None,
        verify_error=verify_reason(verify),
        ms=ms,
        error=verify.verify_message or detail,
    )


def _connect_status(exc: httpx.HTTPError) -> Any:
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    if _find(exc, ConnectionRefusedError) is not None:
        return "refused"
    os_error = _find(exc, OSError)
    if os_error is not None and os_error.errno in {errno.ENETUNREACH, errno.EHOSTUNREACH}:
        return "unreachable"
    return "error"


def _http_status(exc: httpx.HTTPError) -> Any:
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "closed"  # the server closed the connection without a response
    if _find(exc, ConnectionResetError) is not None or isinstance(exc, httpx.ReadError):
        return "reset"
    if isinstance(exc, httpx.WriteError):
        return "reset"
    return "error"


def _find(exc: BaseException, kind: type[_E]) -> _E | None:
    """Walk the cause/context chain for an exception of ``kind``."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _since(rec: Recorder, phase: str) -> float | None:
    start = rec.started.get(phase)
    return round((time.perf_counter() - start) * 1000, 2) if start is not None else None


def _describe(exc: BaseException) -> str:
    root: BaseException = exc
    while root.__cause__ is not None or root.__context__ is not None:
        nxt = root.__cause__ or root.__context__
        assert nxt is not None
        root = nxt
    text = str(root) or str(exc) or root.__class__.__name__
    return f"{root.__class__.__name__}: {text}"[:300]
