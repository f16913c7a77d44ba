"""Mentions and DMs through the real endpoint: threading, dedupe, self and edited messages."""

from __future__ import annotations

import copy
from typing import Any

from tests.servers import HTTPServer
from tests.slack.conftest import Bot, fixture


def mention(text: str, **event: Any) -> dict[str, Any]:
    envelope = fixture("app_mention.json")
    envelope["event"].update(text=text, **event)
    return envelope


async def test_mention_with_url_probes_in_the_thread_with_the_entry(bot: Bot) -> None:
    with HTTPServer(status=522, body=b"origin unreachable") as target:
        url = f"http://127.0.0.1:{target.port}/cart"
        response = await bot.event(mention(f"<@UBOT> <{url}|127.0.0.1/cart> gives 522"))
        assert response.status == 200
        await bot.fake.wait_calls("chat.postMessage")
        await bot.settle()
    (progress,) = bot.fake.of("chat.postMessage")
    assert progress.body["thread_ts"] == "1700000000.000100"  # the thread the mention was in
    assert progress.body["channel"] == "C0INCIDENT"
    final = bot.fake.of("chat.update")[-1]
    assert final.body["ts"] == "1700000001.000100"
    text = final.block_text()
    assert "522" in text
    assert "DNS" in text
    assert "connect" in text
    assert "For support" in text
    assert "Knowledge entry" in text  # the code next to the URL brings its knowledge entry
    assert target.hits == 1


async def test_mention_outside_a_thread_starts_one_under_the_message(bot: Bot) -> None:
    envelope = mention("<@UBOT> 524")
    del envelope["event"]["thread_ts"]
    await bot.event(envelope)
    (answer,) = await bot.fake.wait_calls("chat.postMessage")
    assert answer.body["thread_ts"] == envelope["event"]["ts"]
    assert "524" in answer.block_text()
    assert answer.text  # a plain-text fallback always goes with the blocks


async def test_dm_is_answered_in_its_thread(bot: Bot) -> None:
    envelope = fixture("message_im.json")
    await bot.event(envelope)
    (answer,) = await bot.fake.wait_calls("chat.postMessage")
    assert answer.body["channel"] == "D0ALICE"
    assert answer.body["thread_ts"] == envelope["event"]["ts"]
    assert "524" in answer.block_text()


async def test_retried_delivery_runs_one_probe(bot: Bot) -> None:
    with HTTPServer(status=200, body=b"fine") as target:
        envelope = mention(f"<@UBOT> http://127.0.0.1:{target.port}/")
        await bot.event(envelope)
        for n in (1, 2):
            retry = {"X-Slack-Retry-Num": str(n), "X-Slack-Retry-Reason": "http_timeout"}
            response = await bot.event(envelope, headers=retry)
            assert response.status == 200
        await bot.fake.wait_calls("chat.postMessage")
        await bot.settle()
        assert target.hits == 1
    assert len(bot.fake.of("chat.postMessage")) == 1


async def test_same_message_as_mention_and_message_answers_once(bot: Bot) -> None:
    dm = fixture("message_im.json")
    dm["event"]["text"] = "<@UBOT> 524"
    as_mention = copy.deepcopy(dm)
    as_mention["event"]["type"] = "app_mention"
    as_mention["event_id"] = "Ev0OTHERID01"
    await bot.event(as_mention)
    await bot.event(dm)
    await bot.fake.wait_calls("chat.postMessage")
    await bot.settle()
    assert len(bot.fake.of("chat.postMessage")) == 1


async def test_own_messages_and_edits_are_ignored(bot: Bot) -> None:
    own = fixture("message_im.json")
    own["event"].update(user="UBOT", bot_id="BBOT", event_ts="1.1", ts="1.1")
    own["event_id"] = "Ev0OWN000001"
    await bot.event(own)
    await bot.event(fixture("message_changed.json"))
    other_bot = fixture("message_im.json")
    other_bot["event"].update(subtype="bot_message", bot_id="BOTHER", ts="2.2")
    other_bot["event_id"] = "Ev0OTHERBOT1"
    await bot.event(other_bot)
    # A real message afterwards is answered: the ones before were really ignored, not queued.
    await bot.event(fixture("message_im.json"))
    await bot.fake.wait_calls("chat.postMessage")
    await bot.settle()
    (only,) = bot.fake.of("chat.postMessage")
    assert only.body["thread_ts"] == "1700000200.000300"


async def test_channel_messages_without_mention_are_ignored(bot: Bot) -> None:
    envelope = fixture("message_im.json")
    envelope["event"].update(channel_type="channel", channel="C0INCIDENT")
    await bot.event(envelope)
    await bot.event(mention("<@UBOT> help", ts="9.9"))
    await bot.fake.wait_calls("chat.postMessage")
    await bot.settle()
    (only,) = bot.fake.of("chat.postMessage")
    assert "/eo probe" in only.block_text()
