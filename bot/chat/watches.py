"""Watches: a URL re-probed on a bounded schedule until it recovers, is cancelled or runs out.

This module keeps the book of running watches and enforces the limits (per user, per channel,
in all); the loop that probes and posts lives in ``bot.chat.watching``. Watches live in this
process's memory: a restart stops them, and they are told so in their thread. A watch speaks the
language it was started in (its request's), whoever cancels it.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from bot.chat.replies import ProbeOutcome, ProbeRequest
from bot.chat.snapshot import Snapshot
from bot.chat.words import probes, span
from bot.i18n.catalogue import plural, texts
from bot.i18n.language import Language

StopReason = Literal["cancelled", "shutdown"]


@dataclass(frozen=True, slots=True)
class WatchSettings:
    interval: float = 30.0  # seconds between two probes of a watch
    default_duration: float = 30 * 60.0
    min_duration: float = 60.0
    max_duration: float = 2 * 3600.0
    per_user: int = 3
    per_channel: int = 5
    total: int = 50
    # Consecutive probes that crash (not: that find the site down) before a watch gives up.
    max_errors: int = 3

    def clamp(self, asked: float | None, language: Language = "en") -> tuple[float, str | None]:
        """The duration to use, and a note when the asked one was out of bounds."""
        _ = texts(language)
        if asked is None:
            return self.default_duration, None
        if asked < self.min_duration:
            note = _("the shortest watch is {duration}")
            return self.min_duration, note.format(duration=span(self.min_duration, language))
        if asked > self.max_duration:
            note = _("the longest watch is {duration}")
            return self.max_duration, note.format(duration=span(self.max_duration, language))
        return asked, None


@dataclass(slots=True)
class Watch:
    id: str
    request: ProbeRequest
    user: str
    channel: str
    thread: str
    duration: float
    interval: float
    started: float = field(default_factory=time.monotonic)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    last: Snapshot | None = None
    probes: int = 0
    errors: int = 0
    first: ProbeOutcome | None = None  # the first diagnosis, re-rendered when the watch ends
    first_ref: str | None = None  # its message
    stop_reason: StopReason | None = None  # set once told to stop
    stopped_by: str | None = None
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None

    @property
    def until(self) -> datetime:
        return self.started_at + timedelta(seconds=self.duration)

    def time_left(self, now: Callable[[], float] = time.monotonic) -> float:
        return self.started + self.duration - now()

    @property
    def language(self) -> Language:
        return self.request.language

    def stop(self, reason: StopReason, by: str | None = None) -> None:
        if self.stop_reason is None:
            self.stop_reason, self.stopped_by = reason, by
        self.wake.set()

    def describe(self, language: Language = "en") -> str:
        _ = texts(language)
        left = span(max(self.time_left(), 0.0), language)
        return _("{url}: {probes} so far, {left} left").format(
            url=self.request.url, probes=probes(self.probes, language), left=left
        )


class WatchLimit(Exception):
    """A new watch would exceed a limit; the message says which and what to do."""


class WatchBook:
    def __init__(self, settings: WatchSettings) -> None:
        self.settings = settings
        # Bounded: ``check`` refuses a watch beyond ``settings.total`` (and per user, per channel).
        self._watches: dict[str, Watch] = {}

    def __len__(self) -> int:
        return len(self._watches)

    def __iter__(self) -> Iterator[Watch]:
        return iter(list(self._watches.values()))

    def open(
        self,
        request: ProbeRequest,
        *,
        user: str,
        channel: str,
        thread: str,
        duration: float,
    ) -> Watch:
        """Record a new watch, or raise ``WatchLimit`` (in the request's language)."""
        self.check(request, user=user, channel=channel, thread=thread)
        watch = Watch(
            id=secrets.token_hex(6),
            request=request,
            user=user,
            channel=channel,
            thread=thread,
            duration=duration,
            interval=self.settings.interval,
        )
        self._watches[watch.id] = watch
        return watch

    def check(self, request: ProbeRequest, *, user: str, channel: str, thread: str | None) -> None:
        """Raise ``WatchLimit`` when a new watch of ``request`` would not be allowed; the message
        is in the request's language."""
        language = request.language
        _, ngettext = texts(language), plural(language)
        for watch in self._watches.values():
            if (watch.channel, watch.thread, watch.request.url) == (channel, thread, request.url):
                raise WatchLimit(
                    _(
                        "I am already watching {url} in this thread ({watch}). Cancel it first "
                        "to start another."
                    ).format(url=request.url, watch=watch.describe(language))
                )
        limits = self.settings
        if sum(1 for w in self._watches.values() if w.user == user) >= limits.per_user:
            raise WatchLimit(
                ngettext(
                    "You already have {count} watch running, which is the limit. Cancel it "
                    "(its Cancel button, or `unwatch` in its thread) and ask again.",
                    "You already have {count} watches running, which is the limit. Cancel one "
                    "(its Cancel button, or `unwatch` in its thread) and ask again.",
                    limits.per_user,
                ).format(count=limits.per_user)
            )
        if sum(1 for w in self._watches.values() if w.channel == channel) >= limits.per_channel:
            raise WatchLimit(
                ngettext(
                    "This channel already has {count} watch running, which is the limit. "
                    "Cancel it and ask again.",
                    "This channel already has {count} watches running, which is the limit. "
                    "Cancel one and ask again.",
                    limits.per_channel,
                ).format(count=limits.per_channel)
            )
        if len(self._watches) >= limits.total:
            raise WatchLimit(
                _(
                    "{count} watches are running, as many as I keep at once. Please try again "
                    "later."
                ).format(count=limits.total)
            )

    def get(self, watch_id: str) -> Watch | None:
        return self._watches.get(watch_id)

    def close(self, watch: Watch) -> None:
        self._watches.pop(watch.id, None)

    def in_thread(self, channel: str, thread: str | None) -> list[Watch]:
        return [w for w in self._watches.values() if w.channel == channel and w.thread == thread]

    def of_user(self, user: str) -> list[Watch]:
        return [w for w in self._watches.values() if w.user == user]
