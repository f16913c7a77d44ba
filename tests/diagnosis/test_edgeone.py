"""EdgeOne's API as evidence: hand-made facts confirm, refute or sharpen the verdict, with a worded
reason in the diagnosis language (bot.edgeone will feed real ones)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.diagnosis import (
    Diagnosis,
    DomainState,
    EdgeOneFact,
    NodeAddress,
    OriginConfig,
    OriginProtection,
    PullTimeout,
    RequestRecord,
    diagnose,
)
from bot.diagnosis.edgeone import EdgeOneView, fact_words
from bot.diagnosis.say import say_in
from bot.knowledge import KnowledgeBase
from bot.probe.models import ProbeReport, ProbeResult
from tests.diagnosis.wording import assert_chinese
from tests.test_diagnosis import EDGE_IP, HOST, ORIGIN_IP, UUID, edge, failing, origin

ALL_FACTS: list[EdgeOneFact] = [
    NodeAddress(EDGE_IP, is_edgeone=True),
    NodeAddress(EDGE_IP, is_edgeone=False),
    DomainState(HOST, status=None),
    DomainState(HOST, status="offline", cname_status="moved", cname=f"{HOST}.eo.dnse1.com"),
    PullTimeout(HOST, 15),
    PullTimeout(HOST, 60, rule="slow exports"),
    OriginConfig(HOST, "198.51.100.99", protocol="https", https_port=8443, host_header="o.test"),
    OriginProtection(enabled=True, version="v3", next_change="2026-01-15"),
    OriginProtection(enabled=False),
    RequestRecord(UUID, 524, origin_status=None),
    RequestRecord(UUID, 403, origin_status=200, origin_ms=12.0),
]


def run(
    kb: KnowledgeBase,
    edge_result: ProbeResult,
    origin_result: ProbeResult | None = None,
    *facts: EdgeOneFact,
    language: str = "en",
) -> Diagnosis:
    report = ProbeReport(edge=edge_result, origin=origin_result)
    return diagnose(report, kb, edgeone=facts, language=language)  # type: ignore[arg-type]


def effects(d: Diagnosis) -> list[str]:
    return [w.effect for w in d.weighed if w.source == "edgeone"]


# ---------------------------------------------------------------- the facts themselves


def test_facts_are_found_by_what_they_are_about() -> None:
    view = EdgeOneView.of(ALL_FACTS)
    assert view.node(EDGE_IP) == ALL_FACTS[0]
    assert view.node("192.0.2.1") is None
    assert view.domain("WWW.EXAMPLE.COM.") == ALL_FACTS[2]
    assert view.pull_timeout(HOST) == ALL_FACTS[4]
    assert view.origin("other.test") is None
    assert view.protection() == ALL_FACTS[7]
    assert view.record(UUID) == ALL_FACTS[9]
    assert view.record(None) is None


@pytest.mark.parametrize("fact", ALL_FACTS, ids=lambda f: type(f).__name__)
def test_every_fact_is_worded_in_both_languages(fact: EdgeOneFact) -> None:
    english, chinese = fact_words(fact, say_in("en")), fact_words(fact, say_in("zh"))
    assert english
    assert chinese
    assert english != chinese
    assert "None" not in english
    assert "None" not in chinese


def test_without_facts_nothing_is_weighed_from_the_api(kb: KnowledgeBase) -> None:
    assert effects(run(kb, edge(522))) == []


# ---------------------------------------------------------------- NodeAddress


def test_an_edge_node_behind_a_silent_address_is_not_read_as_the_origin(
    kb: KnowledgeBase,
) -> None:
    # No marker at all (NS mode, no answer): alone the probe reads the target as the origin.
    alone = run(kb, failing("connect:timeout"))
    assert alone.code == 522
    d = run(kb, failing("connect:timeout"), None, NodeAddress(EDGE_IP, is_edgeone=True))
    assert (d.code, d.fault) == (None, "network")
    assert effects(d) == ["refutes"]
    assert "EdgeOne node" in d.weighed[0].reason


def test_a_node_the_api_confirms(kb: KnowledgeBase) -> None:
    d = run(kb, edge(524), None, NodeAddress(EDGE_IP, is_edgeone=True))
    assert effects(d) == ["confirms"]
    assert d.support.edge_ip == EDGE_IP


def test_an_address_the_api_disowns_is_no_edge_ip(kb: KnowledgeBase) -> None:
    d = run(kb, edge(524), None, NodeAddress(EDGE_IP, is_edgeone=False))
    assert effects(d) == ["refutes"]
    assert d.support.edge_ip is None
    assert any("stale DNS" in line for line in d.evidence)


def test_a_failed_node_the_api_disowns_is_the_names_dns(kb: KnowledgeBase) -> None:
    probe = failing("connect:timeout", on_edgeone=True)
    assert run(kb, probe).fault == "network"
    d = run(kb, probe, None, NodeAddress(EDGE_IP, is_edgeone=False))
    assert d.fault == "dns"


# ---------------------------------------------------------------- DomainState


@pytest.mark.parametrize(
    "state",
    [
        pytest.param(DomainState(HOST, status="offline", cname_status="active"), id="offline"),
        pytest.param(DomainState(HOST, status="online", cname_status="invalid"), id="invalid"),
        pytest.param(DomainState(HOST, status=None), id="absent"),
    ],
)
def test_a_418_the_domain_state_explains_is_confirmed(
    kb: KnowledgeBase, state: DomainState
) -> None:
    d = run(kb, edge(418), None, state)
    assert (d.code, d.fault) == (418, "edge")
    assert effects(d) == ["confirms"]


def test_a_418_on_a_domain_in_good_order_is_refuted_with_a_next_step(kb: KnowledgeBase) -> None:
    state = DomainState(HOST, status="online", cname_status="active")
    d = run(kb, edge(418), None, state)
    assert effects(d) == ["refutes"]
    assert "old one" in d.next_steps[0]


def test_a_cname_that_moved_sharpens_another_verdict(kb: KnowledgeBase) -> None:
    state = DomainState(HOST, status="online", cname_status="moved", cname="x.eo.dnse2.com")
    d = run(kb, edge(522), None, state)
    assert effects(d) == ["sharpens"]
    assert any("x.eo.dnse2.com" in line for line in d.evidence)


# ---------------------------------------------------------------- PullTimeout


def test_a_rule_timeout_matching_what_edgeone_waited_confirms(kb: KnowledgeBase) -> None:
    d = run(kb, edge(524, ttfb=60_004.0), None, PullTimeout(HOST, 60, rule="exports"))
    assert effects(d) == ["confirms"]


def test_a_rule_timeout_that_differs_from_what_edgeone_waited_sharpens(
    kb: KnowledgeBase,
) -> None:
    d = run(kb, edge(524, ttfb=5_000.0), None, PullTimeout(HOST, 60, rule="exports"))
    assert effects(d) == ["sharpens"]
    assert any("5000 ms" in line for line in d.evidence)


def test_the_rule_timeout_judges_the_origin_when_the_524_time_is_unknown(
    kb: KnowledgeBase,
) -> None:
    unknown = edge(524)
    unknown = replace(unknown, http=replace(unknown.http, ttfb_ms=None))
    slowish = origin(200, ttfb=10_000.0)
    # Against the default 15 s, 10 s is close enough to be the origin's slowness...
    assert run(kb, unknown, slowish).fault == "origin"
    # ...against a 60 s rule it is well within: the path is suspected instead.
    d = run(kb, unknown, slowish, PullTimeout(HOST, 60, rule="exports"))
    assert d.fault == "network"


# ---------------------------------------------------------------- OriginConfig


def test_a_comparison_with_another_origin_is_refuted(kb: KnowledgeBase) -> None:
    config = OriginConfig(HOST, "198.51.100.99", protocol="https")
    d = run(kb, edge(522), origin(200), config)
    assert effects(d) == ["refutes"]
    assert d.next_steps[0].endswith("--origin 198.51.100.99:443")


def test_another_port_sharpens_the_comparison(kb: KnowledgeBase) -> None:
    config = OriginConfig(HOST, ORIGIN_IP, protocol="https", https_port=8443)
    d = run(kb, edge(522), origin(200), config)
    assert effects(d) == ["sharpens"]
    assert any("port 8443" in line for line in d.evidence)


def test_without_an_origin_probe_the_configured_origin_is_suggested(kb: KnowledgeBase) -> None:
    config = OriginConfig(HOST, ORIGIN_IP, protocol="follow", host_header="origin.example.com")
    d = run(kb, edge(521), None, config)
    assert d.next_steps[0].endswith(f"--origin {ORIGIN_IP}:443")
    assert effects(d) == ["sharpens"]


def test_a_rewritten_host_sharpens_a_path_verdict(kb: KnowledgeBase) -> None:
    config = OriginConfig(HOST, ORIGIN_IP, host_header="origin.example.com")
    d = run(kb, edge(522), origin(200), config)
    assert d.fault == "network"
    assert any("Host: origin.example.com" in line for line in d.evidence)


# ---------------------------------------------------------------- OriginProtection


def test_origin_protection_sharpens_a_path_verdict(kb: KnowledgeBase) -> None:
    protection = OriginProtection(enabled=True, version="v3", next_change="2026-01-15")
    d = run(kb, edge(522), origin(200), protection)
    assert effects(d)[-1] == "sharpens"
    assert any("2026-01-15" in step for step in d.next_steps)
    assert effects(run(kb, edge(522), origin(200), OriginProtection(enabled=False))) == []


# ---------------------------------------------------------------- RequestRecord


def test_the_log_of_the_request_shows_the_origins_own_status(kb: KnowledgeBase) -> None:
    # Without an origin probe a 403 through EdgeOne is read as EdgeOne's access control.
    assert run(kb, edge(403)).fault == "edge"
    d = run(kb, edge(403), None, RequestRecord(UUID, 403, origin_status=403))
    assert d.fault == "origin"
    assert effects(d) == ["refutes"]


def test_the_log_of_the_request_shows_edgeones_own_status(kb: KnowledgeBase) -> None:
    d = run(kb, edge(502, server="nginx"), None, RequestRecord(UUID, 502, origin_status=200))
    assert d.fault == "edge"
    assert effects(d)[-1] == "refutes"


def test_the_log_of_a_pull_failure_confirms_it(kb: KnowledgeBase) -> None:
    d = run(kb, edge(524), None, RequestRecord(UUID, 524, origin_status=None))
    assert (d.code, d.fault) == (524, "origin")
    assert effects(d) == ["confirms"]


def test_a_log_of_another_request_is_ignored(kb: KnowledgeBase) -> None:
    d = run(kb, edge(403), None, RequestRecord("999", 403, origin_status=403))
    assert effects(d) == []


# ---------------------------------------------------------------- in Chinese


@pytest.mark.parametrize("fact", ALL_FACTS, ids=lambda f: type(f).__name__)
def test_reasons_are_chinese_in_a_chinese_diagnosis(kb: KnowledgeBase, fact: EdgeOneFact) -> None:
    for probe, origin_result in ((edge(524), None), (edge(522), origin(200)), (edge(418), None)):
        english = run(kb, probe, origin_result, fact)
        chinese = run(kb, probe, origin_result, fact, language="zh")
        assert (chinese.code, chinese.fault) == (english.code, english.fault)
        assert effects(chinese) == effects(english)
        assert_chinese(chinese, kb)
