"""What Redis holds about languages: expiring per-user keys, and records from older replicas.

During a rolling upgrade a replica reads what one without languages wrote: a recent probe with its
``verdict`` and no ``language``, a watch record without ``language``. Both read as English rather
than vanish or break the fleet's watch list; a language this version does not know is not trusted.
"""

from __future__ import annotations

import json

import redis.asyncio as aioredis

from bot.state import redis as shared
from bot.state.base import WatchLimits, WatchRecord

LIMITS = WatchLimits(per_user=3, per_channel=5, total=10)


async def test_the_language_key_expires(redis_prefix: tuple[aioredis.Redis, str]) -> None:
    client, prefix = redis_prefix
    history = shared.RedisHistory(client, prefix, language_ttl=120)
    await history.spoke("U1", "zh")
    ttl = await client.ttl(f"{prefix}:lang:U1")
    assert 0 < ttl <= 120
    await history.spoke("U1", "en")  # asking again starts the time again, with the new language
    assert await client.get(f"{prefix}:lang:U1") == "en"
    assert 0 < await client.ttl(f"{prefix}:lang:U1") <= 120


async def test_asking_again_in_the_same_language_writes_nothing(
    redis_prefix: tuple[aioredis.Redis, str],
) -> None:
    client, prefix = redis_prefix
    history = shared.RedisHistory(client, prefix)
    await history.spoke("U1", "zh")
    await client.delete(f"{prefix}:lang:U1")  # a write now would bring the key back
    await history.spoke("U1", "zh")
    assert await client.get(f"{prefix}:lang:U1") is None  # no round trip for the same language
    await history.spoke("U1", "en")  # a change is written at once
    assert await client.get(f"{prefix}:lang:U1") == "en"


async def test_an_unknown_stored_language_reads_as_none(
    redis_prefix: tuple[aioredis.Redis, str],
) -> None:
    client, prefix = redis_prefix
    await client.set(f"{prefix}:lang:U1", "<script>")
    assert await shared.RedisHistory(client, prefix).language("U1") is None


async def test_recent_probes_written_before_languages(
    redis_prefix: tuple[aioredis.Redis, str],
) -> None:
    client, prefix = redis_prefix
    old = {
        "url": "https://shop.example.com/",
        "at": "2024-05-01T10:00:00+00:00",
        "status": 502,
        "code": 502,
        "fault": "origin",
        "verdict": "502: fault at the origin",
        "channel": "C1",
        "thread": None,
    }
    unknown = {**old, "url": "https://other.example.com/", "language": "fr"}
    del unknown["verdict"]
    current = {**unknown, "url": "https://third.example.com/", "language": "zh"}
    key = f"{prefix}:recent:U1"
    for item in (old, unknown, current):
        await client.lpush(key, json.dumps(item))
    kept = await shared.RedisHistory(client, prefix).recent("U1")
    assert [(p.url, p.language) for p in kept] == [
        ("https://third.example.com/", "zh"),
        ("https://shop.example.com/", "en"),
    ]


async def test_a_watch_record_without_a_language_speaks_english(
    redis_prefix: tuple[aioredis.Redis, str],
) -> None:
    client, prefix = redis_prefix
    watches = shared.RedisWatches(client, prefix, lease=5.0)
    record = WatchRecord(
        id="w1",
        url="https://shop.example.com/",
        user="U1",
        channel="C1",
        thread="1.2",
        duration=600.0,
        interval=30.0,
        started=1_700_000_000.0,
        language="zh",
    )
    assert await watches.open(record, limits=LIMITS, owner="A") is None
    stored = json.loads(await client.hget(f"{prefix}:watches", "w1"))
    assert stored["language"] == "zh"
    before = {k: v for k, v in stored.items() if k != "language"}
    for written in (before, {**stored, "language": 7}):
        await client.hset(f"{prefix}:watches", "w1", json.dumps(written))
        read = await watches.get("w1")
        assert read is not None
        assert (read.id, read.language) == ("w1", "en")


async def test_a_watch_record_without_regions_watches_from_here(
    redis_prefix: tuple[aioredis.Redis, str],
) -> None:
    client, prefix = redis_prefix
    watches = shared.RedisWatches(client, prefix, lease=5.0)
    record = WatchRecord(
        id="w1",
        url="https://shop.example.com/",
        user="U1",
        channel="C1",
        thread="1.2",
        duration=600.0,
        interval=30.0,
        started=1_700_000_000.0,
        regions="all",
    )
    assert await watches.open(record, limits=LIMITS, owner="A") is None
    stored = json.loads(await client.hget(f"{prefix}:watches", "w1"))
    assert stored["regions"] == "all"
    older = {k: v for k, v in stored.items() if k not in ("regions", "region_states")}
    await client.hset(f"{prefix}:watches", "w1", json.dumps(older))
    read = await watches.get("w1")
    assert read is not None
    assert (read.id, read.regions, read.region_states) == ("w1", None, None)
