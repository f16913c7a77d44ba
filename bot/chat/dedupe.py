"""Remember what was already handled, for a while.

Slack redelivers an event it thinks was not acknowledged (``X-Slack-Retry-Num``), and one message
can arrive both as ``app_mention`` and as ``message.*``. Handlers ask ``first(key)`` with the
event id, and with ``(channel, ts)``, and act only on the first sighting.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable

from cachetools import TTLCache


class Seen:
    """A set of keys that forgets each key ``ttl`` seconds after it was added.

    Bounded: at most ``max_size`` keys (a few hundred bytes each, ~3 MB at the default); past
    that the oldest are forgotten early. Slack stops redelivering an event after a few minutes,
    so only a flood of more than ``max_size`` events within ``ttl`` could let a late redelivery
    through twice.
    """

    def __init__(
        self,
        *,
        ttl: float = 600.0,
        max_size: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._keys: TTLCache[Hashable, bool] = TTLCache(maxsize=max_size, ttl=ttl, timer=clock)

    def first(self, key: Hashable) -> bool:
        """True the first time ``key`` is seen within ``ttl``; records it then."""
        if key in self._keys:
            return False
        self._keys[key] = True
        return True

    def __len__(self) -> int:
        self._keys.expire()
        return len(self._keys)
