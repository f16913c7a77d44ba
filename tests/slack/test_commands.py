"""`/eo` through the real endpoint: answers, help, did-you-mean, share, probes."""

from __future__ import annotations

import json

from tests.servers import HTTPServer
from tests.slack.conftest import Bot, acked, fixture


async def test_answer_is_ephemeral_with_share_button(bot: Bot) -> None:
    response = await bot.command("524")
    assert response.status == 200
    call = await acked(response)  # the answer is the acknowledgement: no second HTTP call
    await bot.settle()
    assert bot.fake.of("response_url") == []
    assert call.body["response_type"] == "ephemeral"
    assert "524" in call.text
    buttons = [e for b in call.blocks if b["type"] == "actions" for e in b["elements"]]
    assert [b["action_id"] for b in buttons] == ["eo_share"]
    assert buttons[0]["value"] == "q:524"
    assert bot.fake.of("chat.postMessage") == []


async def test_help(bot: Bot) -> None:
    call = await acked(await bot.command("help"))
    assert "/eo probe" in call.block_text()
    assert call.body["response_type"] == "ephemeral"


async def test_weak_match_offers_did_you_mean_buttons(bot: Bot) -> None:
    call = await acked(await bot.command("timeot"))
    picks = [e for b in call.blocks if b["type"] == "actions" for e in b["elements"]]
    assert picks, call.block_text()
    assert all(p["action_id"].startswith("eo_pick:") for p in picks)
    assert "Did you mean" in call.block_text()

    payload = fixture("block_actions_share.json")
    payload["actions"][0].update(action_id=picks[0]["action_id"], value=picks[0]["value"])
    await bot.action(payload)
    (chosen,) = await bot.fake.wait_calls("response_url")
    assert chosen.body["replace_original"] is True
    entry = bot.services.kb.get(picks[0]["value"])
    assert entry is not None
    assert entry.title in chosen.block_text()


async def test_share_button_posts_in_channel_and_deletes_private_copy(bot: Bot) -> None:
    await bot.action(fixture("block_actions_share.json"))
    calls = await bot.fake.wait_calls("response_url", 2)
    shared, deleted = calls
    assert shared.body["response_type"] == "in_channel"
    assert shared.body["replace_original"] is False
    assert "524" in shared.block_text()
    assert "U0ALICE" in shared.text
    assert deleted.body == {"delete_original": True}


async def test_probe_posts_in_channel_then_diagnosis_in_thread(bot: Bot) -> None:
    with HTTPServer(status=502, body=b"bad gateway") as target:
        response = await bot.command(f"probe http://127.0.0.1:{target.port}/cart")
        assert response.status == 200
        await bot.fake.wait_calls("chat.postMessage", 2)
        await bot.settle()
    first, diagnosis = bot.fake.of("chat.postMessage")
    assert first.body["channel"] == "C0INCIDENT"
    assert "thread_ts" not in first.body
    assert "Probing" in first.text
    parent_ts = "1700000001.000100"
    assert diagnosis.body["thread_ts"] == parent_ts
    text = diagnosis.block_text()
    assert "502" in text
    assert "For support" in text
    again = [e for b in diagnosis.blocks if b["type"] == "actions" for e in b["elements"]]
    assert [b["action_id"] for b in again] == ["eo_probe_again", "eo_compare", "eo_share_probe"]
    assert json.loads(again[0]["value"])["u"].endswith("/cart")
    updates = bot.fake.of("chat.update")
    assert updates
    assert all(u.body["ts"] == parent_ts for u in updates)
    assert "Diagnosis in the thread" in updates[-1].text
    assert target.hits == 1


async def test_probe_of_refused_target_is_answered_privately(bot: Bot) -> None:
    await bot.command("probe http://10.1.2.3/")
    (call,) = await bot.fake.wait_calls("response_url")
    assert "won't probe" in call.text
    assert bot.fake.of("chat.postMessage") == []


async def test_probe_without_url_explains_usage(bot: Bot) -> None:
    call = await acked(await bot.command("probe"))
    assert "Usage" in call.text


# -- EdgeOne's API without credentials -------------------------------------------------------------


async def test_edgeone_commands_without_credentials_say_what_the_api_would_add(bot: Bot) -> None:
    await bot.command("zone shop.example.com")
    await bot.command("purge https://shop.example.com/app.js")
    zone, purge = await bot.fake.wait_calls("response_url", 2)
    for call in (zone, purge):
        assert "which is not set up here" in call.text
        assert "TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY" in call.text
        assert "whether the address that answered is an EdgeOne node" in call.text
    assert "A zone card comes from EdgeOne's API" in zone.text
    assert "EO_ALLOW_PURGE=1" in purge.text
    assert bot.fake.of("chat.postMessage") == []


async def test_help_says_what_edgeones_api_would_add(bot: Bot) -> None:
    call = await acked(await bot.command("help"))
    text = call.block_text()
    assert "*EdgeOne's view* (off here)" in text
    assert "TENCENTCLOUD_SECRET_ID" in text
