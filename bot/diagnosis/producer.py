"""Who produced the response: EdgeOne itself, EdgeOne Pages, the origin's own server, or another
CDN or platform, and the marks that decided it.

A response relayed by a CDN keeps its producer's marks: the origin's own ``Server`` header
(nginx, Apache, an object store), its own error page, its auth challenge; another CDN's request
ids (``cf-ray``, ``x-amz-cf-id``...) and error pages. EdgeOne adds ``EO-LOG-UUID`` to everything
it relays, so that header says the response passed through EdgeOne, not that EdgeOne wrote it.
The rules, strongest first:

1. a page only one party writes (EdgeOne's block page, the Pages error page, Cloudflare's error
   page...) with one of that party's headers beside it (a copy served by anyone else does not
   count), or an answer it signs in its headers (``Server: CloudFront``, ``Server:
   AkamaiGHost``, ``x-vercel-error``) or with a code only it uses beside its marks (Cloudflare's
   52x); a Pages error name in the body;
2. the origin's own marks: its server's default error page, its object store's XML error or
   request id, its ``Server`` header, ``X-Powered-By``, its auth challenge on a 401;
3. the Pages platform's ``Server: edgeone-pages``; EdgeOne's own codes (418, 423, 52x/55x, 545,
   566, 567, 570) with EdgeOne's marks;
4. another CDN's request ids alone, with no EdgeOne marker: that CDN served it;
5. otherwise nobody is named (``unknown``), with the platforms it passed through.

The input is the probe's typed result; body marks are found by the probe (``bot.probe.marks``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.diagnosis.model import Mark, Producer, ProducerKind
from bot.diagnosis.probe import EDGE_SERVERS, PAGES_SERVER, answered, eo_log_uuid, pair, server
from bot.diagnosis.say import Say
from bot.i18n.catalogue import N_
from bot.probe.models import ProbeResult

EDGEONE = "EdgeOne"
PAGES = "EdgeOne Pages"
# Codes an EdgeOne node answers with itself (site acceleration; 55x folded onto 52x).
EDGEONE_CODES = frozenset({418, 423, 520, 521, 522, 523, 524, 525, 545, 566, 567, 570})
# How much of a header value a mark quotes.
_MARK_VALUE = 80


@dataclass(frozen=True, slots=True)
class _Vendor:
    """Another CDN or platform: the marks it leaves on what it relays, and on what it writes."""

    vendor: str
    name: str
    headers: tuple[str, ...] = ()  # headers only it adds
    prefixes: tuple[str, ...] = ()  # header-name prefixes only it uses
    servers: tuple[str, ...] = ()  # its Server values (lower-case prefixes)
    values: tuple[tuple[str, str], ...] = ()  # (header, lower-case fragment of its value)
    pages: tuple[str, ...] = ()  # body marks of its own pages
    own_statuses: frozenset[int] = frozenset()  # codes it answers with itself
    own_headers: tuple[str, ...] = ()  # headers only its own (error) answers carry
    own_server: bool = False  # its Server value is only on answers it wrote itself


_PROVIDERS: tuple[_Vendor, ...] = (
    _Vendor(
        "cloudflare",
        "Cloudflare",
        headers=("cf-ray", "cf-cache-status", "cf-mitigated"),
        servers=("cloudflare",),
        values=(("server-timing", "cfl4"), ("server-timing", "cfedge")),
        pages=("cloudflare-error-page",),
        own_statuses=frozenset({520, 521, 522, 523, 524, 525, 526, 527, 530}),
        own_headers=("cf-mitigated",),
    ),
    _Vendor(
        "tencent-cdn",
        N_("Tencent Cloud CDN"),
        headers=("x-nws-log-uuid", "x-cache-lookup"),
        servers=("nws",),
        # Its own loop and IP frequency-limit codes (not EdgeOne's).
        own_statuses=frozenset({423, 514}),
    ),
    _Vendor(
        "cloudfront",
        "Amazon CloudFront",
        headers=("x-amz-cf-id", "x-amz-cf-pop"),
        servers=("cloudfront",),
        values=(("via", "cloudfront"), ("x-cache", "cloudfront")),
        pages=("cloudfront-error-page",),
        own_server=True,
    ),
    _Vendor(
        "fastly",
        "Fastly",
        headers=("x-fastly-request-id",),
        values=(("x-served-by", "cache-"),),
        pages=("fastly-error-page",),
    ),
    _Vendor(
        "akamai",
        "Akamai",
        headers=("akamai-grn", "akamai-cache-status"),
        prefixes=("x-akamai-",),
        servers=("akamaighost",),
        values=(("server-timing", "ak_p"),),
        pages=("akamai-error-page",),
        own_server=True,
    ),
    _Vendor(
        "vercel",
        "Vercel",
        headers=("x-vercel-id", "x-vercel-cache", "x-vercel-error"),
        servers=("vercel",),
        pages=("vercel-error-page",),
        own_headers=("x-vercel-error",),
    ),
    _Vendor(
        "netlify",
        "Netlify",
        headers=("x-nf-request-id",),
        servers=("netlify",),
        pages=("netlify-error-page",),
    ),
    _Vendor("azure-front-door", "Azure Front Door", headers=("x-azure-ref",)),
    _Vendor("alibaba-cdn", N_("Alibaba Cloud CDN"), headers=("eagleid",)),
)

# Origin servers, gateways and object stores: Server value (lower-case prefix) -> (id, name).
_ORIGIN_SERVERS: tuple[tuple[str, str, str], ...] = (
    ("apache-coyote", "tomcat", "Tomcat"),
    ("nginx", "nginx", "nginx"),
    ("openresty", "openresty", "OpenResty"),
    ("tengine", "tengine", "Tengine"),
    ("apache", "apache", "Apache"),
    ("microsoft-iis", "iis", "Microsoft IIS"),
    ("envoy", "envoy", "Envoy"),
    ("istio-envoy", "envoy", "Envoy"),
    ("awselb", "aws-elb", N_("AWS Elastic Load Balancing")),
    ("tencent-cos", "cos", N_("Tencent Cloud COS")),
    ("amazons3", "s3", "Amazon S3"),
    ("aliyunoss", "oss", N_("Alibaba Cloud OSS")),
)
# Origin pages in the body -> (id, name); checked before the Server header.
_ORIGIN_PAGES: tuple[tuple[str, str, str], ...] = (
    ("cos-xml-error", "cos", N_("Tencent Cloud COS")),
    ("oss-xml-error", "oss", N_("Alibaba Cloud OSS")),
    ("s3-xml-error", "s3", "Amazon S3"),
    ("tomcat-error-page", "tomcat", "Tomcat"),
    ("nginx-error-page", "nginx", "nginx"),
    ("openresty-error-page", "openresty", "OpenResty"),
    ("apache-error-page", "apache", "Apache"),
    ("envoy-error", "envoy", "Envoy"),
)
# An object store's own request id -> (id, name).
_STORE_HEADERS: tuple[tuple[str, str, str], ...] = (
    ("x-cos-request-id", "cos", N_("Tencent Cloud COS")),
    ("x-oss-request-id", "oss", N_("Alibaba Cloud OSS")),
    ("x-amz-request-id", "s3", "Amazon S3"),
)
_EDGEONE_PAGES = ("edgeone-block-page", "edgeone-captcha", "edgeone-error-page")
_PRODUCT = re.compile(r"[A-Za-z][A-Za-z0-9._-]{0,39}")

# Body marks, for people.
_BODY_WORDS = {
    "edgeone-block-page": N_("EdgeOne's block page in the body"),
    "edgeone-captcha": N_("EdgeOne's captcha (TEOCaptcha) in the body"),
    "edgeone-error-page": N_("EdgeOne's error page in the body"),
    "pages-error-page": N_("the EdgeOne Pages error page in the body"),
    "cloudflare-error-page": N_("Cloudflare's error page in the body"),
    "cloudfront-error-page": N_("CloudFront's error page in the body"),
    "akamai-error-page": N_("Akamai's error page (with its reference number) in the body"),
    "fastly-error-page": N_("Fastly's (Varnish) error page in the body"),
    "vercel-error-page": N_("Vercel's error page in the body"),
    "netlify-error-page": N_("Netlify's page-not-found page in the body"),
    "nginx-error-page": N_("nginx's default error page in the body"),
    "openresty-error-page": N_("OpenResty's default error page in the body"),
    "apache-error-page": N_("Apache's default error page in the body"),
    "tomcat-error-page": N_("Tomcat's error page in the body"),
    "envoy-error": N_("an Envoy gateway's error text in the body"),
    "s3-xml-error": N_("an S3 XML error in the body"),
    "cos-xml-error": N_("a COS XML error in the body"),
    "oss-xml-error": N_("an OSS XML error in the body"),
}
_HEADER_LABELS = {
    "eo-log-uuid": "EO-LOG-UUID",
    "eo-cache-status": "EO-Cache-Status",
    "cf-ray": "CF-RAY",
    "x-nws-log-uuid": "X-NWS-LOG-UUID",
    "x-amz-cf-id": "X-Amz-Cf-Id",
    "x-amz-cf-pop": "X-Amz-Cf-Pop",
    "x-nf-request-id": "X-NF-Request-ID",
    "www-authenticate": "WWW-Authenticate",
    "eagleid": "EagleId",
}


# ---------------------------------------------------------------- identification


def identify(result: ProbeResult) -> Producer | None:
    """Who produced the response ``result`` got; None when no response came back."""
    if not answered(result):
        return None
    status = result.http.status_code or 0
    body = result.http.body_marks
    edgeone = _edgeone_marks(result)
    providers = [(v, marks) for v in _PROVIDERS if (marks := _provider_marks(v, result))]
    # Pages error names are other platforms' too: with another provider's marks, not Pages'.
    pages = _pages_marks(result, names=not providers)
    # An error name alone is no EdgeOne marker (other platforms use the same names), nor is a
    # copy of EdgeOne's page without EdgeOne's headers.
    edgeone_marked = bool(edgeone or server(result) == PAGES_SERVER)
    relays = ([EDGEONE] if edgeone else []) + [v.name for v, _ in providers]

    def made(kind: ProducerKind, vendor: str, name: str, marks: list[Mark]) -> Producer:
        via = tuple(r for r in relays if r != name)
        return Producer(kind, vendor, name, tuple(_unique(marks)), via, edgeone_marked)

    error = status >= 400
    # 1. A page only its author writes, or an answer its author signs in headers. A platform's
    # page counts with one of its headers beside it: a copy served by anyone else does not.
    dns = [Mark("dns", "cname", _cname_target(result))] if result.dns.on_edgeone else []
    own = [Mark("body", m) for m in body if m in _EDGEONE_PAGES] if edgeone or dns else []
    if own and (error or any(m.name == "edgeone-captcha" for m in own)):
        return made("edgeone", "edgeone", EDGEONE, [*own, *edgeone, *dns])
    if error and "pages-error-page" in body and (edgeone or pages):
        return made("pages", "pages", PAGES, [Mark("body", "pages-error-page"), *pages])
    for vendor, marks in providers:
        if error and (page := [Mark("body", m) for m in body if m in vendor.pages]):
            return made("provider", vendor.vendor, vendor.name, [*page, *marks])
    for vendor, marks in providers:
        if error and _signed(vendor, result, edgeone):
            status_mark = Mark("status", "", str(status))
            return made("provider", vendor.vendor, vendor.name, [*marks, status_mark])
    if error and result.http.error_name and not providers:
        return made("pages", "pages", PAGES, pages)
    # 2. The origin's own marks.
    if (origin := _origin(result)) is not None:
        return made("origin", *origin)
    # 3. The Pages platform; EdgeOne's own codes with its marks.
    if pages:
        return made("pages", "pages", PAGES, pages)
    if pair(status) in EDGEONE_CODES and (edgeone or dns):
        status_mark = Mark("status", "", str(status))
        return made("edgeone", "edgeone", EDGEONE, [status_mark, *edgeone, *dns])
    # 4. Another CDN's marks alone.
    if providers and not edgeone:
        vendor, marks = providers[0]
        return made("provider", vendor.vendor, vendor.name, marks)
    # 5. Nobody is named.
    return Producer("unknown", "", "", tuple(edgeone), tuple(relays), edgeone_marked)


def _edgeone_marks(result: ProbeResult) -> list[Mark]:
    headers = result.http.headers
    marks = []
    if uuid := eo_log_uuid(result):
        marks.append(Mark("header", "eo-log-uuid", uuid))
    if cache := headers.get("eo-cache-status"):
        marks.append(Mark("header", "eo-cache-status", _cut(cache)))
    if server(result) == "tencentedgeone":
        marks.append(Mark("header", "server", _cut(headers.get("server", ""))))
    return marks


def _pages_marks(result: ProbeResult, *, names: bool) -> list[Mark]:
    marks = []
    if server(result) == PAGES_SERVER:
        marks.append(Mark("header", "server", _cut(result.http.headers.get("server", ""))))
    if names and result.http.error_name:
        marks.append(Mark("body", "error-name", result.http.error_name))
    return marks


def _provider_marks(vendor: _Vendor, result: ProbeResult) -> list[Mark]:
    headers = result.http.headers
    marks = [
        Mark("header", name, _cut(headers[name])) for name in vendor.headers if name in headers
    ]
    marks += [
        Mark("header", name, _cut(value))
        for name, value in headers.items()
        if vendor.prefixes and name.startswith(vendor.prefixes)
    ]
    if vendor.servers and server(result).startswith(vendor.servers):
        marks.append(Mark("header", "server", _cut(headers.get("server", ""))))
    for name, fragment in vendor.values:
        if fragment in headers.get(name, "").lower():
            marks.append(Mark("header", name, _cut(headers[name])))
    return marks


def _signed(vendor: _Vendor, result: ProbeResult, edgeone: list[Mark]) -> bool:
    """The vendor's own answer by its headers: an error header only it sends, its Server value
    where only its own answers carry it, or a status only it uses."""
    headers = result.http.headers
    if any(name in headers for name in vendor.own_headers):
        return True
    by_server = bool(vendor.servers) and server(result).startswith(vendor.servers)
    if vendor.own_server and by_server:
        return True
    status = result.http.status_code or 0
    if status not in vendor.own_statuses:
        return False
    # A code EdgeOne uses too (423, 52x) is EdgeOne's when EdgeOne marked the answer and the
    # vendor's Server value does not sign it.
    return by_server or not (pair(status) in EDGEONE_CODES and edgeone)


def _origin(result: ProbeResult) -> tuple[str, str, list[Mark]] | None:
    """The origin's id, name and marks (the deciding one first), or None without any."""
    headers = result.http.headers
    body = result.http.body_marks
    status = result.http.status_code or 0
    found: tuple[str, str] | None = None
    marks: list[Mark] = []
    for mark, vendor, name in _ORIGIN_PAGES:
        if mark in body:
            found = found or (vendor, name)
            marks.append(Mark("body", mark))
    for header, vendor, name in _STORE_HEADERS:
        if header in headers:
            found = found or (vendor, name)
            marks.append(Mark("header", header, _cut(headers[header])))
    raw_server = headers.get("server", "").strip()
    if raw_server and _origin_server(raw_server):
        vendor, name = _origin_server(raw_server) or ("", "")
        found = found or (vendor, name)
        marks.append(Mark("header", "server", _cut(raw_server)))
    if powered := headers.get("x-powered-by", "").strip():
        product = _PRODUCT.match(powered)
        if product is not None:
            found = found or (product.group(0).lower(), product.group(0))
            marks.append(Mark("header", "x-powered-by", _cut(powered)))
    if status in (401, 407) and (challenge := headers.get("www-authenticate", "").strip()):
        found = found or ("origin", "")
        marks.append(Mark("header", "www-authenticate", _cut(challenge)))
    if found is None:
        return None
    return found[0], found[1], marks


def _origin_server(value: str) -> tuple[str, str] | None:
    """The origin product a Server value names; None for EdgeOne's, a CDN's or nothing."""
    low = value.lower()
    if low in EDGE_SERVERS or any(low.startswith(v.servers) for v in _PROVIDERS if v.servers):
        return None
    for prefix, vendor, name in _ORIGIN_SERVERS:
        if low.startswith(prefix):
            return vendor, name
    product = _PRODUCT.match(value)
    return (product.group(0).lower(), product.group(0)) if product else None


def _cname_target(result: ProbeResult) -> str:
    dns = result.dns
    return dns.cname_chain[-1] if dns.cname_chain else (dns.edgeone_suffix or "")


def _cut(value: str) -> str:
    value = value.strip()
    return value if len(value) <= _MARK_VALUE else value[: _MARK_VALUE - 1] + "…"


def _unique(marks: list[Mark]) -> list[Mark]:
    return list(dict.fromkeys(marks))


# ---------------------------------------------------------------- words


def mark_words(mark: Mark, say: Say) -> str:
    """One mark as people read it: ``CF-RAY: 8a1b...``, "nginx's default error page in the body"."""
    if mark.kind == "header":
        return f"{header_label(mark.name)}: {mark.value}"
    if mark.kind == "body":
        if mark.name == "error-name":
            return say._("error name {name} in the body", name=mark.value)
        return say._(_BODY_WORDS.get(mark.name, N_("a known error page in the body")))
    if mark.kind == "status":
        return say._("status {status}", status=mark.value)
    return say._("CNAME to EdgeOne ({target})", target=mark.value)


def marks_words(producer: Producer, say: Say, *, limit: int = 3) -> str:
    """The deciding marks, for a sentence: "CF-RAY: ..., Server: cloudflare"."""
    return say.join([mark_words(m, say) for m in producer.marks[:limit]])


def header_label(name: str) -> str:
    return _HEADER_LABELS.get(name) or "-".join(part.capitalize() for part in name.split("-"))


def producer_name(producer: Producer, say: Say) -> str:
    """What to call the producer in a sentence, in the diagnosis language (a few products have a
    Chinese name); an unnamed origin is "the origin"."""
    if producer.name:
        return say._(producer.name)
    return say._("the origin") if producer.kind == "origin" else say._("the server")
