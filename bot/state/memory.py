"""The state of one process, in its memory: the default, and the fallback behind Redis.

Every table is bounded (a size cap, an expiry, or both), so no input can grow the process without
limit. The operations are async only to fit the protocols of ``bot.state.base``; none of them
waits for anything.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable, Sequence
from dataclasses import replace

from cachetools import TTLCache

from bot.chat.history import MAX_URL_KEPT, RecentProbe
from bot.i18n.language import Language
from bot.state.base import (
    Pool,
    Refused,
    Renewal,
    Slot,
    WatchEnd,
    WatchLimits,
    WatchRecord,
)


class Seen:
    """A set of keys that forgets each key ``ttl`` seconds after it was added.

    Slack redelivers an event it thinks was not acknowledged (``X-Slack-Retry-Num``), and one
    message can arrive both as ``app_mention`` and as ``message.*``: handlers act only on the
    first sighting. Bounded: at most ``max_size`` keys (a few hundred bytes each, ~3 MB at the
    default); past that the oldest are forgotten early. Slack stops redelivering an event after a
    few minutes, so only a flood of more than ``max_size`` events within ``ttl`` could let a late
    redelivery through twice.
    """

    def __init__(
        self,
        *,
        ttl: float = 600.0,
        max_size: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self._keys: TTLCache[Hashable, bool] = TTLCache(maxsize=max_size, ttl=ttl, timer=clock)

    async def first(self, key: Hashable) -> bool:
        """True the first time ``key`` is seen within ``ttl``; records it then."""
        if key in self._keys:
            return False
        self._keys[key] = True
        return True

    def __len__(self) -> int:
        self._keys.expire()
        return len(self._keys)


class RateLimiter:
    """At most ``count`` probes per key (a user, an alert channel) in any ``window`` seconds.

    A sliding window. A key is forgotten ``window`` seconds after its last probe, when none of its
    probes counts any more, so the table holds only keys that probed within the last window, and
    never more than ``max_keys`` of them (about 330 bytes each: at most ~3.5 MB at the default).
    Past that the least recently used key is forgotten early, which can only give that key its
    budget back sooner, never refuse anyone.
    """

    def __init__(
        self,
        count: int,
        window: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ) -> None:
        self.count = count
        self.window = window
        self._clock = clock
        # Each value is the key's probe times in the window, oldest first. Setting a key restarts
        # its time to live, so it expires exactly when its newest probe leaves the window.
        self._hits: TTLCache[str, tuple[float, ...]] = TTLCache(
            maxsize=max_keys, ttl=window, timer=clock
        )

    async def acquire(self, key: str) -> float | None:
        """Record a probe for ``key`` and return None, or return the seconds to wait."""
        now = self._clock()
        hits = tuple(t for t in self._hits.get(key, ()) if t > now - self.window)
        if len(hits) >= self.count:
            return max(hits[0] + self.window - now, 0.1)
        self._hits[key] = (*hits, now)
        return None

    def __len__(self) -> int:
        """Keys still remembered (expired ones are dropped first)."""
        self._hits.expire()
        return len(self._hits)


class ConcurrencyCap:
    """At most ``limit`` probes at once, for everyone; watch rounds hold at most ``watch_limit``.

    ``watch_limit`` defaults to half the cap and is kept below the whole cap (except for a cap of
    1, where watches would otherwise never run), so people asking for probes always find room that
    watches cannot take.
    """

    def __init__(self, limit: int, *, watch_limit: int | None = None) -> None:
        self.limit = limit
        self.watch_limit = watch_share(limit, watch_limit)
        self._running = 0
        self._watching = 0

    @property
    def running(self) -> int:
        """Probes running now (watch rounds included)."""
        return self._running

    @property
    def watching(self) -> int:
        """Watch rounds running now."""
        return self._watching

    async def take(self) -> Slot | None:
        return self.take_now()

    async def take_for_watch(self) -> Slot | None:
        return self.take_now("watch")

    def take_now(self, pool: Pool = "probe") -> Slot | None:
        """``take`` or ``take_for_watch`` without a coroutine (the fallback's own use)."""
        if self._running >= self.limit:
            return None
        if pool == "watch":
            if self._watching >= self.watch_limit:
                return None
            self._watching += 1
        self._running += 1
        return Slot(lambda: self._give_back(pool), pool)

    def _give_back(self, pool: Pool) -> None:
        self._running = max(self._running - 1, 0)
        if pool == "watch":
            self._watching = max(self._watching - 1, 0)


def watch_share(limit: int, asked: int | None) -> int:
    """The watches' share of a cap of ``limit``: half by default, never all of it (but >= 1)."""
    share = limit // 2 if asked is None else asked
    return max(1, min(share, limit - 1))


class History:
    """The last ``per_user`` probes of the last ``max_users`` users who probed (newest first), and
    the language each user last spoke to the bot in (for the App Home tab).

    Bounded in users, in probes per user and in the length of what each probe keeps (URLs are cut
    to ``MAX_URL_KEPT`` characters; the Home tab shows far fewer): at the defaults at most 5,000
    users x 10 probes x about 1 KB, some 50 MB in the worst case, usually a small fraction. The
    languages are one short entry per user, for at most as many users.
    """

    def __init__(self, *, per_user: int = 10, max_users: int = 5000) -> None:
        self._per_user = per_user
        self._max_users = max_users
        self._items: OrderedDict[str, deque[RecentProbe]] = OrderedDict()
        self._languages: OrderedDict[str, Language] = OrderedDict()

    async def add(self, user: str, item: RecentProbe) -> None:
        if not user:
            return
        if len(item.url) > MAX_URL_KEPT:
            item = replace(item, url=item.url[: MAX_URL_KEPT - 1] + "…")
        items = self._items.pop(user, None) or deque(maxlen=self._per_user)
        items.appendleft(item)
        self._items[user] = items
        while len(self._items) > self._max_users:
            self._items.popitem(last=False)

    async def spoke(self, user: str, language: Language) -> None:
        """``user`` just asked something in ``language``."""
        if not user:
            return
        self._languages.pop(user, None)
        self._languages[user] = language
        while len(self._languages) > self._max_users:
            self._languages.popitem(last=False)

    async def language(self, user: str) -> Language | None:
        """The language ``user`` last asked in, or None when they have not asked lately."""
        return self._languages.get(user)

    def __len__(self) -> int:
        """Users remembered."""
        return len(self._items)

    async def recent(self, user: str, limit: int | None = None) -> list[RecentProbe]:
        items = list(self._items.get(user, ()))
        return items if limit is None else items[:limit]


def refusal(
    records: Sequence[WatchRecord],
    *,
    url: str,
    user: str,
    channel: str,
    thread: str | None,
    limits: WatchLimits,
) -> Refused | None:
    """The limit a new watch would break among ``records`` (the same checks as the Lua script of
    ``bot.state.redis``); watches whose end was told no longer count."""
    records = [r for r in records if not r.ended]
    for record in records:
        if (record.channel, record.thread, record.url) == (channel, thread, url):
            return Refused("duplicate", replace(record))
    if sum(1 for r in records if r.user == user) >= limits.per_user:
        return Refused("per_user")
    if sum(1 for r in records if r.channel == channel) >= limits.per_channel:
        return Refused("per_channel")
    if len(records) >= limits.total:
        return Refused("total")
    return None


class MemoryWatches:
    """The watches of one process. Bounded by the limits ``open`` enforces.

    Leases never expire here (one process owns everything it runs); ``release`` marks a watch as
    handed over, and ``claim`` takes such watches back.
    """

    shared = False

    def __init__(self) -> None:
        self._records: dict[str, WatchRecord] = {}

    def __len__(self) -> int:
        return len(self._records)

    async def check(
        self,
        *,
        url: str,
        user: str,
        channel: str,
        thread: str | None,
        limits: WatchLimits,
    ) -> Refused | None:
        return refusal(
            list(self._records.values()),
            url=url,
            user=user,
            channel=channel,
            thread=thread,
            limits=limits,
        )

    async def open(self, record: WatchRecord, *, limits: WatchLimits, owner: str) -> Refused | None:
        refused = await self.check(
            url=record.url,
            user=record.user,
            channel=record.channel,
            thread=record.thread,
            limits=limits,
        )
        if refused is None:
            self._records[record.id] = replace(record, owner=owner)
        return refused

    async def get(self, watch_id: str) -> WatchRecord | None:
        record = self._records.get(watch_id)
        return None if record is None else replace(record)

    async def all(self) -> list[WatchRecord]:
        return [replace(r) for r in self._records.values()]

    async def commit(self, record: WatchRecord, *, owner: str) -> bool:
        stored = self._records.get(record.id)
        if stored is None or stored.owner != owner or record.step <= stored.step:
            return False
        self._records[record.id] = replace(
            record, owner=owner, stop=stored.stop, stopped_by=stored.stopped_by
        )
        return True

    async def stop(self, watch_id: str, reason: WatchEnd, by: str | None) -> bool:
        stored = self._records.get(watch_id)
        if stored is None or stored.ended:
            return False
        if stored.stop is None:
            stored.stop, stored.stopped_by = reason, by
        return True

    async def close(self, watch_id: str, *, owner: str) -> None:
        self.forget(watch_id, owner=owner)

    def forget(self, watch_id: str, *, owner: str) -> None:
        stored = self._records.get(watch_id)
        if stored is not None and stored.owner in (owner, None):
            del self._records[watch_id]

    async def renew(self, watch_ids: Sequence[str], *, owner: str) -> Renewal:
        lost = frozenset(
            i for i in watch_ids if i not in self._records or self._records[i].owner != owner
        )
        stopping = {
            i: (r.stop, r.stopped_by)
            for i in watch_ids
            if (r := self._records.get(i)) is not None and r.stop is not None
        }
        return Renewal(lost=lost, stopping=stopping)

    async def claim(self, *, owner: str) -> list[WatchRecord]:
        taken = []
        for record in self._records.values():
            if record.owner is None:
                record.owner = owner
                taken.append(replace(record))
        return taken

    async def release(self, watch_ids: Sequence[str], *, owner: str) -> None:
        for watch_id in watch_ids:
            stored = self._records.get(watch_id)
            if stored is not None and stored.owner == owner:
                stored.owner = None

    async def restore(self, record: WatchRecord, *, owner: str) -> bool:
        self._records[record.id] = replace(record, owner=owner)
        return True
