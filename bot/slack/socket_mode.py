"""Socket Mode: one supervised websocket to Slack, reconnected with back-off, stopped at once.

slack_sdk's ``SocketModeClient`` retries inside ``connect()`` forever (a traceback every ~11 s
while Slack is unreachable), retries a revoked token forever, and reconnects from background
tasks a shutdown cannot interrupt. So this module keeps slack_sdk for the Web API call and the
envelope model (``SocketModeRequest``) and drives the websocket (aiohttp) itself:

- ``SocketMode.run()`` asks ``apps.connections.open`` for a URL with the app token, opens the
  websocket and serves it until it ends, then connects again: at once when Slack asks for a
  refresh (``disconnect`` with ``refresh_requested`` or ``warning``: the new link is opened
  before the old one is let go), after an exponential back-off when the link dropped or a
  connection attempt failed (one log line each, no traceback). A refused app token raises
  ``SlackAuthError``: retrying cannot help. Cancelling ``run()`` closes everything promptly.
- A heartbeat (websocket ping every ``ping_interval``) replaces a link that went silent.
- Each envelope is handed to Bolt as a ``socket_mode`` request and acknowledged on the link it
  came from with Bolt's answer (``payload``), whatever Bolt's status, so Slack does not redeliver
  something the bot cannot handle. An envelope seen before (Slack redelivers one whose ack it did
  not get, possibly to another replica's link) is acknowledged again but not handled again: the
  envelope ids go through ``seen``, which a fleet shares in Redis.
- ``health()`` says whether a link is up, and if not, why (for ``/healthz``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Sequence
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import SlackLink
from bot.ops.logging import bind_request
from bot.ops.metrics import METRICS
from bot.slack.http import payload_kind
from bot.slack.payload import shape_problem
from bot.slack.startup import Backoff, Readiness, Unreachable, call_slack, describe, until_answered
from bot.state.base import Dedupe
from bot.state.memory import Seen

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10.0  # seconds for the websocket handshake
CLOSE_TIMEOUT = 2.0  # seconds to wait for Slack's reply to our close frame
DRAIN_TIMEOUT = 2.0  # seconds in-flight envelopes get to be acknowledged at shutdown
REFRESH_REASONS = frozenset({"refresh_requested", "warning"})
SEEN_TTL = 30 * 60.0  # Slack redelivers within minutes
MAX_MESSAGE = 4 * 1024 * 1024  # bytes in one websocket message
STABLE_AFTER = 60.0  # seconds a link must have lived for the back-off to start over


class _Link:
    """One websocket: reads envelopes until it ends; ``ended`` says why."""

    def __init__(self, number: int, ws: aiohttp.ClientWebSocketResponse, owner: SocketMode) -> None:
        self.number = number
        self.ws = ws
        self.refresh = False
        self.ended: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.opened_at = time.monotonic()
        self._owner = owner
        self._reader = asyncio.create_task(self._read(), name=f"socket-mode-link-{number}")

    @property
    def open(self) -> bool:
        """Still usable: a link Slack asked to replace keeps working until it closes."""
        return not self.ws.closed

    def end(self, reason: str, *, refresh: bool = False) -> None:
        if not self.ended.done():
            self.refresh = refresh
            self.ended.set_result(reason)

    async def _read(self) -> None:
        reason = "Slack closed the link"
        try:
            async for message in self.ws:
                if message.type is aiohttp.WSMsgType.TEXT:
                    self._owner._on_message(self, message.data)
                elif message.type is aiohttp.WSMsgType.ERROR:
                    reason = f"the link failed: {describe(message.data)}"
                    break
            if self.ws.close_code == 1006:  # no close frame: the connection was cut
                reason = "the link was cut"
            elif self.ws.close_code not in (None, 1000):
                reason = f"Slack closed the link (code {self.ws.close_code})"
        except (aiohttp.ClientError, OSError) as exc:
            reason = f"the link failed: {describe(exc)}"
        finally:
            self.end(reason)

    async def close(self) -> None:
        self.end("closed by eo-bot")
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT):
                await self.ws.close()
        except (TimeoutError, aiohttp.ClientError, OSError):
            pass
        self._reader.cancel()
        await asyncio.gather(self._reader, return_exceptions=True)


class SocketMode:
    """Receives Slack's envelopes over Socket Mode and answers them through ``app``."""

    def __init__(
        self,
        app: AsyncApp,
        *,
        client: AsyncWebClient,
        settings: SlackLink,
        readiness: Readiness | None = None,
        seen: Dedupe | None = None,
    ) -> None:
        """``client`` carries the app token (``xapp-...``) and no retry handlers of its own;
        ``seen`` remembers the envelopes handled (this process's memory by default)."""
        self._app = app
        self._client = client
        self._settings = settings
        self._readiness = readiness or Readiness()
        self._backoff = Backoff.from_settings(settings)
        self._seen: Dedupe = seen if seen is not None else Seen(ttl=SEEN_TTL, max_size=50_000)
        self._links: list[_Link] = []
        self._numbers = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._session: aiohttp.ClientSession | None = None

    # -- health -----------------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return any(link.open for link in self._links)

    async def health(self) -> tuple[bool, dict[str, object]]:
        connected = self.connected
        details: dict[str, object] = {"mode": "socket", "connected": connected}
        if not connected:
            details["reason"] = self._readiness.reason
        return connected, details

    # -- the supervisor ---------------------------------------------------------------------------

    async def run(self) -> None:
        """Connect and serve until cancelled. Raises ``SlackAuthError`` if the app token is
        refused, at start-up or on any later reconnection."""
        async with aiohttp.ClientSession(trust_env=True) as session:
            self._session = session
            try:
                link = await self._connect("connecting")
                while True:
                    reason = await asyncio.shield(link.ended)
                    if link.refresh:
                        # Slack will close this link soon: open the next one first.
                        log.info("Socket Mode: Slack asked for a new link (%s)", reason)
                        old, link = link, await self._connect("refreshing the link")
                        await old.close()
                    else:
                        log.warning("Socket Mode: %s; reconnecting", reason)
                        await link.close()
                        if time.monotonic() - link.opened_at > STABLE_AFTER:
                            self._backoff.reset()  # it was a good link: start over quickly
                        delay = self._backoff.next_delay()
                        self._readiness.waiting(f"{reason}; reconnecting in {delay:.3g} s")
                        await asyncio.sleep(delay)
                        link = await self._connect("reconnecting")
                    self._links = [link for link in self._links if link.open]
            finally:
                await self._close()

    async def _connect(self, what: str) -> _Link:
        self._readiness.waiting(what)
        link = await until_answered(
            f"Socket Mode, {what}",
            self._open_link,
            backoff=self._backoff,
            readiness=self._readiness,
        )
        self._links.append(link)
        self._readiness.done("connected")
        log.info("Socket Mode: link %d open", link.number)
        return link

    async def _open_link(self) -> _Link:
        client = self._client
        response = await call_slack(
            "SLACK_APP_TOKEN", lambda: client.apps_connections_open(app_token=client.token or "")
        )
        url = response.get("url")
        if not isinstance(url, str) or not url.startswith(("wss://", "ws://")):
            raise Unreachable("apps.connections.open gave no websocket URL")
        assert self._session is not None
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT):
                ws = await self._session.ws_connect(
                    url,
                    heartbeat=self._settings.ping_interval,
                    max_msg_size=MAX_MESSAGE,
                    timeout=aiohttp.ClientWSTimeout(ws_close=CLOSE_TIMEOUT),
                )
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise Unreachable(describe(exc)) from None
        self._numbers += 1
        return _Link(self._numbers, ws, self)

    async def _close(self) -> None:
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=DRAIN_TIMEOUT)
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await asyncio.gather(*(link.close() for link in self._links), return_exceptions=True)
        self._links = []

    # -- messages ---------------------------------------------------------------------------------

    def _on_message(self, link: _Link, raw: str) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            log.warning("Socket Mode: ignored a message that is not JSON (%d bytes)", len(raw))
            return
        if not isinstance(message, dict):
            log.warning("Socket Mode: ignored a JSON message that is not an object")
            return
        kind = message.get("type")
        if kind == "hello":
            log.info(
                "Socket Mode: hello from Slack, links open: %s", message.get("num_connections")
            )
            return
        if kind == "disconnect":
            reason = str(message.get("reason") or "no reason given")[:80]
            link.end(f"disconnect: {reason}", refresh=reason in REFRESH_REASONS)
            return
        envelope_id = message.get("envelope_id")
        if not isinstance(envelope_id, str) or not envelope_id:
            log.warning(
                "Socket Mode: ignored a message of type %r without an envelope id", str(kind)[:40]
            )
            return
        self._spawn(self._handle(link, message, envelope_id))

    def _spawn(self, work: Any) -> None:
        task: asyncio.Task[None] = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, link: _Link, message: dict[str, Any], envelope_id: str) -> None:
        started = time.perf_counter()
        bind_request(envelope_id)
        ack: dict[str, Any] = {"envelope_id": envelope_id}
        if not await self._seen.first(f"envelope:{envelope_id}"):
            log.info("Socket Mode: envelope %s delivered again; acknowledged again", envelope_id)
            await self._ack(link, ack)
            return
        payload = message.get("payload")
        kind = payload_kind(payload) if isinstance(payload, dict) else "other"
        METRICS.requests.labels(kind).inc()
        log.info("Socket Mode: %s received in envelope %s", kind, envelope_id)
        status = 200
        try:
            request = SocketModeRequest.from_dict(message)
            if request is None:
                raise ValueError("an envelope needs type, envelope_id and payload")
            problem = shape_problem(request.payload)
            if problem is not None:
                raise ValueError(problem)
            response = await self._app.async_dispatch(
                AsyncBoltRequest(mode="socket_mode", body=request.payload, headers=_retry(request))
            )
        except Exception as exc:  # an envelope Bolt cannot take: say so once, ack, move on
            status = 400
            log.warning(
                "Socket Mode: could not handle an envelope of type %s: %s: %s",
                str(message.get("type"))[:40],
                type(exc).__name__,
                str(exc)[:200],
            )
        else:
            status = response.status
            answer = _ack_payload(response)
            if answer is not None:
                ack["payload"] = answer
        await self._ack(link, ack)
        METRICS.ack(kind, status, time.perf_counter() - started)

    async def _ack(self, link: _Link, ack: dict[str, Any]) -> None:
        """On the envelope's own link if still open, else on the newest open one."""
        candidates = [link] + [other for other in reversed(self._links) if other is not link]
        for target in candidates:
            if not target.open:
                continue
            try:
                await target.ws.send_str(json.dumps(ack))
                return
            except (aiohttp.ClientError, OSError):
                continue
        log.info(
            "Socket Mode: no open link to acknowledge envelope %s; Slack will deliver it again",
            ack["envelope_id"],
        )


def _retry(request: SocketModeRequest) -> dict[str, str | Sequence[str]] | None:
    """The retry headers HTTP mode would carry, so listeners can tell a redelivered event."""
    headers: dict[str, str | Sequence[str]] = {}
    if request.retry_attempt is not None:
        headers["x-slack-retry-num"] = str(request.retry_attempt)
    if request.retry_reason is not None:
        headers["x-slack-retry-reason"] = str(request.retry_reason)
    return headers or None


def _ack_payload(response: BoltResponse) -> dict[str, Any] | None:
    """What Bolt answered, as the ack's payload (a modal's errors, an ack(text=...))."""
    if response.status != 200 or not response.body:
        return None
    content_type = (response.headers.get("content-type") or [""])[0]
    if content_type.startswith("application/json"):
        try:
            body = json.loads(response.body)
        except ValueError:
            return None
        return body if isinstance(body, dict) else None
    return {"text": response.body}
