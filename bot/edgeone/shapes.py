"""The API's answers, as the SDK's ``models.py`` names them, validated on arrival.

Only the fields the bot reads are declared; everything else the API sends is ignored, so a new
field never breaks a call. Field names are the API's own (PascalCase, exactly as in
``tencentcloud.teo.v20220901.models``; a test checks every one against the SDK). Classes carry a
``Shape`` suffix because the API reuses type names as field names (``OriginDetail``, …).

Fields the SDK documents as possibly null are optional here; lists the API leaves out or sends as
null read as empty. A value of the wrong type raises pydantic's ValidationError, which the client
turns into :class:`bot.edgeone.errors.MalformedAnswer`.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict

_T = TypeVar("_T")


def _none_as_empty(value: Any) -> Any:
    return () if value is None else value


# A list the API may leave out or send as null.
Items = Annotated[tuple[_T, ...], BeforeValidator(_none_as_empty)]


class Shape(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class IPRegionInfoShape(Shape):
    IP: str
    IsEdgeOneIP: str


class DescribeIPRegionShape(Shape):
    IPRegionInfo: Items[IPRegionInfoShape] = ()


class ZoneShape(Shape):
    ZoneId: str
    ZoneName: str = ""
    AliasZoneName: str | None = None
    Area: str | None = None
    Type: str | None = None
    Status: str | None = None
    CnameStatus: str | None = None
    ActiveStatus: str | None = None
    Paused: bool | None = None


class DescribeZonesShape(Shape):
    TotalCount: int = 0
    Zones: Items[ZoneShape] = ()


class OriginDetailShape(Shape):
    OriginType: str | None = None
    Origin: str | None = None
    BackupOrigin: str | None = None
    HostHeader: str | None = None


class CertificateInfoShape(Shape):
    CertId: str | None = None
    Alias: str | None = None
    Type: str | None = None
    ExpireTime: str | None = None
    DeployTime: str | None = None
    SignAlgo: str | None = None
    Status: str | None = None


class AccelerationDomainCertificateShape(Shape):
    Mode: str | None = None
    List: Items[CertificateInfoShape] = ()


class AccelerationDomainShape(Shape):
    ZoneId: str | None = None
    DomainName: str
    DomainStatus: str | None = None
    Cname: str | None = None
    OriginDetail: OriginDetailShape | None = None
    OriginProtocol: str | None = None
    HttpOriginPort: int | None = None
    HttpsOriginPort: int | None = None
    Certificate: AccelerationDomainCertificateShape | None = None


class DescribeAccelerationDomainsShape(Shape):
    TotalCount: int = 0
    AccelerationDomains: Items[AccelerationDomainShape] = ()


class CnameStatusShape(Shape):
    RecordName: str
    Cname: str | None = None
    Status: str | None = None


class CheckCnameStatusShape(Shape):
    CnameStatus: Items[CnameStatusShape] = ()


class AddressesShape(Shape):
    IPv4: Items[str] = ()
    IPv6: Items[str] = ()


class CurrentOriginACLShape(Shape):
    EntireAddresses: AddressesShape | None = None
    Version: str | None = None
    ActiveTime: str | None = None
    IsPlaned: str | None = None


class NextOriginACLShape(Shape):
    Version: str | None = None
    PlannedActiveTime: str | None = None
    EntireAddresses: AddressesShape | None = None
    AddedAddresses: AddressesShape | None = None
    RemovedAddresses: AddressesShape | None = None
    NoChangeAddresses: AddressesShape | None = None


class OriginACLInfoShape(Shape):
    L7Hosts: Items[str] = ()
    L4ProxyIds: Items[str] = ()
    CurrentOriginACL: CurrentOriginACLShape | None = None
    NextOriginACL: NextOriginACLShape | None = None
    Status: str | None = None


class DescribeOriginACLShape(Shape):
    OriginACLInfo: OriginACLInfoShape | None = None


class RealtimeLogDeliveryTaskShape(Shape):
    TaskId: str | None = None
    TaskName: str | None = None
    DeliveryStatus: str | None = None
    TaskType: str | None = None
    EntityList: Items[str] = ()
    LogType: str | None = None
    Area: str | None = None
    Sample: int | None = None


class DescribeRealtimeLogDeliveryTasksShape(Shape):
    TotalCount: int = 0
    RealtimeLogDeliveryTasks: Items[RealtimeLogDeliveryTaskShape] = ()


class LogItemShape(Shape):
    Timestamp: int | None = None
    LogJson: str


class DescribeLogAnalysisDetailShape(Shape):
    TotalCount: int = 0
    LogDetail: Items[LogItemShape] = ()


class L7OfflineLogShape(Shape):
    Domain: str | None = None
    Area: str | None = None
    LogPacketName: str | None = None
    Url: str
    LogStartTime: str | None = None
    LogEndTime: str | None = None
    Size: int | None = None


class DownloadL7LogsShape(Shape):
    TotalCount: int = 0
    Data: Items[L7OfflineLogShape] = ()


class TimingDataItemShape(Shape):
    Timestamp: int
    Value: float


class TimingTypeValueShape(Shape):
    MetricName: str | None = None
    Sum: float | None = None
    Max: float | None = None
    Avg: float | None = None
    Detail: Items[TimingDataItemShape] = ()


class TimingDataRecordShape(Shape):
    TypeKey: str | None = None
    TypeValue: Items[TimingTypeValueShape] = ()


class DescribeTimingL7AnalysisDataShape(Shape):
    TotalCount: int = 0
    Data: Items[TimingDataRecordShape] = ()


class TopDetailDataShape(Shape):
    Key: str
    Value: float


class TopDataRecordShape(Shape):
    TypeKey: str | None = None
    DetailData: Items[TopDetailDataShape] = ()


class DescribeTopL7AnalysisDataShape(Shape):
    TotalCount: int = 0
    Data: Items[TopDataRecordShape] = ()


class FailReasonShape(Shape):
    Reason: str | None = None
    Targets: Items[str] = ()


class CreatePurgeTaskShape(Shape):
    JobId: str | None = None
    FailedList: Items[FailReasonShape] = ()


class TaskShape(Shape):
    JobId: str | None = None
    Target: str | None = None
    Type: str | None = None
    Method: str | None = None
    Status: str | None = None
    CreateTime: str | None = None
    UpdateTime: str | None = None
    FailType: str | None = None
    FailMessage: str | None = None


class DescribePurgeTasksShape(Shape):
    TotalCount: int = 0
    Tasks: Items[TaskShape] = ()


# Each action the bot calls, with the shape of its answer (the part inside "Response").
ANSWERS: dict[str, type[Shape]] = {
    "DescribeIPRegion": DescribeIPRegionShape,
    "DescribeZones": DescribeZonesShape,
    "DescribeAccelerationDomains": DescribeAccelerationDomainsShape,
    "CheckCnameStatus": CheckCnameStatusShape,
    "DescribeOriginACL": DescribeOriginACLShape,
    "DescribeRealtimeLogDeliveryTasks": DescribeRealtimeLogDeliveryTasksShape,
    "DescribeLogAnalysisDetail": DescribeLogAnalysisDetailShape,
    "DownloadL7Logs": DownloadL7LogsShape,
    "DescribeTimingL7AnalysisData": DescribeTimingL7AnalysisDataShape,
    "DescribeTopL7AnalysisData": DescribeTopL7AnalysisDataShape,
    "CreatePurgeTask": CreatePurgeTaskShape,
    "DescribePurgeTasks": DescribePurgeTasksShape,
}
# What the read-only CAM policy must allow, and what purging needs besides (its own policy).
PURGE_ACTIONS = ("CreatePurgeTask", "DescribePurgeTasks")
VIEW_ACTIONS = tuple(a for a in ANSWERS if a not in PURGE_ACTIONS)
