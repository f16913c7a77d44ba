"""Every reply of the conversation core in Chinese, for Slack and for the console: Chinese words,
no English sentence left (only commands, codes, names, URLs), inside Slack's limits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.chat.alerts import Alert
from bot.chat.replies import (
    AlertReply,
    AnswerReply,
    EntryReply,
    HelpReply,
    ProbeOutcome,
    ProbeRequest,
    ProbeSummary,
    Progress,
    Reply,
    SharedVerdict,
    WatchEvent,
    WatchEventKind,
    WatchInfo,
)
from bot.chat.snapshot import Snapshot, compare
from bot.diagnosis import diagnose
from bot.i18n import Language
from bot.knowledge import KnowledgeBase, Matcher
from bot.knowledge.matcher import MAX_QUERY_CHARS
from bot.probe.models import ProbeReport, ProbeResult
from bot.render.blocks import render
from bot.render.chat_text import render_reply
from bot.render.home import home_view
from tests.i18n.mixing import english_runs, has_chinese
from tests.render.test_chat_replies import assert_within_limits, shown
from tests.test_diagnosis import ORIGIN_IP, STARTED, URL, edge, failing, origin

USER = "U0ABC123"
UNTIL = datetime(2025, 3, 1, 13, 0, tzinfo=UTC)
LATER = STARTED + timedelta(minutes=3)


def outcome(
    kb: KnowledgeBase,
    lang: Language,
    result: ProbeResult | None = None,
    *,
    origin_result: ProbeResult | None = None,
    code: int | None = None,
    **fields: Any,
) -> ProbeOutcome:
    report = ProbeReport(edge=result or failing("connect:timeout"), origin=origin_result)
    diagnosis = diagnose(report, kb, stated_code=code, language=lang)
    return ProbeOutcome(
        request=ProbeRequest(URL, code=code, language=lang),
        report=report,
        diagnosis=diagnosis,
        snapshot=Snapshot.of(report, diagnosis),
        **fields,
    )


def snapshots(kb: KnowledgeBase) -> tuple[Snapshot, Snapshot]:
    before = ProbeReport(edge=failing("connect:timeout"))
    after = ProbeReport(edge=replace(edge(200), started_at=LATER))
    return (
        Snapshot.of(before, diagnose(before, kb)),
        Snapshot.of(after, diagnose(after, kb)),
    )


def info(*, active: bool = True) -> WatchInfo:
    return WatchInfo(watch_id="a1b2c3d4e5f6", until=UNTIL, interval=30.0, active=active)


def event(kb: KnowledgeBase, lang: Language, kind: WatchEventKind, **fields: Any) -> WatchEvent:
    values: dict[str, Any] = {
        "watch_id": "a1b2c3d4e5f6",
        "url": URL,
        "snapshot": snapshots(kb)[1],
        "probes": 4,
        "until": UNTIL,
        "language": lang,
    }
    return WatchEvent(kind=kind, **(values | fields))


def alert(url: str | None = URL) -> Alert:
    return Alert(code=524, name=None, url=url, host="www.example.com", entry_ids=("sa-524",))


def entry(kb: KnowledgeBase, entry_id: str = "sa-524") -> Any:
    found = kb.get(entry_id)
    assert found is not None
    return found


Builder = Callable[[KnowledgeBase, Matcher, Language], Reply]

EVERY_REPLY: list[Any] = [
    pytest.param(lambda kb, m, lang: AnswerReply(m.ask("回源超时"), language=lang), id="answer"),
    pytest.param(
        lambda kb, m, lang: AnswerReply(m.ask("524"), share=True, language=lang), id="answer-share"
    ),
    pytest.param(lambda kb, m, lang: AnswerReply(m.ask("5xx"), language=lang), id="answer-family"),
    pytest.param(
        lambda kb, m, lang: AnswerReply(m.ask("zzqx flibber"), language=lang), id="answer-no-match"
    ),
    pytest.param(
        lambda kb, m, lang: AnswerReply(m.ask("NODE_FUNCTON_INVOKATON"), language=lang),
        id="suggest",
    ),
    pytest.param(lambda kb, m, lang: AnswerReply(m.ask("   "), language=lang), id="answer-empty"),
    pytest.param(
        lambda kb, m, lang: AnswerReply(
            m.ask("599 和 418 " + "回源" * MAX_QUERY_CHARS), language=lang
        ),
        id="answer-notes",
    ),
    pytest.param(lambda kb, m, lang: EntryReply(entry(kb), share=True, language=lang), id="entry"),
    pytest.param(lambda kb, m, lang: HelpReply(language=lang), id="help"),
    pytest.param(lambda kb, m, lang: Progress(URL, (), user=USER, language=lang), id="progress"),
    pytest.param(
        lambda kb, m, lang: Progress(URL, ("dns", "connect"), language=lang), id="progress-some"
    ),
    pytest.param(lambda kb, m, lang: outcome(kb, lang), id="outcome-failing"),
    pytest.param(lambda kb, m, lang: outcome(kb, lang, edge(200)), id="outcome-healthy"),
    pytest.param(
        lambda kb, m, lang: outcome(kb, lang, edge(200), code=522), id="outcome-not-reproduced"
    ),
    pytest.param(
        lambda kb, m, lang: outcome(
            kb, lang, edge(522, ttfb=10_000.0), origin_result=origin(200), entry=entry(kb, "sa-522")
        ),
        id="outcome-origin-and-entry",
    ),
    pytest.param(
        lambda kb, m, lang: outcome(kb, lang, failing("tls:cert_invalid:hostname_mismatch")),
        id="outcome-certificate",
    ),
    pytest.param(
        lambda kb, m, lang: outcome(kb, lang, failing("connect:refused", target=ORIGIN_IP)),
        id="outcome-refused",
    ),
    pytest.param(
        lambda kb, m, lang: outcome(kb, lang, failing("dns:nxdomain")), id="outcome-nxdomain"
    ),
    pytest.param(
        lambda kb, m, lang: outcome(kb, lang, edge(200), change=compare(*snapshots(kb), lang)),
        id="outcome-change",
    ),
    pytest.param(lambda kb, m, lang: outcome(kb, lang, watch=info()), id="outcome-watching"),
    pytest.param(
        lambda kb, m, lang: outcome(kb, lang, watch=info(active=False)), id="outcome-watch-ended"
    ),
    pytest.param(
        lambda kb, m, lang: ProbeSummary(
            URL, outcome(kb, lang).diagnosis, user=USER, language=lang
        ),
        id="summary",
    ),
    pytest.param(
        lambda kb, m, lang: SharedVerdict(ProbeRequest(URL, language=lang), snapshots(kb)[0], USER),
        id="shared-verdict",
    ),
    pytest.param(
        lambda kb, m, lang: AlertReply(alert(), entry(kb), probing=True, language=lang), id="alert"
    ),
    pytest.param(
        lambda kb, m, lang: AlertReply(
            alert(),
            entry(kb),
            probing=False,
            skipped="已达上限" if lang == "zh" else "limit reached",
            language=lang,
        ),
        id="alert-skipped",
    ),
    pytest.param(
        lambda kb, m, lang: AlertReply(alert(url=None), entry(kb), probing=False, language=lang),
        id="alert-host-only",
    ),
    pytest.param(
        lambda kb, m, lang: event(
            kb, lang, "changed", change=compare(*reversed(snapshots(kb)), lang)
        ),
        id="watch-changed",
    ),
    pytest.param(
        lambda kb, m, lang: event(kb, lang, "recovered", change=compare(*snapshots(kb), lang)),
        id="watch-recovered",
    ),
    pytest.param(lambda kb, m, lang: event(kb, lang, "recovered"), id="watch-recovered-no-change"),
    pytest.param(lambda kb, m, lang: event(kb, lang, "expired"), id="watch-expired"),
    pytest.param(lambda kb, m, lang: event(kb, lang, "cancelled", by=USER), id="watch-cancelled"),
    pytest.param(lambda kb, m, lang: event(kb, lang, "shutdown"), id="watch-shutdown"),
    pytest.param(lambda kb, m, lang: event(kb, lang, "failed", snapshot=None), id="watch-failed"),
]


@pytest.mark.parametrize("build", EVERY_REPLY)
def test_slack_reply_in_chinese(kb: KnowledgeBase, matcher: Matcher, build: Builder) -> None:
    message = render(build(kb, matcher, "zh"))
    assert_within_limits(message)
    assert has_chinese(shown(message)), shown(message)
    assert english_runs(shown(message)) == [], shown(message)
    # The fallback of an answer is the terminal rendering (commands on "$ " lines).
    assert has_chinese(message.text), message.text
    assert english_runs(message.text, terminal=True) == [], message.text


@pytest.mark.parametrize("build", EVERY_REPLY)
def test_console_reply_in_chinese(kb: KnowledgeBase, matcher: Matcher, build: Builder) -> None:
    text = render_reply(build(kb, matcher, "zh"))
    if text is None:
        return  # what the console does not print (progress updates, summaries)
    assert has_chinese(text), text
    assert english_runs(text, terminal=True) == [], text


@pytest.mark.parametrize("build", EVERY_REPLY)
def test_the_same_reply_in_english_has_no_chinese(
    kb: KnowledgeBase, matcher: Matcher, build: Builder
) -> None:
    # The control: the same replies in English carry no Chinese but the question's own words.
    message = render(build(kb, matcher, "en"))
    assert_within_limits(message)
    text = (shown(message) + message.text).replace("回源", "")
    assert not has_chinese(text), text


def test_home_in_chinese(kb: KnowledgeBase) -> None:
    from bot.chat.history import RecentProbe

    recent = [
        RecentProbe(URL, STARTED, None, 522, "network", "C0123ABC", "1.2", language="zh"),
        RecentProbe(URL, LATER, 200, None, "none", "C0123ABC", "1.3", language="zh"),
    ]
    view = home_view(kb, recent, watches=["https://a.example/：已进行 3 次探测，还剩 5 分钟"])
    text = "\n".join(_view_texts(view["blocks"]))
    assert "你最近的探测" in text
    assert "状态码速查" in text
    assert english_runs(text) == [], text
    # Without a language it follows the newest probe; asked in English it is English.
    english = "\n".join(_view_texts(home_view(kb, recent, language="en")["blocks"]))
    assert "Your recent probes" in english
    assert "你最近的探测" not in english


def _view_texts(node: Any) -> list[str]:
    if isinstance(node, dict):
        out = [node["text"]] if isinstance(node.get("text"), str) else []
        return out + [
            t for v in node.values() if isinstance(v, dict | list) for t in _view_texts(v)
        ]
    if isinstance(node, list):
        return [t for item in node for t in _view_texts(item)]
    return []


def test_an_entry_without_chinese_text_says_so_in_chinese(kb: KnowledgeBase) -> None:
    # A team's own runbook may be English only: shown as it is, with a Chinese line saying so.
    english_only = replace(entry(kb), zh=None)
    message = render(EntryReply(english_only, language="zh"))
    text = shown(message)
    assert "这个条目还没有中文内容" in text
    assert english_only.title in text
    assert "由谁返回" in text  # our own words stay Chinese
    console = render_reply(EntryReply(english_only, language="zh"))
    assert console is not None
    assert "这个条目还没有中文内容" in console
    assert "这个条目还没有中文内容" not in shown(render(EntryReply(entry(kb), language="zh")))
