"""Reaching Slack at start-up: the token checks, back-off, and failures told in one line.

``check_token`` calls a Web API method (``auth.test`` for the bot token, and the Socket Mode link
calls ``apps.connections.open`` with the app token the same way) until Slack answers:

- an answer that refuses the token (revoked, wrong kind, deactivated workspace...) raises
  ``SlackAuthError`` naming the variable: retrying cannot help, start-up stops with exit 2;
- anything else (Slack unreachable, timeouts, 5xx, rate limits) is logged as one line, without a
  traceback, and tried again after an exponential back-off with jitter.

``Readiness`` is what ``/healthz`` reports meanwhile: 503 with the reason until Slack answered.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.config import SlackLink

log = logging.getLogger(__name__)
_T = TypeVar("_T")

# Web API errors that mean the token itself is refused; each with what to do about it.
AUTH_ERRORS = {
    "not_authed": "no token reached Slack",
    "invalid_auth": "Slack does not know this token; copy it again from the app's settings",
    "token_revoked": "the token was revoked (was the app uninstalled or the token regenerated?)",
    "token_expired": "the token has expired; turn off token rotation or issue a new one",
    "account_inactive": "the workspace or the app's bot user was deactivated",
    "not_allowed_token_type": "this is the wrong kind of token",
    "missing_scope": "the token lacks a scope this call needs",
    "no_permission": "the token lacks the permission this call needs",
    "team_access_not_granted": "the token has not been granted access to this workspace",
    "ekm_access_denied": "the workspace's administrators have suspended the app's access",
}
# What each variable should hold, said when Slack refuses the token as the wrong kind.
EXPECTED = {
    "SLACK_BOT_TOKEN": "the Bot User OAuth Token (xoxb-...) from OAuth & Permissions",
    "SLACK_APP_TOKEN": (
        "an app-level token (xapp-...) with the connections:write scope, from Basic Information"
    ),
}


class SlackAuthError(Exception):
    """Slack refused a token: ``variable`` names the setting, str(exc) is one line."""

    def __init__(self, variable: str, error: str) -> None:
        hint = AUTH_ERRORS.get(error, "Slack refused the token")
        if error in ("not_allowed_token_type", "missing_scope", "invalid_auth"):
            hint += f"; it must be {EXPECTED.get(variable, 'a valid token')}"
        super().__init__(f"{variable}: Slack refused the token ({error}): {hint}")
        self.variable = variable
        self.error = error


class Unreachable(Exception):
    """Slack could not be asked or gave no usable answer; ``retry_after`` when it said when."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


@dataclass
class Readiness:
    """What start-up is doing, for ``/healthz``: ready, or the reason it is not (yet)."""

    ready: bool = False
    reason: str = "starting"

    def waiting(self, reason: str) -> None:
        self.ready, self.reason = False, reason

    def done(self, reason: str = "ok") -> None:
        self.ready, self.reason = True, reason


@dataclass
class Backoff:
    """Exponential back-off with jitter between ``first`` and ``longest`` seconds."""

    first: float = 1.0
    longest: float = 60.0
    attempt: int = 0

    @classmethod
    def from_settings(cls, link: SlackLink) -> Backoff:
        return cls(first=link.retry_min, longest=link.retry_max)

    def next_delay(self) -> float:
        ceiling = min(self.longest, self.first * 2 ** min(self.attempt, 30))
        self.attempt += 1
        return random.uniform(ceiling / 2, ceiling)

    def reset(self) -> None:
        self.attempt = 0


def describe(exc: BaseException) -> str:
    """One line saying what went wrong talking to Slack: no traceback, no class internals."""
    if isinstance(exc, TimeoutError | asyncio.TimeoutError | aiohttp.ServerTimeoutError):
        return "timed out"
    if isinstance(exc, aiohttp.ClientConnectorError):
        cause = getattr(exc, "os_error", None)
        number = getattr(cause, "errno", None)
        # asyncio words a refused connection "Connect call failed (...)"; the errno says it
        # better. Name resolution errors have negative numbers and their own wording.
        if isinstance(number, int) and number > 0:
            why: object = os.strerror(number)
        else:
            why = getattr(cause, "strerror", None) or cause or "connection failed"
        return f"cannot connect to {exc.host}:{exc.port} ({why})"
    if isinstance(exc, aiohttp.WSServerHandshakeError):
        return f"the websocket handshake was refused (HTTP {exc.status})"
    if isinstance(exc, aiohttp.ClientResponseError):
        return f"HTTP {exc.status} {exc.message}".strip()
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]


async def call_slack(
    variable: str, call: Callable[[], Awaitable[AsyncSlackResponse]]
) -> AsyncSlackResponse:
    """One Web API call; SlackAuthError when the token is refused, Unreachable otherwise."""
    try:
        return await call()
    except SlackApiError as exc:
        response: Any = exc.response
        error = str(response.get("error") or "") if hasattr(response, "get") else ""
        if error in AUTH_ERRORS:
            raise SlackAuthError(variable, error) from None
        status = getattr(response, "status_code", 0)
        retry_after: float | None = None
        if error == "ratelimited" or status == 429:
            headers = getattr(response, "headers", {}) or {}
            retry_after = _seconds(headers.get("Retry-After") or headers.get("retry-after"))
        raise Unreachable(
            f"Slack answered {error or 'an error'} (HTTP {status})", retry_after=retry_after
        ) from None
    except (aiohttp.ClientError, OSError, TimeoutError, SlackClientError) as exc:
        raise Unreachable(describe(exc)) from None


async def until_answered(
    what: str,
    attempt: Callable[[], Awaitable[_T]],
    *,
    backoff: Backoff,
    readiness: Readiness | None = None,
) -> _T:
    """Run ``attempt`` until it returns; each ``Unreachable`` is one log line and a back-off.
    ``SlackAuthError`` (and cancellation) go straight through."""
    while True:
        try:
            result = await attempt()
        except Unreachable as exc:
            delay = backoff.next_delay()
            if exc.retry_after is not None:
                delay = max(delay, exc.retry_after)
            reason = f"{what}: {exc}"
            if readiness is not None:
                readiness.waiting(reason)
            log.warning("%s; trying again in %.3g s", reason, delay)
            await asyncio.sleep(delay)
            continue
        return result


async def check_bot_token(
    client: AsyncWebClient, *, backoff: Backoff, readiness: Readiness | None = None
) -> dict[str, Any]:
    """``auth.test`` with the bot token until Slack answers; returns its answer."""

    async def attempt() -> dict[str, Any]:
        response = await call_slack("SLACK_BOT_TOKEN", client.auth_test)
        return dict(response.data) if isinstance(response.data, dict) else {}

    if readiness is not None:
        readiness.waiting("checking SLACK_BOT_TOKEN with Slack (auth.test)")
    identity = await until_answered(
        "checking SLACK_BOT_TOKEN (auth.test)", attempt, backoff=backoff, readiness=readiness
    )
    log.info(
        "SLACK_BOT_TOKEN accepted: bot %s in workspace %s",
        identity.get("user_id", "?"),
        identity.get("team_id", "?"),
    )
    return identity


def _seconds(raw: object) -> float | None:
    try:
        return max(0.0, float(str(raw)))
    except ValueError:
        return None
