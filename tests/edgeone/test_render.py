"""EdgeOne's view rendered: what a reader sees in a terminal and in Slack, hostile API text made
harmless, Slack's limits kept."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.edgeone.errors import Problem
from bot.edgeone.facts import DomainConfig, EdgeLogRecord, LogsFact, OfflineLogLink, ZoneFact
from bot.edgeone.findings import Finding
from bot.edgeone.purge import PurgePlan, PurgeResult, PurgeTarget
from bot.edgeone.view import EdgeOne, EdgeOneView
from bot.edgeone.zones import ZoneMatch
from bot.i18n.phrase import Phrase
from bot.render.blocks import MAX_BLOCKS, MAX_TOTAL_CHARS
from bot.render.edgeone import (
    OFF_HELP,
    logs_message,
    logs_text,
    purge_plan_blocks,
    purge_result_message,
    purge_result_text,
    view_message,
    view_text,
)
from tests.edgeone.conftest import NOW
from tests.servers.teo import EDGE_IP, HOST, ZONE_ID, FakeTeo, log_line, traffic

UUID = "4105283880544427145"
HOSTILE = "<!channel> *pwn* \u202emoc.live\u202c"


def _payload(message: object) -> str:
    return json.dumps(message.block_dicts(), ensure_ascii=False)  # type: ignore[attr-defined]


async def test_full_view_in_a_terminal_and_in_slack(edgeone: EdgeOne, fake: FakeTeo) -> None:
    fake.world.traffic[HOST] = traffic(per_minute=959, failing_from=32, failures={524: 40, 502: 1})
    fake.world.logs.append(log_line(UUID, at=NOW - timedelta(minutes=30)))
    view = await edgeone.gather(
        HOST, answered_ip=EDGE_IP, eo_log_uuid=UUID, when=NOW - timedelta(minutes=30)
    )
    text = view_text(view)
    lines = text.splitlines()
    assert lines[0].startswith("EdgeOne's view: shop.example.com (zone example.com)")
    assert "  ✗ EdgeOne logged 522 for this request at node sg-3f2a9c" in text
    assert "  ! 5xx since 10:02, 4.1 % of requests, 98 % of them 524" in text
    assert "Answered by  43.175.1.10 is an EdgeOne node" in text
    assert "Origin       203.0.113.10 (IP_DOMAIN), pull FOLLOW, ports 80/443" in text
    assert "Request log  522 at node sg-3f2a9c (SG)" in text
    assert any(line.strip().startswith("5xx since 10:02") for line in lines)
    assert "requests ▁" not in text  # steady traffic is a flat top bar, not empty
    message = view_message(view)
    payload = _payload(message)
    assert "🔴 EdgeOne logged 522" in payload
    assert "*Last hour* `requests" in payload
    assert message.text.startswith("EdgeOne's view: shop.example.com")


async def test_problems_are_shown_worded(edgeone: EdgeOne, fake: FakeTeo) -> None:
    fake.fail("DescribeOriginACL", "UnauthorizedOperation.CamNoAuth")
    view = await edgeone.gather(HOST)
    text = view_text(view)
    assert (
        "Protection  the API key …MPLE may not call DescribeOriginACL: add "
        "teo:DescribeOriginACL to its CAM policy"
    ) in text
    assert "teo:DescribeOriginACL" in _payload(view_message(view))


def _hostile_view() -> EdgeOneView:
    zone = ZoneFact(ZONE_ID, "example.com", "active", "active")
    domain = DomainConfig(
        name=HOST,
        status="online",
        origin_type="IP_DOMAIN",
        origin=HOSTILE,
        host_header=HOSTILE,
        protocol="FOLLOW",
        http_port=80,
        https_port=443,
    )
    finding = Finding("origin_answers", "info", Phrase(f"origin says {HOSTILE}"))
    return EdgeOneView(
        host=HOST,
        zone=ZoneMatch(HOST, zone, domain, 0.0),
        asked_at=NOW,
        elapsed_ms=12.0,
        domain=domain,
        findings=(finding,),
    )


def test_api_text_is_made_harmless() -> None:
    view = _hostile_view()
    text = view_text(view)
    assert "\u202e" not in text
    assert "<U+202E>moc.live<U+202C>" in text
    message = view_message(view)
    payload = _payload(message) + message.text
    assert "<!channel>" not in payload
    assert "&lt;!channel&gt;" in payload
    assert "\u202e" not in payload


def test_many_findings_stay_within_slacks_limits() -> None:
    view = _hostile_view()
    findings = tuple(Finding("x", "warning", Phrase("a long finding " * 40)) for _ in range(80))
    big = EdgeOneView(
        host=view.host,
        zone=view.zone,
        asked_at=NOW,
        elapsed_ms=1.0,
        domain=view.domain,
        findings=findings,
    )
    message = view_message(big)
    assert len(message.blocks) <= MAX_BLOCKS
    assert len(_payload(message)) <= MAX_TOTAL_CHARS
    assert "(cut)" in _payload(message)


def test_zone_card() -> None:
    view = _hostile_view()
    text = view_text(view, card=True)
    assert text.startswith("EdgeOne zone card: shop.example.com (zone example.com)")
    assert "Zone" in text
    assert "example.com (zone-2noz78a8ev6k) — active" in text
    blocks = view_message(view, card=True).block_dicts()
    assert blocks[0]["type"] == "header"


def test_logs_answers() -> None:
    record = EdgeLogRecord(
        UUID,
        at=NOW,
        host=HOST,
        url="/cart",
        method="GET",
        edge_status=524,
        edge_node="sg-3f2a9c",
        edge_region="SG",
        origin_ip="203.0.113.10",
        origin_status=200,
        origin_ms=16012.0,
        edge_ms=15010.0,
    )
    found = logs_text(LogsFact(UUID, "found", record=record), request_id=UUID)
    assert found == (
        f"EdgeOne's log of {UUID}: 524 at node sg-3f2a9c (SG), 2025-03-04 10:30 UTC, GET "
        "shop.example.com/cart; origin 203.0.113.10 answered 200 in 16012 ms; edge total "
        "15010 ms"
    )
    waiting = LogsFact(UUID, "not_yet", retry_after=NOW + timedelta(minutes=10))
    assert "yet (EdgeOne's logs lag); try again after 10:40 UTC" in logs_text(
        waiting, request_id=UUID
    )
    problem = Problem("not_in_zones", Phrase("www.x.org is not served by these EdgeOne zones"))
    assert logs_text(problem, request_id=UUID).endswith("not served by these EdgeOne zones")


def test_offline_log_links() -> None:
    good = OfflineLogLink("https://cos.example.com/2025030408.gz?a=1&b=2", NOW, NOW, 2_097_152)
    bad = OfflineLogLink("https://cos.example.com/x|<!channel>", NOW, NOW)
    fact = LogsFact(UUID, "offline", links=(good, bad))
    payload = _payload(logs_message(fact, request_id=UUID))
    assert "<https://cos.example.com/2025030408.gz?a=1&amp;b=2|2025-03-04 10:30 UTC" in payload
    assert "(2.0 MB)" in payload
    assert "<!channel>" not in payload  # not a link: shown as text
    assert f"RequestID `{UUID}`" in payload
    assert "search the package for RequestID" in logs_text(fact, request_id=UUID)


def test_purge_texts() -> None:
    plan = PurgePlan(
        PurgeTarget("purge_url", f"https://{HOST}/a.js", HOST), ZONE_ID, "example.com", "U0ALICE1"
    )
    blocks = json.dumps([b.to_dict() for b in purge_plan_blocks(plan)])
    assert "Purge the cached https://shop.example.com/a.js" in blocks
    assert "<@U0ALICE1>" in blocks
    done = PurgeResult(plan, "done", "job-1", waited_s=4.2)
    assert purge_result_text(done) == (
        "Purged https://shop.example.com/a.js from EdgeOne's cache (job job-1) in 4 s."
    )
    failed = PurgeResult(plan, "failed", "job-1", ((f"https://{HOST}/a.js", "quota <b>"),))
    assert "quota &lt;b&gt;" in _payload(purge_result_message(failed))
    error = PurgeResult(
        plan, "error", problem=Problem("not_authorized", Phrase("add teo:CreatePurgeTask"))
    )
    assert purge_result_text(error).endswith("did not go through: add teo:CreatePurgeTask")
    running = PurgeResult(plan, "running", "job-1", waited_s=120)
    assert "still purging" in purge_result_text(running)


def test_help_when_the_api_is_off() -> None:
    assert "TENCENTCLOUD_SECRET_ID" in OFF_HELP
    assert "/eo zone HOST" in OFF_HELP
