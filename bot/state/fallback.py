"""Redis with this replica's memory behind it: a fleet keeps answering when Redis is lost.

Every Redis call goes through one ``Link``: it may take at most ``timeout`` seconds, and a failure
(refused, reset, timed out) switches the link to *degraded*: one warning line says so and why,
``/healthz`` reports it (still 200: the replica serves), and from then on every part answers
from its local memory at once, without trying Redis, until the link's own check
(``Link.check``, every ``RETRY_EVERY`` seconds) finds Redis back. Then the watches this replica
kept running are written back (``FallbackWatches.resync``) and one line says it recovered.

While Redis answers, the local memory is kept warm where it matters after a switch: events and
messages already seen (so a redelivery during the outage is still recognised), recent probes, the
language each user last asked in, and this replica's own watches (so they go on, and can be put
back).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from redis.exceptions import RedisError

from bot.chat.history import RecentProbe
from bot.i18n.language import Language
from bot.state.base import Refused, Renewal, Slot, StoreError, WatchEnd, WatchLimits, WatchRecord
from bot.state.memory import ConcurrencyCap, History, MemoryWatches, RateLimiter, Seen
from bot.state.redis import RedisCap, RedisHistory, RedisRateLimiter, RedisSeen, RedisWatches

log = logging.getLogger(__name__)
T = TypeVar("T")

RETRY_EVERY = 1.0  # seconds between two checks of a lost Redis
FAILURES = (RedisError, OSError, TimeoutError, StoreError)


class Link:
    """Whether Redis answers; every part of one state shares it."""

    def __init__(
        self,
        ping: Callable[[], Awaitable[object]],
        *,
        where: str,
        timeout: float,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        self._ping = ping
        self.where = where
        self.timeout = timeout
        self.reason: str | None = None  # why Redis is not used now; None while it answers
        self.since: float | None = None
        self._on_error = on_error
        self._resyncs: list[Callable[[], Awaitable[None]]] = []

    @property
    def degraded(self) -> bool:
        return self.reason is not None

    def on_recovery(self, resync: Callable[[], Awaitable[None]]) -> None:
        self._resyncs.append(resync)

    async def call(self, op: str, work: Callable[[], Awaitable[T]]) -> T:
        """``work()`` within the timeout; ``StoreError`` when Redis is degraded or fails now."""
        if self.reason is not None:
            raise StoreError(self.reason)
        try:
            async with asyncio.timeout(self.timeout):
                return await work()
        except FAILURES as exc:
            if self._on_error is not None:
                self._on_error(op)
            self.lost(f"{op}: {_words(exc)}")
            raise StoreError(str(self.reason)) from None

    def lost(self, reason: str) -> None:
        if self.reason is None:
            self.reason, self.since = f"Redis at {self.where}: {reason}", time.monotonic()
            log.warning("%s; answering from this replica's memory until Redis is back", self.reason)

    async def check(self) -> bool:
        """When degraded: is Redis back? If so, resynchronise and leave degraded mode."""
        if self.reason is None:
            return True
        try:
            async with asyncio.timeout(self.timeout * 4):
                await self._ping()
                for resync in self._resyncs:
                    await resync()
        except FAILURES:
            return False
        lasted = time.monotonic() - (self.since or time.monotonic())
        self.reason = self.since = None
        log.warning(
            "Redis at %s answers again after %.1f s; shared state resynchronised",
            self.where,
            lasted,
        )
        return True

    async def watch(self) -> None:
        """Check a lost Redis every ``RETRY_EVERY`` seconds, until cancelled."""
        while True:
            await asyncio.sleep(RETRY_EVERY)
            await self.check()


def _words(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError) and not str(exc):
        return "timed out"
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:160]


class FallbackSeen:
    def __init__(self, shared: RedisSeen, local: Seen, link: Link) -> None:
        self._shared, self._local, self._link = shared, local, link

    async def first(self, key: str) -> bool:
        local = await self._local.first(key)
        try:
            return await self._link.call("dedupe", lambda: self._shared.first(key))
        except StoreError:
            return local


class FallbackRate:
    def __init__(self, shared: RedisRateLimiter, local: RateLimiter, link: Link) -> None:
        self._shared, self._local, self._link = shared, local, link
        self.count, self.window = shared.count, shared.window

    async def acquire(self, key: str) -> float | None:
        try:
            return await self._link.call("rate limit", lambda: self._shared.acquire(key))
        except StoreError:
            return await self._local.acquire(key)


class FallbackCap:
    def __init__(self, shared: RedisCap, local: ConcurrencyCap, link: Link) -> None:
        self._shared, self._local, self._link = shared, local, link
        self.limit, self.watch_limit = shared.limit, shared.watch_limit

    @property
    def running(self) -> int:
        """Slots this replica holds, in Redis and locally."""
        return self._shared.running + self._local.running

    async def take(self) -> Slot | None:
        try:
            return await self._link.call("probe cap", self._shared.take)
        except StoreError:
            return self._local.take_now()

    async def take_for_watch(self) -> Slot | None:
        try:
            return await self._link.call("probe cap", self._shared.take_for_watch)
        except StoreError:
            return self._local.take_now("watch")

    async def renew(self) -> None:
        with contextlib.suppress(StoreError):
            await self._link.call("probe cap", self._shared.renew)


class FallbackHistory:
    def __init__(self, shared: RedisHistory, local: History, link: Link) -> None:
        self._shared, self._local, self._link = shared, local, link

    async def add(self, user: str, item: RecentProbe) -> None:
        await self._local.add(user, item)
        with contextlib.suppress(StoreError):
            await self._link.call("recent probes", lambda: self._shared.add(user, item))

    async def recent(self, user: str, limit: int | None = None) -> list[RecentProbe]:
        try:
            return await self._link.call("recent probes", lambda: self._shared.recent(user, limit))
        except StoreError:
            return await self._local.recent(user, limit)

    async def spoke(self, user: str, language: Language) -> None:
        await self._local.spoke(user, language)
        with contextlib.suppress(StoreError):
            await self._link.call("languages", lambda: self._shared.spoke(user, language))

    async def language(self, user: str) -> Language | None:
        try:
            return await self._link.call("languages", lambda: self._shared.language(user))
        except StoreError:
            return await self._local.language(user)


class FallbackWatches:
    """The fleet's watches in Redis; this replica's own watches mirrored in memory."""

    shared = True

    def __init__(self, shared: RedisWatches, link: Link, *, owner: str) -> None:
        self._shared, self._link = shared, link
        self._local = MemoryWatches()
        self._owner = owner
        link.on_recovery(self.resync)

    async def _call(self, op: str, work: Callable[[], Awaitable[T]]) -> T:
        return await self._link.call(f"watches ({op})", work)

    async def check(
        self,
        *,
        url: str,
        user: str,
        channel: str,
        thread: str | None,
        limits: WatchLimits,
    ) -> Refused | None:
        def work() -> Awaitable[Refused | None]:
            return self._shared.check(
                url=url, user=user, channel=channel, thread=thread, limits=limits
            )

        try:
            return await self._call("check", work)
        except StoreError:
            return await self._local.check(
                url=url, user=user, channel=channel, thread=thread, limits=limits
            )

    async def open(self, record: WatchRecord, *, limits: WatchLimits, owner: str) -> Refused | None:
        try:
            refused = await self._call(
                "open", lambda: self._shared.open(record, limits=limits, owner=owner)
            )
        except StoreError:
            return await self._local.open(record, limits=limits, owner=owner)
        if refused is None:
            await self._local.restore(record, owner=owner)
        return refused

    async def get(self, watch_id: str) -> WatchRecord | None:
        try:
            return await self._call("get", lambda: self._shared.get(watch_id))
        except StoreError:
            return await self._local.get(watch_id)

    async def all(self) -> list[WatchRecord]:
        try:
            return await self._call("list", self._shared.all)
        except StoreError:
            return await self._local.all()

    async def commit(self, record: WatchRecord, *, owner: str) -> bool:
        try:
            done = await self._call("commit", lambda: self._shared.commit(record, owner=owner))
        except StoreError:
            return await self._local.commit(record, owner=owner)
        if done:
            await self._local.restore(record, owner=owner)
        else:
            self._local.forget(record.id, owner=owner)
        return done

    async def stop(self, watch_id: str, reason: WatchEnd, by: str | None) -> bool:
        local = await self._local.stop(watch_id, reason, by)
        try:
            return await self._call("stop", lambda: self._shared.stop(watch_id, reason, by))
        except StoreError:
            return local

    async def close(self, watch_id: str, *, owner: str) -> None:
        await self._local.close(watch_id, owner=owner)
        # If this fails, the record ended: a replica that takes it over only retires its message.
        with contextlib.suppress(StoreError):
            await self._call("close", lambda: self._shared.close(watch_id, owner=owner))

    def forget(self, watch_id: str, *, owner: str) -> None:
        self._local.forget(watch_id, owner=owner)

    async def renew(self, watch_ids: Sequence[str], *, owner: str) -> Renewal:
        try:
            renewal = await self._call("renew", lambda: self._shared.renew(watch_ids, owner=owner))
        except StoreError:
            return await self._local.renew(watch_ids, owner=owner)
        for watch_id in renewal.lost:
            self._local.forget(watch_id, owner=owner)
        for watch_id, (reason, by) in renewal.stopping.items():
            await self._local.stop(watch_id, reason, by)
        return renewal

    async def claim(self, *, owner: str) -> list[WatchRecord]:
        try:
            taken = await self._call("claim", lambda: self._shared.claim(owner=owner))
        except StoreError:
            return []  # nothing to take over while the fleet's watches are out of reach
        for record in taken:
            await self._local.restore(record, owner=owner)
        return taken

    async def release(self, watch_ids: Sequence[str], *, owner: str) -> None:
        await self._local.release(watch_ids, owner=owner)
        # If this fails, their leases run out: another replica takes them a little later.
        with contextlib.suppress(StoreError):
            await self._call("release", lambda: self._shared.release(watch_ids, owner=owner))

    async def restore(self, record: WatchRecord, *, owner: str) -> bool:
        return await self._shared.restore(record, owner=owner)

    async def resync(self) -> None:
        """Redis is back: put back the watches this replica kept running. One that another
        replica holds now is dropped here (the next renewal tells its loop to stop quietly)."""
        for record in await self._local.all():
            if record.owner != self._owner:
                continue
            if not await self._shared.restore(record, owner=self._owner):
                self._local.forget(record.id, owner=self._owner)
