"""Slack plumbing the surfaces share: the Web API client with retries, response_url and
chat.postMessage/chat.update helpers, and ``services_from_config``.
"""

from __future__ import annotations

import logging
from collections.abc import Coroutine, Mapping
from typing import Any

import aiohttp
from pydantic import SecretStr
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.chat.services import Services, regional_prober
from bot.chat.tasks import Tasks
from bot.config import Config, Visibility
from bot.knowledge import KnowledgeBase
from bot.ops.metrics import METRICS
from bot.render.blocks import Message
from bot.slack.startup import describe
from bot.state import State, memory_state, redis_state

log = logging.getLogger(__name__)


class _CountedRateLimits(AsyncRateLimitErrorRetryHandler):
    """Retries 429s like slack_sdk's handler and counts each one (``eo_slack_api_calls``)."""

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is not None and response.status_code == 429:
            method = request.url.rstrip("/").rsplit("/", 1)[-1]
            METRICS.slack_call(method if "." in method else "response_url", "http_429")
        return await super()._can_retry_async(
            state=state, request=request, response=response, error=error
        )


def retry_handlers() -> list[AsyncRetryHandler]:
    """Connection errors, 429 (honouring Retry-After) and 5xx are retried a few times."""
    return [
        AsyncConnectionErrorRetryHandler(max_retry_count=2),
        _CountedRateLimits(max_retry_count=3),
        AsyncServerErrorRetryHandler(max_retry_count=2),
    ]


class CountingWebClient(AsyncWebClient):
    """The Web API client, counting (``eo_slack_api_calls``) and logging each call's outcome."""

    async def api_call(self, api_method: str, *args: Any, **kwargs: Any) -> AsyncSlackResponse:
        try:
            response = await super().api_call(api_method, *args, **kwargs)
        except SlackApiError as exc:
            error = str(exc.response.get("error") or f"http_{exc.response.status_code}")
            METRICS.slack_call(api_method, error)
            log.info("Slack %s: %s", api_method, error)
            raise
        except Exception:
            METRICS.slack_call(api_method, "connection")
            raise
        METRICS.slack_call(api_method)
        log.info("Slack %s: ok", api_method)
        return response


def make_client(
    token: SecretStr | str,
    *,
    base_url: str | None = None,
    timeout: int = 10,
    retries: bool = True,
) -> AsyncWebClient:
    """The Web API client; ``retries=False`` for callers that run their own back-off (start-up
    checks and the Socket Mode link), without even slack_sdk's default retry."""
    kwargs: dict[str, Any] = {"base_url": base_url} if base_url else {}
    plain = token.get_secret_value() if isinstance(token, SecretStr) else token
    if not retries:
        return CountingWebClient(token=plain, timeout=timeout, retry_handlers=[], **kwargs)
    client = CountingWebClient(token=plain, timeout=timeout, **kwargs)
    for handler in retry_handlers():
        if not any(type(h) is type(handler) for h in client.retry_handlers):
            client.retry_handlers.append(handler)
    return client


def services_from_config(config: Config, kb: KnowledgeBase, state: State | None = None) -> Services:
    """The conversation's services over ``state`` (by default this process's memory)."""
    if state is None:
        state = memory_state(
            rate=(config.rate_count, config.rate_window), max_concurrent=config.max_concurrent
        )
    edgeone = None
    if config.edgeone is not None:
        from bot.chat.edgeone import EdgeOneChat  # the API stack: only with credentials

        edgeone = EdgeOneChat.build(config.edgeone, config.probe)
    return Services.build(
        kb,
        config.probe,
        visibility=config.visibility,
        language=config.language,
        rate=state.rate,
        alert_rate=state.alert_rate,
        cap=state.cap,
        seen_events=state.seen_events,
        seen_messages=state.seen_messages,
        history=state.history,
        watch_store=state.watches,
        replica=state.replica,
        watch_channels=config.watch_channels,
        watch=config.watch,
        edgeone=edgeone,
        regional=regional_prober(config.agents),
        # The agents' answers travel back after their own probe's deadline; the caller takes 60 s
        # at most.
        regional_deadline=min(config.probe.deadline + 5.0, 60.0),
    )


async def state_from_config(config: Config) -> State:
    """Redis when ``EO_REDIS_URL`` is set (``StoreUnavailable`` if it does not answer), else
    this process's memory."""
    rate = (config.rate_count, config.rate_window)
    if config.redis is None:
        state = memory_state(rate=rate, max_concurrent=config.max_concurrent)
    else:
        state = await redis_state(
            config.redis.url.get_secret_value(),
            prefix=config.redis.prefix,
            call_timeout=config.redis.timeout,
            lease=config.watch.lease,
            rate=rate,
            max_concurrent=config.max_concurrent,
            on_error=lambda op: METRICS.state_errors.labels(op).inc(),
        )
    METRICS.track_degraded(lambda: state.degraded)
    return state


async def respond(
    response_url: str | None,
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


def response_url_of(body: Mapping[str, Any]) -> str | None:
    """The payload's ``response_url`` if it has a usable one (a modal or App Home has none)."""
    url = body.get("response_url")
    if isinstance(url, str) and url.startswith(("https://", "http://")):
        return url
    return None


async def send_to_response_url(response_url: str | None, payload: dict[str, Any]) -> None:
    """POST to a ``response_url`` (with retries); a failure is one log line, not an exception:
    there is no other way to reach that person's private view."""
    if response_url is None or not response_url.startswith(("https://", "http://")):
        log.warning("no usable response_url in the payload: the answer was not sent")
        return
    client = AsyncWebhookClient(url=response_url, timeout=10, retry_handlers=retry_handlers())
    try:
        result = await client.send_dict(payload)
    except (aiohttp.ClientError, TimeoutError) as exc:
        METRICS.slack_call("response_url", "connection")
        log.warning("could not post to response_url: %s", describe(exc))
        return
    if result.status_code >= 400:
        METRICS.slack_call("response_url", f"http_{result.status_code}")
        log.warning("response_url answered %s: %s", result.status_code, result.body[:200])
        return
    METRICS.slack_call("response_url")
    log.info("Slack response_url: ok")


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


def later(tasks: Tasks, work: Coroutine[Any, Any, None], *, name: str) -> None:
    """Run ``work`` once the listener has returned.

    The app answers Slack as soon as a listener returns (``process_before_response``: Bolt's
    default instead polls every 10 ms for the ack, which costs every request up to 10 ms), so a
    listener acknowledges and hands what comes after to the background, where a failure is
    logged with its traceback.
    """
    tasks.spawn(work, name=name)
