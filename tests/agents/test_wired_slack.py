"""Regional probes from Slack, end to end: signed requests to the real app, a fake Slack Web API,
three agents as separate processes on the shared NATS, and places that really differ (see
``tests.agents.world``): `/eo probe URL from all`, `@eo URL from fra`, a region with no agent, a
target every agent refuses, "Probe again" and "Compare with origin" across regions, a regional
watch that ends when every region recovered, `/eo regions`, and a request in Chinese."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.agents.caller import RegionalProber
from bot.chat.services import Services
from bot.chat.watches import WatchSettings
from bot.config import HTTPLimits
from bot.knowledge import KnowledgeBase, Matcher
from bot.slack.app import build_app, slack_conversation
from bot.slack.http import http_app
from bot.slack.listener import ConnectionGuard, start_listener
from bot.slack.services import make_client
from bot.state.memory import RateLimiter
from tests.agents.harness import NatsServer
from tests.agents.world import World, logs, ready, world
from tests.servers import RecordedRequest, Response
from tests.slack.conftest import SECRET, TOKEN, Bot, loopback_settings
from tests.slack.fake_slack import Call, FakeSlack
from tests.slack.test_oncall import THREAD, buttons, mention, press, submit

WAIT = 30.0  # generous: agents are processes on a busy machine


@pytest.fixture(scope="module")
def places(shared_nats: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with world(tmp_path_factory.mktemp("wired")) as w:
        asyncio.run(ready(w))
        yield w


async def start_bot(
    kb: KnowledgeBase, matcher: Matcher, w: World, *, nats_url: str | None = None
) -> Bot:
    services = Services.build(
        kb,
        loopback_settings(nameservers=(w.dns["local"].nameserver,)),
        matcher=matcher,
        progress_interval=0.0,
        rate=RateLimiter(100, 60.0),
        regional=RegionalProber(w.settings(nats_url) if nats_url else w.settings()),
        regional_deadline=10.0,
    )
    fake = await FakeSlack().start()
    client = make_client(TOKEN, base_url=fake.api_url)
    conversation = slack_conversation(services, client)
    app = build_app(conversation, client=client)
    guard = ConnectionGuard(HTTPLimits())
    web_app = http_app(app, signing_secret=SECRET, guard=guard)
    runner, site = await start_listener(web_app, host="127.0.0.1", port=0, guard=guard)
    session = aiohttp.ClientSession()

    async def close() -> None:
        await conversation.shutdown(limit=5.0)
        await session.close()
        await runner.cleanup()
        await fake.stop()

    bot = Bot(fake, services, conversation, session, f"http://127.0.0.1:{site.port}/slack/events")
    bot.close = close  # type: ignore[attr-defined]
    return bot


@pytest.fixture
async def bot(kb: KnowledgeBase, matcher: Matcher, places: World) -> AsyncIterator[Bot]:
    started = await start_bot(kb, matcher, places)
    yield started
    await started.close()  # type: ignore[attr-defined]


async def settled(bot: Bot) -> None:
    await bot.fake.wait_for(lambda: not bot.services.tasks, limit=WAIT, what="regional probes")


async def answer_in_thread(bot: Bot, text: str) -> Call:
    """Mention the bot in the fixture's thread; the final answer (its progress message updated)."""
    await bot.event(mention(text, ts=f"17000{len(bot.fake.calls):05d}.000200"))
    await bot.fake.wait_calls("chat.postMessage", limit=WAIT)
    await settled(bot)
    return bot.fake.of("chat.update")[-1]


def rows(call: Call) -> dict[str, str]:
    """The table of a regional answer: region -> its line."""
    table = next(b for b in call.blocks if b["type"] == "section" and "```" in b["text"]["text"])
    lines = table["text"]["text"].strip("`").splitlines()[1:]
    return {line.split()[0]: line for line in lines if line.strip()}


# -- fan-out, named region, missing region ------------------------------------------------------


async def test_slash_probe_from_all_reads_the_regions_together(bot: Bot, places: World) -> None:
    before = places.hits()
    await bot.command(f"probe {places.url()} from all")
    await bot.fake.wait_calls("chat.postMessage", 2, limit=WAIT)
    await settled(bot)
    progress, answer = bot.fake.of("chat.postMessage")
    assert "thread_ts" not in progress.body  # the channel message ...
    assert answer.body["thread_ts"] == "1700000001.000100"  # ... and the answer in its thread
    assert "Probing" in progress.text
    assert "every region" in progress.text
    table = rows(answer)
    assert list(table) == ["local", "fra", "iad", "sin", "syd"], (answer.block_text(), logs(places))
    assert table["sin"].split()[1] == "502"
    for place in ("local", "fra", "iad"):
        assert table[place].split()[1] == "200"
    for place in ("local", "fra", "iad", "sin"):  # each place answered from its own address
        assert places.servers[place].host in table[place]
        assert places.hits()[place] == before[place] + 1
    assert "no agent is running in syd" in table["syd"]
    text = answer.block_text()
    assert "Fails in some regions: sin" in text
    assert "It fails in sin" in text
    assert "the cause is regional" in text
    assert set(buttons(answer)) == {"eo_regions_again", "eo_regions_compare", "eo_regions_share"}
    value = json.loads(buttons(answer)["eo_regions_again"]["value"])
    assert value["r"] == "all"
    assert value["s"]["sin"].startswith("fail:")
    assert value["s"]["fra"] == "ok"
    summary = bot.fake.of("chat.update")[-1]
    assert summary.body["ts"] == "1700000001.000100"
    assert "Fails in some regions: sin" in summary.text
    assert "Answer in the thread" in summary.text


async def test_mention_from_a_named_region_runs_only_there(bot: Bot, places: World) -> None:
    before = places.hits()
    answer = await answer_in_thread(bot, f"<@UBOT> {places.url()} from fra")
    assert list(rows(answer)) == ["local", "fra"], answer.block_text()
    assert "Works in every region" in answer.block_text()
    after = places.hits()
    assert after["fra"] == before["fra"] + 1
    assert after["local"] == before["local"] + 1
    assert (after["iad"], after["sin"]) == (before["iad"], before["sin"])
    assert bot.fake.of("chat.postMessage")[0].body["thread_ts"] == THREAD


async def test_a_region_without_an_agent_says_so_and_the_local_probe_answers(
    bot: Bot, places: World
) -> None:
    answer = await answer_in_thread(bot, f"<@UBOT> probe {places.url()} from syd")
    table = rows(answer)
    assert list(table) == ["local", "syd"]
    assert "no agent is running in syd: none has sent a heartbeat lately" in table["syd"]
    assert table["local"].split()[1] == "200"
    assert "No result from syd." in answer.block_text()


async def test_an_unknown_region_and_a_malformed_list(bot: Bot, places: World) -> None:
    answer = await answer_in_thread(bot, f"<@UBOT> probe {places.url()} from fra,xyz")
    assert "xyz is not a region this bot trusts" in rows(answer)["xyz"]
    response = await bot.command(f"probe {places.url()} from all,fra")
    body = json.loads(response.body)
    assert "could not read “all,fra” as regions" in body["text"]


async def test_a_hostile_target_is_refused_by_every_agent(bot: Bot, places: World) -> None:
    url = f"http://internal.test:{places.port}/"
    answer = await answer_in_thread(bot, f"<@UBOT> probe {url} from fra,iad,sin")
    table = rows(answer)
    text = answer.block_text()
    assert "Refused in every region" in text, text
    assert "refused by this bot's policy" in table["local"]
    for region in ("fra", "iad", "sin"):
        assert "refused by the agent's policy" in table[region]
        assert "10.0.0.1" in table[region]
    assert set(buttons(answer)) == {"eo_regions_again", "eo_regions_compare", "eo_regions_share"}


# -- the buttons --------------------------------------------------------------------------------


async def test_probe_again_across_regions_says_which_recovered(bot: Bot, places: World) -> None:
    sin = places.servers["sin"]
    sin.set_route("/again", Response(status=503, body=b"sin down"))
    first = await answer_in_thread(bot, f"<@UBOT> {places.url('/again')} from fra,sin")
    assert "Fails in some regions: sin" in first.block_text()
    sin.set_route("/again", Response(status=200, body=b"sin back"))
    await bot.action(press(first, "eo_regions_again", ts="1700000001.000100"))
    await bot.fake.wait_calls("chat.postMessage", 2, limit=WAIT)
    await settled(bot)
    second = bot.fake.of("chat.update")[-1]
    assert second.body["ts"] != first.body["ts"]
    text = second.block_text()
    assert "What changed: ✅ recovered in sin" in text.replace("*", "")
    assert "Works in every region" in text
    value = json.loads(buttons(second)["eo_regions_again"]["value"])
    assert value["s"]["sin"] == "ok"  # the next press compares with this run


async def test_compare_with_origin_asks_every_region(bot: Bot, places: World) -> None:
    first = await answer_in_thread(bot, f"<@UBOT> {places.url()} from iad")
    await bot.action(press(first, "eo_regions_compare", ts="1700000001.000100"))
    (opened,) = await bot.fake.wait_calls("views.open", limit=WAIT)
    assert opened.view["callback_id"] == "eo_regions_compare_modal"
    assert places.url() in opened.view_text()
    before = places.hits()
    status, body = await submit(bot, opened, f"127.0.0.1:{places.port}")
    assert status == 200
    assert body is None
    await bot.fake.wait_calls("chat.postMessage", 2, limit=WAIT)
    await settled(bot)
    second = bot.fake.of("chat.update")[-1]
    assert list(rows(second)) == ["local", "iad"]
    # the bot and iad each probed the URL, and the origin (fra's server, 127.0.0.1) directly
    assert places.hits()["fra"] == before["fra"] + 2
    value = json.loads(buttons(second)["eo_regions_again"]["value"])
    assert value["o"] == f"127.0.0.1:{places.port}"


async def test_share_posts_the_verdict_for_the_channel(bot: Bot, places: World) -> None:
    first = await answer_in_thread(bot, f"<@UBOT> {places.url()} from all")
    await bot.action(press(first, "eo_regions_share", ts="1700000001.000100"))
    shared = (await bot.fake.wait_calls("chat.postMessage", 2, limit=WAIT))[-1]
    assert "thread_ts" not in shared.body
    assert "<@U0ALICE> shared a probe of" in shared.block_text()
    assert "fails in sin" in shared.block_text()


async def test_a_forged_regional_value_is_refused_privately(bot: Bot) -> None:
    payload = press_value("eo_regions_again", json.dumps({"u": "http://a.test/", "r": "all,fra"}))
    await bot.action(payload)
    (private,) = await bot.fake.wait_calls("response_url", limit=WAIT)
    assert "could not read" in private.text
    assert bot.fake.of("chat.postMessage") == []


def press_value(action_id: str, value: str) -> dict[str, Any]:
    from tests.slack.conftest import fixture

    payload = fixture("block_actions_share.json")
    payload["actions"][0].update(action_id=action_id, value=value)
    return payload


# -- watches ------------------------------------------------------------------------------------


async def test_a_regional_watch_ends_when_every_region_recovered(bot: Bot, places: World) -> None:
    bot.conversation.watches.settings = WatchSettings(
        interval=0.5, min_duration=1.0, default_duration=60.0
    )
    sin = places.servers["sin"]
    sin.set_route("/watched", Response(status=502, body=b"sin down"))
    url = places.url("/watched")
    await bot.event(mention(f"<@UBOT> watch {url} for 1m from all"))
    await bot.fake.wait_for(
        lambda: any("eo_watch_cancel" in buttons(c) for c in bot.fake.of("chat.update")),
        limit=WAIT,
        what="the first regional answer",
    )
    first = next(c for c in bot.fake.of("chat.update") if "eo_watch_cancel" in buttons(c))
    assert "Fails in some regions: sin" in first.block_text()
    sin.set_route("/watched", Response(status=200, body=b"sin back"))
    await bot.fake.wait_for(
        lambda: any("works in every region again" in c.text for c in bot.fake.calls),
        limit=WAIT,
        what="the recovery",
    )
    await settled(bot)
    news = [c for c in bot.fake.of("chat.postMessage") if "works in every region" in c.text]
    (recovered,) = news
    assert recovered.body["thread_ts"] == THREAD
    assert "recovered in sin" in recovered.text
    assert await bot.conversation.watches.all() == []
    retired = bot.fake.of("chat.update")[-1]
    assert "eo_watch_cancel" not in buttons(retired)  # the Cancel button is gone


# -- regions and languages ----------------------------------------------------------------------


async def test_slash_regions_lists_the_live_agents(bot: Bot, places: World) -> None:
    response = await bot.command("regions")
    assert response.status == 200
    (listed,) = await bot.fake.wait_calls("response_url", limit=WAIT)
    assert listed.body["response_type"] == "ephemeral"
    text = listed.block_text()
    for region, agent in places.agents.items():
        assert agent.agent_id in text
        assert region in text
    assert "No agent running in syd." in text


async def test_a_chinese_request_gets_the_regional_answer_in_chinese(
    bot: Bot, places: World
) -> None:
    answer = await answer_in_thread(bot, f"<@UBOT> 探测 {places.url()} 从 all")
    text = answer.block_text()
    assert "部分区域失败：sin" in text, text
    assert "区域" in rows(answer).get("local", "") or "区域" in text
    assert "syd" in text
    assert "Fails in some regions" not in text
    labels = [e["text"]["text"] for e in buttons(answer).values()]
    assert "重新探测" in labels


# -- NATS going away ----------------------------------------------------------------------------


@pytest.fixture
def release() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()


async def test_nats_stopped_mid_run_gives_one_line_and_the_local_diagnosis(
    kb: KnowledgeBase, matcher: Matcher, tmp_path: Path, release: threading.Event
) -> None:
    store = tmp_path / "nats"
    store.mkdir()

    async def held(request: RecordedRequest) -> Response:
        await asyncio.to_thread(release.wait, 30)
        return Response(body=b"late")

    with NatsServer(store) as server, world(tmp_path, nats_url=server.url) as w:
        await ready(w, server.url)
        for region in ("fra", "iad", "sin"):  # every agent is busy when NATS goes away
            w.servers[region].set_route("/held", held)  # type: ignore[arg-type]
        bot = await start_bot(kb, matcher, w, nats_url=server.url)
        try:
            await bot.event(mention(f"<@UBOT> {w.url('/held')} from all"))
            await bot.fake.wait_for(
                lambda: all(w.servers[r].hits for r in ("fra", "iad", "sin")),
                limit=WAIT,
                what="every agent at work",
            )
            server.stop()
            await bot.fake.wait_calls("chat.update", limit=WAIT)
            await settled(bot)
            answer = bot.fake.of("chat.update")[-1]
            text = answer.block_text()
            assert "The regional agents could not be asked" in text, text
            assert text.count("NATS") == 1  # one line, not one per region
            assert "For support" in text  # the local diagnosis in full
            assert "200" in text
            # the next probe says so at once, and still answers from here
            await bot.event(mention(f"<@UBOT> {w.url('/cart')} from sin", ts="1700000999.000200"))
            await bot.fake.wait_calls("chat.update", 2, limit=WAIT)
            await settled(bot)
            again = bot.fake.of("chat.update")[-1].block_text()
            assert "NATS unreachable" in again
            assert "For support" in again
            # a slash command's channel message says where the answer came from
            await bot.command(f"probe {w.url('/cart')} from all")
            await bot.fake.wait_calls("chat.update", 3, limit=WAIT)
            await settled(bot)
            summary = bot.fake.of("chat.update")[-1]
            assert "(from here only: the regional agents could not be asked)" in summary.text
        finally:
            release.set()
            await bot.close()  # type: ignore[attr-defined]
            for agent in w.agents.values():  # NATS is gone: there is nothing to drain into
                agent.kill()
