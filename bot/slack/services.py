"""What the Slack surfaces share: the core services, the guards, and helpers to send messages.

``Services`` is built once per app and handed to each surface's ``register``; tests build it with
their own prober, clock-free settings and a client pointed at a fake Slack.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.config import Config
from bot.diagnosis import Diagnosis, diagnose
from bot.knowledge import KnowledgeBase, Matcher
from bot.probe.models import ProbeReport
from bot.probe.runner import ProbeSettings, ProgressCallback, probe
from bot.probe.safety import ProbePolicy
from bot.render.blocks import Message
from bot.slack.dedupe import Seen
from bot.slack.limits import ConcurrencyCap, RateLimiter
from bot.slack.tasks import Tasks

log = logging.getLogger(__name__)

Visibility = Literal["ephemeral", "in_channel"]


class Prober(Protocol):
    def __call__(
        self, url: str, *, origin: str | None, on_progress: ProgressCallback | None
    ) -> Awaitable[ProbeReport]: ...


Diagnoser = Callable[[ProbeReport, int | None], Diagnosis]


def retry_handlers() -> list[AsyncRetryHandler]:
    """Connection errors, 429 (honouring Retry-After) and 5xx are retried a few times."""
    return [
        AsyncConnectionErrorRetryHandler(max_retry_count=2),
        AsyncRateLimitErrorRetryHandler(max_retry_count=3),
        AsyncServerErrorRetryHandler(max_retry_count=2),
    ]


def make_client(token: str, *, base_url: str | None = None, timeout: int = 10) -> AsyncWebClient:
    kwargs: dict[str, Any] = {"base_url": base_url} if base_url else {}
    client = AsyncWebClient(token=token, timeout=timeout, **kwargs)
    for handler in retry_handlers():
        if not any(type(h) is type(handler) for h in client.retry_handlers):
            client.retry_handlers.append(handler)
    return client


@dataclass(slots=True)
class Services:
    kb: KnowledgeBase
    matcher: Matcher
    prober: Prober
    diagnoser: Diagnoser
    policy: ProbePolicy
    visibility: Visibility = "ephemeral"
    rate: RateLimiter = field(default_factory=lambda: RateLimiter(5, 60.0))
    cap: ConcurrencyCap = field(default_factory=lambda: ConcurrencyCap(4))
    seen_events: Seen = field(default_factory=Seen)
    seen_messages: Seen = field(default_factory=Seen)
    tasks: Tasks = field(default_factory=Tasks)
    progress_interval: float = 1.0  # seconds between two chat.update calls of a probe's progress

    @classmethod
    def from_config(cls, config: Config, kb: KnowledgeBase) -> Services:
        return cls.build(
            kb,
            config.probe,
            visibility=config.visibility,
            rate=RateLimiter(config.rate_count, config.rate_window),
            cap=ConcurrencyCap(config.max_concurrent),
        )

    @classmethod
    def build(
        cls,
        kb: KnowledgeBase,
        settings: ProbeSettings,
        *,
        matcher: Matcher | None = None,
        **kwargs: Any,
    ) -> Services:
        """Services using the real probe and diagnosis."""

        def diagnoser(report: ProbeReport, stated_code: int | None) -> Diagnosis:
            return diagnose(report, kb, stated_code=stated_code)

        return cls(
            kb=kb,
            matcher=matcher or Matcher(kb),
            prober=functools.partial(probe, settings=settings),
            diagnoser=diagnoser,
            policy=settings.policy,
            **kwargs,
        )

    def fresh(self, body: dict[str, Any], event: dict[str, Any]) -> bool:
        """False for a redelivered event or a message already handled under another event."""
        event_id = body.get("event_id")
        if event_id and not self.seen_events.first(("event", event_id)):
            log.info("ignoring redelivered event %s", event_id)
            return False
        channel, ts = event.get("channel"), event.get("ts")
        if channel and ts and not self.seen_messages.first(("message", channel, ts)):
            log.info("ignoring message %s/%s already handled", channel, ts)
            return False
        return True


async def respond(
    response_url: str,
    message: Message,
    *,
    response_type: Visibility | None = None,
    replace_original: bool | None = None,
) -> None:
    """Post to a ``response_url`` (with retries); ephemeral unless ``response_type`` says not."""
    payload: dict[str, Any] = {"text": message.text, "blocks": message.block_dicts()}
    if response_type is not None:
        payload["response_type"] = response_type
    if replace_original is not None:
        payload["replace_original"] = replace_original
    await send_to_response_url(response_url, payload)


async def send_to_response_url(response_url: str, payload: dict[str, Any]) -> None:
    client = AsyncWebhookClient(url=response_url, timeout=10, retry_handlers=retry_handlers())
    result = await client.send_dict(payload)
    if result.status_code >= 400:
        log.warning("response_url answered %s: %s", result.status_code, result.body[:200])


async def post(
    client: AsyncWebClient, channel: str, message: Message, *, thread_ts: str | None = None
) -> str:
    """chat.postMessage; returns the new message's ts."""
    kwargs: dict[str, Any] = {"thread_ts": thread_ts} if thread_ts else {}
    response = await client.chat_postMessage(
        channel=channel, text=message.text, blocks=message.block_dicts(), **kwargs
    )
    return str(response.get("ts", ""))


async def update(client: AsyncWebClient, channel: str, ts: str, message: Message) -> None:
    await client.chat_update(
        channel=channel, ts=ts, text=message.text, blocks=message.block_dicts()
    )
