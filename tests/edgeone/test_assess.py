"""EdgeOne's view weighed against the probe's reading: confirm, refute, sharpen, or stay silent.
Each case is a probe verdict meeting findings built the way the view builds them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.edgeone.assess import assess
from bot.edgeone.facts import (
    AddressSet,
    CnameFact,
    DomainConfig,
    EdgeIPFact,
    EdgeLogRecord,
    LogsFact,
    OriginACLFact,
    PlannedACL,
)
from bot.edgeone.findings import (
    acl_findings,
    cname_findings,
    domain_findings,
    edge_ip_findings,
    log_findings,
)

NOW = datetime(2025, 3, 4, 10, 30, tzinfo=UTC)
HOST = "shop.example.com"


def _log(edge: int, origin: int | None, **kw: object) -> list:  # type: ignore[type-arg]
    record = EdgeLogRecord("1", edge_status=edge, origin_status=origin, **kw)  # type: ignore[arg-type]
    return log_findings(LogsFact("1", "found", record=record))


def test_edge_log_confirms_a_522() -> None:
    result = assess(_log(522, None), code=522, side="network")
    assert result.stance == "confirms"
    assert (result.side, result.code) == ("network", 522)
    assert result.sentence.startswith("EdgeOne's view confirms this: EdgeOne logged 522")


def test_522_with_protection_on_and_a_missing_range_is_sharpened() -> None:
    acl = OriginACLFact(
        "online",
        (HOST,),
        "v3",
        current=AddressSet(("43.174.0.0/15",)),
        planned=PlannedACL(
            "v4", NOW - timedelta(hours=1), AddressSet(("43.176.0.0/16",)), AddressSet()
        ),
    )
    findings = _log(522, None) + acl_findings(acl, domain=HOST, now=NOW)
    result = assess(findings, code=522, side="network")
    assert result.stance == "sharpens"
    assert result.side == "origin"  # the origin's firewall, not the network in between
    assert "add 43.176.0.0/16 to the origin firewall" in result.sentence


def test_origin_blamed_but_the_edge_log_says_the_origin_answered() -> None:
    result = assess(_log(502, 200), code=502, side="origin")
    assert result.stance == "refutes"
    assert (result.side, result.code) == ("edge", 502)
    assert "the probe pointed at the origin side" in result.sentence
    assert "the origin answered 200" in result.sentence


def test_healthy_probe_but_the_address_is_not_edgeones() -> None:
    findings = edge_ip_findings(EdgeIPFact("198.51.100.20", False), cname=CnameFact(HOST, "moved"))
    result = assess(findings + cname_findings(CnameFact(HOST, "moved")), code=None, side="none")
    assert result.stance == "refutes"
    assert result.side == "dns"
    assert result.sentence.startswith(
        "EdgeOne's view points elsewhere (the probe found nothing wrong): 198.51.100.20"
    )


def test_525_sharpened_by_the_pull_configuration() -> None:
    domain = DomainConfig(HOST, "online", protocol="HTTPS", http_port=80, https_port=80)
    result = assess(domain_findings(domain, now=NOW), code=525, side="origin")
    assert result.stance == "sharpens"
    assert "HTTPS to port 80" in result.sentence


def test_nothing_relevant_leaves_the_verdict_alone() -> None:
    domain = DomainConfig(HOST, "process")  # deploying: info only
    result = assess(domain_findings(domain, now=NOW), code=524, side="origin")
    assert (result.stance, result.side, result.code, result.because) == (
        "silent",
        "origin",
        524,
        (),
    )
    assert assess([], code=None, side=None).stance == "silent"
