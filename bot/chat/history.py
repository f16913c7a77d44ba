"""One of a user's recent probes, as the App Home tab lists them.

The stores of ``bot.state`` keep them (in memory, or in Redis for a fleet), with the language each
user last asked in, bounded in users, in probes per user and in the length of what each probe
keeps: URLs are cut to ``MAX_URL_KEPT`` characters (the Home tab shows about 80).
"""

from __future__ import annotations

from dataclasses import dataclass
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
