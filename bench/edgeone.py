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
    from tests.servers import HTTPServer
    from tests.servers.teo import FakeTeo, log_line, traffic

    now = datetime.now(UTC)
    with FakeTeo(delay=delay) as fake, HTTPServer() as origin:
        fake.world.traffic[HOST] = traffic(failing_from=40, failures={524: 40})
        fake.world.logs.append(log_line(UUID, at=now - timedelta(minutes=20)))
        conn.send((fake.env(), origin.port))
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

    def __enter__(self) -> Servers:
        self._proc.start()
        if not self._conn.poll(60):
            self._stop()
            raise RuntimeError("the fake API process did not start in 60 s")
        self.env, self.port = self._conn.recv()
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


def measure(servers: Servers, *, rounds: int = ROUNDS) -> tuple[ViewFigures, FirstAnswer]:
    async def run() -> tuple[ViewFigures, FirstAnswer]:
        return await _measure_view(servers, rounds), await _measure_first_answer(servers, rounds)

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
        view, first = measure(servers)
    print(format_report(machine, view, first, import_ms=sdk_import_ms()))


if __name__ == "__main__":
    main()
