"""Hostile servers that pretend to be someone else, or flood the marks that name a producer: the
diagnosis names no producer it was not given proof of, and the marks it quotes stay inert in
every renderer and language."""

from __future__ import annotations

import json

import pytest

from bot.diagnosis import diagnose
from bot.knowledge import KnowledgeBase
from bot.probe.models import MAX_PREFIXED
from bot.probe.runner import probe
from bot.render.blocks import diagnosis_message
from tests.adversarial.conftest import assert_worded, render_all, settings
from tests.diagnosis import corpus
from tests.diagnosis.wording import names_edgeone
from tests.servers import RawResponseServer

EVIL = "<@U0EVIL>"


async def _probe(status: int, headers: list[tuple[str, str]], body: bytes):  # type: ignore[no-untyped-def]
    """Exactly these bytes on the wire (header values in UTF-8, as a hostile server may send)."""
    lines = [f"HTTP/1.1 {status} Whatever", *(f"{k}: {v}" for k, v in headers)]
    lines.append(f"Content-Length: {len(body)}")
    payload = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
    with RawResponseServer(payload) as server:
        return await probe(f"http://127.0.0.1:{server.port}/", settings=settings())


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        pytest.param(corpus.BLOCK_PAGE_ZH, "EdgeOne", id="edgeone-block-page"),
        pytest.param(corpus.CAPTCHA_PAGE, "EdgeOne", id="edgeone-captcha"),
        pytest.param(corpus.eo_page(522, "Timeout"), "EdgeOne", id="edgeone-error-page"),
        pytest.param(corpus.CF520[1], "Cloudflare", id="cloudflare-page"),
    ],
)
async def test_a_copied_page_without_its_headers_names_nobody(
    kb: KnowledgeBase, body: bytes, kind: str
) -> None:
    report = await _probe(566, [("Server", "nginx")], body)
    for language in ("en", "zh"):
        d = diagnose(report, kb, language=language)  # type: ignore[arg-type]
        assert d.producer is not None
        assert d.producer.name != kind
        assert not d.producer.edgeone_marked
        assert not names_edgeone(d.summary), d.summary


async def test_hostile_producer_headers_stay_inert_everywhere(kb: KnowledgeBase) -> None:
    headers = [
        ("Server", f"cloudflare {EVIL} <!channel>"),
        ("CF-RAY", f"{EVIL}<!here>"),
        ("X-Vercel-Error", f"FUNCTION_INVOCATION_FAILED {EVIL}"),
        ("WWW-Authenticate", f'Basic realm="{EVIL}"'),
        ("X-Powered-By", "\u202eevil"),
    ]
    report = await _probe(520, headers, corpus.CF520[1])
    rendered = render_all(report, kb)
    producer = rendered.diagnosis.producer
    assert producer is not None
    assert producer.vendor == "cloudflare"
    assert EVIL in rendered.diagnosis.summary  # quoted as the server sent it, cut short
    for text in (rendered.slack.text, rendered.blocks):
        assert EVIL not in text
        assert "<!channel>" not in text
        assert "<!here>" not in text
    # JSON keeps the raw values: escaping them is the reader's job.
    marks = rendered.json["diagnosis"]["producer"]["marks"]
    assert any(EVIL in mark["value"] for mark in marks)
    chinese = diagnose(report, kb, language="zh")
    assert_worded(report, chinese)
    message = diagnosis_message(report, chinese)
    assert EVIL not in json.dumps(message.block_dicts(), ensure_ascii=False)


async def test_a_flood_of_vendor_headers_is_capped(kb: KnowledgeBase) -> None:
    headers = [(f"X-Akamai-Junk-{i}", "x" * 500) for i in range(150)]
    report = await _probe(403, [("Server", "AkamaiGHost"), *headers], corpus.AKAMAI_403)
    kept = [name for name in report.edge.http.headers if name.startswith("x-akamai-")]
    assert len(kept) == MAX_PREFIXED
    rendered = render_all(report, kb)
    producer = rendered.diagnosis.producer
    assert producer is not None
    assert producer.vendor == "akamai"
    assert all(len(mark.value) <= 80 for mark in producer.marks)
    assert len(rendered.diagnosis.summary) < 700
    assert len(json.dumps(rendered.json)) < 40_000


async def test_a_body_full_of_every_mark_decides_by_the_headers(kb: KnowledgeBase) -> None:
    # Every vendor's page at once, from a server that signs as nginx: EdgeOne's and the CDNs'
    # pages lack their headers and do not count, an XML error deep in a page is no object
    # store's; the origin's own page decides.
    every = b"".join(
        [
            corpus.BLOCK_PAGE_EN,
            corpus.CF520[1],
            corpus.AKAMAI_403,
            corpus.FASTLY_503,
            corpus.NGINX_502,
            corpus.S3_403,
        ]
    )
    report = await _probe(502, [("Server", "nginx")], every)
    assert len(report.edge.http.body_marks) >= 5
    d = diagnose(report, kb)
    assert d.producer is not None
    assert (d.producer.kind, d.producer.vendor, d.fault) == ("origin", "nginx", "origin")
    assert not names_edgeone(d.summary)
