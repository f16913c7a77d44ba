"""Which zone and acceleration domain serve a host, cached.

The zones come from DescribeZones (only those in ``EO_ZONES`` when it is set). For a host, the
zones whose name is the host or one of its parents (and zones without a domain of their own) are
asked, side by side, for the acceleration domain named like the host or the wildcard one level up
(DescribeAccelerationDomains filtered by ``domain-name``). An exact domain wins over a wildcard,
a more specific zone over a broader one.

Wildcards match one label, like certificates and Tencent Cloud CDN: ``*.example.com`` serves
``shop.example.com`` but not ``a.shop.example.com``. EdgeOne's documentation does not say
otherwise, and claiming a host for the wrong domain would put wrong facts in a diagnosis.

Answers are cached with a TTL (bounded, cachetools): the zone list and each host's mapping for
``ttl`` seconds, a host in no zone for ``miss_ttl`` (shorter, so a domain just added shows soon).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NoReturn

from cachetools import TTLCache

from bot.edgeone.client import EdgeOneClient
from bot.edgeone.errors import EdgeOneError, NotInZones
from bot.edgeone.facts import DomainConfig, ZoneFact, domain_from, zone_from
from bot.edgeone.shapes import AccelerationDomainShape
from bot.i18n.catalogue import N_
from bot.i18n.phrase import Phrase, PhraseError, phrase
from bot.untrusted import visible

log = logging.getLogger(__name__)

# Zone types that carry no domain name of their own: any host may live there.
_NAMELESS = frozenset({"noDomainAccess", "partialComposite"})
MAX_HOST = 253


@dataclass(frozen=True, slots=True)
class ZoneMatch:
    """Where ``host`` is served: its zone and acceleration domain (as read at ``read_at``)."""

    host: str
    zone: ZoneFact
    domain: DomainConfig
    read_at: float  # the clock's reading when the domain's configuration was fetched


def normalise_host(raw: str) -> str:
    """A host name as the API spells domains (lower case, no trailing dot); a ValueError
    (:class:`~bot.i18n.phrase.PhraseError`, worded in any language) if it is not a host name."""
    host = raw.strip().lower().rstrip(".")
    if not host or len(host) > MAX_HOST:
        raise PhraseError(phrase(N_("give a host name like shop.example.com")))
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    else:
        raise PhraseError(
            phrase(N_("{host} is an IP address; EdgeOne serves host names (domains)"), host=host)
        )
    labels = host.split(".")
    if len(labels) < 2 or not all(
        label and len(label) <= 63 and all(ch.isalnum() or ch in "-_" for ch in label)
        for label in labels
    ):
        # Quoted as code (what was typed, not our words), every hidden character shown.
        shown = visible(host[:80], keep_newlines=False).replace("`", "'")
        raise PhraseError(
            phrase(N_("`{host}` is not a host name like shop.example.com"), host=shown)
        )
    return host


def host_of(raw: str) -> str:
    """The host name in what a person typed: a host, or a URL (its host); ValueError when it
    is neither."""
    text = raw.strip().strip("<>")
    if "://" in text:
        try:
            text = urllib.parse.urlsplit(text).hostname or ""
        except ValueError:
            text = ""
    else:
        text = text.split("/", 1)[0]
    return normalise_host(text)


class ZoneMap:
    """Host → zone and acceleration domain, asked of the API and cached."""

    def __init__(
        self,
        client: EdgeOneClient,
        *,
        pinned: Sequence[str] = (),
        ttl: float = 300.0,
        miss_ttl: float = 60.0,
        maxsize: int = 1024,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._pinned = tuple(pinned)
        self._clock = clock
        self._ttl = ttl
        self._zones: tuple[ZoneFact, ...] | None = None
        self._zones_at = 0.0
        self._zones_lock = asyncio.Lock()
        self._hits: TTLCache[str, ZoneMatch] = TTLCache(maxsize, ttl, timer=clock)
        self._misses: TTLCache[str, Phrase] = TTLCache(maxsize, miss_ttl, timer=clock)

    async def zones(self) -> tuple[ZoneFact, ...]:
        """Every zone the bot may use (cached for ``ttl``); one listing at a time."""
        async with self._zones_lock:
            if self._zones is None or self._clock() - self._zones_at >= self._ttl:
                listed = await self._client.describe_zones(zone_ids=self._pinned)
                zones = tuple(zone_from(z) for z in listed)
                missing = sorted(set(self._pinned) - {z.zone_id for z in zones})
                if missing:
                    log.warning("EO_ZONES names zones this key cannot see: %s", ", ".join(missing))
                if self._pinned and not zones:
                    raise NotInZones(
                        phrase(
                            N_(
                                "none of the zones in EO_ZONES ({zones}) is visible to this API key"
                            ),
                            zones=", ".join(self._pinned),
                        ),
                        action="DescribeZones",
                    )
                self._zones, self._zones_at = zones, self._clock()
            return self._zones

    async def warm(self) -> None:
        """Read the zone list now (at start-up), so the first answer does not wait for it."""
        await self.zones()

    async def lookup(self, host: str) -> ZoneMatch:
        """The zone and domain serving ``host``. Raises NotInZones, or the EdgeOneError that kept
        the API from answering; ValueError when ``host`` is not a host name."""
        host = normalise_host(host)
        cached = self._hits.get(host)
        if cached is not None:
            return cached
        reason = self._misses.get(host)
        if reason is not None:
            raise NotInZones(reason, action="DescribeAccelerationDomains")
        zones = await self.zones()
        candidates = _candidates(host, zones)
        if not candidates:
            self._miss(host, _nowhere(host, zones))
        names = _names(host)
        answers = await asyncio.gather(
            *(
                self._client.describe_acceleration_domains(z.zone_id, names=names)
                for z in candidates
            ),
            return_exceptions=True,
        )
        found: list[tuple[ZoneFact, AccelerationDomainShape]] = []
        failures: list[EdgeOneError] = []
        for zone, answer in zip(candidates, answers, strict=True):
            if isinstance(answer, EdgeOneError):
                failures.append(answer)
            elif isinstance(answer, BaseException):
                raise answer
            else:
                found += [(zone, d) for d in answer if _serves(d.DomainName, host)]
        if not found:
            if failures:
                raise failures[0]
            self._miss(host, _nowhere(host, candidates))
        zone, shape = min(found, key=lambda pair: _rank(pair, host, candidates))
        match = ZoneMatch(host=host, zone=zone, domain=domain_from(shape), read_at=self._clock())
        self._hits[host] = match
        return match

    def cached(self, host: str) -> ZoneMatch | None:
        """What ``lookup`` would answer from its cache, without asking the API."""
        try:
            return self._hits.get(normalise_host(host))
        except ValueError:
            return None

    def forget(self, host: str | None = None) -> None:
        """Drop what is cached about ``host`` (everything when None)."""
        if host is None:
            self._hits.clear()
            self._misses.clear()
            self._zones = None
            return
        self._hits.pop(host, None)
        self._misses.pop(host, None)

    def _miss(self, host: str, reason: Phrase) -> NoReturn:
        self._misses[host] = reason
        raise NotInZones(reason, action="DescribeAccelerationDomains")


def _candidates(host: str, zones: Sequence[ZoneFact]) -> list[ZoneFact]:
    named = [
        z
        for z in zones
        if z.name and (host == z.name.lower() or host.endswith("." + z.name.lower()))
    ]
    nameless = [z for z in zones if z.kind in _NAMELESS and z not in named]
    # Most specific zone first: a.example.com's zone before example.com's.
    return sorted(named, key=lambda z: -len(z.name)) + nameless


def _names(host: str) -> list[str]:
    parent = host.split(".", 1)[1]
    return [host, f"*.{parent}"] if "." in parent else [host]


def _serves(domain: str, host: str) -> bool:
    domain = domain.lower().rstrip(".")
    if domain == host:
        return True
    return domain.startswith("*.") and host.split(".", 1)[1] == domain[2:]


def _rank(
    pair: tuple[ZoneFact, AccelerationDomainShape], host: str, candidates: Sequence[ZoneFact]
) -> tuple[int, int]:
    zone, shape = pair
    exact = 0 if shape.DomainName.lower().rstrip(".") == host else 1
    return exact, candidates.index(zone)


def _nowhere(host: str, zones: Sequence[ZoneFact]) -> Phrase:
    names = sorted({z.name or z.zone_id for z in zones})
    if not names:
        return phrase(
            N_("{host} is not in any EdgeOne zone: this API key sees no zones"), host=host
        )
    shown: Phrase | str = ", ".join(names[:8])
    if len(names) > 8:
        shown = phrase(N_("{items} and {count} more"), items=shown, count=len(names) - 8)
    return phrase(
        N_("{host} is not served by these EdgeOne zones ({zones})"), host=host, zones=shown
    )
