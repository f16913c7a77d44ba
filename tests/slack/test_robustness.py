"""Signatures, limits, Slack errors and failures inside background work."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import urllib.parse

import pytest

from bot.probe.models import ProbeReport
from bot.probe.runner import ProgressCallback
from bot.state.memory import ConcurrencyCap, RateLimiter
from tests.servers import HTTPServer
from tests.servers.http import RecordedRequest, Response
from tests.slack.conftest import SECRET, Bot, acked, fixture, sign


def _command_body(bot: Bot, text: str) -> bytes:
    form = fixture("slash_command.json")
    form.update(text=text, response_url=bot.fake.response_url("cmd"))
    return urllib.parse.urlencode(form).encode()


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="missing"),
        pytest.param(
            {
                "X-Slack-Request-Timestamp": str(int(time.time())),
                "X-Slack-Signature": "v0=" + "0" * 64,
            },
            id="forged",
        ),
        pytest.param(sign(b"other body"), id="signed-other-body"),
        pytest.param("stale", id="stale"),
        pytest.param("wrong-secret", id="wrong-secret"),
    ],
)
async def test_bad_signatures_are_refused_and_nothing_runs(
    bot: Bot, headers: dict[str, str] | str
) -> None:
    with HTTPServer() as target:
        body = _command_body(bot, f"probe http://127.0.0.1:{target.port}/")
        if headers == "stale":
            headers = sign(body, timestamp=int(time.time()) - 600)
        elif headers == "wrong-secret":
            headers = sign(body, secret=SECRET[::-1])
        assert isinstance(headers, dict)
        sent = {"Content-Type": "application/x-www-form-urlencoded", **headers}
        async with bot.session.post(bot.url, data=body, headers=sent) as response:
            assert response.status == 401
        event = json.dumps(fixture("app_mention.json")).encode()
        async with bot.session.post(
            bot.url, data=event, headers={"Content-Type": "application/json"}
        ) as response:
            assert response.status == 401
        await bot.settle()
        assert target.hits == 0
    assert bot.fake.api_calls == []


async def test_health(bot: Bot) -> None:
    async with bot.session.get(bot.url.replace("/slack/events", "/healthz")) as response:
        assert response.status == 200
        assert (await response.json())["ok"] is True


async def test_rate_limit_answers_friendly_message(bot: Bot) -> None:
    bot.services.rate = RateLimiter(1, 60.0)
    with HTTPServer() as target:
        await bot.command(f"probe http://127.0.0.1:{target.port}/")
        await bot.fake.wait_calls("chat.postMessage", 2)
        await bot.settle()
        await bot.command(f"probe http://127.0.0.1:{target.port}/")
        (refusal,) = await bot.fake.wait_calls("response_url")
        assert target.hits == 1
    assert refusal.body["response_type"] == "ephemeral"
    assert "try again in" in refusal.text
    assert "1 probes in the last 60 s" in refusal.text


async def test_concurrency_cap_answers_friendly_message(bot: Bot) -> None:
    bot.services.cap = ConcurrencyCap(1)
    with HTTPServer(first_byte_delay=0.5) as target:
        await bot.command(f"probe http://127.0.0.1:{target.port}/")
        await bot.fake.wait_calls("chat.postMessage")
        await bot.command(f"probe http://127.0.0.1:{target.port}/other")
        (refusal,) = await bot.fake.wait_calls("response_url")
        assert "already running" in refusal.text
        await bot.settle()
    assert bot.services.cap.running == 0


async def test_slack_429_is_retried(bot: Bot) -> None:
    bot.fake.fail_next("chat.postMessage", status=429, retry_after=0)
    envelope = fixture("app_mention.json")
    envelope["event"]["text"] = "<@UBOT> 524"
    await bot.event(envelope)
    calls = await bot.fake.wait_calls("chat.postMessage", 2)
    assert calls[0].body == calls[1].body


async def test_slack_5xx_is_retried(bot: Bot) -> None:
    bot.fake.fail_next("chat.postMessage", status=503, retry_after=None)
    await bot.event(fixture("message_im.json"))
    calls = await bot.fake.wait_calls("chat.postMessage", 2)
    assert calls[0].body == calls[1].body


async def test_failure_in_background_probe_is_logged_and_reported_in_thread(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(
        url: str, *, origin: str | None, on_progress: ProgressCallback | None
    ) -> ProbeReport:
        if on_progress is not None:
            await on_progress("dns")
        raise RuntimeError("boom inside the probe")

    bot.services.prober = broken
    with caplog.at_level(logging.ERROR):
        await bot.event(fixture("app_mention.json"))
        await bot.fake.wait_calls("chat.postMessage", 2)
        await bot.settle()
    _progress, report = bot.fake.of("chat.postMessage")
    assert report.body["thread_ts"] == "1700000000.000100"
    assert "Something went wrong on my side" in report.text
    assert "RuntimeError" not in report.text  # the user reads our words and a reference
    assert "boom" not in report.text
    assert "(reference " in report.text
    assert "boom inside the probe" in caplog.text
    assert any(r.exc_info for r in caplog.records)
    assert "failed" in bot.fake.of("chat.update")[-1].text
    assert bot.services.cap.running == 0


async def test_probe_in_channel_without_the_bot_explains_privately(bot: Bot) -> None:
    bot.fake.error_next("chat.postMessage", "not_in_channel")
    with HTTPServer() as target:
        await bot.command(f"probe http://127.0.0.1:{target.port}/")
        (call,) = await bot.fake.wait_calls("response_url")
        await bot.settle()
        assert target.hits == 0
    assert "/invite" in call.text


async def test_tokens_do_not_reach_logs(bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        await acked(await bot.command("524"))
        await bot.event(fixture("message_im.json"))
        await bot.fake.wait_calls("chat.postMessage")
        await bot.settle()
    from tests.slack.conftest import TOKEN

    assert TOKEN not in caplog.text
    assert SECRET not in caplog.text


async def test_ack_does_not_wait_for_the_probe(bot: Bot) -> None:
    """The acknowledgement comes back while the probe is still waiting for its first byte (an
    ordering check, not a timing one: the target only answers when the test lets it)."""
    release = asyncio.Event()
    loop = asyncio.get_running_loop()

    async def held(_: RecordedRequest) -> Response:
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(release.wait(), loop))
        return Response(status=200)

    with HTTPServer({"/": held}) as target:
        response = await bot.command(f"probe http://127.0.0.1:{target.port}/")
        assert response.status == 200
        await bot.fake.wait_for(lambda: target.hits == 1, what="the probe's request")
        assert len(bot.services.tasks) == 1  # acknowledged, and the probe still running
        assert len(bot.fake.of("chat.postMessage")) == 1  # only the progress message so far
        release.set()
        await bot.fake.wait_calls("chat.postMessage", 2)
        await bot.settle()
