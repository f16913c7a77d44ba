"""The loop of one watch: probe, compare with the last result, tell the thread, stop when done.

A watch posts its first diagnosis in full (with a Cancel button, and EdgeOne's view when the API
is set up: only on this first probe, the rounds after it would ask the same), then only news: a
changed outcome, the recovery (and it stops), the end of its time, a cancel, or a shutdown. Timing
jitter is not news (``Snapshot``/``compare`` decide). A cancel or a shutdown interrupts a probe in
flight, so stopping never waits for a slow target.

The first probe was asked for by a person: it holds the slot the conversation admitted it with,
and the loop gives that slot back as soon as the first probe is done. Every later round takes a
slot from the watches' share of the cap (``ConcurrencyCap.take_for_watch``), so watches of slow
targets never hold every slot, and costs one probe of the owner's rate limit, as if they had
asked for it. A round that finds no slot, or whose owner has spent their budget, is skipped
without a word: a missed round of a background check is not news, and the owner's own probes are
refused with a message saying that their watches count too. The next round tries again.

A watch speaks the language it was started in (its request's) from its first message to its last.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import replace
from typing import TypeVar

from bot.chat.edgeone import add_view
from bot.chat.limits import Slot
from bot.chat.probing import observe, refused, remember
from bot.chat.replies import Notice, ProbeOutcome, Progress, WatchEvent, WatchEventKind, WatchInfo
from bot.chat.services import Services
from bot.chat.surface import Surface
from bot.chat.watches import Watch, WatchBook
from bot.chat.words import quote
from bot.i18n.catalogue import plural, texts
from bot.probe.safety import TargetRefused

log = logging.getLogger(__name__)

T = TypeVar("T")


class _Stopped(Exception):
    """The watch was told to stop (cancel or shutdown) while it waited or probed."""


class WatchLoop:
    def __init__(
        self,
        services: Services,
        surface: Surface,
        book: WatchBook,
        watch: Watch,
        *,
        first: Slot | None = None,
    ) -> None:
        self.services = services
        self.surface = surface
        self.book = book
        self.watch = watch
        self._first_slot = first  # the slot of the first probe, given back once it is done

    def info(self, *, active: bool = True) -> WatchInfo:
        w = self.watch
        return WatchInfo(watch_id=w.id, until=w.until, interval=w.interval, active=active)

    async def run(self) -> None:
        """The whole watch (the task running it also owns the first probe's slot)."""
        w = self.watch
        try:
            try:
                ended = await self._first()
            finally:
                if self._first_slot is not None:
                    self._first_slot.release()
            while not ended:
                ended = await self._round()
        except _Stopped:
            await self._tell(w.stop_reason or "cancelled")
        finally:
            self.book.close(w)
            await self._retire()

    async def _first(self) -> bool:
        w = self.watch
        started = Progress(w.request.url, (), user=w.user or None, language=w.language)
        ref = await self.surface.post(w.channel, started, thread=w.thread)
        w.first_ref = ref
        try:
            outcome = await self._interruptible(
                observe(self.services, w.request, watch=self.info())
            )
        except TargetRefused as exc:
            await self.surface.update(w.channel, ref, refused(exc, w.language, watch=True))
            w.first_ref = None  # nothing left to retire
            return True
        w.first, w.last, w.probes = outcome, outcome.snapshot, 1
        remember(self.services, w.user, outcome, w.channel, w.thread)
        await self.surface.update(w.channel, ref, outcome)
        shown = await self._interruptible(
            add_view(
                self.services, self.surface, outcome, channel=w.channel, ref=ref, thread=w.thread
            )
        )
        if shown is not None:
            w.first = shown  # the Cancel button comes off this one, view and all
        if outcome.snapshot.healthy:
            _ = texts(w.language)
            await self._tell("recovered", detail=_("it already answers normally, so I stopped"))
            return True
        return False

    async def _round(self) -> bool:
        """One wait and one probe; True when the watch is over."""
        w = self.watch
        left = w.time_left()
        if left <= 0:
            await self._tell("expired")
            return True
        await self._sleep(min(w.interval, left))
        if w.time_left() <= 0:
            await self._tell("expired")
            return True
        slot = self.services.cap.take_for_watch()
        if slot is None:
            log.info("watch %s skips a round: no probe slot free for watches", w.id)
            return False
        with slot:
            # Charged once the slot is taken, so a round skipped for want of a slot costs nothing.
            if self.services.rate.acquire(w.user) is not None:
                log.info("watch %s skips a round: its owner has used their probe budget", w.id)
                return False
            try:
                result: ProbeOutcome | Exception = await self._interruptible(
                    observe(self.services, w.request, previous=w.last, watch=self.info())
                )
            except (_Stopped, asyncio.CancelledError):
                raise
            except Exception as exc:
                result = exc
        # The slot is back: telling the thread needs none.
        if isinstance(result, Exception):
            return await self._failed(result)
        outcome = result
        w.errors = 0
        w.probes += 1
        remember(self.services, w.user, outcome, w.channel, w.thread)
        change = outcome.change
        w.last = outcome.snapshot
        if change is not None and change.recovered:
            await self._tell("recovered", outcome=outcome)
            return True
        if change is not None and change.changed:
            await self._tell("changed", outcome=outcome)
        return False

    async def _failed(self, exc: Exception) -> bool:
        """A round whose probe raised: True when the watch gives up."""
        w = self.watch
        _, ngettext = texts(w.language), plural(w.language)
        if isinstance(exc, TargetRefused):
            # The name now resolves somewhere the probe may not go: stop, do not retry.
            reason = quote(exc.reason, w.language)
            await self._tell(
                "failed", detail=_("I won't probe it any more: {reason}").format(reason=reason)
            )
            return True
        w.errors += 1
        log.warning("watch %s: probe failed (%d in a row)", w.id, w.errors, exc_info=exc)
        if w.errors < self.book.settings.max_errors:
            return False
        detail = ngettext(
            "probing failed {count} time in a row ({error})",
            "probing failed {count} times in a row ({error})",
            w.errors,
        )
        await self._tell("failed", detail=detail.format(count=w.errors, error=type(exc).__name__))
        return True

    async def _sleep(self, seconds: float) -> None:
        w = self.watch
        try:
            await asyncio.wait_for(w.wake.wait(), timeout=seconds)
        except TimeoutError:
            return
        raise _Stopped

    async def _interruptible(self, work: Awaitable[T]) -> T:
        """Run ``work`` unless the watch is told to stop first (then cancel it)."""
        w = self.watch
        if w.stop_reason is not None:
            if asyncio.iscoroutine(work):
                work.close()
            raise _Stopped
        job = asyncio.ensure_future(work)
        woken = asyncio.ensure_future(w.wake.wait())
        try:
            await asyncio.wait({job, woken}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            woken.cancel()
        if not job.done():
            job.cancel()
            await asyncio.gather(job, return_exceptions=True)
            raise _Stopped
        return job.result()

    async def report_error(self, exc: BaseException) -> None:
        """A crash inside the watch (not a failing site): say so in its thread."""
        w = self.watch
        _ = texts(w.language)
        detail = _("an error ({error}); it has been logged").format(error=type(exc).__name__)
        await self._tell("failed", detail=detail)
        log.error("watch %s of %s crashed", w.id, w.request.url, exc_info=exc)

    async def _tell(
        self,
        kind: WatchEventKind,
        *,
        outcome: ProbeOutcome | None = None,
        detail: str | None = None,
    ) -> None:
        w = self.watch
        event = WatchEvent(
            kind=kind,
            watch_id=w.id,
            url=w.request.url,
            snapshot=outcome.snapshot if outcome else w.last,
            change=outcome.change if outcome else None,
            by=w.stopped_by,
            probes=w.probes,
            detail=detail,
            until=w.until,
            language=w.language,
        )
        await self.surface.post(w.channel, event, thread=w.thread)

    async def _retire(self) -> None:
        """Take the Cancel button off the first diagnosis once the watch has ended."""
        w = self.watch
        if w.first is None or w.first_ref is None:
            if w.first_ref is not None:
                _ = texts(w.language)
                stopped = Notice(
                    _("Watch of {url} ended.").format(url=w.request.url),
                    emoji="⏹",
                    language=w.language,
                )
                await _quietly(self.surface.update(w.channel, w.first_ref, stopped))
            return
        ended = replace(w.first, watch=self.info(active=False))
        await _quietly(self.surface.update(w.channel, w.first_ref, ended))


async def _quietly(work: Awaitable[None]) -> None:
    try:
        await work
    except Exception:
        log.warning("could not update a watch message", exc_info=True)
