"""The regional probe agent: takes jobs for its region from JetStream, probes, publishes results.

An agent runs the same probe as the bot, with the safety policy of its own environment
(``EO_PROBE_ALLOW_NETWORKS``, ``EO_PROBE_ALLOW_PORTS``, ``EO_PROBE_NAMESERVERS``, ...). A job only
names what to probe; the one thing it can change is to make the probe's deadline shorter.

Life of an agent:

* connect (for ever, a line in the log while NATS does not answer), make sure the jobs stream,
  the region's consumer and the heartbeat bucket exist, announce itself every heartbeat interval;
* while fewer than ``concurrency`` probes run, ask the region's shared consumer for one more job;
  acknowledge it when it is taken (a job runs at most once: a probe is cheap to ask again, a
  second run of the same job would only confuse), probe, sign and publish the result;
* a job that expired before it was taken is not probed: the log and a "failed" result say so;
* ``stop`` set (SIGTERM): the heartbeat says "draining" at once (callers send no more jobs here)
  and no new job is taken (one that arrives in the meantime is handed back to the region's other
  agents); running probes finish and their results are sent; the heartbeat is removed and the
  agent disconnects;
* NATS gone: the agent waits and retries; when it is back, the stream, consumer and bucket are
  created again if the restart lost them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import socket
import time
from dataclasses import replace
from datetime import UTC, datetime

import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.kv import KeyValue

from bot.agents.jetstream import (
    NATS_ERRORS,
    Layout,
    connect,
    describe,
    ensure_consumer,
    ensure_jobs_stream,
    heartbeat_bucket,
)
from bot.agents.names import parse_region
from bot.agents.protocol import (
    MAX_HEARTBEAT_BYTES,
    MAX_REASON,
    AgentFacts,
    Heartbeat,
    Job,
    ProtocolError,
    Result,
    ResultKind,
    decode_job,
    encode_signed,
    fit_report,
)
from bot.agents.settings import AgentSettings
from bot.probe.models import ProbeReport
from bot.probe.runner import ProbeSettings, probe
from bot.probe.safety import TargetRefused

log = logging.getLogger(__name__)

POLL_S = 1.0  # how long one request for a job waits; bounds how fast a puller sees `stop`
# Requests for jobs in flight at once (each for one job, while a slot is free): more take a
# burst faster, but every idle one is renewed each POLL_S.
PULLERS = 4
SEND_MARGIN_S = 0.25  # of a job's time left, kept for sending the result back
MIN_BUDGET_S = 0.3  # less time left than this: the job is expired
RETRY_S = 0.5  # pause after a NATS error before trying again
_ID_CHARS = re.compile(r"[^A-Za-z0-9_-]+")


async def run_agent(
    settings: AgentSettings,
    region: str,
    probe_settings: ProbeSettings,
    *,
    stop: asyncio.Event | None = None,
) -> None:
    """Run an agent for ``region`` until ``stop`` is set, then drain and return."""
    await Agent(settings, region, probe_settings).run(stop or asyncio.Event())


def default_agent_id() -> str:
    host = _ID_CHARS.sub("-", socket.gethostname()).strip("-")[:40] or "agent"
    return f"{host}-{os.getpid()}"


class Agent:
    def __init__(self, settings: AgentSettings, region: str, probe_settings: ProbeSettings) -> None:
        self.settings = settings
        self.region = parse_region(region, what="--region")
        self.agent_id = settings.agent_id or default_agent_id()
        self.probe_settings = probe_settings
        self.layout = Layout(settings.nats.prefix)
        self.facts = AgentFacts.here(
            region=self.region,
            agent_id=self.agent_id,
            concurrency=settings.concurrency,
            pid=os.getpid(),
        )
        self._draining = False
        self._slots = asyncio.Semaphore(settings.concurrency)
        self._running: set[asyncio.Task[None]] = set()
        self._nc: Client | None = None
        self._kv: KeyValue | None = None
        self._setup_lock = asyncio.Lock()
        self._ready = False  # stream, consumer and bucket known to exist
        self._wake_heartbeat = asyncio.Event()
        self._last_error: tuple[str, float] = ("", 0.0)

    @property
    def key(self) -> str:
        return self.layout.heartbeat_key(self.region, self.agent_id)

    async def run(self, stop: asyncio.Event) -> None:
        nc = await self._connect(stop)
        if nc is None:
            return
        self._nc = nc
        js = nc.jetstream()
        log.info(
            "agent %s of region %s connected to %s; probing with its own policy "
            "(extra networks: %s; ports: %s)",
            self.agent_id,
            self.region,
            self.settings.nats.display,
            ", ".join(str(n) for n in self.probe_settings.policy.allowed_networks) or "none",
            ", ".join(str(p) for p in sorted(self.probe_settings.policy.allowed_ports)),
        )
        heartbeats = asyncio.create_task(self._heartbeats(js))
        pullers = [
            asyncio.create_task(self._pull(js))
            for _ in range(min(PULLERS, self.settings.concurrency))
        ]
        try:
            await stop.wait()
            self._draining = True
            log.info("agent %s draining: no new jobs; finishing the running ones", self.agent_id)
            self._wake_heartbeat.set()  # announce "draining" now: callers stop sending jobs here
            # Each puller ends its current wait for a job, handing back what comes meanwhile.
            await asyncio.gather(*pullers, return_exceptions=True)
            await asyncio.gather(*self._running, return_exceptions=True)
            heartbeats.cancel()
            await self._withdraw(js)
        finally:
            for task in (heartbeats, *pullers, *self._running):
                task.cancel()
            with contextlib.suppress(*NATS_ERRORS):
                await nc.flush(timeout=2)
            with contextlib.suppress(*NATS_ERRORS):
                await nc.close()
        log.info("agent %s stopped", self.agent_id)

    # -- connection and setup -----------------------------------------------------------------

    async def _connect(self, stop: asyncio.Event) -> Client | None:
        log.info(
            "agent %s of region %s: connecting to %s",
            self.agent_id,
            self.region,
            self.settings.nats.display,
        )
        connecting = asyncio.create_task(
            connect(
                self.settings.nats,
                name=f"eo-bot agent {self.region} {self.agent_id}",
                reconnect=True,
                on_disconnect=self._on_disconnect,
                on_reconnect=self._on_reconnect,
                on_error=lambda exc: self._trouble("NATS unreachable, trying again", exc),
            )
        )
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({connecting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not connecting.done():
            connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError, *NATS_ERRORS):
                await connecting
            log.info("agent %s stopped before NATS answered", self.agent_id)
            return None
        return connecting.result()

    async def _on_disconnect(self) -> None:
        if not self._draining:
            log.warning("agent %s lost NATS; reconnecting", self.agent_id)
        self._ready = False

    async def _on_reconnect(self) -> None:
        log.info("agent %s reconnected to NATS", self.agent_id)
        self._wake_heartbeat.set()

    async def _setup(self, js: JetStreamContext) -> None:
        """Stream, consumer and bucket: once, and again after NATS lost them."""
        async with self._setup_lock:
            if self._ready:
                return
            await ensure_jobs_stream(js, self.layout)
            await ensure_consumer(js, self.layout, self.region)
            self._kv = await heartbeat_bucket(js, self.layout, self.settings.nats.heartbeat_s)
            self._ready = True

    def _trouble(self, what: str, exc: BaseException) -> None:
        """Log a NATS problem once, then again only when it changes or every 30 s."""
        text = f"{what}: {describe(exc)}"
        last, when = self._last_error
        if text != last or time.monotonic() - when > 30:
            log.warning("agent %s: %s", self.agent_id, text)
            self._last_error = (text, time.monotonic())

    # -- heartbeats -----------------------------------------------------------------------------

    async def _heartbeats(self, js: JetStreamContext) -> None:
        interval = self.settings.nats.heartbeat_s
        while True:
            try:
                await self._setup(js)
                assert self._kv is not None
                beat = Heartbeat(
                    agent=self.facts,
                    state="draining" if self._draining else "ready",
                    interval_s=interval,
                    sent_at=_now(),
                )
                data = encode_signed(
                    "heartbeat", beat, self.settings.key, limit=MAX_HEARTBEAT_BYTES
                )
                await self._kv.put(self.key, data)
            except NATS_ERRORS as exc:
                self._ready = False
                self._trouble("heartbeat not sent", exc)
            self._wake_heartbeat.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(interval):
                    await self._wake_heartbeat.wait()

    async def _withdraw(self, js: JetStreamContext) -> None:
        """Remove the heartbeat once drained: the agent is gone."""
        try:
            kv = self._kv or await heartbeat_bucket(js, self.layout, self.settings.nats.heartbeat_s)
            await kv.delete(self.key)
        except NATS_ERRORS as exc:
            self._trouble("heartbeat not withdrawn (it expires by itself)", exc)

    # -- jobs -------------------------------------------------------------------------------------

    async def _pull(self, js: JetStreamContext) -> None:
        """Ask the region's consumer for one job whenever a slot is free; run each in a task.

        One job per request, and a subscription per puller: the server hands a job only to a
        request that is waiting, so it lands where a slot is free and is never held back.
        """
        psub: JetStreamContext.PullSubscription | None = None
        while not self._draining:
            await self._slots.acquire()
            started = False
            try:
                if self._draining:
                    break
                await self._setup(js)
                if psub is None:
                    psub = await js.pull_subscribe_bind(
                        self.layout.consumer(self.region), self.layout.jobs_stream
                    )
                msgs = await psub.fetch(1, timeout=POLL_S)
                for msg in msgs:
                    if self._draining:
                        await self._hand_back(msg)
                        continue
                    task = asyncio.create_task(self._take(msg))
                    self._running.add(task)
                    task.add_done_callback(self._finished)
                    started = True
            except nats.errors.TimeoutError:
                continue
            except NATS_ERRORS as exc:
                self._ready = False
                self._trouble("cannot take jobs", exc)
                await asyncio.sleep(RETRY_S)
            finally:
                if not started:
                    self._slots.release()
        if psub is not None:
            await self._hand_back_pending(psub)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self._slots.release()

    async def _take(self, msg: Msg) -> None:
        try:
            await msg.ack()
        except NATS_ERRORS as exc:
            self._trouble("a job could not be acknowledged", exc)
            return
        try:
            await self._run_job(msg.data)
        except Exception:  # one job must never take the worker down
            log.exception("agent %s: unexpected error while handling a job", self.agent_id)

    async def _hand_back(self, msg: Msg) -> None:
        """Give a job that arrived while draining back to the region's other agents at once."""
        with contextlib.suppress(*NATS_ERRORS, nats.errors.MsgAlreadyAckdError):
            await msg.nak()

    async def _hand_back_pending(self, psub: JetStreamContext.PullSubscription) -> None:
        while psub.pending_msgs:
            try:
                msgs = await psub.fetch(1, timeout=0.1)
            except NATS_ERRORS:
                return
            for msg in msgs:
                await self._hand_back(msg)

    async def _run_job(self, data: bytes) -> None:
        try:
            job = decode_job(data)
        except ProtocolError as exc:
            log.warning("agent %s refused a job it cannot read: %s", self.agent_id, exc)
            return
        left = (job.expires_at - _now()).total_seconds()
        if left < MIN_BUDGET_S:
            log.warning(
                "agent %s dropped job %s: it expired %.1f s before this agent could run it",
                self.agent_id,
                job.id,
                -left,
            )
            await self._send(job, "failed", reason="the job expired before this agent ran it")
            return
        budget = max(0.1, min(self.probe_settings.deadline, left - SEND_MARGIN_S))
        settings = replace(
            self.probe_settings,
            deadline=budget,
            dns_timeout=min(self.probe_settings.dns_timeout, budget),
            method=job.method,
        )
        log.debug("agent %s runs job %s (%s)", self.agent_id, job.id, job.method)
        started = time.perf_counter()
        try:
            # The runner's deadline covers connect to body; DNS has its own timeout: cap both.
            async with asyncio.timeout(budget + 0.05):
                report = await probe(job.url, origin=job.origin, settings=settings)
        except TargetRefused as exc:
            await self._send(job, "refused", reason=exc.reason)
            outcome = "refused"
        except TimeoutError:
            await self._send(job, "failed", reason=f"the probe did not end within {budget:.1f} s")
            outcome = "failed (deadline)"
        else:
            probed = time.perf_counter()
            await self._send(job, "report", report=report)
            outcome = f"report, probe {(probed - started) * 1000:.1f} ms"
        log.info(
            "agent %s job %s: %s, %.1f ms in all",
            self.agent_id,
            job.id,
            outcome,
            (time.perf_counter() - started) * 1000,
        )

    async def _send(
        self,
        job: Job,
        kind: ResultKind,
        *,
        report: ProbeReport | None = None,
        reason: str | None = None,
    ) -> None:
        data = self._encode(job, kind, report, reason)
        subject = self.layout.result_subject(job.id, self.region)
        try:
            assert self._nc is not None
            await self._nc.publish(subject, data)
        except NATS_ERRORS as exc:
            self._trouble(f"the result of job {job.id} was not sent", exc)

    def _encode(
        self, job: Job, kind: ResultKind, report: ProbeReport | None, reason: str | None
    ) -> bytes:
        attempts: list[ProbeReport | None] = (
            [fit_report(report), fit_report(report, text=256, items=20)] if report else [None]
        )
        for fitted in attempts:
            result = Result(
                job_id=job.id,
                agent=self.facts,
                kind=kind,
                report=fitted,
                reason=reason[:MAX_REASON] if reason else None,
                finished_at=_now(),
            )
            try:
                return encode_signed("result", result, self.settings.key)
            except ProtocolError:
                continue
        failed = Result(
            job_id=job.id,
            agent=self.facts,
            kind="failed",
            reason="the report was too large to send, even shortened",
            finished_at=_now(),
        )
        return encode_signed("result", failed, self.settings.key)


def _now() -> datetime:
    return datetime.now(UTC)
