"""Real EdgeOne and non-EdgeOne responses replayed on loopback, probed, and diagnosed in English
and in Chinese: every one attributed to the right producer and side.

Each case is a loopback server sending the response's exact status, headers and telling body,
directly or behind the fake EdgeOne edge; the probe reads it as it would a real site.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.diagnosis import Diagnosis, diagnose
from bot.knowledge import KnowledgeBase
from bot.probe.models import ProbeReport
from bot.probe.runner import ProbeSettings, probe
from bot.probe.safety import ProbePolicy
from tests.diagnosis.corpus import CORPUS, Replay
from tests.diagnosis.wording import assert_chinese, names_edgeone
from tests.servers import DNSServer, FakeEdge, HTTPServer, OriginSpec, Response, SilentServer

LOOPBACK = ProbePolicy.from_strings(networks=["127.0.0.0/8", "::1/128"], ports=["1-65535"])
SITE = "shop.test"


def settings(kb: KnowledgeBase, **overrides: object) -> ProbeSettings:
    base = ProbeSettings(
        policy=LOOPBACK,
        connect_timeout=0.5,
        tls_timeout=0.5,
        read_timeout=2.0,
        dns_timeout=0.5,
        deadline=5.0,
        # As the CLI and the bot do: the knowledge base's error names are looked for in bodies.
        error_names=frozenset(n for e in kb.entries for n in e.names),
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


async def through_edge(
    kb: KnowledgeBase,
    origin_port: int,
    *,
    origin: str | None = None,
    origin_timeout: float = 1.0,
) -> ProbeReport:
    """Probe ``SITE`` through the fake EdgeOne edge whose origin is ``origin_port``."""
    spec = OriginSpec("127.0.0.1", origin_port)
    with (
        FakeEdge({SITE: spec}, origin_timeout=origin_timeout) as edge,
        DNSServer({SITE: "127.0.0.1"}) as ns,
    ):
        return await probe(
            f"http://{SITE}:{edge.port}/",
            origin=origin,
            settings=settings(kb, nameservers=(ns.nameserver,)),
        )


async def replayed(case: Replay, kb: KnowledgeBase) -> ProbeReport:
    response = Response(status=case.status, headers=case.headers, body=case.body)
    with HTTPServer({"/": response}) as server:
        if case.relay == "edge":
            return await through_edge(kb, server.port)
        return await probe(f"http://127.0.0.1:{server.port}/", settings=settings(kb))


def check_attribution(case: Replay, d: Diagnosis) -> None:
    producer = d.producer
    assert producer is not None
    assert (producer.kind, producer.vendor, d.fault, d.code) == (
        case.kind,
        case.vendor,
        case.fault,
        case.code,
    ), d.summary
    assert producer.edgeone_marked is case.edgeone
    assert producer.marks, "the marks that decided it are named"
    if case.via:
        assert producer.via == case.via
    if not case.edgeone:
        # No EdgeOne marker on the answer: the summary never names EdgeOne (other than to say so).
        assert not names_edgeone(d.summary), d.summary
        assert d.kb_id is None or d.kb_id.startswith("sa-origin-"), d.kb_id
    if case.kind != "edgeone":
        assert "EdgeOne produced" not in d.summary, d.summary
        assert "EdgeOne answered" not in d.summary, d.summary


@pytest.mark.parametrize("case", CORPUS, ids=[c.id for c in CORPUS])
async def test_replayed_response_is_attributed(case: Replay, kb: KnowledgeBase) -> None:
    report = await replayed(case, kb)
    assert report.edge.http.status_code == case.status
    english = diagnose(report, kb)
    check_attribution(case, english)
    if case.kind in ("origin", "provider"):
        assert any(line.startswith("produced by ") for line in english.evidence), english.evidence
    chinese = diagnose(report, kb, language="zh")
    check_attribution(case, chinese)
    assert chinese.producer == english.producer
    assert_chinese(chinese, kb)


def test_the_corpus_covers_every_kind_of_producer() -> None:
    kinds = {c.kind for c in CORPUS}
    assert kinds == {"edgeone", "pages", "origin", "provider"}
    vendors = {c.vendor for c in CORPUS if c.kind == "provider"}
    assert vendors >= {
        "cloudflare",
        "tencent-cdn",
        "cloudfront",
        "fastly",
        "akamai",
        "vercel",
        "netlify",
    }
    assert len(CORPUS) >= 40


# ---------------------------------------------------------------- EdgeOne's real answers


async def test_a_524_after_the_time_edgeone_waited_with_a_slow_origin(kb: KnowledgeBase) -> None:
    slow = Response(status=200, headers={"Server": "nginx"}, body=b"late", first_byte_delay=1.0)
    with HTTPServer({"/": slow}) as origin:
        report = await through_edge(
            kb, origin.port, origin=f"127.0.0.1:{origin.port}", origin_timeout=0.3
        )
    assert report.edge.http.status_code == 524
    for language in ("en", "zh"):
        d = diagnose(report, kb, language=language)
        assert (d.code, d.fault, d.producer and d.producer.kind) == (524, "origin", "edgeone")
        assert any(w.source == "origin" and w.effect == "confirms" for w in d.weighed)
    english = diagnose(report, kb)
    # Judged against what EdgeOne waited, not the default 15 s: a rule sets it shorter.
    assert "more than the" in english.summary
    assert "shorter than its default 15.0 s" in english.summary
    assert_chinese(diagnose(report, kb, language="zh"), kb)


async def test_a_524_with_a_fast_origin_suspects_the_path(kb: KnowledgeBase) -> None:
    # EdgeOne's pull goes nowhere (the path drops it); hit directly, the origin answers at once.
    with SilentServer() as dropped, HTTPServer(headers={"Server": "nginx"}) as fast:
        spec_port = dropped.port
        report = await through_edge(
            kb, spec_port, origin=f"127.0.0.1:{fast.port}", origin_timeout=0.3
        )
    assert report.edge.http.status_code == 524
    for language in ("en", "zh"):
        d = diagnose(report, kb, language=language)
        assert (d.code, d.fault) == (524, "network")
        assert any(w.source == "origin" and w.effect == "refutes" for w in d.weighed)
    english = diagnose(report, kb)
    assert "well within the" in english.summary
    assert "allow-list" in english.summary
    assert_chinese(diagnose(report, kb, language="zh"), kb)


@pytest.mark.parametrize(
    ("origin_response", "code", "fault"),
    [
        pytest.param(Response(action="reset"), 520, "origin", id="520-reset"),
        pytest.param(Response(action="close"), 520, "origin", id="520-closed"),
    ],
)
async def test_edgeone_origin_pull_failures_are_edgeones_answer(
    kb: KnowledgeBase, origin_response: Response, code: int, fault: str
) -> None:
    with HTTPServer({"/": origin_response}) as origin:
        report = await through_edge(kb, origin.port)
    for language in ("en", "zh"):
        d = diagnose(report, kb, language=language)
        assert d.producer is not None
        assert (d.code, d.fault, d.producer.kind) == (code, fault, "edgeone")
        assert {m.name for m in d.producer.marks} >= {"edgeone-error-page", "eo-log-uuid"}
