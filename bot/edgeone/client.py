"""The one module that talks to Tencent Cloud: the SDK's async ``TeoClient``, one method per action.

Each method signs and sends one call (or the pages of one listing) through the official SDK
(``tencentcloud-sdk-python-teo``, TC3-HMAC-SHA256 signatures), waits at most the per-call timeout,
and returns the answer validated against :mod:`bot.edgeone.shapes`. Every failure comes out as an
:class:`~bot.edgeone.errors.EdgeOneError` with a worded message; nothing from the SDK or httpx
escapes.

Three things the SDK does not do for us:

- It reads ``Response.Error`` only when the answer's Content-Type is exactly
  ``application/json``: behind a proxy that adds ``; charset=utf-8`` every error would read as an
  empty success. So the answer is asked for as a plain dict and checked for ``Error`` here,
  whatever its Content-Type.
- Its DEBUG log prints whole requests, ``Authorization`` and ``X-TC-Token`` included. A filter on
  its logger blanks those two headers before any handler sees the record.
- It builds an httpx client that honours proxy variables for every endpoint and loads the CA
  bundle each time. Ours replaces it at once: one shared, verifying TLS context, a bounded pool
  with keep-alive (the calls of one answer run side by side), and no proxies for loopback.

The SDK is imported when a client is built, not with this module: without credentials the bot
never pays for it.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import ssl
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import certifi
import httpx
from pydantic import ValidationError

from bot.edgeone.errors import (
    ApiError,
    ApiTimeout,
    CredentialsRejected,
    EdgeOneError,
    MalformedAnswer,
    NotAuthorized,
    NotInZones,
    RateLimited,
    Unreachable,
    redact,
)
from bot.edgeone.settings import EdgeOneSettings
from bot.edgeone.shapes import (
    AccelerationDomainShape,
    CheckCnameStatusShape,
    CnameStatusShape,
    CreatePurgeTaskShape,
    DescribeAccelerationDomainsShape,
    DescribeIPRegionShape,
    DescribeLogAnalysisDetailShape,
    DescribeOriginACLShape,
    DescribePurgeTasksShape,
    DescribeRealtimeLogDeliveryTasksShape,
    DescribeTimingL7AnalysisDataShape,
    DescribeTopL7AnalysisDataShape,
    DescribeZonesShape,
    DownloadL7LogsShape,
    L7OfflineLogShape,
    OriginACLInfoShape,
    RealtimeLogDeliveryTaskShape,
    Shape,
    TaskShape,
    TimingDataRecordShape,
    TopDataRecordShape,
    ZoneShape,
)
from bot.i18n.catalogue import N_
from bot.i18n.phrase import Phrase, phrase

log = logging.getLogger(__name__)

API_VERSION = "2022-09-01"
SDK_LOGGER = "tencentcloud_sdk_common"
DEFAULT_BACKOFF = 30.0  # seconds without calls after the API says RequestLimitExceeded
MAX_PAGES = 10  # listings stop here (1,000 zones, 2,000 domains per zone)

# (name, operator, values) for the analytics filters; (name, values) for the listing filters.
QueryFilter = tuple[str, str, Sequence[str]]
ListFilter = tuple[str, Sequence[str]]

_S = TypeVar("_S", bound=Shape)

_AUTH_REASONS = {
    "AuthFailure.SecretIdNotFound": N_("this SecretId does not exist or is disabled"),
    "AuthFailure.InvalidSecretId": N_("this is not a valid SecretId"),
    "AuthFailure.SignatureFailure": N_("the SecretKey does not belong to this SecretId"),
    "AuthFailure.SignatureExpire": N_(
        "the request's timestamp is more than 5 minutes off: check this machine's clock"
    ),
    "AuthFailure.TokenFailure": N_("the session token is invalid or has expired"),
    "AuthFailure.InvalidAuthorization": N_("the request's signature header was not accepted"),
    "AuthFailure.MFAFailure": N_("the key requires an MFA check the bot cannot pass"),
}
_AUTH_REJECTED = N_("the credentials were not accepted")
_SECRET_HEADERS = re.compile(r"(?im)^(authorization|x-tc-token)\s*:.*$")


class _RedactSdkLog(logging.Filter):
    """Blank the signature and token headers in the SDK's request dumps, and any credential a
    response body might echo back."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(_SECRET_HEADERS.sub(r"\1: [redacted]", message), tuple(self.secrets))
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def _quiet_sdk_logger(secrets: tuple[str, ...]) -> None:
    sdk = logging.getLogger(SDK_LOGGER)
    found = next((f for f in sdk.filters if isinstance(f, _RedactSdkLog)), None)
    if found is None:
        found = _RedactSdkLog()
        sdk.addFilter(found)
    found.secrets.update(secrets)


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One verifying context for every client (loading the CA bundle costs tens of ms)."""
    return ssl.create_default_context(cafile=certifi.where())


def iso(moment: datetime) -> str:
    """A time the way the API wants it: ``2024-10-14T05:13:43Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class EdgeOneClient:
    """The EdgeOne API, one async method per action. Use as ``async with`` or call ``aclose``."""

    def __init__(
        self,
        settings: EdgeOneSettings,
        *,
        backoff: float = DEFAULT_BACKOFF,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        from tencentcloud.common.credential import (  # type: ignore[import-untyped]
            Credential,
        )
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import (  # type: ignore[import-untyped]
            TencentCloudSDKException,
        )
        from tencentcloud.common.profile.client_profile import (  # type: ignore[import-untyped]
            ClientProfile,
        )
        from tencentcloud.common.profile.http_profile import (  # type: ignore[import-untyped]
            HttpProfile,
        )
        from tencentcloud.teo.v20220901.teo_client_async import (  # type: ignore[import-untyped]
            TeoClient,
        )

        _quiet_sdk_logger(settings.credentials.secrets)
        self.settings = settings
        self._timeout = settings.call_timeout
        self._backoff = backoff
        self._clock = clock
        self._quiet_until = 0.0
        self._sdk_error: type[Exception] = TencentCloudSDKException
        creds = settings.credentials
        credential = Credential(
            creds.secret_id.get_secret_value(),
            creds.secret_key.get_secret_value(),
            creds.token.get_secret_value() if creds.token else None,
        )
        http = HttpProfile(
            protocol=settings.endpoint.scheme,
            endpoint=settings.endpoint.netloc,
            reqTimeout=settings.call_timeout,
            keepAlive=True,
            # The client the SDK builds is thrown away just below (ours verifies TLS): spare it
            # the CA bundle it would load for nothing.
            certification=False,
        )
        profile = ClientProfile(httpProfile=http, language="en-US", request_client="eo-bot")
        self._sdk: Any = TeoClient(credential, "", profile)
        self._sdk.http_client = httpx.AsyncClient(
            timeout=httpx.Timeout(settings.call_timeout),
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
            verify=_tls_context(),
            trust_env=not settings.endpoint.loopback,
        )

    async def aclose(self) -> None:
        await self._sdk.http_client.aclose()

    async def __aenter__(self) -> EdgeOneClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # -- one method per action ---------------------------------------------------------------

    async def describe_ip_region(self, ips: Sequence[str]) -> DescribeIPRegionShape:
        return await self._call("DescribeIPRegion", {"IPs": list(ips)[:100]}, DescribeIPRegionShape)

    async def describe_zones(self, *, zone_ids: Sequence[str] = ()) -> tuple[ZoneShape, ...]:
        filters: list[ListFilter] = [("zone-id", zone_ids)] if zone_ids else []
        zones: list[ZoneShape] = []
        for offset in range(0, MAX_PAGES * 100, 100):
            params = {"Offset": offset, "Limit": 100, "Filters": _list_filters(filters)}
            page = await self._call("DescribeZones", params, DescribeZonesShape)
            zones += page.Zones
            if not page.Zones or len(zones) >= page.TotalCount:
                break
        return tuple(zones)

    async def describe_acceleration_domains(
        self, zone_id: str, *, names: Sequence[str] = ()
    ) -> tuple[AccelerationDomainShape, ...]:
        filters: list[ListFilter] = [("domain-name", names)] if names else []
        domains: list[AccelerationDomainShape] = []
        for offset in range(0, MAX_PAGES * 200, 200):
            params = {
                "ZoneId": zone_id,
                "Offset": offset,
                "Limit": 200,
                "Filters": _list_filters(filters),
            }
            page = await self._call(
                "DescribeAccelerationDomains", params, DescribeAccelerationDomainsShape
            )
            domains += page.AccelerationDomains
            if not page.AccelerationDomains or len(domains) >= page.TotalCount:
                break
        return tuple(domains)

    async def check_cname_status(
        self, zone_id: str, names: Sequence[str]
    ) -> tuple[CnameStatusShape, ...]:
        params = {"ZoneId": zone_id, "RecordNames": list(names)}
        answer = await self._call("CheckCnameStatus", params, CheckCnameStatusShape)
        return answer.CnameStatus

    async def describe_origin_acl(self, zone_id: str) -> OriginACLInfoShape | None:
        answer = await self._call("DescribeOriginACL", {"ZoneId": zone_id}, DescribeOriginACLShape)
        return answer.OriginACLInfo

    async def describe_realtime_log_delivery_tasks(
        self, zone_id: str, *, task_type: str = "log_analysis"
    ) -> tuple[RealtimeLogDeliveryTaskShape, ...]:
        params = {
            "ZoneId": zone_id,
            "Offset": 0,
            "Limit": 100,
            "Filters": _list_filters([("task-type", [task_type])]),
        }
        answer = await self._call(
            "DescribeRealtimeLogDeliveryTasks", params, DescribeRealtimeLogDeliveryTasksShape
        )
        return answer.RealtimeLogDeliveryTasks

    async def describe_log_analysis_detail(
        self,
        zone_id: str,
        *,
        area: str,
        start: datetime,
        end: datetime,
        condition: str,
        limit: int = 10,
        log_type: str = "l7-access-logs",
    ) -> DescribeLogAnalysisDetailShape:
        params = {
            "ZoneId": zone_id,
            "Area": area,
            "StartTime": iso(start),
            "EndTime": iso(end),
            "LogType": log_type,
            "Condition": condition,
            "Limit": limit,
        }
        return await self._call("DescribeLogAnalysisDetail", params, DescribeLogAnalysisDetailShape)

    async def download_l7_logs(
        self, zone_id: str, *, domains: Sequence[str], start: datetime, end: datetime
    ) -> tuple[L7OfflineLogShape, ...]:
        params = {
            "StartTime": iso(start),
            "EndTime": iso(end),
            "ZoneIds": [zone_id],
            "Domains": list(domains),
            "Limit": 50,
        }
        answer = await self._call("DownloadL7Logs", params, DownloadL7LogsShape)
        return answer.Data

    async def describe_timing_l7_analysis_data(
        self,
        zone_id: str,
        *,
        start: datetime,
        end: datetime,
        metrics: Sequence[str],
        interval: str,
        filters: Sequence[QueryFilter] = (),
    ) -> tuple[TimingDataRecordShape, ...]:
        params = {
            "StartTime": iso(start),
            "EndTime": iso(end),
            "MetricNames": list(metrics),
            "ZoneIds": [zone_id],
            "Interval": interval,
            "Filters": _query_filters(filters),
        }
        answer = await self._call(
            "DescribeTimingL7AnalysisData", params, DescribeTimingL7AnalysisDataShape
        )
        return answer.Data

    async def describe_top_l7_analysis_data(
        self,
        zone_id: str,
        *,
        start: datetime,
        end: datetime,
        metric: str,
        filters: Sequence[QueryFilter] = (),
        limit: int = 10,
    ) -> tuple[TopDataRecordShape, ...]:
        params = {
            "StartTime": iso(start),
            "EndTime": iso(end),
            "MetricName": metric,
            "ZoneIds": [zone_id],
            "Limit": limit,
            "Filters": _query_filters(filters),
        }
        answer = await self._call(
            "DescribeTopL7AnalysisData", params, DescribeTopL7AnalysisDataShape
        )
        return answer.Data

    async def create_purge_task(
        self, zone_id: str, *, kind: str, targets: Sequence[str], method: str | None = None
    ) -> CreatePurgeTaskShape:
        params: dict[str, Any] = {"ZoneId": zone_id, "Type": kind, "Targets": list(targets)}
        if method is not None:
            params["Method"] = method
        return await self._call("CreatePurgeTask", params, CreatePurgeTaskShape)

    async def describe_purge_tasks(self, zone_id: str, *, job_id: str) -> tuple[TaskShape, ...]:
        params = {
            "ZoneId": zone_id,
            "Offset": 0,
            "Limit": 100,
            "Filters": _list_filters([("job-id", [job_id])]),
        }
        answer = await self._call("DescribePurgeTasks", params, DescribePurgeTasksShape)
        return answer.Tasks

    # -- one call ----------------------------------------------------------------------------

    async def _call(self, action: str, params: dict[str, Any], shape: type[_S]) -> _S:
        wait = self._quiet_until - self._clock()
        if wait > 0:
            raise RateLimited(
                phrase(
                    N_(
                        "EdgeOne API asked the bot to slow down; it waits {seconds:.0f} s more "
                        "before calling {action} again"
                    ),
                    seconds=wait,
                    action=action,
                ),
                action=action,
            )
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._timeout):
                data = await self._sdk.call_and_deserialize(action, params, dict, {}, {})
        except TimeoutError:
            raise self._timed_out(action) from None
        except httpx.TimeoutException:
            raise self._timed_out(action) from None
        except httpx.HTTPError as exc:
            raise Unreachable(
                phrase(
                    N_("EdgeOne API at {endpoint} could not be reached for {action}: {reason}"),
                    endpoint=self.settings.endpoint.netloc,
                    action=action,
                    reason=_transport_reason(exc),
                ),
                action=action,
            ) from None
        except self._sdk_error as exc:
            raise self._from_sdk(action, exc) from None
        # The SDK parses the answer itself when its Content-Type is exactly application/json.
        except ValueError:
            raise _malformed(action, phrase(N_("is not JSON"))) from None
        except (KeyError, TypeError):
            raise _malformed(action, phrase(N_("is not shaped like an API answer"))) from None
        log.debug("EdgeOne API %s answered in %.0f ms", action, _ms(started))
        return self._read(action, data, shape)

    def _read(self, action: str, data: object, shape: type[_S]) -> _S:
        response = data.get("Response") if isinstance(data, dict) else None
        if not isinstance(response, dict):
            raise _malformed(action, phrase(N_("has no Response object")))
        error = response.get("Error")
        request_id = _text(response.get("RequestId"))
        if error is not None:
            if not isinstance(error, dict) or not isinstance(error.get("Code"), str):
                raise _malformed(action, phrase(N_("holds an error without a code")))
            raise self._classify(action, error["Code"], _text(error.get("Message")), request_id)
        try:
            return shape.model_validate(response)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "Response"
            what = phrase(N_("has {field} that is {problem}"), field=where, problem=first["type"])
            raise _malformed(action, what) from None

    def _from_sdk(self, action: str, exc: Exception) -> EdgeOneError:
        code = str(getattr(exc, "code", "") or "")
        if code in ("ServerNetworkError", "ClientNetworkError"):
            return Unreachable(
                phrase(
                    N_(
                        "EdgeOne API at {endpoint} answered {action} with an HTTP error instead "
                        "of an API answer"
                    ),
                    endpoint=self.settings.endpoint.netloc,
                    action=action,
                ),
                action=action,
                code=code,
            )
        message = getattr(exc, "message", None)
        request_id = getattr(exc, "requestId", None)
        return self._classify(
            action,
            code or "ClientError",
            message if isinstance(message, str) else None,
            request_id if isinstance(request_id, str) else None,
        )

    def _classify(
        self, action: str, code: str, message: str | None, request_id: str | None
    ) -> EdgeOneError:
        hint = self.settings.credentials.hint
        detail = redact(message or "", self.settings.credentials.secrets)[:300] or None
        extra = {"action": action, "code": code, "detail": detail, "request_id": request_id}
        if code == "AuthFailure.UnauthorizedOperation" or code.startswith(
            ("UnauthorizedOperation", "OperationDenied")
        ):
            return NotAuthorized(
                phrase(
                    N_("the API key {key} may not call {action}: add {cam} to its CAM policy"),
                    key=hint,
                    action=action,
                    cam=f"teo:{action}",
                ),
                **extra,
            )
        if code.startswith("AuthFailure"):
            reason = _AUTH_REASONS.get(code, _AUTH_REJECTED)
            return CredentialsRejected(
                phrase(
                    N_("EdgeOne API rejected the credentials (SecretId {key}): {reason}"),
                    key=hint,
                    reason=phrase(reason),
                ),
                **extra,
            )
        if code.startswith("ResourceNotFound") or code.endswith("ZoneNotFound"):
            return NotInZones(
                phrase(
                    N_("EdgeOne does not know what {action} asked about in these zones ({code})"),
                    action=action,
                    code=code,
                ),
                **extra,
            )
        if code.startswith("RequestLimitExceeded"):
            self._quiet_until = self._clock() + self._backoff
            return RateLimited(
                phrase(
                    N_(
                        "EdgeOne API rate limit reached on {action}; the bot backs off for "
                        "{seconds:.0f} s, try again after that"
                    ),
                    action=action,
                    seconds=self._backoff,
                ),
                **extra,
            )
        if code.startswith("InternalError"):
            return ApiError(
                phrase(
                    N_("EdgeOne API had an internal error on {action}; try again in a moment"),
                    action=action,
                ),
                **extra,
            )
        if code.startswith("LimitExceeded"):
            return ApiError(
                phrase(
                    N_("EdgeOne refused {action}: a quota is used up ({code})"),
                    action=action,
                    code=code,
                ),
                **extra,
            )
        return ApiError(
            phrase(N_("EdgeOne API refused {action} ({code})"), action=action, code=code), **extra
        )

    def _timed_out(self, action: str) -> ApiTimeout:
        return ApiTimeout(
            phrase(
                N_("EdgeOne API did not answer {action} within {seconds:g} s"),
                action=action,
                seconds=self._timeout,
            ),
            action=action,
        )


def _list_filters(filters: Sequence[ListFilter]) -> list[dict[str, Any]]:
    return [{"Name": name, "Values": list(values)} for name, values in filters]


def _query_filters(filters: Sequence[QueryFilter]) -> list[dict[str, Any]]:
    return [{"Key": key, "Operator": op, "Value": list(values)} for key, op, values in filters]


def _malformed(action: str, what: Phrase) -> MalformedAnswer:
    return MalformedAnswer(
        phrase(N_("EdgeOne API's answer to {action} {what}"), action=action, what=what),
        action=action,
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _transport_reason(exc: httpx.HTTPError) -> Phrase:
    """Why no HTTP answer came, in words (never the request: it carries the signature)."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return phrase(N_("its TLS certificate is not trusted"))
        if isinstance(cause, ssl.SSLError):
            return phrase(N_("the TLS handshake failed"))
        if isinstance(cause, ConnectionRefusedError):
            return phrase(N_("the connection was refused"))
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, httpx.ConnectError):
        return phrase(N_("no connection could be made"))
    if isinstance(exc, httpx.RemoteProtocolError):
        return phrase(N_("the server closed the connection without an answer"))
    return phrase(N_("the connection failed"))


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
