"""Every diagnosis path in Chinese: the same verdict as in English, every sentence in Chinese (only
commands, codes, header names, identifiers and URLs stay as they are), and the knowledge base's
Chinese text where an entry is quoted."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.diagnosis import Diagnosis, diagnose
from bot.knowledge import KnowledgeBase
from bot.probe.models import DNSResult, HTTPResult, Lookup, ProbeReport, ProbeResult
from tests.diagnosis.wording import assert_chinese, english_left
from tests.test_diagnosis import (
    EDGE_IP,
    HOST,
    ORIGIN_IP,
    URL,
    answer,
    dns_ok,
    edge,
    failing,
    origin,
    result,
)


def _slow_524() -> ProbeResult:
    return edge(524, ttfb=5_000.0)


def _dropped_aaaa() -> ProbeResult:
    dns = replace(
        dns_ok(),
        lookups=(
            Lookup(rtype="A", status="ok", addresses=(EDGE_IP,), ms=3.0),
            Lookup(rtype="AAAA", status="timeout", ms=500.0, error="no AAAA answer in time"),
        ),
    )
    return edge(200, dns=dns)


def _deadline() -> ProbeResult:
    probe = failing("http:timeout")
    return replace(probe, deadline_hit=True)


def _incomplete() -> ProbeResult:
    probe = failing("http:reset")
    return replace(probe, http=HTTPResult(status="skipped"), deadline_hit=True)


def _looping_origin() -> ProbeResult:
    return result(answer(200, uuid="99"), dns=DNSResult(status="skipped"), target=ORIGIN_IP)


# (id, edge, origin, stated code): one per path of the verdict.
PATHS: list[tuple[str, ProbeResult, ProbeResult | None, int | None]] = [
    *[
        (f"unmarked-{kind}", failing(kind), None, None)
        for kind in (
            "dns:nxdomain",
            "dns:servfail",
            "dns:timeout",
            "dns:no_answer",
            "dns:cname_loop",
            "dns:cname_too_long",
            "connect:refused",
            "connect:timeout",
            "connect:unreachable",
            "connect:error",
            "tls:handshake_failed",
            "tls:timeout",
            "tls:cert_invalid:expired",
            "tls:cert_invalid:untrusted",
            "tls:cert_invalid:hostname_mismatch",
            "http:reset",
            "http:closed",
            "http:timeout",
            "http:error",
        )
    ],
    (
        "unmarked-with-failing-origin",
        failing("connect:refused"),
        failing("connect:timeout", target=ORIGIN_IP),
        None,
    ),
    ("deadline", _deadline(), None, None),
    ("incomplete", _incomplete(), None, None),
    ("node-silent", failing("connect:timeout", on_edgeone=True), None, None),
    ("node-refused", failing("connect:refused", on_edgeone=True), None, None),
    ("node-418-cert", failing("tls:cert_invalid:hostname_mismatch", on_edgeone=True), None, None),
    *[(f"pull-{code}", edge(code), None, None) for code in (520, 521, 522, 523, 524, 525, 552)],
    ("pull-524-short", _slow_524(), None, None),
    ("pull-unmarked-520", edge(520, uuid=None, dns=dns_ok(on_edgeone=False)), None, None),
    ("pull-521-refused", edge(521), failing("connect:refused", target=ORIGIN_IP), None),
    ("pull-522-other", edge(522), failing("connect:refused", target=ORIGIN_IP), None),
    ("pull-525-cert", edge(525), failing("tls:cert_invalid:expired", target=ORIGIN_IP), None),
    ("pull-524-slow", edge(524), origin(200, ttfb=21_000.0), None),
    ("pull-524-near", edge(524, ttfb=15_000.0), origin(200, ttfb=9_000.0), None),
    ("pull-524-fast", edge(524, ttfb=15_000.0), origin(200, ttfb=84.0), None),
    ("pull-522-healthy", edge(522), origin(200), None),
    ("pull-520-origin-500", edge(520), origin(500), None),
    ("418", edge(418), None, None),
    ("418-ip", edge(418, dns=DNSResult(status="skipped")), None, None),
    ("423", edge(423, headers={"cdn-loop": "TencentEdgeOne; loops=16"}), _looping_origin(), None),
    ("423-pages", edge(423, server="edgeone-pages"), None, None),
    *[(f"security-{code}", edge(code), None, None) for code in (566, 567, 570)],
    ("545", edge(545), None, None),
    *[
        (f"pages-{name}", edge(code, server="edgeone-pages", error_name=name), None, None)
        for code, name in (
            (504, "NODE_FUNCTION_INVOCATION_TIMEOUT"),
            (500, "INTERNAL_NODE_FUNCTION_ERROR"),
            (404, "NOT_FOUND"),
            (401, "UNAUTHORIZED"),
            (429, "RATE_LIMIT_EXCEEDED"),
            (511, "EDGE_FUNCTION_INVOCATION_LIMIT_EXCEEDED"),
        )
    ],
    ("pages-404-server", edge(404, server="edgeone-pages"), None, None),
    ("unknown-name", edge(502, error_name="CLOUD_FUNCTION_SOMETHING_NEW"), None, None),
    ("same-status", edge(503), origin(503), None),
    ("other-status", edge(403), origin(200), None),
    ("origin-fails", edge(502), failing("connect:refused", target=ORIGIN_IP), None),
    *[(f"no-origin-{code}", edge(code), None, None) for code in (500, 400, 403, 413, 416, 429)],
    ("no-markers", edge(503, uuid=None, server="nginx", dns=dns_ok(on_edgeone=False)), None, None),
    ("origin-marks", edge(502, server="nginx"), None, None),
    ("origin-marks-probed", edge(502, server="nginx"), origin(200), None),
    ("origin-401", edge(401, headers={"www-authenticate": "Basic"}), None, None),
    ("origin-400", edge(400, server="Apache"), None, None),
    ("healthy", edge(200, headers={"eo-cache-status": "HIT"}), None, None),
    ("redirect", edge(301, headers={"location": "https://example.com/new"}), None, None),
    ("redirect-bare", edge(302), None, None),
    ("redirect-loop", edge(301, headers={"location": URL}), None, None),
    ("healthy-origin-down", edge(200), failing("connect:refused", target=ORIGIN_IP), None),
    (
        "healthy-provider",
        edge(200, uuid=None, dns=dns_ok(on_edgeone=False), headers={"cf-ray": "8a1b-SJC"}),
        None,
        None,
    ),
    (
        "cert-clients-reject",
        replace(edge(200), tls=failing("tls:cert_invalid:expired").tls),
        None,
        None,
    ),
    ("dropped-aaaa", _dropped_aaaa(), None, None),
    ("stated-not-reproduced", edge(200), None, 522),
    ("stated-reproduced", edge(522), None, 522),
    ("stated-differs", edge(521), None, 522),
    ("stated-no-code", failing("connect:timeout", on_edgeone=True), None, 522),
]


def both(
    kb: KnowledgeBase, probe: ProbeResult, origin_result: ProbeResult | None, stated: int | None
) -> tuple[Diagnosis, Diagnosis]:
    report = ProbeReport(edge=probe, origin=origin_result)
    english = diagnose(report, kb, stated_code=stated)
    chinese = diagnose(report, kb, stated_code=stated, language="zh")
    return english, chinese


@pytest.mark.parametrize(
    ("probe", "origin_result", "stated"), [p[1:] for p in PATHS], ids=[p[0] for p in PATHS]
)
def test_the_chinese_diagnosis_says_the_same_in_chinese(
    kb: KnowledgeBase, probe: ProbeResult, origin_result: ProbeResult | None, stated: int | None
) -> None:
    english, chinese = both(kb, probe, origin_result, stated)
    same = ("code", "product", "kb_id", "fault", "stated_code", "reproduced", "producer", "support")
    assert {k: getattr(chinese, k) for k in same} == {k: getattr(english, k) for k in same}
    assert [(w.source, w.effect) for w in chinese.weighed] == [
        (w.source, w.effect) for w in english.weighed
    ]
    assert len(chinese.evidence) == len(english.evidence)
    assert len(chinese.next_steps) == len(english.next_steps)
    assert (english.language, chinese.language) == ("en", "zh")
    assert_chinese(chinese, kb)
    # Commands are the same in both languages; only the words around them change.
    commands = [step.split("`")[1] for step in english.next_steps if "`" in step]
    assert commands == [step.split("`")[1] for step in chinese.next_steps if "`" in step]


def test_the_knowledge_base_speaks_chinese_in_a_chinese_diagnosis(kb: KnowledgeBase) -> None:
    english, chinese = both(kb, edge(522), None, None)
    entry = kb.get("sa-522")
    assert entry is not None
    assert entry.zh is not None
    assert chinese.summary.startswith(entry.zh.title + "。")
    assert entry.zh.fixes[0] in chinese.next_steps
    assert entry.fixes[0] in english.next_steps
    check = next(step for step in chinese.next_steps if "`" in step)
    words = check.split("：`")[0].split("（请替换")[0]
    assert words in [w.rstrip("。") for w in entry.zh.checks]


def test_the_leak_check_catches_english() -> None:
    assert english_left("源站 answered 200 in 84 ms") == ["answered", "in", "ms"]
    assert english_left("查看 `curl -sv https://x.test/a` 和 Server: nginx/1.2 (Debian)") == []
    assert english_left("EO-LOG-UUID 123、CNAME 指向 EdgeOne（a.eo.dnse1.com）") == []


def test_a_hostname_mismatch_is_chinese_with_its_names(kb: KnowledgeBase) -> None:
    _, chinese = both(
        kb, failing("tls:cert_invalid:hostname_mismatch", target=ORIGIN_IP), None, None
    )
    assert f"不包含 {HOST}" in chinese.evidence[0]
