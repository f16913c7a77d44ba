"""The loop of one watch: probe, compare with the last result, tell the thread, stop when done.

A watch posts its first diagnosis in full (with a Cancel button, and EdgeOne's view when the API
is set up: only on this first probe, the rounds after it would ask the same), then only news: a
changed outcome, the recovery (and it stops), the end of its time, a cancel, or a shutdown. Timing
jitter is not news (``Snapshot``/``compare`` decide). A cancel or a shutdown interrupts a probe in
flight, so stopping never waits for a slow target.

The first probe was asked for by a person: it holds the slot the conversation admitted it with,
and the loop gives that slot back as soon as the first probe is done. Every later round takes a
slot from the watches' share of the cap (``ProbeCap.take_for_watch``), so watches of slow
targets never hold every slot, and costs one probe of the owner's rate limit, as if they had
asked for it. A round that finds no slot, or whose owner has spent their budget, is skipped
without a word: a missed round of a background check is not news, and the owner's own probes are
refused with a message saying that their watches count too. The next round tries again.

Each step is committed to the store before its message is posted (``WatchBook.commit``): the
store takes the commit only from the replica holding the watch, so a replica that took the watch
over (``bot.chat.fleet``) continues after the last committed step and never posts one twice. A
loop whose commit is refused, or whose replica hands it over, stops without a word: the watch
goes on elsewhere.

A watch speaks the language it was started in (its request's) from its first message to its last,
whichever replica runs it (the language is part of its record).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from typing import TypeVar

from bot.chat.probing import observe, outcome_of, refused, remember
from bot.chat.replies import Notice, ProbeOutcome, Progress, WatchEvent, WatchEventKind, WatchInfo
from bot.chat.services import Services
from bot.chat.surface import Surface
from bot.chat.watches import Watch, WatchBook, decode_report, encode_report
from bot.chat.words import quote
from bot.i18n.catalogue import plural, texts
from bot.ops.logging import REQUEST_ID
from bot.probe.safety import TargetRefused
from bot.state.base import Slot

log = logging.getLogger(__name__)

T = TypeVar("T")
QUIET = ("handover", "lost")  # stop reasons that end this loop only: the watch goes on elsewhere


class _Stopped(Exception):
    """The watch was told to stop (cancel, shutdown, hand-over) while it waited or probed."""


class _Lost(Exception):
    """The store refused a commit: another replica holds the watch now, or it ended."""


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
                ended = await self._start()
            finally:
                if self._first_slot is not None:
                    self._first_slot.release()
                    self._first_slot = None
            while not ended:
                ended = await self._step()
        except _Stopped:
            if w.stop_reason not in QUIET:
                with _unless_lost(w):
                    await self._end("shutdown" if w.stop_reason == "shutdown" else "cancelled")
        except _Lost:
            w.stop_reason = "lost"
        finally:
            if w.stop_reason in QUIET:
                self.book.drop(w)
                log.info(
                    "watch %s of %s goes on elsewhere (%s)", w.id, w.request.url, w.stop_reason
                )
            else:
                await self.book.close(w)
                await self._retire()

    async def _commit(self) -> None:
        if not await self.book.commit(self.watch):
            raise _Lost

    async def _start(self) -> bool:
        """The first message, or where a watch taken over stands; True when it is over."""
        w = self.watch
        if w.ended:
            return True  # its end was told: only taking the Cancel button off is left
        if w.stop_reason is not None:
            raise _Stopped
        if w.first_ref is None:
            started = Progress(w.request.url, (), user=w.user or None, language=w.language)
            w.first_ref = await self.surface.post(w.channel, started, thread=w.thread)
            await self._commit()
        return False

    async def _step(self) -> bool:
        if self.watch.first_report is None:
            return await self._first()
        return await self._round()

    async def _first(self) -> bool:
        w = self.watch
        assert w.first_ref is not None
        slot = await self._first_probe_slot()
        if slot is None:
            return False
        with slot:
            try:
                outcome = await self._interruptible(
                    observe(self.services, w.request, watch=self.info())
                )
            except TargetRefused as exc:
                w.ended = True
                await self._commit()
                await self.surface.update(
                    w.channel, w.first_ref, refused(exc, w.language, watch=True)
                )
                w.first_ref = None  # nothing left to retire
                return True
        self._first_slot = None
        w.first, w.last, w.probes = outcome, outcome.snapshot, 1
        w.first_report = encode_report(outcome.report)
        w.next_at = time.time() + w.interval
        await self._commit()
        await remember(self.services, w.user, outcome, w.channel, w.thread)
        await self.surface.update(w.channel, w.first_ref, outcome)
        if self.services.edgeone is not None:
            from bot.chat.edgeone import add_view  # the API stack: only with credentials

            shown = await self._interruptible(
                add_view(
                    self.services,
                    self.surface,
                    outcome,
                    channel=w.channel,
                    ref=w.first_ref,
                    thread=w.thread,
                )
            )
            if shown is not None:
                w.first = shown  # the Cancel button comes off this one, view and all
        if outcome.snapshot.healthy:
            _ = texts(w.language)
            await self._end("recovered", detail=_("it already answers normally, so I stopped"))
            return True
        return False

    async def _round(self) -> bool:
        """One wait and one probe; True when the watch is over."""
        w = self.watch
        result = await self._probe_round(
            lambda: observe(self.services, w.request, previous=w.last, watch=self.info())
        )
        if isinstance(result, bool):
            return result
        if isinstance(result, Exception):
            return await self._failed(result)
        outcome = result
        w.errors = 0
        w.probes += 1
        w.last = outcome.snapshot
        await remember(self.services, w.user, outcome, w.channel, w.thread)
        change = outcome.change
        if change is not None and change.recovered:
            await self._end("recovered", outcome=outcome)
            return True
        await self._commit()
        if change is not None and change.changed:
            await self._tell("changed", outcome=outcome)
        return False

    async def _first_probe_slot(self) -> Slot | None:
        """The slot for the first probe: the one taken with the watch, or (for a watch taken over
        before its first probe) a round's slot; None after a wait when none is free."""
        if self._first_slot is not None:
            return self._first_slot
        slot = await self.services.cap.take_for_watch()
        if slot is None:
            w = self.watch
            log.info("watch %s waits for a probe slot for its first probe", w.id)
            await self._sleep(min(w.interval, max(w.time_left(), 0.0)))
        return slot

    async def _probe_round(self, observing: Callable[[], Awaitable[T]]) -> T | Exception | bool:
        """Wait for the next round, take a watch slot and the owner's budget, then observe.

        True when the watch is over (its time is up), False when the round is skipped (no slot,
        no budget), else what ``observing()`` gave or raised. Shared by every kind of watch.
        """
        w = self.watch
        left = w.time_left()
        if left <= 0:
            await self._end("expired")
            return True
        await self._sleep(min(max(w.next_at - time.time(), 0.0), left))
        if w.time_left() <= 0:
            await self._end("expired")
            return True
        w.next_at = time.time() + w.interval
        slot = await self.services.cap.take_for_watch()
        if slot is None:
            log.info("watch %s skips a round: no probe slot free for watches", w.id)
            return False
        with slot:
            # Charged once the slot is taken, so a round skipped for want of a slot costs nothing.
            if await self.services.rate.acquire(w.user) is not None:
                log.info("watch %s skips a round: its owner has used their probe budget", w.id)
                return False
            try:
                result: T | Exception = await self._interruptible(observing())
            except (_Stopped, asyncio.CancelledError):
                raise
            except Exception as exc:
                result = exc
        # The slot is back: telling the thread needs none.
        w.next_at = time.time() + w.interval
        return result

    async def _failed(self, exc: Exception) -> bool:
        """A round whose probe raised: True when the watch gives up."""
        w = self.watch
        _, ngettext = texts(w.language), plural(w.language)
        if isinstance(exc, TargetRefused):
            # The name now resolves somewhere the probe may not go: stop, do not retry.
            reason = quote(exc.reason, w.language)
            await self._end(
                "failed", detail=_("I won't probe it any more: {reason}").format(reason=reason)
            )
            return True
        w.errors += 1
        log.warning("watch %s: probe failed (%d in a row)", w.id, w.errors, exc_info=exc)
        if w.errors < self.book.settings.max_errors:
            await self._commit()
            return False
        detail = ngettext(
            "probing failed {count} time in a row on my side (reference {ref})",
            "probing failed {count} times in a row on my side (reference {ref})",
            w.errors,
        )
        ref = REQUEST_ID.get() or "-"
        await self._end("failed", detail=detail.format(count=w.errors, ref=ref))
        return True

    async def _end(
        self,
        kind: WatchEventKind,
        *,
        outcome: ProbeOutcome | None = None,
        detail: str | None = None,
    ) -> None:
        """Commit the end, then tell it (a replica taking over after the commit tells nothing)."""
        self.watch.ended = True
        await self._commit()
        await self._tell(kind, outcome=outcome, detail=detail)

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
        detail = _("an error on my side; it has been logged (reference {ref})").format(
            ref=REQUEST_ID.get() or "-"
        )
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

    def _first_outcome(self) -> ProbeOutcome | None:
        """The first diagnosis; rebuilt from its report when the watch was taken over."""
        w = self.watch
        if w.first is None and w.first_report:
            try:
                report = decode_report(w.first_report)
            except ValueError:
                log.warning("watch %s: its first report does not read back", w.id)
                return None
            w.first = outcome_of(self.services, w.request, report, watch=self.info())
        return w.first

    async def _retire(self) -> None:
        """Take the Cancel button off the first diagnosis once the watch has ended."""
        w = self.watch
        first = self._first_outcome()
        if first is None or w.first_ref is None:
            if w.first_ref is not None:
                _ = texts(w.language)
                stopped = Notice(
                    _("Watch of {url} ended.").format(url=w.request.url),
                    emoji="⏹",
                    language=w.language,
                )
                await _quietly(self.surface.update(w.channel, w.first_ref, stopped))
            return
        ended = replace(first, watch=self.info(active=False))
        await _quietly(self.surface.update(w.channel, w.first_ref, ended))


@contextlib.contextmanager
def _unless_lost(watch: Watch) -> Iterator[None]:
    try:
        yield
    except _Lost:
        watch.stop_reason = "lost"


async def _quietly(work: Awaitable[None]) -> None:
    try:
        await work
    except Exception:
        log.warning("could not update a watch message", exc_info=True)
