"""Per-user probe rate limit and a global cap on probes running at once.

Both answer immediately (no queueing): a refused probe gets a friendly message saying when to try
again, so one busy user cannot starve the others and the bot never piles up work.

A place in the cap is a ``Slot`` with one owner at a time. Whoever takes it either runs the probe
or hands the slot to the task that will (``hand_over``); ``release`` may be called any number of
times, and ``with slot:`` releases it on the way out unless it was handed over. So whatever fails
between taking a slot and finishing the probe (posting a reply, opening a thread, spawning the
task, the task being cancelled before it starts), the place comes back.

Watch rounds come from a share of the same cap (``watch_limit``, half of it by default) that never
covers all of it, so watches of slow targets cannot starve everyone else's probes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType
from typing import Literal

from cachetools import TTLCache

Pool = Literal["probe", "watch"]


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

    def acquire(self, key: str) -> float | None:
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


class Slot:
    """One place in a ``ConcurrencyCap``, with one owner at a time (see the module docstring)."""

    __slots__ = ("_cap", "_handed", "_held", "pool")

    def __init__(self, cap: ConcurrencyCap, pool: Pool) -> None:
        self._cap = cap
        self.pool: Pool = pool
        self._held = True
        self._handed = False

    @property
    def held(self) -> bool:
        return self._held

    def release(self) -> None:
        """Give the place back; any later call does nothing."""
        if self._held:
            self._held = False
            self._cap._give_back(self.pool)

    def hand_over(self) -> None:
        """The new owner (a task) releases it from now on; ``with`` here no longer does."""
        self._handed = True

    def __enter__(self) -> Slot:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._handed:
            self.release()


class ConcurrencyCap:
    """At most ``limit`` probes at once, for everyone; watch rounds hold at most ``watch_limit``.

    ``watch_limit`` defaults to half the cap and is kept below the whole cap (except for a cap of
    1, where watches would otherwise never run), so people asking for probes always find room that
    watches cannot take.
    """

    def __init__(self, limit: int, *, watch_limit: int | None = None) -> None:
        self.limit = limit
        share = limit // 2 if watch_limit is None else watch_limit
        self.watch_limit = max(1, min(share, limit - 1))
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

    def take(self) -> Slot | None:
        """A slot for a probe someone asked for, or None when the cap is reached."""
        if self._running >= self.limit:
            return None
        self._running += 1
        return Slot(self, "probe")

    def take_for_watch(self) -> Slot | None:
        """A slot for a watch round, or None when the cap or the watches' share is reached."""
        if self._running >= self.limit or self._watching >= self.watch_limit:
            return None
        self._running += 1
        self._watching += 1
        return Slot(self, "watch")

    def _give_back(self, pool: Pool) -> None:
        self._running = max(self._running - 1, 0)
        if pool == "watch":
            self._watching = max(self._watching - 1, 0)
