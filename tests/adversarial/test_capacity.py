"""Probe slots cannot leak: whatever fails between taking a slot and running the probe.

Before the fix each of these left a slot of the concurrency cap taken for good; with the default
cap of 4, four failed alert replies refused every later probe, for everyone, until a restart.
Failures are injected where they happen in production: Slack answering ``ok: false`` or 429s
that outlast the client's retries (the fake Slack's ``break_channel``), a task that cannot be
spawned, a task cancelled (shutdown) before it started.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import pytest

from bot.chat.conversation import Conversation
from bot.chat.replies import ProbeRequest, Reply
from bot.chat.services import Services
from bot.chat.surface import Turn
from bot.chat.tasks import ErrorReporter, Tasks
from bot.knowledge import KnowledgeBase, Matcher
from bot.state.memory import ConcurrencyCap, RateLimiter
from tests.servers import HTTPServer
from tests.slack.conftest import Bot, loopback_settings
from tests.slack.test_oncall import THREAD, alert_event, fast_watches, mention

ALERTS = "C0ALERTS"
CHANNEL = "C0INCIDENT"  # where the mentions of tests.slack.test_oncall are


def alert_posts(bot: Bot) -> list[Any]:
    return [c for c in bot.fake.of("chat.postMessage") if c.body.get("channel") == ALERTS]


async def probe_gets_through(bot: Bot) -> None:
    """Someone else's probe, in another channel, still runs (is not refused for capacity)."""
    with HTTPServer(status=502) as other:
        await bot.event(mention(f"<@UBOT> http://127.0.0.1:{other.port}/other", ts="9.9"))
        await bot.fake.wait_for(lambda: other.hits == 1, limit=5.0, what="the other probe")
        await bot.settle()
    assert not any("already running" in c.text for c in bot.fake.calls)


@pytest.mark.parametrize(
    ("failure", "alerts"),
    [
        pytest.param({"error": "fatal_error"}, 5, id="ok-false"),
        pytest.param({"error": "not_in_channel"}, 5, id="not-in-channel"),
        # 1 + 3 retries per post, each after Retry-After 0 plus up to 1 s of jitter: keep it short.
        pytest.param({"status": 429, "retry_after": 0}, 3, id="429-outlasting-retries"),
    ],
)
async def test_alert_replies_that_cannot_be_posted_give_their_slots_back(
    bot: Bot, failure: dict[str, Any], alerts: int
) -> None:
    bot.services.watch_channels = frozenset({ALERTS})
    bot.services.alert_rate = RateLimiter(100, 600.0)
    bot.services.cap = ConcurrencyCap(alerts - 1)
    attempts = 4 if failure.get("status") == 429 else 1
    bot.fake.break_channel(ALERTS, **failure)
    with HTTPServer(status=524) as alerted:
        for i in range(alerts):
            url = f"http://127.0.0.1:{alerted.port}/{i}"
            await bot.event(alert_event(f"HTTP 524 on {url}", ts=f"17000005{i:02d}.000100"))
        await bot.fake.wait_for(
            lambda: len(alert_posts(bot)) >= alerts * attempts, limit=10.0, what="alert replies"
        )
        await bot.fake.wait_for(
            lambda: bot.services.cap.running == 0, limit=5.0, what="slots given back"
        )
        await bot.settle()
        assert alerted.hits == 0  # no reply, no probe: nobody would see its result
    await probe_gets_through(bot)


async def test_alerts_keep_probing_after_their_channel_recovers(bot: Bot) -> None:
    bot.services.watch_channels = frozenset({ALERTS})
    bot.services.alert_rate = RateLimiter(100, 600.0)
    bot.fake.break_channel(ALERTS)
    with HTTPServer(status=524) as alerted:
        url = f"http://127.0.0.1:{alerted.port}/"
        for i in range(6):
            await bot.event(alert_event(f"HTTP 524 on {url}", ts=f"17000006{i:02d}.000100"))
        await bot.fake.wait_for(lambda: len(alert_posts(bot)) >= 6, what="failed replies")
        await bot.fake.wait_for(lambda: bot.services.cap.running == 0, what="slots given back")
        bot.fake.mend_channel(ALERTS)
        await bot.event(alert_event(f"HTTP 524 on {url}", ts="1700000700.000100"))
        await bot.fake.wait_for(lambda: alerted.hits == 1, limit=5.0, what="the alert probe")
        await bot.settle()
    assert bot.services.cap.running == 0


async def test_watch_whose_duration_note_fails_still_runs_and_can_be_cancelled(bot: Bot) -> None:
    fast_watches(bot, interval=0.2)
    # "for 5h" is longer than the longest watch: the first message in the thread is the note.
    bot.fake.error_next("chat.postMessage", "fatal_error")
    with HTTPServer(status=502) as target:
        await bot.event(mention(f"<@UBOT> watch http://127.0.0.1:{target.port}/ for 5h"))
        await bot.fake.wait_for(lambda: target.hits >= 1, limit=5.0, what="the first probe")
        await bot.fake.wait_calls("chat.update")
        await bot.event(mention("<@UBOT> unwatch", ts="1700000100.000900"))
        await bot.fake.wait_for(
            lambda: any("cancelled" in c.text for c in bot.fake.of("chat.postMessage")),
            what="the watch cancelled",
        )
        await bot.settle()
    assert len(bot.conversation.watches) == 0
    assert bot.services.cap.running == 0
    assert bot.fake.of("chat.postMessage")[-1].body["thread_ts"] == THREAD


async def test_watch_whose_thread_is_broken_ends_and_gives_everything_back(bot: Bot) -> None:
    fast_watches(bot, interval=0.2)
    bot.fake.break_channel(CHANNEL)  # every post and update in the channel fails from now on
    with HTTPServer(status=502) as target:
        for i in range(3):
            await bot.event(
                mention(f"<@UBOT> watch http://127.0.0.1:{target.port}/{i}", ts=f"3.{i}")
            )
        await bot.fake.wait_for(
            lambda: len(bot.fake.of("chat.postMessage")) >= 3, what="failed posts"
        )
        await bot.fake.wait_for(
            lambda: len(bot.conversation.watches) == 0 and not bot.services.tasks,
            limit=5.0,
            what="watches ended",
        )
    assert bot.services.cap.running == 0
    bot.fake.mend_channel(CHANNEL)
    await probe_gets_through(bot)


# -- the core alone: the hand-over from the guard to the task --------------------------------


class Quiet:
    """A surface that records what it was asked to say and never fails."""

    def __init__(self) -> None:
        self.said: list[Reply] = []

    async def reply(self, turn: Turn, reply: Reply, *, public: bool = False) -> None:
        self.said.append(reply)

    async def post(self, channel: str, reply: Reply, *, thread: str | None) -> str:
        self.said.append(reply)
        return f"{len(self.said)}.0"

    async def update(self, channel: str, ref: str, reply: Reply) -> None:
        self.said.append(reply)


class CannotSpawn(Tasks):
    """The event loop refuses new tasks (it is closing)."""

    def spawn(
        self,
        work: Coroutine[Any, Any, None],
        *,
        name: str,
        on_error: ErrorReporter | None = None,
        **kwargs: Any,
    ) -> asyncio.Task[None]:
        work.close()
        raise RuntimeError("the event loop is closing")


def core(kb: KnowledgeBase, matcher: Matcher, **kwargs: Any) -> Conversation:
    services = Services.build(
        kb, loopback_settings(), matcher=matcher, progress_interval=0.0, **kwargs
    )
    return Conversation(services, Quiet())


TURN = Turn("", "U0ALICE", "C0TEST", "1.0", "mention")
REQUEST = ProbeRequest("http://127.0.0.1:9/")


async def test_a_probe_that_cannot_be_spawned_gives_its_slot_back(
    kb: KnowledgeBase, matcher: Matcher
) -> None:
    conversation = core(kb, matcher, tasks=CannotSpawn())
    with pytest.raises(RuntimeError, match="closing"):
        await conversation.probe(TURN, REQUEST)
    assert conversation.services.cap.running == 0


async def test_a_watch_that_cannot_be_spawned_gives_back_its_slot_and_its_place(
    kb: KnowledgeBase, matcher: Matcher
) -> None:
    conversation = core(kb, matcher, tasks=CannotSpawn())
    with pytest.raises(RuntimeError, match="closing"):
        await conversation.watch(TURN, REQUEST, None)
    assert conversation.services.cap.running == 0
    assert len(conversation.watches) == 0


async def test_probes_and_watches_cancelled_before_they_start_give_everything_back(
    kb: KnowledgeBase, matcher: Matcher
) -> None:
    conversation = core(kb, matcher)
    await conversation.probe(TURN, REQUEST)
    await conversation.watch(TURN, ProbeRequest("http://127.0.0.1:9/w"), None)
    assert conversation.services.cap.running == 2
    # Shutdown (or anything else) cancels them before their first step.
    for task in conversation.services.tasks.running():
        task.cancel()
    await conversation.services.tasks.drain()
    assert conversation.services.cap.running == 0
    assert len(conversation.watches) == 0
