"""A real `eo-bot serve`: JSON log lines that follow a request by its id, /metrics, and a Redis
that does not answer at start-up."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.fleet.harness import event, post
from tests.slack.conftest import SECRET, TOKEN
from tests.slack.fake_slack import FakeSlack
from tests.slack.serve_process import FAST, ServeProcess, free_port, serving


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    server = await FakeSlack().start()
    yield server
    await server.stop()


def http_env(fake: FakeSlack, **extra: str) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.api_url,
        **FAST,
        **extra,
    }


async def metrics(served: ServeProcess) -> str:
    async with aiohttp.ClientSession() as session, session.get(f"{served.base}/metrics") as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/plain")
        return await r.text()


async def test_json_logs_follow_a_request_and_metrics_count_it(fake: FakeSlack) -> None:
    async with serving(http_env(fake, EO_LOG_FORMAT="json")) as served:
        await served.wait_health(200)
        mention = event("<@UBOT> 524", event_id="Ev0TRACE01")
        assert await post(f"{served.base}/slack/events", mention) == 200
        await fake.wait_calls("chat.postMessage", limit=10.0)
        await served.wait_log("chat.postMessage: ok")
        exposition = await metrics(served)
        assert await served.stop() == 0
    lines = [json.loads(line) for line in served.log.splitlines() if line.strip()]
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    traced = [line["message"] for line in lines if line.get("request_id") == "Ev0TRACE01"]
    assert traced[0].startswith("event received")
    assert any("chat.postMessage: ok" in message for message in traced)
    assert TOKEN not in served.log
    assert 'eo_requests_total{kind="event"} 1.0' in exposition
    assert 'eo_slack_api_calls_total{error="ok",method="chat.postMessage"} 1.0' in exposition
    assert "eo_ack_seconds_bucket" in exposition
    assert "process_resident_memory_bytes" in exposition
    assert "eo_state_degraded 0.0" in exposition


async def test_unanswered_questions_are_counted(fake: FakeSlack) -> None:
    async with serving(http_env(fake)) as served:
        await served.wait_health(200)
        nonsense = event("<@UBOT> the llama sings purple", channel="C0Q")
        assert await post(f"{served.base}/slack/events", nonsense) == 200
        await fake.wait_calls("chat.postMessage", limit=10.0)
        exposition = await metrics(served)
    assert 'eo_questions_unmatched_total{kind="none"} 1.0' in exposition
    assert "no confident match" in served.log


async def test_a_redis_that_does_not_answer_stops_start_up(fake: FakeSlack) -> None:
    closed = free_port()
    url = f"redis://user:hunter2secret@127.0.0.1:{closed}/0"
    served = await ServeProcess.start(http_env(fake, EO_REDIS_URL=url))
    assert await served.wait_exit() == 2
    (line,) = [line for line in served.log.splitlines() if "EO_REDIS_URL" in line]
    assert f"127.0.0.1:{closed}" in line
    assert "hunter2secret" not in served.log
