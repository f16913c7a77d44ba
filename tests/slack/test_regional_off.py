"""Without EO_NATS_URL, naming regions changes nothing but one line: the probe runs from here."""

from __future__ import annotations

import json

from tests.servers import HTTPServer
from tests.slack.conftest import Bot, fixture
from tests.slack.test_oncall import THREAD, buttons, mention


async def test_a_probe_from_regions_says_so_and_probes_from_here(bot: Bot) -> None:
    with HTTPServer(status=502, body=b"bad gateway") as target:
        url = f"http://127.0.0.1:{target.port}/cart"
        await bot.event(mention(f"<@UBOT> {url} from fra,sin"))
        await bot.fake.wait_calls("chat.postMessage", 2)
        await bot.settle()
        assert target.hits == 1
    note, progress = bot.fake.of("chat.postMessage")
    assert note.body["thread_ts"] == THREAD
    assert "Regional probing is not set up on this bot" in note.text
    assert "Probing" in progress.text
    final = bot.fake.of("chat.update")[-1]
    assert "502" in final.block_text()
    assert set(buttons(final)) == {"eo_probe_again", "eo_compare", "eo_share_probe"}


async def test_regions_says_there_is_nothing_to_list(bot: Bot) -> None:
    await bot.command("regions")
    (answer,) = await bot.fake.wait_calls("response_url")
    assert answer.body["response_type"] == "ephemeral"
    assert "there are no agents to list (EO_NATS_URL is not set)" in answer.text


async def test_a_regional_button_probes_from_here(bot: Bot) -> None:
    with HTTPServer(status=200) as target:
        value = json.dumps({"u": f"http://127.0.0.1:{target.port}/", "r": "all"})
        payload = fixture("block_actions_share.json")
        payload["actions"][0].update(action_id="eo_regions_again", value=value)
        payload["message"] = {"type": "message", "ts": "1700000001.000100", "thread_ts": THREAD}
        await bot.action(payload)
        await bot.fake.wait_calls("chat.postMessage")
        await bot.settle()
        assert target.hits == 1
    (note,) = await bot.fake.wait_calls("response_url")
    assert "Regional probing is not set up" in note.text
    assert "200" in bot.fake.of("chat.update")[-1].block_text()
