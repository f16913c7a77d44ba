"""A fleet on loopback: real `eo-bot serve` replicas sharing one Redis, a round-robin load
balancer in front of them, the fake Slack behind them, and a probe target that records when it
was probed.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import secrets
import threading
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from tests.servers.http import RecordedRequest, Response
from tests.slack.conftest import SECRET, TOKEN, fixture, sign
from tests.slack.fake_slack import FakeSlack
from tests.slack.serve_process import FAST, ServeProcess

INTERVAL = 2.0  # seconds between two probes of a watch


class Balancer:
    """Round-robin HTTP proxy on 127.0.0.1: each request goes to the next replica that answers
    (a replica that refuses the connection is skipped, as a load balancer's health checks
    would)."""

    def __init__(self, replicas: Sequence[ServeProcess]) -> None:
        self.replicas = list(replicas)
        self._next = itertools.count()
        self.sent_to: list[int] = []  # the port each request went to
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    async def start(self) -> Balancer:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        app = web.Application()
        app.router.add_post("/slack/events", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        assert site._server is not None
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        body = await request.read()
        headers = {
            k: v for k, v in request.headers.items() if k.lower().startswith(("x-", "content-type"))
        }
        for _ in range(len(self.replicas)):
            replica = self.replicas[next(self._next) % len(self.replicas)]
            try:
                async with self._session.post(
                    f"{replica.base}/slack/events", data=body, headers=headers
                ) as answer:
                    self.sent_to.append(replica.port)
                    return web.Response(
                        status=answer.status,
                        body=await answer.read(),
                        content_type=answer.content_type,
                    )
            except aiohttp.ClientConnectionError:
                continue
        return web.Response(status=502, text="no replica answers\n")


@dataclass
class Target:
    """A probe target whose status can change, recording the time of every probe."""

    status: int = 502
    hits: list[float] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def respond(self, _: RecordedRequest) -> Response:
        with self._lock:
            self.hits.append(time.monotonic())
        return Response(status=self.status, body=b"bad gateway" if self.status >= 500 else b"ok")

    def gaps(self) -> list[float]:
        return [b - a for a, b in itertools.pairwise(self.hits)]


def replica_env(fake: FakeSlack, redis_url: str, prefix: str, **extra: str) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.api_url,
        "EO_REDIS_URL": redis_url,
        "EO_REDIS_PREFIX": prefix,
        "EO_PROBE_ALLOW_NETWORKS": "127.0.0.0/8",
        "EO_PROBE_ALLOW_PORTS": "1-65535",
        "EO_PROBE_DEADLINE": "3",
        "EO_PROBE_RATE_PER_USER": "1000/60",
        "EO_WATCH_INTERVAL": f"{INTERVAL:g}s",
        **FAST,
        **extra,
    }


@contextlib.asynccontextmanager
async def fleet(env: dict[str, str], count: int = 3) -> AsyncIterator[list[ServeProcess]]:
    """``count`` replicas, each serving (``/healthz`` 200); all stopped at the end."""
    replicas = [await ServeProcess.start(dict(env)) for _ in range(count)]
    try:
        for replica in replicas:
            await replica.wait_health(200, limit=30.0)
        yield replicas
    finally:
        for replica in replicas:
            if replica.proc.returncode is None:
                await replica.stop(limit=10.0)
            else:
                await replica.wait_exit()


def event(
    text: str, *, event_id: str | None = None, kind: str = "app_mention", **fields: Any
) -> dict[str, Any]:
    envelope = fixture("app_mention.json")
    envelope["event"].update(type=kind, text=text, **fields)
    envelope["event_id"] = event_id or f"Ev{secrets.token_hex(5).upper()}"
    return envelope


async def post(url: str, envelope: dict[str, Any], headers: dict[str, str] | None = None) -> int:
    body = json.dumps(envelope).encode()
    sent = {"Content-Type": "application/json", **sign(body), **(headers or {})}
    async with aiohttp.ClientSession() as session, session.post(url, data=body, headers=sent) as r:
        await r.read()
        return r.status
