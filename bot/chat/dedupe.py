"""Remember what was already handled, for a while.

Slack redelivers an event it thinks was not acknowledged (``X-Slack-Retry-Num``), and one message
can arrive both as ``app_mention`` and as ``message.*``. Handlers ask ``first(key)`` with the
event id, and with ``(channel, ts)``, and act only on the first sighting.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable


class Seen:
    """A bounded set of keys that forgets each key ``ttl`` seconds after it was added."""

    def __init__(
        self,
        *,
        ttl: float = 600.0,
        max_size: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl
        self._max = max_size
        self._clock = clock
        self._keys: OrderedDict[Hashable, float] = OrderedDict()

    def first(self, key: Hashable) -> bool:
        """True the first time ``key`` is seen within ``ttl``; records it either way."""
        now = self._clock()
        self._expire(now)
        if key in self._keys:
            return False
        self._keys[key] = now + self._ttl
        while len(self._keys) > self._max:
            self._keys.popitem(last=False)
        return True

    def __len__(self) -> int:
        self._expire(self._clock())
        return len(self._keys)

    def _expire(self, now: float) -> None:
        while self._keys:
            key, expires = next(iter(self._keys.items()))
            if expires > now:
                break
            del self._keys[key]
