"""End-to-end harness: the real HTTP-mode listener and endpoint, signed requests, a fake Slack."""

from __future__ import annotations

import copy
import json
import time
import urllib.parse
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from slack_sdk.signature import SignatureVerifier

from bot.chat.conversation import Conversation
from bot.chat.services import Services
from bot.config import HTTPLimits
from bot.knowledge import KnowledgeBase, Matcher
from bot.probe.runner import ProbeSettings
from bot.probe.safety import ProbePolicy
from bot.slack.app import build_app, slack_conversation
from bot.slack.http import http_app
from bot.slack.listener import ConnectionGuard, start_listener
from bot.slack.services import make_client
from bot.state.memory import RateLimiter
from tests.slack.fake_slack import Call, FakeSlack

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TOKEN = "xoxb-1234-5678-testtokenvalue"


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


def loopback_settings(**overrides: Any) -> ProbeSettings:
    policy = ProbePolicy.from_strings(networks=["127.0.0.0/8"], ports=["1-65535"])
    values: dict[str, Any] = {
        "policy": policy,
        "deadline": 2.0,
        "connect_timeout": 1.0,
        "read_timeout": 1.0,
    }
    values.update(overrides)
    return ProbeSettings(**values)


def sign(body: bytes, *, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body.decode())
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature or ""}


@dataclass(frozen=True)
class Answered:
    """The endpoint's answer to one request: its status and body, read before the connection
    went back to the pool."""

    status: int
    body: bytes

    async def read(self) -> bytes:
        return self.body

    async def text(self) -> str:
        return self.body.decode()

    async def json(self) -> Any:
        return json.loads(self.body)


async def acked(response: Answered) -> Call:
    """The message a request's acknowledgement carries (an answer sent in the ack itself)."""
    assert response.body, "the acknowledgement carries no message"
    return Call("ack", json.loads(response.body), "", {}, time.monotonic())


@dataclass
class Bot:
    fake: FakeSlack
    services: Services
    conversation: Conversation
    session: aiohttp.ClientSession
    url: str

    async def post(
        self, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> Answered:
        sent = {"Content-Type": content_type, **sign(body)}
        sent.update(headers or {})
        async with self.session.post(self.url, data=body, headers=sent) as response:
            return Answered(response.status, await response.read())

    async def command(self, text: str, **fields: str) -> Answered:
        form = fixture("slash_command.json")
        form.update(text=text, response_url=self.fake.response_url("cmd"), **fields)
        body = urllib.parse.urlencode(form).encode()
        return await self.post(body, "application/x-www-form-urlencoded")

    async def event(
        self, envelope: dict[str, Any], headers: dict[str, str] | None = None
    ) -> Answered:
        return await self.post(json.dumps(envelope).encode(), "application/json", headers)

    async def action(self, payload: dict[str, Any]) -> Answered:
        payload = copy.deepcopy(payload)
        payload["response_url"] = self.fake.response_url("action")
        body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
        return await self.post(body, "application/x-www-form-urlencoded")

    async def settle(self) -> None:
        """Let listeners and background probes finish."""
        await self.fake.wait_for(lambda: not self.services.tasks, limit=2.0, what="tasks")


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    server = await FakeSlack().start()
    yield server
    await server.stop()


@pytest.fixture
def services(kb: KnowledgeBase, matcher: Matcher) -> Services:
    return Services.build(
        kb,
        loopback_settings(),
        matcher=matcher,
        progress_interval=0.0,
        rate=RateLimiter(5, 60.0),
    )


@pytest.fixture
async def bot(fake: FakeSlack, services: Services) -> AsyncIterator[Bot]:
    client = make_client(TOKEN, base_url=fake.api_url)
    conversation = slack_conversation(services, client)
    app = build_app(conversation, client=client)
    guard = ConnectionGuard(HTTPLimits())
    web_app = http_app(app, signing_secret=SECRET, guard=guard)
    runner, site = await start_listener(web_app, host="127.0.0.1", port=0, guard=guard)
    async with aiohttp.ClientSession() as session:
        url = f"http://127.0.0.1:{site.port}/slack/events"
        yield Bot(fake, services, conversation, session, url)
        await conversation.shutdown(limit=2.0)
    await runner.cleanup()
