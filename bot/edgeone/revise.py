"""A probe's diagnosis made again with EdgeOne's view: the view, the configured origin compared,
the verdict weighed with EdgeOne's facts. Used after the first answer (chat, console, CLI).

:func:`concerns` says whether a probed host is EdgeOne's business (its answer or DNS carries
EdgeOne's marks, or a zone of the account is named for it). :func:`revise` asks every question
of the view (``EdgeOne.gather``, within the API budget) and, side by side with it, probes the
configured origin as EdgeOne pulls from it (``bot.edgeone.compare``; when the zone map does not
know the host's domain yet, right after the view says what it is). Then the probe's report gets
that origin's result, the verdict is made again with the view's facts (``bot.edgeone.evidence`` →
``bot.diagnosis.diagnose``, which alone weighs evidence), and the view's findings get the
comparison's. Never raises for an API problem: those are parts of the view.
"""

from __future__ import annotations

import asyncio
import urllib.parse
from dataclasses import dataclass, replace

from bot.diagnosis import Diagnosis, diagnose
from bot.diagnosis.probe import eo_log_uuid, has_edge_markers
from bot.edgeone.compare import OriginComparison, OriginProber, compare_origin
from bot.edgeone.errors import EdgeOneError
from bot.edgeone.evidence import facts_of
from bot.edgeone.findings import Finding, OriginToCheck, origin_checks
from bot.edgeone.view import EdgeOne, EdgeOneView
from bot.edgeone.zones import normalise_host
from bot.i18n.language import Language
from bot.knowledge.loader import KnowledgeBase
from bot.probe.models import ProbeReport, ProbeResult

_SEVERITY = {"problem": 0, "warning": 1, "info": 2}


@dataclass(frozen=True, slots=True)
class Revision:
    report: ProbeReport  # the probe's, with the configured origin's result when it was compared
    diagnosis: Diagnosis  # made again with EdgeOne's facts weighed
    view: EdgeOneView  # its findings include the origin comparison's


async def concerns(edge: EdgeOne, result: ProbeResult) -> bool:
    """Whether ``result``'s host is worth asking EdgeOne about: it answered or resolved like
    EdgeOne, or a zone of this account is named for it (the zone list is cached)."""
    if has_edge_markers(result):
        return True
    try:
        host = normalise_host(result.host)
        async with asyncio.timeout(edge.settings.budget):
            zones = await edge.zones.zones()
    except (ValueError, EdgeOneError, TimeoutError):
        return False
    names = {z.name.lower().rstrip(".") for z in zones if z.name}
    return any(host == name or host.endswith("." + name) for name in names)


async def revise(
    edge: EdgeOne,
    prober: OriginProber,
    kb: KnowledgeBase,
    report: ProbeReport,
    *,
    stated_code: int | None = None,
    language: Language = "en",
) -> Revision:
    """The view of ``report``'s host and the diagnosis made again with it. The person's own
    origin (``origin=``), when the report has one, stays the one compared."""
    result = report.edge
    path = _path_of(result.url)
    automatic = report.origin is None
    known = edge.zones.cached(result.host) if automatic else None
    checks = origin_checks(known.domain, host=known.host, scheme=result.scheme) if known else ()
    view, compared = await asyncio.gather(
        edge.gather(
            result.host,
            answered_ip=result.connect.ip,
            eo_log_uuid=eo_log_uuid(result),
            when=result.started_at,
            scheme=result.scheme,
            dns_on_edgeone=result.dns.on_edgeone,
            server=result.http.headers.get("server"),
        ),
        _compare(checks, path, prober),
    )
    if automatic and view.origin_checks != checks:
        # First sight of the host, or its configuration changed since the map read it.
        compared = await _compare(view.origin_checks, path, prober)
    origin = next((c.result for c in compared if c.result is not None), None)
    revised = ProbeReport(edge=result, origin=origin) if origin is not None else report
    diagnosis = diagnose(
        revised,
        kb,
        stated_code=stated_code,
        language=language,
        edgeone=facts_of(view, every_zone=not edge.settings.zones),
    )
    findings: list[Finding] = [*view.findings, *(f for c in compared for f in c.findings)]
    findings.sort(key=lambda f: _SEVERITY[f.severity])
    return Revision(revised, diagnosis, replace(view, findings=tuple(findings)))


async def _compare(
    checks: tuple[OriginToCheck, ...], path: str, prober: OriginProber
) -> tuple[OriginComparison, ...]:
    return tuple(
        await asyncio.gather(*(compare_origin(c, path=path, prober=prober) for c in checks))
    )


def _path_of(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
