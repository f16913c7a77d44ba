"""EdgeOne's view of a host: one async method per question, and all of them at once.

:class:`EdgeOne` holds the client, the zone map and a short cache of facts. Each question
(``edge_ip``, ``cname_status``, ``domain_config``, ``origin_acl``, ``request_logs``, ``trend``)
returns a fact or raises an :class:`~bot.edgeone.errors.EdgeOneError`. :meth:`EdgeOne.gather` puts
them all at once, side by side, each call under its own timeout and all of them under one budget,
and returns an :class:`EdgeOneView` holding each fact or the worded reason it is missing: a failed
or late call never fails the others. Findings are derived from the facts before returning.

Facts about a host are cached for ``fact_ttl`` seconds (a "Probe again" a minute later asks again);
the zone map and the zones' log-delivery tasks for ``zone_ttl``.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, cast

from cachetools import TTLCache

from bot.edgeone.client import EdgeOneClient, QueryFilter
from bot.edgeone.errors import EdgeOneError, NotInZones, Problem, not_asked
from bot.edgeone.facts import (
    CnameFact,
    DomainConfig,
    EdgeIPFact,
    LogsFact,
    OriginACLFact,
    cname_from,
    domain_from,
    log_record_from,
    offline_link_from,
    origin_acl_from,
)
from bot.edgeone.findings import (
    Finding,
    OriginToCheck,
    acl_findings,
    cname_findings,
    domain_findings,
    edge_ip_findings,
    log_findings,
    origin_checks,
    trend_findings,
    zone_findings,
)
from bot.edgeone.settings import EdgeOneSettings
from bot.edgeone.shapes import RealtimeLogDeliveryTaskShape, TimingDataRecordShape
from bot.edgeone.trend import TrendFact, series, top_codes, window
from bot.edgeone.zones import ZoneMap, ZoneMatch
from bot.i18n.catalogue import N_
from bot.i18n.phrase import Phrase, PhraseError, phrase

log = logging.getLogger(__name__)

_T = TypeVar("_T")

# Log analysis shows a request within minutes; offline packages are hourly and come later.
LOG_DELAY = timedelta(minutes=10)
OFFLINE_DELAY = timedelta(hours=2)
LOG_WINDOW = timedelta(minutes=5)  # searched around the request's time
LOG_LOOKBACK = timedelta(hours=24)  # searched when the time is not known
MAX_LOG_ZONES = 20
TREND_MINUTES = 60
_REQUEST_ID = re.compile(r"[0-9A-Za-z][0-9A-Za-z-]{5,63}")


def parse_request_id(raw: str) -> str:
    """An EO-LOG-UUID as given by a person; a ValueError (``PhraseError``) saying what one is
    if it is not one.

    The ID goes into the log query's condition, so nothing but letters, digits and dashes."""
    text = raw.strip().strip("`'\"")
    if not _REQUEST_ID.fullmatch(text):
        raise PhraseError(
            phrase(
                N_(
                    "an EO-LOG-UUID is the value of the EO-LOG-UUID response header: 6 to 64 "
                    "letters, digits and dashes, like 4105283880544427145"
                )
            )
        )
    return text


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class EdgeOneView:
    """Everything EdgeOne said about one host (and one request), or why a part is missing.

    Each part is its fact, a :class:`Problem` (the API did not answer that question) or None
    (the question was not asked: no answering IP, no EO-LOG-UUID)."""

    host: str
    zone: ZoneMatch | Problem
    asked_at: datetime
    elapsed_ms: float
    edge_ip: EdgeIPFact | Problem | None = None
    cname: CnameFact | Problem | None = None
    domain: DomainConfig | Problem | None = None
    origin_acl: OriginACLFact | Problem | None = None
    logs: LogsFact | Problem | None = None
    trend: TrendFact | Problem | None = None
    findings: tuple[Finding, ...] = ()
    origin_checks: tuple[OriginToCheck, ...] = ()

    @property
    def problems(self) -> tuple[Problem, ...]:
        parts = (self.zone, self.edge_ip, self.cname, self.domain, self.origin_acl, self.logs)
        return tuple(p for p in (*parts, self.trend) if isinstance(p, Problem))

    @property
    def complete(self) -> bool:
        """True when every question asked got an answer in time."""
        return not any(p.kind == "timeout" for p in self.problems)


class EdgeOne:
    """The questions the bot asks EdgeOne about a host, with their caches."""

    def __init__(
        self,
        settings: EdgeOneSettings,
        *,
        client: EdgeOneClient | None = None,
        zones: ZoneMap | None = None,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = _utcnow,
        cache_size: int = 2048,
    ) -> None:
        self.settings = settings
        self.client = client or EdgeOneClient(settings, clock=clock)
        self.zones = zones or ZoneMap(
            self.client, pinned=settings.zones, ttl=settings.zone_ttl, clock=clock
        )
        self._now = now
        self._clock = clock
        self._facts: TTLCache[tuple[str, ...], object] = TTLCache(
            cache_size, settings.fact_ttl, timer=clock
        )
        self._tasks: TTLCache[str, tuple[RealtimeLogDeliveryTaskShape, ...]] = TTLCache(
            256, settings.zone_ttl, timer=clock
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    async def warm(self) -> None:
        """Read the zone list and the zones' log-delivery tasks now (at start-up), so the first
        view waits only for the host's domain and the questions. Raises EdgeOneError."""
        zones = await self.zones.zones()
        await asyncio.gather(*(self._log_tasks(z.zone_id) for z in zones[:MAX_LOG_ZONES]))

    def forget(self, *, zones: bool = False) -> None:
        """Drop the cached facts; with ``zones`` also the zone map and the log-task lists."""
        self._facts.clear()
        if zones:
            self._tasks.clear()
            self.zones.forget()

    # -- the questions ----------------------------------------------------------------------

    async def edge_ip(self, ip: str) -> EdgeIPFact:
        """DescribeIPRegion: is ``ip`` an EdgeOne node?"""

        async def ask() -> EdgeIPFact:
            answer = await self.client.describe_ip_region([ip])
            info = next((i for i in answer.IPRegionInfo if ip == i.IP), None)
            if info is None and len(answer.IPRegionInfo) == 1:
                info = answer.IPRegionInfo[0]  # the API may write the address differently
            if info is None:
                raise NotInZones(
                    phrase(N_("EdgeOne said nothing about {ip}"), ip=ip), action="DescribeIPRegion"
                )
            return EdgeIPFact(ip=ip, is_edgeone=info.IsEdgeOneIP.strip().lower() == "yes")

        return await self._cached(("edge_ip", ip), ask)

    async def cname_status(self, match: ZoneMatch) -> CnameFact:
        """CheckCnameStatus for the host (the wildcard domain when that is what serves it)."""
        record = match.domain.name if match.domain.wildcard else match.host

        async def ask() -> CnameFact:
            answer = await self.client.check_cname_status(match.zone.zone_id, [record])
            found = next((c for c in answer if c.RecordName.lower() == record.lower()), None)
            return cname_from(found) if found else CnameFact(record=record, status="unknown")

        return await self._cached(("cname", match.zone.zone_id, record), ask)

    async def domain_config(self, match: ZoneMatch) -> DomainConfig:
        """The domain's configuration: from the zone map when just read, else asked again."""
        if self._clock() - match.read_at < self.settings.fact_ttl:
            return match.domain

        async def ask() -> DomainConfig:
            answer = await self.client.describe_acceleration_domains(
                match.zone.zone_id, names=[match.domain.name]
            )
            found = next((d for d in answer if d.DomainName == match.domain.name), None)
            if found is None:
                raise NotInZones(
                    phrase(
                        N_("{domain} is no longer an acceleration domain of {zone}"),
                        domain=match.domain.name,
                        zone=match.zone.name or match.zone.zone_id,
                    ),
                    action="DescribeAccelerationDomains",
                )
            return domain_from(found)

        return await self._cached(("domain", match.zone.zone_id, match.domain.name), ask)

    async def origin_acl(self, match: ZoneMatch) -> OriginACLFact:
        """DescribeOriginACL: origin protection and the next change of the ranges."""

        async def ask() -> OriginACLFact:
            return origin_acl_from(await self.client.describe_origin_acl(match.zone.zone_id))

        return await self._cached(("acl", match.zone.zone_id), ask)

    async def request_logs(
        self, match: ZoneMatch, request_id: str, when: datetime | None = None
    ) -> LogsFact:
        """The edge's log line for one request: log analysis when the zone delivers to it, else
        the offline package that should hold it. Raises ValueError for a malformed ID."""
        request_id = parse_request_id(request_id)
        when = _utc(when, now=self._now())
        key = ("logs", match.zone.zone_id, request_id)
        cached = self._facts.get(key)
        if isinstance(cached, LogsFact):
            return cached
        tasks = await self._log_tasks(match.zone.zone_id)
        names = {match.host, match.domain.name}
        usable = [
            t
            for t in tasks
            if (t.DeliveryStatus or "").lower() == "enabled"
            and (not t.EntityList or names & set(t.EntityList))
        ]
        if usable:
            areas = sorted({t.Area or _area(match.zone.area) for t in usable})
            fact = await self._search(match.zone.zone_id, areas, request_id, when)
        else:
            fact = await self._offline(match, request_id, when)
        if fact.state == "found" or (fact.state == "offline" and fact.links):
            self._facts[key] = fact  # "not yet" is asked again next time
        return fact

    async def trend(self, match: ZoneMatch) -> TrendFact:
        """The last hour of the host's requests, all and 5xx per minute, and the status codes
        that dominate (three calls side by side; a 4xx series would add a fourth for a class the
        codes already show)."""

        async def ask() -> TrendFact:
            start, end = window(self._now(), minutes=TREND_MINUTES)
            zone_id = match.zone.zone_id
            # Analytics record a wildcard domain under its wildcard name, not the host's.
            by_domain = ("domain", "equals", [match.domain.name])

            async def per_minute(*filters: QueryFilter) -> tuple[TimingDataRecordShape, ...]:
                return await self.client.describe_timing_l7_analysis_data(
                    zone_id,
                    start=start,
                    end=end,
                    metrics=["l7Flow_request"],
                    interval="min",
                    filters=[by_domain, *filters],
                )

            try:
                async with asyncio.TaskGroup() as group:
                    requests = group.create_task(per_minute())
                    errors = group.create_task(per_minute(("statusCode", "equals", ["5XX"])))
                    top = group.create_task(
                        self.client.describe_top_l7_analysis_data(
                            zone_id,
                            start=start,
                            end=end,
                            metric="l7Flow_request_statusCode",
                            filters=[by_domain],
                            limit=10,
                        )
                    )
            except BaseExceptionGroup as failed:
                raise _first_error(failed) from None
            step = timedelta(minutes=1)
            return TrendFact(
                start=start,
                step=step,
                total=series(requests.result(), start=start, step=step, count=TREND_MINUTES),
                server_errors=series(errors.result(), start=start, step=step, count=TREND_MINUTES),
                top_codes=top_codes(top.result()),
            )

        return await self._cached(("trend", match.zone.zone_id, match.domain.name), ask)

    # -- all at once ------------------------------------------------------------------------

    async def gather(
        self,
        host: str,
        *,
        answered_ip: str | None = None,
        eo_log_uuid: str | None = None,
        when: datetime | None = None,
        scheme: str = "https",
        dns_on_edgeone: bool | None = None,
        server: str | None = None,
    ) -> EdgeOneView:
        """Ask every question about ``host`` at once, within the budget.

        ``answered_ip``: the address that answered the probe (DescribeIPRegion);
        ``eo_log_uuid`` and ``when``: the request to look up in the logs; ``scheme``: the scheme
        the client used (it picks the origin-pull protocol when that follows the client);
        ``dns_on_edgeone`` and ``server``: what the probe saw, to explain an address that is not
        EdgeOne's. Never raises for an API problem: each part holds its fact or its Problem.
        """
        started = time.perf_counter()
        asked_at = self._now()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.budget
        tasks: dict[str, asyncio.Task[Any]] = {}
        if answered_ip:
            tasks["edge_ip"] = asyncio.create_task(self.edge_ip(answered_ip))
        zone_task = asyncio.create_task(self.zones.lookup(host))
        await asyncio.wait([zone_task], timeout=max(0.0, deadline - loop.time()))
        zone = self._outcome(zone_task, phrase(N_("the zone of {host}"), host=host))
        if isinstance(zone, ZoneMatch):
            tasks["cname"] = asyncio.create_task(self.cname_status(zone))
            tasks["domain"] = asyncio.create_task(self.domain_config(zone))
            tasks["origin_acl"] = asyncio.create_task(self.origin_acl(zone))
            tasks["trend"] = asyncio.create_task(self.trend(zone))
            if eo_log_uuid:
                tasks["logs"] = asyncio.create_task(self.request_logs(zone, eo_log_uuid, when))
        if tasks:
            await asyncio.wait(tasks.values(), timeout=max(0.0, deadline - loop.time()))
        parts: dict[str, Any] = {
            name: self._outcome(task, phrase(_WHAT[name])) for name, task in tasks.items()
        }
        if not isinstance(zone, ZoneMatch):
            skipped = not_asked(phrase(N_("not asked: {reason}"), reason=zone.message))
            for name in ("cname", "domain", "origin_acl", "trend"):
                parts[name] = skipped
            if eo_log_uuid:
                parts["logs"] = skipped
        view = EdgeOneView(
            host=host,
            zone=zone,
            asked_at=asked_at,
            elapsed_ms=(time.perf_counter() - started) * 1000,
            **parts,
        )
        return _with_findings(
            view, now=asked_at, scheme=scheme, dns_on_edgeone=dns_on_edgeone, server=server
        )

    async def zone_card(self, host: str) -> EdgeOneView:
        """``/eo zone HOST``: zone and domain status, origin, CNAME, certificate, origin
        protection and the last hour, without a probe."""
        return await self.gather(host)

    async def logs(
        self, request_id: str, *, host: str | None = None, when: datetime | None = None
    ) -> LogsFact | Problem:
        """``/eo logs EO-LOG-UUID [HOST]``: the request's log line. Without a host, every zone
        that delivers to log analysis is searched. ValueError for a malformed ID or host."""
        request_id = parse_request_id(request_id)
        when = _utc(when, now=self._now())
        try:
            async with asyncio.timeout(self.settings.budget):
                if host is not None:
                    match = await self.zones.lookup(host)
                    return await self.request_logs(match, request_id, when)
                return await self._logs_anywhere(request_id, when)
        except EdgeOneError as exc:
            return exc.problem()
        except TimeoutError:
            return Problem(
                "timeout",
                phrase(
                    N_("EdgeOne's logs did not answer within the {seconds:g} s budget"),
                    seconds=self.settings.budget,
                ),
            )

    # -- helpers ----------------------------------------------------------------------------

    async def _cached(self, key: tuple[str, ...], ask: Callable[[], Awaitable[_T]]) -> _T:
        hit = self._facts.get(key)
        if hit is not None:
            return cast(_T, hit)
        value = await ask()
        self._facts[key] = value
        return value

    async def _log_tasks(self, zone_id: str) -> tuple[RealtimeLogDeliveryTaskShape, ...]:
        cached = self._tasks.get(zone_id)
        if cached is None:
            cached = await self.client.describe_realtime_log_delivery_tasks(zone_id)
            self._tasks[zone_id] = cached
        return cached

    async def _search(
        self, zone_id: str, areas: list[str], request_id: str, when: datetime | None
    ) -> LogsFact:
        now = self._now()
        if when is not None:
            start, end = when - LOG_WINDOW, min(when + LOG_WINDOW, now)
        else:
            start, end = now - LOG_LOOKBACK, now
        condition = f"${{RequestID}} in ['{request_id}']"
        answers = await asyncio.gather(
            *(
                self.client.describe_log_analysis_detail(
                    zone_id, area=area, start=start, end=end, condition=condition, limit=5
                )
                for area in areas
            ),
            return_exceptions=True,
        )
        failures = [a for a in answers if isinstance(a, BaseException)]
        for answer in answers:
            if isinstance(answer, BaseException):
                continue
            for item in answer.LogDetail:
                record = log_record_from(item.LogJson, timestamp_ms=item.Timestamp)
                if record is not None and record.request_id == request_id:
                    return LogsFact(request_id, "found", record=record, window=(start, end))
        if failures and len(failures) == len(answers):
            raise failures[0]
        if when is not None and now - when < LOG_DELAY:
            return LogsFact(
                request_id, "not_yet", window=(start, end), retry_after=when + LOG_DELAY
            )
        return LogsFact(request_id, "not_found", window=(start, end))

    async def _offline(self, match: ZoneMatch, request_id: str, when: datetime | None) -> LogsFact:
        now = self._now()
        moment = when or now
        start = moment.replace(minute=0, second=0, microsecond=0)
        end = start + timedelta(hours=1)
        packages = await self.client.download_l7_logs(
            match.zone.zone_id, domains=[match.domain.name], start=start, end=end
        )
        links = tuple(offline_link_from(p) for p in packages)
        if links:
            return LogsFact(request_id, "offline", links=links, window=(start, end))
        if now - end < OFFLINE_DELAY:
            return LogsFact(
                request_id, "not_yet", window=(start, end), retry_after=end + OFFLINE_DELAY
            )
        return LogsFact(request_id, "not_found", window=(start, end))

    async def _logs_anywhere(self, request_id: str, when: datetime | None) -> LogsFact | Problem:
        zones = (await self.zones.zones())[:MAX_LOG_ZONES]
        task_lists = await asyncio.gather(*(self._log_tasks(z.zone_id) for z in zones))
        searchable = [
            (zone, sorted({t.Area or _area(zone.area) for t in tasks}))
            for zone, tasks in zip(zones, task_lists, strict=True)
            if any((t.DeliveryStatus or "").lower() == "enabled" for t in tasks)
        ]
        if not searchable:
            return not_asked(
                phrase(
                    N_(
                        "no zone delivers its logs to EdgeOne's log analysis; name the host "
                        "(`/eo logs EO-LOG-UUID HOST`) to get a link to its offline log package"
                    )
                )
            )
        answers = await asyncio.gather(
            *(self._search(z.zone_id, areas, request_id, when) for z, areas in searchable),
            return_exceptions=True,
        )
        facts = [a for a in answers if isinstance(a, LogsFact)]
        for fact in facts:
            if fact.state == "found":
                return fact
        if facts:
            return next((f for f in facts if f.state == "not_yet"), facts[0])
        first = answers[0]
        if isinstance(first, EdgeOneError):
            return first.problem()
        raise cast(BaseException, first)

    def _outcome(self, task: asyncio.Task[Any], what: Phrase) -> Any:
        if not task.done():
            task.cancel()
            return Problem(
                "timeout",
                phrase(
                    N_("EdgeOne did not say {what} within the {seconds:g} s budget"),
                    what=what,
                    seconds=self.settings.budget,
                ),
            )
        exc = task.exception()
        if exc is None:
            return task.result()
        if isinstance(exc, EdgeOneError):
            log.warning("EdgeOne API, %s: %s", what, exc)  # worded; never holds a secret
            return exc.problem()
        if isinstance(exc, PhraseError):
            return Problem("skipped", exc.reason)
        log.error("EdgeOne's answer about %s failed", what, exc_info=exc)
        return Problem(
            "api_error",
            phrase(N_("reading what EdgeOne said about {what} failed; see the log"), what=what),
        )


_WHAT: Mapping[str, str] = {
    "edge_ip": N_("whether the answering address is an EdgeOne node"),
    "cname": N_("the record's CNAME status"),
    "domain": N_("the domain's configuration"),
    "origin_acl": N_("the origin protection"),
    "logs": N_("the request's log line"),
    "trend": N_("the last hour's traffic"),
}


def _first_error(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The error to report from a group of side-by-side calls: an API error if there is one."""
    leaves: list[BaseException] = []
    todo: list[BaseException] = [group]
    while todo:
        current = todo.pop(0)
        if isinstance(current, BaseExceptionGroup):
            todo += current.exceptions
        else:
            leaves.append(current)
    return next((e for e in leaves if isinstance(e, EdgeOneError)), leaves[0])


def _utc(when: datetime | None, *, now: datetime) -> datetime | None:
    """``when`` in UTC (naive means UTC), and never in the future: a clock ahead of EdgeOne's
    must not make the log query's end come before its start."""
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(when.astimezone(UTC), now)


def _area(zone_area: str | None) -> str:
    return "mainland" if zone_area == "mainland" else "overseas"


def _with_findings(
    view: EdgeOneView,
    *,
    now: datetime,
    scheme: str,
    dns_on_edgeone: bool | None,
    server: str | None,
) -> EdgeOneView:
    """The view with the findings its facts support, problems first."""
    found: list[Finding] = []
    zone = view.zone
    domain = view.domain if isinstance(view.domain, DomainConfig) else None
    cname = view.cname if isinstance(view.cname, CnameFact) else None
    if isinstance(zone, ZoneMatch):
        found += zone_findings(zone.zone)
    if domain is not None:
        found += domain_findings(domain, now=now)
    if cname is not None:
        found += cname_findings(cname)
    if isinstance(view.origin_acl, OriginACLFact):
        found += acl_findings(view.origin_acl, domain=domain.name if domain else None, now=now)
    if isinstance(view.edge_ip, EdgeIPFact):
        found += edge_ip_findings(
            view.edge_ip, cname=cname, dns_on_edgeone=dns_on_edgeone, server=server
        )
    if isinstance(view.logs, LogsFact):
        found += log_findings(view.logs)
    if isinstance(view.trend, TrendFact):
        found += trend_findings(view.trend)
    order = {"problem": 0, "warning": 1, "info": 2}
    found.sort(key=lambda f: order[f.severity])
    checks = origin_checks(domain, host=view.host, scheme=scheme) if domain else ()
    return replace(view, findings=tuple(found), origin_checks=checks)
