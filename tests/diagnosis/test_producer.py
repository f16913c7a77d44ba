"""bot.diagnosis.producer alone: who produced a response, from hand-made probe results."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from bot.diagnosis import Mark, Producer, identify
from bot.diagnosis.producer import mark_words, marks_words, producer_name
from bot.diagnosis.say import say_in
from bot.probe.models import ProbeResult
from tests.test_diagnosis import EO_CNAME, UUID, dns_ok, edge, failing


def answer(status: int, *, body: tuple[str, ...] = (), **kwargs: Any) -> ProbeResult:
    """An answer with the given headers and body marks; no EdgeOne CNAME unless asked."""
    kwargs.setdefault("dns", dns_ok(on_edgeone=False))
    kwargs.setdefault("uuid", None)
    probe = edge(status, **kwargs)
    return replace(probe, http=replace(probe.http, body_marks=body))


def who(probe: ProbeResult) -> tuple[str, str]:
    producer = identify(probe)
    assert producer is not None
    return producer.kind, producer.vendor


def test_no_response_has_no_producer() -> None:
    assert identify(failing("connect:refused")) is None


# ---------------------------------------------------------------- 1. pages and signed answers


@pytest.mark.parametrize(
    ("probe", "expected"),
    [
        pytest.param(
            answer(566, uuid=UUID, body=("edgeone-block-page",)), ("edgeone", "edgeone"), id="block"
        ),
        pytest.param(
            answer(200, uuid=UUID, body=("edgeone-captcha",)), ("edgeone", "edgeone"), id="captcha"
        ),
        pytest.param(
            answer(404, server="edgeone-pages", body=("pages-error-page",)),
            ("pages", "pages"),
            id="pages-page",
        ),
        pytest.param(
            answer(502, server="cloudflare", body=("cloudflare-error-page",)),
            ("provider", "cloudflare"),
            id="cloudflare-page",
        ),
        pytest.param(
            answer(503, body=("fastly-error-page",), headers={"x-served-by": "cache-sjc1-SJC"}),
            ("provider", "fastly"),
            id="fastly-page",
        ),
        pytest.param(
            answer(502, uuid=UUID, server="nginx", body=("nginx-error-page",)),
            ("origin", "nginx"),
            id="nginx-page",
        ),
        pytest.param(answer(403, body=("cos-xml-error",)), ("origin", "cos"), id="cos-xml"),
    ],
)
def test_a_page_names_its_author(probe: ProbeResult, expected: tuple[str, str]) -> None:
    assert who(probe) == expected


def test_a_vendors_page_on_a_healthy_answer_decides_nothing() -> None:
    # A 200 page that happens to hold Cloudflare's error markup is content, not an error page.
    probe = answer(200, server="nginx", body=("cloudflare-error-page",))
    assert who(probe) == ("origin", "nginx")


@pytest.mark.parametrize(
    ("probe", "vendor"),
    [
        pytest.param(answer(520, server="cloudflare"), "cloudflare", id="cloudflare-52x"),
        pytest.param(answer(403, server="CloudFront"), "cloudfront", id="cloudfront-server"),
        pytest.param(answer(403, server="AkamaiGHost"), "akamai", id="akamai-server"),
        pytest.param(
            answer(504, headers={"x-vercel-error": "FUNCTION_INVOCATION_TIMEOUT"}),
            "vercel",
            id="vercel-error-header",
        ),
        pytest.param(
            answer(514, headers={"x-nws-log-uuid": "1378541965"}), "tencent-cdn", id="nws-514"
        ),
    ],
)
def test_an_answer_signed_in_headers_is_the_providers(probe: ProbeResult, vendor: str) -> None:
    assert who(probe) == ("provider", vendor)


def test_cloudflares_520_relayed_by_edgeone_is_cloudflares() -> None:
    probe = answer(520, uuid=UUID, server="cloudflare", headers={"cf-ray": "8a1b-SJC"})
    producer = identify(probe)
    assert producer is not None
    assert (producer.kind, producer.vendor, producer.via) == (
        "provider",
        "cloudflare",
        ("EdgeOne",),
    )
    assert producer.edgeone_marked


def test_a_code_edgeone_shares_is_edgeones_when_edgeone_signs_it() -> None:
    # EdgeOne's own 423 (its Server, its id) is not Tencent Cloud CDN's 423, though that CDN's id
    # came along from further up the chain.
    probe = answer(423, uuid=UUID, server="TencentEdgeOne", headers={"x-nws-log-uuid": "1378"})
    assert who(probe) == ("edgeone", "edgeone")
    alone = answer(423, headers={"x-nws-log-uuid": "1378"})
    assert who(alone) == ("provider", "tencent-cdn")


def test_an_error_name_alone_is_pages_but_no_edgeone_marker() -> None:
    probe = answer(502, error_name="CLOUD_FUNCTION_INVOCATION_FAILED")
    producer = identify(probe)
    assert producer is not None
    assert producer.kind == "pages"
    assert not producer.edgeone_marked
    vercel = answer(
        504,
        server="Vercel",
        headers={"x-vercel-id": "iad1::x"},
        error_name="EDGE_FUNCTION_INVOCATION_TIMEOUT",
    )
    assert who(vercel) == ("provider", "vercel")


# ---------------------------------------------------------------- 2. the origin's marks


@pytest.mark.parametrize(
    ("probe", "vendor", "name"),
    [
        pytest.param(answer(502, uuid=UUID, server="nginx/1.24.0"), "nginx", "nginx", id="nginx"),
        pytest.param(answer(500, server="Apache-Coyote/1.1"), "tomcat", "Tomcat", id="coyote"),
        pytest.param(answer(503, server="openresty"), "openresty", "OpenResty", id="clb"),
        pytest.param(answer(403, server="tencent-cos"), "cos", "Tencent Cloud COS", id="cos"),
        pytest.param(
            answer(404, headers={"x-oss-request-id": "5C3D"}), "oss", "Alibaba Cloud OSS", id="oss"
        ),
        pytest.param(answer(500, server="Caddy"), "caddy", "Caddy", id="unknown-product"),
        pytest.param(
            answer(500, headers={"x-powered-by": "Express"}), "express", "Express", id="app"
        ),
        pytest.param(
            answer(401, uuid=UUID, server="TencentEdgeOne", headers={"www-authenticate": "Basic"}),
            "origin",
            "",
            id="auth-challenge",
        ),
    ],
)
def test_the_origins_marks_name_the_origin(probe: ProbeResult, vendor: str, name: str) -> None:
    producer = identify(probe)
    assert producer is not None
    assert (producer.kind, producer.vendor, producer.name) == ("origin", vendor, name)


def test_an_origin_relayed_by_edgeone_says_so() -> None:
    producer = identify(answer(502, uuid=UUID, server="nginx"))
    assert producer is not None
    assert producer.via == ("EdgeOne",)
    assert producer.edgeone_marked
    assert producer.marks[0] == Mark("header", "server", "nginx")


def test_an_auth_challenge_only_counts_on_a_401() -> None:
    assert who(answer(200, headers={"www-authenticate": "Basic"})) == ("unknown", "")


def test_a_hostile_server_value_names_nobody() -> None:
    producer = identify(answer(502, server="<script>alert(1)</script>"))
    assert producer is not None
    assert producer.kind == "unknown"
    long = identify(answer(502, server="x" * 5000))
    assert long is not None
    assert len(long.name) <= 40
    assert all(len(m.value) <= 80 for m in long.marks)


# ---------------------------------------------------------------- 3-5. EdgeOne, other CDNs, nobody


@pytest.mark.parametrize("status", [418, 423, 520, 524, 552, 545, 566, 567, 570])
def test_edgeones_own_codes_with_its_marks(status: int) -> None:
    producer = identify(answer(status, uuid=UUID))
    assert producer is not None
    assert (producer.kind, producer.name) == ("edgeone", "EdgeOne")
    assert Mark("status", "", str(status)) in producer.marks


def test_a_cname_to_edgeone_is_a_mark_for_edgeones_own_code() -> None:
    producer = identify(edge(418, uuid=None))
    assert producer is not None
    assert producer.kind == "edgeone"
    assert Mark("dns", "cname", EO_CNAME) in producer.marks
    assert not producer.edgeone_marked  # the answer itself carries no marker


def test_a_passed_through_status_with_only_edgeones_id_names_nobody() -> None:
    producer = identify(answer(502, uuid=UUID, server="TencentEdgeOne"))
    assert producer is not None
    assert (producer.kind, producer.via) == ("unknown", ("EdgeOne",))


def test_another_cdns_ids_alone_mean_it_served_the_answer() -> None:
    assert who(answer(200, headers={"cf-ray": "8a1b-SJC"})) == ("provider", "cloudflare")
    assert who(answer(404, headers={"x-nf-request-id": "01HF"})) == ("provider", "netlify")
    # With EdgeOne's id too, nobody is named: the chain's order is unknown.
    both = identify(answer(502, uuid=UUID, headers={"cf-ray": "8a1b-SJC"}))
    assert both is not None
    assert (both.kind, both.via) == ("unknown", ("EdgeOne", "Cloudflare"))


# ---------------------------------------------------------------- words


@pytest.mark.parametrize("language", ["en", "zh"])
def test_marks_are_worded_in_the_language(language: str) -> None:
    say = say_in(language)  # type: ignore[arg-type]
    producer = Producer(
        "provider",
        "tencent-cdn",
        "Tencent Cloud CDN",
        (
            Mark("body", "cloudflare-error-page"),
            Mark("header", "cf-ray", "8a1b-SJC"),
            Mark("status", "", "520"),
        ),
    )
    words = marks_words(producer, say)
    assert "CF-RAY: 8a1b-SJC" in words
    if language == "zh":
        assert producer_name(producer, say) == "腾讯云 CDN"
        assert "Cloudflare 的错误页" in words
        assert "状态码 520" in words
    else:
        assert producer_name(producer, say) == "Tencent Cloud CDN"
        assert words.startswith("Cloudflare's error page in the body, CF-RAY")
    assert EO_CNAME in mark_words(Mark("dns", "cname", EO_CNAME), say)
