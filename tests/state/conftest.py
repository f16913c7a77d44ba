"""Stores for the contract tests: the in-memory ones, and Redis at 127.0.0.1:6379.

Each Redis test gets its own key prefix and deletes its keys afterwards, so tests never see each
other's state and the machine's Redis is left as it was. Without Redis the Redis tests are
skipped, except under ``CI=true`` (``.ci/run`` starts Redis), where they fail.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from bot.state import redis as shared
from bot.state.base import Dedupe, ProbeCap, RateLimit, RecentProbes, WatchStore
from bot.state.memory import ConcurrencyCap, History, MemoryWatches, RateLimiter, Seen

REDIS_URL = os.environ.get("EO_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def redis_client() -> aioredis.Redis:
    """A client of the test Redis; skips (fails under CI=true) when it does not answer."""
    client = shared.connect(REDIS_URL, timeout=2.0)
    try:
        await client.ping()
    except (RedisError, OSError) as exc:
        await client.aclose()
        message = f"Redis does not answer at {REDIS_URL}: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return client


async def clean(client: aioredis.Redis, prefix: str) -> None:
    keys = [key async for key in client.scan_iter(match=f"{prefix}:*", count=500)]
    if keys:
        await client.delete(*keys)


@pytest.fixture
async def redis_prefix() -> AsyncIterator[tuple[aioredis.Redis, str]]:
    client = await redis_client()
    prefix = f"eo-test-{secrets.token_hex(6)}"
    try:
        yield client, prefix
    finally:
        await clean(client, prefix)
        await client.aclose()


@dataclass
class Stores:
    """Factories of each part on one backend (``new`` builds another replica's view)."""

    kind: str
    seen: Callable[..., Dedupe]
    rate: Callable[[int, float], RateLimit]
    cap: Callable[..., ProbeCap]
    history: Callable[..., RecentProbes]
    watches: Callable[..., WatchStore]


def _memory() -> Stores:
    """One process: every "replica" asking for the same part gets the same object."""

    def shared(make: Callable[..., Any]) -> Callable[..., Any]:
        made: dict[str, Any] = {}

        def get(*args: Any, **kwargs: Any) -> Any:
            key = repr((args, sorted(kwargs.items())))
            if key not in made:
                made[key] = make(*args, **kwargs)
            return made[key]

        return get

    watches = MemoryWatches()
    return Stores(
        kind="memory",
        seen=shared(lambda ttl=600.0: Seen(ttl=ttl)),
        rate=shared(RateLimiter),
        cap=shared(ConcurrencyCap),
        history=shared(History),
        watches=lambda **kw: watches,
    )


def _redis(prefix: str, clients: list[aioredis.Redis]) -> Stores:
    def fresh_client() -> aioredis.Redis:  # each part its own connection, like replicas
        client = shared.connect(REDIS_URL, timeout=2.0)
        clients.append(client)
        return client

    def watches(*, lease: float = 5.0, **_: Any) -> WatchStore:
        return shared.RedisWatches(fresh_client(), prefix, lease=lease)

    return Stores(
        kind="redis",
        seen=lambda ttl=600.0: shared.RedisSeen(fresh_client(), prefix, ttl=ttl),
        rate=lambda count, window: shared.RedisRateLimiter(
            fresh_client(), prefix, "user", count, window
        ),
        cap=lambda limit, **kw: shared.RedisCap(fresh_client(), prefix, limit, **kw),
        history=lambda **kw: shared.RedisHistory(fresh_client(), prefix, **kw),
        watches=watches,
    )


@pytest.fixture(params=["memory", "redis"])
async def stores(request: pytest.FixtureRequest) -> AsyncIterator[Stores]:
    if request.param == "memory":
        yield _memory()
        return
    client = await redis_client()
    prefix = f"eo-test-{secrets.token_hex(6)}"
    clients: list[aioredis.Redis] = [client]
    try:
        yield _redis(prefix, clients)
    finally:
        await clean(client, prefix)
        for each in clients:
            await each.aclose()
