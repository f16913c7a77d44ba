"""`serve_main` in HTTP mode in its own process, as `eo-bot serve` runs it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
import urllib.parse
from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.servers import HTTPServer
from tests.slack.conftest import SECRET, TOKEN, fixture, sign
from tests.slack.fake_slack import FakeSlack

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
async def served(fake: FakeSlack) -> AsyncIterator[str]:
    async with serving(fake) as (base, _):
        yield base


@contextlib.asynccontextmanager
async def serving(
    fake: FakeSlack, **extra: str
) -> AsyncIterator[tuple[str, asyncio.subprocess.Process]]:
    port = _free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.api_url,
        "PORT": str(port),
        **extra,
    }
    code = (
        "import os, sys; from bot.slack.server import serve_main; sys.exit(serve_main(os.environ))"
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        code,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(100):
                try:
                    async with session.get(f"{base}/healthz") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
            else:
                proc.kill()
                _, err = await proc.communicate()
                pytest.fail(f"eo-bot serve did not start: {err.decode()[-2000:]}")
        yield base, proc
    finally:
        if proc.returncode is None:
            proc.terminate()
        try:
            async with asyncio.timeout(2):
                _, err = await proc.communicate()
        except TimeoutError:
            proc.kill()
            _, err = await proc.communicate()
        assert TOKEN not in err.decode()
        assert SECRET not in err.decode()
        assert "will be unused" not in err.decode()  # slack-bolt's warning at every start


async def test_serve_answers_a_signed_command(served: str, fake: FakeSlack) -> None:
    form = fixture("slash_command.json")
    form.update(text="524", response_url=fake.response_url("cmd"))
    body = urllib.parse.urlencode(form).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body)}
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{served}/slack/events", data=body, headers=headers) as response:
            assert response.status == 200
            answer = await response.json()  # the answer is the acknowledgement itself
        async with session.post(
            f"{served}/slack/events", data=body, headers={"Content-Type": headers["Content-Type"]}
        ) as response:
            assert response.status == 401
        async with session.get(f"{served}/healthz") as response:
            assert (await response.json())["mode"] == "http"
    assert "524" in answer["text"]
    assert answer["response_type"] == "ephemeral"
    assert fake.of("response_url") == []


async def test_sigterm_stops_watches_and_tells_their_threads(fake: FakeSlack) -> None:
    loopback = {"EO_PROBE_ALLOW_NETWORKS": "127.0.0.0/8", "EO_PROBE_ALLOW_PORTS": "1-65535"}
    with HTTPServer(status=502) as target:
        async with serving(fake, **loopback) as (base, proc):
            envelope = fixture("app_mention.json")
            envelope["event"]["text"] = f"<@UBOT> watch http://127.0.0.1:{target.port}/ for 10m"
            body = json.dumps(envelope).encode()
            headers = {"Content-Type": "application/json", **sign(body)}
            async with (
                aiohttp.ClientSession() as session,
                session.post(f"{base}/slack/events", data=body, headers=headers) as r,
            ):
                assert r.status == 200
            await fake.wait_for(
                lambda: any("Watching" in c.block_text() for c in fake.of("chat.update")),
                limit=10.0,
                what="the watch's first diagnosis",
            )
            proc.send_signal(signal.SIGTERM)
            async with asyncio.timeout(10):
                await proc.wait()
            assert proc.returncode == 0
    told = fake.of("chat.postMessage")[-1]
    assert "shutting down" in told.text
    assert told.body["thread_ts"] == envelope["event"]["thread_ts"]


async def test_serve_with_edgeones_api_reads_the_zones_at_start_and_stops_cleanly(
    fake: FakeSlack,
) -> None:
    from tests.servers.teo import SECRET_ID, SECRET_KEY, FakeTeo

    with FakeTeo() as teo:
        async with serving(fake, **teo.env()) as (base, proc):
            await fake.wait_for(
                lambda: "DescribeRealtimeLogDeliveryTasks" in teo.actions(),
                limit=10.0,
                what="the zones read at start-up",
            )
            form = fixture("slash_command.json")
            form.update(text="zone shop.example.com", response_url=fake.response_url("cmd"))
            body = urllib.parse.urlencode(form).encode()
            headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body)}
            async with (
                aiohttp.ClientSession() as session,
                session.post(f"{base}/slack/events", data=body, headers=headers) as r,
            ):
                assert r.status == 200
            (call,) = await fake.wait_calls("response_url", limit=10.0)
            proc.send_signal(signal.SIGTERM)
            async with asyncio.timeout(10):
                _, err = await proc.communicate()
            assert proc.returncode == 0
    assert "EdgeOne zone card: shop.example.com (zone example.com)" in call.block_text()
    assert teo.actions()[0] == "DescribeZones"  # before anyone asked
    assert all(c.error is None for c in teo.calls)
    assert SECRET_ID not in err.decode()
    assert SECRET_KEY not in err.decode()
