"""A fake Tencent Cloud API (service ``teo``, version 2022-09-01) on loopback.

It checks every request the way the real API does before answering: POST with a JSON body,
``X-TC-Action`` one of the actions it knows, ``X-TC-Version: 2022-09-01``, a timestamp within five
minutes, and a TC3-HMAC-SHA256 ``Authorization`` header whose signature it recomputes from the
secret key it knows (its own implementation of Tencent Cloud's published algorithm, not the SDK's).
Parameters must be ones the SDK's request model for the action has, and the required ones must be
there. Failures answer like the API: HTTP 200, ``{"Response": {"Error": {"Code", "Message"},
"RequestId"}}``.

Answers come from a :class:`World` (zones, acceleration domains, edge IPs, origin ACLs, log tasks,
log lines, offline log packages, per-minute traffic, purge jobs) in the shapes of the SDK's
``models.py``; tests change the world or inject per action an error code, a delay, a raw body or
another Content-Type. Every call is recorded (:class:`TeoCall`), with the largest number of calls
that were in flight at once.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from tencentcloud.teo.v20220901 import models as sdk_models

from ._http1 import RecordedRequest, Response
from .http import HTTPServer

SECRET_ID = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"
SECRET_KEY = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLEKEY"
VERSION = "2022-09-01"
SERVICE = "teo"
MAX_SKEW = 300
CST = timezone(timedelta(hours=8))  # Beijing time, which the origin ACL dates are written in

ZONE_ID = "zone-2noz78a8ev6k"
ZONE_NAME = "example.com"
HOST = "shop.example.com"
EDGE_IP = "43.175.1.10"

# Parameters each action cannot do without (what the API answers MissingParameter for).
REQUIRED: dict[str, tuple[str, ...]] = {
    "DescribeIPRegion": ("IPs",),
    "DescribeZones": (),
    "DescribeAccelerationDomains": ("ZoneId",),
    "CheckCnameStatus": ("ZoneId", "RecordNames"),
    "DescribeOriginACL": ("ZoneId",),
    "DescribeRealtimeLogDeliveryTasks": ("ZoneId",),
    "DescribeLogAnalysisDetail": ("ZoneId", "Area", "StartTime", "EndTime"),
    "DownloadL7Logs": ("StartTime", "EndTime", "ZoneIds"),
    "DescribeTimingL7AnalysisData": ("StartTime", "EndTime", "MetricNames", "ZoneIds"),
    "DescribeTopL7AnalysisData": ("StartTime", "EndTime", "MetricName", "ZoneIds"),
    "CreatePurgeTask": ("ZoneId", "Type"),
    "DescribePurgeTasks": ("ZoneId",),
}
# Nested request models: what a Filters item may hold.
_FILTER_MODELS = {"Filters": (sdk_models.AdvancedFilter, sdk_models.QueryCondition)}
_AUTH = re.compile(
    r"TC3-HMAC-SHA256 Credential=(?P<id>[^/]+)/(?P<date>\d{4}-\d{2}-\d{2})/(?P<service>[^/]+)"
    r"/tc3_request, SignedHeaders=(?P<signed>[a-z;-]+), Signature=(?P<sig>[0-9a-f]{64})"
)
_REQUEST_ID = re.compile(r"\$\{RequestID\}\s+in\s+\['([^']*)'\]")


def tc3_signature(
    secret_key: str,
    *,
    method: str,
    path: str,
    query: str,
    content_type: str,
    host: str,
    payload: bytes,
    timestamp: int,
    service: str = SERVICE,
) -> str:
    """TC3-HMAC-SHA256 over content-type and host, as Tencent Cloud documents it."""
    canonical = "\n".join(
        [
            method,
            path,
            query,
            f"content-type:{content_type}\nhost:{host}\n",
            "content-type;host",
            hashlib.sha256(payload).hexdigest(),
        ]
    )
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    scope = f"{date}/{service}/tc3_request"
    to_sign = "\n".join(
        [
            "TC3-HMAC-SHA256",
            str(timestamp),
            scope,
            hashlib.sha256(canonical.encode()).hexdigest(),
        ]
    )

    def mac(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    key = mac(mac(mac(("TC3" + secret_key).encode(), date), service), "tc3_request")
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


@functools.cache
def sdk_fields(model: type[Any]) -> frozenset[str]:
    """The parameter names an SDK model declares (its attributes are ``_Name``)."""
    return frozenset(name[1:] for name in vars(model()) if name.startswith("_"))


# ------------------------------------------------------------------------------- the world


def domain(
    name: str,
    *,
    zone_id: str = ZONE_ID,
    status: str = "online",
    origin: str = "203.0.113.10",
    origin_type: str = "IP_DOMAIN",
    host_header: str | None = None,
    protocol: str = "FOLLOW",
    http_port: int = 80,
    https_port: int = 443,
    cert_expires: datetime | None = None,
    cert_status: str = "deployed",
    cname: str | None = None,
) -> dict[str, Any]:
    """An AccelerationDomain as DescribeAccelerationDomains returns it."""
    expires = cert_expires or datetime.now(UTC) + timedelta(days=60)
    return {
        "ZoneId": zone_id,
        "DomainName": name,
        "DomainStatus": status,
        "Cname": cname or f"{name.replace('*', 'wildcard')}.eo.dnse1.com",
        "IPv6Status": "follow",
        "IdentificationStatus": "finished",
        "OwnershipVerification": None,
        "OriginDetail": {
            "OriginType": origin_type,
            "Origin": origin,
            "BackupOrigin": "",
            "OriginGroupName": "",
            "BackOriginGroupName": "",
            "PrivateAccess": "off",
            "PrivateParameters": None,
            "HostHeader": host_header if host_header is not None else name,
            "VodeoSubAppId": 0,
            "VodeoDistributionRange": "",
            "VodeoBucketId": "",
            "VodOriginScope": "",
            "VodBucketId": "",
        },
        "OriginProtocol": protocol,
        "HttpOriginPort": http_port,
        "HttpsOriginPort": https_port,
        "Certificate": {
            "Mode": "eofreecert",
            "List": [
                {
                    "CertId": "teo-2o1tfutpnb6l",
                    "Alias": "EdgeOne default",
                    "Type": "managed",
                    "ExpireTime": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "DeployTime": "2025-01-10T08:00:00Z",
                    "SignAlgo": "RSA 2048",
                    "Status": cert_status,
                }
            ],
            "ClientCertInfo": None,
            "UpstreamCertInfo": None,
        },
        "CreatedOn": "2024-11-02T03:04:05Z",
        "ModifiedOn": "2025-02-01T03:04:05Z",
        "ComplianceRestrictions": [],
    }


def zone(
    zone_id: str = ZONE_ID,
    name: str = ZONE_NAME,
    *,
    status: str = "active",
    active_status: str = "active",
    paused: bool = False,
    kind: str = "partial",
    area: str = "overseas",
) -> dict[str, Any]:
    """A Zone as DescribeZones returns it."""
    return {
        "ZoneId": zone_id,
        "ZoneName": name,
        "AliasZoneName": "",
        "Area": area,
        "Type": kind,
        "Tags": [],
        "Resources": [],
        "CreatedOn": "2024-11-02T03:04:05Z",
        "ModifiedOn": "2025-02-01T03:04:05Z",
        "Status": status,
        "CnameStatus": "finished",
        "ActiveStatus": active_status,
        "LockStatus": "enable",
        "Paused": paused,
        "IsFake": 0,
        "CnameSpeedUp": "enabled",
        "OriginalNameServers": [],
        "NameServers": [],
    }


def addresses(ipv4: list[str] | None = None, ipv6: list[str] | None = None) -> dict[str, Any]:
    return {"IPv4": ipv4 or [], "IPv6": ipv6 or []}


def origin_acl(
    *,
    status: str = "online",
    hosts: list[str] | None = None,
    current: list[str] | None = None,
    planned: datetime | None = None,
    added: list[str] | None = None,
    removed: list[str] | None = None,
) -> dict[str, Any]:
    """An OriginACLInfo; ``planned`` adds a NextOriginACL with ``added``/``removed`` ranges."""
    current_ranges = current if current is not None else ["43.174.0.0/15", "101.33.0.0/19"]
    info: dict[str, Any] = {
        "L7Hosts": hosts if hosts is not None else [HOST],
        "L4ProxyIds": [],
        "CurrentOriginACL": {
            "EntireAddresses": addresses(current_ranges, ["240d:c000::/28"]),
            "Version": "v3",
            "ActiveTime": "2025-03-01T10:00:00+08:00",
            "IsPlaned": "true",
        },
        "NextOriginACL": None,
        "Status": status,
        "OriginACLFamily": "gaz",
    }
    if planned is not None:
        new = [r for r in current_ranges if r not in (removed or [])] + (added or [])
        info["NextOriginACL"] = {
            "Version": "v4",
            "PlannedActiveTime": planned.astimezone(CST).isoformat(),
            "EntireAddresses": addresses(new, ["240d:c000::/28"]),
            "AddedAddresses": addresses(added or []),
            "RemovedAddresses": addresses(removed or []),
            "NoChangeAddresses": addresses([r for r in current_ranges if r not in (removed or [])]),
        }
    return info


def log_task(
    *, entities: list[str] | None = None, area: str = "overseas", status: str = "enabled"
) -> dict[str, Any]:
    """A RealtimeLogDeliveryTask delivering to EdgeOne's log analysis."""
    return {
        "TaskId": "cb6c6d8f-fa0b-4dda-a3b4-1a4f4e1a2b3c",
        "TaskName": "log-analysis",
        "DeliveryStatus": status,
        "TaskType": "log_analysis",
        "EntityList": entities if entities is not None else [HOST],
        "LogType": "domain",
        "Area": area,
        "Fields": ["RequestID", "EdgeResponseStatusCode"],
        "CustomFields": [],
        "CustomExpressionFields": [],
        "DeliveryConditions": [],
        "Sample": 1000,
        "LogFormat": None,
        "CLS": None,
        "CustomEndpoint": None,
        "S3": None,
        "AWSS3": None,
        "CreateTime": "2025-01-01T00:00:00Z",
        "UpdateTime": "2025-01-01T00:00:00Z",
    }


def log_line(
    request_id: str,
    *,
    at: datetime,
    host: str = HOST,
    edge_status: int = 522,
    origin_status: int = -1,
    edge_ip: str = EDGE_IP,
    origin_ip: str = "203.0.113.10",
    origin_header_ms: float = -1,
    area: str = "overseas",
    **extra: Any,
) -> dict[str, Any]:
    """One L7 access log line as EdgeOne records it (the LogJson of DescribeLogAnalysisDetail)."""
    line = {
        "RequestID": request_id,
        "LogTime": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "RequestTime": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "RequestHost": host,
        "RequestUrl": "/cart",
        "RequestMethod": "GET",
        "ClientIP": "198.51.100.7",
        "EdgeResponseStatusCode": edge_status,
        "EdgeCacheStatus": "miss",
        "EdgeResponseTime": 15012,
        "EdgeInternalTime": 15002,
        "EdgeServerIP": edge_ip,
        "EdgeServerID": "sg-3f2a9c",
        "EdgeSeverRegion": "SG",
        "EdgeException": "upstream_connect_failed" if origin_status == -1 else "-",
        "OriginIP": origin_ip,
        "OriginResponseStatusCode": origin_status,
        "OriginDNSResponseDuration": -1,
        "OriginTCPHandshakeDuration": -1,
        "OriginTLSHandshakeDuration": -1,
        "OriginResponseHeaderDuration": origin_header_ms,
        "_area": area,
    }
    line.update(extra)
    return line


def offline_log(start: datetime, *, host: str = HOST, area: str = "overseas") -> dict[str, Any]:
    """One hourly L7OfflineLog package."""
    end = start + timedelta(hours=1)
    name = f"{start:%Y%m%d%H}-{host}.log.gz"
    return {
        "Domain": host,
        "Area": area,
        "LogPacketName": name,
        "Url": f"https://log-download.example-cos.com/{name}?sign=q-sign-time%3D1",
        "LogTime": int(start.timestamp()),
        "LogStartTime": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "LogEndTime": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Size": 1048576,
    }


@dataclass
class World:
    """What the fake account holds. Tests change it freely before (or between) calls."""

    zones: list[dict[str, Any]] = field(default_factory=lambda: [zone()])
    domains: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {ZONE_ID: [domain(HOST), domain(f"*.{ZONE_NAME}")]}
    )
    edge_ips: set[str] = field(default_factory=lambda: {EDGE_IP})
    # RecordName -> (Status, Cname) overriding "active, the domain's own CNAME".
    cnames: dict[str, tuple[str, str]] = field(default_factory=dict)
    acls: dict[str, dict[str, Any]] = field(default_factory=lambda: {ZONE_ID: origin_acl()})
    log_tasks: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {ZONE_ID: [log_task()]}
    )
    logs: list[dict[str, Any]] = field(default_factory=list)
    offline_logs: list[dict[str, Any]] = field(default_factory=list)
    # domain -> per-minute {status code: requests}, minute 0 at the query's StartTime.
    traffic: dict[str, list[dict[int, int]]] = field(default_factory=dict)
    # Purge: the Status DescribePurgeTasks reports on each successive poll (the last repeats).
    purge_statuses: list[str] = field(default_factory=lambda: ["processing", "success"])
    purge_refused: dict[str, str] = field(default_factory=dict)  # target -> Reason
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class TeoCall:
    """One request as the fake received it, and how it answered."""

    action: str
    version: str | None
    params: dict[str, Any]
    headers: dict[str, str]
    started: float
    ended: float = 0.0
    error: str | None = None  # the error code answered, None for a success


@dataclass
class _Override:
    body: bytes
    content_type: str
    status: int = 200


class FakeTeo(HTTPServer):
    """The fake API. ``endpoint`` is what EO_API_ENDPOINT should say; ``calls`` what it saw."""

    def __init__(
        self,
        world: World | None = None,
        *,
        secret_id: str = SECRET_ID,
        secret_key: str = SECRET_KEY,
        token: str | None = None,
        delay: float = 0.0,
        host: str = "127.0.0.1",
        ssl_context: Any = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__({"/": self._answer}, host=host, ssl_context=ssl_context)
        self.world = world or World()
        self.secret_id = secret_id
        self.secret_key = secret_key
        self.token = token
        self.delay = delay
        self.delays: dict[str, float] = {}
        self.content_type = "application/json"
        self._errors: dict[str, list[tuple[str, str]]] = {}
        self._raw: dict[str, _Override] = {}
        self._clock = clock
        self._calls_lock = threading.Lock()
        self.calls: list[TeoCall] = []
        self._in_flight = 0
        self.max_in_flight = 0

    # -- what tests use --------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def env(self, **extra: str) -> dict[str, str]:
        """Environment variables that point eo-bot at this fake with its credentials."""
        env = {
            "TENCENTCLOUD_SECRET_ID": self.secret_id,
            "TENCENTCLOUD_SECRET_KEY": self.secret_key,
            "EO_API_ENDPOINT": f"{self.scheme}://{self.endpoint}",
        }
        if self.token:
            env["TENCENTCLOUD_SESSION_TOKEN"] = self.token
        env.update(extra)
        return env

    def fail(self, action: str, code: str, message: str = "", *, times: int = 1000) -> None:
        """Answer ``action`` with error ``code`` (the next ``times`` calls)."""
        text = message or f"{code} (fake)"
        self._errors[action] = [(code, text)] * times

    def answer_raw(
        self,
        action: str,
        body: bytes | str | Mapping[str, Any],
        *,
        content_type: str = "application/json",
        status: int = 200,
    ) -> None:
        """Answer ``action`` with exactly this body (a mapping is sent as JSON)."""
        if isinstance(body, Mapping):
            body = json.dumps(body)
        data = body.encode() if isinstance(body, str) else body
        self._raw[action] = _Override(data, content_type, status)

    def clear(self) -> None:
        """Forget injected errors, raw answers and delays."""
        self._errors.clear()
        self._raw.clear()
        self.delays.clear()

    def actions(self) -> list[str]:
        with self._calls_lock:
            return [c.action for c in self.calls]

    def calls_of(self, action: str) -> list[TeoCall]:
        with self._calls_lock:
            return [c for c in self.calls if c.action == action]

    # -- the server side ---------------------------------------------------------------------

    async def _answer(self, req: RecordedRequest) -> Response:
        headers = {k.lower(): v for k, v in req.raw_headers}
        action = headers.get("x-tc-action", "")
        call = TeoCall(action, headers.get("x-tc-version"), {}, headers, time.perf_counter())
        with self._calls_lock:
            self.calls.append(call)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            delay = self.delays.get(action, self.delay)
            if delay:
                await asyncio.sleep(delay)
            code, message, payload = self._handle(req, headers, call)
            call.error = code
            if action in self._raw:
                raw = self._raw[action]
                return Response(raw.status, {"Content-Type": raw.content_type}, raw.body)
            response = dict(payload)
            if code is not None:
                response = {"Error": {"Code": code, "Message": message}}
            response["RequestId"] = str(uuid.uuid4())
            body = json.dumps({"Response": response}).encode()
            return Response(200, {"Content-Type": self.content_type}, body)
        finally:
            call.ended = time.perf_counter()
            with self._calls_lock:
                self._in_flight -= 1

    def _handle(
        self, req: RecordedRequest, headers: dict[str, str], call: TeoCall
    ) -> tuple[str | None, str, dict[str, Any]]:
        problem = self._check(req, headers, call)
        if problem is not None:
            return problem[0], problem[1], {}
        queued = self._errors.get(call.action)
        if queued:
            code, message = queued.pop(0)
            return code, message, {}
        answer = getattr(self, f"_do_{call.action}")
        try:
            return None, "", answer(call.params)
        except _ApiFault as fault:
            return fault.code, fault.message, {}

    def _check(
        self, req: RecordedRequest, headers: dict[str, str], call: TeoCall
    ) -> tuple[str, str] | None:
        if req.method != "POST":
            return "UnsupportedOperation", "only POST is supported by this fake"
        if not call.action:
            return "MissingParameter", "X-TC-Action is missing"
        if not hasattr(self, f"_do_{call.action}"):
            return "InvalidAction", f"the action {call.action} does not exist"
        if call.version != VERSION:
            return "NoSuchVersion", f"version {call.version} of teo does not exist"
        auth = _AUTH.fullmatch(headers.get("authorization", ""))
        if auth is None:
            return "AuthFailure.InvalidAuthorization", "the Authorization header is malformed"
        try:
            timestamp = int(headers.get("x-tc-timestamp", ""))
        except ValueError:
            return "AuthFailure.InvalidAuthorization", "X-TC-Timestamp is missing"
        if abs(self._clock() - timestamp) > MAX_SKEW:
            return "AuthFailure.SignatureExpire", "the signature has expired"
        if auth["id"] != self.secret_id:
            return "AuthFailure.SecretIdNotFound", "the SecretId is not found"
        date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
        if auth["service"] != SERVICE or auth["date"] != date:
            return "AuthFailure.InvalidAuthorization", "the credential scope is wrong"
        if auth["signed"] != "content-type;host":
            return "AuthFailure.InvalidAuthorization", "SignedHeaders must be content-type;host"
        query = req.target.partition("?")[2]
        expected = tc3_signature(
            self.secret_key,
            method=req.method,
            path=req.path,
            query=query,
            content_type=headers.get("content-type", ""),
            host=headers.get("host", ""),
            payload=req.body,
            timestamp=timestamp,
        )
        if not hmac.compare_digest(expected, auth["sig"]):
            return "AuthFailure.SignatureFailure", "the request signature does not match"
        if self.token is not None and headers.get("x-tc-token") != self.token:
            return "AuthFailure.TokenFailure", "the token is invalid"
        if headers.get("content-type") != "application/json":
            return "InvalidParameter", "the body must be JSON"
        try:
            params = json.loads(req.body)
        except ValueError:
            return "InvalidParameter", "the body is not JSON"
        if not isinstance(params, dict):
            return "InvalidParameter", "the body is not a JSON object"
        call.params = params
        known = sdk_fields(getattr(sdk_models, f"{call.action}Request"))
        unknown = sorted(set(params) - known)
        if unknown:
            return "UnknownParameter", f"the parameter {unknown[0]} is not recognized"
        for name, models in _FILTER_MODELS.items():
            for item in params.get(name) or []:
                if not any(set(item) <= sdk_fields(m) for m in models):
                    return "UnknownParameter", f"{name} holds an item the API does not know"
        missing = [p for p in REQUIRED[call.action] if params.get(p) in (None, "", [])]
        if missing:
            return "MissingParameter", f"the parameter {missing[0]} is required"
        return None

    # -- one answer per action, from the world ----------------------------------------------

    def _do_DescribeIPRegion(self, params: dict[str, Any]) -> dict[str, Any]:
        ips = params["IPs"]
        if len(ips) > 100:
            raise _ApiFault("InvalidParameter.IPsTooMany", "at most 100 IPs")
        return {
            "IPRegionInfo": [
                {"IP": ip, "IsEdgeOneIP": "yes" if ip in self.world.edge_ips else "no"}
                for ip in ips
            ]
        }

    def _do_DescribeZones(self, params: dict[str, Any]) -> dict[str, Any]:
        zones = self.world.zones
        for f in params.get("Filters") or []:
            if f["Name"] == "zone-id":
                zones = [z for z in zones if z["ZoneId"] in f["Values"]]
        offset, limit = params.get("Offset", 0), params.get("Limit", 20)
        return {"TotalCount": len(zones), "Zones": zones[offset : offset + limit]}

    def _zone(self, zone_id: str) -> dict[str, Any]:
        for z in self.world.zones:
            if z["ZoneId"] == zone_id:
                return z
        raise _ApiFault("ResourceNotFound", f"the zone {zone_id} does not exist")

    def _do_DescribeAccelerationDomains(self, params: dict[str, Any]) -> dict[str, Any]:
        self._zone(params["ZoneId"])
        domains = self.world.domains.get(params["ZoneId"], [])
        for f in params.get("Filters") or []:
            if f["Name"] == "domain-name":
                domains = [d for d in domains if d["DomainName"] in f["Values"]]
        offset, limit = params.get("Offset", 0), params.get("Limit", 20)
        return {"TotalCount": len(domains), "AccelerationDomains": domains[offset : offset + limit]}

    def _do_CheckCnameStatus(self, params: dict[str, Any]) -> dict[str, Any]:
        self._zone(params["ZoneId"])
        domains = {d["DomainName"]: d for d in self.world.domains.get(params["ZoneId"], [])}
        out = []
        for name in params["RecordNames"]:
            if name in self.world.cnames:
                status, cname = self.world.cnames[name]
            elif name in domains:
                status, cname = "active", domains[name]["Cname"]
            else:
                raise _ApiFault("ResourceNotFound.Domain", f"{name} is not in this zone")
            out.append({"RecordName": name, "Cname": cname, "Status": status})
        return {"CnameStatus": out}

    def _do_DescribeOriginACL(self, params: dict[str, Any]) -> dict[str, Any]:
        self._zone(params["ZoneId"])
        info = self.world.acls.get(params["ZoneId"]) or {
            "L7Hosts": [],
            "L4ProxyIds": [],
            "CurrentOriginACL": None,
            "NextOriginACL": None,
            "Status": "offline",
            "OriginACLFamily": "",
        }
        return {"OriginACLInfo": info}

    def _do_DescribeRealtimeLogDeliveryTasks(self, params: dict[str, Any]) -> dict[str, Any]:
        self._zone(params["ZoneId"])
        tasks = self.world.log_tasks.get(params["ZoneId"], [])
        for f in params.get("Filters") or []:
            if f["Name"] == "task-type":
                tasks = [t for t in tasks if t["TaskType"] in f["Values"]]
        return {"TotalCount": len(tasks), "RealtimeLogDeliveryTasks": tasks}

    def _do_DescribeLogAnalysisDetail(self, params: dict[str, Any]) -> dict[str, Any]:
        self._zone(params["ZoneId"])
        start, end = _time(params["StartTime"]), _time(params["EndTime"])
        if end < start:
            raise _ApiFault("InvalidParameter.TimeRange", "EndTime is before StartTime")
        wanted = _REQUEST_ID.search(params.get("Condition") or "")
        lines = [
            line
            for line in self.world.logs
            if line["_area"] == params["Area"]
            and start <= _time(line["LogTime"]) <= end
            and (wanted is None or line["RequestID"] == wanted.group(1))
        ]
        return {
            "TotalCount": len(lines),
            "LogDetail": [
                {
                    "Timestamp": int(_time(line["LogTime"]).timestamp() * 1000),
                    "LogJson": json.dumps({k: v for k, v in line.items() if k != "_area"}),
                }
                for line in lines[: params.get("Limit", 20)]
            ],
        }

    def _do_DownloadL7Logs(self, params: dict[str, Any]) -> dict[str, Any]:
        start, end = _time(params["StartTime"]), _time(params["EndTime"])
        domains = params.get("Domains") or []
        data = [
            log
            for log in self.world.offline_logs
            if (not domains or log["Domain"] in domains)
            and _time(log["LogStartTime"]) < end
            and _time(log["LogEndTime"]) > start
        ]
        return {"TotalCount": len(data), "Data": data}

    def _series(self, params: dict[str, Any]) -> tuple[datetime, list[dict[int, int]]]:
        for zone_id in params["ZoneIds"]:
            self._zone(zone_id)
        domains: list[str] = []
        codes: list[str] = []
        for f in params.get("Filters") or []:
            if f["Key"] == "domain":
                domains = f["Value"]
            elif f["Key"] == "statusCode":
                codes = f["Value"]
        minutes: list[dict[int, int]] = []
        for name in domains or list(self.world.traffic):
            for i, bucket in enumerate(self.world.traffic.get(name, [])):
                while len(minutes) <= i:
                    minutes.append({})
                for code, count in bucket.items():
                    if not codes or any(_code_matches(code, c) for c in codes):
                        minutes[i][code] = minutes[i].get(code, 0) + count
        return _time(params["StartTime"]), minutes

    def _do_DescribeTimingL7AnalysisData(self, params: dict[str, Any]) -> dict[str, Any]:
        start, minutes = self._series(params)
        end = _time(params["EndTime"])
        points = []
        for i in range(int((end - start).total_seconds() // 60)):
            value = sum(minutes[i].values()) if i < len(minutes) else 0
            points.append(
                {"Timestamp": int((start + timedelta(minutes=i)).timestamp()), "Value": value}
            )
        values = [p["Value"] for p in points] or [0]
        return {
            "TotalCount": 1,
            "Data": [
                {
                    "TypeKey": params["ZoneIds"][0],
                    "TypeValue": [
                        {
                            "MetricName": metric,
                            "Sum": sum(values),
                            "Max": max(values),
                            "Avg": sum(values) // len(values),
                            "Detail": points,
                        }
                        for metric in params["MetricNames"]
                    ],
                    "FloatTypeValue": [],
                }
            ],
        }

    def _do_DescribeTopL7AnalysisData(self, params: dict[str, Any]) -> dict[str, Any]:
        _, minutes = self._series(params)
        totals: dict[int, int] = {}
        for bucket in minutes:
            for code, count in bucket.items():
                totals[code] = totals.get(code, 0) + count
        ranked = sorted(totals.items(), key=lambda kv: -kv[1])[: params.get("Limit", 10)]
        return {
            "TotalCount": 1,
            "Data": [
                {
                    "TypeKey": params["ZoneIds"][0],
                    "DetailData": [{"Key": str(code), "Value": count} for code, count in ranked],
                }
            ],
        }

    def _do_CreatePurgeTask(self, params: dict[str, Any]) -> dict[str, Any]:
        self._zone(params["ZoneId"])
        if params["Type"] not in ("purge_url", "purge_prefix", "purge_host", "purge_all"):
            raise _ApiFault("InvalidParameter.ParameterError", f"unknown Type {params['Type']}")
        targets = params.get("Targets") or []
        refused = [t for t in targets if t in self.world.purge_refused]
        job = f"20f5{len(self.world.jobs):012x}"
        self.world.jobs[job] = {
            "ZoneId": params["ZoneId"],
            "Type": params["Type"],
            "Method": params.get("Method", "invalidate"),
            "Targets": [t for t in targets if t not in refused],
            "polls": 0,
        }
        return {
            "JobId": job,
            "FailedList": [
                {"Reason": self.world.purge_refused[t], "Targets": [t]} for t in refused
            ],
        }

    def _do_DescribePurgeTasks(self, params: dict[str, Any]) -> dict[str, Any]:
        job_id = None
        for f in params.get("Filters") or []:
            if f["Name"] == "job-id":
                job_id = f["Values"][0]
        job = self.world.jobs.get(job_id or "")
        if job is None:
            return {"TotalCount": 0, "Tasks": []}
        statuses = self.world.purge_statuses
        status = statuses[min(job["polls"], len(statuses) - 1)]
        job["polls"] += 1
        tasks = [
            {
                "JobId": job_id,
                "Target": target,
                "Type": job["Type"],
                "Method": job["Method"],
                "Status": status,
                "CreateTime": "2025-03-01T10:00:00Z",
                "UpdateTime": "2025-03-01T10:00:05Z",
                "FailType": "taskFailed" if status == "failed" else "",
                "FailMessage": "origin pull failed" if status == "failed" else "",
            }
            for target in job["Targets"]
        ]
        return {"TotalCount": len(tasks), "Tasks": tasks}


class _ApiFault(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _code_matches(code: int, wanted: str) -> bool:
    wanted = wanted.upper()
    if wanted.endswith("XX"):
        return str(code)[0] == wanted[0]
    return str(code) == wanted


def traffic(
    minutes: int = 60,
    *,
    per_minute: int = 1000,
    failing_from: int | None = None,
    failures: Mapping[int, int] | None = None,
) -> list[dict[int, int]]:
    """Per-minute requests: ``per_minute`` 200s, and from minute ``failing_from`` on also the
    ``failures`` (code -> requests per minute)."""
    out: list[dict[int, int]] = []
    for i in range(minutes):
        bucket = {200: per_minute}
        if failing_from is not None and i >= failing_from:
            for code, count in (failures or {}).items():
                bucket[code] = bucket.get(code, 0) + count
        out.append(bucket)
    return out
