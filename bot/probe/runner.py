"""Run a probe: validate the target, resolve, check every address, then connect, TLS and HTTP.

The public URL and, when given, the origin are probed concurrently under one hard deadline. Input
that is invalid or not allowed raises :class:`TargetRefused` before anything is sent; every other
outcome, including timeouts, is returned as data.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import re
import time
import weakref
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from dns.asyncresolver import Resolver

from bot.probe.dns import make_resolver, resolve
from bot.probe.errors import deadline_error
from bot.probe.http import HopRequest, HopResult, HopTimeouts, Recorder, run_hop
from bot.probe.models import (
    ConnectResult,
    DNSResult,
    HTTPResult,
    ProbeReport,
    ProbeResult,
    Timings,
    TLSResult,
)
from bot.probe.safety import ProbePolicy, Target, TargetRefused, parse_target

log = logging.getLogger(__name__)

ProgressCallback = Callable[[str], Awaitable[None]]
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"})
_ORIGIN = re.compile(
    r"^\[(?P<v6>[0-9a-fA-F:.]+)\](?::(?P<p6>\d{1,5}))?$|^(?P<h>[^:\[\]]+)(?::(?P<p>\d{1,5}))?$"
)


@dataclass(frozen=True, slots=True)
class ProbeSettings:
    policy: ProbePolicy = field(default_factory=ProbePolicy)
    nameservers: tuple[tuple[str, int], ...] = ()  # () -> the system's resolver configuration
    method: str = "GET"
    deadline: float = 20.0  # hard cap on the whole probe, seconds
    dns_timeout: float = 5.0
    connect_timeout: float = 5.0
    tls_timeout: float = 5.0
    read_timeout: float = 15.0  # first byte; EdgeOne's default origin-pull timeout is 15 s
    ca_file: str | None = None  # extra trusted CA bundle (PEM)
    error_names: frozenset[str] = frozenset()  # EdgeOne error names to look for in bodies

    @classmethod
    def from_env(cls, environ: Mapping[str, str], **overrides: object) -> ProbeSettings:
        """Settings from EO_PROBE_* variables; ValueError names the variable that is wrong."""
        ports = environ.get("EO_PROBE_ALLOW_PORTS", "")
        networks = environ.get("EO_PROBE_ALLOW_NETWORKS", "")
        try:
            policy = ProbePolicy.from_strings(ports=[ports], networks=[networks])
        except ValueError as exc:
            raise ValueError(f"EO_PROBE_ALLOW_PORTS / EO_PROBE_ALLOW_NETWORKS: {exc}") from exc
        settings = cls(policy=policy)
        raw_ns = environ.get("EO_PROBE_NAMESERVERS", "")
        if raw_ns.strip():
            try:
                settings = replace(settings, nameservers=parse_nameservers(raw_ns.split(",")))
            except ValueError as exc:
                raise ValueError(f"EO_PROBE_NAMESERVERS: {exc}") from exc
        if environ.get("EO_PROBE_DEADLINE", "").strip():
            deadline = _seconds("EO_PROBE_DEADLINE", environ["EO_PROBE_DEADLINE"])
            settings = replace(settings, deadline=deadline)
        if environ.get("EO_PROBE_READ_TIMEOUT", "").strip():
            read = _seconds("EO_PROBE_READ_TIMEOUT", environ["EO_PROBE_READ_TIMEOUT"])
            settings = replace(settings, read_timeout=read)
        if environ.get("EO_PROBE_CA_FILE", "").strip():
            settings = replace(settings, ca_file=environ["EO_PROBE_CA_FILE"].strip())
        return replace(settings, **overrides)  # type: ignore[arg-type]


def _seconds(var: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{var}: {raw!r} is not a number of seconds") from None
    if not 0.1 <= value <= 120:
        raise ValueError(f"{var}: {value:g} s is outside 0.1-120 s")
    return value


def parse_nameservers(items: list[str]) -> tuple[tuple[str, int], ...]:
    """'1.1.1.1', '127.0.0.1:5353', '[::1]:53' -> (ip, port) pairs."""
    out: list[tuple[str, int]] = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        m = _ORIGIN.match(item)
        host = (m.group("v6") or m.group("h")) if m else None
        port_text = (m.group("p6") or m.group("p")) if m else None
        try:
            ip = ipaddress.ip_address(host or "")
        except ValueError:
            raise ValueError(f"{item!r} is not an IP address with an optional :port") from None
        port = int(port_text) if port_text else 53
        if not 1 <= port <= 65535:
            raise ValueError(f"{item!r}: port out of range")
        out.append((str(ip), port))
    return tuple(out)


async def probe(
    url: str,
    *,
    origin: str | None = None,
    settings: ProbeSettings,
    on_progress: ProgressCallback | None = None,
) -> ProbeReport:
    if settings.method.upper() not in _METHODS:
        raise TargetRefused(f"method {settings.method!r} is not one the probe sends")
    target = parse_target(url, settings.policy)
    origin_target = _parse_origin(origin, target, settings.policy) if origin else None
    # Reading resolv.conf costs time; IP literals need no resolver at all.
    needs_dns = target.ip is None or (origin_target is not None and origin_target.ip is None)
    resolver = make_resolver(settings.nameservers, settings.dns_timeout) if needs_dns else None
    started = time.perf_counter()
    deadline = started + settings.deadline
    progress = _Progress(on_progress)
    try:
        report = await _run(target, origin_target, resolver, settings, deadline, progress)
    except BaseException:
        progress.cancel()  # refused, cancelled or broken: nothing more to show
        raise
    await progress.close()
    return report


async def probe_origin(url: str, origin: str, *, settings: ProbeSettings) -> ProbeResult:
    """Only the origin half of ``probe(url, origin=origin)``: ``origin`` reached with ``url``'s
    scheme, path and host (as Host and SNI), under the same policy and deadline, without fetching
    ``url`` itself. EdgeOne's configured origin is compared this way: the URL carries the Host
    EdgeOne sends and the pull protocol, which need not be the public ones. Raises
    TargetRefused like ``probe``."""
    if settings.method.upper() not in _METHODS:
        raise TargetRefused(f"method {settings.method!r} is not one the probe sends")
    public = parse_target(url, settings.policy)
    target = _parse_origin(origin, public, settings.policy)
    resolver = (
        make_resolver(settings.nameservers, settings.dns_timeout) if target.ip is None else None
    )
    deadline = time.perf_counter() + settings.deadline
    found = await _resolve(target.host, target, resolver, settings)
    _check(found, target.host, settings.policy)
    return await _probe_one(public, target, found, settings, deadline, _silent)


async def _run(
    target: Target,
    origin_target: Target | None,
    resolver: Resolver | None,
    settings: ProbeSettings,
    deadline: float,
    progress: _Progress,
) -> ProbeReport:
    # Resolve and check every address of both targets before anything is sent to either.
    edge_dns, origin_dns = await asyncio.gather(
        _resolve(target.host, target, resolver, settings),
        _resolve(origin_target.host, origin_target, resolver, settings)
        if origin_target
        else _none(),
    )
    progress.tell("dns")
    _check(edge_dns, target.host, settings.policy)
    if origin_dns is not None and origin_target is not None:
        _check(origin_dns, origin_target.host, settings.policy)

    edge_task = _probe_one(target, target, edge_dns, settings, deadline, progress.tell)
    if origin_target is None or origin_dns is None:
        return ProbeReport(edge=await edge_task)
    origin_task = _probe_one(target, origin_target, origin_dns, settings, deadline, _silent)
    edge, origin_result = await asyncio.gather(edge_task, origin_task)
    progress.tell("origin")
    return ProbeReport(edge=edge, origin=origin_result)


class _Progress:
    """Runs the progress callback in the background, in order, so a slow display never slows
    (or times) the probe; what is still pending is let through before the probe returns."""

    _DRAIN = 2.0  # seconds the last callbacks get once the probe is done

    def __init__(self, callback: ProgressCallback | None) -> None:
        self._callback = callback
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def tell(self, phase: str) -> None:
        if self._callback is None:
            return
        self._queue.put_nowait(phase)
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(self._callback))

    async def _run(self, callback: ProgressCallback) -> None:
        while True:
            phase = await self._queue.get()
            try:
                await callback(phase)
            except Exception:  # a failing progress display must not fail the probe
                log.warning("progress callback failed for phase %s", phase, exc_info=True)
            finally:
                self._queue.task_done()

    async def close(self) -> None:
        """Let the pending callbacks run (bounded), then stop."""
        if self._task is None:
            return
        try:
            async with asyncio.timeout(self._DRAIN):
                await self._queue.join()
        except TimeoutError:
            log.warning("progress callbacks still running after the probe; dropped")
        self.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()


async def _none() -> None:
    return None


def _silent(_: str) -> None:
    return None


def _parse_origin(raw: str, public: Target, policy: ProbePolicy) -> Target:
    """--origin HOST_OR_IP[:PORT], probed with the public URL's scheme, path and host name."""
    text = raw.strip()
    m = _ORIGIN.match(text)
    if not text or len(text) > 255 or m is None:
        raise TargetRefused(f"origin {raw[:80]!r} is not HOST, IP, HOST:PORT or [IPv6]:PORT")
    host = m.group("v6") or m.group("h")
    port_text = m.group("p6") or m.group("p")
    port = f":{port_text}" if port_text else (f":{public.port}")
    if m.group("v6"):
        host = f"[{host}]"
    parsed = parse_target(f"{public.scheme}://{host}{port}{public.path}", policy)
    return parsed


async def _resolve(
    host: str, target: Target, resolver: Resolver | None, settings: ProbeSettings
) -> DNSResult:
    if target.ip is not None or resolver is None:
        return DNSResult(status="skipped", addresses=(str(target.ip),), ms=0.0)
    return await resolve(host, resolver, settings.dns_timeout)


def _check(result: DNSResult, host: str, policy: ProbePolicy) -> None:
    # Every address is checked, not only the one used: a name that mixes public and private
    # answers is a rebinding trick or a misconfiguration, and either way not ours to follow.
    for address in result.addresses:
        try:
            policy.check_address(ipaddress.ip_address(address))
        except TargetRefused as exc:
            raise TargetRefused(f"{host} resolves to {address}: {exc.reason}") from None


def _pick(addresses: tuple[str, ...]) -> str:
    v4 = [a for a in addresses if ipaddress.ip_address(a).version == 4]
    return (v4 or list(addresses))[0]


async def _probe_one(
    public: Target,
    target: Target,
    dns_result: DNSResult,
    settings: ProbeSettings,
    deadline: float,
    progress: Callable[[str], None],
) -> ProbeResult:
    started_at = datetime.now(UTC)
    base = {
        "url": public.url,
        "host": public.host,
        "scheme": public.scheme,
        "port": target.port,
        "target": target.host if target is not public else public.host,
        "started_at": started_at,
        "dns": dns_result,
    }
    if dns_result.status not in {"ok", "skipped"}:
        return ProbeResult(
            **base,  # type: ignore[arg-type]
            connect=ConnectResult(status="skipped"),
            tls=TLSResult(status="skipped"),
            http=HTTPResult(status="skipped", method=settings.method.upper()),
            timings=Timings(dns_ms=dns_result.ms, total_ms=dns_result.ms or 0.0),
            failed_phase="dns",
        )
    ip = _pick(dns_result.addresses)
    default_port = 443 if public.scheme == "https" else 80
    host_header = public.host if ":" not in public.host else f"[{public.host}]"
    if public.port != default_port:
        host_header += f":{public.port}"
    request = HopRequest(
        scheme=public.scheme,
        ip=ip,
        port=target.port,
        host_header=host_header,
        sni=public.host,
        path=public.path,
        method=settings.method.upper(),
    )
    timeouts = HopTimeouts(settings.connect_timeout, settings.tls_timeout, settings.read_timeout)

    async def on_phase(phase: str) -> None:
        progress(phase)

    recorder = Recorder(on_phase=on_phase)
    deadline_hit = False
    async with _start_gate():
        # Many probes started together would all build their HTTP client in one event-loop
        # iteration (measured: 100+ ms of loop lag for 200 probes); let a few through per turn.
        await asyncio.sleep(0)
    hop_started = time.perf_counter()
    try:
        async with asyncio.timeout(max(0.0, deadline - hop_started)):
            hop = await run_hop(
                request,
                timeouts,
                recorder,
                ca_file=settings.ca_file,
                error_names=settings.error_names,
            )
    except TimeoutError:
        deadline_hit = True
        hop = _deadline_result(request, recorder, settings.deadline)
    # This target's own time: its lookup, then its exchange from the first connect attempt to
    # its last byte or failure. Waiting for the other target's lookup, the gate above and the
    # client's own set-up and clean-up (building the transport, closing the connection,
    # re-reading a rejected certificate) belong to no phase.
    begun = recorder.started.get("connect_tcp", hop_started)
    ended = recorder.finished or time.perf_counter()
    total = (dns_result.ms or 0.0) + (ended - begun) * 1000
    return ProbeResult(
        **base,  # type: ignore[arg-type]
        connect=hop.connect,
        tls=hop.tls,
        http=hop.http,
        timings=Timings(
            dns_ms=dns_result.ms,
            connect_ms=hop.connect.ms,  # also set when the connect failed
            tls_ms=hop.tls.ms,
            # the time to the first byte, or the time waited for one that never came
            server_ms=hop.http.ttfb_ms,
            transfer_ms=hop.http.transfer_ms,
            total_ms=round(total, 2),
        ),
        failed_phase=hop.failed_phase,  # type: ignore[arg-type]
        deadline_hit=deadline_hit,
    )


def _deadline_result(request: HopRequest, rec: Recorder, deadline: float) -> HopResult:
    """What was reached when the overall deadline cut the probe short."""
    why = deadline_error(deadline)
    phase = rec.current() or "connect_tcp"
    ok_connect = ConnectResult(
        status="ok", ip=request.ip, port=request.port, ms=rec.span("connect_tcp")
    )
    if phase == "connect_tcp":
        return HopResult(
            ConnectResult(
                status="timeout",
                ip=request.ip,
                port=request.port,
                ms=rec.since("connect_tcp"),
                error=why,
            ),
            TLSResult(status="skipped"),
            HTTPResult(status="skipped", method=request.method),
            "connect",
        )
    if phase == "start_tls":
        return HopResult(
            ok_connect,
            TLSResult(status="timeout", ms=rec.since("start_tls"), error=why),
            HTTPResult(status="skipped", method=request.method),
            "tls",
        )
    tls = (
        TLSResult(status="ok", ms=rec.span("start_tls"))
        if request.scheme == "https"
        else TLSResult(status="skipped")
    )
    waited = rec.since("send_request_headers") or rec.since(phase)
    http = HTTPResult(status="timeout", method=request.method, ttfb_ms=waited, error=why)
    return HopResult(ok_connect, tls, http, "http")


_GATES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


def _start_gate() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    gate = _GATES.get(loop)
    if gate is None:
        gate = _GATES[loop] = asyncio.Semaphore(16)
    return gate
