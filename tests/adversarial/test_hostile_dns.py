"""Resolvers that misbehave: one query type dropped, CNAME loops, chains over the limit, names
that carry markup. A and AAAA each get their own outcome; one answering is enough to go on."""

from __future__ import annotations

import pytest

from bot.knowledge import KnowledgeBase
from bot.probe.dns import MAX_CNAME_HOPS
from bot.probe.runner import probe
from tests.adversarial.conftest import render_all, settings
from tests.servers import DNSServer, HTTPServer, LongChain, Records, SilentUDPServer, cname


async def test_a_answered_and_aaaa_dropped_still_connects(kb: KnowledgeBase) -> None:
    with (
        DNSServer({"v4.test": Records(a=["127.0.0.1"], aaaa=["::1"], silent=("AAAA",))}) as ns,
        HTTPServer() as server,
    ):
        report = await probe(
            f"http://v4.test:{server.port}/", settings=settings(nameservers=(ns.nameserver,))
        )
        assert {q.qtype for q in ns.queries} >= {"A", "AAAA"}  # AAAA was asked, never answered
    dns = report.edge.dns
    assert dns.status == "ok"
    assert dns.addresses == ("127.0.0.1",)
    lookups = {lookup.rtype: lookup for lookup in dns.lookups}
    assert lookups["A"].status == "ok"
    assert lookups["AAAA"].status == "timeout"
    assert lookups["AAAA"].error is not None
    assert "AAAA" in lookups["AAAA"].error
    assert report.edge.connect.status == "ok"
    assert report.edge.http.status_code == 200
    assert server.hits == 1
    rendered = render_all(report, kb)
    assert any("AAAA lookup failed" in line for line in rendered.diagnosis.evidence)
    assert "AAAA:" in rendered.terminal


async def test_aaaa_answered_and_a_dropped_connects_over_ipv6(kb: KnowledgeBase) -> None:
    with (
        DNSServer({"v6.test": Records(a=["127.0.0.1"], aaaa=["::1"], silent=("A",))}) as ns,
        HTTPServer(host="::1") as server,
    ):
        report = await probe(
            f"http://v6.test:{server.port}/", settings=settings(nameservers=(ns.nameserver,))
        )
    assert report.edge.dns.status == "ok"
    assert report.edge.dns.addresses == ("::1",)
    assert report.edge.connect.ip == "::1"
    assert report.edge.http.status_code == 200
    render_all(report, kb)


async def test_a_silent_resolver_names_the_dns_timeout(kb: KnowledgeBase) -> None:
    with SilentUDPServer() as ns:
        report = await probe(
            "http://quiet.test/", settings=settings(nameservers=((ns.host, ns.port),))
        )
    dns = report.edge.dns
    assert dns.status == "timeout"
    assert dns.error is not None
    assert "DNS timeout (0.5 s)" in dns.error
    rendered = render_all(report, kb)
    assert any("DNS timeout (0.5 s)" in line for line in rendered.diagnosis.evidence)


def _chain(length: int, prefix: str = "c") -> dict[str, Records | str]:
    zones: dict[str, Records | str] = {
        f"{prefix}{i}.test": cname(f"{prefix}{i + 1}.test") for i in range(length)
    }
    zones[f"{prefix}{length}.test"] = "127.0.0.1"
    return zones


@pytest.mark.parametrize("long_chain", ["SERVFAIL", "PARTIAL"])
async def test_a_cname_loop_is_reported_as_a_loop(kb: KnowledgeBase, long_chain: LongChain) -> None:
    zones = {"a.test": cname("b.test"), "b.test": cname("c.test"), "c.test": cname("a.test")}
    with DNSServer(zones, long_chain=long_chain) as ns:
        report = await probe("http://a.test/", settings=settings(nameservers=(ns.nameserver,)))
    dns = report.edge.dns
    assert dns.status == "cname_loop"
    assert dns.cname_chain == ("b.test", "c.test", "a.test")
    rendered = render_all(report, kb)
    assert rendered.diagnosis.code == 523
    assert "CNAME loop" in rendered.diagnosis.summary
    assert "SERVFAIL" not in rendered.diagnosis.summary
    assert "loops back" in rendered.diagnosis.evidence[0]


@pytest.mark.parametrize("long_chain", ["SERVFAIL", "PARTIAL"])
async def test_a_chain_over_the_limit_is_reported_as_too_long(
    kb: KnowledgeBase, long_chain: LongChain
) -> None:
    with DNSServer(_chain(MAX_CNAME_HOPS + 4), long_chain=long_chain) as ns:
        report = await probe("http://c0.test/", settings=settings(nameservers=(ns.nameserver,)))
    dns = report.edge.dns
    assert dns.status == "cname_too_long"
    assert len(dns.cname_chain) > MAX_CNAME_HOPS
    rendered = render_all(report, kb)
    assert "CNAME chain too long" in rendered.diagnosis.summary
    assert "SERVFAIL" not in rendered.diagnosis.summary


async def test_a_long_chain_within_the_limit_resolves() -> None:
    with DNSServer(_chain(10)) as ns, HTTPServer() as server:
        report = await probe(
            f"http://c0.test:{server.port}/", settings=settings(nameservers=(ns.nameserver,))
        )
    assert report.edge.dns.status == "ok"
    assert len(report.edge.dns.cname_chain) == 10
    assert report.edge.http.status_code == 200


async def test_a_plain_servfail_stays_servfail(kb: KnowledgeBase) -> None:
    with DNSServer({"broken.test": "SERVFAIL"}) as ns:
        report = await probe("http://broken.test/", settings=settings(nameservers=(ns.nameserver,)))
    assert report.edge.dns.status == "servfail"
    render_all(report, kb)


async def test_markup_in_cname_targets_is_escaped(kb: KnowledgeBase) -> None:
    zones = {"evil.test": cname("x<!channel>.evil.test"), "x<!channel>.evil.test": "NXDOMAIN"}
    with DNSServer(zones) as ns:
        report = await probe("http://evil.test/", settings=settings(nameservers=(ns.nameserver,)))
    assert report.edge.dns.status == "nxdomain"
    assert any("<!channel>" in hop for hop in report.edge.dns.cname_chain)
    rendered = render_all(report, kb)
    for text in (rendered.slack.text, rendered.blocks):
        assert "<!channel>" not in text
    assert "&lt;!channel&gt;" in rendered.blocks
