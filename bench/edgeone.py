"""How fast EdgeOne's view arrives, and that asking for it does not delay the first answer.

1. **The view.** The fake Tencent Cloud API of ``tests/servers/teo.py`` (signatures checked, as
   in the tests) answers every call after ``DELAY_S`` (50 ms). The reference, in the same run, is
   the slowest single call made alone: each action the view uses is timed alone, and the largest
   median is kept. Then ``EdgeOne.gather`` (answering IP, EO-LOG-UUID and all) is timed with the
   zone map warm (the bot reads it at start-up, and it lives 5 minutes) and the fact cache
   emptied before each round, and once cold (nothing cached: zone list, then the host's domain,
   then the questions). Target: the warm view within 1.2 times the slowest single call.
2. **The first answer.** A probe of a loopback HTTP server, then the diagnosis posted to a
   loopback endpoint (standing for Slack's Web API), timed to the post's answer: without
   credentials (today's path); with the view asked once the diagnosis is posted (the wiring's
   way: the view needs the probe's answering address and EO-LOG-UUID anyway); and, for
   comparison, with the view asked together with the probe, where the CPU its calls take on the
   same event loop delays the probe. The first two medians should not differ.
3. **Through the bot.** The real path of a probe asked in a thread (``Conversation.probe`` →
   ``ProbeRun``: progress message, probe, diagnosis, then ``bot.chat.edgeone.add_view``) against a
   loopback site that answers like EdgeOne (its name from a loopback DNS server, the fake API
   configured with a loopback origin, so the origin comparison runs too), with and without
   credentials, to a surface that notes when each message is posted or updated: the time to the
   first answer (the diagnosis) both ways, and the time until EdgeOne's view is in the message,
   next to the slowest single call.

The fake API and the probed server run in a child process (``multiprocessing``, spawn), so they
share neither this process's event loop nor its GIL. Rounds alternate so drift hits both sides.
Every address is 127.0.0.1. The measuring functions return dataclasses and
:func:`format_report` turns them into text, so a smoke test runs them with tiny sizes. Nothing
here asserts on speed.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from types import TracebackType
from typing import Any

from bench._stats import nearest_rank
from bench.ask import Machine
from bench.probe import _check_loopback

LOOPBACK = "127.0.0.1"
DELAY_S = 0.05
ROUNDS = 20
UUID = "4105283880544427145"
HOST = "shop.example.com"
EDGE_IP = "43.175.1.10"
TARGET = 1.2


# -- the child process: fake API and probed server ---------------------------------------------


def _child(delay: float, conn: Connection) -> None:
    from tests.servers import DNSServer, HTTPServer
    from tests.servers.teo import ZONE_ID, FakeTeo, domain, log_line, traffic

    now = datetime.now(UTC)
    edge_headers = {"Server": "TencentEdgeOne", "EO-LOG-UUID": UUID}
    with (
        FakeTeo(delay=delay) as fake,
        HTTPServer() as origin,
        HTTPServer(status=502, headers=edge_headers, body=b"bad gateway") as edge,
        DNSServer({HOST: LOOPBACK}) as ns,
    ):
        fake.world.edge_ips.add(LOOPBACK)
        fake.world.domains[ZONE_ID] = [domain(HOST, origin=LOOPBACK, http_port=origin.port)]
        fake.world.traffic[HOST] = traffic(failing_from=40, failures={524: 40})
        fake.world.logs.append(log_line(UUID, at=now - timedelta(minutes=20)))
        conn.send((fake.env(), origin.port, edge.port, ns.port))
        while conn.recv() != "stop":
            pass
    conn.send("stopped")


class Servers:
    """The fake API (``env`` points eo-bot at it) and a plain HTTP server (``port``)."""

    def __init__(self, *, delay: float = DELAY_S) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child_conn = ctx.Pipe()
        self._proc: BaseProcess = ctx.Process(
            target=_child, args=(delay, child_conn), name="bench-edgeone"
        )
        self.delay = delay
        self.env: dict[str, str] = {}
        self.port = 0  # a plain HTTP server: the probed site, and the diagnosis's destination
        self.edge_port = 0  # a server answering like EdgeOne (its marks), for the bot's path
        self.dns_port = 0  # a DNS server naming HOST 127.0.0.1

    def __enter__(self) -> Servers:
        self._proc.start()
        if not self._conn.poll(60):
            self._stop()
            raise RuntimeError("the fake API process did not start in 60 s")
        self.env, self.port, self.edge_port, self.dns_port = self._conn.recv()
        _check_loopback(self.env["EO_API_ENDPOINT"])
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop()

    def _stop(self) -> None:
        if self._proc.is_alive():
            with contextlib.suppress(OSError, EOFError):
                self._conn.send("stop")
                self._conn.poll(10)
        self._proc.join(10)
        if self._proc.is_alive():
            self._proc.terminate()  # our own child, by its handle
            self._proc.join()
        self._conn.close()

    def url(self, path: str = "/") -> str:
        return _check_loopback(f"http://{LOOPBACK}:{self.port}{path}")


# -- figures -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Summary:
    """Milliseconds: median, p90 (nearest rank) and max."""

    n: int
    median: float
    p90: float
    max: float

    @classmethod
    def of(cls, samples: Sequence[float]) -> Summary:
        if not samples:
            raise ValueError("no samples")
        ordered = sorted(samples)
        return cls(
            len(ordered), statistics.median(ordered), nearest_rank(ordered, 0.9), ordered[-1]
        )


@dataclass(frozen=True, slots=True)
class ViewFigures:
    delay_ms: float
    single: dict[str, Summary]  # action -> that call alone
    warm: Summary  # the whole view, zone map warm
    cold_ms: float  # the very first view, nothing cached
    warmed_ms: float  # the first view after EdgeOne.warm() at start-up
    calls: int  # API calls in one warm view
    in_flight: int  # the most calls in flight at once
    problems: int  # parts of the last view that did not answer
    bare_one: Summary  # one bare HTTP POST (httpx, no SDK) to the same fake
    bare_many: Summary  # ``calls`` bare POSTs at once: what this machine's loopback allows

    @property
    def bare_ratio(self) -> float:
        return self.bare_many.median / self.bare_one.median

    @property
    def slowest(self) -> tuple[str, Summary]:
        return max(self.single.items(), key=lambda kv: kv[1].median)

    @property
    def ratio(self) -> float:
        return self.warm.median / self.slowest[1].median


@dataclass(frozen=True, slots=True)
class ThroughBot:
    """Milliseconds from asking (``Conversation.probe``) to the diagnosis in the thread, without
    and with credentials, and to EdgeOne's view added to it."""

    off_first: Summary
    on_first: Summary
    on_view: Summary
    view_only: Summary  # from the diagnosis to the view in the message

    @property
    def ratio(self) -> float:
        return self.on_first.median / self.off_first.median


@dataclass(frozen=True, slots=True)
class FirstAnswer:
    """Milliseconds from the question to the diagnosis being posted (``first``) and to the view
    being complete (``view``), per way of wiring the view in."""

    off: Summary  # no credentials: today's path
    after_first: Summary  # the view asked once the diagnosis is posted (the wiring's way)
    after_view: Summary
    beside_first: Summary  # the view asked together with the probe (worst case for the answer)
    beside_view: Summary

    @property
    def ratio(self) -> float:
        return self.after_first.median / self.off.median


# -- measuring ---------------------------------------------------------------------------------


async def _timed(work: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await work()
    return (time.perf_counter() - started) * 1000


async def _measure_view(servers: Servers, rounds: int) -> ViewFigures:
    from bot.edgeone.settings import EdgeOneSettings
    from bot.edgeone.view import EdgeOne

    settings = EdgeOneSettings.from_env(servers.env)
    assert settings is not None
    edgeone = EdgeOne(settings)
    when = datetime.now(UTC) - timedelta(minutes=20)
    try:
        started = time.perf_counter()
        view = await edgeone.gather(HOST, answered_ip=EDGE_IP, eo_log_uuid=UUID, when=when)
        cold_ms = (time.perf_counter() - started) * 1000
        edgeone.forget(zones=True)
        await edgeone.warm()
        started = time.perf_counter()
        await edgeone.gather(HOST, answered_ip=EDGE_IP, eo_log_uuid=UUID, when=when)
        warmed_ms = (time.perf_counter() - started) * 1000
        match = await edgeone.zones.lookup(HOST)
        client = edgeone.client
        now = datetime.now(UTC)
        start, end = now - timedelta(hours=1), now
        singles: dict[str, Callable[[], Awaitable[object]]] = {
            "DescribeIPRegion": lambda: client.describe_ip_region([EDGE_IP]),
            "CheckCnameStatus": lambda: client.check_cname_status(match.zone.zone_id, [HOST]),
            "DescribeOriginACL": lambda: client.describe_origin_acl(match.zone.zone_id),
            "DescribeAccelerationDomains": lambda: client.describe_acceleration_domains(
                match.zone.zone_id, names=[HOST]
            ),
            "DescribeLogAnalysisDetail": lambda: client.describe_log_analysis_detail(
                match.zone.zone_id,
                area="overseas",
                start=start,
                end=end,
                condition=f"${{RequestID}} in ['{UUID}']",
            ),
            "DescribeTimingL7AnalysisData": lambda: client.describe_timing_l7_analysis_data(
                match.zone.zone_id,
                start=start,
                end=end,
                metrics=["l7Flow_request"],
                interval="min",
                filters=[("domain", "equals", [HOST])],
            ),
            "DescribeTopL7AnalysisData": lambda: client.describe_top_l7_analysis_data(
                match.zone.zone_id,
                start=start,
                end=end,
                metric="l7Flow_request_statusCode",
                filters=[("domain", "equals", [HOST])],
            ),
        }
        single_samples: dict[str, list[float]] = {name: [] for name in singles}
        warm: list[float] = []
        for _ in range(rounds):
            for name, call in singles.items():
                single_samples[name].append(await _timed(call))
            edgeone.forget()
            started = time.perf_counter()
            view = await edgeone.gather(HOST, answered_ip=EDGE_IP, eo_log_uuid=UUID, when=when)
            warm.append((time.perf_counter() - started) * 1000)
        calls, in_flight = await _count_calls(edgeone, when)
        bare_one, bare_many = await _bare(servers, calls, rounds)
    finally:
        await edgeone.aclose()
    return ViewFigures(
        delay_ms=servers.delay * 1000,
        single={name: Summary.of(samples) for name, samples in single_samples.items()},
        warm=Summary.of(warm),
        cold_ms=cold_ms,
        warmed_ms=warmed_ms,
        calls=calls,
        in_flight=in_flight,
        problems=len(view.problems),
        bare_one=bare_one,
        bare_many=bare_many,
    )


async def _bare(servers: Servers, calls: int, rounds: int) -> tuple[Summary, Summary]:
    """The floor: the same number of plain POSTs to the same fake, one and all at once."""
    import httpx

    url = _check_loopback(servers.env["EO_API_ENDPOINT"] + "/")
    headers = {
        "Content-Type": "application/json",
        "X-TC-Action": "DescribeOriginACL",
        "X-TC-Version": "2022-09-01",
    }
    limits = httpx.Limits(max_connections=32, max_keepalive_connections=16)
    async with httpx.AsyncClient(limits=limits, trust_env=False) as client:

        async def post() -> None:
            answer = await client.post(url, content=b"{}", headers=headers)
            answer.json()

        async def many() -> None:
            await asyncio.gather(*(post() for _ in range(calls)))

        await many()  # open the connections
        one: list[float] = []
        all_at_once: list[float] = []
        for _ in range(rounds):
            one.append(await _timed(post))
            all_at_once.append(await _timed(many))
    return Summary.of(one), Summary.of(all_at_once)


async def _count_calls(edgeone: Any, when: datetime) -> tuple[int, int]:
    """Calls of one warm view and the most in flight at once, counted on the client side."""
    sdk = edgeone.client._sdk
    original = sdk.call_and_deserialize
    counts = {"calls": 0, "now": 0, "max": 0}

    async def counting(*args: Any, **kwargs: Any) -> Any:
        counts["calls"] += 1
        counts["now"] += 1
        counts["max"] = max(counts["max"], counts["now"])
        try:
            return await original(*args, **kwargs)
        finally:
            counts["now"] -= 1

    sdk.call_and_deserialize = counting
    try:
        edgeone.forget()
        await edgeone.gather(HOST, answered_ip=EDGE_IP, eo_log_uuid=UUID, when=when)
    finally:
        sdk.call_and_deserialize = original
    return counts["calls"], counts["max"]


async def _measure_first_answer(servers: Servers, rounds: int) -> FirstAnswer:
    import httpx

    from bot.edgeone.settings import EdgeOneSettings
    from bot.edgeone.view import EdgeOne
    from bot.probe.runner import ProbeSettings, probe
    from bot.probe.safety import ProbePolicy

    policy = ProbePolicy.from_strings(networks=[f"{LOOPBACK}/32"], ports=["1-65535"])
    probe_settings = ProbeSettings(policy=policy, deadline=5)
    url = servers.url()
    chat = servers.url("/api/chat.postMessage")  # stands for the Slack Web API
    settings = EdgeOneSettings.from_env(servers.env)
    assert settings is not None
    edgeone = EdgeOne(settings)
    await edgeone.zones.warm()
    samples: dict[str, list[float]] = {
        k: [] for k in ("off", "after_first", "after_view", "beside_first", "beside_view")
    }

    async def flow(mode: str, poster: httpx.AsyncClient) -> None:
        edgeone.forget()
        started = time.perf_counter()
        task: asyncio.Task[Any] | None = None
        if mode == "beside":
            task = asyncio.create_task(edgeone.gather(HOST, answered_ip=LOOPBACK))
        report = await probe(url, settings=probe_settings)
        await poster.post(chat, content=f"{report.edge.http.status_code}".encode())
        first = (time.perf_counter() - started) * 1000
        if mode == "after":
            ip = report.edge.connect.ip or LOOPBACK
            task = asyncio.create_task(edgeone.gather(HOST, answered_ip=ip))
        if mode == "off":
            samples["off"].append(first)
            return
        assert task is not None
        await task
        samples[f"{mode}_first"].append(first)
        samples[f"{mode}_view"].append((time.perf_counter() - started) * 1000)

    try:
        async with httpx.AsyncClient(trust_env=False) as poster:
            for mode in ("off", "after", "beside"):  # warm-up: imports, CA bundle, pools
                await flow(mode, poster)
            for key in samples:
                samples[key].clear()
            modes = ["off", "after", "beside"]
            for i in range(rounds):
                for mode in modes[i % 3 :] + modes[: i % 3]:  # rotate so drift hits all
                    await flow(mode, poster)
    finally:
        await edgeone.aclose()
    return FirstAnswer(**{key: Summary.of(values) for key, values in samples.items()})


class _Clock:
    """A surface for the conversation that notes when the diagnosis and the view arrive."""

    def __init__(self) -> None:
        self.first: float | None = None
        self.view: float | None = None

    async def reply(self, turn: Any, reply: Any, *, public: bool = False) -> None:
        raise RuntimeError(f"unexpected reply: {reply!r}")  # a refusal would spoil the figures

    async def post(self, channel: str, reply: Any, *, thread: str | None) -> str:
        self._note(reply)
        return "ref"

    async def update(self, channel: str, ref: str, reply: Any) -> None:
        self._note(reply)

    def _note(self, reply: Any) -> None:
        from bot.chat.replies import ProbeOutcome

        if isinstance(reply, ProbeOutcome):
            if reply.edgeone is None and self.first is None:
                self.first = time.perf_counter()
            elif reply.edgeone is not None:
                self.view = time.perf_counter()


async def _measure_through_bot(servers: Servers, rounds: int) -> ThroughBot:
    from bot.chat.conversation import Conversation
    from bot.chat.edgeone import EdgeOneChat
    from bot.chat.replies import ProbeRequest
    from bot.chat.services import Services
    from bot.chat.surface import Turn
    from bot.edgeone.settings import EdgeOneSettings
    from bot.knowledge import load
    from bot.probe.runner import ProbeSettings
    from bot.probe.safety import ProbePolicy
    from bot.state.memory import ConcurrencyCap, RateLimiter

    kb = load(with_env=False)
    policy = ProbePolicy.from_strings(networks=[f"{LOOPBACK}/32"], ports=["1-65535"])
    probe = ProbeSettings(policy=policy, nameservers=((LOOPBACK, servers.dns_port),), deadline=5)
    settings = EdgeOneSettings.from_env(servers.env)
    assert settings is not None
    link = EdgeOneChat.build(settings, probe)
    await link.warm()
    # A name, resolved by the loopback DNS server; the policy lets the probe reach 127.0.0.1 only.
    url = f"http://{HOST}:{servers.edge_port}/cart"
    turn = Turn(text="", user="U0BENCH", channel="C0BENCH", thread="1.0", kind="mention")
    samples: dict[str, list[float]] = {k: [] for k in ("off", "on", "view", "only")}

    async def once(on: bool) -> None:
        services = Services.build(
            kb,
            probe,
            rate=RateLimiter(10_000, 60.0),
            cap=ConcurrencyCap(4),
            progress_interval=60.0,
            edgeone=link if on else None,
        )
        clock = _Clock()
        link.edge.forget()  # every round asks the API (the zone map stays warm, as after start-up)
        started = time.perf_counter()
        await Conversation(services, clock).probe(turn, ProbeRequest(url))
        await services.tasks.drain()
        assert clock.first is not None
        samples["on" if on else "off"].append((clock.first - started) * 1000)
        if on:
            assert clock.view is not None, "the view never came"
            samples["view"].append((clock.view - started) * 1000)
            samples["only"].append((clock.view - clock.first) * 1000)

    try:
        await once(False)  # warm-up: imports, resolver, pools
        await once(True)
        for key in samples:
            samples[key].clear()
        for i in range(rounds):
            for on in (i % 2 == 0, i % 2 == 1):  # alternate so drift hits both
                await once(on)
    finally:
        await link.aclose()
    return ThroughBot(
        off_first=Summary.of(samples["off"]),
        on_first=Summary.of(samples["on"]),
        on_view=Summary.of(samples["view"]),
        view_only=Summary.of(samples["only"]),
    )


def measure(
    servers: Servers, *, rounds: int = ROUNDS
) -> tuple[ViewFigures, FirstAnswer, ThroughBot]:
    async def run() -> tuple[ViewFigures, FirstAnswer, ThroughBot]:
        return (
            await _measure_view(servers, rounds),
            await _measure_first_answer(servers, rounds),
            await _measure_through_bot(servers, rounds),
        )

    return asyncio.run(run())


def sdk_import_ms() -> float:
    """What turning the feature on costs once, at start-up: importing the SDK (in a fresh
    interpreter, so nothing is cached)."""
    import subprocess
    import sys

    code = (
        "import time; t = time.perf_counter(); "
        "import tencentcloud.teo.v20220901.teo_client_async; "
        "print((time.perf_counter() - t) * 1000)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


# -- report ------------------------------------------------------------------------------------


def format_report(
    machine: Machine,
    view: ViewFigures,
    first: FirstAnswer,
    bot: ThroughBot | None = None,
    *,
    import_ms: float | None = None,
) -> str:
    name, slowest = view.slowest
    verdict = "within" if view.ratio <= TARGET else "ABOVE"
    lines = [
        f"EdgeOne's view: fake API on loopback answering each call after {view.delay_ms:.0f} ms "
        f"({view.warm.n} rounds; {machine.python}, {machine.usable_cpus} CPUs)",
        "  each call alone (median ms):",
        *(f"    {action:<30} {s.median:7.1f}" for action, s in view.single.items()),
        f"  slowest single call            {slowest.median:7.1f}  ({name})",
        f"  view, zone map warm            {view.warm.median:7.1f}  p90 {view.warm.p90:.1f}  "
        f"max {view.warm.max:.1f}  ({view.calls} calls, up to {view.in_flight} in flight)",
        f"  ratio view / slowest call      {view.ratio:7.2f}  ({verdict} the {TARGET:.1f}x target)",
        f"  reference: {view.calls} bare POSTs at once  {view.bare_many.median:7.1f}  vs one "
        f"{view.bare_one.median:.1f} (httpx, no SDK, same fake): {view.bare_ratio:.2f}x, this "
        "machine's floor",
        f"  view, cold (nothing cached)    {view.cold_ms:7.1f}  (zone list, then the domain, "
        "then the questions)",
        f"  first view after warm()        {view.warmed_ms:7.1f}  (the domain, then the questions)",
        f"  parts without an answer        {view.problems:7d}",
        "",
        f"First answer: probe a loopback server, post the diagnosis to a loopback endpoint "
        f"({first.off.n} rounds; median ms, p90)",
        f"  no credentials                 first answer {_ms(first.off)}",
        f"  view asked after the post      first answer {_ms(first.after_first)}   "
        f"view complete {_ms(first.after_view)}",
        f"  view asked with the probe      first answer {_ms(first.beside_first)}   "
        f"view complete {_ms(first.beside_view)}",
        f"  ratio first answer, view after the post / no credentials  {first.ratio:.2f}",
    ]
    if bot is not None:
        slowest_ms = slowest.median
        lines += [
            "",
            f"Through the bot: Conversation.probe → ProbeRun → the diagnosis in the thread, then "
            f"EdgeOne's view added ({bot.off_first.n} rounds each; median ms, p90)",
            f"  no credentials                 first answer {_ms(bot.off_first)}",
            f"  with credentials               first answer {_ms(bot.on_first)}   "
            f"view in the message {_ms(bot.on_view)}",
            f"  ratio first answer, with / without credentials  {bot.ratio:.2f}",
            f"  the view after the diagnosis   {_ms(bot.view_only)}  = "
            f"{bot.view_only.median / slowest_ms:.2f}x the slowest single call "
            f"({slowest_ms:.1f}; origin comparison and re-diagnosis included)",
        ]
    if import_ms is not None:
        lines.append(
            f"  once at start-up with credentials: importing the SDK takes {import_ms:.0f} ms"
        )
    return "\n".join(lines)


def _ms(s: Summary) -> str:
    return f"{s.median:6.1f} ({s.p90:.1f})"


def main() -> None:
    machine = Machine.current()
    with Servers() as servers:
        view, first, bot = measure(servers)
    print(format_report(machine, view, first, bot, import_ms=sdk_import_ms()))


if __name__ == "__main__":
    main()
