"""The view as evidence: each part becomes the diagnosis fact it supports, and nothing it does not
know for sure (an unknown status, a missing part, an origin the probe cannot compare)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.diagnosis import (
    DomainState,
    NodeAddress,
    OriginConfig,
    OriginProtection,
    RequestRecord,
)
from bot.edgeone.errors import Problem
from bot.edgeone.evidence import facts_of
from bot.edgeone.facts import (
    AddressSet,
    CnameFact,
    DomainConfig,
    EdgeIPFact,
    EdgeLogRecord,
    LogsFact,
    OriginACLFact,
    PlannedACL,
    ZoneFact,
)
from bot.edgeone.view import EdgeOneView
from bot.edgeone.zones import ZoneMatch
from bot.i18n.phrase import Phrase

HOST = "shop.example.com"
UUID = "4105283880544427145"
NOW = datetime(2025, 3, 4, 10, 30, tzinfo=UTC)
ZONE = ZoneFact("zone-2noz78a8ev6k", "example.com", "active", "active")
DOMAIN = DomainConfig(
    HOST,
    "online",
    cname="shop.example.com.eo.dnse1.com",
    origin_type="IP_DOMAIN",
    origin="203.0.113.10",
    host_header=HOST,
    protocol="HTTPS",
    http_port=8080,
    https_port=8443,
)


def view(**parts: object) -> EdgeOneView:
    base = EdgeOneView(
        host=HOST, zone=ZoneMatch(HOST, ZONE, DOMAIN, 0.0), asked_at=NOW, elapsed_ms=1
    )
    return replace(base, **parts)  # type: ignore[arg-type]


def test_every_part_becomes_its_fact() -> None:
    acl = OriginACLFact(
        "online",
        hosts=(HOST,),
        version="v3",
        current=AddressSet(("43.174.0.0/15",)),
        planned=PlannedACL(
            "v4",
            datetime(2025, 3, 18, 2, 0, tzinfo=UTC),
            AddressSet(("43.176.0.0/16",)),
            AddressSet(),
        ),
    )
    record = EdgeLogRecord(UUID, edge_status=502, origin_status=200, origin_ms=812.0)
    facts = facts_of(
        view(
            edge_ip=EdgeIPFact("43.175.1.10", True),
            cname=CnameFact(HOST, "moved", "elsewhere.example.net"),
            domain=DOMAIN,
            origin_acl=acl,
            logs=LogsFact(UUID, "found", record=record),
        )
    )
    assert facts == (
        NodeAddress("43.175.1.10", True),
        DomainState(HOST, "online", "moved", "elsewhere.example.net"),
        OriginConfig(HOST, "203.0.113.10", "https", 8080, 8443, None),
        OriginProtection(True, "v3", "2025-03-18 02:00 UTC"),
        RequestRecord(UUID, 502, 200, 812.0),
    )


def test_a_rewritten_host_header_is_kept() -> None:
    rewritten = replace(DOMAIN, host_header="backend.example.net", protocol="FOLLOW")
    (_, origin) = facts_of(view(domain=rewritten))
    assert origin == OriginConfig(HOST, "203.0.113.10", "follow", 8080, 8443, "backend.example.net")


@pytest.mark.parametrize("kind", ["ORIGIN_GROUP", "COS", "LB"])
def test_an_origin_the_probe_cannot_compare_is_left_out(kind: str) -> None:
    facts = facts_of(view(domain=replace(DOMAIN, origin_type=kind)))
    assert not any(isinstance(f, OriginConfig) for f in facts)


def test_an_unknown_domain_status_is_no_evidence() -> None:
    facts = facts_of(view(domain=replace(DOMAIN, status="somethingnew")))
    assert not any(isinstance(f, DomainState) for f in facts)


def test_protection_that_does_not_cover_the_domain_is_off_for_it() -> None:
    acl = OriginACLFact("online", hosts=("other.example.com",), version="v3")
    (_, _, protection) = facts_of(view(domain=DOMAIN, origin_acl=acl))
    assert protection == OriginProtection(False, "v3", None)


@pytest.mark.parametrize("state", ["not_yet", "not_found", "offline"])
def test_a_log_line_not_found_is_no_record(state: str) -> None:
    facts = facts_of(view(logs=LogsFact(UUID, state)))  # type: ignore[arg-type]
    assert facts == ()


def test_a_host_in_no_zone_is_not_on_edgeone_only_when_every_zone_was_searched() -> None:
    nowhere = view(zone=Problem("not_in_zones", Phrase("shop.example.com is in no zone")))
    assert facts_of(nowhere) == (DomainState(HOST),)
    assert facts_of(nowhere, every_zone=False) == ()  # EO_ZONES may leave its zone out


def test_parts_the_api_did_not_answer_give_nothing() -> None:
    late = Problem("timeout", Phrase("late"))
    facts = facts_of(
        view(
            zone=Problem("credentials", Phrase("rejected")),
            edge_ip=late,
            cname=late,
            domain=late,
            origin_acl=late,
            logs=late,
        )
    )
    assert facts == ()
