"""Slack's side of Socket Mode on 127.0.0.1, written from Slack's protocol description.

``FakeSlack`` answers ``apps.connections.open`` with ``ws://127.0.0.1:<port>/link/?ticket=N``;
this module serves that websocket. Each accepted websocket is a ``Link``: it says ``hello`` at
once (like Slack), records every message the app sends (acknowledgements), and can be told to send
envelopes (``slash_commands``, ``events_api``, ``interactive``), to ask for a refresh
(``disconnect`` with ``refresh_requested``: the old link is closed once the app has opened a new
one, as Slack does a few seconds later), to drop (the TCP connection is cut without a close
frame) or to go silent (pings are no longer answered).

Scripting: ``refuse_links`` makes the websocket upgrade fail with HTTP 503 (Slack's edge down
while ``apps.connections.open`` still answers); ``hello=False`` leaves new links without hello.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

APP_ID = "A0TEST"


@dataclass
class Link:
    number: int
    ticket: str
    ws: web.WebSocketResponse
    request: web.Request
    received: list[dict[str, Any]] = field(default_factory=list)
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    silent: bool = False  # when set, pings go unanswered (a link that went dead on the way)
    connections_at_hello: int = 0  # open links, this one included, when it said hello

    @property
    def open(self) -> bool:
        return not self.closed.is_set() and not self.ws.closed

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send_str(json.dumps(message))

    def drop(self) -> None:
        """Cut the TCP connection: no close frame, the app only sees the connection go."""
        transport = self.request.transport
        if transport is not None:
            transport.abort()


@dataclass
class FakeSocketMode:
    links: list[Link] = field(default_factory=list)
    hello: bool = True
    refuse_links: bool = False
    _tickets: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _envelopes: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/link/", self._accept)

    def new_url(self, base_url: str) -> str:
        """The URL apps.connections.open hands out (``base_url`` is ``http://127.0.0.1:N/``)."""
        return f"{base_url.replace('http://', 'ws://', 1)}link/?ticket={next(self._tickets)}"

    # -- queries --------------------------------------------------------------------------------

    @property
    def open_links(self) -> list[Link]:
        return [link for link in self.links if link.open]

    @property
    def current(self) -> Link:
        links = self.open_links
        assert links, "no open Socket Mode link"
        return links[-1]

    def acks(self, envelope_id: str) -> list[dict[str, Any]]:
        return [
            message
            for link in self.links
            for message in link.received
            if message.get("envelope_id") == envelope_id
        ]

    async def wait_for(self, predicate: Callable[[], bool], *, limit: float, what: str) -> None:
        deadline = time.monotonic() + limit
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; links: {len(self.links)}")
            await asyncio.sleep(0.01)

    async def wait_link(self, count: int = 1, *, limit: float = 10.0) -> Link:
        """The ``count``-th link once it is open."""
        await self.wait_for(
            lambda: len(self.links) >= count and self.links[count - 1].open,
            limit=limit,
            what=f"link {count}",
        )
        return self.links[count - 1]

    async def wait_ack(
        self, envelope_id: str, count: int = 1, *, limit: float = 10.0
    ) -> list[dict[str, Any]]:
        await self.wait_for(
            lambda: len(self.acks(envelope_id)) >= count, limit=limit, what=f"ack {envelope_id}"
        )
        return self.acks(envelope_id)

    # -- what Slack sends -------------------------------------------------------------------------

    async def send(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        link: Link | None = None,
        envelope_id: str | None = None,
        retry_attempt: int = 0,
        retry_reason: str = "",
    ) -> str:
        """Send an envelope (``slash_commands``, ``events_api``, ``interactive``); its id."""
        envelope_id = envelope_id or f"env-{next(self._envelopes)}"
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
        }
        if kind == "events_api":
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = retry_reason
        await (link or self.current).send(envelope)
        return envelope_id

    async def refresh(self, link: Link | None = None, *, limit: float = 10.0) -> Link:
        """``disconnect`` / ``refresh_requested`` on ``link``; once the app has opened another
        link, the old one is closed (Slack closes it a few seconds later). Returns the new one."""
        old = link or self.current
        count = len(self.links)
        await old.send(
            {"type": "disconnect", "reason": "refresh_requested", "debug_info": {"host": "fake"}}
        )
        new = await self.wait_link(count + 1, limit=limit)
        await old.ws.close()
        return new

    # -- the websocket ----------------------------------------------------------------------------

    async def _accept(self, request: web.Request) -> web.StreamResponse:
        if self.refuse_links:
            return web.Response(status=503, text="links are down")
        ws = web.WebSocketResponse(autoping=False)
        await ws.prepare(request)
        link = Link(len(self.links) + 1, request.query.get("ticket", ""), ws, request)
        self.links.append(link)
        try:
            link.connections_at_hello = len(self.open_links)
            if self.hello:
                await link.send(
                    {
                        "type": "hello",
                        "num_connections": link.connections_at_hello,
                        "debug_info": {"host": "fake", "approximate_connection_time": 3600},
                        "connection_info": {"app_id": APP_ID},
                    }
                )
            async for message in ws:
                if message.type is WSMsgType.TEXT:
                    link.received.append(json.loads(message.data))
                elif message.type is WSMsgType.PING and not link.silent:
                    await ws.pong(message.data)
        finally:
            link.closed.set()
        return ws
