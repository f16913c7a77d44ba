"""Watches: a URL re-probed on a bounded schedule until it recovers, is cancelled or runs out.

This module keeps the book of watches and enforces the limits (per user, per channel, in all);
the loop that probes and posts lives in ``bot.chat.watching``. The book has two sides:

- the watches this process runs (``Watch``: the loop's own state, its wake-up event and task);
- the store of ``bot.state`` (``WatchStore``), where every replica of a fleet sees every watch as
  a ``WatchRecord``: limits are counted there, Cancel and ``unwatch`` work from any replica, and
  a watch whose replica died or stopped is taken over by another (``bot.chat.fleet``).

With the default in-memory store there is one replica: a restart stops the watches, and they are
told so in their thread. A watch speaks the language it was started in (its request's, kept in its
record), whoever cancels it and whichever replica runs it.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Literal

from bot.agents.names import parse_regions, regions_text
from bot.chat.regional_buttons import read_states
from bot.chat.replies import ProbeOutcome, ProbeRequest
from bot.chat.snapshot import Snapshot
from bot.chat.words import probes, span
from bot.i18n.catalogue import plural, texts
from bot.i18n.language import Language
from bot.probe.models import ProbeReport
from bot.state.base import Refused, WatchEnd, WatchLimits, WatchRecord, WatchStore
from bot.state.memory import MemoryWatches

if TYPE_CHECKING:
    from pydantic import TypeAdapter

# Why a loop stops: told in the thread (cancelled, shutdown), or silently, because the watch goes
# on elsewhere (handover: this replica stops; lost: another replica holds the watch now).
StopReason = Literal["cancelled", "shutdown", "handover", "lost"]


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

    @property
    def limits(self) -> WatchLimits:
        return WatchLimits(per_user=self.per_user, per_channel=self.per_channel, total=self.total)

    @property
    def lease(self) -> float:
        """How long a replica holds a watch without renewing it (it renews every third of it).

        A third of the interval: a replica that dies is replaced, and the next probe runs, within
        the interval plus 4/3 of the lease, less than two intervals."""
        return min(max(self.interval / 3, 0.5), 15.0)

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
    started: float = field(default_factory=time.time)  # wall clock: replicas share it
    last: Snapshot | None = None
    states: dict[str, str] | None = None  # a regional watch's last result, region by region
    probes: int = 0
    errors: int = 0
    first: ProbeOutcome | None = None  # the first diagnosis, re-rendered when the watch ends
    first_ref: str | None = None  # its message
    first_report: str | None = None  # its report as JSON, for a replica that takes the watch over
    step: int = 0  # what was committed to the store (see ``WatchRecord``)
    next_at: float = 0.0  # wall clock: when the next round is due
    ended: bool = False
    stop_reason: StopReason | None = None  # set once told to stop
    stopped_by: str | None = None
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None

    @property
    def started_at(self) -> datetime:
        return datetime.fromtimestamp(self.started, UTC)

    @property
    def until(self) -> datetime:
        return self.started_at + timedelta(seconds=self.duration)

    def time_left(self, now: Callable[[], float] = time.time) -> float:
        return self.started + self.duration - now()

    @property
    def language(self) -> Language:
        return self.request.language

    def stop(self, reason: StopReason, by: str | None = None) -> None:
        if self.stop_reason is None:
            self.stop_reason, self.stopped_by = reason, by
        self.wake.set()

    def describe(self, language: Language = "en") -> str:
        return describe(self.request.url, self.probes, self.time_left(), language)

    def record(self) -> WatchRecord:
        """What the store keeps of this watch."""
        return WatchRecord(
            id=self.id,
            url=self.request.url,
            origin=self.request.origin,
            code=self.request.code,
            language=self.request.language,
            user=self.user,
            channel=self.channel,
            thread=self.thread,
            duration=self.duration,
            interval=self.interval,
            started=self.started,
            first_ref=self.first_ref,
            first_report=self.first_report,
            last=json.dumps(self.last.to_value()) if self.last is not None else None,
            regions=regions_text(self.request.regions) if self.request.regions else None,
            region_states=json.dumps(self.states) if self.states is not None else None,
            probes=self.probes,
            errors=self.errors,
            step=self.step,
            next_at=self.next_at,
            ended=self.ended,
        )

    @classmethod
    def of(cls, record: WatchRecord) -> Watch:
        """A watch to run from what the store kept (``first`` is rebuilt by the loop)."""
        try:
            last = Snapshot.from_value(json.loads(record.last)) if record.last else None
        except (ValueError, RecursionError):
            last = None  # a value that no longer reads: the next round simply compares nothing
        try:
            regions = parse_regions(record.regions) if record.regions else None
            states = read_states(json.loads(record.region_states)) if record.region_states else None
        except (ValueError, RecursionError):
            regions, states = None, None  # not ours: it watches from here only
        request = ProbeRequest(
            record.url, record.origin, record.code, language=record.language, regions=regions
        )
        watch = cls(
            id=record.id,
            request=request,
            user=record.user,
            channel=record.channel,
            thread=record.thread,
            duration=record.duration,
            interval=record.interval,
            started=record.started,
            last=last,
            states=states,
            probes=record.probes,
            errors=record.errors,
            first_ref=record.first_ref,
            first_report=record.first_report,
            step=record.step,
            next_at=record.next_at,
            ended=record.ended,
        )
        if record.stop is not None:
            watch.stop(record.stop, record.stopped_by)
        return watch


def describe(url: str, count: int, left: float, language: Language = "en") -> str:
    """ "https://…: 3 probes so far, 25 min left", in ``language``."""
    _ = texts(language)
    return _("{url}: {probes} so far, {left} left").format(
        url=url, probes=probes(count, language), left=span(max(left, 0.0), language)
    )


def describe_record(
    record: WatchRecord, language: Language = "en", now: Callable[[], float] = time.time
) -> str:
    return describe(record.url, record.probes, record.until - now(), language)


@cache
def _reports() -> TypeAdapter[ProbeReport]:
    from pydantic import TypeAdapter  # only watches that outlive their replica need it

    return TypeAdapter(ProbeReport)


def encode_report(report: ProbeReport) -> str:
    return _reports().dump_json(report).decode()


def decode_report(text: str) -> ProbeReport:
    """A report the store kept; ``ValueError`` when it does not read back as one."""
    return _reports().validate_json(text)


class WatchLimit(Exception):
    """A new watch would exceed a limit; the message says which and what to do."""


class WatchBook:
    def __init__(
        self, settings: WatchSettings, store: WatchStore | None = None, *, owner: str = "local"
    ) -> None:
        self.settings = settings
        self.store: WatchStore = store if store is not None else MemoryWatches()
        self.owner = owner  # this replica, as the store's leases name it
        # The watches this process runs. Bounded: the store refuses a watch beyond
        # ``settings.total`` (and per user, per channel).
        self._watches: dict[str, Watch] = {}

    def __len__(self) -> int:
        return len(self._watches)

    def __iter__(self) -> Iterator[Watch]:
        return iter(list(self._watches.values()))

    async def open(
        self,
        request: ProbeRequest,
        *,
        user: str,
        channel: str,
        thread: str,
        duration: float,
    ) -> Watch:
        """Record a new watch, or raise ``WatchLimit`` (in the request's language)."""
        watch = Watch(
            id=secrets.token_hex(6),
            request=request,
            user=user,
            channel=channel,
            thread=thread,
            duration=duration,
            interval=self.settings.interval,
        )
        refused = await self.store.open(
            watch.record(), limits=self.settings.limits, owner=self.owner
        )
        if refused is not None:
            raise self._limit(refused, request)
        self._watches[watch.id] = watch
        return watch

    async def check(
        self, request: ProbeRequest, *, user: str, channel: str, thread: str | None
    ) -> None:
        """Raise ``WatchLimit`` when a new watch of ``request`` would not be allowed; the message
        is in the request's language."""
        refused = await self.store.check(
            url=request.url, user=user, channel=channel, thread=thread, limits=self.settings.limits
        )
        if refused is not None:
            raise self._limit(refused, request)

    def _limit(self, refused: Refused, request: ProbeRequest) -> WatchLimit:
        """What to tell the person whose watch ``refused`` turned down, in their language."""
        language = request.language
        _, ngettext = texts(language), plural(language)
        limits = self.settings
        if refused.reason == "duplicate":
            existing = refused.existing
            described = describe_record(existing, language) if existing is not None else request.url
            return WatchLimit(
                _(
                    "I am already watching {url} in this thread ({watch}). Cancel it first "
                    "to start another."
                ).format(url=request.url, watch=described)
            )
        if refused.reason == "per_user":
            return WatchLimit(
                ngettext(
                    "You already have {count} watch running, which is the limit. Cancel it "
                    "(its Cancel button, or `unwatch` in its thread) and ask again.",
                    "You already have {count} watches running, which is the limit. Cancel one "
                    "(its Cancel button, or `unwatch` in its thread) and ask again.",
                    limits.per_user,
                ).format(count=limits.per_user)
            )
        if refused.reason == "per_channel":
            return WatchLimit(
                ngettext(
                    "This channel already has {count} watch running, which is the limit. "
                    "Cancel it and ask again.",
                    "This channel already has {count} watches running, which is the limit. "
                    "Cancel one and ask again.",
                    limits.per_channel,
                ).format(count=limits.per_channel)
            )
        return WatchLimit(
            _(
                "{count} watches are running, as many as I keep at once. Please try again later."
            ).format(count=limits.total)
        )

    def get(self, watch_id: str) -> Watch | None:
        """A watch this process runs."""
        return self._watches.get(watch_id)

    def adopt(self, record: WatchRecord) -> Watch:
        """Run a watch taken over from another replica (or from before a restart)."""
        watch = Watch.of(record)
        self._watches[watch.id] = watch
        return watch

    def drop(self, watch: Watch) -> bool:
        """This process no longer runs ``watch`` (it goes on elsewhere, or it is closed)."""
        if self._watches.get(watch.id) is watch:
            del self._watches[watch.id]
            return True
        return False

    def forget(self, watch: Watch) -> None:
        """``watch``'s loop never ran (its task was cancelled first); see ``WatchStore.forget``."""
        if self.drop(watch):
            self.store.forget(watch.id, owner=self.owner)

    async def close(self, watch: Watch) -> None:
        """The watch ended: forget it here and in the store."""
        self.drop(watch)
        await self.store.close(watch.id, owner=self.owner)

    async def commit(self, watch: Watch) -> bool:
        """Store the watch's next step; False when this replica no longer holds it."""
        watch.step += 1
        return await self.store.commit(watch.record(), owner=self.owner)

    async def stop(self, watch_id: str, reason: WatchEnd, by: str | None) -> bool:
        """Stop a watch wherever it runs; False when no such watch is running."""
        found = await self.store.stop(watch_id, reason, by)
        local = self._watches.get(watch_id)
        if local is not None:
            local.stop(reason, by)
            return True
        return found

    async def all(self) -> list[WatchRecord]:
        return [r for r in await self.store.all() if not r.ended]

    async def in_thread(self, channel: str, thread: str | None) -> list[WatchRecord]:
        return [r for r in await self.all() if r.channel == channel and r.thread == thread]

    async def of_user(self, user: str) -> list[WatchRecord]:
        return [r for r in await self.all() if r.user == user]
