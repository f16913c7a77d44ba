"""How fast does Slack get its HTTP 200: signed ``/eo 524`` posts at a steady rate, open loop.

The real HTTP-mode endpoint (built as ``eo-bot serve`` builds it: ``Config.from_env``,
``Services.from_config``, ``make_client`` with the Web API pointed at the fake Slack of
``tests.slack.fake_slack``, ``build_app``, ``http_app``) is sent signed slash-command form posts
at ``rate`` requests/s; each request's time from its scheduled send to the acknowledgement is kept.
The reference, in the same run, is a no-op Bolt ``AsyncApp`` (same signing secret, same client)
whose ``/eo`` listener only ``await ack()``, served the same way.

The load is open loop: request ``i`` is sent at ``start + i / rate`` whatever the earlier ones are
doing, and its latency counts from that scheduled time (so a late sender shows up as latency, and
the sender's own lateness is printed too). The two servers and the fake Slack each run in a child
process (``multiprocessing``, spawn), so none of them shares this process's event loop or GIL.
Rounds alternate eo-bot / no-op / no-op / eo-bot ... so that drift of the machine hits both; after
each eo-bot round the run waits until the fake Slack has received every ``response_url`` answer,
so the bot's follow-up work does not spill into the next round. Every address is 127.0.0.1.

Note that slack-bolt's asyncio listener runner (``slack_bolt/listener/asyncio_runner.py``) checks
whether a listener has acknowledged every 10 ms (``await asyncio.sleep(0.01)``), so both apps'
acknowledgements sit on a floor of about 10 ms; the ratio is what tells eo-bot's own cost.

The measuring function returns dataclasses and :func:`format_report` turns them into text, so
``tests/test_bench_smoke.py`` can run it with tiny sizes. Nothing here asserts on speed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import TracebackType
from typing import Any

import aiohttp
from aiohttp import web
from slack_sdk.signature import SignatureVerifier

from bench._stats import nearest_rank
from bench.ask import Machine
from bench.probe import _check_loopback

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "slash_command.json"
LOOPBACK = "127.0.0.1"
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TOKEN = "xoxb-1234-5678-benchtokenvalue"
EO, NOOP, EO_REDIS = "eo-bot", "no-op", "eo-bot+redis"
# A no-op app that, like eo-bot, answers Slack as soon as its listener acknowledges: the
# tightest floor Bolt offers, without the 10 ms ack polling of its default mode.
NOOP_PBR = "no-op/pbr"
REDIS_URL = "redis://127.0.0.1:6379/0"  # the machine's Redis (bench keys under their own prefix)

RATE = 200.0  # requests/s
DURATION_S = 5.0  # of load per server, split over its rounds
ROUNDS = 2  # rounds per server
WARMUP = 50  # requests per server before measuring, not kept
SETTLE_LIMIT_S = 10.0
_NS_PER_MS = 1_000_000


# -- child processes -------------------------------------------------------------------------


def _child(kind: str, api_url: str, conn: Connection) -> None:
    """Entry point of a child process: ``fake`` (the fake Slack), ``eo-bot`` (state in memory),
    ``eo-bot+redis`` (state in Redis) or ``no-op``."""
    asyncio.run(_child_main(kind, api_url, conn))


async def _recv(conn: Connection) -> Any:
    return await asyncio.get_running_loop().run_in_executor(None, conn.recv)


async def _child_main(kind: str, api_url: str, conn: Connection) -> None:
    if kind == "fake":
        from tests.slack.fake_slack import FakeSlack

        fake = await FakeSlack().start()
        conn.send(fake.port)
        while (message := await _recv(conn)) != "stop":
            if message == "count":
                conn.send(len(fake.of("response_url")))
        await fake.stop()
        conn.send("stopped")
        return
    if kind in (NOOP, NOOP_PBR):
        app = _noop_app(api_url, process_before_response=kind == NOOP_PBR)
    else:
        app = await _eo_app(api_url, redis=kind == EO_REDIS)
    from bot.slack.http import http_app

    runner = web.AppRunner(http_app(app, signing_secret=SECRET), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, LOOPBACK, 0)
    await site.start()
    server = site._server
    assert server is not None
    conn.send(server.sockets[0].getsockname()[1])  # type: ignore[attr-defined]
    while await _recv(conn) != "stop":
        pass
    await runner.cleanup()
    conn.send("stopped")


async def _eo_app(api_url: str, *, redis: bool = False) -> Any:
    """The app as ``serve`` builds it in HTTP mode, the Web API pointed at ``api_url``; its state
    in memory, or in Redis under a prefix of its own."""
    import secrets

    from bot.config import Config
    from bot.knowledge import load
    from bot.ops.heap import settle
    from bot.slack.app import build_app, slack_conversation
    from bot.slack.services import make_client, services_from_config, state_from_config

    environ = {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": api_url,
    }
    if redis:
        environ["EO_REDIS_URL"] = REDIS_URL
        environ["EO_REDIS_PREFIX"] = f"eo-bench-{secrets.token_hex(4)}"
    config = Config.from_env(environ)
    client = make_client(config.bot_token, base_url=config.api_url)
    state = await state_from_config(config)
    conversation = slack_conversation(services_from_config(config, load(), state), client)
    app = build_app(conversation, client=client)
    settle()  # as serve does once start-up has built everything
    return app


def _noop_app(api_url: str, *, process_before_response: bool = False) -> Any:
    """A Bolt app whose ``/eo`` listener only acknowledges; same secret, same kind of client.
    ``process_before_response`` answers the request when the listener returns, as eo-bot does."""
    from slack_bolt.async_app import AsyncAck, AsyncApp

    from bot.slack.services import make_client

    # http_app checks the signature before Bolt sees the request, for both apps alike.
    app = AsyncApp(
        client=make_client(TOKEN, base_url=api_url),
        signing_secret=SECRET,
        request_verification_enabled=False,
        process_before_response=process_before_response,
    )

    @app.command("/eo")
    async def eo_command(ack: AsyncAck) -> None:
        await ack()

    return app


class Child:
    """One child process running :func:`_child`; ``port`` once it serves."""

    def __init__(self, kind: str, api_url: str = "") -> None:
        ctx = multiprocessing.get_context("spawn")
        self.kind = kind
        self._conn, child_conn = ctx.Pipe()
        self._proc: BaseProcess = ctx.Process(
            target=_child, args=(kind, api_url, child_conn), name=f"bench-slack-{kind}"
        )
        self._proc.start()
        child_conn.close()
        self.port: int = self._ask(None, limit=60.0)

    def _ask(self, message: str | None, *, limit: float = 10.0) -> Any:
        if message is not None:
            self._conn.send(message)
        if not self._conn.poll(limit):
            raise RuntimeError(f"the {self.kind} child process did not answer in {limit:g} s")
        return self._conn.recv()

    def count(self) -> int:
        answer: int = self._ask("count")
        return answer

    def stop(self) -> None:
        if self._proc.is_alive():
            with contextlib.suppress(OSError, EOFError, RuntimeError):
                self._ask("stop")
        self._proc.join(10)
        if self._proc.is_alive():
            self._proc.terminate()  # our own child, by its handle
            self._proc.join()
        self._conn.close()


class Servers:
    """The fake Slack, eo-bot and the no-op app, each in a child process."""

    def __init__(self) -> None:
        self._children: list[Child] = []

    def __enter__(self) -> Servers:
        try:
            self.fake = self._start(Child("fake"))
            api_url = f"http://{LOOPBACK}:{self.fake.port}/api/"
            self.eo = self._start(Child(EO, api_url))
            self.noop = self._start(Child(NOOP, api_url))
        except BaseException:
            self._stop()
            raise
        return self

    def _start(self, child: Child) -> Child:
        self._children.append(child)
        return child

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop()

    def _stop(self) -> None:
        for child in reversed(self._children):
            child.stop()
        self._children.clear()

    @property
    def response_url(self) -> str:
        return f"http://{LOOPBACK}:{self.fake.port}/response/bench"

    def url(self, child: Child) -> str:
        return _check_loopback(f"http://{LOOPBACK}:{child.port}/slack/events")

    def settle(self, expected: int, *, limit: float = SETTLE_LIMIT_S) -> int:
        """Wait until the fake Slack has ``expected`` response_url answers; returns the count."""
        deadline = time.monotonic() + limit
        while (seen := self.fake.count()) < expected and time.monotonic() < deadline:
            time.sleep(0.02)
        return seen


# -- figures ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Latency:
    """Nearest-rank percentiles of the acknowledgement times, in milliseconds."""

    n: int
    non_200: int
    p50: float
    p99: float
    max: float

    @classmethod
    def of(cls, samples: Sequence[tuple[int, int]]) -> Latency:
        """From ``(latency_ns, status)`` pairs; status 0 means the request failed."""
        if not samples:
            raise ValueError("no samples")
        ordered = sorted(ns for ns, _ in samples)
        non_200 = sum(1 for _, status in samples if status != 200)
        ms = [ns / _NS_PER_MS for ns in ordered]
        return cls(len(ms), non_200, nearest_rank(ms, 0.50), nearest_rank(ms, 0.99), ms[-1])


@dataclass(frozen=True, slots=True)
class SlackFigures:
    rate: float
    duration_s: float  # of load per server
    rounds: int  # per server
    order: tuple[str, ...]  # the rounds, in the order run
    eo: Latency
    noop: Latency
    send_lag: Latency  # how late the sender was against its schedule, both servers
    eo_sent: int  # including warm-up
    eo_answered: int  # answers: in the acks, and at the fake Slack's response_url
    eo_in_ack: int = 0  # answers carried by the acknowledgement itself

    @property
    def ratio_p50(self) -> float:
        """eo-bot over the no-op app at p50 (1 means no cost over a bare Bolt app)."""
        return self.eo.p50 / self.noop.p50

    @property
    def ratio_p99(self) -> float:
        return self.eo.p99 / self.noop.p99


# -- measuring -------------------------------------------------------------------------------


def signed_command(response_url: str, text: str = "524") -> tuple[bytes, dict[str, str]]:
    """A slash-command form body (the test fixture's fields) and its signed headers."""
    form: dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))
    form.update(text=text, response_url=response_url)
    body = urllib.parse.urlencode(form).encode()
    ts = str(int(time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body.decode())
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature or "",
    }
    return body, headers


async def _send(
    session: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str], due: float
) -> tuple[int, int, bool]:
    """(latency from ``due``, status, whether the ack carried the answer)."""
    try:
        async with session.post(url, data=body, headers=headers) as response:
            answer = await response.read()
            status = response.status
    except (aiohttp.ClientError, TimeoutError):
        status, answer = 0, b""
    return round((time.perf_counter() - due) * 1e9), status, bool(answer)


async def _open_loop(
    url: str | Sequence[str], response_url: str, *, rate: float, count: int
) -> tuple[list[tuple[int, int]], list[tuple[int, int]], int]:
    """Send ``count`` requests at ``rate``/s without waiting (to the ``url``s in turn);
    (latencies, sender lateness, answers carried by the acks)."""
    urls = [url] if isinstance(url, str) else list(url)
    body, headers = signed_command(response_url)
    interval = 1.0 / rate
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        tasks: list[asyncio.Task[tuple[int, int, bool]]] = []
        lags: list[tuple[int, int]] = []
        start = time.perf_counter() + 0.01
        for i in range(count):
            due = start + i * interval
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            lags.append((max(0, round((time.perf_counter() - due) * 1e9)), 200))
            target = urls[i % len(urls)]
            tasks.append(asyncio.create_task(_send(session, target, body, headers, due)))
        sent = await asyncio.gather(*tasks)
    samples = [(ns, status) for ns, status, _ in sent]
    return samples, lags, sum(1 for *_, in_ack in sent if in_ack)


def measure(
    servers: Servers,
    *,
    rate: float = RATE,
    duration_s: float = DURATION_S,
    rounds: int = ROUNDS,
    warmup: int = WARMUP,
) -> SlackFigures:
    """``rounds`` rounds per server, ``duration_s / rounds`` each; eo-bot and no-op alternate."""
    if rate <= 0 or duration_s <= 0 or rounds < 1 or warmup < 0:
        raise ValueError("need rate > 0, duration_s > 0, rounds >= 1 and warmup >= 0")
    per_round = max(1, round(rate * duration_s / rounds))
    children = {EO: servers.eo, NOOP: servers.noop}
    kept: dict[str, list[tuple[int, int]]] = {EO: [], NOOP: []}
    lags: list[tuple[int, int]] = []
    order: list[str] = []
    eo_sent = in_ack = 0

    def run(name: str, count: int) -> list[tuple[int, int]]:
        nonlocal eo_sent, in_ack
        url = servers.url(children[name])
        samples, lag, acked = asyncio.run(
            _open_loop(url, servers.response_url, rate=rate, count=count)
        )
        if name == EO:
            eo_sent += count
            in_ack += acked
            # the bot's follow-ups are out before the next round starts
            servers.settle(eo_sent - in_ack)
        lags.extend(lag)
        return samples

    if warmup:
        for name in (EO, NOOP):
            run(name, warmup)
        lags.clear()
    for i in range(rounds):
        for name in (EO, NOOP) if i % 2 == 0 else (NOOP, EO):
            order.append(name)
            kept[name] += run(name, per_round)
    return SlackFigures(
        rate=rate,
        duration_s=duration_s,
        rounds=rounds,
        order=tuple(order),
        eo=Latency.of(kept[EO]),
        noop=Latency.of(kept[NOOP]),
        send_lag=Latency.of(lags),
        eo_sent=eo_sent,
        eo_answered=in_ack + servers.settle(eo_sent - in_ack),
        eo_in_ack=in_ack,
    )


# -- report ----------------------------------------------------------------------------------


def format_report(machine: Machine, figures: SlackFigures) -> str:
    f = figures
    lines = [
        "bench slack: time to the HTTP 200 acknowledgement of a signed `/eo 524` slash command",
        f"  machine: {machine.cpus} CPUs ({machine.usable_cpus} usable), {machine.python}, "
        f"{machine.platform}",
        f"  load: open loop, {f.rate:g} requests/s, {f.duration_s:g} s per server in "
        f"{f.rounds} rounds ({' / '.join(f.order)}); servers and fake Slack in child processes",
        "",
        f"  {'server':<8} {'n':>6} {'p50 ms':>9} {'p99 ms':>9} {'max ms':>9} {'non-200':>8}",
    ]
    for name, lat in ((EO, f.eo), (NOOP, f.noop)):
        lines.append(
            f"  {name:<8} {lat.n:>6} {lat.p50:>9.2f} {lat.p99:>9.2f} {lat.max:>9.2f} "
            f"{lat.non_200:>8}"
        )
    lines += [
        "",
        f"  ratio eo-bot / no-op: p50 {f.ratio_p50:.2f}x, p99 {f.ratio_p99:.2f}x",
        f"  sender lateness against its schedule: p50 {f.send_lag.p50:.2f} ms, "
        f"p99 {f.send_lag.p99:.2f} ms, max {f.send_lag.max:.2f} ms",
        f"  eo-bot answers: {f.eo_answered} of {f.eo_sent}, {f.eo_in_ack} in the ack itself "
        "(warm-up included)",
    ]
    return "\n".join(lines)


def main() -> None:
    machine = Machine.current()
    with Servers() as servers:
        figures = measure(servers)
    print(format_report(machine, figures))


if __name__ == "__main__":
    main()
