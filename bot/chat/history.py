"""Each user's recent probes and the language they last asked in, kept in memory for the App Home
tab.

Bounded in users, in probes per user and in the length of what each probe keeps (URLs are cut to
``MAX_URL_KEPT`` characters; the Home tab shows far fewer): at the defaults at most 5,000 users x
10 probes x about 1 KB, some 50 MB in the worst case, usually a small fraction of that. The
languages are one short entry per user, for at most as many users.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, replace
from datetime import datetime

from bot.i18n.language import Language

MAX_URL_KEPT = 300  # characters of a probed URL kept for the Home tab (which shows about 80)


@dataclass(frozen=True, slots=True)
class RecentProbe:
    url: str
    at: datetime  # UTC, when the probe started
    status: int | None  # HTTP status of the public URL, None when no response came back
    code: int | None  # the EdgeOne code the diagnosis named
    fault: str  # side at fault: origin, edge, network, dns, client, none
    channel: str  # where the diagnosis was posted
    thread: str | None = None  # the thread it was posted in
    language: Language = "en"  # the language of the conversation it was asked in


class History:
    """The last ``per_user`` probes of the last ``max_users`` users who probed (newest first), and
    the language each user last spoke to the bot in (for the App Home tab)."""

    def __init__(self, *, per_user: int = 10, max_users: int = 5000) -> None:
        self._per_user = per_user
        self._max_users = max_users
        self._items: OrderedDict[str, deque[RecentProbe]] = OrderedDict()
        self._languages: OrderedDict[str, Language] = OrderedDict()

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

    def spoke(self, user: str, language: Language) -> None:
        """``user`` just asked something in ``language``."""
        if not user:
            return
        self._languages.pop(user, None)
        self._languages[user] = language
        while len(self._languages) > self._max_users:
            self._languages.popitem(last=False)

    def language(self, user: str) -> Language | None:
        """The language ``user`` last asked in, or None when they have not asked lately."""
        return self._languages.get(user)

    def __len__(self) -> int:
        """Users remembered."""
        return len(self._items)

    def recent(self, user: str, limit: int | None = None) -> list[RecentProbe]:
        items = list(self._items.get(user, ()))
        return items if limit is None else items[:limit]
