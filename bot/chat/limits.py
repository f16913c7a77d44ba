"""Per-user probe rate limit and a global cap on probes running at once.

Both answer immediately (no queueing): a refused probe gets a friendly message saying when to try
again, so one busy user cannot starve the others and the bot never piles up work.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable


class RateLimiter:
    """At most ``count`` probes per user in any ``window`` seconds (sliding window)."""

    def __init__(
        self, count: int, window: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.count = count
        self.window = window
        self._clock = clock
        self._hits: defaultdict[str, deque[float]] = defaultdict(deque)

    def acquire(self, user: str) -> float | None:
        """Record a probe for ``user`` and return None, or return the seconds to wait."""
        now = self._clock()
        hits = self._hits[user]
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) >= self.count:
            return max(hits[0] + self.window - now, 0.1)
        hits.append(now)
        return None


class ConcurrencyCap:
    """At most ``limit`` probes at once; ``try_enter()`` is False when the cap is reached."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.running = 0

    def try_enter(self) -> bool:
        if self.running >= self.limit:
            return False
        self.running += 1
        return True

    def leave(self) -> None:
        self.running = max(self.running - 1, 0)
