"""HTTP mode's ``POST /slack/events`` against hostile and odd requests: every one ends in a 4xx
(or Slack's 200) with at most one log line, never a 500, a traceback or the body in the log."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import http.client
import json
import logging
import threading
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.chat.services import Services
from bot.config import HTTPLimits
from bot.knowledge import KnowledgeBase, Matcher
from bot.probe.models import ProbeReport
from bot.slack.app import build_app, slack_conversation
from bot.slack.http import http_app
from bot.slack.listener import ConnectionGuard, start_listener
from bot.slack.services import make_client
from tests.slack.conftest import SECRET, TOKEN, Bot, acked, fixture, loopback_settings, sign
from tests.slack.fake_slack import FakeSlack

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def signed(body: bytes, timestamp: str | None = None) -> dict[str, str]:
    """Signature headers over the raw bytes (valid even when the body is not UTF-8)."""
    ts = timestamp or str(int(time.time()))
    digest = hmac.new(SECRET.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": "v0=" + digest.hexdigest()}


def form(*pairs: tuple[str, str]) -> bytes:
    return urllib.parse.urlencode(list(pairs)).encode()


def problems(records: list[logging.LogRecord]) -> list[str]:
    """Log records that break the rules: tracebacks, errors, more than one line per request."""
    bad = [f"traceback from {r.name}" for r in records if r.exc_info]
    bad += [f"several lines from {r.name}" for r in records if "\n" in r.getMessage()]
    bad += [f"{r.levelname} {r.name}: {r.getMessage()[:120]}" for r in records if r.levelno >= 40]
    return bad


def _share_fixture() -> dict[str, Any]:
    return fixture("block_actions_share.json")


ODD_REQUESTS = [
    pytest.param(
        b"command=%2Feo&text=524",
        FORM,
        {"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=00"},
        401,
        id="timestamp-not-a-number",
    ),
    pytest.param(
        b"command=%2Feo",
        FORM,
        {"X-Slack-Request-Timestamp": "1e9", "X-Slack-Signature": "v0=00"},
        401,
        id="timestamp-exponent",
    ),
    pytest.param(
        b"command=%2Feo",
        FORM,
        {"X-Slack-Request-Timestamp": "１７００", "X-Slack-Signature": "v0=00"},
        401,
        id="timestamp-fullwidth-digits",
    ),
    pytest.param(
        b"command=%2Feo",
        FORM,
        {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=é"},
        401,
        id="signature-not-ascii",
    ),
    pytest.param(b"[1, 2]", JSON, None, 400, id="json-list"),
    pytest.param(b'"hello"', JSON, None, 400, id="json-string"),
    pytest.param(b"null", JSON, None, 400, id="json-null"),
    pytest.param(b"{", JSON, None, 400, id="json-broken"),
    pytest.param(b"[" * 100_000, JSON, None, 400, id="json-nested-deep"),
    pytest.param(b"", JSON, None, 400, id="empty-json"),
    pytest.param(b"", FORM, None, 400, id="empty-form"),
    pytest.param(form(("payload", "not json")), FORM, None, 400, id="payload-not-json"),
    pytest.param(form(("payload", "[]")), FORM, None, 400, id="payload-list"),
    pytest.param(form(("payload", '"x"')), FORM, None, 400, id="payload-string"),
    pytest.param(form(("payload", "{}"), ("payload", "{}")), FORM, None, 400, id="payload-twice"),
    pytest.param(form(("command", "/eo"), ("command", "/x")), FORM, None, 400, id="field-twice"),
    pytest.param(b"text=\xff\xfe&command=%2Feo", FORM, None, 400, id="form-invalid-utf8"),
    pytest.param(b'{"type": "\xff"}', JSON, None, 400, id="json-invalid-utf8"),
    pytest.param(b"a=1&&&&b", FORM, None, 400, id="form-malformed"),
    pytest.param(b"&".join([b"a=1"] * 500), FORM, None, 400, id="form-too-many-fields"),
    pytest.param(b"hello", "text/plain", None, 415, id="text-plain"),
    pytest.param(b"--x--", "multipart/form-data; boundary=x", None, 415, id="multipart"),
    pytest.param(b"{}", "application/octet-stream", None, 415, id="octet-stream"),
    pytest.param(b"x" * (2 * 1024 * 1024), JSON, None, 413, id="two-megabytes"),
    pytest.param(
        form(("payload", json.dumps({"type": "block_actions", "actions": []}))),
        FORM,
        None,
        400,
        id="block-actions-without-actions",
    ),
    pytest.param(
        form(("payload", json.dumps({**_share_fixture(), "user": "U0ALICE"}))),
        FORM,
        None,
        400,
        id="button-press-user-not-an-object",
    ),
    pytest.param(
        json.dumps({**fixture("app_mention.json"), "event_id": ["Ev1"]}).encode(),
        JSON,
        None,
        400,
        id="event-id-not-a-string",
    ),
    pytest.param(
        json.dumps({"type": "event_callback", "event": ["not", "an", "object"]}).encode(),
        JSON,
        None,
        400,
        id="event-not-an-object",
    ),
]


@pytest.mark.parametrize(("body", "content_type", "headers", "status"), ODD_REQUESTS)
async def test_odd_requests_get_a_4xx_and_one_log_line(
    bot: Bot,
    caplog: pytest.LogCaptureFixture,
    body: bytes,
    content_type: str,
    headers: dict[str, str] | None,
    status: int,
) -> None:
    sent = {"Content-Type": content_type, **(signed(body) if headers is None else headers)}
    with caplog.at_level(logging.INFO):
        async with bot.session.post(bot.url, data=body, headers=sent) as response:
            assert response.status == status, await response.text()
            assert len(await response.read()) < 200  # a short reason, not an echo
        await bot.settle()
    ours = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(ours) <= 1, [r.getMessage()[:200] for r in ours]
    assert problems(caplog.records) == []
    assert all(len(r.getMessage()) < 400 for r in caplog.records)
    assert bot.fake.api_calls == []


async def test_a_command_that_says_payload_is_answered(bot: Bot) -> None:
    """slack-bolt reads any form containing "payload" as an interactive payload: the command
    ``/eo payload too large`` (EdgeOne's 413) used to vanish as an empty body."""
    response = await bot.command("payload too large")
    assert response.status == 200
    answer = await acked(response)
    assert "413" in answer.text or "payload" in answer.text.lower()


async def test_a_button_press_without_a_response_url_is_one_line_not_a_crash(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    """Found by the fuzz below: a null response_url was posted to as the URL "None"."""
    payload = _share_fixture()
    payload["response_url"] = None
    body = form(("payload", json.dumps(payload)))
    with caplog.at_level(logging.INFO):
        response = await bot.post(body, FORM)
        assert response.status == 200
        await bot.settle()
    assert problems(caplog.records) == []
    assert "no usable response_url" in caplog.text


async def test_url_verification_still_answers_the_challenge(bot: Bot) -> None:
    body = b'{"type": "url_verification", "challenge": "c-123", "token": "t"}'
    headers = {"Content-Type": JSON, **signed(body)}
    async with bot.session.post(bot.url, data=body, headers=headers) as answer:
        assert answer.status == 200
        assert (await answer.json()) == {"challenge": "c-123"}


async def test_garbage_on_the_socket_is_refused_without_a_traceback(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    port = int(urllib.parse.urlsplit(bot.url).port or 0)
    with caplog.at_level(logging.DEBUG):
        for garbage in (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", b"GET / HTTP/9\r\n\r\n"):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(garbage + b"\r\n\r\n")
            await writer.drain()
            answer = await asyncio.wait_for(reader.read(), 5)
            assert answer.startswith(b"HTTP/1.")
            assert b" 400 " in answer.split(b"\r\n")[0]
            writer.close()
    assert problems(caplog.records) == []


# -- fuzzing the endpoint from another thread ----------------------------------------------------


class Endpoint:
    """The HTTP-mode app with a fake Slack, served from a thread so hypothesis can drive it."""

    def __init__(self, kb: KnowledgeBase, matcher: Matcher) -> None:
        self.loop = asyncio.new_event_loop()
        self.port = 0
        self.records: list[logging.LogRecord] = []
        self._kb, self._matcher = kb, matcher
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._start())
        self._ready.set()
        self.loop.run_forever()

    async def _start(self) -> None:
        self.fake = await FakeSlack().start()
        services = Services.build(
            self._kb, loopback_settings(), matcher=self._matcher, progress_interval=0.0
        )
        services.prober = _no_probe  # random text must never make the fuzz reach a network
        client = make_client(TOKEN, base_url=self.fake.api_url)
        app = build_app(slack_conversation(services, client), client=client)
        guard = ConnectionGuard(HTTPLimits())
        web_app = http_app(app, signing_secret=SECRET, guard=guard)
        self.runner, site = await start_listener(web_app, host="127.0.0.1", port=0, guard=guard)
        self.port = site.port
        self._baseline = asyncio.all_tasks()

    async def _settle(self) -> None:
        deadline = time.monotonic() + 5
        while asyncio.all_tasks() - self._baseline - {asyncio.current_task()}:
            assert time.monotonic() < deadline, "background work did not finish"
            await asyncio.sleep(0.002)

    def __enter__(self) -> Endpoint:
        self._thread.start()
        assert self._ready.wait(10)
        return self

    def __exit__(self, *_: object) -> None:
        async def stop() -> None:
            await self.runner.cleanup()
            await self.fake.stop()

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)

    def post(self, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        """The answer, once the work the request started (listeners, replies) has finished."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request("POST", "/slack/events", body=body, headers=headers)
            response = connection.getresponse()
            answer = response.status, response.read()
        finally:
            connection.close()
        asyncio.run_coroutine_threadsafe(self._settle(), self.loop).result(10)
        return answer


async def _no_probe(url: str, *, origin: str | None, on_progress: Any) -> ProbeReport:
    raise AssertionError(f"the fuzz asked for a probe of {url!r}")


class _Keep(logging.Handler):
    def __init__(self, into: list[logging.LogRecord]) -> None:
        super().__init__(logging.DEBUG)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(record)


@pytest.fixture(scope="module")
def endpoint(kb: KnowledgeBase, matcher: Matcher) -> Iterator[Endpoint]:
    with Endpoint(kb, matcher) as served:
        keep = _Keep(served.records)
        root = logging.getLogger()
        root.addHandler(keep)
        try:
            yield served
        finally:
            root.removeHandler(keep)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
SLACK_KEYS = st.sampled_from(
    ["type", "command", "text", "event", "payload", "actions", "view", "user", "channel", "team"]
)
BODIES = st.one_of(
    st.binary(max_size=300),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    st.dictionaries(SLACK_KEYS, JSON_VALUES, max_size=5).map(lambda v: json.dumps(v).encode()),
    st.lists(
        st.tuples(
            SLACK_KEYS | st.text(max_size=6),
            st.text(max_size=20) | JSON_VALUES.map(json.dumps),
        ),
        max_size=5,
    ).map(lambda pairs: urllib.parse.urlencode(pairs).encode()),
)
CONTENT_TYPES = st.sampled_from(
    [FORM, JSON, f"{FORM}; charset=utf-8", "text/plain", "multipart/form-data; boundary=z", ""]
)
TIMESTAMPS = st.one_of(st.none(), st.text(max_size=12), st.integers(-(10**12), 10**12).map(str))


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=BODIES, content_type=CONTENT_TYPES, sign_it=st.booleans(), timestamp=TIMESTAMPS)
def test_fuzz_never_500_never_a_traceback(
    endpoint: Endpoint, body: bytes, content_type: str, sign_it: bool, timestamp: str | None
) -> None:
    headers: dict[str, str] = {"Content-Type": content_type} if content_type else {}
    if sign_it:
        headers.update(signed(body))
    elif timestamp is not None:
        ts = (
            timestamp.encode("latin-1", "replace")
            .decode("latin-1")
            .replace("\r", "")
            .replace("\n", "")
        )
        headers.update({"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": "v0=" + "0" * 64})
    before = len(endpoint.records)
    status, answer = endpoint.post(body, headers)
    assert status < 500, answer
    new = endpoint.records[before:]
    assert problems(new) == []
    if not sign_it:
        assert status in (400, 401, 413)  # 400: aiohttp's parser refused the header
    if len(body) > 40:
        assert not any(body.decode(errors="ignore") in r.getMessage() for r in new)


def test_sign_helper_matches_slack_sdk() -> None:
    """``signed`` computes what slack_sdk computes for a UTF-8 body (so the fuzz signs rightly)."""
    body = json.dumps(fixture("app_mention.json")).encode()
    assert signed(body, "1700000000") == sign(body, timestamp=1700000000)


# -- Slack's own payloads with one field of the wrong type -------------------------------------


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path in a JSON document (dict keys and list indexes)."""
    found: list[tuple[Any, ...]] = []
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, value in items:
        found.append((*prefix, key))
        found += _paths(value, (*prefix, key))
    return found


def _mutated(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    copy = json.loads(json.dumps(document))
    node = copy
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return copy


def _mention() -> dict[str, Any]:
    envelope = fixture("app_mention.json")
    envelope["event"]["text"] = "<@UBOT> 524"  # an answer from the knowledge base, no probe
    return envelope


RESPONSE_URL = "<response_url>"


def _share() -> dict[str, Any]:
    payload = fixture("block_actions_share.json")
    payload["response_url"] = RESPONSE_URL  # the fake Slack's, once it runs
    return payload


def _command() -> dict[str, Any]:
    form = fixture("slash_command.json")
    form.update(text="524", response_url=RESPONSE_URL)
    return dict(form)


SAMPLES: dict[str, Any] = {
    "mention": _mention(),
    "im": fixture("message_im.json"),
    "share": _share(),
    "command": _command(),
}
SAMPLE_PATHS = st.sampled_from(
    [
        (name, path)
        for name, sample in SAMPLES.items()
        for path in _paths(sample)
        if path != ("text",)  # the command's words stay "524": random words could ask for a probe
    ]
)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(where=SAMPLE_PATHS, value=JSON_VALUES)
def test_fuzz_slack_payloads_with_a_field_of_the_wrong_type(
    endpoint: Endpoint, where: tuple[str, tuple[Any, ...]], value: Any
) -> None:
    name, path = where
    document = _mutated(SAMPLES[name], path, value)
    if document.get("response_url") == RESPONSE_URL:
        document["response_url"] = endpoint.fake.response_url("action")
    if name == "share":
        body = urllib.parse.urlencode({"payload": json.dumps(document)}).encode()
        content_type = FORM
    elif name == "command":  # a form: every field is text
        fields = {k: v if isinstance(v, str) else json.dumps(v) for k, v in document.items()}
        body = urllib.parse.urlencode(fields).encode()
        content_type = FORM
    else:
        body = json.dumps(document).encode()
        content_type = JSON
    before = len(endpoint.records)
    status, answer = endpoint.post(body, {"Content-Type": content_type, **signed(body)})
    assert status < 500, answer
    assert problems(endpoint.records[before:]) == []
