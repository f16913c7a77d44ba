"""EdgeOne's view, commands and purge in Chinese: every finding and API problem worded in Chinese
(no English sentences left, names the API sent kept as they are), every EdgeOne reply rendered
for Slack and the console in Chinese, and the Chinese view at Block Kit's limits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.chat.edgeone_replies import (
    EdgeOneAddendum,
    EdgeOneOff,
    LogsReply,
    PurgeConfirm,
    PurgeReport,
    ViewReply,
    ZoneCard,
)
from bot.chat.replies import HelpReply, ProbeOutcome, ProbeRequest, Reply
from bot.chat.snapshot import Snapshot
from bot.diagnosis import diagnose
from bot.edgeone.errors import Problem
from bot.edgeone.evidence import facts_of
from bot.edgeone.facts import (
    AddressSet,
    CertFact,
    CnameFact,
    DomainConfig,
    EdgeIPFact,
    EdgeLogRecord,
    LogsFact,
    OfflineLogLink,
    OriginACLFact,
    PlannedACL,
    ZoneFact,
)
from bot.edgeone.findings import (
    Finding,
    OriginToCheck,
    acl_findings,
    cname_findings,
    domain_findings,
    edge_ip_findings,
    log_findings,
    origin_findings,
    trend_findings,
    zone_findings,
)
from bot.edgeone.purge import PurgePlan, PurgeResult, may_purge, parse_purge_target
from bot.edgeone.settings import PurgeSettings
from bot.edgeone.trend import TrendFact
from bot.edgeone.view import EdgeOneView, parse_request_id
from bot.edgeone.zones import ZoneMatch, normalise_host
from bot.i18n.catalogue import N_
from bot.i18n.phrase import Phrase, PhraseError, phrase
from bot.knowledge import KnowledgeBase
from bot.probe.errors import PLAIN_ON_TLS_PORT
from bot.probe.models import ProbeReport, ProbeResult, TLSResult
from bot.render.blocks import MAX_FALLBACK, render
from bot.render.chat_text import render_reply
from bot.render.edgeone import trend_line
from tests.i18n.mixing import english_runs, has_chinese
from tests.render.test_chat_replies import assert_within_limits, shown
from tests.test_diagnosis import failing, origin

NOW = datetime(2025, 3, 4, 10, 30, tzinfo=UTC)
HOST = "shop.example.com"
UUID = "4105283880544427145"
USER = "U0BOB"
MARKER = "…（已截断）"


def assert_chinese(text: str, *, terminal: bool = False) -> None:
    """Chinese, with no English sentence outside commands, codes, hosts and URLs."""
    assert has_chinese(text), text
    assert english_runs(text, terminal=terminal) == [], text


# ---------------------------------------------------------------- facts and findings


def config(**kw: Any) -> DomainConfig:
    base: dict[str, Any] = {
        "name": HOST,
        "status": "online",
        "origin_type": "IP_DOMAIN",
        "origin": "203.0.113.10",
        "host_header": HOST,
        "protocol": "FOLLOW",
        "http_port": 80,
        "https_port": 443,
    }
    return DomainConfig(**(base | kw))


def acl(planned: PlannedACL | None = None, **kw: Any) -> OriginACLFact:
    base: dict[str, Any] = {
        "status": "online",
        "hosts": (HOST,),
        "version": "v3",
        "current": AddressSet(("43.174.0.0/15", "101.33.0.0/19"), ("240d:c000::/28",)),
        "planned": planned,
    }
    return OriginACLFact(**(base | kw))


def planned(at: datetime | None, added: int = 1, removed: int = 0) -> PlannedACL:
    return PlannedACL(
        "v4",
        at,
        AddressSet(tuple(f"10.{i}.0.0/16" for i in range(added))),
        AddressSet(tuple(f"11.{i}.0.0/16" for i in range(removed))),
    )


def trend(errors_at: range, *, top: tuple[tuple[str, int], ...]) -> TrendFact:
    total = [1000] * 60
    errors = [40 if i in errors_at else 0 for i in range(60)]
    return TrendFact(NOW, timedelta(minutes=1), tuple(total), tuple(errors), top)


def check(**kw: Any) -> OriginToCheck:
    base: dict[str, Any] = {
        "address": "203.0.113.10",
        "port": 443,
        "scheme": "https",
        "host_header": "backend.example.net",
        "public_host": HOST,
    }
    return OriginToCheck(**(base | kw))


def tls_failed(error: str) -> ProbeResult:
    broken = failing("tls:handshake_failed")
    return replace(broken, tls=TLSResult(status="handshake_failed", ms=3.0, error=error))


CERT_SOON = NOW + timedelta(days=5)
# Every wording a finding can take: (id, the findings).
FINDINGS: list[Any] = [
    pytest.param(lambda: zone_findings(ZoneFact("z", "example.com", paused=True)), id="paused"),
    pytest.param(
        lambda: zone_findings(ZoneFact("z", "example.com", "pending", "inactive")),
        id="zone-inactive",
    ),
    pytest.param(
        lambda: zone_findings(ZoneFact("z", "example.com", None, "inactive")), id="zone-not-active"
    ),
    pytest.param(lambda: domain_findings(config(status="offline"), now=NOW), id="offline"),
    pytest.param(lambda: domain_findings(config(status="init"), now=NOW), id="init"),
    pytest.param(lambda: domain_findings(config(status="process"), now=NOW), id="deploying"),
    pytest.param(
        lambda: domain_findings(config(protocol="HTTP", http_port=443), now=NOW), id="http-443"
    ),
    pytest.param(lambda: domain_findings(config(http_port=443), now=NOW), id="follow-http-443"),
    pytest.param(
        lambda: domain_findings(config(protocol="HTTPS", https_port=80), now=NOW), id="https-80"
    ),
    pytest.param(lambda: domain_findings(config(https_port=80), now=NOW), id="follow-https-80"),
    pytest.param(
        lambda: domain_findings(config(certs=(CertFact("c1", None, "failed"),)), now=NOW),
        id="cert-not-issued",
    ),
    pytest.param(
        lambda: domain_findings(config(certs=(CertFact(None, None, "issued"),)), now=NOW),
        id="cert-not-bound-unnamed",
    ),
    pytest.param(
        lambda: domain_findings(config(certs=(CertFact("c1", NOW - timedelta(days=1)),)), now=NOW),
        id="cert-expired",
    ),
    pytest.param(
        lambda: domain_findings(config(certs=(CertFact("c1", CERT_SOON, alias="shop"),)), now=NOW),
        id="cert-days",
    ),
    pytest.param(
        lambda: domain_findings(config(certs=(CertFact("c1", NOW + timedelta(hours=5)),)), now=NOW),
        id="cert-hours",
    ),
    pytest.param(
        lambda: cname_findings(CnameFact(HOST, "moved", f"{HOST}.eo.dnse1.com")), id="cname-moved"
    ),
    pytest.param(lambda: cname_findings(CnameFact(HOST, "moved")), id="cname-moved-bare"),
    pytest.param(
        lambda: cname_findings(CnameFact(HOST, "invalid", f"{HOST}.eo.dnse1.com")),
        id="cname-invalid",
    ),
    pytest.param(lambda: cname_findings(CnameFact(HOST, "invalid")), id="cname-invalid-bare"),
    pytest.param(lambda: acl_findings(acl(), domain=HOST, now=NOW), id="acl-on"),
    pytest.param(
        lambda: acl_findings(
            acl(version=None, current=AddressSet(("1.0.0.0/8",))), domain=HOST, now=NOW
        ),
        id="acl-one-range",
    ),
    pytest.param(
        lambda: acl_findings(acl(planned(NOW + timedelta(days=5), 14, 1)), domain=HOST, now=NOW),
        id="acl-change",
    ),
    pytest.param(
        lambda: acl_findings(acl(planned(NOW - timedelta(days=1), 1, 3)), domain=HOST, now=NOW),
        id="acl-change-due",
    ),
    pytest.param(
        lambda: acl_findings(acl(planned(None, 0, 2)), domain=HOST, now=NOW), id="acl-change-soon"
    ),
    pytest.param(lambda: edge_ip_findings(EdgeIPFact("43.175.1.10", True)), id="edge-ip"),
    pytest.param(
        lambda: edge_ip_findings(EdgeIPFact("198.51.100.20", False), server="Varnish"),
        id="not-edge-ip-varnish",
    ),
    pytest.param(
        lambda: edge_ip_findings(EdgeIPFact("198.51.100.20", False), server="NWS_SPMid"),
        id="not-edge-ip-tencent-cdn",
    ),
    pytest.param(
        lambda: edge_ip_findings(
            EdgeIPFact("198.51.100.20", False), cname=CnameFact(HOST, "moved")
        ),
        id="not-edge-ip-moved",
    ),
    pytest.param(
        lambda: edge_ip_findings(EdgeIPFact("198.51.100.20", False), dns_on_edgeone=True),
        id="not-edge-ip-hijack",
    ),
    pytest.param(
        lambda: edge_ip_findings(
            EdgeIPFact("198.51.100.20", False), cname=CnameFact(HOST, "active")
        ),
        id="not-edge-ip-stale",
    ),
    pytest.param(lambda: edge_ip_findings(EdgeIPFact("198.51.100.20", False)), id="not-edge-ip"),
    pytest.param(
        lambda: log_findings(
            LogsFact(
                "1",
                "found",
                EdgeLogRecord(
                    "1",
                    edge_status=522,
                    edge_ip="43.175.1.10",
                    edge_exception="upstream_connect_failed",
                ),
            )
        ),
        id="log-no-origin",
    ),
    pytest.param(
        lambda: log_findings(
            LogsFact(
                "1", "found", EdgeLogRecord("1", edge_status=502, origin_status=502, origin_ms=31.0)
            )
        ),
        id="log-origin-5xx",
    ),
    pytest.param(
        lambda: log_findings(
            LogsFact(
                "1",
                "found",
                EdgeLogRecord("1", edge_status=403, origin_status=200, security_action="Deny"),
            )
        ),
        id="log-waf",
    ),
    pytest.param(
        lambda: log_findings(LogsFact("1", "found", EdgeLogRecord("1"))), id="log-no-status"
    ),
    pytest.param(
        lambda: trend_findings(trend(range(40, 60), top=(("200", 5000), ("524", 800)))),
        id="trend-ongoing",
    ),
    pytest.param(lambda: trend_findings(trend(range(10, 15), top=())), id="trend-earlier"),
    pytest.param(
        lambda: origin_findings(check(), refused="203.0.113.10 is a private network address"),
        id="origin-refused",
    ),
    pytest.param(
        lambda: origin_findings(check(), result=failing("connect:refused")), id="origin-refuses"
    ),
    pytest.param(
        lambda: origin_findings(check(), result=failing("connect:timeout")), id="origin-unreachable"
    ),
    pytest.param(
        lambda: origin_findings(check(), result=tls_failed(PLAIN_ON_TLS_PORT)), id="origin-plain"
    ),
    pytest.param(
        lambda: origin_findings(check(), result=tls_failed("wrong version number")), id="origin-tls"
    ),
    pytest.param(
        lambda: origin_findings(check(), result=origin(421), public=origin(200)),
        id="host-not-served",
    ),
    pytest.param(lambda: origin_findings(check(), result=origin(404)), id="host-not-served-alone"),
    pytest.param(lambda: origin_findings(check(), result=origin(200)), id="origin-answers"),
]


@pytest.mark.parametrize("build", FINDINGS)
def test_every_finding_is_worded_in_chinese(build: Callable[[], list[Finding]]) -> None:
    findings = build()
    assert findings
    for finding in findings:
        english = str(finding.text)
        chinese = finding.text.say("zh")
        assert not has_chinese(english), english
        assert_chinese(chinese)
        if finding.fix is not None:
            assert_chinese(finding.fix.say("zh"))
        # What the facts named (hosts, addresses, codes) is in both, as the API sent it.
        for value in (HOST, "203.0.113.10", "198.51.100.20", "524", "upstream_connect_failed"):
            assert (value in english) == (value in chinese), (value, english, chinese)


def test_a_refused_origin_quotes_the_probe_in_code_marks() -> None:
    (finding,) = origin_findings(check(), refused="203.0.113.10 is a private network address")
    chinese = finding.text.say("zh")
    assert chinese == (
        "没有探测配置的源站 203.0.113.10:443：`203.0.113.10 is a private network address`"
    )


def test_counts_and_dates_are_worded_in_chinese() -> None:
    (change,) = acl_findings(acl(planned(None, 0, 2)), domain=HOST, now=NOW)[1:]
    assert change.text.say("zh") == "EdgeOne 即将变更回源 IP 网段；移除 2 个网段"
    (expiring,) = domain_findings(config(certs=(CertFact("c1", CERT_SOON, alias="shop"),)), now=NOW)
    assert "将于 2025-03-09 过期（还剩 5 天）" in expiring.text.say("zh")
    ranges = acl_findings(acl(planned(NOW + timedelta(days=5), 14, 1)), domain=HOST, now=NOW)[1]
    assert "10.11.0.0/16 等，另有 2 个" in ranges.text.say("zh")
    assert ranges.text.say("en").endswith("and 2 more to the origin firewall; 1 range removed")


# ---------------------------------------------------------------- what people typed, refused


@pytest.mark.parametrize(
    "refuse",
    [
        lambda: normalise_host(""),
        lambda: normalise_host("203.0.113.9"),
        lambda: normalise_host("not a host"),
        lambda: parse_request_id("12'] OR ['x"),
        lambda: parse_purge_target("*"),
        lambda: parse_purge_target("ftp://shop.example.com/a"),
        lambda: parse_purge_target("https://user:pw@shop.example.com/a"),
        lambda: parse_purge_target("https://[::1/a"),
        lambda: parse_purge_target("https://shop.example.com/a b"),
        lambda: PurgePlan.read('{"v":1}'),
    ],
    ids=[
        "empty-host",
        "ip",
        "not-a-host",
        "bad-uuid",
        "wildcard",
        "ftp",
        "password",
        "bad-ipv6",
        "space",
        "bad-button",
    ],
)
def test_refusals_say_why_in_chinese(refuse: Callable[[], object]) -> None:
    with pytest.raises(PhraseError) as caught:
        refuse()
    assert not has_chinese(str(caught.value))
    assert_chinese(caught.value.reason.say("zh"))
    assert "Traceback" not in caught.value.reason.say("zh")


def test_the_purge_guard_says_why_in_chinese() -> None:
    off = may_purge(PurgeSettings(), user=USER)
    unlisted = may_purge(PurgeSettings(allowed=True, users=frozenset({"U0OTHER"})), user=USER)
    for decision in (off, unlisted):
        assert decision.reason is not None
        assert_chinese(decision.reason.say("zh"))
    assert off.reason is not None
    assert "EO_ALLOW_PURGE" in off.reason.say("zh")


# ---------------------------------------------------------------- every EdgeOne reply in Chinese


def view(**parts: Any) -> EdgeOneView:
    """A full view whose findings come from the real rules (no network)."""
    zone = ZoneFact("zone-2noz78a8ev6k", "example.com", "active", "active", kind="partial")
    domain = config(
        cname=f"{HOST}.eo.dnse1.com",
        protocol="HTTP",
        http_port=443,
        certs=(CertFact("c1", CERT_SOON, "deployed", alias="shop"),),
    )
    protection = acl(planned(NOW + timedelta(days=5), 2, 1))
    record = EdgeLogRecord(
        UUID,
        at=NOW,
        host=HOST,
        url="/cart",
        method="GET",
        edge_status=522,
        edge_ms=10_012.0,
        edge_node="sg-3f2a9c",
        edge_region="SG",
        edge_exception="upstream_connect_failed",
        cache_status="MISS",
    )
    logs = LogsFact(UUID, "found", record=record)
    hour = trend(range(40, 60), top=(("200", 55000), ("522", 2400), ("404", 60)))
    ip = EdgeIPFact("198.51.100.20", is_edgeone=False)
    cname = CnameFact(HOST, "moved", f"{HOST}.eo.dnse1.com")
    findings = (
        *domain_findings(domain, now=NOW),
        *cname_findings(cname),
        *acl_findings(protection, domain=HOST, now=NOW),
        *edge_ip_findings(ip, cname=cname),
        *log_findings(logs),
        *trend_findings(hour),
        *origin_findings(check(), result=origin(421), public=origin(200)),
    )
    values: dict[str, Any] = {
        "host": HOST,
        "zone": ZoneMatch(HOST, zone, domain, 0.0),
        "asked_at": NOW,
        "elapsed_ms": 61.0,
        "edge_ip": ip,
        "cname": cname,
        "domain": domain,
        "origin_acl": protection,
        "logs": logs,
        "trend": hour,
        "findings": findings,
        "origin_checks": (check(scheme="http", port=443),),
    }
    return EdgeOneView(**(values | parts))


def late(what: str) -> Problem:
    return Problem(
        "timeout",
        phrase(
            N_("EdgeOne did not say {what} within the {seconds:g} s budget"),
            what=phrase(what),
            seconds=6.0,
        ),
    )


def with_view(kb: KnowledgeBase, the_view: EdgeOneView | None = None) -> ProbeOutcome:
    """A Chinese probe's outcome with EdgeOne's view: the verdict weighed with its facts."""
    the_view = the_view or view()
    report = ProbeReport(edge=replace(failing("connect:timeout"), url=f"https://{HOST}/cart"))
    before = diagnose(report, kb, language="zh")
    after = diagnose(report, kb, language="zh", edgeone=facts_of(the_view))
    return ProbeOutcome(
        request=ProbeRequest(f"https://{HOST}/cart", language="zh"),
        report=report,
        diagnosis=after,
        snapshot=Snapshot.of(report, after),
        edgeone=EdgeOneAddendum(the_view, before),
    )


def purge_plan(target: str = f"https://{HOST}/app.js") -> PurgePlan:
    return PurgePlan(parse_purge_target(target), "zone-2noz78a8ev6k", "example.com", USER, "zh")


LINK = OfflineLogLink(
    "https://logs.example.com/a.gz?sign=x", NOW, NOW + timedelta(hours=1), 2_097_152
)
# One of every EdgeOne reply, in Chinese.
REPLIES: list[Any] = [
    pytest.param(lambda kb: with_view(kb), id="diagnosis-with-view"),
    pytest.param(
        lambda kb: ViewReply(
            f"https://{HOST}/cart", with_view(kb).diagnosis, with_view(kb).edgeone, language="zh"
        ),  # type: ignore[arg-type]
        id="view-in-thread",
    ),
    pytest.param(lambda kb: ZoneCard(view(), language="zh"), id="zone-card"),
    pytest.param(
        lambda kb: ZoneCard(
            view(
                zone=ZoneMatch(HOST, ZoneFact("z", "example.com", paused=True), config(), 0.0),
                edge_ip=None,
                logs=None,
                trend=late("the last hour's traffic"),
                origin_acl=acl(status="offline"),
                cname=late("the record's CNAME status"),
                findings=zone_findings(ZoneFact("z", "example.com", paused=True)),
            ),
            language="zh",
        ),
        id="zone-card-paused-and-late",
    ),
    pytest.param(
        lambda kb: ZoneCard(
            view(
                zone=Problem(
                    "not_in_zones",
                    phrase(
                        N_("{host} is not served by these EdgeOne zones ({zones})"),
                        host="www.elsewhere.org",
                        zones="example.com",
                    ),
                ),
                findings=(),
            ),
            language="zh",
        ),
        id="zone-card-no-zone",
    ),
    pytest.param(
        lambda kb: LogsReply(UUID, view().logs, language="zh"),  # type: ignore[arg-type]
        id="logs-found",
    ),
    pytest.param(
        lambda kb: LogsReply(UUID, LogsFact(UUID, "not_yet", retry_after=NOW), language="zh"),
        id="logs-not-yet",
    ),
    pytest.param(
        lambda kb: LogsReply(UUID, LogsFact(UUID, "offline", links=(LINK, LINK)), language="zh"),
        id="logs-offline",
    ),
    pytest.param(
        lambda kb: LogsReply(
            UUID,
            LogsFact(UUID, "not_found", window=(NOW, NOW + timedelta(minutes=5))),
            language="zh",
        ),
        id="logs-not-found",
    ),
    pytest.param(
        lambda kb: LogsReply(UUID, late("the request's log line"), language="zh"), id="logs-late"
    ),
    pytest.param(lambda kb: PurgeConfirm(purge_plan(), language="zh"), id="purge-confirm-url"),
    pytest.param(lambda kb: PurgeConfirm(purge_plan(HOST), language="zh"), id="purge-confirm-host"),
    pytest.param(
        lambda kb: PurgeReport(
            PurgeResult(purge_plan(), "done", "job-1", waited_s=4.0), USER, language="zh"
        ),
        id="purge-done",
    ),
    pytest.param(
        lambda kb: PurgeReport(
            PurgeResult(purge_plan(), "running", "job-1", waited_s=120.0), USER, language="zh"
        ),
        id="purge-running",
    ),
    pytest.param(
        lambda kb: PurgeReport(
            PurgeResult(
                purge_plan(),
                "failed",
                "job-2",
                ((f"https://{HOST}/app.js", "quota"), (HOST, phrase(N_("EdgeOne created no job")))),
            ),
            USER,
            language="zh",
        ),
        id="purge-failed",
    ),
    pytest.param(
        lambda kb: PurgeReport(
            PurgeResult(purge_plan(), "error", problem=late("the domain's configuration")),
            USER,
            language="zh",
        ),
        id="purge-error",
    ),
    pytest.param(lambda kb: EdgeOneOff("zone", language="zh"), id="off-zone"),
    pytest.param(lambda kb: EdgeOneOff("logs", language="zh"), id="off-logs"),
    pytest.param(lambda kb: EdgeOneOff("purge", language="zh"), id="off-purge"),
    pytest.param(lambda kb: HelpReply(language="zh", edgeone=True), id="help-on"),
    pytest.param(lambda kb: HelpReply(language="zh", edgeone=False), id="help-off"),
]


@pytest.mark.parametrize("build", REPLIES)
def test_every_edgeone_reply_in_chinese_for_slack(
    kb: KnowledgeBase, build: Callable[[KnowledgeBase], Reply]
) -> None:
    message = render(build(kb))
    assert_within_limits(message)
    assert_chinese(shown(message))
    assert_chinese(message.text)
    for label in (
        b["text"]["text"]
        for b in message.block_dicts()
        if b["type"] == "actions"
        for b in b["elements"]
    ):
        assert_chinese(label)


@pytest.mark.parametrize("build", REPLIES)
def test_every_edgeone_reply_in_chinese_at_the_console(
    kb: KnowledgeBase, build: Callable[[KnowledgeBase], Reply]
) -> None:
    text = render_reply(build(kb))
    assert text is not None
    assert_chinese(text, terminal=True)


def test_the_chinese_view_names_what_the_api_sent(kb: KnowledgeBase) -> None:
    slack = shown(render(with_view(kb)))
    for words in (
        "*EdgeOne API 对这个结论的看法*",
        "EdgeOne 视角：shop.example.com（站点 example.com）",
        "*响应节点* 198.51.100.20 不是 EdgeOne 节点",
        "*源站* 203.0.113.10 (IP_DOMAIN)，回源协议 HTTP，回源端口 443/443（http/https）",
        "*源站防护* 已开启，3 个网段，版本 v3",
        "522，节点 sg-3f2a9c (SG)，2025-03-04 10:30 UTC，GET shop.example.com/cart",
        "源站：没有响应（upstream_connect_failed）；节点总耗时 10012 毫秒；缓存 MISS",
        "*最近一小时*",
        "查询 EdgeOne API 用时 61 毫秒",
        "EdgeOne 通过明文 HTTP 回源到源站的 443 端口",
        "把 HTTP 回源端口改为 80（或改用 HTTPS 回源到 443）",
    ):
        assert words in slack, words
    console = render_reply(with_view(kb))
    assert console is not None
    assert console.startswith("结合 EdgeOne 视角的结论：")
    assert "待对比的源站：http://203.0.113.10:443，回源 HOST backend.example.net" in console
    assert trend_line(trend(range(40, 60), top=(("522", 2400),)), "zh") == (
        "11:10 起出现 5xx，占请求的 4.0%，其中 100% 是 522"
    )


# ---------------------------------------------------------------- Block Kit's limits


def wordy_view() -> EdgeOneView:
    """The view at its longest: a hundred findings, a long zone problem, long Chinese names."""
    many = tuple(
        Finding(
            "acl_change_planned",
            "warning",
            phrase(
                N_("{change}: add {ranges} to the origin firewall"),
                change=phrase(N_("EdgeOne changes its origin-pull ranges soon")),
                ranges="、".join(f"10.{i}.{j}.0/24" for j in range(30)),
            ),
            fix=phrase(
                N_("Allow the new ranges before the date, then confirm the update in the console")
            ),
        )
        for i in range(100)
    )
    name = "源站" * 200  # a Chinese name from the API, 400 characters
    return view(
        findings=many,
        zone=ZoneMatch(HOST, ZoneFact("zone-1", name, "active", "active"), config(), 0.0),
    )


def test_the_chinese_view_at_its_longest_fits_and_says_what_was_cut(kb: KnowledgeBase) -> None:
    for reply in (
        with_view(kb, wordy_view()),
        ZoneCard(wordy_view(), language="zh"),
        ViewReply(
            f"https://{HOST}/",
            with_view(kb).diagnosis,
            EdgeOneAddendum(wordy_view(), with_view(kb).diagnosis),
            language="zh",
        ),
    ):
        message = render(reply)
        assert_within_limits(message)
        text = shown(message)
        assert MARKER in text
        assert "… (cut)" not in text + message.text
        assert "more part" not in text
        assert_chinese(text)
        assert len(message.text) <= MAX_FALLBACK


def test_a_chinese_diagnosis_too_long_for_its_view_sends_the_view_to_the_thread(
    kb: KnowledgeBase,
) -> None:
    """The Slack surface tells a cut diagnosis by the Chinese marker too."""
    from bot.slack.surface import SlackSurface

    surface = SlackSurface(client=None)  # type: ignore[arg-type]  # fits() sends nothing
    normal = with_view(kb)
    assert surface.fits(normal)
    long = tuple("源站没有应答，" * 80 for _ in range(40))
    wordy = replace(
        normal.diagnosis, summary="节点连接源站超时，" * 300, evidence=long, next_steps=long
    )
    huge = replace(normal, diagnosis=wordy, edgeone=EdgeOneAddendum(wordy_view(), normal.diagnosis))
    assert MARKER in shown(render(huge))
    assert not surface.fits(huge)
    thread = ViewReply(huge.request.url, wordy, huge.edgeone, language="zh")  # type: ignore[arg-type]
    assert_within_limits(render(thread))


def test_phrases_are_worded_only_when_shown() -> None:
    """One view serves an English and a Chinese thread: the same Problem, two languages."""
    problem = late("the origin protection")
    assert str(problem.message) == "EdgeOne did not say the origin protection within the 6 s budget"
    assert problem.message.say("zh") == "EdgeOne 没有在 6 秒的时限内返回源站防护状态"
    assert Phrase("not in the catalogue {x}").say("zh") == "not in the catalogue {x}"
