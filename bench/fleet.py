"""Acknowledgement latency of eo-bot with its state in memory and in Redis, next to no-op Bolt
apps in the same run (Bolt's default mode, and ``process_before_response`` as eo-bot runs);
three replicas sharing Redis at three times the rate; an idle replica's RSS.

Like ``bench.slack`` (whose servers, signed ``/eo 524`` commands and open-loop sender this
reuses), each server and the fake Slack run in a child process, and each request's latency
counts from its scheduled send time to the HTTP 200. The single-server rounds rotate the order
(memory, Redis, no-op, no-op/pbr; then Redis, no-op, ...) so that drift of the machine hits
all of them. The fleet round sends ``fleet_rate`` requests/s to three ``eo-bot+redis`` servers in
turn, as a round-robin balancer would. The idle RSS is that of a real `eo-bot serve` process
(HTTP mode) a few seconds after ``/healthz`` first answered, read from ``/proc``; Redis is the
machine's (127.0.0.1:6379), each server under a key prefix of its own. Nothing here asserts on
speed.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.ask import Machine
from bench.slack import (
    EO,
    EO_REDIS,
    LOOPBACK,
    NOOP,
    NOOP_PBR,
    REDIS_URL,
    Child,
    Latency,
    _open_loop,
)

RATE = 200.0
FLEET_RATE = 600.0
DURATION_S = 6.0  # of load per server, split over its rounds
ROUNDS = 3
WARMUP = 50
REPLICAS = 3
IDLE_S = 3.0
ORDER = (EO, EO_REDIS, NOOP, NOOP_PBR)


@dataclass(frozen=True, slots=True)
class FleetFigures:
    rate: float
    fleet_rate: float
    duration_s: float
    order: tuple[str, ...]
    single: dict[str, Latency]
    fleet: Latency
    rss_mb: dict[str, float]  # idle RSS of a real `eo-bot serve`, memory and Redis

    def ratio(self, name: str, reference: str = NOOP) -> float:
        """p99 of ``name`` over the p99 of a no-op app (Bolt's default mode unless told)."""
        return self.single[name].p99 / self.single[reference].p99


@contextlib.contextmanager
def children(kinds: list[str], api_url: str) -> Iterator[list[Child]]:
    started: list[Child] = []
    try:
        for kind in kinds:
            started.append(Child(kind, api_url))
        yield started
    finally:
        for child in reversed(started):
            child.stop()


def _url(child: Child) -> str:
    return f"http://{LOOPBACK}:{child.port}/slack/events"


def measure(
    *,
    rate: float = RATE,
    fleet_rate: float = FLEET_RATE,
    duration_s: float = DURATION_S,
    rounds: int = ROUNDS,
    warmup: int = WARMUP,
    idle_s: float = IDLE_S,
) -> FleetFigures:
    per_round = max(1, round(rate * duration_s / rounds))
    kept: dict[str, list[tuple[int, int]]] = {name: [] for name in ORDER}
    order: list[str] = []
    with children(["fake"], "") as (fake,):
        api_url = f"http://{LOOPBACK}:{fake.port}/api/"
        response_url = f"http://{LOOPBACK}:{fake.port}/response/bench"
        with children(list(ORDER), api_url) as servers:
            by_name = dict(zip(ORDER, servers, strict=True))
            for name in ORDER:
                asyncio.run(_open_loop(_url(by_name[name]), response_url, rate=rate, count=warmup))
            for i in range(rounds):
                rotated = ORDER[i % len(ORDER) :] + ORDER[: i % len(ORDER)]
                for name in rotated:
                    order.append(name)
                    samples, _, _ = asyncio.run(
                        _open_loop(_url(by_name[name]), response_url, rate=rate, count=per_round)
                    )
                    kept[name] += samples
        with children([EO_REDIS] * REPLICAS, api_url) as fleet:
            urls = [_url(child) for child in fleet]
            asyncio.run(_open_loop(urls, response_url, rate=fleet_rate, count=warmup * REPLICAS))
            count = max(1, round(fleet_rate * duration_s / rounds))
            fleet_samples, _, _ = asyncio.run(
                _open_loop(urls, response_url, rate=fleet_rate, count=count)
            )
        rss = {
            "memory": idle_rss(api_url, {}, idle_s),
            "redis": idle_rss(
                api_url, {"EO_REDIS_URL": REDIS_URL, "EO_REDIS_PREFIX": "eo-bench-rss"}, idle_s
            ),
        }
    return FleetFigures(
        rate=rate,
        fleet_rate=fleet_rate,
        duration_s=duration_s,
        order=tuple(order),
        single={name: Latency.of(samples) for name, samples in kept.items()},
        fleet=Latency.of(fleet_samples),
        rss_mb=rss,
    )


def idle_rss(api_url: str, extra: dict[str, str], idle_s: float) -> float:
    """RSS in MB of a real `eo-bot serve` (HTTP mode), ``idle_s`` after it first served."""
    from tests.slack.serve_process import ServeProcess

    async def run() -> float:
        from bench.slack import SECRET, TOKEN

        env = {
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": api_url,
            **extra,
        }
        served = await ServeProcess.start(env)
        try:
            await served.wait_health(200, limit=60.0)
            await asyncio.sleep(idle_s)
            status = await asyncio.to_thread(Path(f"/proc/{served.proc.pid}/status").read_text)
        finally:
            await served.stop()
        kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
        return kb / 1024

    return asyncio.run(run())


def format_report(machine: Machine, f: FleetFigures) -> str:
    lines = [
        "bench fleet: acknowledgement of a signed `/eo 524`, state in memory vs in Redis",
        f"  machine: {machine.cpus} CPUs ({machine.usable_cpus} usable), {machine.python}, "
        f"{machine.platform}",
        f"  load: open loop, {f.rate:g} requests/s, {f.duration_s:g} s per server, rounds "
        f"{' / '.join(f.order)}; servers and fake Slack in child processes, Redis on loopback",
        "",
        f"  {'server':<14} {'n':>6} {'p50 ms':>9} {'p99 ms':>9} {'max ms':>9} {'non-200':>8}"
        f" {'p99 / no-op':>12} {'/ no-op/pbr':>12}",
    ]
    for name in ORDER:
        lat = f.single[name]
        lines.append(
            f"  {name:<14} {lat.n:>6} {lat.p50:>9.2f} {lat.p99:>9.2f} {lat.max:>9.2f} "
            f"{lat.non_200:>8} {f.ratio(name):>11.2f}x {f.ratio(name, NOOP_PBR):>11.2f}x"
        )
    fl = f.fleet
    lines += [
        "  no-op: Bolt's default mode, whose runner polls for the ack every 10 ms (the issue's",
        "  reference); no-op/pbr: process_before_response=True, acknowledged when the listener",
        "  returns, as eo-bot is",
        "",
        f"  {REPLICAS} replicas sharing Redis, {f.fleet_rate:g} requests/s in turn: n {fl.n}, "
        f"p50 {fl.p50:.2f} ms, p99 {fl.p99:.2f} ms, max {fl.max:.2f} ms, non-200 {fl.non_200}",
        "  idle `eo-bot serve` RSS: "
        + ", ".join(f"{kind} {mb:.1f} MB" for kind, mb in f.rss_mb.items()),
    ]
    return "\n".join(lines)


def main() -> None:
    machine = Machine.current()
    started = time.perf_counter()
    figures = measure()
    print(format_report(machine, figures))
    print(f"  (ran in {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
