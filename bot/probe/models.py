"""Typed results of a probe, one dataclass per phase.

Each phase has a ``status`` string from a small fixed set so the diagnosis and the renderers can
reason about outcomes without parsing error messages. Times are milliseconds, ``None`` when the
phase did not run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

SCHEMA_VERSION = 1

DNSStatus = Literal[
    "ok", "nxdomain", "servfail", "timeout", "no_answer", "cname_loop", "cname_too_long", "skipped"
]
# The outcome of one query type (A or AAAA): the same words without "skipped".
LookupStatus = Literal[
    "ok", "nxdomain", "servfail", "timeout", "no_answer", "cname_loop", "cname_too_long"
]
ConnectStatus = Literal["ok", "refused", "timeout", "unreachable", "error", "skipped"]
TLSStatus = Literal["ok", "handshake_failed", "cert_invalid", "timeout", "skipped"]
HTTPStatus = Literal["ok", "reset", "closed", "timeout", "error", "skipped"]
VerifyError = Literal["expired", "not_yet_valid", "hostname_mismatch", "untrusted", "other"]

# Response headers worth showing and quoting to support (lower-case, as httpx normalises them):
# EdgeOne's, then those that tell who produced the response (bot.diagnosis.producer reads them).
INTERESTING_HEADERS = (
    "eo-log-uuid",
    "eo-cache-status",
    "server",
    "cdn-loop",
    "location",
    "via",
    "retry-after",
    "content-type",
    "x-nws-log-uuid",  # Tencent Cloud CDN (the older product)
    "x-cache-lookup",  # Tencent Cloud CDN
    "cf-ray",  # Cloudflare
    "cf-cache-status",
    "cf-mitigated",
    "x-amz-cf-id",  # Amazon CloudFront
    "x-amz-cf-pop",
    "x-cache",  # CloudFront, Fastly and others
    "x-served-by",  # Fastly
    "x-fastly-request-id",
    "akamai-grn",  # Akamai
    "akamai-cache-status",
    "x-vercel-id",  # Vercel
    "x-vercel-cache",
    "x-vercel-error",
    "x-nf-request-id",  # Netlify
    "x-azure-ref",  # Azure Front Door
    "eagleid",  # Alibaba Cloud CDN
    "x-amz-request-id",  # Amazon S3
    "x-cos-request-id",  # Tencent Cloud COS
    "x-oss-request-id",  # Alibaba Cloud OSS
    "www-authenticate",  # the origin asks for credentials
    "x-powered-by",  # the application behind the web server
    "server-timing",
)
# Header families kept by prefix, at most MAX_PREFIXED of them (a server cannot flood the result).
INTERESTING_PREFIXES = ("x-akamai-",)
MAX_PREFIXED = 4


@dataclass(frozen=True, slots=True)
class Lookup:
    """One query type's own outcome: a name can answer A and never answer AAAA."""

    rtype: Literal["A", "AAAA"]
    status: LookupStatus
    addresses: tuple[str, ...] = ()
    ms: float | None = None
    error: str | None = None  # our words, never a library's


@dataclass(frozen=True, slots=True)
class DNSResult:
    """The name's outcome: "ok" as soon as one query type gave addresses."""

    status: DNSStatus
    addresses: tuple[str, ...] = ()
    cname_chain: tuple[str, ...] = ()  # hops after the queried name, in order
    on_edgeone: bool = False  # a CNAME hop ends in one of EdgeOne's suffixes
    edgeone_suffix: str | None = None  # the suffix that matched
    ms: float | None = None
    error: str | None = None
    lookups: tuple[Lookup, ...] = ()  # A and AAAA, each with its own outcome


@dataclass(frozen=True, slots=True)
class ConnectResult:
    status: ConnectStatus
    ip: str | None = None
    port: int | None = None
    ms: float | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class CertInfo:
    subject: str
    sans: tuple[str, ...]
    issuer: str
    not_before: datetime
    not_after: datetime
    days_left: int


@dataclass(frozen=True, slots=True)
class TLSResult:
    status: TLSStatus
    version: str | None = None
    cipher: str | None = None
    alpn: str | None = None
    cert: CertInfo | None = None
    verify_error: VerifyError | None = None
    ms: float | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class HTTPResult:
    status: HTTPStatus
    method: str = "GET"
    status_code: int | None = None
    http_version: str | None = None
    ttfb_ms: float | None = None  # from sending the request to the response headers
    transfer_ms: float | None = None  # reading the (capped) body
    headers: dict[str, str] = field(default_factory=dict)  # the interesting headers present
    eo_log_uuid: str | None = None
    error_name: str | None = None  # an EdgeOne Pages error name found in the body
    body_bytes: int = 0  # read off the wire (capped)
    error: str | None = None  # our words, never a library's
    content_encoding: str | None = None  # as the server declared it
    decoded_bytes: int | None = None  # the body after gzip/deflate, capped like the read
    body_marks: tuple[str, ...] = ()  # who wrote the body, by bot.probe.marks names


@dataclass(frozen=True, slots=True)
class Timings:
    """httpstat-style segments; cumulative marks are derived by the renderer.

    ``total_ms`` is this target's own time: its DNS lookup plus its connection, from the first
    connect attempt to the last body byte. It leaves out what is not this target's (waiting for the
    other target's lookup, progress callbacks), so the segments add up to it, give or take the
    client's own set-up between phases.
    """

    dns_ms: float | None = None
    connect_ms: float | None = None
    tls_ms: float | None = None
    server_ms: float | None = None  # first byte after the request was sent (or the time waited)
    transfer_ms: float | None = None
    total_ms: float = 0.0


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """One probe of one address: the public edge, or the origin hit directly."""

    url: str
    host: str  # the public host name (Host header and SNI)
    scheme: str
    port: int
    target: str  # what was connected to: the host, or the origin given with --origin
    started_at: datetime  # UTC
    dns: DNSResult
    connect: ConnectResult
    tls: TLSResult
    http: HTTPResult
    timings: Timings
    failed_phase: Literal["dns", "connect", "tls", "http"] | None = None
    deadline_hit: bool = False


@dataclass(frozen=True, slots=True)
class ProbeReport:
    edge: ProbeResult
    origin: ProbeResult | None = None
