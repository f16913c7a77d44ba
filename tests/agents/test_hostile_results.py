"""What the caller does with results it must not believe.

A hand-made agent on the shared NATS takes the job from the region's consumer (announcing itself
with a heartbeat signed by the region's trusted key, as a real agent would) and answers with what
each case needs: junk, an oversized message, a result signed by another key, a tampered one... A
real agent never sends these; a buggy, compromised or impostor one might.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import nats
import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext

from bot.agents.caller import RegionalProber
from bot.agents.jetstream import (
    Layout,
    ensure_consumer,
    ensure_jobs_stream,
    heartbeat_bucket,
)
from bot.agents.keys import SigningKey
from bot.agents.protocol import (
    AgentFacts,
    Heartbeat,
    Job,
    Result,
    decode_job,
    encode_signed,
)
from bot.probe.models import (
    ConnectResult,
    DNSResult,
    HTTPResult,
    ProbeReport,
    ProbeResult,
    Timings,
    TLSResult,
)
from tests.agents.harness import SHARED_URL, caller_settings, new_prefix, purge

REGION = "evl"
TRUSTED = SigningKey.generate()
OTHER = SigningKey.generate()


def _facts(region: str = REGION) -> AgentFacts:
    return AgentFacts(
        region=region,
        agent_id="fake-1",
        version="0.0.0",
        hostname="fake",
        system="Linux",
        python="3.11",
        pid=1,
        concurrency=1,
    )


def _report() -> ProbeReport:
    now = datetime.now(UTC)
    return ProbeReport(
        edge=ProbeResult(
            url="http://shop.test/",
            host="shop.test",
            scheme="http",
            port=80,
            target="shop.test",
            started_at=now,
            dns=DNSResult(status="ok", addresses=("127.0.0.1",), ms=1.0),
            connect=ConnectResult(status="ok", ip="127.0.0.1", port=80, ms=1.0),
            tls=TLSResult(status="skipped"),
            http=HTTPResult(status="ok", status_code=200, ttfb_ms=2.0),
            timings=Timings(dns_ms=1.0, connect_ms=1.0, server_ms=2.0, total_ms=4.0),
        )
    )


def _result(job: Job, *, region: str = REGION, job_id: str | None = None) -> Result:
    return Result(
        job_id=job_id or job.id,
        agent=_facts(region),
        kind="report",
        report=_report(),
        finished_at=datetime.now(UTC),
    )


def _envelope(kind: str, body: str, key: SigningKey, *, signed_body: str | None = None) -> bytes:
    sig = key.sign(f"{kind}\n{signed_body if signed_body is not None else body}".encode())
    return json.dumps(
        {
            "v": 1,
            "kind": kind,
            "key": key.public_text,
            "sig": base64.b64encode(sig).decode(),
            "body": body,
        }
    ).encode()


class FakeAgent:
    def __init__(self, prefix: str) -> None:
        self.layout = Layout(prefix)
        self.nc: Client | None = None

    async def start(self) -> None:
        self.nc = await nats.connect(SHARED_URL, connect_timeout=2, allow_reconnect=False)
        js = self.nc.jetstream()
        await ensure_jobs_stream(js, self.layout)
        await ensure_consumer(js, self.layout, REGION)
        kv = await heartbeat_bucket(js, self.layout, 5.0)
        beat = Heartbeat(agent=_facts(), state="ready", interval_s=5.0, sent_at=datetime.now(UTC))
        await kv.put(f"{REGION}.fake-1", encode_signed("heartbeat", beat, TRUSTED))
        self.psub = await js.pull_subscribe_bind(
            self.layout.consumer(REGION), self.layout.jobs_stream
        )

    @property
    def js(self) -> JetStreamContext:
        assert self.nc is not None
        return self.nc.jetstream()

    async def answer(self, make: Callable[[Job], list[bytes]]) -> Job:
        assert self.nc is not None
        (msg,) = await self.psub.fetch(1, timeout=10)
        await msg.ack()
        job = decode_job(msg.data)
        for data in make(job):
            await self.nc.publish(self.layout.result_subject(job.id, REGION), data)
        await self.nc.flush()
        return job

    async def close(self) -> None:
        if self.nc is not None:
            await self.nc.close()


@pytest.fixture
async def setup(shared_nats: str) -> AsyncIterator[tuple[FakeAgent, RegionalProber]]:
    prefix = new_prefix()
    fake = FakeAgent(prefix)
    await fake.start()
    settings = caller_settings(shared_nats, prefix, {REGION: [TRUSTED], "fra": [OTHER]})
    try:
        async with RegionalProber(settings) as prober:
            yield fake, prober
    finally:
        await fake.close()
        await purge(shared_nats, prefix)


async def _probe(
    fake: FakeAgent,
    prober: RegionalProber,
    make: Callable[[Job], list[bytes]],
    *,
    deadline: float = 1.0,
) -> tuple[str, str, tuple[str, ...]]:
    """Probe evl; ``deadline`` is how long the caller waits when nothing acceptable comes (a
    case that expects an accepted or attributable answer gets a long one: it ends earlier)."""
    run, _ = await asyncio.gather(
        prober.probe("http://shop.test/", regions=[REGION], deadline=deadline), fake.answer(make)
    )
    (outcome,) = run.outcomes
    return outcome.kind, outcome.text, run.notes


async def test_a_proper_result_is_accepted(setup: tuple[FakeAgent, RegionalProber]) -> None:
    # The control: this harness's good answer is believed, so the refusals below are meaningful.
    fake, prober = setup
    kind, text, notes = await _probe(
        fake, prober, lambda job: [encode_signed("result", _result(job), TRUSTED)], deadline=10
    )
    assert (kind, text, notes) == ("report", "", ())


async def test_an_oversized_result_is_rejected_and_reported(
    setup: tuple[FakeAgent, RegionalProber],
) -> None:
    fake, prober = setup
    kind, text, notes = await _probe(fake, prober, lambda job: [b"{" + b" " * 70_000 + b"}"])
    assert kind == "malformed"
    assert text == "a result for evl was rejected: it is 68 KiB, more than 64 KiB"
    assert notes == ("an oversized result for evl was rejected (it is 68 KiB, more than 64 KiB)",)


async def test_junk_is_rejected_and_reported(setup: tuple[FakeAgent, RegionalProber]) -> None:
    fake, prober = setup
    kind, text, _ = await _probe(fake, prober, lambda job: [b"\xff not json"])
    assert kind == "malformed"
    assert text.startswith("a result for evl was rejected: the result is malformed:")


async def test_a_signed_but_malformed_result_ends_the_wait_with_a_rejection(
    setup: tuple[FakeAgent, RegionalProber],
) -> None:
    fake, prober = setup

    def make(job: Job) -> list[bytes]:
        body = json.loads(_result(job).model_dump_json())
        body["report"] = None  # kind "report" without one
        body["extra"] = "x"
        return [_envelope("result", json.dumps(body), TRUSTED)]

    kind, text, _ = await _probe(fake, prober, make, deadline=10)
    assert kind == "malformed"
    assert text.startswith("the result from evl was rejected: the result is malformed: ")
    assert "extra: Extra inputs are not permitted" in text


async def test_a_result_signed_by_another_regions_key_is_ignored(
    setup: tuple[FakeAgent, RegionalProber],
) -> None:
    fake, prober = setup
    kind, text, notes = await _probe(
        fake, prober, lambda job: [encode_signed("result", _result(job), OTHER)]
    )
    assert kind == "no_agent"
    assert text == (
        "no agent answered in evl in time (1 result from an agent not allowed for evl was ignored)"
    )
    assert notes == ("a result for evl from an agent not allowed for evl was ignored",)


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        pytest.param(
            lambda job: [
                _envelope(
                    "result",
                    _result(job).model_dump_json(),
                    TRUSTED,
                    signed_body=_result(job, job_id="0" * 32).model_dump_json(),
                )
            ],
            "its signature does not match",
            id="tampered-body",
        ),
        pytest.param(
            lambda job: [_envelope("heartbeat", _result(job).model_dump_json(), TRUSTED)],
            "expected a result, got a heartbeat",
            id="heartbeat-replayed-as-result",
        ),
    ],
)
async def test_a_forged_result_is_rejected_without_ending_the_wait(
    setup: tuple[FakeAgent, RegionalProber],
    make: Callable[[Job], list[bytes]],
    reason: str,
) -> None:
    fake, prober = setup
    kind, text, _ = await _probe(fake, prober, make)
    assert kind == "malformed"
    assert text == f"a result for evl was rejected: {reason}"


async def test_a_forgery_does_not_hide_the_real_answer_that_follows(
    setup: tuple[FakeAgent, RegionalProber],
) -> None:
    fake, prober = setup

    def make(job: Job) -> list[bytes]:
        return [
            b"junk",
            encode_signed("result", _result(job), OTHER),
            encode_signed("result", _result(job), TRUSTED),
        ]

    kind, _, notes = await _probe(fake, prober, make, deadline=10)
    assert kind == "report"
    assert len(notes) == 2


@pytest.mark.parametrize(
    ("make", "note"),
    [
        pytest.param(
            lambda job: [encode_signed("result", _result(job, job_id="a" * 32), TRUSTED)],
            "a result for another job or region on evl was ignored",
            id="another-job",
        ),
        pytest.param(
            lambda job: [encode_signed("result", _result(job, region="fra"), TRUSTED)],
            "a result for another job or region on evl was ignored",
            id="claims-another-region",
        ),
    ],
)
async def test_a_result_for_something_else_is_ignored(
    setup: tuple[FakeAgent, RegionalProber], make: Callable[[Job], list[bytes]], note: str
) -> None:
    fake, prober = setup
    kind, text, notes = await _probe(fake, prober, make)
    assert kind == "no_agent"
    assert text == "no agent answered in evl in time"
    assert notes == (note,)


async def test_a_flood_of_junk_is_bounded_and_summed_up(
    setup: tuple[FakeAgent, RegionalProber],
) -> None:
    fake, prober = setup
    kind, text, notes = await _probe(fake, prober, lambda job: [b"junk %d" % i for i in range(400)])
    assert kind == "malformed"
    assert text.startswith("a result for evl was rejected: the result is malformed")
    assert len(notes) == 21
    assert notes[-1].endswith("more messages were set aside")
    assert int(notes[-1].split()[0]) >= 400 - 20 - 256  # what the bounded queue let through


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"regions": []}, "name at least one region", id="no-region"),
        pytest.param({"regions": ["Bad.Name"]}, "is not a region name", id="bad-region"),
        pytest.param({"deadline": 0.1}, "the deadline must be 0.5-60 s", id="deadline"),
        pytest.param({"origin": "x" * 300}, "the origin must be 1-255", id="origin"),
    ],
)
async def test_invalid_requests_are_refused_in_words(
    setup: tuple[FakeAgent, RegionalProber], kwargs: dict[str, object], message: str
) -> None:
    _, prober = setup
    with pytest.raises(ValueError, match=message):
        await prober.probe("http://shop.test/", **kwargs)  # type: ignore[arg-type]
