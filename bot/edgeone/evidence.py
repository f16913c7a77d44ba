"""EdgeOne's view as evidence for the verdict: ``bot.edgeone`` facts → ``bot.diagnosis`` facts.

The verdict (``bot.diagnosis.diagnose(..., edgeone=facts)``) is the one place that weighs evidence;
this adapter only translates what the view holds into the typed facts it weighs, and leaves out
what the view does not know for sure:

==========================  ==================================================================
view part                   diagnosis fact
==========================  ==================================================================
edge_ip (DescribeIPRegion)  NodeAddress
domain + cname              DomainState (status, CNAME status and target); a host in none of
                            the zones is ``status=None`` only when every zone the key sees was
                            searched (not with ``EO_ZONES``, which may leave its zone out)
domain (IP_DOMAIN origin)   OriginConfig (origin, pull protocol, ports, a rewritten Host)
origin_acl                  OriginProtection (on for this domain, version, next change's date)
logs (a found log line)     RequestRecord (what EdgeOne and the origin answered, origin time)
==========================  ==================================================================

``PullTimeout`` is not produced: the origin-pull timeout lives in the rule engine
(DescribeRules / DescribeL7AccRules), whose rules would have to be read and matched against the
request; a 524 is read against the time EdgeOne actually waited instead.
"""

from __future__ import annotations

from typing import Literal, get_args

from bot.diagnosis.edgeone import (
    CnameStatus,
    DomainState,
    DomainStatus,
    EdgeOneFact,
    NodeAddress,
    OriginConfig,
    OriginProtection,
    RequestRecord,
)
from bot.edgeone.errors import Problem
from bot.edgeone.facts import CnameFact, DomainConfig, EdgeIPFact, LogsFact, OriginACLFact
from bot.edgeone.view import EdgeOneView

_DOMAIN_STATUSES: dict[str, DomainStatus] = {s: s for s in get_args(DomainStatus)}
_CNAME_STATUSES: dict[str, CnameStatus] = {s: s for s in get_args(CnameStatus)}
_PROTOCOLS: dict[str, Literal["http", "https", "follow"]] = {
    "HTTP": "http",
    "HTTPS": "https",
    "FOLLOW": "follow",
}


def facts_of(view: EdgeOneView, *, every_zone: bool = True) -> tuple[EdgeOneFact, ...]:
    """The diagnosis facts ``view`` supports. ``every_zone``: the zone search covered every zone
    the key sees (no ``EO_ZONES``), so "in no zone" means "not on EdgeOne for this account"."""
    facts: list[EdgeOneFact] = []
    if isinstance(view.edge_ip, EdgeIPFact):
        facts.append(NodeAddress(ip=view.edge_ip.ip, is_edgeone=view.edge_ip.is_edgeone))
    domain = view.domain if isinstance(view.domain, DomainConfig) else None
    cname = view.cname if isinstance(view.cname, CnameFact) else None
    if domain is not None:
        state = _domain_state(view.host, domain, cname)
        if state is not None:
            facts.append(state)
        origin = _origin_config(view.host, domain)
        if origin is not None:
            facts.append(origin)
    elif every_zone and isinstance(view.zone, Problem) and view.zone.kind == "not_in_zones":
        facts.append(DomainState(host=view.host))
    if isinstance(view.origin_acl, OriginACLFact):
        facts.append(_protection(view.origin_acl, domain))
    if isinstance(view.logs, LogsFact):
        record = _record(view.logs)
        if record is not None:
            facts.append(record)
    return tuple(facts)


def _domain_state(host: str, domain: DomainConfig, cname: CnameFact | None) -> DomainState | None:
    """None for a status the diagnosis does not know: no evidence either way (a status of None
    would say "not on EdgeOne", which is kept for a host the zones do not hold)."""
    status = _DOMAIN_STATUSES.get((domain.status or "").lower())
    if status is None:
        return None
    return DomainState(
        host=host,
        status=status,
        cname_status=_CNAME_STATUSES.get(cname.status) if cname is not None else None,
        cname=(cname.cname if cname is not None else None) or domain.cname,
    )


def _origin_config(host: str, domain: DomainConfig) -> OriginConfig | None:
    """Only an address origin (IP_DOMAIN) is a server the probe could compare with; groups,
    buckets and load balancers are not."""
    if (domain.origin_type or "IP_DOMAIN") != "IP_DOMAIN" or not domain.origin:
        return None
    rewritten = bool(domain.host_header) and (domain.host_header or "").lower() != host.lower()
    return OriginConfig(
        host=host,
        origin=domain.origin,
        protocol=_PROTOCOLS.get((domain.protocol or "FOLLOW").upper(), "follow"),
        http_port=domain.http_port or 80,
        https_port=domain.https_port or 443,
        host_header=domain.host_header if rewritten else None,
    )


def _protection(acl: OriginACLFact, domain: DomainConfig | None) -> OriginProtection:
    enabled = acl.covers(domain.name) if domain is not None else acl.on
    planned = acl.planned
    change = None
    # Only a dated change: the diagnosis words it as "before the ranges change on {date}" in
    # the reader's language (an undated one is in the view's findings).
    if enabled and planned is not None and (planned.added or planned.removed) and planned.active_at:
        change = f"{planned.active_at:%Y-%m-%d %H:%M} UTC"
    return OriginProtection(enabled=enabled, version=acl.version, next_change=change)


def _record(logs: LogsFact) -> RequestRecord | None:
    record = logs.record
    if logs.state != "found" or record is None or record.edge_status is None:
        return None
    return RequestRecord(
        uuid=record.request_id,
        status=record.edge_status,
        origin_status=record.origin_status,
        origin_ms=record.origin_ms,
    )
