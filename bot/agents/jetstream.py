"""Where things live on NATS, and connecting to it.

With the prefix ``eo`` (``EO_NATS_PREFIX``):

=============================  ================================================================
``eo.jobs.<region>``           jobs for one region, in the stream ``eo_JOBS``
``eo_JOBS``                    a work-queue stream in memory: a job leaves it once acknowledged;
                               jobs nobody takes are dropped after ``JOBS_MAX_AGE_S``
consumer ``agents-<region>``   one durable pull consumer per region, shared by all of that
                               region's agents: each job goes to exactly one of them
``eo.results.<job>.<region>``  results, on plain NATS subjects (the caller listens to
                               ``eo.results.<job>.*`` while it waits; nobody else needs them)
bucket ``eo-agents``           heartbeats, key ``<region>.<agent id>``; an entry lives
                               ``HEARTBEAT_MISSES`` heartbeat intervals unless renewed
=============================  ================================================================

A job addressed to several regions (or to all) is published once per region, so it runs once in
each region and once only, however many agents a region has. The stream and the bucket live in
memory: after a NATS restart whoever connects first creates them again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    DiscardPolicy,
    KeyValueConfig,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.kv import KeyValue

from bot.agents.protocol import MAX_JOB_BYTES
from bot.agents.settings import NatsSettings

JOBS_MAX_AGE_S = 300.0  # a job is useless long before this; the age only bounds the stream
JOBS_MAX_MSGS = 100_000
ACK_WAIT_S = 120.0  # jobs are acknowledged when taken; this only matters for a lost ack
HEARTBEAT_MISSES = 3
# Errors nats-py raises when the connection or the server is not there (or not in time).
NATS_ERRORS: tuple[type[BaseException], ...] = (
    nats.errors.Error,
    nats.js.errors.Error,
    OSError,
    TimeoutError,
)


@dataclass(frozen=True, slots=True)
class Layout:
    """Names of subjects, stream, consumers and bucket under one prefix."""

    prefix: str

    @property
    def jobs_stream(self) -> str:
        return f"{self.prefix}_JOBS"

    @property
    def jobs_subjects(self) -> str:
        return f"{self.prefix}.jobs.>"

    def job_subject(self, region: str) -> str:
        return f"{self.prefix}.jobs.{region}"

    def consumer(self, region: str) -> str:
        return f"agents-{region}"

    def result_subject(self, job_id: str, region: str) -> str:
        return f"{self.prefix}.results.{job_id}.{region}"

    def results_of(self, job_id: str) -> str:
        return f"{self.prefix}.results.{job_id}.*"

    @property
    def bucket(self) -> str:
        return f"{self.prefix}-agents"

    @staticmethod
    def heartbeat_key(region: str, agent_id: str) -> str:
        return f"{region}.{agent_id}"

    @staticmethod
    def region_of_key(key: str) -> str:
        return key.partition(".")[0]


async def connect(
    settings: NatsSettings,
    *,
    name: str,
    reconnect: bool,
    on_disconnect: Callable[[], Awaitable[None]] | None = None,
    on_reconnect: Callable[[], Awaitable[None]] | None = None,
    on_error: Callable[[Exception], None] | None = None,
) -> Client:
    """Connect to NATS. ``reconnect=True`` (agents) keeps trying for ever, also for the first
    connection; ``False`` (the caller) tries each server twice at once and raises (the reason, not
    "no servers"), and the connection closes when lost, to be opened again by the next call.
    ``on_error`` hears of every failed attempt."""

    seen: list[Exception] = []  # the last few: they say why "no servers" happened

    async def error_cb(exc: Exception) -> None:
        seen[:] = [*seen[-3:], exc]
        if on_error is not None:  # nats-py reports every failed attempt here
            on_error(exc)

    async def disconnected_cb() -> None:
        if on_disconnect is not None:
            await on_disconnect()

    async def reconnected_cb() -> None:
        if on_reconnect is not None:
            await on_reconnect()

    options: dict[str, Any] = settings.connect_options()
    try:
        return await nats.connect(
            name=name,
            connect_timeout=max(1, round(settings.connect_timeout_s)),
            allow_reconnect=True,
            # nats-py reads 0 as "for ever", like -1; 1 means: each server twice, then give up.
            max_reconnect_attempts=-1 if reconnect else 1,
            reconnect_time_wait=1 if reconnect else 0,
            ping_interval=max(1, round(settings.heartbeat_s * 2)),
            max_outstanding_pings=2,
            error_cb=error_cb,
            disconnected_cb=disconnected_cb,
            reconnected_cb=reconnected_cb,
            **options,
        )
    except nats.errors.NoServersError:
        # A refused login says more than the broken pipe that may follow it.
        telling = [e for e in seen if _is_auth_error(e)] or seen
        if telling:
            raise telling[-1] from None
        raise


def describe(exc: BaseException) -> str:
    """A plain sentence for a NATS failure (no exception class names)."""
    if isinstance(exc, nats.errors.NoServersError):
        return "no server answered"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError | nats.errors.TimeoutError):
        return "no answer in time"
    if isinstance(exc, nats.errors.ConnectionClosedError | nats.errors.StaleConnectionError):
        return "the connection was lost"
    if isinstance(exc, nats.errors.NoRespondersError):
        return "JetStream is not available on that server (start it with -js)"
    if _is_auth_error(exc):
        return "the server refused the credentials (EO_NATS_TOKEN / EO_NATS_USER / EO_NATS_CREDS)"
    if isinstance(exc, OSError):
        return exc.strerror or "a network error"
    text = str(exc).strip()
    if text.startswith("nats: "):
        text = text[len("nats: ") :]
    return text[:200] or "an error"


def _is_auth_error(exc: BaseException) -> bool:
    # nats-py raises AuthorizationError, or a plain error quoting the server's -ERR line
    return isinstance(exc, nats.errors.AuthorizationError) or "authorization" in str(exc).lower()


async def ensure_jobs_stream(js: JetStreamContext, layout: Layout) -> None:
    """Create the jobs stream unless it exists (either side may be first to connect)."""
    try:
        await js.stream_info(layout.jobs_stream)
        return
    except nats.js.errors.NotFoundError:
        pass
    config = StreamConfig(
        name=layout.jobs_stream,
        subjects=[layout.jobs_subjects],
        retention=RetentionPolicy.WORK_QUEUE,
        storage=StorageType.MEMORY,
        discard=DiscardPolicy.OLD,
        max_age=JOBS_MAX_AGE_S,
        max_msgs=JOBS_MAX_MSGS,
        max_msg_size=MAX_JOB_BYTES,
        duplicate_window=60.0,
    )
    try:
        await js.add_stream(config)
    except nats.js.errors.BadRequestError:
        # Another process created it between our two calls (with the same settings).
        await js.stream_info(layout.jobs_stream)


async def ensure_consumer(js: JetStreamContext, layout: Layout, region: str) -> None:
    """The region's durable pull consumer; creating it again with the same config is a no-op."""
    await js.add_consumer(
        layout.jobs_stream,
        ConsumerConfig(
            durable_name=layout.consumer(region),
            filter_subject=layout.job_subject(region),
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=ACK_WAIT_S,
            max_ack_pending=10_000,
            max_waiting=512,
        ),
    )


async def heartbeat_bucket(js: JetStreamContext, layout: Layout, heartbeat_s: float) -> KeyValue:
    """The heartbeat bucket, created (in memory, entries expiring) when missing."""
    try:
        return await js.key_value(layout.bucket)
    except nats.js.errors.BucketNotFoundError:
        pass
    return await js.create_key_value(
        KeyValueConfig(
            bucket=layout.bucket,
            history=1,
            ttl=heartbeat_s * HEARTBEAT_MISSES,
            storage=StorageType.MEMORY,
            max_value_size=8 * 1024,
        )
    )
