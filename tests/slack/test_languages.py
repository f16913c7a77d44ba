"""Chinese and English through the real endpoint and the fake Slack: a Chinese /eo question, a
Chinese mention with a URL diagnosed in Chinese in its thread, its buttons answering in Chinese,
Chinese and English watches side by side, a Chinese alert, the App Home, and EO_LANGUAGE."""

from __future__ import annotations

import json

import pytest

from bot.chat.watches import WatchSettings
from tests.i18n.conftest import ChineseDiagnoser
from tests.i18n.mixing import english_runs, has_chinese
from tests.servers import HTTPServer, Response
from tests.slack.conftest import Bot, fixture
from tests.slack.fake_slack import Call
from tests.slack.test_oncall import THREAD, alert_event, buttons, home_opened, mention, press


@pytest.fixture(autouse=True)
def chinese_diagnosis(bot: Bot) -> None:
    """The diagnosis's sentences in Chinese when asked (see tests/i18n/conftest.py)."""
    bot.services.diagnoser = ChineseDiagnoser(bot.services.kb)


def assert_chinese(call: Call) -> None:
    text = call.block_text()
    assert has_chinese(text), text
    assert english_runs(text) == [], text
    assert has_chinese(call.text), call.text


def labels(call: Call) -> list[str]:
    return [b["text"]["text"] for b in buttons(call).values()]


async def diagnose_in_thread(bot: Bot, text: str, *, ts: str = "1700000100.000200") -> Call:
    await bot.event(mention(f"<@UBOT> {text}", ts=ts))
    await bot.fake.wait_calls("chat.update")
    await bot.settle()
    return bot.fake.of("chat.update")[-1]


async def test_a_chinese_slash_command_question_is_answered_in_chinese(bot: Bot) -> None:
    await bot.command("回源超时怎么办")
    (answer,) = await bot.fake.wait_calls("response_url")
    assert answer.body["response_type"] == "ephemeral"
    assert_chinese(answer)
    assert "源站响应超时" in answer.block_text()
    assert labels(answer) == ["分享到频道"]


async def test_a_chinese_mention_with_a_url_is_diagnosed_in_chinese_in_its_thread(
    bot: Bot,
) -> None:
    with HTTPServer(status=502, body=b"bad gateway") as target:
        diagnosis = await diagnose_in_thread(bot, f"{target.url}/cart 一直报 502")
    (progress,) = bot.fake.of("chat.postMessage")
    assert progress.body["thread_ts"] == THREAD
    assert "正在为 <@U0ALICE> 探测" in progress.block_text()
    assert_chinese(diagnosis)
    assert "探测结果" in diagnosis.block_text()
    assert labels(diagnosis) == ["重新探测", "与源站对比", "分享到频道"]
    value = json.loads(buttons(diagnosis)["eo_probe_again"]["value"])
    assert value["l"] == "zh"
    assert value["c"] == 502
    assert bot.services.diagnoser.languages == ["zh"]  # type: ignore[attr-defined]


async def test_buttons_on_a_chinese_diagnosis_answer_in_chinese(bot: Bot) -> None:
    with HTTPServer(sequence=[Response(status=502), Response(status=200)]) as target:
        first = await diagnose_in_thread(bot, f"{target.url}/ 返回 502")
        # Probe again: a fresh diagnosis in the thread, starting with what changed.
        await bot.action(press(first, "eo_probe_again", user="U0BOB", ts="1700000001.000100"))
        await bot.fake.wait_calls("chat.postMessage", 2)
        await bot.settle()
        again = bot.fake.of("chat.update")[-1]
        assert_chinese(again)
        assert "变化" in again.block_text()
        assert "502 → 200" in again.block_text()
        assert "正在为 <@U0BOB> 探测" in bot.fake.of("chat.postMessage")[1].block_text()
        # Compare with origin: the modal speaks Chinese too.
        await bot.action(press(first, "eo_compare", ts="1700000001.000100"))
        (opened,) = await bot.fake.wait_calls("views.open")
        assert opened.view["title"]["text"] == "与源站对比"
        assert opened.view["submit"]["text"] == "探测"
        assert "直连源站" in opened.view_text()
        # Share in channel: the verdict for everyone, in Chinese.
        await bot.action(press(again, "eo_share_probe", user="U0BOB", ts="1700000002.000100"))
        await bot.fake.wait_calls("chat.postMessage", 3)
    shared = bot.fake.of("chat.postMessage")[2]
    assert "thread_ts" not in shared.body
    assert_chinese(shared)
    assert "分享了" in shared.block_text()


async def test_an_old_english_button_value_still_answers_in_english(bot: Bot) -> None:
    with HTTPServer(status=504) as target:
        first = await diagnose_in_thread(bot, f"{target.url}/ gives 504")
        assert "l" not in json.loads(buttons(first)["eo_probe_again"]["value"])
        assert labels(first) == ["Probe again", "Compare with origin", "Share in channel"]
        await bot.action(press(first, "eo_probe_again", ts="1700000001.000100"))
        await bot.fake.wait_calls("chat.postMessage", 2)
        await bot.settle()
    again = bot.fake.of("chat.update")[-1]
    assert not has_chinese(again.block_text())
    assert "What changed" in again.block_text()


async def test_chinese_and_english_watches_side_by_side(bot: Bot) -> None:
    bot.conversation.watches.settings = WatchSettings(
        interval=0.05, min_duration=0.1, default_duration=5.0
    )
    responses = [Response(status=502)] * 4 + [Response(status=200)] * 20
    with HTTPServer(sequence=responses) as target:
        await bot.event(mention(f"<@UBOT> 监控 {target.url}/ 10分钟", ts="1700000100.000200"))
        english = mention(f"<@UBOT> watch {target.url}/ for 10m", ts="1700000200.000200")
        english["event"].update(thread_ts="1700000000.000900", user="U0BOB")
        await bot.event(english)
        await bot.fake.wait_for(
            lambda: sum("✅" in c.text for c in bot.fake.of("chat.postMessage")) == 2,
            limit=5.0,
            what="both recoveries",
        )
        await bot.settle()
    news = [c for c in bot.fake.of("chat.postMessage") if "✅" in c.text]
    by_thread = {c.body["thread_ts"]: c for c in news}
    chinese, english_news = by_thread[THREAD], by_thread["1700000000.000900"]
    assert_chinese(chinese)
    assert "已恢复" in chinese.text
    assert "Recovered" in english_news.text
    assert not has_chinese(english_news.text)
    # The first diagnoses had a Cancel button in their own language.
    cancels = [
        b["text"]["text"]
        for c in bot.fake.of("chat.update")
        for b in buttons(c).values()
        if b["action_id"] == "eo_watch_cancel"
    ]
    assert set(cancels) == {"取消监控", "Cancel watch"}


async def test_cancelling_a_chinese_watch_and_pressing_cancel_again(bot: Bot) -> None:
    bot.conversation.watches.settings = WatchSettings(interval=0.2, min_duration=0.1)
    with HTTPServer(status=502) as target:
        await bot.event(mention(f"<@UBOT> 监控 {target.url}/ 1分钟"))
        await bot.fake.wait_for(
            lambda: (
                bool(bot.fake.of("chat.update"))
                and "eo_watch_cancel" in buttons(bot.fake.of("chat.update")[-1])
            ),
            what="watch started",
        )
        first = bot.fake.of("chat.update")[-1]
        assert buttons(first)["eo_watch_cancel"]["value"].endswith(":zh")
        await bot.action(press(first, "eo_watch_cancel", user="U0BOB", ts="1700000001.000100"))
        await bot.fake.wait_for(
            lambda: any("取消" in c.text for c in bot.fake.of("chat.postMessage")),
            what="cancel",
        )
        await bot.settle()
    cancelled = bot.fake.of("chat.postMessage")[-1]
    assert_chinese(cancelled)
    assert "<@U0BOB> 取消了" in cancelled.block_text()
    await bot.action(press(first, "eo_watch_cancel", ts="1700000001.000100"))
    (private,) = await bot.fake.wait_calls("response_url")
    assert "已经结束" in private.text


async def test_a_chinese_alert_is_answered_in_chinese(bot: Bot) -> None:
    bot.services.watch_channels = frozenset({"C0ALERTS"})
    with HTTPServer(status=524, body=b"timeout") as target:
        url = f"{target.url}/v1/orders"
        await bot.event(alert_event(f"[告警] 状态码 524：<{url}|{url[7:]}> 源站响应超时"))
        await bot.fake.wait_calls("chat.update")
        await bot.settle()
    alert, _progress = bot.fake.of("chat.postMessage")
    assert_chinese(alert)
    assert "出现 EdgeOne 524" in alert.block_text()
    assert_chinese(bot.fake.of("chat.update")[-1])


async def test_app_home_after_a_chinese_probe_is_in_chinese(bot: Bot) -> None:
    with HTTPServer(status=522) as target:
        await diagnose_in_thread(bot, f"{target.url}/checkout 一直报 522")
    await bot.event(home_opened("U0ALICE"))
    (published,) = await bot.fake.wait_calls("views.publish")
    text = published.view_text()
    assert "你最近的探测" in text
    assert "状态码速查" in text
    assert english_runs(text) == [], text


async def test_eo_language_en_answers_chinese_in_english(bot: Bot) -> None:
    bot.services.language = "en"
    with HTTPServer(status=502) as target:
        diagnosis = await diagnose_in_thread(bot, f"{target.url}/ 一直报 502")
    assert labels(diagnosis) == ["Probe again", "Compare with origin", "Share in channel"]
    assert not has_chinese(diagnosis.block_text())
    await bot.command("回源超时")
    (answer,) = await bot.fake.wait_calls("response_url")
    assert "Origin response timeout" in answer.block_text()


async def test_every_chinese_message_stays_within_block_kit_limits(bot: Bot) -> None:
    # slack_sdk counts characters; the fake records what was sent: check the raw payloads.
    with HTTPServer(status=502) as target:
        await diagnose_in_thread(bot, f"{target.url}/ 一直报 502")
    await bot.command("5xx 错误都有哪些")
    await bot.fake.wait_calls("response_url")
    sent = [c for c in bot.fake.calls if c.blocks]
    assert len(sent) >= 3
    for call in sent:
        assert 0 < len(call.text) <= 3000
        assert len(call.blocks) <= 50
        for block in call.blocks:
            if block["type"] == "header":
                assert len(block["text"]["text"]) <= 150
            elif block["type"] == "section":
                assert len(block["text"]["text"]) <= 3000
            elif block["type"] == "context":
                assert all(len(e["text"]) <= 3000 for e in block["elements"])
            elif block["type"] == "actions":
                assert all(len(e["text"]["text"]) <= 75 for e in block["elements"])


async def test_sharing_a_chinese_answer_posts_it_in_chinese(bot: Bot) -> None:
    await bot.command("回源超时怎么办")
    (private,) = await bot.fake.wait_calls("response_url")
    payload = fixture("block_actions_share.json")
    payload["actions"][0]["value"] = buttons(private)["eo_share"]["value"]
    await bot.action(payload)
    _private, shared, deleted = await bot.fake.wait_calls("response_url", 3)
    assert deleted.body == {"delete_original": True}
    assert shared.body["response_type"] == "in_channel"
    assert_chinese(shared)
    assert "源站响应超时" in shared.block_text()


async def test_did_you_mean_in_chinese_shows_the_picked_entry_in_chinese_and_shares_it(
    bot: Bot,
) -> None:
    await bot.command("请求被拦截")
    (offer,) = await bot.fake.wait_calls("response_url")
    assert_chinese(offer)
    pick = next(b for action, b in buttons(offer).items() if action.startswith("eo_pick"))
    assert pick["value"].endswith("@zh")
    payload = fixture("block_actions_share.json")
    payload["actions"][0].update(action_id="eo_pick:0", value=pick["value"])
    await bot.action(payload)
    _offer, picked = await bot.fake.wait_calls("response_url", 2)
    assert picked.body["replace_original"] is True
    assert_chinese(picked)
    share = buttons(picked)["eo_share"]["value"]
    assert share.startswith("id:")
    assert share.endswith("@zh")
    payload["actions"][0].update(action_id="eo_share", value=share)
    await bot.action(payload)
    _o, _p, shared, _deleted = await bot.fake.wait_calls("response_url", 4)
    assert shared.body["response_type"] == "in_channel"
    assert_chinese(shared)
    assert "分享" in shared.text


async def test_an_entry_value_from_before_languages_reads_as_english(bot: Bot) -> None:
    payload = fixture("block_actions_share.json")
    payload["actions"][0].update(action_id="eo_pick:0", value="sa-524")
    await bot.action(payload)
    (picked,) = await bot.fake.wait_calls("response_url")
    assert not has_chinese(picked.block_text())
    assert "524" in picked.block_text()
