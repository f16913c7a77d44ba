"""What EdgeOne says about a host, one frozen dataclass per question, read from the API's answers.

Each ``*_from`` function turns a validated answer (:mod:`bot.edgeone.shapes`) into a fact without
I/O, so tests can build facts by hand. Text in a fact is the API's own (network text: escape it
when showing it); times are aware datetimes in UTC.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Literal

from bot.edgeone.shapes import (
    AccelerationDomainShape,
    AddressesShape,
    CnameStatusShape,
    L7OfflineLogShape,
    OriginACLInfoShape,
    ZoneShape,
)

# The origin ACL API writes its dates in Beijing time; a date without an offset is read as such.
BEIJING = timezone(timedelta(hours=8))

CnameState = Literal["active", "moved", "invalid", "unknown"]
_CNAME_STATES: dict[str, CnameState] = {"active": "active", "moved": "moved", "invalid": "invalid"}


@dataclass(frozen=True, slots=True)
class ZoneFact:
    zone_id: str
    name: str
    status: str | None = None  # active / pending / moved / deactivated
    active_status: str | None = None  # active / inactive / paused
    paused: bool = False
    kind: str | None = None  # full (NS) / partial (CNAME) / noDomainAccess / dnsPodAccess / …
    area: str | None = None  # mainland / overseas / global

    @property
    def serving(self) -> bool:
        """False when EdgeOne says the zone does not serve traffic (paused, inactive, banned)."""
        if self.paused or self.active_status in ("paused", "inactive"):
            return False
        return self.status not in ("deactivated", "moved")


@dataclass(frozen=True, slots=True)
class EdgeIPFact:
    """DescribeIPRegion: is this address an EdgeOne node?"""

    ip: str
    is_edgeone: bool


@dataclass(frozen=True, slots=True)
class CnameFact:
    """CheckCnameStatus: does the record point at the CNAME EdgeOne gave it?"""

    record: str
    status: CnameState
    cname: str | None = None  # the CNAME EdgeOne assigned


@dataclass(frozen=True, slots=True)
class CertFact:
    cert_id: str | None
    expires_at: datetime | None
    status: str | None = None  # deployed / processing / applying / failed / issued
    kind: str | None = None  # default / upload / managed
    alias: str | None = None


@dataclass(frozen=True, slots=True)
class DomainConfig:
    """DescribeAccelerationDomains: how EdgeOne serves the host and pulls from the origin."""

    name: str  # the acceleration domain, possibly a wildcard (*.example.com)
    status: str | None = None  # online / process / offline / init
    cname: str | None = None
    origin_type: str | None = None  # IP_DOMAIN / COS / AWS_S3 / ORIGIN_GROUP / VOD / LB / SPACE
    origin: str | None = None
    backup_origin: str | None = None
    host_header: str | None = None
    protocol: str | None = None  # FOLLOW / HTTP / HTTPS
    http_port: int | None = None
    https_port: int | None = None
    cert_mode: str | None = None  # disable / eofreecert / eofreecert_manual / sslcert
    certs: tuple[CertFact, ...] = ()

    @property
    def wildcard(self) -> bool:
        return self.name.startswith("*.")


@dataclass(frozen=True, slots=True)
class AddressSet:
    ipv4: tuple[str, ...] = ()
    ipv6: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.ipv4 or self.ipv6)

    @property
    def all(self) -> tuple[str, ...]:
        return self.ipv4 + self.ipv6


@dataclass(frozen=True, slots=True)
class PlannedACL:
    """The next set of origin-pull ranges and when EdgeOne switches to it."""

    version: str | None
    active_at: datetime | None
    added: AddressSet
    removed: AddressSet


@dataclass(frozen=True, slots=True)
class OriginACLFact:
    """DescribeOriginACL: origin protection, the ranges the origin must allow, the next change."""

    status: str | None  # online / offline / updating
    hosts: tuple[str, ...] = ()  # L7 domains protected
    version: str | None = None
    active_since: datetime | None = None
    current: AddressSet = AddressSet()
    planned: PlannedACL | None = None

    @property
    def on(self) -> bool:
        return self.status in ("online", "updating")

    def covers(self, domain: str) -> bool:
        """Whether protection applies to the acceleration domain ``domain``."""
        return self.on and (not self.hosts or domain.lower() in {h.lower() for h in self.hosts})


@dataclass(frozen=True, slots=True)
class EdgeLogRecord:
    """What the edge recorded for one request (an L7 access log line)."""

    request_id: str
    at: datetime | None = None
    host: str | None = None
    url: str | None = None
    method: str | None = None
    client_ip: str | None = None
    edge_status: int | None = None
    cache_status: str | None = None
    edge_ms: float | None = None
    edge_ip: str | None = None
    edge_node: str | None = None
    edge_region: str | None = None
    edge_exception: str | None = None
    origin_ip: str | None = None
    origin_status: int | None = None  # None: EdgeOne did not reach the origin (-1 in the log)
    origin_ms: float | None = None  # origin's time to response headers
    security_action: str | None = None


@dataclass(frozen=True, slots=True)
class OfflineLogLink:
    url: str
    start: datetime | None
    end: datetime | None
    size: int | None = None
    area: str | None = None


LogsState = Literal["found", "not_yet", "not_found", "offline"]


@dataclass(frozen=True, slots=True)
class LogsFact:
    """The edge's log of one request (log analysis), or the offline packages that may hold it."""

    request_id: str
    state: LogsState
    record: EdgeLogRecord | None = None
    links: tuple[OfflineLogLink, ...] = ()
    window: tuple[datetime, datetime] | None = None  # the time searched
    retry_after: datetime | None = None  # when "not yet": when to look again


# ------------------------------------------------------------------------------- converters


def zone_from(shape: ZoneShape) -> ZoneFact:
    return ZoneFact(
        zone_id=shape.ZoneId,
        name=shape.ZoneName,
        status=shape.Status,
        active_status=shape.ActiveStatus,
        paused=bool(shape.Paused),
        kind=shape.Type,
        area=shape.Area,
    )


def cname_from(shape: CnameStatusShape) -> CnameFact:
    state = _CNAME_STATES.get((shape.Status or "").lower(), "unknown")
    return CnameFact(record=shape.RecordName, status=state, cname=shape.Cname or None)


def domain_from(shape: AccelerationDomainShape) -> DomainConfig:
    detail = shape.OriginDetail
    cert = shape.Certificate
    return DomainConfig(
        name=shape.DomainName,
        status=shape.DomainStatus,
        cname=shape.Cname or None,
        origin_type=detail.OriginType if detail else None,
        origin=(detail.Origin or None) if detail else None,
        backup_origin=(detail.BackupOrigin or None) if detail else None,
        host_header=(detail.HostHeader or None) if detail else None,
        protocol=(shape.OriginProtocol or "").upper() or None,
        http_port=shape.HttpOriginPort,
        https_port=shape.HttpsOriginPort,
        cert_mode=cert.Mode if cert else None,
        certs=tuple(
            CertFact(
                cert_id=c.CertId,
                expires_at=parse_time(c.ExpireTime),
                status=c.Status,
                kind=c.Type,
                alias=c.Alias,
            )
            for c in (cert.List if cert else ())
        ),
    )


def _addresses(shape: AddressesShape | None) -> AddressSet:
    if shape is None:
        return AddressSet()
    return AddressSet(ipv4=shape.IPv4, ipv6=shape.IPv6)


def origin_acl_from(shape: OriginACLInfoShape | None) -> OriginACLFact:
    if shape is None:
        return OriginACLFact(status="offline")
    current = shape.CurrentOriginACL
    nxt = shape.NextOriginACL
    planned = None
    if nxt is not None and (nxt.Version or nxt.PlannedActiveTime):
        planned = PlannedACL(
            version=nxt.Version,
            active_at=parse_time(nxt.PlannedActiveTime, default_tz=BEIJING),
            added=_addresses(nxt.AddedAddresses),
            removed=_addresses(nxt.RemovedAddresses),
        )
    return OriginACLFact(
        status=shape.Status,
        hosts=shape.L7Hosts,
        version=current.Version if current else None,
        active_since=parse_time(current.ActiveTime, default_tz=BEIJING) if current else None,
        current=_addresses(current.EntireAddresses if current else None),
        planned=planned,
    )


def log_record_from(log_json: str, *, timestamp_ms: int | None = None) -> EdgeLogRecord | None:
    """One LogJson line; None when it is not a JSON object with a RequestID."""
    try:
        data = json.loads(log_json)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("RequestID"), str | int):
        return None
    at = parse_time(_str(data, "LogTime") or _str(data, "RequestTime"))
    if at is None and timestamp_ms is not None:
        at = datetime.fromtimestamp(timestamp_ms / 1000, UTC)
    origin_status = _int(data, "OriginResponseStatusCode")
    return EdgeLogRecord(
        request_id=str(data["RequestID"]),
        at=at,
        host=_str(data, "RequestHost"),
        url=_str(data, "RequestUrl"),
        method=_str(data, "RequestMethod"),
        client_ip=_str(data, "ClientIP"),
        edge_status=_int(data, "EdgeResponseStatusCode"),
        cache_status=_str(data, "EdgeCacheStatus"),
        edge_ms=_num(data, "EdgeResponseTime"),
        edge_ip=_str(data, "EdgeServerIP"),
        edge_node=_str(data, "EdgeServerID"),
        edge_region=_str(data, "EdgeSeverRegion") or _str(data, "EdgeServerRegion"),
        edge_exception=_str(data, "EdgeException"),
        origin_ip=_str(data, "OriginIP"),
        origin_status=origin_status if origin_status is not None and origin_status >= 0 else None,
        origin_ms=_num(data, "OriginResponseHeaderDuration"),
        security_action=_str(data, "SecurityAction"),
    )


def offline_link_from(shape: L7OfflineLogShape) -> OfflineLogLink:
    return OfflineLogLink(
        url=shape.Url,
        start=parse_time(shape.LogStartTime),
        end=parse_time(shape.LogEndTime),
        size=shape.Size,
        area=shape.Area,
    )


def parse_time(text: str | None, *, default_tz: timezone = UTC) -> datetime | None:
    """An API time (ISO 8601, with ``Z``, an offset or none) in UTC; None if absent or bad."""
    if not text or not text.strip() or text.strip() == "-":
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = datetime.strptime(text.strip(), "%Y-%m-%d %H:%M:%S")
        except ValueError:
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=default_tz)
    return moment.astimezone(UTC)


def _str(data: Mapping[str, object], key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    text = str(value).strip()
    return text if text and text != "-" else None


def _num(data: Mapping[str, object], key: str) -> float | None:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if number >= 0 else None


def _int(data: Mapping[str, object], key: str) -> int | None:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return int(float(value))
    except ValueError:
        return None


def first(items: Iterable[CnameFact], record: str) -> CnameFact | None:
    """The fact about ``record`` (names compare case-insensitively)."""
    return next((c for c in items if c.record.lower() == record.lower()), None)
