"""What EdgeOne's own API says about the probed site: typed facts the verdict weighs.

Each fact is one answer of the EdgeOne API (``bot.edgeone`` asks; this module never calls it), and
each can confirm, refute or sharpen the verdict the probe alone gives:

==================  =================================  ==========================================
fact                API action                         what it can do to the verdict
==================  =================================  ==========================================
NodeAddress         DescribeIPRegion                   confirm or refute "the address that
                                                       answered is an EdgeOne node"
DomainState         DescribeAccelerationDomains,       confirm a 418 (domain offline, CNAME
                    CheckCnameStatus                   moved or invalid) or refute it
PullTimeout         rule engine HTTPUpstreamTimeout    sharpen a 524: the timeout EdgeOne uses
OriginConfig        DescribeAccelerationDomains        refute a comparison made with another
                    (OriginDetail)                     origin; sharpen the port and protocol
OriginProtection    DescribeOriginACL                  sharpen a path verdict: the allow-list
RequestRecord       DescribeLogAnalysisDetail          confirm or refute who produced the status:
                                                       what the origin answered EdgeOne
==================  =================================  ==========================================

The verdict (``bot.diagnosis.verdict``) decides what each fact does and words why; this module
only holds the facts, finds the ones about a given address, host or request, and words a fact
for people.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, TypeVar

from bot.diagnosis.say import Say
from bot.i18n.catalogue import N_

_F = TypeVar("_F")

DomainStatus = Literal["online", "process", "offline", "forbidden", "init"]
CnameStatus = Literal["active", "moved", "invalid"]


@dataclass(frozen=True, slots=True)
class NodeAddress:
    """Whether an address is an EdgeOne node (``IsEdgeOneIP``)."""

    ip: str
    is_edgeone: bool


@dataclass(frozen=True, slots=True)
class DomainState:
    """The accelerated domain's state on EdgeOne, and where its DNS points."""

    host: str
    status: DomainStatus | None = None  # DomainStatus; None when the domain is not on EdgeOne
    cname_status: CnameStatus | None = None  # CheckCnameStatus
    cname: str | None = None  # the CNAME EdgeOne assigned to the domain


@dataclass(frozen=True, slots=True)
class PullTimeout:
    """The origin-pull HTTP response timeout EdgeOne uses for the host (rule engine)."""

    host: str
    seconds: float
    rule: str | None = None  # the rule that sets it; None: the default


@dataclass(frozen=True, slots=True)
class OriginConfig:
    """Where and how EdgeOne pulls from the origin for the host."""

    host: str
    origin: str  # an address or a host name
    protocol: Literal["http", "https", "follow"] = "follow"
    http_port: int = 80
    https_port: int = 443
    host_header: str | None = None  # the Host sent to the origin when it is rewritten


@dataclass(frozen=True, slots=True)
class OriginProtection:
    """Origin protection: the origin should only let EdgeOne's origin-pull ranges in."""

    enabled: bool
    version: str | None = None  # the ranges' version in force
    next_change: str | None = None  # when the next version takes effect (a date)


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """EdgeOne's log of one request, found by its EO-LOG-UUID."""

    uuid: str
    status: int  # what EdgeOne answered the client
    origin_status: int | None = None  # what the origin answered EdgeOne; None: no answer
    origin_ms: float | None = None  # how long the origin took to answer EdgeOne


_DOMAIN_WORDS = {
    "online": N_("online"),
    "process": N_("being deployed"),
    "offline": N_("offline"),
    "forbidden": N_("banned"),
    "init": N_("not activated"),
}
_CNAME_WORDS = {
    "active": N_("in place"),
    "moved": N_("not pointing at EdgeOne"),
    "invalid": N_("pointing at another domain's CNAME"),
}
_PROTOCOL_WORDS = {"http": N_("HTTP"), "https": N_("HTTPS"), "follow": N_("the client's protocol")}

EdgeOneFact = (
    NodeAddress | DomainState | PullTimeout | OriginConfig | OriginProtection | RequestRecord
)


@dataclass(frozen=True, slots=True)
class EdgeOneView:
    """The facts at hand, found by what they are about."""

    facts: tuple[EdgeOneFact, ...] = ()

    @classmethod
    def of(cls, facts: Iterable[EdgeOneFact]) -> EdgeOneView:
        return cls(tuple(facts))

    def node(self, ip: str | None) -> NodeAddress | None:
        return next((f for f in self._all(NodeAddress) if ip and f.ip == ip), None)

    def domain(self, host: str) -> DomainState | None:
        return next((f for f in self._all(DomainState) if _same_host(f.host, host)), None)

    def pull_timeout(self, host: str) -> PullTimeout | None:
        return next((f for f in self._all(PullTimeout) if _same_host(f.host, host)), None)

    def origin(self, host: str) -> OriginConfig | None:
        return next((f for f in self._all(OriginConfig) if _same_host(f.host, host)), None)

    def protection(self) -> OriginProtection | None:
        return next(iter(self._all(OriginProtection)), None)

    def record(self, uuid: str | None) -> RequestRecord | None:
        return next((f for f in self._all(RequestRecord) if uuid and f.uuid == uuid), None)

    def _all(self, kind: type[_F]) -> list[_F]:
        return [f for f in self.facts if isinstance(f, kind)]


def _same_host(a: str, b: str) -> bool:
    return a.strip().rstrip(".").lower() == b.strip().rstrip(".").lower()


def origin_port(config: OriginConfig, scheme: str) -> int:
    """The port EdgeOne pulls on for a request made with ``scheme`` (follow: the same scheme)."""
    if config.protocol == "http" or (config.protocol == "follow" and scheme == "http"):
        return config.http_port
    return config.https_port


def origin_scheme(config: OriginConfig, scheme: str) -> str:
    return scheme if config.protocol == "follow" else config.protocol


def fact_words(fact: EdgeOneFact, say: Say) -> str:
    """One fact as people read it, in the diagnosis language."""
    match fact:
        case NodeAddress(ip=ip, is_edgeone=True):
            return say._("EdgeOne's API lists {ip} as an EdgeOne node", ip=ip)
        case NodeAddress(ip=ip):
            return say._("EdgeOne's API says {ip} is not an EdgeOne node", ip=ip)
        case DomainState(host=host, status=status, cname_status=cname):
            if status is None:
                return say._("EdgeOne's API has no domain {host}", host=host)
            return say._(
                "EdgeOne's API says {host} is {status}, its CNAME {cname}",
                host=host,
                status=say._(_DOMAIN_WORDS[status]),
                cname=say._(_CNAME_WORDS[cname]) if cname else "?",
            )
        case PullTimeout(seconds=seconds, rule=None):
            return say._(
                "EdgeOne's origin-pull timeout for this host is the default {seconds:g} s",
                seconds=seconds,
            )
        case PullTimeout(seconds=seconds, rule=rule):
            return say._(
                'EdgeOne\'s rule "{rule}" sets the origin-pull timeout to {seconds:g} s',
                rule=rule,
                seconds=seconds,
            )
        case OriginConfig(origin=origin, protocol=protocol):
            return say._(
                "EdgeOne pulls from {origin} ({protocol})",
                origin=origin,
                protocol=say._(_PROTOCOL_WORDS[protocol]),
            )
        case OriginProtection(enabled=True, version=version):
            return say._(
                "origin protection is on (ranges version {version})", version=version or "?"
            )
        case OriginProtection():
            return say._("origin protection is off")
        case RequestRecord(uuid=uuid, status=status, origin_status=None):
            return say._(
                "EdgeOne's log of request {uuid}: it answered {status}, the origin gave no answer",
                uuid=uuid,
                status=status,
            )
        case RequestRecord(uuid=uuid, status=status, origin_status=origin_status):
            return say._(
                "EdgeOne's log of request {uuid}: it answered {status}, the origin {origin_status}",
                uuid=uuid,
                status=status,
                origin_status=origin_status,
            )
    raise TypeError(f"not an EdgeOne fact: {fact!r}")
