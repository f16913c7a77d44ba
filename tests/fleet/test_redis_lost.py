"""Redis goes away mid-run and comes back: replicas keep answering from their own memory, say so
once (log and ``/healthz``), and put their state back when Redis returns. The Redis here is the
test's own (``tests.state.redis_server``), never the machine's."""

from __future__ import annotations

import asyncio
import urllib.parse
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import redis.asyncio as aioredis

from tests.fleet.harness import Target, event, fleet, post, replica_env
from tests.servers.http import HTTPServer
from tests.slack.conftest import fixture, sign
from tests.slack.fake_slack import FakeSlack
from tests.state.redis_server import RedisServer

LOST = "answering from this replica's memory"
BACK = "answers again"


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    server = await FakeSlack().start()
    yield server
    await server.stop()


async def ask(base: str, text: str, fake: FakeSlack) -> dict[str, object]:
    form = fixture("slash_command.json")
    form.update(text=text, response_url=fake.response_url("cmd"))
    body = urllib.parse.urlencode(form).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body)}
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session,
        session.post(f"{base}/slack/events", data=body, headers=headers) as answer,
    ):
        assert answer.status == 200
        data: dict[str, object] = await answer.json()
        return data


async def test_redis_stopped_and_restarted_mid_run(fake: FakeSlack, tmp_path: Path) -> None:
    redis = RedisServer(tmp_path).start()
    target = Target()
    try:
        env = replica_env(fake, redis.url, "eo-lost")
        with HTTPServer(routes={"/": target.respond}) as server:
            async with fleet(env, count=2) as (first, second):
                status, health = await first.health()
                assert (status, health["store"], "degraded" in health) == (200, "redis", False)
                watch = event(f"<@UBOT> watch http://127.0.0.1:{server.port}/ for 10m")
                assert await post(f"{first.base}/slack/events", watch) == 200
                await fake.wait_for(lambda: len(target.hits) >= 2, limit=15.0, what="a round")

                redis.stop()
                for replica in (first, second):
                    body = await replica.wait_health(200)
                    for _ in range(100):  # until the replica has noticed
                        _, body = await replica.health()
                        if body.get("degraded"):
                            break
                        await asyncio.sleep(0.05)
                    assert body["degraded"] is True
                    assert f"127.0.0.1:{redis.port}" in str(body["reason"])
                # Still answering, from local state, with no hung request.
                for _ in range(5):
                    answer = await ask(first.base, "524", fake)
                    assert "524" in str(answer["text"])
                mention = event("<@UBOT> 502", channel="C0OTHER")
                assert await post(f"{second.base}/slack/events", mention) == 200
                await fake.wait_for(
                    lambda: any(
                        c.body.get("channel") == "C0OTHER" for c in fake.of("chat.postMessage")
                    ),
                    limit=10.0,
                    what="an answer while Redis is away",
                )
                during = len(target.hits)
                await fake.wait_for(
                    lambda: len(target.hits) >= during + 1, limit=10.0, what="the watch going on"
                )

                redis.start()  # empty: nothing was saved
                for replica in (first, second):
                    await replica.wait_log(BACK, limit=15.0)
                    _, body = await replica.health()
                    assert "degraded" not in body
                client = aioredis.Redis.from_url(redis.url, decode_responses=True)
                try:
                    owners = await client.hgetall("eo-lost:watch-owner")
                finally:
                    await client.aclose()
                assert len(owners) == 1  # the running watch was put back
                assert f"-{first.proc.pid}-" in next(iter(owners.values()))
            logs = (first.log, second.log)
        for log in logs:
            assert log.count(LOST) == 1, log[-2000:]  # one line, not one per request
            assert log.count(BACK) == 1
            assert "Traceback" not in log
    finally:
        redis.stop()
