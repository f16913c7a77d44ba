"""HTTP mode's endpoint: ``POST /slack/events`` and ``GET /healthz``.

A request is checked before anything in it is parsed, cheapest first; the first failure answers a
4xx and one short line in the log (throttled, never the body, see ``bot.slack.logs.Throttled``):

1. ``X-Slack-Request-Timestamp`` is a number within five minutes and ``X-Slack-Signature`` is
   there (401); the body is at most ``MAX_BODY`` bytes (413) and arrives within the request
   timeout (408);
2. the signature: HMAC-SHA256 of ``v0:{timestamp}:{body}`` over the raw bytes (401);
3. the content type is JSON or a form (415), the body is UTF-8 (400) and has the shape Slack
   sends (400): a JSON object, or a form whose fields each appear once, with at most one
   ``payload`` that is a JSON object; and the fields slack-bolt relies on have Slack's types
   (``bot.slack.payload``).

Bolt then gets the verified payload as a JSON object, so its own body parsing, which treats any
form containing the word "payload" as an interactive payload (and so loses a slash command like
``/eo payload too large``), never sees a form. Bolt's own signature check is off: it would check
the same signature again, and on failure logs the whole body.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiohttp import web
from pydantic import SecretStr
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.config import HTTPLimits
from bot.ops.logging import bind_request
from bot.ops.metrics import METRICS
from bot.slack.listener import ConnectionGuard
from bot.slack.logs import Throttled
from bot.slack.payload import shape_problem

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
MAX_BODY = 1024 * 1024  # Slack's payloads are far smaller; aiohttp's default cap too
MAX_FIELDS = 100  # a slash command has about a dozen
SIGNATURE_MAX_AGE = 5 * 60  # seconds, as Slack recommends
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

Health = Callable[[], Awaitable[tuple[bool, dict[str, object]]]]


class Refused(Exception):
    """A request answered with a 4xx. ``kind`` groups the log lines; ``reason`` is what the client
    is told (and what the log line says)."""

    def __init__(self, status: int, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.kind = kind
        self.reason = reason


def http_app(
    app: AsyncApp,
    *,
    signing_secret: SecretStr | str,
    health: Health | None = None,
    guard: ConnectionGuard | None = None,
) -> web.Application:
    """The aiohttp application of HTTP mode (with ``guard.middleware`` when a guard is given)."""
    endpoint = Endpoint(app, signing_secret, guard.limits if guard else HTTPLimits())
    web_app = web.Application(
        middlewares=[guard.middleware] if guard else [], client_max_size=MAX_BODY
    )
    web_app.router.add_post(EVENTS_PATH, endpoint.events)
    web_app.router.add_get(HEALTH_PATH, health_handler(health or always_ok("http")))
    web_app.router.add_get(METRICS_PATH, metrics)
    return web_app


def health_app(health: Health, *, guard: ConnectionGuard | None = None) -> web.Application:
    """Only ``GET /healthz`` and ``GET /metrics`` (Socket Mode)."""
    web_app = web.Application(middlewares=[guard.middleware] if guard else [])
    web_app.router.add_get(HEALTH_PATH, health_handler(health))
    web_app.router.add_get(METRICS_PATH, metrics)
    return web_app


async def metrics(_: web.Request) -> web.Response:
    """``GET /metrics``: this replica's metrics in Prometheus's text format."""
    body, content_type = METRICS.exposition()
    return web.Response(body=body, headers={"Content-Type": content_type})


def payload_kind(payload: dict[str, Any]) -> str:
    """What a verified payload is, for metrics and logs: command, event, action, view, other."""
    if "command" in payload:
        return "command"
    kind = payload.get("type")
    if kind == "event_callback":
        return "event"
    if kind in ("block_actions", "block_suggestion", "interactive_message", "shortcut"):
        return "action"
    if kind in ("view_submission", "view_closed"):
        return "view"
    return "other"


def request_hint(payload: dict[str, Any]) -> str | None:
    """Slack's own id of a request, to follow it in the logs (an event id, a trigger id)."""
    for key in ("event_id", "trigger_id"):
        value = payload.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def health_handler(health: Health) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handler(_: web.Request) -> web.Response:
        ok, details = await health()
        return web.json_response({"ok": ok, **details}, status=200 if ok else 503)

    return handler


def always_ok(mode: str) -> Health:
    async def health() -> tuple[bool, dict[str, object]]:
        return True, {"mode": mode}

    return health


class Endpoint:
    """``POST /slack/events``: the checks of the module docstring, then Bolt."""

    def __init__(
        self,
        app: AsyncApp,
        signing_secret: SecretStr | str,
        limits: HTTPLimits,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._app = app
        secret = signing_secret
        self._secret = (
            secret.get_secret_value() if isinstance(secret, SecretStr) else secret
        ).encode()
        self._limits = limits
        self._clock = clock
        self._throttled = Throttled(log)

    async def events(self, request: web.Request) -> web.StreamResponse:
        started = time.perf_counter()
        try:
            payload = await self._verified_payload(request)
        except Refused as refused:
            self._throttled.warning(
                refused.kind,
                "refused POST %s from %s: %s (%d)",
                EVENTS_PATH,
                request.remote or "?",
                refused.reason,
                refused.status,
            )
            METRICS.requests.labels("refused").inc()
            return web.Response(status=refused.status, text=refused.reason + "\n")
        kind = payload_kind(payload)
        request_id = bind_request(request_hint(payload))
        METRICS.requests.labels(kind).inc()
        retry = request.headers.get("X-Slack-Retry-Num")
        log.info("%s received%s (%s)", kind, f", retry {retry[:4]}" if retry else "", request_id)
        response = await self._dispatch(request, payload)
        METRICS.ack(kind, response.status, time.perf_counter() - started)
        return response

    async def _verified_payload(self, request: web.Request) -> dict[str, Any]:
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature", "")
        if not signature or not timestamp:
            raise Refused(401, "unsigned", "no Slack signature headers")
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
            raise Refused(401, "timestamp", "X-Slack-Request-Timestamp is not a number")
        if abs(self._clock() - int(timestamp)) > SIGNATURE_MAX_AGE:
            raise Refused(401, "stale", "X-Slack-Request-Timestamp is more than 5 minutes off")
        if (request.content_length or 0) > MAX_BODY:
            raise Refused(413, "size", f"body larger than {MAX_BODY} bytes")
        body = await self._read(request)
        expected = hmac.new(
            self._secret, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256
        ).hexdigest()
        if not hmac.compare_digest(
            ("v0=" + expected).encode(), signature.encode("utf-8", "surrogateescape")
        ):
            raise Refused(401, "signature", "the signature does not match")
        return _checked(parse_payload(request.content_type, body))

    async def _read(self, request: web.Request) -> bytes:
        try:
            async with asyncio.timeout(self._limits.header_timeout):
                return await request.read()
        except web.HTTPRequestEntityTooLarge:
            raise Refused(413, "size", f"body larger than {MAX_BODY} bytes") from None
        except TimeoutError:
            raise Refused(
                408, "slow", f"body not received within {self._limits.header_timeout:g} s"
            ) from None

    async def _dispatch(self, request: web.Request, payload: dict[str, Any]) -> web.StreamResponse:
        headers: dict[str, str | Sequence[str]] = {
            name: value
            for name, value in request.headers.items()
            if name.lower().startswith("x-slack-")
        }
        headers["Content-Type"] = JSON
        try:
            bolt_request = AsyncBoltRequest(
                body=json.dumps(payload), query=request.query_string, headers=headers
            )
            bolt_response = await self._app.async_dispatch(bolt_request)
        except Exception as exc:  # Bolt's own handling trips over a signed but odd payload
            kind = str(payload.get("type") or payload.get("command") or "unknown")
            self._throttled.warning(
                "odd",
                "could not handle a signed %s request: %s: %s",
                kind[:40],
                type(exc).__name__,
                str(exc)[:200],
            )
            return web.Response(status=400, text="payload not understood\n")
        return await to_aiohttp_response(bolt_response)


def parse_payload(content_type: str, body: bytes) -> dict[str, Any]:
    """The payload of a verified request, or ``Refused`` (400/415) saying what is wrong."""
    if content_type not in (FORM, JSON):
        raise Refused(415, "content-type", f"content type must be {FORM} or {JSON}")
    if not body:
        raise Refused(400, "shape", "empty body")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, "shape", "body is not UTF-8") from None
    if content_type == JSON:
        return _json_object(text, "body")
    try:
        pairs = urllib.parse.parse_qsl(
            text, keep_blank_values=True, strict_parsing=True, max_num_fields=MAX_FIELDS
        )
    except ValueError:
        raise Refused(400, "shape", "form body is malformed") from None
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name in fields:
            raise Refused(400, "shape", f"form field {name[:40]!r} appears twice")
        fields[name] = value
    if "payload" in fields:
        return _json_object(fields["payload"], "payload")
    return dict(fields)


def _checked(payload: dict[str, Any]) -> dict[str, Any]:
    problem = shape_problem(payload)
    if problem is not None:
        raise Refused(400, "shape", problem)
    return payload


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise Refused(400, "shape", f"{what} is not JSON") from None
    if not isinstance(value, dict):
        raise Refused(400, "shape", f"{what} is JSON but not an object")
    return value
