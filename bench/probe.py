"""How fast is one probe, next to curl on the same loopback targets; and 200 probes at once.

Two measurements, every figure next to a reference taken in the same run:

* **Against curl.** Three loopback targets (plain HTTP 200 with a small body, HTTPS with a test-CA
  certificate for 127.0.0.1, and plain HTTP whose first byte comes 100 ms late) are hit ``rounds``
  times each, a probe and a ``curl`` taking turns (which goes first alternates). For the probe the
  wall time around ``await probe(...)`` and the probe's own ``timings.total_ms`` are kept; for curl
  its own ``time_total`` (``-w``), which leaves out process start-up. The ratio probe/curl is the
  headline (target at most 1.3x at the median); the phase timings are compared pair by pair
  (connect, TLS, time to first byte) as a median absolute difference.
* **Concurrency.** 200 probes started together against one server that answers after 1 s: the
  wall time until all are done (target at most 1.5 s), and the event loop's lag meanwhile, from a
  ticker that sleeps 10 ms in a loop and records how late it wakes (target max at most 50 ms). The
  same ticker on the idle loop, just before, is the reference.

The servers are ``tests.servers`` ones, run in a child process (``serve_targets``): in a thread of
this process their Python work would compete with the probe for the GIL, which curl, in a process
of its own, does not have to. Every address involved is 127.0.0.1, and curl is run with
``--noproxy '*'`` so that no proxy setting can send it anywhere else.

The measuring functions return dataclasses and :func:`format_report` turns them into text, so
``tests/test_bench_smoke.py`` can run them with tiny sizes. Nothing here asserts on speed.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from bench._stats import nearest_rank
from bench.ask import Machine
from bot.probe.models import ProbeReport
from bot.probe.runner import ProbeSettings, probe
from bot.probe.safety import ProbePolicy

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"

TARGET_RATIO = 1.3  # probe / curl at the median, in-process wall time
TARGET_WALL_S = 1.5  # 200 probes against a 1 s server
TARGET_LAG_MS = 50.0  # worst event-loop lag while they run

SMALL_BODY = b"eo-bot probe benchmark\n" * 20  # 460 bytes
SLOW_DELAY_S = 0.1
BUSY_DELAY_S = 1.0
TICK_S = 0.010

CURL_FORMAT = (
    "%{time_namelookup} %{time_connect} %{time_appconnect} %{time_starttransfer} "
    "%{time_total} %{http_code}"
)
_SERVE = "from bench.probe import serve_targets; serve_targets()"
_PROXY_VARS = frozenset({"http_proxy", "https_proxy", "all_proxy", "no_proxy"})


def loopback_policy() -> ProbePolicy:
    return ProbePolicy.from_strings(networks=["127.0.0.0/8"], ports=["1-65535"])


# -- the servers, in a child process ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    label: str
    url: str


@dataclass(frozen=True, slots=True)
class Servers:
    """What the child process serves: the three compared targets, the busy one, the test CA."""

    targets: tuple[Target, ...]
    busy_url: str  # first byte after busy_delay_s
    busy_delay_s: float
    ca_file: str


def serve_targets() -> None:
    """Child process: start the servers, print their ports as one JSON line, serve until stdin
    closes. Run by :class:`ServerProcess`; argv[1] is a JSON object of settings."""
    from tests.servers import HTTPServer, TLSFixtures

    config = json.loads(sys.argv[1])
    with (
        TLSFixtures() as tls,
        HTTPServer(body=SMALL_BODY, host=LOOPBACK) as plain,
        HTTPServer(body=SMALL_BODY, ssl_context=tls.server_context(), host=LOOPBACK) as secure,
        HTTPServer(body=SMALL_BODY, first_byte_delay=config["slow"], host=LOOPBACK) as slow,
        HTTPServer(body=b"late\n", first_byte_delay=config["busy"], host=LOOPBACK) as busy,
    ):
        ports = {"http": plain.port, "https": secure.port, "slow": slow.port, "busy": busy.port}
        print(json.dumps({"ports": ports, "ca": tls.client_ca_pem_path}), flush=True)
        sys.stdin.read()  # until the parent closes our stdin


class ServerProcess:
    """Runs :func:`serve_targets` in a child process for the duration of a ``with`` block."""

    def __init__(
        self, *, slow_delay_s: float = SLOW_DELAY_S, busy_delay_s: float = BUSY_DELAY_S
    ) -> None:
        self.slow_delay_s = slow_delay_s
        self.busy_delay_s = busy_delay_s
        self._proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> Servers:
        config = json.dumps({"slow": self.slow_delay_s, "busy": self.busy_delay_s})
        self._proc = subprocess.Popen(
            [sys.executable, "-c", _SERVE, config],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            self._stop()
            raise RuntimeError("the benchmark's server process exited before serving")
        info = json.loads(line)
        ports: dict[str, int] = info["ports"]
        slow_ms = f"{self.slow_delay_s * 1000:g} ms"
        targets = (
            Target("http", f"HTTP 200, {len(SMALL_BODY)} B body", _url("http", ports["http"])),
            Target("https", "HTTPS (test CA), same body", _url("https", ports["https"])),
            Target("slow", f"HTTP, first byte after {slow_ms}", _url("http", ports["slow"])),
        )
        return Servers(targets, _url("http", ports["busy"]), self.busy_delay_s, info["ca"])

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop()

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()  # our own child, by its handle
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def _url(scheme: str, port: int) -> str:
    return f"{scheme}://{LOOPBACK}:{port}/"


def _check_loopback(url: str) -> str:
    """The benchmark targets loopback only; refuse anything else before sending a byte."""
    host = urllib.parse.urlsplit(url).hostname or ""
    if not ipaddress.ip_address(host).is_loopback:
        raise ValueError(f"benchmark targets must be loopback addresses, got {url!r}")
    return url


# -- figures ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Summary:
    """Median and nearest-rank percentiles of a set of durations, in milliseconds."""

    n: int
    median: float
    p90: float
    p99: float
    max: float

    @classmethod
    def of(cls, samples: Sequence[float]) -> Summary:
        if not samples:
            raise ValueError("no samples")
        ordered = sorted(samples)

        return cls(
            len(ordered),
            statistics.median(ordered),
            nearest_rank(ordered, 0.90),
            nearest_rank(ordered, 0.99),
            ordered[-1],
        )


@dataclass(frozen=True, slots=True)
class ProbeSample:
    wall_ms: float  # around `await probe(...)`, in-process
    total_ms: float  # the probe's own timings.total_ms
    connect_ms: float | None
    tls_ms: float | None
    ttfb_ms: float | None  # connect + tls + server
    ok: bool  # an HTTP answer with status 200


@dataclass(frozen=True, slots=True)
class CurlSample:
    connect_ms: float  # time_connect - time_namelookup
    tls_ms: float | None  # time_appconnect - time_connect (HTTPS only)
    ttfb_ms: float  # time_starttransfer
    total_ms: float  # time_total
    ok: bool  # exit status 0 and HTTP 200


@dataclass(frozen=True, slots=True)
class Agreement:
    """One phase as the probe and curl saw it: medians, and median |probe - curl| per pair."""

    phase: str
    probe_median: float
    curl_median: float
    median_abs_diff: float


@dataclass(frozen=True, slots=True)
class TargetFigures:
    target: Target
    rounds: int
    probe_failures: int
    curl_failures: int
    wall: Summary  # probe, in-process around await probe(...)
    total: Summary  # probe, timings.total_ms
    curl: Summary | None  # curl time_total; None without curl
    agreement: tuple[Agreement, ...]

    @property
    def ratio_median(self) -> float | None:
        """Probe wall time over curl's time_total at the median (below 1: probe is faster)."""
        return self.wall.median / self.curl.median if self.curl else None

    @property
    def ratio_p90(self) -> float | None:
        return self.wall.p90 / self.curl.p90 if self.curl else None

    @property
    def total_ratio_median(self) -> float | None:
        """The probe's own total_ms over curl's time_total at the median."""
        return self.total.median / self.curl.median if self.curl else None


@dataclass(frozen=True, slots=True)
class ConcurrencyRound:
    wall_s: float  # from starting all probes until the last one is done
    ok: int  # probes that got an HTTP 200
    lag: Summary  # ticker lateness while they ran, ms


@dataclass(frozen=True, slots=True)
class ConcurrencyFigures:
    probes: int
    delay_s: float  # the server's first-byte delay
    idle: Summary  # ticker lateness on the idle loop, ms
    rounds: tuple[ConcurrencyRound, ...]

    @property
    def median_round(self) -> ConcurrencyRound:
        """The round with the median wall time (the lower one of an even count)."""
        ordered = sorted(self.rounds, key=lambda r: r.wall_s)
        return ordered[(len(ordered) - 1) // 2]


# -- measuring: probe against curl -----------------------------------------------------------


def find_curl() -> str | None:
    return shutil.which("curl")


def _curl_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k.lower() not in _PROXY_VARS}


def run_curl(curl: str, url: str, *, ca_file: str | None, env: dict[str, str]) -> CurlSample:
    args = [curl, "-q", "-s", "-o", "/dev/null", "--noproxy", "*", "--max-time", "10"]
    if ca_file is not None and url.startswith("https:"):
        args += ["--cacert", ca_file]
    args += ["-w", CURL_FORMAT, _check_loopback(url)]
    result = subprocess.run(
        args, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False
    )
    fields = result.stdout.split()
    if len(fields) != 6:
        raise RuntimeError(f"curl {url}: unexpected -w output {result.stdout!r} {result.stderr!r}")
    lookup, connect, appconnect, starttransfer, total = (float(f) * 1000 for f in fields[:5])
    return CurlSample(
        connect_ms=connect - lookup,
        tls_ms=appconnect - connect if url.startswith("https:") else None,
        ttfb_ms=starttransfer,
        total_ms=total,
        ok=result.returncode == 0 and fields[5] == "200",
    )


async def timed_probe(url: str, settings: ProbeSettings) -> ProbeSample:
    t0 = time.perf_counter()
    report = await probe(_check_loopback(url), settings=settings)
    wall_ms = (time.perf_counter() - t0) * 1000
    return _sample(report, wall_ms)


def _sample(report: ProbeReport, wall_ms: float) -> ProbeSample:
    edge = report.edge
    t = edge.timings
    ttfb = None
    if t.connect_ms is not None and t.server_ms is not None:
        ttfb = t.connect_ms + (t.tls_ms or 0.0) + t.server_ms
    return ProbeSample(
        wall_ms=wall_ms,
        total_ms=t.total_ms,
        connect_ms=t.connect_ms,
        tls_ms=t.tls_ms,
        ttfb_ms=ttfb,
        ok=edge.http.status == "ok" and edge.http.status_code == 200,
    )


def _agreement(phase: str, pairs: Sequence[tuple[float | None, float | None]]) -> Agreement | None:
    both = [(p, c) for p, c in pairs if p is not None and c is not None]
    if not both:
        return None
    return Agreement(
        phase,
        statistics.median(p for p, _ in both),
        statistics.median(c for _, c in both),
        statistics.median(abs(p - c) for p, c in both),
    )


def _target_figures(
    target: Target, probes: Sequence[ProbeSample], curls: Sequence[CurlSample]
) -> TargetFigures:
    agreement: list[Agreement] = []
    if curls:
        pairs = list(zip(probes, curls, strict=True))
        phases: dict[str, list[tuple[float | None, float | None]]] = {
            "connect": [(p.connect_ms, c.connect_ms) for p, c in pairs],
            "tls": [(p.tls_ms, c.tls_ms) for p, c in pairs],
            "ttfb": [(p.ttfb_ms, c.ttfb_ms) for p, c in pairs],
        }
        for phase, values in phases.items():
            found = _agreement(phase, values)
            if found is not None:
                agreement.append(found)
    return TargetFigures(
        target=target,
        rounds=len(probes),
        probe_failures=sum(not p.ok for p in probes),
        curl_failures=sum(not c.ok for c in curls),
        wall=Summary.of([p.wall_ms for p in probes]),
        total=Summary.of([p.total_ms for p in probes]),
        curl=Summary.of([c.total_ms for c in curls]) if curls else None,
        agreement=tuple(agreement),
    )


def measure_targets(
    servers: Servers, *, rounds: int = 30, warmup: int = 3, curl: str | None = None
) -> tuple[TargetFigures, ...]:
    """Probe and curl each target ``rounds`` times, taking turns; ``curl=None``: probe only."""
    if rounds < 1 or warmup < 0:
        raise ValueError("need rounds >= 1 and warmup >= 0")
    settings = ProbeSettings(
        policy=loopback_policy(), ca_file=servers.ca_file, deadline=10.0, read_timeout=5.0
    )
    env = _curl_env()
    probes: dict[str, list[ProbeSample]] = {t.name: [] for t in servers.targets}
    curls: dict[str, list[CurlSample]] = {t.name: [] for t in servers.targets}
    with asyncio.Runner() as runner:
        for r in range(warmup + rounds):
            for target in servers.targets:
                c: CurlSample | None = None
                if r % 2 == 0:
                    p = runner.run(timed_probe(target.url, settings))
                    if curl:
                        c = run_curl(curl, target.url, ca_file=servers.ca_file, env=env)
                else:
                    if curl:
                        c = run_curl(curl, target.url, ca_file=servers.ca_file, env=env)
                    p = runner.run(timed_probe(target.url, settings))
                if r < warmup:
                    continue  # imports, lazy initialisation, page cache: not measured
                probes[target.name].append(p)
                if c is not None:
                    curls[target.name].append(c)
    return tuple(_target_figures(t, probes[t.name], curls[t.name]) for t in servers.targets)


# -- measuring: many probes at once ----------------------------------------------------------


class _Ticker:
    """Sleeps ``interval`` in a loop and records how late each wake-up was, in ms."""

    def __init__(self, interval: float = TICK_S) -> None:
        self.interval = interval
        self.lags: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        clock = time.perf_counter
        while True:
            t0 = clock()
            await asyncio.sleep(self.interval)
            self.lags.append(max(0.0, (clock() - t0 - self.interval) * 1000))

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> list[float]:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        return self.lags


async def _idle_lag(duration: float) -> Summary:
    ticker = _Ticker()
    ticker.start()
    await asyncio.sleep(duration)
    return Summary.of(await ticker.stop())


async def _concurrent_round(url: str, probes: int, settings: ProbeSettings) -> ConcurrencyRound:
    ticker = _Ticker()
    ticker.start()
    await asyncio.sleep(0)  # let the ticker take its first step
    t0 = time.perf_counter()
    reports = await asyncio.gather(*(probe(url, settings=settings) for _ in range(probes)))
    wall = time.perf_counter() - t0
    await asyncio.sleep(2 * ticker.interval)  # a wake-up delayed by the last probes counts too
    lags = await ticker.stop()
    ok = sum(r.edge.http.status == "ok" and r.edge.http.status_code == 200 for r in reports)
    return ConcurrencyRound(wall, ok, Summary.of(lags or [0.0]))


async def _concurrency(
    url: str, probes: int, repeats: int, idle_s: float, settings: ProbeSettings
) -> tuple[Summary, list[ConcurrencyRound]]:
    await probe(url, settings=settings)  # warm-up: first-use costs are not what is measured
    idle = await _idle_lag(idle_s)
    rounds = []
    for _ in range(repeats):
        rounds.append(await _concurrent_round(url, probes, settings))
        await asyncio.sleep(0.2)  # let the sockets of the last round close
    return idle, rounds


def measure_concurrency(
    servers: Servers, *, probes: int = 200, repeats: int = 3, idle_s: float = 0.5
) -> ConcurrencyFigures:
    """``probes`` probes started together against the busy server, ``repeats`` times."""
    if probes < 1 or repeats < 1:
        raise ValueError("need probes >= 1 and repeats >= 1")
    settings = ProbeSettings(policy=loopback_policy(), deadline=15.0, read_timeout=10.0)
    url = _check_loopback(servers.busy_url)
    with asyncio.Runner() as runner:
        idle, rounds = runner.run(_concurrency(url, probes, repeats, idle_s, settings))
    return ConcurrencyFigures(probes, servers.busy_delay_s, idle, tuple(rounds))


# -- reporting -------------------------------------------------------------------------------


def _verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def _x(value: float | None) -> str:
    return f"{value:.2f}x" if value is not None else "-"


def format_report(
    machine: Machine,
    targets: Sequence[TargetFigures],
    concurrency: ConcurrencyFigures,
    *,
    curl: str | None,
) -> str:
    rounds = targets[0].rounds if targets else 0
    lines = [
        "== bench probe ==",
        f"machine: {machine.cpus} CPUs ({machine.usable_cpus} usable), {machine.python}, "
        f"{machine.platform}",
        f"targets: probe/curl <= {TARGET_RATIO:g}x at the median (in-process wall time); "
        f"{concurrency.probes} probes at once",
        f"         done in <= {TARGET_WALL_S:g} s; event-loop lag max <= {TARGET_LAG_MS:g} ms "
        "while they run",
        "servers: tests.servers in a child process, all on 127.0.0.1",
        f"curl: {curl} (its own -w time_total: process start-up excluded)"
        if curl
        else "curl: not found, curl columns skipped",
        "",
        f"-- probe vs curl, {rounds} interleaved rounds per target (ms) --",
        f"{'target':<34}{'':<24}{'median':>9}{'p90':>9}{'max':>9}",
    ]
    for f in targets:
        rows = [("probe, await probe()", f.wall), ("probe, timings.total_ms", f.total)]
        if f.curl is not None:
            rows.append(("curl time_total", f.curl))
        for i, (what, s) in enumerate(rows):
            name = f.target.label if i == 0 else ""
            lines.append(f"{name:<34}{what:<24}{s.median:>9.2f}{s.p90:>9.2f}{s.max:>9.2f}")
        failures = []
        if f.probe_failures:
            failures.append(f"{f.probe_failures} probes not 200")
        if f.curl_failures:
            failures.append(f"{f.curl_failures} curls not 200")
        if failures:
            lines.append(f"{'':<34}!! {', '.join(failures)}")
    if curl:
        lines += [
            "",
            "-- ratio probe / curl (below 1: probe is faster) --",
            f"{'target':<34}{'median':>9}{'p90':>9}{'total_ms med':>14}  target",
        ]
        for f in targets:
            ratio = f.ratio_median
            verdict = _verdict(ratio is not None and ratio <= TARGET_RATIO)
            lines.append(
                f"{f.target.label:<34}{_x(ratio):>9}{_x(f.ratio_p90):>9}"
                f"{_x(f.total_ratio_median):>14}  <= {TARGET_RATIO:g}x: {verdict}"
            )
        lines += [
            "",
            "-- phase agreement, ms: median of each, and median |probe - curl| per pair --",
            "   connect: probe connect_ms vs curl time_connect - time_namelookup",
            "   tls:     probe tls_ms vs curl time_appconnect - time_connect",
            "   ttfb:    probe connect_ms + tls_ms + server_ms vs curl time_starttransfer",
            f"{'target':<34}{'phase':<9}{'probe med':>10}{'curl med':>10}{'med |diff|':>12}",
        ]
        for f in targets:
            for i, a in enumerate(f.agreement):
                name = f.target.label if i == 0 else ""
                lines.append(
                    f"{name:<34}{a.phase:<9}{a.probe_median:>10.2f}{a.curl_median:>10.2f}"
                    f"{a.median_abs_diff:>12.2f}"
                )
    c = concurrency
    lines += [
        "",
        f"-- {c.probes} probes at once, server answers after {c.delay_s:g} s; "
        f"ticker every {TICK_S * 1000:g} ms --",
        f"idle loop (reference): lag p99 {c.idle.p99:.1f} ms, max {c.idle.max:.1f} ms "
        f"({c.idle.n} ticks)",
        f"{'round':<8}{'wall s':>8}{'x delay':>9}{'ok':>6}{'ticks':>7}{'lag p99':>9}{'lag max':>9}",
    ]
    for i, r in enumerate(c.rounds, 1):
        lines.append(
            f"{i:<8}{r.wall_s:>8.3f}{r.wall_s / c.delay_s:>9.2f}{r.ok:>6}{r.lag.n:>7}"
            f"{r.lag.p99:>9.1f}{r.lag.max:>9.1f}"
        )
    m = c.median_round
    worst_wall = max(r.wall_s for r in c.rounds)
    worst_lag = max(r.lag.max for r in c.rounds)
    lines += [
        f"wall (median round) {m.wall_s:.3f} s <= {TARGET_WALL_S:g} s: "
        f"{_verdict(m.wall_s <= TARGET_WALL_S)}  (worst round {worst_wall:.3f} s)",
        f"lag max (median round) {m.lag.max:.1f} ms <= {TARGET_LAG_MS:g} ms: "
        f"{_verdict(m.lag.max <= TARGET_LAG_MS)}  (p99 {m.lag.p99:.1f} ms; "
        f"worst round max {worst_lag:.1f} ms)",
    ]
    if any(r.ok != c.probes for r in c.rounds):
        lines.append("!! some probes did not get a 200: see the ok column")
    return "\n".join(lines)


def main() -> None:
    machine = Machine.current()
    curl = find_curl()
    with ServerProcess() as servers:
        targets = measure_targets(servers, curl=curl)
        concurrency = measure_concurrency(servers)
    print(format_report(machine, targets, concurrency, curl=curl))


if __name__ == "__main__":
    main()
