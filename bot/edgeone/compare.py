"""The origin comparison that runs by itself: EdgeOne's configured origin, probed as EdgeOne pulls.

For each :class:`~bot.edgeone.findings.OriginToCheck` (the view knows the configured origin, its
pull protocol and port, and the Host header EdgeOne sends), the origin is probed through the same
probe settings and address policy as any probe (``bot.probe.runner.probe_origin``): with the
Host EdgeOne sends and, when that Host is rewritten, once more with the public host, to tell
"the origin does not serve that name" from "the origin fails for every name". An origin the
policy refuses (a private address, a port not allowed) is reported as a finding and not probed.

The result is what ``origin_findings`` reads and what the verdict compares with the edge (as the
report's ``origin``). Nothing here raises for a failing origin: failures are the findings.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.edgeone.findings import Finding, OriginToCheck, origin_findings
from bot.probe.models import ProbeResult
from bot.probe.runner import ProbeSettings, probe_origin
from bot.probe.safety import TargetRefused

# (url, origin "host:port") → the origin's result; bot.probe.runner.probe_origin with settings.
OriginProber = Callable[[str, str], Awaitable[ProbeResult]]


def origin_prober(settings: ProbeSettings) -> OriginProber:
    """The prober for the configured origin: the probe's own settings and policy."""

    async def prober(url: str, origin: str) -> ProbeResult:
        return await probe_origin(url, origin, settings=settings)

    return prober


@dataclass(frozen=True, slots=True)
class OriginComparison:
    check: OriginToCheck
    result: ProbeResult | None  # the origin as EdgeOne reaches it; None when it was refused
    findings: tuple[Finding, ...]


async def compare_origin(
    check: OriginToCheck, *, path: str, prober: OriginProber
) -> OriginComparison:
    """Probe the configured origin of ``check`` for the request path ``path``."""
    hosts = [check.host_header]
    if "host_header" in check.look_for:
        hosts.append(check.public_host)
    # The URL names the Host EdgeOne sends, on the default port (EdgeOne's Host carries no port);
    # the origin's own port comes with the origin.
    results = await asyncio.gather(
        *(prober(f"{check.scheme}://{_host(h)}{_path(path)}", check.origin_arg) for h in hosts),
        return_exceptions=True,
    )
    probed: list[ProbeResult] = []
    for item in results:
        if isinstance(item, TargetRefused):
            return OriginComparison(check, None, tuple(origin_findings(check, refused=str(item))))
        if isinstance(item, BaseException):
            raise item
        probed.append(item)
    public = probed[1] if len(probed) > 1 else None
    found = origin_findings(check, result=probed[0], public=public)
    return OriginComparison(check, probed[0], tuple(found))


def _host(name: str) -> str:
    return f"[{name}]" if ":" in name else name


def _path(path: str) -> str:
    return path if path.startswith("/") else "/" + path
