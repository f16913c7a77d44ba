"""What refused requests cost in log: `eo-bot serve` in a child process, its stderr measured."""

from __future__ import annotations

import time

import aiohttp

from tests.slack.conftest import SECRET, TOKEN
from tests.slack.fake_slack import FakeSlack
from tests.slack.serve_process import serving

MEGABYTE = b"x" * 1_000_000
THROTTLE = 10.0  # seconds between two lines of one kind (bot.slack.logs.Throttled)


def http_env(fake: FakeSlack) -> dict[str, str]:
    return {"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.api_url}


async def test_twenty_unsigned_megabyte_posts_write_a_line_not_twenty_megabytes(
    fake: FakeSlack,
) -> None:
    async with serving(http_env(fake)) as served:
        await served.wait_health(200)
        started, began = len(served.stderr), time.monotonic()
        async with aiohttp.ClientSession() as session:
            for _ in range(20):
                async with session.post(
                    f"{served.base}/slack/events",
                    data=MEGABYTE,
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                ) as response:
                    assert response.status == 401
        windows = 1 + int((time.monotonic() - began) // THROTTLE)
        assert await served.stop() == 0
    written = served.stderr[started:].decode()
    refused = [line for line in written.splitlines() if "refused" in line]
    assert 1 <= len(refused) <= windows  # one per 10 s at most; the rest are counted
    assert "xxxxxxxx" not in written
    assert len(written) < 500 * windows


async def test_a_stream_of_bad_signatures_is_throttled_to_a_line(fake: FakeSlack) -> None:
    async with serving(http_env(fake)) as served:
        await served.wait_health(200)
        started, began = len(served.stderr), time.monotonic()
        async with aiohttp.ClientSession() as session:
            for i in range(200):
                headers = {
                    "Content-Type": "application/json",
                    "X-Slack-Request-Timestamp": str(int(time.time())),
                    "X-Slack-Signature": "v0=" + f"{i:064x}",
                }
                async with session.post(
                    f"{served.base}/slack/events", data=b'{"type": "x"}', headers=headers
                ) as response:
                    assert response.status == 401
        windows = 1 + int((time.monotonic() - began) // THROTTLE)
        assert await served.stop() == 0
    written = served.stderr[started:].decode()
    lines = sum("signature does not match" in line for line in written.splitlines())
    assert 1 <= lines <= windows
    assert "Traceback" not in written
