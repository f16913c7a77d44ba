"""Each user's recent probes, kept in memory for the App Home tab (bounded in users and items)."""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass
from datetime import datetime


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
        items = self._items.pop(user, None) or deque(maxlen=self._per_user)
        items.appendleft(item)
        self._items[user] = items
        while len(self._items) > self._max_users:
            self._items.popitem(last=False)

    def recent(self, user: str, limit: int | None = None) -> list[RecentProbe]:
        items = list(self._items.get(user, ()))
        return items if limit is None else items[:limit]
