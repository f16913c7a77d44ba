"""The state of a fleet, in Redis (``EO_REDIS_URL``): what every replica must see alike.

Every operation that reads and then writes is one Lua script, so two replicas can never both
pass a check (the second sighting of an event, the last place of the probe cap, a watch past a
limit). Scripts read Redis's own clock (``TIME``), so replicas with skewed clocks agree on
windows and leases. Every key has an expiry or a cap:

- ``{prefix}:seen:{key}``: ``SET NX PX``, gone after the de-duplication window;
- ``{prefix}:rate:{name}:{key}``: a sorted set of hit times (a sliding window), expiring with it;
- ``{prefix}:cap`` and ``{prefix}:cap:watch``: sorted sets of slot leases; a replica renews the
  leases of the slots it holds, so a dead replica's places come back within ``SLOT_LEASE``;
- ``{prefix}:recent:{user}``: a capped list of JSON items, expiring after ``RECENT_TTL``;
- ``{prefix}:lang:{user}``: the language the user last asked in, expiring after ``LANGUAGE_TTL``;
- ``{prefix}:watches`` (id -> JSON record), ``:watch-owner``, ``:watch-lease``, ``:watch-stop``:
  hashes of at most ``WatchSettings.total`` watches; ended watches are deleted.

Nothing here falls back: errors surface as ``redis`` exceptions; ``bot.state.fallback`` decides.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Sequence
from dataclasses import asdict, fields
from datetime import datetime
from typing import Any

import redis.asyncio as aioredis
from cachetools import TTLCache
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from bot.chat.history import MAX_URL_KEPT, RecentProbe
from bot.i18n.language import Language, language_of
from bot.state.base import (
    Pool,
    Refused,
    Renewal,
    Slot,
    StoreError,
    WatchEnd,
    WatchLimits,
    WatchRecord,
)
from bot.state.memory import watch_share

log = logging.getLogger(__name__)

SLOT_LEASE = 15.0  # seconds a probe slot is held without renewal (renewed every third of it)
RECENT_TTL = 7 * 86400  # seconds a user's recent probes are kept after their last probe
LANGUAGE_TTL = 30 * 86400  # seconds the language a user last asked in is kept after they asked
WATCH_TTL = 2 * 86400  # the watch hashes expire when no replica wrote them for this long
CONNECT_TIMEOUT = 2.0

_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

# KEYS[1] the key's hits; ARGV count, window (ms), a unique member. Returns -1 (admitted) or the
# milliseconds until the oldest hit leaves the window.
_RATE = (
    _NOW
    + """
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return tonumber(oldest[2]) + window - now
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
return -1
"""
)

# KEYS[1] every slot, KEYS[2] the watches' slots; ARGV member, limit, watch limit, lease (ms),
# pool. Returns 1 when the slot was taken.
_TAKE = (
    _NOW
    + """
local lease = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
if ARGV[5] == 'watch' then
  if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[3]) then return 0 end
  redis.call('ZADD', KEYS[2], now + lease, ARGV[1])
  redis.call('PEXPIRE', KEYS[2], lease)
end
redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
redis.call('PEXPIRE', KEYS[1], lease)
return 1
"""
)

# KEYS[1] every slot, KEYS[2] the watches' slots; ARGV lease (ms), members...
_RENEW_SLOTS = (
    _NOW
    + """
local lease = tonumber(ARGV[1])
for i = 2, #ARGV do
  redis.call('ZADD', KEYS[1], 'XX', now + lease, ARGV[i])
  redis.call('ZADD', KEYS[2], 'XX', now + lease, ARGV[i])
end
redis.call('PEXPIRE', KEYS[1], lease)
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('PEXPIRE', KEYS[2], lease) end
return 1
"""
)

# The watch scripts: KEYS[1] records, KEYS[2] owners, KEYS[3] leases, KEYS[4] stops.
_TOUCH = """
local function touch(ttl)
  for i = 1, 4 do redis.call('PEXPIRE', KEYS[i], ttl) end
end
"""

# ARGV id ('' to only check), record JSON, url, user, channel, thread ('' for none), per user,
# per channel, total, owner, lease (ms), ttl (ms). Returns {'ok'} or {reason[, existing JSON]}.
_OPEN = (
    _NOW
    + _TOUCH
    + """
local records = redis.call('HGETALL', KEYS[1])
local users, channels, running = 0, 0, 0
for i = 1, #records, 2 do
  local r = cjson.decode(records[i + 1])
  if r.ended ~= true then
    running = running + 1
    if r.channel == ARGV[5] and r.thread == ARGV[6] and r.url == ARGV[3] then
      return {'duplicate', records[i + 1]}
    end
    if r.user == ARGV[4] then users = users + 1 end
    if r.channel == ARGV[5] then channels = channels + 1 end
  end
end
if users >= tonumber(ARGV[7]) then return {'per_user'} end
if channels >= tonumber(ARGV[8]) then return {'per_channel'} end
if running >= tonumber(ARGV[9]) then return {'total'} end
if ARGV[1] ~= '' then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[10])
  redis.call('HSET', KEYS[3], ARGV[1], now + tonumber(ARGV[11]))
  touch(tonumber(ARGV[12]))
end
return {'ok'}
"""
)

# ARGV id, owner, record JSON, step, lease (ms), ttl (ms). Returns 1 when committed.
_COMMIT = (
    _NOW
    + _TOUCH
    + """
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 0 end
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return 0 end
if tonumber(ARGV[4]) <= tonumber(cjson.decode(current).step) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[3], ARGV[1], now + tonumber(ARGV[5]))
touch(tonumber(ARGV[6]))
return 1
"""
)

# ARGV id, stop JSON. Returns 1 when the watch is running (the first stop asked is kept).
_STOP = """
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current or cjson.decode(current).ended == true then return 0 end
redis.call('HSETNX', KEYS[4], ARGV[1], ARGV[2])
return 1
"""

# ARGV id, owner. Deletes the watch if the owner (or nobody) holds it.
_CLOSE = """
local owner = redis.call('HGET', KEYS[2], ARGV[1])
if owner and owner ~= '' and owner ~= ARGV[2] then return 0 end
for i = 1, 4 do redis.call('HDEL', KEYS[i], ARGV[1]) end
return 1
"""

# ARGV owner, lease (ms), ids... Returns {id, 'ok'|'lost', stop JSON or ''} for each id.
_RENEW = (
    _NOW
    + """
local out = {}
for i = 3, #ARGV do
  local id = ARGV[i]
  local status = 'lost'
  if redis.call('HGET', KEYS[2], id) == ARGV[1] and redis.call('HEXISTS', KEYS[1], id) == 1 then
    redis.call('HSET', KEYS[3], id, now + tonumber(ARGV[2]))
    status = 'ok'
  end
  table.insert(out, id)
  table.insert(out, status)
  table.insert(out, redis.call('HGET', KEYS[4], id) or '')
end
return out
"""
)

# ARGV owner, lease (ms), ttl (ms). Takes every watch nobody holds or whose lease ran out;
# returns {record JSON, stop JSON or ''} for each.
_CLAIM = (
    _NOW
    + _TOUCH
    + """
local out = {}
for _, id in ipairs(redis.call('HKEYS', KEYS[1])) do
  local owner = redis.call('HGET', KEYS[2], id)
  local lease = tonumber(redis.call('HGET', KEYS[3], id) or '0')
  if (not owner) or owner == '' or lease < now then
    redis.call('HSET', KEYS[2], id, ARGV[1])
    redis.call('HSET', KEYS[3], id, now + tonumber(ARGV[2]))
    table.insert(out, redis.call('HGET', KEYS[1], id))
    table.insert(out, redis.call('HGET', KEYS[4], id) or '')
  end
end
if #out > 0 then touch(tonumber(ARGV[3])) end
return out
"""
)

# ARGV owner, ids... The owner's leases end now: another replica takes the watches.
_RELEASE = """
for i = 2, #ARGV do
  if redis.call('HGET', KEYS[2], ARGV[i]) == ARGV[1] then
    redis.call('HSET', KEYS[2], ARGV[i], '')
    redis.call('HSET', KEYS[3], ARGV[i], 0)
  end
end
return 1
"""

# ARGV id, owner, record JSON, lease (ms), ttl (ms). Puts a watch back unless another replica
# holds a live lease on it. Returns 1 when restored.
_RESTORE = (
    _NOW
    + _TOUCH
    + """
local owner = redis.call('HGET', KEYS[2], ARGV[1])
local lease = tonumber(redis.call('HGET', KEYS[3], ARGV[1]) or '0')
if owner and owner ~= '' and owner ~= ARGV[2] and lease >= now then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[3], ARGV[1], now + tonumber(ARGV[4]))
touch(tonumber(ARGV[5]))
return 1
"""
)


def connect(url: str, *, timeout: float) -> aioredis.Redis:
    """A client for ``url`` that never retries on its own: the caller decides (a request must not
    wait for Redis longer than ``timeout``)."""
    return aioredis.Redis.from_url(
        url,
        decode_responses=True,
        socket_timeout=timeout,
        socket_connect_timeout=min(timeout * 4, CONNECT_TIMEOUT),
        retry=Retry(NoBackoff(), 0),
        health_check_interval=0,
    )


def describe_url(url: str) -> str:
    """``host:port/db`` of a Redis URL, without the user name or password."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    where = parts.hostname or parts.path or "?"
    if parts.port:
        where += f":{parts.port}"
    db = parts.path.lstrip("/") if parts.hostname else ""
    return f"{where}/{db}" if db else where


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


class RedisSeen:
    def __init__(self, client: aioredis.Redis, prefix: str, *, ttl: float = 600.0) -> None:
        self._client = client
        self._prefix = f"{prefix}:seen:"
        self.ttl = ttl

    async def first(self, key: str) -> bool:
        return bool(await self._client.set(self._prefix + key, "1", nx=True, px=_ms(self.ttl)))


class RedisRateLimiter:
    def __init__(
        self, client: aioredis.Redis, prefix: str, name: str, count: int, window: float
    ) -> None:
        self._client = client
        self._prefix = f"{prefix}:rate:{name}:"
        self._script = client.register_script(_RATE)
        self.count = count
        self.window = window

    async def acquire(self, key: str) -> float | None:
        member = secrets.token_hex(8)
        wait = int(
            await self._script(
                keys=[self._prefix + key], args=[self.count, _ms(self.window), member]
            )
        )
        return None if wait < 0 else max(wait / 1000, 0.1)


class RedisCap:
    """The fleet's probe cap: each slot is a lease in a sorted set, renewed while it is held."""

    def __init__(
        self,
        client: aioredis.Redis,
        prefix: str,
        limit: int,
        *,
        watch_limit: int | None = None,
        lease: float = SLOT_LEASE,
    ) -> None:
        self._client = client
        self._keys = [f"{prefix}:cap", f"{prefix}:cap:watch"]
        self._take = client.register_script(_TAKE)
        self._renew = client.register_script(_RENEW_SLOTS)
        self.limit = limit
        self.watch_limit = watch_share(limit, watch_limit)
        self.lease = lease
        self._held: set[str] = set()
        self._releasing: set[asyncio.Task[None]] = set()

    @property
    def running(self) -> int:
        """Slots this replica holds."""
        return len(self._held)

    async def take(self) -> Slot | None:
        return await self._take_slot("probe")

    async def take_for_watch(self) -> Slot | None:
        return await self._take_slot("watch")

    async def _take_slot(self, pool: Pool) -> Slot | None:
        member = secrets.token_hex(8)
        taken = await self._take(
            keys=self._keys,
            args=[member, self.limit, self.watch_limit, _ms(self.lease), pool],
        )
        if not int(taken):
            return None
        self._held.add(member)
        return Slot(lambda: self._give_back(member), pool)

    def _give_back(self, member: str) -> None:
        self._held.discard(member)
        task = asyncio.get_running_loop().create_task(self._remove(member))
        self._releasing.add(task)
        task.add_done_callback(self._releasing.discard)

    async def _remove(self, member: str) -> None:
        try:
            await self._client.zrem(self._keys[0], member)
            await self._client.zrem(self._keys[1], member)
        except Exception as exc:  # the lease runs out on its own
            log.debug("could not give a probe slot back: %s", exc)

    async def renew(self) -> None:
        """Extend the leases of the slots this replica holds (every third of ``lease``)."""
        if self._held:
            await self._renew(keys=self._keys, args=[_ms(self.lease), *self._held])


def _recent_json(item: RecentProbe) -> str:
    data = asdict(item)
    data["at"] = item.at.isoformat()
    data["url"] = item.url[:MAX_URL_KEPT]
    return json.dumps(data, separators=(",", ":"))


_RECENT_FIELDS = {f.name for f in fields(RecentProbe)}


def _recent_of(raw: str) -> RecentProbe | None:
    """An item read back; None for anything that is not one (the store is not trusted blindly).

    Items written before probes kept their language (with a ``verdict`` instead) read as English.
    """
    try:
        data = json.loads(raw)
        if not isinstance(data, dict):
            return None
        data.pop("verdict", None)
        data.setdefault("language", "en")
        if set(data) != _RECENT_FIELDS:
            return None
        language = language_of(data["language"])
        if language is None:
            return None
        data["language"] = language
        data["at"] = datetime.fromisoformat(str(data["at"]))
        item = RecentProbe(**data)
    except (ValueError, TypeError, RecursionError):
        return None
    ints = (item.status, item.code)
    texts = (item.url, item.fault, item.channel)
    if not all(isinstance(i, int | None) for i in ints) or not all(
        isinstance(t, str) for t in texts
    ):
        return None
    if not isinstance(item.thread, str | None):
        return None
    return item


WRITTEN_FOR = 300.0  # seconds a language this replica wrote is not written again


class RedisHistory:
    def __init__(
        self,
        client: aioredis.Redis,
        prefix: str,
        *,
        per_user: int = 10,
        ttl: int = RECENT_TTL,
        language_ttl: int = LANGUAGE_TTL,
    ) -> None:
        self._client = client
        self._prefix = f"{prefix}:recent:"
        self._languages = f"{prefix}:lang:"
        self._per_user = per_user
        self._ttl = ttl
        self._language_ttl = language_ttl
        # What this replica wrote lately: a person asking again in the same language costs no
        # round trip (each question would otherwise write Redis). Bounded; entries expire so
        # the key's own expiry is pushed back now and then, and another replica's newer write
        # wins within WRITTEN_FOR seconds.
        self._written: TTLCache[str, Language] = TTLCache(maxsize=10_000, ttl=WRITTEN_FOR)

    async def add(self, user: str, item: RecentProbe) -> None:
        if not user:
            return
        key = self._prefix + user
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.lpush(key, _recent_json(item))
            pipe.ltrim(key, 0, self._per_user - 1)
            pipe.expire(key, self._ttl)
            await pipe.execute()

    async def recent(self, user: str, limit: int | None = None) -> list[RecentProbe]:
        count = self._per_user if limit is None else min(limit, self._per_user)
        if count <= 0:
            return []
        raw = await self._client.lrange(self._prefix + user, 0, count - 1)
        return [item for item in (_recent_of(str(r)) for r in raw) if item is not None]

    async def spoke(self, user: str, language: Language) -> None:
        if not user or self._written.get(user) == language:
            return
        await self._client.set(self._languages + user, language, ex=self._language_ttl)
        self._written[user] = language

    async def language(self, user: str) -> Language | None:
        if not user:
            return None
        return language_of(await self._client.get(self._languages + user))


_RECORD_FIELDS = {f.name for f in fields(WatchRecord)} - {"stop", "stopped_by", "owner"}


def record_json(record: WatchRecord) -> str:
    data = {name: getattr(record, name) for name in _RECORD_FIELDS}
    return json.dumps(data, separators=(",", ":"), sort_keys=True)


def _stop_of(raw: str) -> tuple[WatchEnd, str | None]:
    reason, by = json.loads(raw)
    if reason == "cancelled":
        return "cancelled", by if isinstance(by, str) else None
    if reason == "shutdown":
        return "shutdown", by if isinstance(by, str) else None
    raise ValueError("unknown stop reason")


def record_of(raw: str, stop: str = "", owner: str | None = None) -> WatchRecord:
    """A record read back; ``StoreError`` when it is not one. A record without a language (written
    before watches kept one) or with one this version does not know speaks English; one without
    regions (written before watches probed regions) probes from here only."""
    try:
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("not an object")
        data["language"] = language_of(data.get("language")) or "en"
        for name in ("regions", "region_states"):  # written before watches probed regions
            data.setdefault(name, None)
        if set(data) != _RECORD_FIELDS:
            raise ValueError("unexpected fields")
        record = WatchRecord(**data)
        if stop:
            record.stop, record.stopped_by = _stop_of(stop)
    except (ValueError, TypeError, RecursionError) as exc:
        raise StoreError(f"a watch record does not read back: {exc}") from None
    record.owner = owner or None
    return record


class RedisWatches:
    shared = True

    def __init__(
        self, client: aioredis.Redis, prefix: str, *, lease: float, ttl: int = WATCH_TTL
    ) -> None:
        self._client = client
        self._keys = [f"{prefix}:{name}" for name in ("watches", "watch-owner", "watch-lease")]
        self._keys.append(f"{prefix}:watch-stop")
        self.lease = lease
        self._ttl_ms = ttl * 1000
        self._open = client.register_script(_OPEN)
        self._commit = client.register_script(_COMMIT)
        self._stop = client.register_script(_STOP)
        self._close = client.register_script(_CLOSE)
        self._renew = client.register_script(_RENEW)
        self._claim = client.register_script(_CLAIM)
        self._release = client.register_script(_RELEASE)
        self._restore = client.register_script(_RESTORE)

    async def _limits(
        self, record_id: str, record: str, fields: Sequence[str], limits: WatchLimits, owner: str
    ) -> Refused | None:
        answer: list[Any] = await self._open(
            keys=self._keys,
            args=[
                record_id,
                record,
                *fields,
                limits.per_user,
                limits.per_channel,
                limits.total,
                owner,
                _ms(self.lease),
                self._ttl_ms,
            ],
        )
        reason = str(answer[0])
        if reason == "ok":
            return None
        if reason == "duplicate":
            return Refused("duplicate", record_of(str(answer[1])))
        if reason in ("per_user", "per_channel", "total"):
            return Refused(reason)  # type: ignore[arg-type]  # checked just above
        raise StoreError(f"unexpected answer to a watch check: {reason[:40]}")

    async def check(
        self,
        *,
        url: str,
        user: str,
        channel: str,
        thread: str | None,
        limits: WatchLimits,
    ) -> Refused | None:
        return await self._limits("", "", (url, user, channel, thread or ""), limits, "")

    async def open(self, record: WatchRecord, *, limits: WatchLimits, owner: str) -> Refused | None:
        fields = (record.url, record.user, record.channel, record.thread)
        return await self._limits(record.id, record_json(record), fields, limits, owner)

    async def get(self, watch_id: str) -> WatchRecord | None:
        async with self._client.pipeline(transaction=False) as pipe:
            pipe.hget(self._keys[0], watch_id)
            pipe.hget(self._keys[3], watch_id)
            pipe.hget(self._keys[1], watch_id)
            raw, stop, owner = await pipe.execute()
        return None if raw is None else record_of(raw, stop or "", owner)

    async def all(self) -> list[WatchRecord]:
        async with self._client.pipeline(transaction=False) as pipe:
            pipe.hgetall(self._keys[0])
            pipe.hgetall(self._keys[3])
            pipe.hgetall(self._keys[1])
            records, stops, owners = await pipe.execute()
        found = [record_of(raw, stops.get(i, ""), owners.get(i)) for i, raw in records.items()]
        return sorted(found, key=lambda r: r.started)

    async def commit(self, record: WatchRecord, *, owner: str) -> bool:
        args: list[str | int] = [record.id, owner, record_json(record), record.step]
        args += [_ms(self.lease), self._ttl_ms]
        return bool(int(await self._commit(keys=self._keys, args=args)))

    async def stop(self, watch_id: str, reason: WatchEnd, by: str | None) -> bool:
        stop = json.dumps([reason, by])
        return bool(int(await self._stop(keys=self._keys, args=[watch_id, stop])))

    async def close(self, watch_id: str, *, owner: str) -> None:
        await self._close(keys=self._keys, args=[watch_id, owner])

    def forget(self, watch_id: str, *, owner: str) -> None:
        """Nothing to do: the lease is no longer renewed, so another replica takes the watch."""

    async def renew(self, watch_ids: Sequence[str], *, owner: str) -> Renewal:
        if not watch_ids:
            return Renewal()
        answer: list[Any] = await self._renew(
            keys=self._keys, args=[owner, _ms(self.lease), *watch_ids]
        )
        lost: set[str] = set()
        stopping: dict[str, tuple[WatchEnd, str | None]] = {}
        for i in range(0, len(answer), 3):
            watch_id, status, stop = str(answer[i]), str(answer[i + 1]), str(answer[i + 2])
            if status != "ok":
                lost.add(watch_id)
            elif stop:
                try:
                    stopping[watch_id] = _stop_of(stop)
                except (ValueError, TypeError, RecursionError):
                    log.warning("watch %s: an unreadable stop request was ignored", watch_id)
        return Renewal(lost=frozenset(lost), stopping=stopping)

    async def claim(self, *, owner: str) -> list[WatchRecord]:
        answer: list[Any] = await self._claim(
            keys=self._keys, args=[owner, _ms(self.lease), self._ttl_ms]
        )
        return [
            record_of(str(answer[i]), str(answer[i + 1]), owner) for i in range(0, len(answer), 2)
        ]

    async def release(self, watch_ids: Sequence[str], *, owner: str) -> None:
        if watch_ids:
            await self._release(keys=self._keys, args=[owner, *watch_ids])

    async def restore(self, record: WatchRecord, *, owner: str) -> bool:
        args: list[str | int] = [record.id, owner, record_json(record)]
        args += [_ms(self.lease), self._ttl_ms]
        return bool(int(await self._restore(keys=self._keys, args=args)))
