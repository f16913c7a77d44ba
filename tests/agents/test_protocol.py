"""The wire format: faithful round trips of real probe reports, strict shapes, sizes, signatures."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.agents.keys import SigningKey
from bot.agents.protocol import (
    MAX_RESULT_BYTES,
    MAX_TEXT,
    AgentFacts,
    Heartbeat,
    Job,
    ProtocolError,
    Result,
    decode_heartbeat,
    decode_job,
    decode_result,
    encode_job,
    encode_signed,
    fit_report,
    open_envelope,
)
from bot.probe.models import ProbeReport
from bot.probe.runner import ProbeSettings, probe
from bot.probe.safety import ProbePolicy
from tests.servers import HTTPServer, TLSFixtures

KEY = SigningKey.generate()
FACTS = AgentFacts.here(region="fra", agent_id="fra-1", concurrency=4, pid=42)


@pytest.fixture(scope="module")
def tls() -> Iterator[TLSFixtures]:
    with TLSFixtures() as fixtures:
        yield fixtures


async def _real_report(tls: TLSFixtures) -> ProbeReport:
    """A probe of a loopback HTTPS server with EdgeOne-like headers, compared with an origin."""
    headers = {
        "EO-LOG-UUID": "4105283880544427145",
        "Server": "TencentEdgeOne",
        "EO-Cache-Status": "MISS",
        "Content-Type": "text/html; charset=utf-8",
    }
    with (
        HTTPServer(
            status=502, headers=headers, body=b"bad gateway", ssl_context=tls.server_context()
        ) as edge,
        HTTPServer(body=b"origin ok", ssl_context=tls.server_context()) as origin,
    ):
        policy = ProbePolicy.from_strings(
            networks=["127.0.0.0/8"], ports=[f"{edge.port},{origin.port}"]
        )
        settings = ProbeSettings(policy=policy, ca_file=tls.client_ca_pem_path, deadline=10)
        return await probe(
            edge.url_for("/cart?x=1"), origin=f"127.0.0.1:{origin.port}", settings=settings
        )


def _result(report: ProbeReport | None = None, **changes: object) -> Result:
    fields: dict[str, object] = {
        "job_id": uuid.uuid4().hex,
        "agent": FACTS,
        "kind": "report" if report is not None else "refused",
        "report": report,
        "reason": None if report is not None else "10.0.0.1 is a private network address",
        "finished_at": datetime.now(UTC),
        **changes,
    }
    return Result.model_validate(fields)


async def test_a_real_report_comes_back_equal(tls: TLSFixtures) -> None:
    report = await _real_report(tls)
    assert report.edge.tls.cert is not None  # datetimes inside the certificate travel too
    assert report.origin is not None
    assert report.edge.http.eo_log_uuid == "4105283880544427145"
    data = encode_signed("result", _result(report), KEY)
    envelope = open_envelope(data, "result")
    assert envelope.signed_by(KEY.public)
    back = decode_result(envelope)
    assert back.report == report
    assert back.report is not None
    assert back.report.edge.started_at == report.edge.started_at
    assert back.report.edge.started_at.utcoffset() == timedelta(0)
    assert isinstance(back.report.edge.dns.addresses, tuple)
    assert back.agent == FACTS


def test_a_refusal_travels_with_its_reason() -> None:
    result = decode_result(open_envelope(encode_signed("result", _result(), KEY), "result"))
    assert (result.kind, result.reason) == ("refused", "10.0.0.1 is a private network address")


def test_a_job_has_no_policy_fields() -> None:
    now = datetime.now(UTC)
    job = Job(
        id=uuid.uuid4().hex,
        url="https://shop.example.com/",
        origin="203.0.113.10",
        method="HEAD",
        issued_at=now,
        expires_at=now + timedelta(seconds=20),
    )
    assert decode_job(encode_job(job)) == job
    assert set(Job.model_fields) == {
        "v",
        "id",
        "url",
        "origin",
        "method",
        "issued_at",
        "expires_at",
    }
    for extra in ("allowed_networks", "allowed_ports", "nameservers", "deadline", "policy"):
        raw = json.loads(encode_job(job))
        raw[extra] = ["0.0.0.0/0"]
        with pytest.raises(ProtocolError, match=f"{extra}: Extra inputs are not permitted"):
            decode_job(json.dumps(raw).encode())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param({"v": 2}, "v: Input should be 1", id="version"),
        pytest.param({"id": "../../x"}, "id: String should match pattern", id="job-id"),
        pytest.param({"method": "CONNECT"}, "method: Input should be", id="method"),
        pytest.param({"url": "x" * 3000}, "the job is", id="oversized"),
        pytest.param(
            {"expires_at": "2026-01-01T00:00:00"},
            "expires_at: Input should have timezone",
            id="naive-time",
        ),
    ],
)
def test_malformed_jobs_are_refused_with_a_reason(change: dict[str, object], message: str) -> None:
    now = datetime.now(UTC)
    job = Job(id=uuid.uuid4().hex, url="https://a/", issued_at=now, expires_at=now)
    raw = {**json.loads(encode_job(job)), **change}
    with pytest.raises(ProtocolError, match=message):
        decode_job(json.dumps(raw).encode())


def test_an_oversized_result_is_refused_before_it_is_parsed() -> None:
    data = b'{"v":1,' + b" " * MAX_RESULT_BYTES + b"}"
    with pytest.raises(ProtocolError, match=r"^the result is 64\.0 KiB, more than the 64\.0 KiB"):
        open_envelope(data, "result")


def test_strings_over_the_cap_are_refused() -> None:
    result = json.loads(_result().model_dump_json())
    result["agent"]["hostname"] = "h" * 300
    body = json.dumps(result)
    envelope = open_envelope(
        json.dumps(
            {"v": 1, "kind": "result", "key": KEY.public_text, "sig": "A" * 86 + "==", "body": body}
        ).encode(),
        "result",
    )
    with pytest.raises(ProtocolError, match=r"agent\.hostname: String should have at most 255"):
        decode_result(envelope)


def test_a_report_must_match_its_kind() -> None:
    raw = json.loads(_result().model_dump_json())
    raw["kind"] = "report"
    with pytest.raises(ValueError, match="a report comes with kind 'report' and only then"):
        Result.model_validate_json(json.dumps(raw))


def test_signatures_bind_key_kind_and_body() -> None:
    other = SigningKey.generate()
    data = encode_signed("result", _result(), KEY)
    envelope = open_envelope(data, "result")
    assert envelope.signed_by(KEY.public)
    assert not envelope.signed_by(other.public)
    # the same body with another key named: the signature no longer holds
    raw = json.loads(data)
    raw["key"] = other.public_text
    assert not open_envelope(json.dumps(raw).encode(), "result").signed_by(other.public)
    # a changed body
    raw = json.loads(data)
    raw["body"] = raw["body"].replace("private", "public")
    assert not open_envelope(json.dumps(raw).encode(), "result").signed_by(KEY.public)
    # a heartbeat is not a result
    beat = Heartbeat(agent=FACTS, state="ready", interval_s=5, sent_at=datetime.now(UTC))
    signed = encode_signed("heartbeat", beat, KEY)
    with pytest.raises(ProtocolError, match="expected a result, got a heartbeat"):
        open_envelope(signed, "result")
    assert decode_heartbeat(open_envelope(signed, "heartbeat")) == beat


async def test_fit_report_cuts_what_the_caller_would_refuse(tls: TLSFixtures) -> None:
    report = await _real_report(tls)
    cert = report.edge.tls.cert
    assert cert is not None

    def with_location(length: int) -> ProbeReport:
        http = replace(
            report.edge.http, headers={**report.edge.http.headers, "location": "x" * length}
        )
        sans = tuple(f"n{i}.test" for i in range(500))
        tls_result = replace(report.edge.tls, cert=replace(cert, sans=sans))
        return replace(report, edge=replace(report.edge, http=http, tls=tls_result))

    # too large to send at all
    with pytest.raises(ProtocolError, match=r"^the result is .* KiB, more than 64\.0 KiB"):
        encode_signed("result", _result(with_location(70_000)), KEY)
    # small enough to send, but a string over the cap: the caller refuses it
    signed = encode_signed("result", _result(with_location(3000)), KEY)
    with pytest.raises(ProtocolError, match=r"headers\.location: String should have at most 2048"):
        decode_result(open_envelope(signed, "result"))

    fitted = fit_report(with_location(70_000))
    assert len(fitted.edge.http.headers["location"]) == MAX_TEXT
    assert fitted.edge.http.headers["location"].endswith("… (cut)")
    assert fitted.edge.tls.cert is not None
    assert len(fitted.edge.tls.cert.sans) == 100
    assert fitted.edge.tls.cert.sans[-1] == "… (401 more)"
    back = decode_result(open_envelope(encode_signed("result", _result(fitted), KEY), "result"))
    assert back.report == fitted
    assert fit_report(report) == report  # what fits is left alone
