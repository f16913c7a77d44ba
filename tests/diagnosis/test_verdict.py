"""The verdict with hand-made evidence: the producer's marks, the origin comparison and the time
EdgeOne waited change the code and the side, and the verdict says which evidence did what."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from bot.diagnosis import Diagnosis, diagnose
from bot.knowledge import KnowledgeBase
from bot.probe.models import ProbeReport, ProbeResult
from bot.render.json import probe_dict
from tests.diagnosis.wording import names_edgeone
from tests.test_diagnosis import UUID, dns_ok, edge, failing, origin


def run(
    kb: KnowledgeBase, probe: ProbeResult, origin_result: ProbeResult | None = None, **kw: Any
) -> Diagnosis:
    return diagnose(ProbeReport(edge=probe, origin=origin_result), kb, **kw)


def with_body(probe: ProbeResult, *marks: str) -> ProbeResult:
    return replace(probe, http=replace(probe.http, body_marks=marks))


# ---------------------------------------------------------------- the origin's marks


def test_the_origins_marks_decide_without_an_origin_probe(kb: KnowledgeBase) -> None:
    d = run(kb, with_body(edge(502, server="nginx"), "nginx-error-page"))
    assert (d.code, d.kb_id, d.fault) == (502, "sa-origin-502", "origin")
    assert "The origin produced the 502 itself" in d.summary
    assert "would confirm" not in d.summary
    assert not any("--origin" in step for step in d.next_steps)
    assert d.next_steps[0].endswith(UUID)  # EdgeOne sends the same id to the origin
    assert [(w.source, w.effect) for w in d.weighed] == [("producer", "sharpens")]


def test_the_origins_marks_outweigh_a_reserved_code(kb: KnowledgeBase) -> None:
    d = run(kb, edge(524, server="nginx"))
    assert (d.code, d.fault, d.kb_id) == (524, "origin", None)
    assert "reserved for EdgeOne" in d.summary
    assert d.weighed[0].effect == "refutes"


@pytest.mark.parametrize(
    ("status", "fault"),
    [
        pytest.param(400, "client", id="400"),
        pytest.param(401, "client", id="401"),
        pytest.param(413, "client", id="413"),
        pytest.param(403, "origin", id="403"),
        pytest.param(404, "origin", id="404"),
        pytest.param(503, "origin", id="503"),
    ],
)
def test_an_origin_4xx_caused_by_the_request_is_the_clients(
    kb: KnowledgeBase, status: int, fault: str
) -> None:
    d = run(kb, edge(status, server="Apache"))
    assert (d.code, d.fault) == (status, fault)


def test_an_origin_probe_with_the_same_status_confirms_the_marks(kb: KnowledgeBase) -> None:
    d = run(kb, edge(502, server="nginx"), origin(502))
    assert d.fault == "origin"
    assert ("origin", "confirms") in [(w.source, w.effect) for w in d.weighed]


def test_an_origin_probe_that_disagrees_sharpens_but_the_marks_decide(kb: KnowledgeBase) -> None:
    d = run(kb, edge(502, server="nginx"), origin(200))
    assert d.fault == "origin"
    assert ("origin", "sharpens") in [(w.source, w.effect) for w in d.weighed]
    assert any("another server, port or Host" in line for line in d.evidence)


# ---------------------------------------------------------------- another provider


def test_another_providers_own_answer_names_no_edgeone_code(kb: KnowledgeBase) -> None:
    probe = edge(
        522,
        uuid=None,
        server="cloudflare",
        dns=dns_ok(on_edgeone=False),
        headers={"cf-ray": "8a1b-SJC"},
    )
    d = run(kb, probe)
    assert (d.code, d.kb_id, d.fault) == (None, None, "network")
    assert d.summary.startswith("Cloudflare answered 522 itself")
    assert not names_edgeone(d.summary)
    assert d.support.edge_ip is None
    assert d.weighed[0].effect == "refutes"  # the status alone would read as EdgeOne's 522


def test_a_block_by_another_provider_is_the_providers(kb: KnowledgeBase) -> None:
    probe = edge(403, uuid=None, server="AkamaiGHost", dns=dns_ok(on_edgeone=False))
    d = run(kb, probe)
    assert (d.code, d.fault) == (None, "provider")
    assert "Akamai" in d.summary


# ---------------------------------------------------------------- EdgeOne's own pages


def test_a_block_page_with_a_custom_status_is_edgeones(kb: KnowledgeBase) -> None:
    d = run(kb, with_body(edge(403), "edgeone-block-page"))
    assert (d.code, d.fault, d.kb_id) == (403, "edge", "sa-567")
    assert "would confirm" not in d.summary
    assert "security logs" in d.next_steps[0]


def test_a_captcha_on_a_200_is_not_healthy(kb: KnowledgeBase) -> None:
    d = run(kb, with_body(edge(200), "edgeone-captcha"))
    assert (d.code, d.fault) == (None, "edge")
    assert "captcha" in d.summary


# ---------------------------------------------------------------- the account or plan


@pytest.mark.parametrize("status", [429, 511, 512])
def test_pages_quotas_name_the_account(kb: KnowledgeBase, status: int) -> None:
    d = run(kb, edge(status, server="edgeone-pages"))
    assert d.fault == "account"


# ---------------------------------------------------------------- what EdgeOne waited


def test_a_524_is_judged_against_the_time_edgeone_waited(kb: KnowledgeBase) -> None:
    d = run(kb, edge(524, ttfb=5_000.0), origin(200, ttfb=6_000.0))
    assert d.fault == "origin"
    assert "more than the 5000 ms EdgeOne waited" in d.summary
    assert "shorter than its default 15.0 s" in d.summary


def test_an_origin_close_to_the_limit_is_still_the_origin(kb: KnowledgeBase) -> None:
    d = run(kb, edge(524, ttfb=15_000.0), origin(200, ttfb=9_000.0))
    assert d.fault == "origin"
    assert "close to the 15.0 s" in d.summary


def test_only_an_origin_well_within_the_limit_points_at_the_path(kb: KnowledgeBase) -> None:
    d = run(kb, edge(524, ttfb=15_000.0), origin(200, ttfb=400.0))
    assert d.fault == "network"
    assert "well within the 15.0 s EdgeOne waits" in d.summary
    assert ("origin", "refutes") in [(w.source, w.effect) for w in d.weighed]


def test_a_524_without_an_origin_probe_notes_a_shorter_timeout(kb: KnowledgeBase) -> None:
    d = run(kb, edge(524, ttfb=5_000.0))
    assert "rule-engine origin-pull timeout" in d.summary
    assert "rule-engine" not in run(kb, edge(524, ttfb=15_002.0)).summary


# ---------------------------------------------------------------- the probe JSON


@pytest.mark.parametrize("language", ["en", "zh"])
def test_json_carries_the_language_the_producer_and_the_weighing(
    kb: KnowledgeBase, language: str
) -> None:
    probe = with_body(edge(502, server="nginx"), "nginx-error-page")
    report = ProbeReport(edge=probe)
    data = probe_dict(report, diagnose(report, kb, language=language))  # type: ignore[arg-type]
    json.dumps(data, ensure_ascii=False)
    assert data["language"] == language
    assert data["http"]["body_marks"] == ["nginx-error-page"]
    producer = data["diagnosis"]["producer"]
    assert producer["kind"] == "origin"
    assert producer["vendor"] == "nginx"
    assert producer["via"] == ["EdgeOne"]
    assert producer["marks"][0] == {"kind": "body", "name": "nginx-error-page", "value": ""}
    assert data["diagnosis"]["weighed"][0]["source"] == "producer"
    assert data["diagnosis"]["fault"] == "origin"  # keys and values stay English


def test_json_producer_is_null_without_an_answer(kb: KnowledgeBase) -> None:
    report = ProbeReport(edge=failing("connect:refused"))
    data = probe_dict(report, diagnose(report, kb))
    assert data["diagnosis"]["producer"] is None
    assert data["language"] == "en"
