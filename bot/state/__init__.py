"""State shared by the replicas of a fleet, or kept in one process: ``State`` bundles the parts.

``memory_state`` is the default (nothing to install); ``redis_state`` keeps everything in Redis
behind this replica's memory (``bot.state.fallback``), for several replicas that act as one. The
parts' protocols are in ``bot.state.base``; the conversation gets them through ``Services``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from bot.state.base import Dedupe, ProbeCap, RateLimit, RecentProbes, StoreError, WatchStore
from bot.state.memory import ConcurrencyCap, History, MemoryWatches, RateLimiter, Seen

if TYPE_CHECKING:
    from bot.state.fallback import Link

ALERT_RATE = (10, 600.0)  # alert probes per channel per window: an alert storm has its own budget
ENVELOPE_TTL = 30 * 60.0  # Slack redelivers an envelope within minutes


class StoreUnavailable(Exception):
    """The shared store does not answer at start-up; str(exc) is one line naming the setting."""


def replica_name() -> str:
    """This process as the watches' leases name it: host, pid and a random part (a restarted
    process with the same pid is another replica)."""
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{secrets.token_hex(3)}"


@dataclass
class State:
    kind: Literal["memory", "redis"]
    seen_events: Dedupe
    seen_messages: Dedupe
    seen_envelopes: Dedupe
    rate: RateLimit
    alert_rate: RateLimit
    cap: ProbeCap
    history: RecentProbes
    watches: WatchStore
    replica: str = "local"
    link: Link | None = None  # Redis, when the state is shared
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def health(self) -> dict[str, object]:
        """What ``/healthz`` says about the state: the store, and why it is degraded if it is."""
        details: dict[str, object] = {"store": self.kind}
        if self.link is not None and self.link.degraded:
            details["degraded"] = True
            details["reason"] = self.link.reason
        return details

    @property
    def degraded(self) -> bool:
        return self.link is not None and self.link.degraded

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()


def memory_state(*, rate: tuple[int, float] = (5, 60.0), max_concurrent: int = 4) -> State:
    return State(
        kind="memory",
        seen_events=Seen(),
        seen_messages=Seen(),
        seen_envelopes=Seen(ttl=ENVELOPE_TTL, max_size=50_000),
        rate=RateLimiter(*rate),
        alert_rate=RateLimiter(*ALERT_RATE),
        cap=ConcurrencyCap(max_concurrent),
        history=History(),
        watches=MemoryWatches(),
    )


async def redis_state(
    url: str,
    *,
    prefix: str,
    call_timeout: float,
    lease: float,
    rate: tuple[int, float] = (5, 60.0),
    max_concurrent: int = 4,
    replica: str | None = None,
    on_error: Callable[[str], None] | None = None,
) -> State:
    """The state in Redis at ``url``, this replica's memory behind it. Raises
    ``StoreUnavailable`` when Redis does not answer now (start-up must not go on without it)."""
    from redis.exceptions import RedisError

    from bot.state import fallback
    from bot.state import redis as shared

    client = shared.connect(url, timeout=call_timeout)
    where = shared.describe_url(url)
    try:
        async with asyncio.timeout(shared.CONNECT_TIMEOUT + 1):
            await client.ping()
    except (RedisError, OSError, TimeoutError) as exc:
        await client.aclose()
        raise StoreUnavailable(
            f"EO_REDIS_URL: Redis at {where} does not answer ({fallback._words(exc)}); "
            "start it or fix the URL (unset EO_REDIS_URL to keep the state in memory)"
        ) from None
    name = replica or replica_name()
    link = fallback.Link(client.ping, where=where, timeout=call_timeout, on_error=on_error)
    cap = fallback.FallbackCap(
        shared.RedisCap(client, prefix, max_concurrent), ConcurrencyCap(max_concurrent), link
    )
    state = State(
        kind="redis",
        seen_events=fallback.FallbackSeen(shared.RedisSeen(client, prefix), Seen(), link),
        seen_messages=fallback.FallbackSeen(shared.RedisSeen(client, prefix), Seen(), link),
        seen_envelopes=fallback.FallbackSeen(
            shared.RedisSeen(client, prefix, ttl=ENVELOPE_TTL),
            Seen(ttl=ENVELOPE_TTL, max_size=50_000),
            link,
        ),
        rate=fallback.FallbackRate(
            shared.RedisRateLimiter(client, prefix, "user", *rate), RateLimiter(*rate), link
        ),
        alert_rate=fallback.FallbackRate(
            shared.RedisRateLimiter(client, prefix, "alerts", *ALERT_RATE),
            RateLimiter(*ALERT_RATE),
            link,
        ),
        cap=cap,
        history=fallback.FallbackHistory(shared.RedisHistory(client, prefix), History(), link),
        watches=fallback.FallbackWatches(
            shared.RedisWatches(client, prefix, lease=lease), link, owner=name
        ),
        replica=name,
        link=link,
    )

    async def keep() -> None:
        """Renew this replica's probe slots, and check a lost Redis."""
        period = min(fallback.RETRY_EVERY, shared.SLOT_LEASE / 3)
        while True:
            await asyncio.sleep(period)
            if link.degraded:
                await link.check()
            else:
                await cap.renew()

    async def closing() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            with contextlib.suppress(Exception):
                await client.aclose()

    state._tasks += [asyncio.create_task(keep()), asyncio.create_task(closing())]
    return state


__all__ = [
    "State",
    "StoreError",
    "StoreUnavailable",
    "memory_state",
    "redis_state",
    "replica_name",
]
