"""Run a probe for someone: guards, a progress message, the diagnosis, errors told in the thread.

``observe`` is the probe itself (probe → diagnosis → knowledge entry → snapshot) and is shared with
watches. ``ProbeRun`` adds the conversation around it:

- asked privately (a slash command: no thread): a message in the channel, updated as phases
  complete, then the diagnosis posted in its thread and the channel message turned into a
  one-line verdict;
- asked in a thread (mention, DM, button, alert): a progress message in the thread, updated as
  phases complete, ending as the full diagnosis.

With EdgeOne API credentials, the diagnosis then gets EdgeOne's view (``bot.chat.edgeone``):
after it is posted, so the first answer never waits for the API.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field

from bot.chat.edgeone import add_view
from bot.chat.history import RecentProbe
from bot.chat.limits import RateLimiter, Slot
from bot.chat.replies import (
    Notice,
    ProbeOutcome,
    ProbeRequest,
    ProbeSummary,
    Progress,
    Reply,
    WatchInfo,
)
from bot.chat.services import Services
from bot.chat.snapshot import Snapshot, compare
from bot.chat.surface import CannotPost, Surface, Turn
from bot.chat.watches import span
from bot.chat.words import verdict
from bot.knowledge.models import Entry
from bot.probe.runner import ProgressCallback
from bot.probe.safety import TargetRefused, parse_target

log = logging.getLogger(__name__)

CANNOT_POST = (
    "I can't post in this channel. Invite me with `/invite @eo`, or mention me in a thread, "
    "and ask again."
)


def admit(
    services: Services,
    request: ProbeRequest,
    *,
    key: str,
    rate: RateLimiter | None = None,
    who: str = "You have",
    watching: int = 0,
) -> Slot | Notice:
    """A slot of the concurrency cap for this probe, or why it may not start now.

    ``key`` is whose rate budget pays for it (a user, or an alert channel), ``who`` how the
    refusal names them, ``watching`` how many watches of theirs spend the same budget. The caller
    owns the slot: ``with slot:`` around handing it to the task that runs the probe.
    """
    try:
        parse_target(request.url, services.policy)
    except TargetRefused as exc:
        return Notice(f"I won't probe that: {exc}", emoji="🚫")
    slot = services.cap.take()
    if slot is None:
        return Notice(
            f"{services.cap.limit} probes are already running, which is as many as I run at "
            "once. Please try again in a moment.",
            emoji="⏳",
        )
    limiter = rate if rate is not None else services.rate
    wait = limiter.acquire(key)
    if wait is not None:
        slot.release()
        spent = f" (the probes of your {_watches(watching)} count too)" if watching else ""
        return Notice(
            f"{who} run {limiter.count} probes in the last {span(limiter.window)}{spent}, which "
            f"is the limit. Please try again in {span(max(wait, 1.0))}.",
            emoji="⏳",
        )
    return slot


def _watches(count: int) -> str:
    return "watch" if count == 1 else f"{count} watches"


async def observe(
    services: Services,
    request: ProbeRequest,
    *,
    previous: Snapshot | None = None,
    on_progress: ProgressCallback | None = None,
    watch: WatchInfo | None = None,
) -> ProbeOutcome:
    """Probe, diagnose, find the knowledge entry, and compare with ``previous``."""
    report = await services.prober(request.url, origin=request.origin, on_progress=on_progress)
    diagnosis = services.diagnoser(report, request.code)
    snapshot = Snapshot.of(report, diagnosis)
    return ProbeOutcome(
        request=request,
        report=report,
        diagnosis=diagnosis,
        snapshot=snapshot,
        entry=_entry(services, diagnosis.kb_id, request.code),
        change=compare(previous, snapshot) if previous is not None else None,
        watch=watch,
    )


def _entry(services: Services, kb_id: str | None, code: int | None) -> Entry | None:
    if kb_id:
        entry = services.kb.get(kb_id)
        if entry is not None:
            return entry
    if code is not None:
        answer = services.matcher.ask(str(code))
        if answer.matches:
            return answer.matches[0].entry
    return None


def remember(
    services: Services, user: str, outcome: ProbeOutcome, channel: str, thread: str | None
) -> None:
    """Add the probe to the user's recent probes (App Home)."""
    snap = outcome.snapshot
    services.history.add(
        user,
        RecentProbe(
            url=outcome.request.url,
            at=snap.at,
            status=snap.status,
            code=outcome.diagnosis.code,
            fault=outcome.diagnosis.fault,
            verdict=verdict(outcome.diagnosis.code, outcome.diagnosis.fault, snap.status),
            channel=channel,
            thread=thread,
        ),
    )


@dataclass(slots=True)
class ProbeRun:
    """One probe asked for in ``turn``; the task running it owns its slot (see ``admit``)."""

    services: Services
    surface: Surface
    turn: Turn
    request: ProbeRequest
    previous: Snapshot | None = None
    watch: WatchInfo | None = None
    progress_ref: str | None = None
    reply_thread: str | None = None
    progress: _Progress | None = field(default=None)

    async def run(self) -> None:
        turn = self.turn
        started = Progress(self.request.url, (), user=turn.user or None)
        try:
            self.progress_ref = await self.surface.post(turn.channel, started, thread=turn.thread)
        except CannotPost:
            await self.surface.reply(
                turn,
                Notice(CANNOT_POST, emoji="🙈"),
            )
            return
        self.reply_thread = turn.thread or self.progress_ref
        progress = _Progress(self, interval=self.services.progress_interval)
        self.progress = progress
        try:
            outcome = await observe(
                self.services,
                self.request,
                previous=self.previous,
                on_progress=progress.phase,
                watch=self.watch,
            )
        except TargetRefused as exc:
            await progress.finish(Notice(f"I won't probe that: {exc}", emoji="🚫"))
            return
        remember(self.services, turn.user, outcome, turn.channel, self.reply_thread)
        if turn.thread is None:
            ref = await self.surface.post(turn.channel, outcome, thread=self.progress_ref)
            summary = ProbeSummary(self.request.url, outcome.diagnosis, user=turn.user or None)
            await progress.finish(summary)
        else:
            ref = self.progress_ref
            await progress.finish(outcome)
        summary_ref = self.progress_ref if turn.thread is None else None
        await add_view(
            self.services,
            self.surface,
            outcome,
            channel=turn.channel,
            ref=ref,
            thread=self.reply_thread,
            summary=summary_ref,
            user=turn.user or None,
        )

    async def report_error(self, exc: BaseException) -> None:
        message = Notice(
            f"Something went wrong while probing {self.request.url} "
            f"({type(exc).__name__}); it has been logged. Please try again later.",
            emoji="⚠️",
        )
        if self.progress is not None:
            await self.progress.settle()
        if self.progress_ref is None:
            await self.surface.post(self.turn.channel, message, thread=self.turn.thread)
            return
        await self.surface.post(self.turn.channel, message, thread=self.reply_thread)
        try:
            failed = Notice(f"Probe of {self.request.url} failed.", emoji="⚠️")
            await self.surface.update(self.turn.channel, self.progress_ref, failed)
        except Exception:
            log.warning("could not mark the progress message as failed", exc_info=True)


class _Progress:
    """Update the progress message as phases complete, at most once per ``interval``."""

    def __init__(self, run: ProbeRun, *, interval: float) -> None:
        self._run = run
        self._interval = interval
        self._done: list[str] = []
        self._last = time.monotonic()
        self._pending: asyncio.Task[None] | None = None

    async def phase(self, name: str) -> None:
        self._done.append(name)
        now = time.monotonic()
        busy = self._pending is not None and not self._pending.done()
        if busy or now - self._last < self._interval:
            return
        self._last = now
        run = self._run
        message = Progress(run.request.url, tuple(self._done), user=run.turn.user or None)
        self._pending = asyncio.get_running_loop().create_task(self._send(message))

    async def _send(self, message: Reply) -> None:
        run = self._run
        assert run.progress_ref is not None
        try:
            await run.surface.update(run.turn.channel, run.progress_ref, message)
        except Exception:
            log.warning("progress update failed", exc_info=True)

    async def settle(self) -> None:
        if self._pending is not None:
            await asyncio.wait([self._pending])

    async def finish(self, message: Reply) -> None:
        await self.settle()
        run = self._run
        assert run.progress_ref is not None
        await run.surface.update(run.turn.channel, run.progress_ref, message)
