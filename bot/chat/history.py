"""Each user's recent probes, kept in memory for the App Home tab.

Bounded in users, in probes per user and in the length of what each probe keeps (URLs are cut to
``MAX_URL_KEPT`` characters; the Home tab shows far fewer): at the defaults at most 5,000 users x
10 probes x about 1 KB, some 50 MB in the worst case, usually a small fraction of that.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, replace
from datetime import datetime

MAX_URL_KEPT = 300  # characters of a probed URL kept for the Home tab (which shows about 80)


@dataclass(frozen=True, slots=True)
class RecentProbe:
    url: str
    at: datetime  # UTC, when the probe started
    status: int | None  # HTTP status of the public URL, None when no response came back
    code: int | None  # the EdgeOne code the diagnosis named
    fault: str  # side at fault: origin, edge, network, dns, client, none
    verdict: str  # one line, e.g. "522: fault at the network path"
    channel: str  # where the diagnosis was posted
    thread: str | None = None  # the thread it was posted in


class History:
    """The last ``per_user`` probes of the last ``max_users`` users who probed (newest first)."""

    def __init__(self, *, per_user: int = 10, max_users: int = 5000) -> None:
        self._per_user = per_user
        self._max_users = max_users
        self._items: OrderedDict[str, deque[RecentProbe]] = OrderedDict()

    def add(self, user: str, item: RecentProbe) -> None:
        if not user:
            return
        if len(item.url) > MAX_URL_KEPT:
            item = replace(item, url=item.url[: MAX_URL_KEPT - 1] + "…")
        items = self._items.pop(user, None) or deque(maxlen=self._per_user)
        items.appendleft(item)
        self._items[user] = items
        while len(self._items) > self._max_users:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        """Users remembered."""
        return len(self._items)

    def recent(self, user: str, limit: int | None = None) -> list[RecentProbe]:
        items = list(self._items.get(user, ()))
        return items if limit is None else items[:limit]
