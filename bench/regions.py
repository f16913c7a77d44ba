"""Regional probes: what the fan-out to agents adds to a probe, and many regional probes at once.

Two measurements, each next to a reference taken in the same run:

* **Fan-out.** Five agents (``python -m bot.agents`` processes, regions ``bench-a`` to ``bench-e``)
  on the loopback NATS; the target is the plain HTTP server of :mod:`bench.probe` (a child
  process). ``rounds`` times, a local probe (``await probe(...)`` in this process, the agents'
  own settings) and a regional probe of the same URL from all five regions (``await
  RegionalProber.probe(...)``, which returns when the fifth result is in) take turns, which goes
  first alternating. The headline is the added latency, median(regional) - median(local):
  target at most 20 ms. Printed with it: the median of the per-round differences; the transport's
  own share (regional wall time minus the slowest region's own ``timings.total_ms``: NATS, the
  agents' bookkeeping, signing and checking); and, as a second reference, five local probes run
  at once in this process, which shows what running five probes together costs on this machine
  (the agents are five processes sharing its CPUs with everything else). The load average at the
  start and the end says how busy the machine was.
* **Concurrency.** 200 regional probes started together, each to one region (round-robin over
  the five, 40 per agent): wall time and failures; the same 200 as local probes as the reference;
  then 200 fan-outs to all five regions at once (1,000 jobs).

NATS is the shared one at 127.0.0.1:4222 when it answers, else a private ``nats-server -js`` on a
free loopback port (skipped when neither is there). Every address involved is loopback. A
failure is a region that did not bring back an HTTP 200 report.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from bench.ask import Machine
from bench.probe import ServerProcess, Summary, _check_loopback, loopback_policy
from bot.agents.caller import RegionalProber
from bot.agents.outcomes import RegionalRun
from bot.probe.runner import ProbeSettings, probe
from tests.agents.harness import (
    SHARED_URL,
    AgentProcess,
    NatsServer,
    caller_settings,
    nats_available,
    new_prefix,
    purge,
    running,
    wait_for_agents,
    write_key,
)

TARGET_ADDED_MS = 20.0
AGENTS = 5
ROUNDS = 200
WARMUP = 10
CONCURRENT = 200
AGENT_CONCURRENCY = 64
DEADLINE_S = 20.0


@dataclass(frozen=True, slots=True)
class FanoutFigures:
    agents: int
    rounds: int
    local: Summary
    regional: Summary
    paired: Summary  # regional - local, round by round
    transport: Summary  # regional wall - the slowest region's own total_ms, round by round
    local_together: Summary  # len(regions) local probes at once, in this process
    local_failures: int
    regional_failures: int

    @property
    def added_median(self) -> float:
        return self.regional.median - self.local.median


@dataclass(frozen=True, slots=True)
class BurstFigures:
    label: str
    probes: int
    jobs: int
    wall_s: float
    failures: int


@dataclass(frozen=True, slots=True)
class Figures:
    nats: str
    fanout: FanoutFigures
    bursts: tuple[BurstFigures, ...]
    load: tuple[float, float]  # 1-minute load average at the start and at the end


def _ok_local(report_status: int | None) -> bool:
    return report_status == 200


def _ok_run(run: RegionalRun) -> bool:
    return all(o.report is not None and o.report.edge.http.status_code == 200 for o in run.outcomes)


async def _fanout(
    prober: RegionalProber,
    url: str,
    settings: ProbeSettings,
    regions: Sequence[str],
    rounds: int,
    warmup: int,
) -> FanoutFigures:
    local: list[float] = []
    regional: list[float] = []
    transport: list[float] = []
    together: list[float] = []
    local_failures = regional_failures = 0
    for i in range(warmup + rounds):
        order = ("local", "regional", "together")
        order = order[i % 3 :] + order[: i % 3]  # who goes first rotates
        times: dict[str, float] = {}
        slowest = 0.0
        for what in order:
            start = time.perf_counter()
            ok = True
            if what == "local":
                report = await probe(url, settings=settings)
                ok = _ok_local(report.edge.http.status_code)
            elif what == "together":
                await asyncio.gather(*(probe(url, settings=settings) for _ in regions))
            else:
                run = await prober.probe(url, regions=list(regions), deadline=DEADLINE_S)
                ok = _ok_run(run)
                slowest = max(
                    (r.edge.timings.total_ms for r in run.reports().values()), default=0.0
                )
            times[what] = (time.perf_counter() - start) * 1000
            if i >= warmup and not ok:
                if what == "local":
                    local_failures += 1
                else:
                    regional_failures += 1
        if i >= warmup:
            local.append(times["local"])
            regional.append(times["regional"])
            together.append(times["together"])
            transport.append(times["regional"] - slowest)
    paired = [r - lo for r, lo in zip(regional, local, strict=True)]
    return FanoutFigures(
        agents=len(regions),
        rounds=rounds,
        local=Summary.of(local),
        regional=Summary.of(regional),
        paired=_signed_summary(paired),
        transport=_signed_summary(transport),
        local_together=Summary.of(together),
        local_failures=local_failures,
        regional_failures=regional_failures,
    )


def _signed_summary(samples: Sequence[float]) -> Summary:
    ordered = sorted(samples)
    return Summary(
        len(ordered),
        statistics.median(ordered),
        ordered[max(0, int(0.9 * len(ordered) + 0.5) - 1)],
        ordered[max(0, int(0.99 * len(ordered) + 0.5) - 1)],
        ordered[-1],
    )


async def _burst_local(url: str, settings: ProbeSettings, n: int) -> BurstFigures:
    start = time.perf_counter()
    reports = await asyncio.gather(*(probe(url, settings=settings) for _ in range(n)))
    wall = time.perf_counter() - start
    failures = sum(not _ok_local(r.edge.http.status_code) for r in reports)
    return BurstFigures("local probes (reference)", n, n, wall, failures)


async def _burst_regional(
    prober: RegionalProber, url: str, regions: Sequence[str], n: int, *, fan_out: bool
) -> BurstFigures:
    asked = [list(regions) if fan_out else [regions[i % len(regions)]] for i in range(n)]
    start = time.perf_counter()
    runs = await asyncio.gather(*(prober.probe(url, regions=r, deadline=DEADLINE_S) for r in asked))
    wall = time.perf_counter() - start
    failures = sum(
        1
        for run in runs
        for o in run.outcomes
        if o.report is None or o.report.edge.http.status_code != 200
    )
    label = (
        f"regional probes, each to all {len(regions)} regions"
        if fan_out
        else "regional probes, one region each"
    )
    return BurstFigures(label, n, sum(len(r) for r in asked), wall, failures)


def measure(
    *,
    agents: int = AGENTS,
    rounds: int = ROUNDS,
    warmup: int = WARMUP,
    concurrent: int = CONCURRENT,
) -> Figures | None:
    """Run everything; None when no NATS can be found or started."""
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="eo-bench-regions-")))
        if nats_available():
            url, where = SHARED_URL, f"shared ({SHARED_URL})"
        else:
            store = tmp / "nats"
            store.mkdir()
            try:
                server = stack.enter_context(NatsServer(store))
            except Exception:  # no nats-server binary, or it did not start
                return None
            url, where = server.url, f"private nats-server ({server.url})"
        servers = stack.enter_context(ServerProcess())
        target = _check_loopback(servers.targets[0].url)
        port = target.rsplit(":", 1)[1].strip("/")
        prefix = new_prefix()
        regions = [f"bench-{chr(ord('a') + i)}" for i in range(agents)]
        keys = {r: write_key(tmp, r) for r in regions}
        env = {
            "EO_PROBE_ALLOW_NETWORKS": "127.0.0.0/8",
            "EO_PROBE_ALLOW_PORTS": port,
            "EO_AGENT_CONCURRENCY": str(AGENT_CONCURRENCY),
        }
        procs = [
            AgentProcess(r, key_file=keys[r][1], prefix=prefix, log_dir=tmp, url=url, env=env)
            for r in regions
        ]
        stack.callback(lambda: asyncio.run(purge(url, prefix)))
        stack.enter_context(running(*procs))
        settings = ProbeSettings(policy=loopback_policy())
        trusted = {r: [keys[r][0]] for r in regions}

        async def run() -> Figures:
            load_start = os.getloadavg()[0]
            async with RegionalProber(caller_settings(url, prefix, trusted)) as prober:
                await wait_for_agents(prober, [p.agent_id for p in procs], within=60)
                fanout = await _fanout(prober, target, settings, regions, rounds, warmup)
                bursts = (
                    await _burst_local(target, settings, concurrent),
                    await _burst_regional(prober, target, regions, concurrent, fan_out=False),
                    await _burst_regional(prober, target, regions, concurrent, fan_out=True),
                )
            return Figures(where, fanout, bursts, (load_start, os.getloadavg()[0]))

        return asyncio.run(run())


def format_report(machine: Machine, figures: Figures) -> str:
    f = figures.fanout
    verdict = "ok" if f.added_median <= TARGET_ADDED_MS else "OVER TARGET"
    lines = [
        "== bench regions ==",
        f"machine: {machine.cpus} CPUs ({machine.usable_cpus} usable), {machine.python}, "
        f"{machine.platform}",
        f"nats: {figures.nats}; {f.agents} agents as processes; target: HTTP 200 on 127.0.0.1 "
        "(child process)",
        f"load average (1 min): {figures.load[0]:.2f} at the start, "
        f"{figures.load[1]:.2f} at the end",
        f"target: fan-out to {f.agents} agents adds <= {TARGET_ADDED_MS:g} ms to a local probe "
        "at the median",
        "",
        f"-- local probe vs fan-out to {f.agents} regions, {f.rounds} interleaved rounds (ms) --",
        f"{'':<36}{'median':>9}{'p90':>9}{'p99':>9}{'max':>9}",
    ]
    for label, s in (
        ("local probe, await probe()", f.local),
        (f"regional, {f.agents} regions, await probe()", f.regional),
        ("difference, round by round", f.paired),
        ("  of which transport (see above)", f.transport),
        (f"reference: {f.agents} local probes at once", f.local_together),
    ):
        lines.append(f"{label:<36}{s.median:>9.2f}{s.p90:>9.2f}{s.p99:>9.2f}{s.max:>9.2f}")
    lines.append(
        f"added latency at the median: {f.added_median:.2f} ms "
        f"(target <= {TARGET_ADDED_MS:g} ms: {verdict})"
    )
    if f.local_failures or f.regional_failures:
        lines.append(
            f"!! failures: {f.local_failures} local, {f.regional_failures} regional rounds"
        )
    lines += [
        "",
        "-- started together --",
        f"{'':<44}{'probes':>7}{'jobs':>7}{'wall s':>9}{'failures':>10}",
    ]
    for b in figures.bursts:
        lines.append(f"{b.label:<44}{b.probes:>7}{b.jobs:>7}{b.wall_s:>9.3f}{b.failures:>10}")
    return "\n".join(lines)


def main() -> None:
    figures = measure()
    if figures is None:
        print("== bench regions ==\nskipped: no NATS on 127.0.0.1:4222 and no nats-server to start")
        return
    print(format_report(Machine.current(), figures))


if __name__ == "__main__":
    main()
