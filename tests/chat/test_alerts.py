"""Alert recognition: realistic alerts are caught, look-alikes are left alone, nothing raises."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.chat.alerts import MAX_SCAN_CHARS, Alert, find_alert
from bot.knowledge import KnowledgeBase

ALERTMANAGER = """\
[FIRING:1] EdgeOneOriginTimeout (shop.example.com 524 critical)
Labels:
 - alertname = EdgeOneOriginTimeout
 - severity = critical
 - host = shop.example.com
Annotations:
 - summary = Origin timeouts on shop.example.com
Source: <http://alertmanager.example.com:9093/#/alerts|http://alertmanager.example.com:9093/#/alerts>
"""

ALERTMANAGER_LABELS_ONLY = """\
*[FIRING:2] EdgeOneOriginErrors*
*Alert:* Origin unreachable - `critical`
*Details:*
  • *alertname:* `EdgeOneOriginErrors`
  • *status_code:* `521`
  • *domain:* `www.example.org`
"""

GRAFANA = """\
**Firing**

Value: B=0.12
Labels:
 - alertname = EdgeOne 522 ratio
 - domain = shop.example.com
Annotations:
 - summary = Connection timeouts to origin
Source: https://acme.grafana.net/alerting/grafana/abc123/view
Silence: https://acme.grafana.net/alerting/silence/new?alertmanager=grafana
"""

GRAFANA_LABEL_MAP = """\
[FIRING:1] EdgeOne errors (EdgeOne)
Value: [ var='A' labels={code=523, host=img.example.net} value=17 ]
Dashboard: https://grafana.example.com/d/abc/edgeone
"""

DATADOG = """\
%%%
*[Triggered] High rate of 524 errors on shop.example.com*
@http.status_code:524 count above 50 over the last 5m
[View in Datadog](https://app.datadoghq.com/monitors/123)
%%%
"""

PAGERDUTY = (
    "[#4821] Triggered: Origin returned 522 for <https://shop.example.com/checkout|"
    "shop.example.com/checkout>\nService: EdgeOne CDN | Urgency: high"
)

PROMETHEUS = 'probe_http_status_code{instance="https://api.example.com/health"} = 524'

POSITIVE = [
    # (message, code, name, url, host, first entry)
    (
        "HTTP 524 on https://api.example.com/v1/orders",
        524,
        None,
        "https://api.example.com/v1/orders",
        "api.example.com",
        "sa-524",
    ),
    (
        "[FIRING:1] EdgeOne 5xx: 522 for shop.example.com",
        522,
        None,
        None,
        "shop.example.com",
        "sa-522",
    ),
    (
        "NODE_FUNCTION_INVOCATION_TIMEOUT at https://app.example.com/api",
        None,
        "NODE_FUNCTION_INVOCATION_TIMEOUT",
        "https://app.example.com/api",
        "app.example.com",
        "pages-504",
    ),
    (
        "*HTTP 524* on <https://x.example.com/a|x.example.com/a>",
        524,
        None,
        "https://x.example.com/a",
        "x.example.com",
        "sa-524",
    ),
    (ALERTMANAGER, 524, None, None, "shop.example.com", "sa-524"),
    (ALERTMANAGER_LABELS_ONLY, 521, None, None, "www.example.org", "sa-521"),
    (GRAFANA, 522, None, None, "shop.example.com", "sa-522"),
    # The dashboard link is a monitoring console: the host in the labels is the site.
    (GRAFANA_LABEL_MAP, 523, None, None, "img.example.net", "sa-523"),
    (DATADOG, 524, None, None, "shop.example.com", "sa-524"),
    (
        PAGERDUTY,
        522,
        None,
        "https://shop.example.com/checkout",
        "shop.example.com",
        "sa-522",
    ),
    (PROMETHEUS, 524, None, "https://api.example.com/health", "api.example.com", "sa-524"),
    (
        "Monitor is DOWN: Shop (https://shop.example.com) - Reason: HTTP 524 - Origin Time-out",
        524,
        None,
        "https://shop.example.com",
        "shop.example.com",
        "sa-524",
    ),
    (
        "DOWN alert: api (api.example.com) is DOWN since 2024-05-22 10:52:04 UTC. "
        "Reason: HTTP Error 521",
        521,
        None,
        None,
        "api.example.com",
        "sa-521",
    ),
    (
        "Website shop.example.com is down. Status code: 523",
        523,
        None,
        None,
        "shop.example.com",
        "sa-523",
    ),
    (
        "[Shop] [:red_circle: Down] 525 - SSL Handshake Failed | https://shop.example.com",
        525,
        None,
        "https://shop.example.com",
        "shop.example.com",
        "sa-525",
    ),
    (
        "getting 524s on https://api.example.com since 10:00, anyone else?",
        524,
        None,
        "https://api.example.com",
        "api.example.com",
        "sa-524",
    ),
    (
        "api.example.com is returning a 502 for everyone",
        502,
        None,
        None,
        "api.example.com",
        "sa-origin-502",
    ),
    (
        "Pages site https://my-app.edgeone.app returns 502",
        502,
        None,
        "https://my-app.edgeone.app",
        "my-app.edgeone.app",
        "pages-502",
    ),
    (
        "edge function at https://ef.example.com/hello returned 545",
        545,
        None,
        "https://ef.example.com/hello",
        "ef.example.com",
        "ef-545",
    ),
    (
        "HTTP/1.1 524 Origin Time-out from https://api.example.com/v1",
        524,
        None,
        "https://api.example.com/v1",
        "api.example.com",
        "sa-524",
    ),
    (
        "访问 https://shop.example.com 返回 524",
        524,
        None,
        "https://shop.example.com",
        "shop.example.com",
        "sa-524",
    ),
    (
        "cloud_function_invocation_failed on <https://app.example.com/api/run>",
        None,
        "CLOUD_FUNCTION_INVOCATION_FAILED",
        "https://app.example.com/api/run",
        "app.example.com",
        "pages-502",
    ),
    ("level=error status=524 host=shop.example.com", 524, None, None, "shop.example.com", "sa-524"),
    (
        "504 NODE_FUNCTION_INVOCATION_TIMEOUT at https://app.example.com/api",
        504,
        "NODE_FUNCTION_INVOCATION_TIMEOUT",
        "https://app.example.com/api",
        "app.example.com",
        "pages-504",
    ),
    (
        "HTTP 423 DEPLOYING on https://demo.edgeone.app",
        423,
        "DEPLOYING",
        "https://demo.edgeone.app",
        "demo.edgeone.app",
        "pages-423",
    ),
    ("shop.example.com - 521", 521, None, None, "shop.example.com", "sa-521"),
    ("Origin timeout (524) for shop.example.com", 524, None, None, "shop.example.com", "sa-524"),
    (
        "EdgeOne 552 at https://shop.example.com/img.png",
        552,
        None,
        "https://shop.example.com/img.png",
        "shop.example.com",
        "sa-522",
    ),
    (
        "522 Connection Timed Out - shop.example.com",
        522,
        None,
        None,
        "shop.example.com",
        "sa-522",
    ),
    (
        "<@U123> we got a 524 error from https://api.example.com when posting &amp; retrying",
        524,
        None,
        "https://api.example.com",
        "api.example.com",
        "sa-524",
    ),
    (
        "HTTP 500 from our pages project https://blog.example.com/ (node functions)",
        500,
        None,
        "https://blog.example.com/",
        "blog.example.com",
        "pages-500-response-too-large",
    ),
    (
        "Seeing HTTP 524 errors on https://api.example.com/v1 since the deploy",
        524,
        None,
        "https://api.example.com/v1",
        "api.example.com",
        "sa-524",
    ),
]


@pytest.mark.parametrize(
    ("message", "code", "name", "url", "host", "first"),
    POSITIVE,
    ids=[p[0].splitlines()[0][:50] for p in POSITIVE],
)
def test_realistic_alerts_are_recognised(
    kb: KnowledgeBase,
    message: str,
    code: int | None,
    name: str | None,
    url: str | None,
    host: str,
    first: str,
) -> None:
    alert = find_alert(message, kb)
    assert alert is not None
    assert (alert.code, alert.name, alert.url, alert.host) == (code, name, url, host)
    assert alert.entry_ids[0] == first
    assert all(kb.get(i) is not None for i in alert.entry_ids)


NEGATIVE = [
    "deployed build 524 to staging",
    "deployed build 524 to staging.example.com",
    "build 524 for shop.example.com",
    "ticket #522 closed",
    "ticket #522 closed, see https://jira.example.com/browse/OPS-1",
    "took 524 ms on shop.example.com",
    "p99 latency 524ms on shop.example.com",
    "took 524 seconds to load https://x.example.com",
    "port 8443 on db.example.com",
    "port 524 on db.example.com",
    "shop.example.com:524 is open",
    "https://shop.example.com:524/health is up",
    "version 5.24.1",
    "release v5.2.4 on shop.example.com",
    "Node.js 5.24 on app.example.com",
    "$524 invoice from vendor.example.com",
    "invoice 524 from vendor.example.com",
    "USD 524 from shop.example.com",
    "524 new users signed up",
    "524 new users from signup.example.com",
    "524 requests on shop.example.com in the last hour",
    "shop.example.com: 524 visitors today",
    "1,524 errors on shop.example.com",
    "524 errors on shop.example.com",  # a count: "errors" after a bare number is read as one
    "got 524 likes on https://blog.example.com/post",
    "hit 524 concurrent users on https://shop.example.com",
    "see https://x.example.com/errors/524",
    "https://x.example.com/errors/524 is the new error page",
    "x.example.com/errors/524 returns fine",
    "all good: 200 OK on https://x.example.com",
    "HTTP 301 on https://x.example.com",
    "HTTP 999 on https://x.example.com",
    "2024-05-22 10:52:4",
    "2024-05-22 10:52:4 on shop.example.com",
    "10.52.4.1",
    "errors on 10.52.4.1: HTTP 524",
    "meeting at 5:24 on meet.example.com",
    "5.24% error rate on shop.example.com",
    "HTTP 524 again, anyone seen this?",
    "shop.example.com is slow today",
    "see report.pdf: HTTP 524",
    "config.yaml sets status 522",
    "status 522 in values.yml and README.md",
    "ping alice@example.com about the 524",
    "HTTP 524 for bob@example.com",
    "HTTP 524 for <mailto:bob@example.com|bob@example.com>",
    "order #524 from shop.example.com",
    "Room 524 at hotel.example.com",
    "we shipped 524 from shop.example.com",
    "Visitors: 524 from shop.example.com",
    "timeout 524s on shop.example.com",
    "PR 524 for shop.example.com merged",
    "Incident 524 for shop.example.com",
    "call +1 524 555 0100 or see shop.example.com",
    "expected 404 on https://x.example.com/old, got 200",
    "promo code 524 for shop.example.com",
    "visits down 524 from yesterday on shop.example.com",
    "NODE_FUNCTION_INVOCATION_TIMEOUT in the docs",
    "Deployment FAILED on shop.example.com",
    "Service UNAVAILABLE at shop.example.com",
    "HTTP 524 rate high, see https://app.datadoghq.com/monitors/123",
    "[RESOLVED] HTTP 524 on https://api.example.com",
    "**Resolved**\nEdgeOne 522 ratio on shop.example.com",
    "res.status 524 in main.py",
    "timeout.Please check 524",
]


@pytest.mark.parametrize("message", NEGATIVE)
def test_look_alikes_are_ignored(kb: KnowledgeBase, message: str) -> None:
    assert find_alert(message, kb) is None


def test_code_inside_the_url_is_not_read_but_the_one_outside_is(kb: KnowledgeBase) -> None:
    alert = find_alert("HTTP 522 on https://x.example.com/errors/524", kb)
    assert alert is not None
    assert alert.code == 522


def test_first_accepted_code_wins_and_look_alikes_before_it_are_skipped(
    kb: KnowledgeBase,
) -> None:
    alert = find_alert("build 524 deployed; since then HTTP 521 on https://shop.example.com", kb)
    assert alert is not None
    assert alert.code == 521


def test_name_and_code_list_the_names_entries_first(kb: KnowledgeBase) -> None:
    alert = find_alert("HTTP 502 NODE_FUNCTION_INVOCATION_TIMEOUT on https://a.example.com", kb)
    assert alert is not None
    assert alert.entry_ids[0] == "pages-504"
    assert set(alert.entry_ids[1:]) == {e.id for e in kb.by_code(502)}


def test_secondary_code_lists_primary_entries_first(kb: KnowledgeBase) -> None:
    alert = find_alert("HTTP 500 on https://shop.example.com", kb)
    assert alert is not None
    assert alert.entry_ids[0] == "sa-origin-500"  # no product hint: site acceleration first
    assert set(alert.entry_ids) == {e.id for e in kb.by_code(500)}


def test_alerting_tool_links_are_not_taken_for_the_site(kb: KnowledgeBase) -> None:
    alert = find_alert(
        "HTTP 524 on shop.example.com\nhttps://app.datadoghq.com/monitors/1\n"
        "https://shop.example.com/cart",
        kb,
    )
    assert alert is not None
    assert (alert.url, alert.host) == ("https://shop.example.com/cart", "shop.example.com")


def test_firing_and_resolved_in_one_group_is_firing(kb: KnowledgeBase) -> None:
    alert = find_alert("[FIRING:1, RESOLVED:2] EdgeOne 5xx: 522 for shop.example.com", kb)
    assert alert is not None
    assert alert.code == 522


def test_alert_is_frozen(kb: KnowledgeBase) -> None:
    alert = find_alert("HTTP 524 on https://api.example.com", kb)
    assert isinstance(alert, Alert)
    with pytest.raises(AttributeError):
        alert.code = 1  # type: ignore[misc]


def test_only_the_first_part_of_a_long_message_is_read(kb: KnowledgeBase) -> None:
    late = "x " * MAX_SCAN_CHARS + "HTTP 524 on https://api.example.com"
    assert find_alert(late, kb) is None


# -- hostile input -------------------------------------------------------------------------------

HOSTILE = [
    "",
    " ",
    "\n\n\n",
    ":fire: :fire: :fire:",
    "🔥🚨💥" * 500,
    "\x00\x01\x02\x1b[31m\u200b\u202e\ufeff" * 200,
    "a" * 100_000,
    "524 " * 25_000,
    "HTTP 524 on " * 8_000 + "https://x.example.com",
    " ".join(f"https://h{i}.example.com/{i}" for i in range(10_000)),
    "a." * 50_000 + "com",
    "a-" * 50_000,
    "_" * 100_000,
    "A_" * 50_000,
    "<" * 50_000 + ">" * 50_000,
    "<https://" + "x" * 100_000 + "|" + "y" * 10 + ">",
    "http://[::1 524 on http://[zz]/ error 524",
    "status:" * 20_000,
    "返回" * 20_000 + "524",
    "\n".join(["HTTP 524"] * 20_000),
    "1.1.1.1." * 20_000,
]


@pytest.mark.parametrize("message", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_input_returns_without_raising(kb: KnowledgeBase, message: str) -> None:
    result = find_alert(message, kb)
    assert result is None or result.entry_ids


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=2_000))
def test_never_raises_on_arbitrary_text(kb: KnowledgeBase, text: str) -> None:
    result = find_alert(text, kb)
    assert result is None or (result.entry_ids and result.host)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "HTTP",
                "524",
                "522s",
                "on",
                "for",
                "status:",
                "code=",
                "https://x.example.com/524",
                "shop.example.com",
                "a@b.com",
                "[FIRING:1]",
                "NODE_FUNCTION_INVOCATION_TIMEOUT",
                "\n",
                "-",
                "(",
                ")",
                "#",
                "$",
                "ms",
                "返回",
                "<https://y.example.com|y>",
            ]
        ),
        max_size=40,
    )
)
def test_never_raises_on_alert_shaped_text(kb: KnowledgeBase, words: list[str]) -> None:
    result = find_alert(" ".join(words), kb)
    if result is not None:
        assert result.host is not None
        assert result.code is not None or result.name is not None


@pytest.mark.parametrize(
    ("message", "language"),
    [
        ("[FIRING:1] HTTP 524 on https://api.example.com/v1/orders", "en"),
        ("[告警] https://api.example.com/v1/orders 状态码 524，源站响应超时", "zh"),
        ("源站报错 502 on https://api.example.com/", "zh"),
    ],
)
def test_the_alert_knows_its_language(kb: KnowledgeBase, message: str, language: str) -> None:
    alert = find_alert(message, kb)
    assert alert is not None
    assert alert.language == language


def test_a_url_followed_by_chinese_without_a_space_ends_there(kb: KnowledgeBase) -> None:
    alert = find_alert("告警：https://api.example.com/v1/orders，状态码 524 持续 5 分钟", kb)
    assert alert is not None
    assert alert.url == "https://api.example.com/v1/orders"
    assert alert.code == 524
