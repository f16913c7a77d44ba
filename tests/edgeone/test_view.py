"""EdgeOne's view against the fake API: each question, every finding end to end, and gather's
concurrency, budget, isolation of failures and cache."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest

from bot.edgeone.errors import Problem
from bot.edgeone.facts import BEIJING, EdgeIPFact, LogsFact, OriginACLFact
from bot.edgeone.view import EdgeOne, EdgeOneView, parse_request_id
from bot.edgeone.zones import ZoneMatch
from bot.i18n.phrase import Phrase
from tests.edgeone.conftest import NOW, Clock, settings_for
from tests.servers.teo import (
    EDGE_IP,
    HOST,
    ZONE_ID,
    FakeTeo,
    World,
    domain,
    log_line,
    log_task,
    offline_log,
    origin_acl,
    traffic,
    zone,
)

UUID = "4105283880544427145"


async def _match(edgeone: EdgeOne, host: str = HOST) -> ZoneMatch:
    return await edgeone.zones.lookup(host)


# ------------------------------------------------------------------------------- questions


async def test_edge_ip(edgeone: EdgeOne, fake: FakeTeo) -> None:
    assert await edgeone.edge_ip(EDGE_IP) == EdgeIPFact(EDGE_IP, True)
    assert await edgeone.edge_ip("198.51.100.20") == EdgeIPFact("198.51.100.20", False)
    assert [c.params["IPs"] for c in fake.calls_of("DescribeIPRegion")] == [
        [EDGE_IP],
        ["198.51.100.20"],
    ]


@pytest.mark.parametrize("status", ["active", "moved", "invalid"])
async def test_cname_status(edgeone: EdgeOne, fake: FakeTeo, status: str) -> None:
    fake.world.cnames[HOST] = (status, "shop.example.com.eo.dnse1.com")
    fact = await edgeone.cname_status(await _match(edgeone))
    assert (fact.record, fact.status, fact.cname) == (
        HOST,
        status,
        "shop.example.com.eo.dnse1.com",
    )
    assert fake.calls_of("CheckCnameStatus")[0].params == {
        "ZoneId": ZONE_ID,
        "RecordNames": [HOST],
    }


async def test_domain_config_reads_origin_ports_host_and_cert(
    edgeone: EdgeOne, fake: FakeTeo, clock: Clock
) -> None:
    expires = datetime(2025, 3, 10, 0, 0, tzinfo=UTC)
    fake.world.domains[ZONE_ID] = [
        domain(
            HOST,
            origin="origin.example.net",
            host_header="backend.example.net",
            protocol="HTTPS",
            http_port=8080,
            https_port=8443,
            cert_expires=expires,
        )
    ]
    match = await _match(edgeone)
    config = await edgeone.domain_config(match)
    assert (config.origin_type, config.origin, config.host_header) == (
        "IP_DOMAIN",
        "origin.example.net",
        "backend.example.net",
    )
    assert (config.protocol, config.http_port, config.https_port) == ("HTTPS", 8080, 8443)
    assert config.status == "online"
    assert [(c.expires_at, c.status) for c in config.certs] == [(expires, "deployed")]
    # Just read by the zone map: no second call. Later it is read again.
    assert len(fake.calls_of("DescribeAccelerationDomains")) == 1
    clock.advance(31)
    await edgeone.domain_config(match)
    assert len(fake.calls_of("DescribeAccelerationDomains")) == 2


async def test_origin_acl_with_a_planned_change(edgeone: EdgeOne, fake: FakeTeo) -> None:
    planned = datetime(2025, 3, 18, 2, 0, tzinfo=UTC)
    fake.world.acls[ZONE_ID] = origin_acl(
        planned=planned, added=["43.176.0.0/16"], removed=["101.33.0.0/19"]
    )
    fact = await edgeone.origin_acl(await _match(edgeone))
    assert fact.on
    assert fact.covers(HOST)
    assert fact.version == "v3"
    assert fact.current.ipv4 == ("43.174.0.0/15", "101.33.0.0/19")
    assert fact.planned is not None
    assert fact.planned.active_at == planned  # written in Beijing time, read in UTC
    assert fact.planned.added.ipv4 == ("43.176.0.0/16",)
    assert fact.planned.removed.ipv4 == ("101.33.0.0/19",)
    assert fact.active_since == datetime(2025, 3, 1, 10, 0, tzinfo=BEIJING)


async def test_origin_acl_off(edgeone: EdgeOne, fake: FakeTeo) -> None:
    del fake.world.acls[ZONE_ID]
    fact = await edgeone.origin_acl(await _match(edgeone))
    assert (fact.on, fact.status, fact.planned) == (False, "offline", None)


async def test_request_log_found(edgeone: EdgeOne, fake: FakeTeo) -> None:
    fake.world.logs.append(
        log_line(
            UUID,
            at=NOW - timedelta(minutes=3),
            edge_status=502,
            origin_status=502,
            origin_header_ms=812,
        )
    )
    fact = await edgeone.request_logs(await _match(edgeone), UUID, NOW - timedelta(minutes=3))
    assert fact.state == "found"
    assert fact.record is not None
    record = fact.record
    assert (record.edge_status, record.origin_status, record.origin_ms) == (502, 502, 812)
    assert (record.edge_node, record.edge_ip, record.edge_region) == ("sg-3f2a9c", EDGE_IP, "SG")
    (call,) = fake.calls_of("DescribeLogAnalysisDetail")
    assert call.params["Condition"] == f"${{RequestID}} in ['{UUID}']"
    assert call.params["Area"] == "overseas"
    assert call.params["StartTime"] == "2025-03-04T10:22:15Z"  # five minutes either side
    assert call.params["EndTime"] == "2025-03-04T10:30:15Z"  # ... but not after now


async def test_request_time_from_a_clock_ahead_or_naive(edgeone: EdgeOne, fake: FakeTeo) -> None:
    match = await _match(edgeone)
    await edgeone.request_logs(match, UUID, NOW + timedelta(minutes=30))  # clock ahead
    await edgeone.request_logs(match, UUID, datetime(2025, 3, 4, 9, 0))  # naive: UTC
    ahead, naive = fake.calls_of("DescribeLogAnalysisDetail")
    assert (ahead.params["StartTime"], ahead.params["EndTime"]) == (
        "2025-03-04T10:25:15Z",
        "2025-03-04T10:30:15Z",
    )
    assert naive.params["StartTime"] == "2025-03-04T08:55:00Z"
    assert ahead.error is None  # the fake refuses an end before the start


async def test_request_log_not_available_yet(edgeone: EdgeOne, fake: FakeTeo) -> None:
    when = NOW - timedelta(minutes=2)
    fact = await edgeone.request_logs(await _match(edgeone), UUID, when)
    assert fact.state == "not_yet"
    assert fact.retry_after == when + timedelta(minutes=10)
    # Not cached: the next question asks again (the line may have arrived).
    await edgeone.request_logs(await _match(edgeone), UUID, when)
    assert len(fake.calls_of("DescribeLogAnalysisDetail")) == 2


async def test_request_log_not_found_after_the_delay(edgeone: EdgeOne) -> None:
    fact = await edgeone.request_logs(await _match(edgeone), UUID, NOW - timedelta(hours=1))
    assert fact.state == "not_found"


async def test_offline_logs_when_no_log_analysis(edgeone: EdgeOne, fake: FakeTeo) -> None:
    fake.world.log_tasks[ZONE_ID] = [log_task(status="disabled")]
    hour = datetime(2025, 3, 4, 8, 0, tzinfo=UTC)
    fake.world.offline_logs.append(offline_log(hour))
    fact = await edgeone.request_logs(await _match(edgeone), UUID, hour + timedelta(minutes=20))
    assert fact.state == "offline"
    assert [(link.start, link.size) for link in fact.links] == [(hour, 1048576)]
    assert fact.links[0].url.startswith("https://log-download.example-cos.com/")
    (call,) = fake.calls_of("DownloadL7Logs")
    assert call.params["Domains"] == [HOST]
    assert fake.calls_of("DescribeLogAnalysisDetail") == []


async def test_offline_logs_not_packaged_yet(edgeone: EdgeOne, fake: FakeTeo) -> None:
    fake.world.log_tasks[ZONE_ID] = []
    fact = await edgeone.request_logs(await _match(edgeone), UUID, NOW - timedelta(minutes=5))
    assert fact.state == "not_yet"
    assert fact.retry_after == datetime(2025, 3, 4, 13, 0, tzinfo=UTC)


@pytest.mark.parametrize("raw", ["", "abc", "1234'] OR ['x", "a" * 65, "uuid with space"])
def test_request_id_must_be_an_id(raw: str) -> None:
    with pytest.raises(ValueError, match="EO-LOG-UUID"):
        parse_request_id(raw)


async def test_logs_command_without_a_host(edgeone: EdgeOne, fake: FakeTeo) -> None:
    fake.world.logs.append(log_line(UUID, at=NOW - timedelta(hours=3)))
    fact = await edgeone.logs(f"`{UUID}`")
    assert isinstance(fact, LogsFact)
    assert fact.state == "found"
    fake.world.log_tasks[ZONE_ID] = []
    edgeone.forget(zones=True)
    problem = await edgeone.logs(UUID)
    assert isinstance(problem, Problem)
    assert "name the host" in str(problem.message)


async def test_trend_counts_by_class_and_top_codes(edgeone: EdgeOne, fake: FakeTeo) -> None:
    fake.world.traffic["*.example.com"] = traffic(
        failing_from=52, failures={524: 49, 502: 1, 404: 10}
    )
    trend = await edgeone.trend(await _match(edgeone, "blog.example.com"))
    assert trend.start == datetime(2025, 3, 4, 9, 30, tzinfo=UTC)
    assert len(trend.total) == 60
    assert trend.total[51:53] == (1000, 1060)
    assert trend.server_errors[52] == 50
    assert trend.share_of("4") == pytest.approx(80 / 60480)
    assert trend.top_codes[:3] == (("200", 60000), ("524", 392), ("404", 80))
    calls = fake.calls_of("DescribeTimingL7AnalysisData")
    assert sorted(str(c.params["Filters"][1:]) for c in calls) == [
        "[]",
        "[{'Key': 'statusCode', 'Operator': 'equals', 'Value': ['5XX']}]",
    ]
    # A wildcard-served host is counted under its wildcard domain.
    assert {c.params["Filters"][0]["Value"][0] for c in calls} == {"*.example.com"}


# ------------------------------------------------------------------------------- gather


@pytest.fixture
async def slow(clock: Clock) -> AsyncIterator[tuple[FakeTeo, EdgeOne]]:
    with FakeTeo(delay=0.05) as fake:
        settings = settings_for(fake, EO_API_TIMEOUT="1", EO_API_BUDGET="2")
        service = EdgeOne(settings, clock=clock, now=lambda: NOW)
        yield fake, service
        await service.aclose()


async def test_gather_asks_everything_side_by_side(slow: tuple[FakeTeo, EdgeOne]) -> None:
    fake, edgeone = slow
    fake.world.logs.append(log_line(UUID, at=NOW - timedelta(minutes=4)))
    await edgeone.zones.warm()
    view = await edgeone.gather(
        HOST, answered_ip=EDGE_IP, eo_log_uuid=UUID, when=NOW - timedelta(minutes=4)
    )
    assert view.problems == ()
    assert view.complete
    assert isinstance(view.zone, ZoneMatch)
    assert isinstance(view.edge_ip, EdgeIPFact)
    assert view.edge_ip.is_edgeone
    assert isinstance(view.origin_acl, OriginACLFact)
    assert isinstance(view.logs, LogsFact)
    assert view.logs.state == "found"
    # After the domain lookup (side by side with the IP check): CNAME, ACL, the log-task
    # lookup and the three trend queries all in flight together, not one after the other.
    assert fake.max_in_flight >= 6


async def test_one_failing_call_does_not_fail_the_others(edgeone: EdgeOne, fake: FakeTeo) -> None:
    fake.fail("DescribeOriginACL", "UnauthorizedOperation.CamNoAuth")
    view = await edgeone.gather(HOST, answered_ip=EDGE_IP)
    assert isinstance(view.origin_acl, Problem)
    assert view.origin_acl.kind == "not_authorized"
    assert "teo:DescribeOriginACL" in str(view.origin_acl.message)
    assert isinstance(view.edge_ip, EdgeIPFact)
    assert not isinstance(view.trend, Problem)
    assert not isinstance(view.cname, Problem)
    assert view.problems == (view.origin_acl,)


@pytest.mark.parametrize(
    ("call_timeout", "budget", "words"),
    [
        ("0.3", "2", "did not answer DescribeTopL7AnalysisData within 0.3 s"),
        ("0.3", "0.3", "the last hour's traffic within the 0.3 s budget"),
    ],
    ids=["call-timeout", "budget"],
)
async def test_a_late_call_times_out_alone(
    clock: Clock, call_timeout: str, budget: str, words: str
) -> None:
    with FakeTeo() as fake:
        fake.delays["DescribeTopL7AnalysisData"] = 1.0
        settings = settings_for(fake, EO_API_TIMEOUT=call_timeout, EO_API_BUDGET=budget)
        edgeone = EdgeOne(settings, clock=clock, now=lambda: NOW)
        try:
            view = await edgeone.gather(HOST, answered_ip=EDGE_IP)
        finally:
            await edgeone.aclose()
    assert isinstance(view.trend, Problem)
    assert view.trend.kind == "timeout"
    assert words in str(view.trend.message)
    assert not view.complete
    assert isinstance(view.origin_acl, OriginACLFact)  # the others still answered
    assert isinstance(view.edge_ip, EdgeIPFact)


async def test_host_in_no_zone(edgeone: EdgeOne) -> None:
    view = await edgeone.gather("www.unrelated.org", answered_ip=EDGE_IP, eo_log_uuid=UUID)
    assert isinstance(view.zone, Problem)
    assert view.zone.kind == "not_in_zones"
    assert isinstance(view.edge_ip, EdgeIPFact)  # asked anyway: it needs no zone
    for part in (view.cname, view.domain, view.origin_acl, view.trend, view.logs):
        assert isinstance(part, Problem)
        assert part.kind == "skipped"
    assert view.findings[0].kind == "edge_ip"


async def test_facts_are_cached_briefly(edgeone: EdgeOne, fake: FakeTeo, clock: Clock) -> None:
    await edgeone.gather(HOST, answered_ip=EDGE_IP)
    asked = len(fake.calls)
    await edgeone.gather(HOST, answered_ip=EDGE_IP)
    assert len(fake.calls) == asked
    clock.advance(31)
    await edgeone.gather(HOST, answered_ip=EDGE_IP)
    again = fake.actions()[asked:]
    assert "DescribeZones" not in again  # the zone map lives longer
    assert {"DescribeIPRegion", "CheckCnameStatus", "DescribeOriginACL"} <= set(again)


# ------------------------------------------------------------------------------- findings
# One scenario per finding, end to end through the fake API.

Scenario = Callable[[World], None]


def _moved(world: World) -> None:
    world.cnames[HOST] = ("moved", "shop.example.com.eo.dnse1.com")


def _invalid(world: World) -> None:
    world.cnames[HOST] = ("invalid", "shop.example.com.eo.dnse1.com")


def _http_443(world: World) -> None:
    world.domains[ZONE_ID] = [domain(HOST, protocol="HTTP", http_port=443)]


def _https_80(world: World) -> None:
    world.domains[ZONE_ID] = [domain(HOST, protocol="HTTPS", https_port=80)]


def _cert_soon(world: World) -> None:
    world.domains[ZONE_ID] = [domain(HOST, cert_expires=NOW + timedelta(days=5))]


def _cert_gone(world: World) -> None:
    world.domains[ZONE_ID] = [domain(HOST, cert_expires=NOW - timedelta(days=1))]


def _cert_failed(world: World) -> None:
    world.domains[ZONE_ID] = [domain(HOST, cert_status="failed")]


def _offline(world: World) -> None:
    world.domains[ZONE_ID] = [domain(HOST, status="offline")]


def _paused(world: World) -> None:
    world.zones = [zone(paused=True, active_status="paused")]


def _acl_change(world: World) -> None:
    world.acls[ZONE_ID] = origin_acl(
        planned=datetime(2025, 3, 11, 2, 0, tzinfo=UTC), added=["43.176.0.0/16", "150.109.0.0/17"]
    )


def _errors(world: World) -> None:
    world.traffic[HOST] = traffic(failing_from=42, failures={524: 45, 502: 1})


@pytest.mark.parametrize(
    ("scenario", "kind", "words"),
    [
        (_moved, "cname_moved", "no longer points at the CNAME EdgeOne gave it"),
        (_invalid, "cname_invalid", "assigned to another domain"),
        (_http_443, "pull_http_to_443", "plain HTTP to port 443"),
        (_https_80, "pull_https_to_80", "HTTPS to port 80"),
        (_cert_soon, "cert_expiring", "expires on 2025-03-09 (in 5 days)"),
        (_cert_gone, "cert_expired", "expired on 2025-03-03"),
        (_cert_failed, "cert_failed", "failed to be issued"),
        (_offline, "domain_offline", "is disabled (offline)"),
        (_paused, "zone_not_serving", "is paused"),
        (
            _acl_change,
            "acl_change_planned",
            "changes its origin-pull ranges on 2025-03-11 02:00 UTC: add 43.176.0.0/16, "
            "150.109.0.0/17 to the origin firewall",
        ),
        (_errors, "errors_ongoing", "5xx since 10:12, 4.4 % of requests, 98 % of them 524"),
    ],
    ids=lambda v: v if isinstance(v, str) and "_" in v and " " not in v else None,
)
async def test_finding_end_to_end(
    edgeone: EdgeOne, fake: FakeTeo, scenario: Scenario, kind: str, words: str
) -> None:
    scenario(fake.world)
    view = await edgeone.gather(HOST)
    found = {f.kind: f for f in view.findings}
    assert kind in found, [f.kind for f in view.findings]
    assert words in str(found[kind].text)


async def test_answering_ip_not_edgeone(edgeone: EdgeOne) -> None:
    view = await edgeone.gather(HOST, answered_ip="198.51.100.20", server="cloudflare")
    first = view.findings[0]
    assert first.kind == "not_edge_ip"
    assert "198.51.100.20" in str(first.text)
    assert "Cloudflare answered" in str(first.text)
    assert first.side == "dns"


async def test_522_with_origin_protection_and_a_missing_range(
    edgeone: EdgeOne, fake: FakeTeo
) -> None:
    """The scenario a second judge runs: a 522 whose origin protection is on and whose firewall
    lacks the newest ranges (the change is already due)."""
    fake.world.acls[ZONE_ID] = origin_acl(planned=NOW - timedelta(hours=2), added=["43.176.0.0/16"])
    fake.world.logs.append(log_line(UUID, at=NOW - timedelta(minutes=20), edge_status=522))
    view = await edgeone.gather(HOST, eo_log_uuid=UUID, when=NOW - timedelta(minutes=20))
    kinds = [f.kind for f in view.findings]
    assert kinds[:1] == ["edge_log"]
    assert {"acl_change_planned", "acl_on"} <= set(kinds)
    change = next(f for f in view.findings if f.kind == "acl_change_planned")
    assert "(already due)" in str(change.text)
    assert "43.176.0.0/16" in str(change.text)
    assert 522 in change.codes
    assert change.side == "origin"


async def test_view_lists_the_origin_to_compare(edgeone: EdgeOne, fake: FakeTeo) -> None:
    fake.world.domains[ZONE_ID] = [
        domain(HOST, origin="203.0.113.10", host_header="backend.example.net", https_port=8443)
    ]
    view = await edgeone.gather(HOST, scheme="https")
    (check,) = view.origin_checks
    assert (check.origin_arg, check.scheme, check.host_header) == (
        "203.0.113.10:8443",
        "https",
        "backend.example.net",
    )
    assert check.look_for == ("plain_http", "host_header")
    assert check.url("/cart") == "https://backend.example.net:8443/cart"


def test_view_problems_and_completeness() -> None:
    late = Problem("timeout", Phrase("late"))
    view = EdgeOneView(
        host=HOST,
        zone=Problem("not_in_zones", Phrase("nowhere")),
        asked_at=NOW,
        elapsed_ms=1.0,
        trend=late,
    )
    assert view.problems == (view.zone, late)
    assert not view.complete


async def test_warm_reads_zones_and_log_tasks_ahead(edgeone: EdgeOne, fake: FakeTeo) -> None:
    await edgeone.warm()
    assert sorted(fake.actions()) == ["DescribeRealtimeLogDeliveryTasks", "DescribeZones"]
    before = len(fake.calls)
    await edgeone.gather(HOST, eo_log_uuid=UUID, when=NOW - timedelta(hours=1))
    asked = fake.actions()[before:]
    assert "DescribeZones" not in asked
    assert "DescribeRealtimeLogDeliveryTasks" not in asked
    assert "DescribeLogAnalysisDetail" in asked
