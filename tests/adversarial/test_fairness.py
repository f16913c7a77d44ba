"""Watches cannot starve other people's probes, and they spend their owner's probe budget.

Before the fix every watch round took a slot of the global cap for as long as its target made it
wait (up to the probe deadline), so four watches of slow targets held all four slots and every
other probe was refused ("4 probes are already running"); and watch rounds were free, so a watch
probed as often as its interval allowed whatever its owner's rate limit said.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from bot.state.memory import RateLimiter
from tests.servers import HTTPServer
from tests.slack.conftest import Bot
from tests.slack.test_oncall import fast_watches, mention


class SlowAfterFirst:
    """Probes each URL for real once; later probes of a ``/slow`` URL wait until cancelled, like a
    target that answers only at the probe's deadline (deterministic, unlike a real delay)."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.calls: Counter[str] = Counter()
        self.waiting = 0
        self.most_waiting = 0

    async def __call__(self, url: str, *, origin: str | None, on_progress: Any) -> Any:
        self.calls[url] += 1
        if self.calls[url] == 1 or "/slow" not in url:
            return await self.real(url, origin=origin, on_progress=on_progress)
        self.waiting += 1
        self.most_waiting = max(self.most_waiting, self.waiting)
        try:
            await asyncio.Event().wait()
        finally:
            self.waiting -= 1
        raise AssertionError("unreachable")


async def test_watches_of_slow_targets_leave_room_for_everyone_elses_probes(bot: Bot) -> None:
    fast_watches(bot, interval=0.02)
    prober = SlowAfterFirst(bot.services.prober)
    bot.services.prober = prober
    cap = bot.services.cap
    with HTTPServer(status=502) as slow, HTTPServer(status=502) as other:
        for i, user in enumerate(("U0ANN", "U0BEN", "U0CID", "U0DAN")):
            event = mention(
                f"<@UBOT> watch http://127.0.0.1:{slow.port}/slow{i}", ts=f"5.{i}", thread=f"5.{i}"
            )
            event["event"]["user"] = user
            await bot.event(event)
        await bot.fake.wait_for(lambda: slow.hits == 4, what="four first probes")
        await bot.fake.wait_for(lambda: prober.waiting >= 1, what="a watch round in flight")
        # Give every watch many rounds to try for a slot (25 intervals).
        await asyncio.sleep(0.5)
        assert prober.most_waiting < cap.limit  # watch rounds never hold the whole cap
        event = mention(f"<@UBOT> http://127.0.0.1:{other.port}/mine", ts="6.0", thread="6.0")
        event["event"]["user"] = "U0EVE"
        await bot.event(event)
        await bot.fake.wait_for(lambda: other.hits == 1, limit=5.0, what="Eve's probe")
        await bot.conversation.shutdown(limit=2.0)
    assert not any("already running" in c.text for c in bot.fake.calls)
    assert cap.running == 0


async def test_watch_rounds_count_against_their_owners_rate_limit(bot: Bot) -> None:
    fast_watches(bot, interval=0.02)
    bot.services.rate = RateLimiter(3, 60.0)
    with HTTPServer(status=502) as watched, HTTPServer(status=502) as other:
        await bot.event(mention(f"<@UBOT> watch http://127.0.0.1:{watched.port}/"))
        await bot.fake.wait_for(lambda: watched.hits == 3, what="three probes")
        # Many more rounds come due (25 intervals); each is refused by the rate limit and skipped.
        await asyncio.sleep(0.5)
        assert watched.hits == 3
        posted = len(bot.fake.of("chat.postMessage"))
        # The owner's own probe is refused too: the watch spent the budget, and the answer says so.
        await bot.event(mention(f"<@UBOT> http://127.0.0.1:{other.port}/", ts="7.0"))
        refusal = (await bot.fake.wait_calls("chat.postMessage", posted + 1))[-1]
        assert other.hits == 0
        await bot.conversation.shutdown(limit=2.0)
    assert "3 probes in the last 60 s" in refusal.text
    assert "watch" in refusal.text
    # Skipped rounds are not news: the thread only got the first diagnosis, then the refusal and
    # the shutdown notice.
    texts = [c.text for c in bot.fake.of("chat.postMessage")]
    assert not any("skip" in t.lower() for t in texts)


async def test_another_users_watch_does_not_spend_my_budget(bot: Bot) -> None:
    fast_watches(bot, interval=0.02)
    bot.services.rate = RateLimiter(3, 60.0)
    with HTTPServer(status=502) as watched, HTTPServer(status=502) as other:
        await bot.event(mention(f"<@UBOT> watch http://127.0.0.1:{watched.port}/"))
        await bot.fake.wait_for(lambda: watched.hits == 3, what="the watch's budget spent")
        event = mention(f"<@UBOT> http://127.0.0.1:{other.port}/", ts="8.0", thread="8.0")
        event["event"]["user"] = "U0BOB"
        await bot.event(event)
        await bot.fake.wait_for(lambda: other.hits == 1, limit=5.0, what="Bob's probe")
        await bot.conversation.shutdown(limit=2.0)
