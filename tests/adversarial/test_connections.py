"""The HTTP listener under idle, slow and too many connections: `/healthz` keeps answering.

The open-file limit test runs `eo-bot serve` in a child process whose RLIMIT_NOFILE is lowered to
256 (so raising the soft limit to the hard one cannot help) and holds 600 idle sockets to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import resource
import socket
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import pytest

from bot.chat.services import Services
from bot.config import HTTPLimits
from bot.slack.app import build_app, slack_conversation
from bot.slack.http import HEALTH_PATH, http_app
from bot.slack.listener import ConnectionGuard, start_listener
from bot.slack.services import make_client
from tests.slack.conftest import SECRET, TOKEN
from tests.slack.fake_slack import FakeSlack
from tests.slack.serve_process import ServeProcess, serving


def http_env(fake: FakeSlack, **extra: str) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.api_url,
        **extra,
    }


def nofile(soft: int, hard: int) -> Callable[[], None]:
    def lower() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

    return lower


async def read_until_closed(reader: asyncio.StreamReader, limit: float = 10.0) -> bytes:
    """Everything the server sends until it closes the connection (``limit`` guards a hang)."""
    async with asyncio.timeout(limit):
        return await reader.read()


@contextlib.asynccontextmanager
async def idle_sockets(port: int, count: int) -> AsyncIterator[list[socket.socket]]:
    """``count`` connections to ``port`` that never send a byte."""
    held: list[socket.socket] = []
    loop = asyncio.get_running_loop()
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.setblocking(False)
            await loop.sock_connect(sock, ("127.0.0.1", port))
            held.append(sock)
        yield held
    finally:
        for sock in held:
            sock.close()


async def test_idle_sockets_beyond_the_open_file_limit_do_not_starve_healthz(
    fake: FakeSlack,
) -> None:
    async with serving(http_env(fake), preexec_fn=nofile(256, 256)) as served:
        await served.wait_health(200)
        async with idle_sockets(served.port, 600):
            status, body = await served.health()
            assert (status, body) == (200, {"ok": True, "mode": "http", "store": "memory"})
        assert await served.stop() == 0
    assert "Traceback" not in served.log
    assert "out of system resource" not in served.log
    capped = [line for line in served.log.splitlines() if "connections open" in line]
    assert 1 <= len(capped) <= 3  # throttled: not one line per evicted socket
    assert "at most 16 connections" in served.log  # 256 files: 128 - one accept burst, at least 16


@pytest.mark.skipif(not Path("/proc/self/limits").exists(), reason="needs /proc (Linux)")
async def test_the_soft_open_file_limit_is_raised_to_the_hard_one(fake: FakeSlack) -> None:
    async with serving(http_env(fake), preexec_fn=nofile(256, 1024)) as served:
        await served.wait_health(200)
        limits = Path(f"/proc/{served.proc.pid}/limits")
        text = await asyncio.to_thread(limits.read_text)
        (line,) = [row for row in text.splitlines() if row.startswith("Max open files")]
        assert line.split()[3:5] == ["1024", "1024"]
        assert "open-file limit raised from 256 to 1024" in served.log


@pytest.fixture
async def strict(fake: FakeSlack) -> AsyncIterator[ServeProcess]:
    """`eo-bot serve` with short header and idle timeouts."""
    env = http_env(fake, EO_HTTP_HEADER_TIMEOUT="0.3", EO_HTTP_IDLE_TIMEOUT="0.3")
    async with serving(env) as served:
        await served.wait_health(200)
        yield served


async def test_a_connection_that_sends_nothing_is_closed(strict: ServeProcess) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", strict.port)
    assert await read_until_closed(reader) == b""
    writer.close()


async def test_headers_sent_a_byte_at_a_time_are_cut_off(strict: ServeProcess) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", strict.port)
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: "

    async def trickle() -> None:
        with contextlib.suppress(ConnectionError):
            for byte in request + b"a" * 10_000:
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(0.01)

    sender = asyncio.create_task(trickle())
    try:
        assert await read_until_closed(reader) == b""
    finally:
        sender.cancel()
        writer.close()


async def test_an_idle_keep_alive_connection_is_closed(strict: ServeProcess) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", strict.port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n")
    await writer.drain()
    answer = await read_until_closed(reader)
    assert answer.startswith(b"HTTP/1.1 200")  # answered, then closed once idle
    writer.close()


async def test_a_body_that_never_comes_gets_408(strict: ServeProcess) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", strict.port)
    writer.write(
        b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000\r\nX-Slack-Signature: v0=00\r\n"
        b"X-Slack-Request-Timestamp: " + str(int(time.time())).encode() + b"\r\n\r\n{"
    )
    await writer.drain()
    answer = await read_until_closed(reader)
    assert answer.startswith(b"HTTP/1.1 408")
    writer.close()


async def test_a_request_in_progress_is_never_the_one_evicted(
    fake: FakeSlack, services: Services
) -> None:
    """Connection cap of 8 (EO_HTTP_MAX_CONNECTIONS' lowest): a request whose body is still on its
    way survives 30 newcomers; the idle newcomers are the ones closed."""
    client = make_client(TOKEN, base_url=fake.api_url)
    app = build_app(slack_conversation(services, client), client=client)
    guard = ConnectionGuard(HTTPLimits(max_connections=8))
    web_app = http_app(app, signing_secret=SECRET, guard=guard)
    runner, site = await start_listener(web_app, host="127.0.0.1", port=0, guard=guard)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", site.port)
        writer.write(
            b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Connection: close\r\nContent-Length: 2\r\nX-Slack-Signature: v0=00\r\n"
            b"X-Slack-Request-Timestamp: " + str(int(time.time())).encode() + b"\r\n\r\n"
        )
        await writer.drain()
        async with (
            idle_sockets(site.port, 30),
            aiohttp.ClientSession() as session,
        ):
            async with session.get(f"http://127.0.0.1:{site.port}{HEALTH_PATH}") as response:
                assert response.status == 200
            assert guard.open_connections <= 8
            writer.write(b"{}")
            await writer.drain()
            answer = await read_until_closed(reader)
        assert answer.startswith(b"HTTP/1.1 401")  # the wrong signature, answered in full
        writer.close()
    finally:
        await runner.cleanup()
