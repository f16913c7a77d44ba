"""The fake API itself: it answers in the SDK's shapes, refuses what the real API refuses, and our
answer shapes name only fields the SDK knows."""

from __future__ import annotations

import json
import time
import typing
import warnings
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import BaseModel
from tencentcloud.common.abstract_client_async import AbstractClient
from tencentcloud.teo.v20220901 import models as sdk_models

from bot.edgeone import shapes
from tests.servers.teo import (
    HOST,
    SECRET_ID,
    SECRET_KEY,
    ZONE_ID,
    FakeTeo,
    log_line,
    log_task,
    offline_log,
    origin_acl,
    sdk_fields,
    tc3_signature,
    traffic,
)

NOW = datetime.now(UTC)
# One request per action, as the client sends it.
REQUESTS: dict[str, dict[str, Any]] = {
    "DescribeIPRegion": {"IPs": ["43.175.1.10"]},
    "DescribeZones": {"Offset": 0, "Limit": 100, "Filters": []},
    "DescribeAccelerationDomains": {"ZoneId": ZONE_ID, "Offset": 0, "Limit": 200},
    "CheckCnameStatus": {"ZoneId": ZONE_ID, "RecordNames": [HOST]},
    "DescribeOriginACL": {"ZoneId": ZONE_ID},
    "DescribeRealtimeLogDeliveryTasks": {"ZoneId": ZONE_ID},
    "DescribeLogAnalysisDetail": {
        "ZoneId": ZONE_ID,
        "Area": "overseas",
        "StartTime": (NOW - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "EndTime": NOW.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Condition": "${RequestID} in ['4105283880544427145']",
    },
    "DownloadL7Logs": {
        "StartTime": (NOW - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "EndTime": NOW.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "ZoneIds": [ZONE_ID],
    },
    "DescribeTimingL7AnalysisData": {
        "StartTime": (NOW - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "EndTime": NOW.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "MetricNames": ["l7Flow_request"],
        "ZoneIds": [ZONE_ID],
        "Interval": "min",
    },
    "DescribeTopL7AnalysisData": {
        "StartTime": (NOW - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "EndTime": NOW.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "MetricName": "l7Flow_request_statusCode",
        "ZoneIds": [ZONE_ID],
    },
    "CreatePurgeTask": {"ZoneId": ZONE_ID, "Type": "purge_url", "Targets": [f"https://{HOST}/"]},
    "DescribePurgeTasks": {"ZoneId": ZONE_ID},
}


@pytest.fixture
def rich() -> FakeTeo:
    """A fake whose world has something in every list (so every nested shape is checked)."""
    fake = FakeTeo()
    world = fake.world
    world.acls[ZONE_ID] = origin_acl(planned=NOW + timedelta(days=7), added=["43.176.0.0/16"])
    world.log_tasks[ZONE_ID] = [log_task()]
    world.logs.append(log_line("4105283880544427145", at=NOW - timedelta(minutes=5)))
    world.offline_logs.append(offline_log((NOW - timedelta(hours=1)).replace(minute=0)))
    world.traffic[HOST] = traffic(failing_from=50, failures={524: 10})
    return fake


@pytest.mark.parametrize("action", list(REQUESTS))
def test_answers_match_the_sdk_models(rich: FakeTeo, action: str) -> None:
    params = dict(REQUESTS[action])
    if action == "DescribePurgeTasks":
        job = rich._do_CreatePurgeTask(REQUESTS["CreatePurgeTask"])["JobId"]
        params["Filters"] = [{"Name": "job-id", "Values": [job]}]
    answer = getattr(rich, f"_do_{action}")(params)
    assert answer, "an empty answer checks nothing"
    model = getattr(sdk_models, f"{action}Response")()
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        model._deserialize({**answer, "RequestId": "r"})
    useless = [str(w.message) for w in seen if "useless" in str(w.message)]
    assert useless == [], f"{action} answers fields the SDK does not know: {useless}"
    # And our own shapes read it.
    shapes.ANSWERS[action].model_validate(answer)


def _shape_classes() -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = []
    todo: list[type[BaseModel]] = list(shapes.ANSWERS.values())
    while todo:
        cls = todo.pop()
        if cls in found:
            continue
        found.append(cls)
        for hint in typing.get_type_hints(cls, include_extras=True).values():
            for arg in _flatten(hint):
                if isinstance(arg, type) and issubclass(arg, shapes.Shape):
                    todo.append(arg)
    return found


def _flatten(hint: Any) -> list[Any]:
    out = [hint]
    for arg in typing.get_args(hint):
        out += _flatten(arg)
    return out


@pytest.mark.parametrize("shape", _shape_classes(), ids=lambda c: c.__name__)
def test_shape_fields_are_the_sdks(shape: type[BaseModel]) -> None:
    name = shape.__name__.removesuffix("Shape")
    sdk_name = f"{name}Response" if name in shapes.ANSWERS else name
    known = sdk_fields(getattr(sdk_models, sdk_name))
    assert set(shape.model_fields) <= known, set(shape.model_fields) - known


def test_signature_agrees_with_the_sdks_algorithm() -> None:
    """The fake's own TC3 implementation gives the SDK's signature for the same request."""
    body = json.dumps({"ZoneId": ZONE_ID}).encode()
    headers = {
        "Content-Type": "application/json",
        "Host": "127.0.0.1:8080",
        "X-TC-Timestamp": "1735689600",
    }
    theirs = AbstractClient._get_tc3_signature(
        "POST", "/", "", body, headers, "2025-01-01", "teo", SECRET_KEY, {}
    )
    ours = tc3_signature(
        SECRET_KEY,
        method="POST",
        path="/",
        query="",
        content_type="application/json",
        host="127.0.0.1:8080",
        payload=body,
        timestamp=1735689600,
    )
    assert ours == theirs
    assert ours != tc3_signature(
        SECRET_KEY + "x",
        method="POST",
        path="/",
        query="",
        content_type="application/json",
        host="127.0.0.1:8080",
        payload=body,
        timestamp=1735689600,
    )


def _post(
    fake: FakeTeo,
    action: str,
    params: dict[str, Any],
    *,
    version: str = "2022-09-01",
    timestamp: int | None = None,
    secret: str = SECRET_KEY,
    sign: bool = True,
) -> dict[str, Any]:
    body = json.dumps(params).encode()
    stamp = int(time.time()) if timestamp is None else timestamp
    headers = {
        "Content-Type": "application/json",
        "Host": fake.endpoint,
        "X-TC-Action": action,
        "X-TC-Version": version,
        "X-TC-Timestamp": str(stamp),
    }
    if sign:
        date = datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d")
        signature = tc3_signature(
            secret,
            method="POST",
            path="/",
            query="",
            content_type="application/json",
            host=fake.endpoint,
            payload=body,
            timestamp=stamp,
        )
        headers["Authorization"] = (
            f"TC3-HMAC-SHA256 Credential={SECRET_ID}/{date}/teo/tc3_request, "
            f"SignedHeaders=content-type;host, Signature={signature}"
        )
    answer = httpx.post(f"http://{fake.endpoint}/", content=body, headers=headers, timeout=5)
    data: dict[str, Any] = answer.json()["Response"]
    return data


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({}, None),
        ({"sign": False}, "AuthFailure.InvalidAuthorization"),
        ({"secret": "not-the-key"}, "AuthFailure.SignatureFailure"),
        ({"timestamp": int(time.time()) - 900}, "AuthFailure.SignatureExpire"),
        ({"version": "2021-01-01"}, "NoSuchVersion"),
        ({"action": "DescribeEverything"}, "InvalidAction"),
        ({"params": {"ZoneId": ZONE_ID, "Zone": "x"}}, "UnknownParameter"),
        ({"params": {}}, "MissingParameter"),
    ],
    ids=["ok", "unsigned", "wrong-key", "stale", "version", "action", "unknown-param", "missing"],
)
def test_fake_refuses_what_the_api_refuses(change: dict[str, Any], code: str | None) -> None:
    with FakeTeo() as fake:
        action = change.pop("action", "DescribeOriginACL")
        params = change.pop("params", {"ZoneId": ZONE_ID})
        answer = _post(fake, action, params, **change)
    assert answer.get("Error", {}).get("Code") == code
    assert answer["RequestId"]
    if code is None:
        assert answer["OriginACLInfo"]["Status"] == "online"
