"""The language of each answer, decided by the conversation core: the asker's (or the deployment's),
kept by probes, buttons, watches and alerts; every notice a handler sends, in Chinese.

Probes go to real loopback servers; the surface records what the handlers sent, and each reply is
rendered for Slack and the console to check that it speaks one language.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.chat.alerts import Alert
from bot.chat.conversation import Conversation
from bot.chat.limits import ConcurrencyCap, RateLimiter
from bot.chat.replies import (
    AlertReply,
    AnswerReply,
    HelpReply,
    Notice,
    ProbeOutcome,
    Progress,
    Reply,
    WatchEvent,
)
from bot.chat.services import Services
from bot.chat.surface import CannotPost, Turn
from bot.chat.watches import WatchSettings
from bot.i18n import Choice
from bot.knowledge import KnowledgeBase, Matcher
from bot.render.blocks import render
from bot.render.chat_text import render_reply
from tests.i18n.conftest import ChineseDiagnoser
from tests.i18n.mixing import english_runs, has_chinese
from tests.render.test_chat_replies import shown
from tests.servers import HTTPServer, Response
from tests.slack.conftest import loopback_settings

USER = "U0ALICE"


class Recorder:
    """A surface that keeps every reply; ``refuse`` makes posting fail as Slack would."""

    def __init__(self) -> None:
        self.said: list[Reply] = []
        self.refuse = False

    async def reply(self, turn: Turn, reply: Reply, *, public: bool = False) -> None:
        self.said.append(reply)

    async def post(self, channel: str, reply: Reply, *, thread: str | None) -> str:
        if self.refuse:
            raise CannotPost("not_in_channel")
        self.said.append(reply)
        return f"ts-{len(self.said)}"

    async def update(self, channel: str, ref: str, reply: Reply) -> None:
        self.said.append(reply)

    def of(self, kind: type[Any]) -> list[Any]:
        return [r for r in self.said if isinstance(r, kind)]


def conversation(
    kb: KnowledgeBase, matcher: Matcher, *, language: Choice = "auto", **kwargs: Any
) -> tuple[Conversation, Recorder]:
    services = Services.build(
        kb, loopback_settings(), matcher=matcher, progress_interval=0.0, language=language, **kwargs
    )
    services.diagnoser = ChineseDiagnoser(kb)
    recorder = Recorder()
    return Conversation(services, recorder), recorder


def turn(text: str, *, thread: str | None = "1.0", user: str = USER) -> Turn:
    return Turn(text, user, "C0TEST", thread, "mention")


def assert_chinese(reply: Reply) -> None:
    """The reply is Chinese for Slack (blocks and fallback) and for the console."""
    assert reply.language == "zh", reply
    message = render(reply)
    text = shown(message)
    assert has_chinese(text), text
    assert english_runs(text) == [], text
    # The notification fallback drops the marks that quote the probe's own English reasons.
    assert has_chinese(message.text), message.text
    console = render_reply(reply)
    if console is not None:
        assert english_runs(console, terminal=True) == [], console


def assert_english(reply: Reply) -> None:
    assert reply.language == "en", reply
    assert not has_chinese(shown(render(reply)).replace("回源超时", "").replace("一直报", ""))


async def settle(c: Conversation) -> None:
    await c.services.tasks.drain(limit=5.0)


# ---------------------------------------------------------------- questions


@pytest.mark.parametrize(
    ("setting", "text", "language"),
    [
        ("auto", "回源超时怎么办", "zh"),
        ("auto", "origin keeps timing out", "en"),
        ("en", "回源超时怎么办", "en"),
        ("zh", "origin keeps timing out", "zh"),
    ],
)
async def test_questions_are_answered_in_the_askers_language_unless_the_deployment_says(
    kb: KnowledgeBase, matcher: Matcher, setting: Choice, text: str, language: str
) -> None:
    c, said = conversation(kb, matcher, language=setting)
    await c.handle(turn(text))
    (answer,) = said.of(AnswerReply)
    assert answer.language == language
    (assert_chinese if language == "zh" else assert_english)(answer)


async def test_chinese_help_and_invalid_commands(kb: KnowledgeBase, matcher: Matcher) -> None:
    c, said = conversation(kb, matcher)
    for text in (
        "帮助",
        "探测",
        "监控 https://a.example/ for 三十分钟",
        "探测 https://a.example/ origin=a%b",
    ):
        await c.handle(turn(text))
    assert isinstance(said.said[0], HelpReply)
    assert len(said.said) == 4
    for reply in said.said:
        assert_chinese(reply)


# ---------------------------------------------------------------- probes and their buttons


async def test_a_chinese_mention_with_a_url_is_probed_and_diagnosed_in_chinese(
    kb: KnowledgeBase, matcher: Matcher
) -> None:
    c, said = conversation(kb, matcher)
    with HTTPServer(status=502, body=b"bad gateway") as target:
        await c.handle(turn(f"{target.url}/cart 一直报 502，帮忙看看"))
        await settle(c)
    progress = said.of(Progress)
    (outcome,) = said.of(ProbeOutcome)
    assert progress
    assert outcome.request.code == 502
    assert outcome.request.language == "zh"
    assert c.services.diagnoser.languages == ["zh"]  # type: ignore[attr-defined]
    for reply in said.said:
        assert_chinese(reply)


async def test_probe_again_and_compare_on_a_chinese_diagnosis_answer_in_chinese(
    kb: KnowledgeBase, matcher: Matcher
) -> None:
    c, said = conversation(kb, matcher)
    with HTTPServer(sequence=[Response(status=502), Response(status=200)]) as target:
        await c.handle(turn(f"{target.url}/ 返回 502"))
        await settle(c)
        (first,) = said.of(ProbeOutcome)
        # A button press carries no text: the language comes with the button's request.
        press = Turn("", "U0BOB", "C0TEST", "1.0", "action")
        await c.probe_again(press, first.request, first.snapshot)
        await settle(c)
    second = said.of(ProbeOutcome)[-1]
    assert second.change is not None
    assert second.change.recovered
    assert "→ 200" in second.change.headline
    for reply in said.said:
        assert_chinese(reply)
    text = shown(render(second))
    assert "变化" in text
    assert "重新探测" in text


async def test_an_english_probe_next_to_a_chinese_one_stays_english(
    kb: KnowledgeBase, matcher: Matcher
) -> None:
    c, said = conversation(kb, matcher)
    with HTTPServer(status=504) as target:
        await c.handle(turn(f"{target.url}/ 一直报 504", thread="1.0"))
        await c.handle(turn(f"{target.url}/ gives 504", thread="2.0", user="U0BOB"))
        await settle(c)
    outcomes = sorted(said.of(ProbeOutcome), key=lambda o: o.language)
    assert [o.language for o in outcomes] == ["en", "zh"]
    assert_english(outcomes[0])
    assert_chinese(outcomes[1])


# ---------------------------------------------------------------- notices


async def test_refusals_and_limits_are_said_in_chinese(kb: KnowledgeBase, matcher: Matcher) -> None:
    c, said = conversation(
        kb,
        matcher,
        rate=RateLimiter(1, 60.0),
        watch=WatchSettings(per_user=1, interval=30.0),
    )
    with HTTPServer(status=502) as target:
        await c.handle(turn("探测 http://10.0.0.1/"))  # not a public address
        await c.handle(turn(f"探测 {target.url}/a"))
        await settle(c)
        await c.handle(turn(f"探测 {target.url}/b"))  # over the rate limit
        await c.handle(turn("取消监控", thread="9.9"))  # nothing to stop here
        await c.cancel_watch(turn(""), "0123456789ab:zh")  # already ended
    notices = said.of(Notice)
    assert len(notices) == 4
    for notice in notices:
        assert_chinese(notice)
    refused, limited, nothing, ended = (n.text for n in notices)
    assert "不能探测" in refused
    assert "达到上限" in limited
    assert "没有正在运行的监控" in nothing
    assert "已经结束" in ended


async def test_a_full_cap_is_said_in_chinese(kb: KnowledgeBase, matcher: Matcher) -> None:
    c, said = conversation(kb, matcher, cap=ConcurrencyCap(1))
    held = c.services.cap.take()
    assert held is not None
    with held:
        await c.handle(turn("探测 https://a.example/"))
    (notice,) = said.of(Notice)
    assert "同时运行的上限" in notice.text
    assert_chinese(notice)


async def test_a_channel_the_bot_cannot_post_in_is_explained_in_chinese(
    kb: KnowledgeBase, matcher: Matcher
) -> None:
    c, said = conversation(kb, matcher)
    said.refuse = True
    await c.handle(turn("探测 https://a.example/"))
    await settle(c)
    (notice,) = said.of(Notice)
    assert "/invite @eo" in notice.text
    assert_chinese(notice)


async def test_a_crashing_probe_is_reported_in_chinese(kb: KnowledgeBase, matcher: Matcher) -> None:
    c, said = conversation(kb, matcher)

    async def crash(url: str, **_: Any) -> Any:
        raise RuntimeError("boom")

    c.services.prober = crash
    await c.handle(turn("诊断 https://a.example/"))
    await settle(c)
    notices = said.of(Notice)
    assert [n.emoji for n in notices] == ["⚠️", "⚠️"]
    for notice in notices:
        assert_chinese(notice)


# ---------------------------------------------------------------- watches


async def test_a_chinese_watch_and_an_english_one_each_keep_their_language(
    kb: KnowledgeBase, matcher: Matcher
) -> None:
    c, said = conversation(kb, matcher, watch=WatchSettings(interval=0.05, min_duration=0.1))
    with HTTPServer(sequence=[Response(status=502)] * 2 + [Response(status=200)] * 10) as target:
        await c.handle(turn(f"监控 {target.url}/ 10分钟", thread="1.0"))
        await c.handle(turn(f"watch {target.url}/ for 10m", thread="2.0", user="U0BOB"))
        await settle(c)
    events = said.of(WatchEvent)
    assert sorted(e.kind for e in events) == ["recovered", "recovered"]
    by_language = {e.language: e for e in events}
    assert set(by_language) == {"en", "zh"}
    assert_chinese(by_language["zh"])
    assert_english(by_language["en"])
    assert "已恢复" in render(by_language["zh"]).text
    assert "Recovered" in render(by_language["en"]).text
    firsts = said.of(ProbeOutcome)
    assert {o.language for o in firsts} == {"en", "zh"}
    for first in firsts:
        if first.language == "zh":
            assert_chinese(first)


async def test_cancelling_a_chinese_watch_is_told_in_chinese_whoever_cancels(
    kb: KnowledgeBase, matcher: Matcher
) -> None:
    c, said = conversation(kb, matcher)
    with HTTPServer(status=502) as target:
        await c.handle(turn(f"监控 {target.url}/ 30分钟"))
        for _ in range(100):
            if said.of(ProbeOutcome):
                break
            await asyncio.sleep(0.02)
        (watch,) = list(c.watches)
        assert watch.language == "zh"
        assert c.watch_lines(USER, "zh")[0].startswith(f"{target.url}/：已进行")
        await c.handle(Turn("stop watching", "U0BOB", "C0TEST", "1.0", "mention"))
        await settle(c)
    (cancelled,) = said.of(WatchEvent)
    assert cancelled.kind == "cancelled"
    assert_chinese(cancelled)
    assert "<@U0BOB>" in render(cancelled).block_dicts()[0]["text"]["text"]


# ---------------------------------------------------------------- alerts and App Home


@pytest.mark.parametrize(("setting", "language"), [("auto", "zh"), ("en", "en")])
async def test_alerts_answer_in_the_language_of_the_alert(
    kb: KnowledgeBase, matcher: Matcher, setting: Choice, language: str
) -> None:
    c, said = conversation(kb, matcher, language=setting)
    with HTTPServer(status=524) as target:
        alert = Alert(524, None, f"{target.url}/", "127.0.0.1", ("sa-524",), language="zh")
        await c.alert(Turn("", "B0GRAFANA", "C0ALERTS", "1.0", "alert"), alert)
        await settle(c)
    (reply,) = said.of(AlertReply)
    (outcome,) = said.of(ProbeOutcome)
    assert (reply.language, outcome.language) == (language, language)
    if language == "zh":
        assert_chinese(reply)
        assert_chinese(outcome)


async def test_app_home_speaks_the_language_last_asked_in(
    kb: KnowledgeBase, matcher: Matcher
) -> None:
    c, _ = conversation(kb, matcher)
    assert c.home_language(USER) == "en"  # nobody asked yet
    await c.handle(turn("回源超时"))
    assert c.home_language(USER) == "zh"
    await c.handle(turn("what is 524"))
    assert c.home_language(USER) == "en"
    forced, _ = conversation(kb, matcher, language="zh")
    await forced.handle(turn("what is 524"))
    assert forced.home_language(USER) == "zh"
