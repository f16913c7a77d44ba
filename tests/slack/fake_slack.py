"""A fake Slack Web API on 127.0.0.1 that records every call.

``POST /api/<method>`` answers like Slack (``auth.test``, ``chat.postMessage`` with a fresh ``ts``,
``chat.update``, ``chat.postEphemeral``; anything else ``{"ok": true}``); ``POST /response/<id>``
stands in for ``response_url``. Every request is recorded as a ``Call`` (method or
``response_url``, parsed JSON or form body). Tell it to fail: ``fail_next(method, status=429,
retry_after=0)`` answers an HTTP error first, ``error_next(method, "not_in_channel")`` an
``ok: false`` body. ``break_channel(channel, ...)`` makes every call to one channel fail (an
``ok: false`` body or an HTTP status, e.g. a 429 that outlasts the client's retries) until
``mend_channel(channel)``. ``usergroups`` (group ID → member IDs) answers
``usergroups.users.list``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import urllib.parse
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.slack.fake_socket_mode import FakeSocketMode

BOT_USER = "UBOT"
BOT_ID = "BBOT"
TEAM = "T0TEST"


@dataclass(frozen=True, slots=True)
class Call:
    method: str  # Web API method, or "response_url"
    body: dict[str, Any]
    path: str
    headers: dict[str, str]
    at: float

    @property
    def blocks(self) -> list[dict[str, Any]]:
        blocks = self.body.get("blocks") or []
        return json.loads(blocks) if isinstance(blocks, str) else list(blocks)

    @property
    def text(self) -> str:
        return str(self.body.get("text", ""))

    def block_text(self) -> str:
        """Every text in the blocks, joined: what a reader of the message sees."""
        return "\n".join(_texts(self.blocks))

    @property
    def view(self) -> dict[str, Any]:
        """The view of a views.open / views.publish call."""
        view = self.body.get("view") or {}
        return json.loads(view) if isinstance(view, str) else dict(view)

    def view_text(self) -> str:
        return "\n".join(_texts(self.view.get("blocks", [])))


def _texts(node: Any) -> list[str]:
    if isinstance(node, dict):
        out = [str(node["text"])] if isinstance(node.get("text"), str) else []
        for value in node.values():
            if isinstance(value, dict | list):
                out += _texts(value)
        return out
    if isinstance(node, list):
        return [t for item in node for t in _texts(item)]
    return []


@dataclass(slots=True)
class _Failure:
    status: int
    retry_after: int | None
    error: str | None


@dataclass
class FakeSlack:
    calls: list[Call] = field(default_factory=list)
    _failures: defaultdict[str, deque[_Failure]] = field(default_factory=lambda: defaultdict(deque))
    _broken: dict[str, tuple[frozenset[str], _Failure]] = field(default_factory=dict)
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    socket: FakeSocketMode = field(default_factory=FakeSocketMode)
    _held: set[str] = field(default_factory=set)
    _release: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: web.AppRunner | None = None
    port: int = 0
    usergroups: dict[str, list[str]] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}api/"

    def response_url(self, name: str = "1") -> str:
        return f"{self.base_url}response/{name}"

    async def start(self) -> FakeSlack:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)  # slack_sdk GETs a few (usergroups.*)
        app.router.add_post("/response/{name}", self._response_url)
        self.socket.add_routes(app)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self

    async def stop(self) -> None:
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- scripting ------------------------------------------------------------------------------

    def fail_next(
        self, method: str, *, status: int = 429, retry_after: int | None = 0, times: int = 1
    ) -> None:
        for _ in range(times):
            self._failures[method].append(_Failure(status, retry_after, None))

    def error_next(self, method: str, error: str, *, times: int = 1) -> None:
        for _ in range(times):
            self._failures[method].append(_Failure(200, None, error))

    def break_channel(
        self,
        channel: str,
        *,
        error: str = "fatal_error",
        status: int = 200,
        retry_after: int | None = 0,
        methods: tuple[str, ...] = ("chat.postMessage", "chat.update", "chat.postEphemeral"),
    ) -> None:
        """Fail every call of ``methods`` to ``channel`` until ``mend_channel``: with ``status``
        200 an ``ok: false`` body carrying ``error``, otherwise that HTTP status (429 with
        ``Retry-After: retry_after``)."""
        failure = _Failure(status, retry_after, error if status == 200 else None)
        self._broken[channel] = (frozenset(methods), failure)

    def mend_channel(self, channel: str) -> None:
        self._broken.pop(channel, None)

    def hold(self, method: str) -> None:
        """Take every call of ``method`` and never answer it."""
        self._held.add(method)

    # -- queries --------------------------------------------------------------------------------

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    @property
    def api_calls(self) -> list[Call]:
        """Calls that post or change messages (auth.test left out)."""
        return [c for c in self.calls if c.method != "auth.test"]

    async def wait_for(
        self, predicate: Callable[[], bool], *, limit: float = 2.0, what: str = "calls"
    ) -> None:
        deadline = time.monotonic() + limit
        while not predicate():
            if time.monotonic() > deadline:
                seen = [(c.method, c.text[:80]) for c in self.calls]
                raise AssertionError(f"timed out waiting for {what}; recorded: {seen}")
            await asyncio.sleep(0.01)

    async def wait_calls(self, method: str, count: int = 1, limit: float = 2.0) -> list[Call]:
        await self.wait_for(lambda: len(self.of(method)) >= count, limit=limit, what=method)
        return self.of(method)

    # -- handlers -------------------------------------------------------------------------------

    async def _record(self, request: web.Request, method: str) -> Call:
        raw = await request.read()
        content_type = request.headers.get("Content-Type", "")
        body: dict[str, Any]
        if "json" in content_type:
            body = json.loads(raw or b"{}")
        else:
            body = dict(urllib.parse.parse_qsl(raw.decode()))
            body.update(dict(urllib.parse.parse_qsl(request.query_string)))
        call = Call(method, body, request.path, dict(request.headers), time.monotonic())
        self.calls.append(call)
        return call

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        call = await self._record(request, method)
        if method in self._held:
            await self._release.wait()  # until stop(): then the test is over
        queue = self._failures.get(method)
        broken = self._broken.get(str(call.body.get("channel", "")))
        failure: _Failure | None = None
        if queue:
            failure = queue.popleft()
        elif broken is not None and method in broken[0]:
            failure = broken[1]
        if failure is not None:
            if failure.error is not None:
                return web.json_response({"ok": False, "error": failure.error})
            headers = {}
            if failure.retry_after is not None:
                headers["Retry-After"] = str(failure.retry_after)
            return web.json_response(
                {"ok": False, "error": "ratelimited" if failure.status == 429 else "fatal_error"},
                status=failure.status,
                headers=headers,
            )
        return web.json_response(self._answer(method, call.body))

    def _answer(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://test.slack.com/",
                "team": "Test",
                "user": "eo",
                "team_id": TEAM,
                "user_id": BOT_USER,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        if method == "apps.connections.open":
            return {"ok": True, "url": self.socket.new_url(self.base_url)}
        channel = body.get("channel", "C0TEST")
        if method == "chat.postMessage":
            ts = f"{1700000000 + next(self._ts)}.000100"
            message = {"text": body.get("text", ""), "ts": ts, "user": BOT_USER, "bot_id": BOT_ID}
            if body.get("thread_ts"):
                message["thread_ts"] = body["thread_ts"]
            return {"ok": True, "channel": channel, "ts": ts, "message": message}
        if method == "chat.update":
            return {"ok": True, "channel": channel, "ts": body.get("ts"), "text": body.get("text")}
        if method == "usergroups.users.list":
            group = str(body.get("usergroup", ""))
            if group not in self.usergroups:
                return {"ok": False, "error": "no_such_subteam"}
            return {"ok": True, "users": self.usergroups[group]}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"{1700000000 + next(self._ts)}.000200"}
        return {"ok": True}

    async def _response_url(self, request: web.Request) -> web.Response:
        await self._record(request, "response_url")
        return web.Response(text="ok")
