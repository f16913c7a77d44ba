"""Run a probe for a Slack user: guards, a progress message, the diagnosis, errors reported.

Shared by `/eo probe`, mentions, DMs and the "Probe again" button. ``start_probe`` answers at once
(refusals go through ``notify``); the probe itself runs as a background task:

- from `/eo probe` (no thread): a message in the channel, updated as phases complete, then the
  diagnosis posted in its thread and the channel message turned into a one-line verdict;
- from a mention or DM (a thread): a progress message in the thread, updated as phases complete,
  ending as the full diagnosis.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.intent import Probe
from bot.knowledge.models import Entry
from bot.probe.safety import TargetRefused, parse_target
from bot.render.blocks import (
    Message,
    diagnosis_message,
    notice,
    probe_again_value,
    probe_summary_message,
    progress_message,
)
from bot.slack.services import Services, post, update

log = logging.getLogger(__name__)

Notify = Callable[[Message], Awaitable[None]]

_CANNOT_POST = frozenset({"not_in_channel", "channel_not_found", "is_archived"})


def start_probe(
    services: Services,
    client: AsyncWebClient,
    request: Probe,
    *,
    channel: str,
    user: str,
    thread_ts: str | None,
    notify: Notify,
) -> Awaitable[None] | None:
    """Check the guards and start the probe in the background; returns a refusal to await."""
    try:
        parse_target(request.url, services.policy)
    except TargetRefused as exc:
        return notify(notice(f"I won't probe that: {exc}", emoji="🚫"))
    if not services.cap.try_enter():
        return notify(
            notice(
                f"{services.cap.limit} probes are already running, which is as many as I run at "
                "once. Please try again in a moment.",
                emoji="⏳",
            )
        )
    wait = services.rate.acquire(user)
    if wait is not None:
        services.cap.leave()
        return notify(
            notice(
                f"You have run {services.rate.count} probes in the last "
                f"{_duration(services.rate.window)}, which is the limit. "
                f"Please try again in {_duration(wait)}.",
                emoji="⏳",
            )
        )
    run = _ProbeRun(services, client, request, channel=channel, user=user, thread_ts=thread_ts)
    services.tasks.spawn(
        run.run(notify), name=f"probe {request.url} for {user}", on_error=run.report_error
    )
    return None


@dataclass(slots=True)
class _ProbeRun:
    services: Services
    client: AsyncWebClient
    request: Probe
    channel: str
    user: str
    thread_ts: str | None
    progress_ts: str | None = None
    reply_thread: str | None = None
    progress: _Progress | None = field(default=None)

    async def run(self, notify: Notify) -> None:
        try:
            await self._run(notify)
        finally:
            self.services.cap.leave()

    async def _run(self, notify: Notify) -> None:
        url = self.request.url
        started = progress_message(url, (), user=self.user)
        try:
            self.progress_ts = await post(
                self.client, self.channel, started, thread_ts=self.thread_ts
            )
        except SlackApiError as exc:
            if self.thread_ts is None and exc.response.get("error") in _CANNOT_POST:
                await notify(
                    notice(
                        "I can't post in this channel. Invite me with `/invite @eo`, or mention "
                        "me in a thread, and ask again.",
                        emoji="🙈",
                    )
                )
                return
            raise
        self.reply_thread = self.thread_ts or self.progress_ts
        progress = _Progress(self, interval=self.services.progress_interval)
        self.progress = progress
        try:
            report = await self.services.prober(
                url, origin=self.request.origin, on_progress=progress.phase
            )
        except TargetRefused as exc:
            await progress.finish(notice(f"I won't probe that: {exc}", emoji="🚫"))
            return
        diagnosis = self.services.diagnoser(report, self.request.code)
        entry = self._entry(diagnosis.kb_id)
        again = probe_again_value(url, self.request.origin, self.request.code)
        full = diagnosis_message(report, diagnosis, entry=entry, again=again)
        if self.thread_ts is None:
            await post(self.client, self.channel, full, thread_ts=self.progress_ts)
            await progress.finish(probe_summary_message(url, diagnosis, user=self.user))
        else:
            await progress.finish(full)

    def _entry(self, kb_id: str | None) -> Entry | None:
        if kb_id:
            entry = self.services.kb.get(kb_id)
            if entry is not None:
                return entry
        if self.request.code is not None:
            answer = self.services.matcher.ask(str(self.request.code))
            if answer.matches:
                return answer.matches[0].entry
        return None

    async def report_error(self, exc: BaseException) -> None:
        text = (
            f"Something went wrong while probing {self.request.url} "
            f"({type(exc).__name__}); it has been logged. Please try again later."
        )
        message = notice(text, emoji="⚠️")
        if self.progress is not None:
            await self.progress.settle()
        if self.progress_ts is None:
            await post(self.client, self.channel, message, thread_ts=self.thread_ts)
            return
        await post(self.client, self.channel, message, thread_ts=self.reply_thread)
        try:
            failed = notice(f"Probe of {self.request.url} failed.", emoji="⚠️")
            await update(self.client, self.channel, self.progress_ts, failed)
        except Exception:
            log.warning("could not mark the progress message as failed", exc_info=True)


class _Progress:
    """chat.update of the progress message as phases complete, at most one per ``interval``."""

    def __init__(self, run: _ProbeRun, *, interval: float) -> None:
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
        message = progress_message(self._run.request.url, tuple(self._done), user=self._run.user)
        self._pending = asyncio.get_running_loop().create_task(self._send(message))

    async def _send(self, message: Message) -> None:
        run = self._run
        assert run.progress_ts is not None
        try:
            await update(run.client, run.channel, run.progress_ts, message)
        except Exception:
            log.warning("progress update failed", exc_info=True)

    async def settle(self) -> None:
        if self._pending is not None:
            await asyncio.wait([self._pending])

    async def finish(self, message: Message) -> None:
        await self.settle()
        run = self._run
        assert run.progress_ts is not None
        await update(run.client, run.channel, run.progress_ts, message)


def _duration(seconds: float) -> str:
    seconds = max(round(seconds), 1)
    if seconds < 120:
        return f"{seconds} s"
    return f"{round(seconds / 60)} min"
