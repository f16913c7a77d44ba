"""Run a probe for someone: guards, a progress message, the diagnosis, errors told in the thread.

``observe`` is the probe itself (probe → diagnosis → knowledge entry → snapshot) and is shared with
watches. ``ProbeRun`` adds the conversation around it:

- asked privately (a slash command: no thread): a message in the channel, updated as phases
  complete, then the diagnosis posted in its thread and the channel message turned into a
  one-line verdict;
- asked in a thread (mention, DM, button, alert): a progress message in the thread, updated as
  phases complete, ending as the full diagnosis.

Everything is said in the request's language (``ProbeRequest.language``): the progress, the
diagnosis, its buttons and any refusal or error.

With EdgeOne API credentials, the diagnosis then gets EdgeOne's view (``bot.chat.edgeone``):
after it is posted, so the first answer never waits for the API.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field

from bot.chat.history import RecentProbe
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
from bot.chat.words import quote, span
from bot.i18n.catalogue import N_, plural, texts
from bot.i18n.language import Language
from bot.knowledge.models import Entry
from bot.ops.logging import REQUEST_ID
from bot.ops.metrics import METRICS
from bot.probe.models import ProbeReport
from bot.probe.runner import ProgressCallback
from bot.probe.safety import TargetRefused, parse_target
from bot.state.base import RateLimit, Slot

log = logging.getLogger(__name__)

CANNOT_POST = N_(
    "I can't post in this channel. Invite me with `/invite @eo`, or mention me in a thread, "
    "and ask again."
)


def cannot_post(language: Language) -> Notice:
    return Notice(texts(language)(CANNOT_POST), emoji="🙈", language=language)


def refused(exc: TargetRefused, language: Language, *, watch: bool = False) -> Notice:
    """ "I won't probe that: <the probe's reason>" (the reason is the probe's own words)."""
    _ = texts(language)
    reason = quote(exc.reason, language)
    if watch:
        text = _("I won't watch that: {reason}").format(reason=reason)
    else:
        text = _("I won't probe that: {reason}").format(reason=reason)
    return Notice(text, emoji="🚫", language=language)


async def admit(
    services: Services,
    request: ProbeRequest,
    *,
    key: str,
    rate: RateLimit | None = None,
    alerts: bool = False,
    watching: int = 0,
) -> Slot | Notice:
    """A slot of the concurrency cap for this probe, or why it may not start now (in the
    request's language).

    ``key`` is whose rate budget pays for it (a user, or an alert channel: ``alerts``),
    ``watching`` how many watches of theirs spend the same budget. The caller owns the slot:
    ``with slot:`` around handing it to the task that runs the probe.
    """
    language = request.language
    _, ngettext = texts(language), plural(language)
    try:
        parse_target(request.url, services.policy)
    except TargetRefused as exc:
        return refused(exc, language)
    slot = await services.cap.take()
    if slot is None:
        return Notice(
            _(
                "{count} probes are already running, which is as many as I run at once. Please "
                "try again in a moment."
            ).format(count=services.cap.limit),
            emoji="⏳",
            language=language,
        )
    limiter = rate if rate is not None else services.rate
    wait = await limiter.acquire(key)
    if wait is None:
        return slot
    slot.release()
    values = {
        "count": limiter.count,
        "window": span(limiter.window, language),
        "wait": span(max(wait, 1.0), language),
        "watches": watching,
    }
    if alerts:
        text = _(
            "Alerts in this channel have run {count} probes in the last {window}, which is the "
            "limit. Please try again in {wait}."
        )
    elif watching:
        text = ngettext(
            "You have run {count} probes in the last {window} (the probes of your watch count "
            "too), which is the limit. Please try again in {wait}.",
            "You have run {count} probes in the last {window} (the probes of your {watches} "
            "watches count too), which is the limit. Please try again in {wait}.",
            watching,
        )
    else:
        text = _(
            "You have run {count} probes in the last {window}, which is the limit. Please try "
            "again in {wait}."
        )
    return Notice(text.format(**values), emoji="⏳", language=language)


async def observe(
    services: Services,
    request: ProbeRequest,
    *,
    previous: Snapshot | None = None,
    on_progress: ProgressCallback | None = None,
    watch: WatchInfo | None = None,
) -> ProbeOutcome:
    """Probe, diagnose, find the knowledge entry, and compare with ``previous``."""
    try:
        report = await services.prober(request.url, origin=request.origin, on_progress=on_progress)
    except TargetRefused:
        METRICS.probe("refused", None)
        raise
    except Exception:
        METRICS.probe("error", None)
        raise
    outcome = outcome_of(services, request, report, previous=previous, watch=watch)
    METRICS.probe("healthy" if outcome.snapshot.healthy else "failing", outcome.diagnosis.code)
    t = report.edge.timings
    METRICS.phases(
        {
            "dns": t.dns_ms,
            "connect": t.connect_ms,
            "tls": t.tls_ms,
            "server": t.server_ms,
            "transfer": t.transfer_ms,
            "total": t.total_ms,
        }
    )
    return outcome


def outcome_of(
    services: Services,
    request: ProbeRequest,
    report: ProbeReport,
    *,
    previous: Snapshot | None = None,
    watch: WatchInfo | None = None,
) -> ProbeOutcome:
    """The diagnosis of ``report`` with its knowledge entry, compared with ``previous``."""
    diagnosis = services.diagnoser(report, request.code, request.language)
    snapshot = Snapshot.of(report, diagnosis)
    change = compare(previous, snapshot, request.language) if previous is not None else None
    return ProbeOutcome(
        request=request,
        report=report,
        diagnosis=diagnosis,
        snapshot=snapshot,
        entry=_entry(services, diagnosis.kb_id, request.code),
        change=change,
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


async def remember(
    services: Services, user: str, outcome: ProbeOutcome, channel: str, thread: str | None
) -> None:
    """Add the probe to the user's recent probes (App Home)."""
    snap = outcome.snapshot
    await services.history.add(
        user,
        RecentProbe(
            url=outcome.request.url,
            at=snap.at,
            status=snap.status,
            code=outcome.diagnosis.code,
            fault=outcome.diagnosis.fault,
            channel=channel,
            thread=thread,
            language=outcome.language,
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
        turn, language = self.turn, self.request.language
        started = Progress(self.request.url, (), user=turn.user or None, language=language)
        try:
            self.progress_ref = await self.surface.post(turn.channel, started, thread=turn.thread)
        except CannotPost:
            await self.surface.reply(turn, cannot_post(language))
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
            await progress.finish(refused(exc, language))
            return
        await remember(self.services, turn.user, outcome, turn.channel, self.reply_thread)
        if turn.thread is None:
            ref = await self.surface.post(turn.channel, outcome, thread=self.progress_ref)
            summary = ProbeSummary(
                self.request.url, outcome.diagnosis, user=turn.user or None, language=language
            )
            await progress.finish(summary)
        else:
            ref = self.progress_ref
            await progress.finish(outcome)
        if self.services.edgeone is None:
            return
        # EdgeOne's API stack loads only where credentials are set (it weighs some 20 MB).
        from bot.chat.edgeone import add_view

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
        language = self.request.language
        _ = texts(language)
        # The user gets the log's reference, never the exception's class (issue: no library
        # internals in what users read); the log line has the traceback.
        message = Notice(
            _(
                "Something went wrong on my side while probing {url}; it has been logged "
                "(reference {ref}). Please try again later."
            ).format(url=self.request.url, ref=REQUEST_ID.get() or "-"),
            emoji="⚠️",
            language=language,
        )
        if self.progress is not None:
            await self.progress.settle()
        if self.progress_ref is None:
            await self.surface.post(self.turn.channel, message, thread=self.turn.thread)
            return
        await self.surface.post(self.turn.channel, message, thread=self.reply_thread)
        try:
            failed = Notice(
                _("Probe of {url} failed.").format(url=self.request.url),
                emoji="⚠️",
                language=language,
            )
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
        message = Progress(
            run.request.url,
            tuple(self._done),
            user=run.turn.user or None,
            language=run.request.language,
        )
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
