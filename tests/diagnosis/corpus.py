"""Replayed responses: EdgeOne's own, the origin's relayed by EdgeOne, and other CDNs' and
platforms' own, each with the producer and side a diagnosis must name.

Each fixture keeps what identifies the producer: the headers the vendor sends and the telling part
of its page (titles, footers, request ids), written from what these vendors publish and what
their pages look like in the field. ``relay="edge"`` puts the response behind the fake EdgeOne
edge (tests/servers/edge.py), which adds EO-LOG-UUID (and ``Server: TencentEdgeOne`` when the
origin sent no Server) as EdgeOne does; ``relay="direct"`` serves it as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

UUID = "4105283880544427145"
RAY = "8a1b2c3d4e5f6a7b-SJC"


@dataclass(frozen=True)
class Replay:
    id: str
    status: int
    headers: dict[str, str]
    body: bytes
    kind: str  # the producer's kind
    vendor: str  # the producer's vendor id ("" for an unnamed origin)
    fault: str
    code: int | None  # the EdgeOne code named (None: not EdgeOne's code)
    relay: Literal["direct", "edge"] = "direct"
    edgeone: bool = False  # the response carries an EdgeOne marker
    via: tuple[str, ...] = field(default_factory=tuple)


def _eo(**extra: str) -> dict[str, str]:
    """Headers of an answer EdgeOne wrote itself."""
    return {
        "Server": "TencentEdgeOne",
        "EO-LOG-UUID": UUID,
        "Content-Type": "text/html; charset=utf-8",
        **extra,
    }


def eo_page(status: int, reason: str) -> bytes:
    return (
        f"<html><head><title>{status} {reason}</title></head><body><center><h1>{status}"
        f" {reason}</h1></center><p>EO-LOG-UUID: {UUID}</p><hr><center>TencentEdgeOne</center>"
        "</body></html>"
    ).encode()


BLOCK_PAGE_ZH = (
    '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>访问被拦截</title>'
    '</head><body><div class="block"><h2>您的请求已被该站点的安全策略拦截</h2>'
    f"<p>请求 ID：{UUID}</p></div></body></html>"
).encode()
BLOCK_PAGE_EN = (
    '<!DOCTYPE html><html lang="en"><head><title>Access blocked</title></head><body>'
    "<h2>Your request has been blocked by the security policy of this site.</h2>"
    f"<p>Request ID: {UUID}</p><footer>Protected by Tencent Cloud EdgeOne</footer></body></html>"
).encode()
CAPTCHA_PAGE = (
    b'<html><head><title>Security check</title><script src="/teo-captcha/TEOCaptcha.js">'
    b'</script></head><body><div id="TEOCaptcha"></div></body></html>'
)


def pages_error(status: int, name: str) -> tuple[dict[str, str], bytes]:
    headers = {"Server": "edgeone-pages", "EO-LOG-UUID": UUID, "Content-Type": "text/html"}
    body = (
        f"<html><head><title>{status}: {name}</title></head><body><h1>{status}</h1>"
        f"<p>Code: <code>{name}</code></p><p>EO-LOG-UUID: {UUID}</p>"
        '<a href="https://pages.edgeone.ai/document/error-codes">Error codes</a></body></html>'
    ).encode()
    return headers, body


NGINX_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.24.0</center>\r\n"
    b"</body>\r\n</html>\r\n"
)
NGINX_404 = NGINX_502.replace(b"502 Bad Gateway", b"404 Not Found")
APACHE_500 = (
    b'<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n'
    b"<title>500 Internal Server Error</title>\n</head><body>\n<h1>Internal Server Error</h1>\n"
    b"<p>The server encountered an internal error or misconfiguration.</p>\n<hr>\n"
    b"<address>Apache/2.4.57 (Debian) Server at www.example.com Port 80</address>\n"
    b"</body></html>\n"
)
COS_403 = (
    b"<?xml version='1.0' encoding='utf-8' ?>\n<Error>\n\t<Code>AccessDenied</Code>\n"
    b"\t<Message>Access Denied.</Message>\n"
    b"\t<Resource>examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/private/a.pdf"
    b"</Resource>\n\t<RequestId>NjVhYjEyMzRfYjJjMjJhMDlfMTIzNDU2</RequestId>\n"
    b"\t<TraceId>OGVmYzZiMmQzYjA2OWNhODk0NTRkMTBiOWVmMDAxODc0</TraceId>\n</Error>\n"
)
S3_403 = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
    b"<Message>Access Denied</Message><RequestId>4442587FB7D0A2F9</RequestId>"
    b"<HostId>Zt0vQnGm9XrS8kDeFJm2wA1p6yQ=</HostId></Error>"
)
OSS_404 = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n  <Code>NoSuchKey</Code>\n'
    b"  <Message>The specified key does not exist.</Message>\n"
    b"  <RequestId>5C3D8E6F8B1A2B3C4D5E6F70</RequestId>\n"
    b"  <HostId>examplebucket.oss-cn-hangzhou.aliyuncs.com</HostId>\n"
    b"  <Key>missing.png</Key>\n  <EC>0026-00000001</EC>\n</Error>\n"
)


def cloudflare(code: int, title: str) -> tuple[dict[str, str], bytes]:
    headers = {"Server": "cloudflare", "CF-RAY": RAY, "Content-Type": "text/html; charset=UTF-8"}
    body = (
        '<!DOCTYPE html>\n<html class="no-js" lang="en-US"> <head>\n'
        f"<title>www.example.com | {code}: {title}</title>\n"
        '<link rel="stylesheet" id="cf_styles-css" href="/cdn-cgi/styles/cf.errors.css" />\n'
        '</head><body><div id="cf-wrapper"><div id="cf-error-details" class="p-0">'
        f"<h1>{title}</h1><span>Error code {code}</span>"
        f"<span>Cloudflare Ray ID: <strong>{RAY.split('-')[0]}</strong></span>"
        "<span>Performance &amp; security by Cloudflare</span></div></div></body></html>"
    ).encode()
    return headers, body


def cloudfront(code: int, why: str) -> tuple[dict[str, str], bytes]:
    headers = {
        "Server": "CloudFront",
        "Content-Type": "text/html",
        "X-Cache": "Error from cloudfront",
        "Via": "1.1 0123456789abcdef0123456789abcdef.cloudfront.net (CloudFront)",
        "X-Amz-Cf-Pop": "SFO5-C1",
        "X-Amz-Cf-Id": "w2zQb7ExAmPlE3xJq6oT0xjY2n1VhB5lYt9K1cZpQ0aNvE7kL4Q==",
    }
    body = (
        '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">\n<HTML><HEAD>'
        "<TITLE>ERROR: The request could not be satisfied</TITLE></HEAD><BODY>\n"
        f"<H1>{code} ERROR</H1>\n<H2>The request could not be satisfied.</H2>\n"
        f'<HR noshade size="1px">\n{why}\n<BR clear="all">\n<HR noshade size="1px">\n<PRE>\n'
        "Generated by cloudfront (CloudFront)\n"
        "Request ID: w2zQb7ExAmPlE3xJq6oT0xjY2n1VhB5lYt9K1cZpQ0aNvE7kL4Q==\n</PRE>\n"
        "</BODY></HTML>"
    ).encode()
    return headers, body


def vercel(code: int, error: str, text: str) -> tuple[dict[str, str], bytes]:
    request_id = "iad1::abcde-1700000000000-0123456789ab"
    headers = {
        "Server": "Vercel",
        "X-Vercel-Id": request_id,
        "X-Vercel-Error": error,
        "Content-Type": "text/plain; charset=utf-8",
    }
    return headers, f"{text}\n\n{error}\n\n{request_id}\n".encode()


FASTLY_503 = (
    b'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n<html><head>'
    b"<title>503 Backend is unhealthy</title></head><body>"
    b"<h1>Error 503 Backend is unhealthy</h1><p>Backend is unhealthy</p>"
    b"<h3>Guru Mediation:</h3><p>Details: cache-sjc10043-SJC 1700000000 1234567890</p>"
    b"<hr><p>Varnish cache server</p></body></html>"
)
AKAMAI_403 = (
    b"<HTML><HEAD>\n<TITLE>Access Denied</TITLE>\n</HEAD><BODY>\n<H1>Access Denied</H1>\n \n"
    b'You don\'t have permission to access "http&#58;&#47;&#47;www&#46;example&#46;com&#47;"'
    b" on this server.<P>\nReference&#32;&#35;18&#46;6f64d440&#46;1700000000&#46;1a2b3c4d\n"
    b"<P>https&#58;&#47;&#47;errors&#46;edgesuite&#46;net&#47;18&#46;6f64d440&#46;1700000000"
    b"&#46;1a2b3c4d</P>\n</BODY>\n</HTML>\n"
)
NETLIFY_404 = (
    b'<!DOCTYPE html><html lang="en"><head><title>Page not found</title></head><body>'
    b"<h1>Page not found</h1><p>Looks like you've followed a broken link or entered a URL that"
    b" doesn't exist on this site.</p><p>If this is your site, and you weren't expecting a 404"
    b" for this path, please visit Netlify's <a href=\"https://answers.netlify.com/t/"
    b'support-guide-i-ve-deployed-my-site-but-i-still-see-page-not-found/125">'
    b"\xe2\x80\x9cpage not found\xe2\x80\x9d support guide</a>.</p></body></html>"
)
NWS = {"X-NWS-LOG-UUID": "13785419651834657384", "Server": "NWS_TCloud_S11"}

CF520 = cloudflare(520, "Web server is returning an unknown error")
_CF522 = cloudflare(522, "Connection timed out")
_CF524 = cloudflare(524, "A timeout occurred")
_CF1020 = cloudflare(403, "Access denied")
_CF1020 = (_CF1020[0], _CF1020[1].replace(b"Error code 403", b"Error code 1020"))

CORPUS: tuple[Replay, ...] = (
    # ------------------------------------------------------------ EdgeOne's own answers
    Replay(
        "eo-522-page",
        522,
        _eo(),
        eo_page(522, "Origin Connect Timeout"),
        "edgeone",
        "edgeone",
        "network",
        522,
        edgeone=True,
    ),
    Replay(
        "eo-523-page",
        523,
        _eo(),
        eo_page(523, "Origin DNS Error"),
        "edgeone",
        "edgeone",
        "dns",
        523,
        edgeone=True,
    ),
    Replay(
        "eo-525-page",
        525,
        _eo(),
        eo_page(525, "Origin SSL Error"),
        "edgeone",
        "edgeone",
        "origin",
        525,
        edgeone=True,
    ),
    Replay(
        "eo-554-pair",
        554,
        _eo(),
        eo_page(554, "Origin Timeout"),
        "edgeone",
        "edgeone",
        "origin",
        554,
        edgeone=True,
    ),
    Replay(
        "eo-418-page",
        418,
        _eo(),
        eo_page(418, "Domain Not Configured"),
        "edgeone",
        "edgeone",
        "edge",
        418,
        edgeone=True,
    ),
    Replay(
        "eo-423-loop",
        423,
        _eo(**{"CDN-Loop": "TencentEdgeOne; loops=16"}),
        eo_page(423, "Loop Detected"),
        "edgeone",
        "edgeone",
        "edge",
        423,
        edgeone=True,
    ),
    Replay(
        "eo-566-block-zh",
        566,
        _eo(),
        BLOCK_PAGE_ZH,
        "edgeone",
        "edgeone",
        "edge",
        566,
        edgeone=True,
    ),
    Replay(
        "eo-567-block-en",
        567,
        _eo(),
        BLOCK_PAGE_EN,
        "edgeone",
        "edgeone",
        "edge",
        567,
        edgeone=True,
    ),
    Replay(
        "eo-403-custom-block",
        403,
        _eo(),
        BLOCK_PAGE_EN,
        "edgeone",
        "edgeone",
        "edge",
        403,
        edgeone=True,
    ),
    Replay(
        "eo-captcha", 200, _eo(), CAPTCHA_PAGE, "edgeone", "edgeone", "edge", None, edgeone=True
    ),
    # ------------------------------------------------------------ EdgeOne Pages
    Replay(
        "pages-404",
        404,
        *pages_error(404, "NOT_FOUND"),
        "pages",
        "pages",
        "edge",
        404,
        edgeone=True,
    ),
    Replay(
        "pages-423-deploying",
        423,
        *pages_error(423, "DEPLOYING"),
        "pages",
        "pages",
        "edge",
        423,
        edgeone=True,
    ),
    Replay(
        "pages-502-function",
        502,
        *pages_error(502, "CLOUD_FUNCTION_INVOCATION_FAILED"),
        "pages",
        "pages",
        "origin",
        502,
        edgeone=True,
    ),
    Replay(
        "pages-511-quota",
        511,
        *pages_error(511, "EDGE_FUNCTION_INVOCATION_LIMIT_EXCEEDED"),
        "pages",
        "pages",
        "account",
        511,
        edgeone=True,
    ),
    Replay(
        "pages-512-quota",
        512,
        *pages_error(512, "CLOUD_FUNCTION_INVOCATION_LIMIT_EXCEEDED"),
        "pages",
        "pages",
        "account",
        512,
        edgeone=True,
    ),
    Replay(
        "pages-429-rate",
        429,
        *pages_error(429, "RATE_LIMIT_EXCEEDED"),
        "pages",
        "pages",
        "account",
        429,
        edgeone=True,
    ),
    # ------------------------------------------------------------ the origin, relayed by EdgeOne
    Replay(
        "edge-nginx-502",
        502,
        {"Server": "nginx/1.24.0", "Content-Type": "text/html"},
        NGINX_502,
        "origin",
        "nginx",
        "origin",
        502,
        relay="edge",
        edgeone=True,
    ),
    Replay(
        "edge-nginx-404",
        404,
        {"Server": "nginx", "Content-Type": "text/html"},
        NGINX_404,
        "origin",
        "nginx",
        "origin",
        404,
        relay="edge",
        edgeone=True,
    ),
    Replay(
        "edge-apache-500",
        500,
        {"Server": "Apache/2.4.57 (Debian)"},
        APACHE_500,
        "origin",
        "apache",
        "origin",
        500,
        relay="edge",
        edgeone=True,
    ),
    Replay(
        "edge-origin-401",
        401,
        {"WWW-Authenticate": 'Basic realm="staging"'},
        b"Unauthorized\n",
        "origin",
        "origin",
        "client",
        401,
        relay="edge",
        edgeone=True,
    ),
    Replay(
        "edge-cos-403",
        403,
        {
            "Server": "tencent-cos",
            "x-cos-request-id": "NjVhYjEyMzRfYjJjMjJhMDlfMTIzNDU2",
            "Content-Type": "application/xml",
        },
        COS_403,
        "origin",
        "cos",
        "origin",
        403,
        relay="edge",
        edgeone=True,
    ),
    Replay(
        "edge-oss-404",
        404,
        {
            "Server": "AliyunOSS",
            "x-oss-request-id": "5C3D8E6F8B1A2B3C4D5E6F70",
            "Content-Type": "application/xml",
        },
        OSS_404,
        "origin",
        "oss",
        "origin",
        404,
        relay="edge",
        edgeone=True,
    ),
    Replay(
        "edge-envoy-503",
        503,
        {"Server": "envoy", "Content-Type": "text/plain"},
        b"upstream connect error or disconnect/reset before headers. reset reason: connection"
        b" failure",
        "origin",
        "envoy",
        "origin",
        503,
        relay="edge",
        edgeone=True,
    ),
    Replay(
        "edge-origin-520",
        520,
        {"Server": "nginx"},
        b"custom error",
        "origin",
        "nginx",
        "origin",
        520,
        relay="edge",
        edgeone=True,
    ),
    # ------------------------------------------------------------ the origin, no EdgeOne at all
    Replay(
        "direct-nginx-502",
        502,
        {"Server": "nginx/1.24.0", "Content-Type": "text/html"},
        NGINX_502,
        "origin",
        "nginx",
        "origin",
        502,
    ),
    Replay(
        "direct-s3-403",
        403,
        {
            "Server": "AmazonS3",
            "x-amz-request-id": "4442587FB7D0A2F9",
            "Content-Type": "application/xml",
        },
        S3_403,
        "origin",
        "s3",
        "origin",
        403,
    ),
    # ------------------------------------------------------------ other CDNs and platforms
    Replay("cloudflare-520", 520, *CF520, "provider", "cloudflare", "origin", None),
    Replay("cloudflare-522", 522, *_CF522, "provider", "cloudflare", "network", None),
    Replay("cloudflare-524", 524, *_CF524, "provider", "cloudflare", "origin", None),
    Replay("cloudflare-1020", 403, *_CF1020, "provider", "cloudflare", "provider", None),
    Replay(
        "cloudflare-520-behind-edgeone",
        520,
        *CF520,
        "provider",
        "cloudflare",
        "origin",
        None,
        relay="edge",
        edgeone=True,
        via=("EdgeOne",),
    ),
    Replay(
        "tencent-cdn-514",
        514,
        {**NWS, "Content-Type": "text/html"},
        b"<html><body><h1>514 Frequency Capped</h1></body></html>",
        "provider",
        "tencent-cdn",
        "provider",
        None,
    ),
    Replay(
        "tencent-cdn-423",
        423,
        {**NWS, "Content-Type": "text/html"},
        b"<html><body><h1>423 Loop Detected</h1></body></html>",
        "provider",
        "tencent-cdn",
        "provider",
        None,
    ),
    Replay(
        "cloudfront-502",
        502,
        *cloudfront(502, "CloudFront wasn't able to connect to the origin."),
        "provider",
        "cloudfront",
        "origin",
        None,
    ),
    Replay(
        "cloudfront-403",
        403,
        *cloudfront(403, "Request blocked."),
        "provider",
        "cloudfront",
        "provider",
        None,
    ),
    Replay(
        "fastly-503",
        503,
        {
            "Via": "1.1 varnish",
            "X-Served-By": "cache-sjc10043-SJC",
            "X-Cache": "MISS",
            "Content-Type": "text/html; charset=utf-8",
        },
        FASTLY_503,
        "provider",
        "fastly",
        "origin",
        None,
    ),
    Replay(
        "akamai-403",
        403,
        {"Server": "AkamaiGHost", "Content-Type": "text/html"},
        AKAMAI_403,
        "provider",
        "akamai",
        "provider",
        None,
    ),
    Replay(
        "vercel-500-function",
        500,
        *vercel(500, "FUNCTION_INVOCATION_FAILED", "A server error has occurred"),
        "provider",
        "vercel",
        "origin",
        None,
    ),
    Replay(
        "vercel-504-edge-function",
        504,
        *vercel(504, "EDGE_FUNCTION_INVOCATION_TIMEOUT", "An error occurred with your deployment"),
        "provider",
        "vercel",
        "origin",
        None,
    ),
    Replay(
        "vercel-404",
        404,
        *vercel(404, "NOT_FOUND", "The page could not be found"),
        "provider",
        "vercel",
        "provider",
        None,
    ),
    Replay(
        "netlify-404",
        404,
        {
            "Server": "Netlify",
            "X-Nf-Request-Id": "01HF8Z3ZK7Q9M2X4V6B8N0C2D4",
            "Content-Type": "text/html; charset=utf-8",
        },
        NETLIFY_404,
        "provider",
        "netlify",
        "provider",
        None,
    ),
)
