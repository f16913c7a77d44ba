"""A seeded storm of probes, alerts and watches while Slack fails at random: nothing leaks.

Whatever fails (``ok: false`` on posts and updates, in any order), once the storm is over and the
bot shut down, every probe slot is back, no task is left and no watch is left in the book; and
while it lasts the cap and the watches' share are never exceeded.
"""

from __future__ import annotations

import asyncio
import random

import pytest

from bot.state.memory import RateLimiter
from tests.servers import HTTPServer
from tests.servers.http import Response
from tests.slack.conftest import Bot
from tests.slack.test_oncall import alert_event, fast_watches, mention

ERRORS = ("fatal_error", "not_in_channel", "msg_too_long", "internal_error")


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_random_failures_leak_nothing(bot: Bot, seed: int) -> None:
    rng = random.Random(seed)
    fast_watches(bot, interval=0.02, per_user=2, per_channel=50, default_duration=0.5)
    bot.services.watch_channels = frozenset({"C0ALERTS"})
    bot.services.rate = RateLimiter(1000, 60.0)
    bot.services.alert_rate = RateLimiter(1000, 60.0)
    cap = bot.services.cap
    worst = [0, 0]

    async def watch_the_cap() -> None:
        while True:
            worst[0] = max(worst[0], cap.running)
            worst[1] = max(worst[1], cap.watching)
            await asyncio.sleep(0.001)

    sequence = [Response(status=rng.choice((200, 502, 503, 524))) for _ in range(50)]
    observer = asyncio.get_running_loop().create_task(watch_the_cap())
    try:
        with HTTPServer(status=502, sequence=sequence, first_byte_delay=0.01) as target:
            url = f"http://127.0.0.1:{target.port}"
            for i in range(60):
                if rng.random() < 0.3:
                    method = rng.choice(("chat.postMessage", "chat.update"))
                    bot.fake.error_next(method, rng.choice(ERRORS), times=rng.randint(1, 3))
                kind = rng.choice(("probe", "alert", "watch", "unwatch"))
                thread = f"9{i // 4}.0"  # a few messages share each thread
                if kind == "alert":
                    event = alert_event(f"HTTP 524 on {url}/a{i}", ts=f"8{i}.1")
                elif kind == "watch":
                    event = mention(f"<@UBOT> watch {url}/w{i} for 1s", ts=f"7{i}.1", thread=thread)
                elif kind == "unwatch":
                    event = mention("<@UBOT> unwatch", ts=f"6{i}.1", thread=thread)
                else:
                    event = mention(f"<@UBOT> {url}/p{i}", ts=f"5{i}.1", thread=thread)
                event["event"]["user"] = f"U0USER{rng.randint(0, 5)}"
                await bot.event(event)
                await asyncio.sleep(rng.random() * 0.02)
            # Watches end on their own (time up, recovery, cancel, failure); then shut down.
            await bot.fake.wait_for(
                lambda: len(bot.conversation.watches) == 0, limit=10.0, what="watches ended"
            )
            await bot.conversation.shutdown(limit=2.0)
    finally:
        observer.cancel()
    assert target.hits > 0  # the storm did probe
    assert cap.running == 0
    assert len(bot.services.tasks) == 0
    assert len(bot.conversation.watches) == 0
    assert cap.watching == 0
    assert worst[0] <= cap.limit
    assert worst[1] <= cap.watch_limit
