"""The marks the probe keeps to tell who produced a response: body marks and producer headers."""

from __future__ import annotations

import gzip
from dataclasses import replace

import pytest

from bot.probe.marks import MARKS, body_marks
from bot.probe.models import MAX_PREFIXED
from bot.probe.runner import ProbeSettings, probe
from bot.probe.safety import ProbePolicy
from tests.diagnosis import corpus
from tests.servers import HTTPServer

LOOPBACK = ProbePolicy.from_strings(networks=["127.0.0.0/8", "::1/128"], ports=["1-65535"])


def settings(**kw: object) -> ProbeSettings:
    base = ProbeSettings(policy=LOOPBACK, connect_timeout=0.5, read_timeout=0.5, deadline=5.0)
    return replace(base, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("body", "mark"),
    [
        pytest.param(corpus.BLOCK_PAGE_ZH, "edgeone-block-page", id="block-zh"),
        pytest.param(corpus.BLOCK_PAGE_EN, "edgeone-block-page", id="block-en"),
        pytest.param(corpus.CAPTCHA_PAGE, "edgeone-captcha", id="captcha"),
        pytest.param(corpus.eo_page(524, "Timeout"), "edgeone-error-page", id="eo-page"),
        pytest.param(corpus.pages_error(404, "NOT_FOUND")[1], "pages-error-page", id="pages"),
        pytest.param(corpus.CF520[1], "cloudflare-error-page", id="cloudflare"),
        pytest.param(
            b"<html><body><center><h1>502 Bad Gateway</h1></center><hr><center>cloudflare"
            b"</center></body></html>",
            "cloudflare-error-page",
            id="cloudflare-plain",
        ),
        pytest.param(corpus.cloudfront(502, "x")[1], "cloudfront-error-page", id="cloudfront"),
        pytest.param(corpus.AKAMAI_403, "akamai-error-page", id="akamai"),
        pytest.param(corpus.FASTLY_503, "fastly-error-page", id="fastly"),
        pytest.param(corpus.NETLIFY_404, "netlify-error-page", id="netlify"),
        pytest.param(corpus.NGINX_502, "nginx-error-page", id="nginx"),
        pytest.param(
            b"<hr><center>openresty/1.21.4.1</center>", "openresty-error-page", id="openresty"
        ),
        pytest.param(corpus.APACHE_500, "apache-error-page", id="apache"),
        pytest.param(b"<h3>Apache Tomcat/9.0.85</h3>", "tomcat-error-page", id="tomcat"),
        pytest.param(b"no healthy upstream", "envoy-error", id="envoy"),
        pytest.param(corpus.S3_403, "s3-xml-error", id="s3"),
        pytest.param(corpus.COS_403, "cos-xml-error", id="cos"),
        pytest.param(corpus.OSS_404, "oss-xml-error", id="oss"),
    ],
)
def test_each_page_is_recognised(body: bytes, mark: str) -> None:
    assert body_marks(body) == (mark,)


def test_every_mark_has_a_case_above() -> None:
    assert len(MARKS) == 18


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"<p>We moved from Cloudflare to EdgeOne last year.</p>", id="mentions"),
        pytest.param(b"<p>nginx is a web server</p><center>Apache</center>", id="words"),
        pytest.param(b"<Error>something</Error>", id="xml-without-code"),
        pytest.param(b"<html><pre>" + corpus.S3_403 + b"</pre></html>", id="xml-inside-a-page"),
        pytest.param(b"Reference # 18", id="akamai-lookalike"),
        pytest.param(b"", id="empty"),
    ],
)
def test_a_page_that_only_mentions_a_vendor_is_not_its_page(body: bytes) -> None:
    assert body_marks(body) == ()


def test_a_hostile_body_is_scanned_in_one_pass() -> None:
    # Near-misses repeated over the whole 64 KiB cap: every pattern is bounded, so this returns
    # at once (a pattern that backtracked would hang the suite here).
    hostile = (b"<Error><Code>A</Code>" + b"x" * 50 + b"Reference #1." + b"page not found ") * 700
    assert len(hostile) > 60_000
    assert body_marks(hostile[: 64 * 1024]) == ()


async def test_the_probe_keeps_producer_headers_and_body_marks() -> None:
    headers = [
        ("Server", "cloudflare"),
        ("CF-RAY", corpus.RAY),
        ("X-Amz-Cf-Id", "abc=="),
        ("X-Vercel-Id", "iad1::x"),
        ("WWW-Authenticate", 'Basic realm="a"'),
        ("X-Unrelated", "dropped"),
        *[(f"X-Akamai-Thing-{i}", str(i)) for i in range(10)],
    ]
    body = gzip.compress(corpus.CF520[1])
    with HTTPServer(
        status=520, headers=[*headers, ("Content-Encoding", "gzip")], body=body
    ) as server:
        report = await probe(f"http://127.0.0.1:{server.port}/", settings=settings())
    http = report.edge.http
    assert http.headers["cf-ray"] == corpus.RAY
    assert http.headers["x-amz-cf-id"] == "abc=="
    assert http.headers["x-vercel-id"] == "iad1::x"
    assert http.headers["www-authenticate"] == 'Basic realm="a"'
    assert "x-unrelated" not in http.headers
    akamai = [name for name in http.headers if name.startswith("x-akamai-")]
    assert akamai == [f"x-akamai-thing-{i}" for i in range(MAX_PREFIXED)]
    # The body is decoded before it is scanned.
    assert http.body_marks == ("cloudflare-error-page",)
