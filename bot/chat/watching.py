"""The loop of one watch: probe, compare with the last result, tell the thread, stop when done.

A watch posts its first diagnosis in full (with a Cancel button), then only news: a changed
outcome, the recovery (and it stops), the end of its time, a cancel, or a shutdown. Timing jitter
is not news (``Snapshot``/``compare`` decide). A cancel or a shutdown interrupts a probe in flight,
so stopping never waits for a slow target.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import replace
from typing import TypeVar

from bot.chat.probing import observe, remember
from bot.chat.replies import Notice, ProbeOutcome, Progress, WatchEvent, WatchEventKind, WatchInfo
from bot.chat.services import Services
from bot.chat.surface import Surface
from bot.chat.watches import Watch, WatchBook
from bot.probe.safety import TargetRefused

log = logging.getLogger(__name__)

T = TypeVar("T")


class _Stopped(Exception):
    """The watch was told to stop (cancel or shutdown) while it waited or probed."""


class WatchLoop:
    def __init__(self, services: Services, surface: Surface, book: WatchBook, watch: Watch) -> None:
        self.services = services
        self.surface = surface
        self.book = book
        self.watch = watch

    def info(self, *, active: bool = True) -> WatchInfo:
        w = self.watch
        return WatchInfo(watch_id=w.id, until=w.until, interval=w.interval, active=active)

    async def run(self) -> None:
        """The whole watch; the caller took a cap slot for the first probe."""
        w = self.watch
        try:
            try:
                ended = await self._first()
            finally:
                self.services.cap.leave()
            while not ended:
                ended = await self._round()
        except _Stopped:
            await self._tell(w.stop_reason or "cancelled")
        finally:
            self.book.close(w)
            await self._retire()

    async def _first(self) -> bool:
        w = self.watch
        ref = await self.surface.post(
            w.channel, Progress(w.request.url, (), user=w.user or None), thread=w.thread
        )
        w.first_ref = ref
        try:
            outcome = await self._interruptible(
                observe(self.services, w.request, watch=self.info())
            )
        except TargetRefused as exc:
            await self.surface.update(
                w.channel, ref, Notice(f"I won't watch that: {exc}", emoji="🚫")
            )
            w.first_ref = None  # nothing left to retire
            return True
        w.first, w.last, w.probes = outcome, outcome.snapshot, 1
        remember(self.services, w.user, outcome, w.channel, w.thread)
        await self.surface.update(w.channel, ref, outcome)
        if outcome.snapshot.healthy:
            await self._tell("recovered", detail="it already answers normally, so I stopped")
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
        if not self.services.cap.try_enter():
            log.info("watch %s skips a round: the probe cap is full", w.id)
            return False
        try:
            outcome = await self._interruptible(
                observe(self.services, w.request, previous=w.last, watch=self.info())
            )
        except (_Stopped, asyncio.CancelledError):
            raise
        except TargetRefused as exc:
            # The name now resolves somewhere the probe may not go: stop, do not retry.
            await self._tell("failed", detail=f"I won't probe it any more: {exc}")
            return True
        except Exception as exc:
            w.errors += 1
            log.warning("watch %s: probe failed (%d in a row)", w.id, w.errors, exc_info=True)
            if w.errors >= self.book.settings.max_errors:
                await self._tell(
                    "failed",
                    detail=f"probing failed {w.errors} times in a row ({type(exc).__name__})",
                )
                return True
            return False
        finally:
            self.services.cap.leave()
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
        await self._tell("failed", detail=f"an error ({type(exc).__name__}); it has been logged")
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
        )
        await self.surface.post(w.channel, event, thread=w.thread)

    async def _retire(self) -> None:
        """Take the Cancel button off the first diagnosis once the watch has ended."""
        w = self.watch
        if w.first is None or w.first_ref is None:
            if w.first_ref is not None:
                stopped = Notice(f"Watch of {w.request.url} ended.", emoji="⏹")
                await _quietly(self.surface.update(w.channel, w.first_ref, stopped))
            return
        ended = replace(w.first, watch=self.info(active=False))
        await _quietly(self.surface.update(w.channel, w.first_ref, ended))


async def _quietly(work: Awaitable[None]) -> None:
    try:
        await work
    except Exception:
        log.warning("could not update a watch message", exc_info=True)
