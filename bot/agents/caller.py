"""The bot's side: send one probe to several regions' agents and gather what comes back.

``RegionalProber.probe`` looks up the live agents (the heartbeat bucket), publishes one job per
region, and waits for the results until the deadline, never longer. Every region asked gets one
:class:`RegionOutcome`: a report, the agent's refusal, or a line saying why there is none (no agent
running or answering in the region, a malformed result, NATS unreachable, a region with no trusted
key). Nothing here raises for a region's trouble: it becomes that region's outcome.

What counts as a region's answer: a result on the region's result subject, in an envelope signed
by one of the keys ``EO_AGENT_KEYS`` lists for the region, for this job. A result signed by any
other key is ignored (and counted); one that cannot be read or is too large is rejected (and
reported). Junk that cannot be tied to a trusted agent never ends a region's wait early.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.kv import KeyValue

from bot.agents.jetstream import (
    HEARTBEAT_MISSES,
    NATS_ERRORS,
    Layout,
    connect,
    describe,
    ensure_jobs_stream,
    heartbeat_bucket,
)
from bot.agents.names import parse_region
from bot.agents.outcomes import (
    AgentInfo,
    AgentsUnavailable,
    LiveAgent,
    RegionalRun,
    RegionOutcome,
)
from bot.agents.protocol import (
    MAX_HEARTBEAT_BYTES,
    MAX_RESULT_BYTES,
    Job,
    Method,
    ProtocolError,
    decode_heartbeat,
    decode_result,
    encode_job,
    open_envelope,
)
from bot.agents.settings import CallerSettings

log = logging.getLogger(__name__)

MIN_DEADLINE_S = 0.5
MAX_DEADLINE_S = 60.0
AGENTS_CACHE_S = 1.0  # how long a look at the heartbeat bucket is reused
RETRY_CONNECT_S = 5.0  # a failed connection is not tried again for this long
MAX_QUEUED = 256  # results waiting to be read, per probe
MAX_NOTES = 20
_LOST = object()


@dataclass(eq=False)  # compared and hashed by identity: waits live in a set
class _Wait:
    """Book-keeping of one probe while it waits for results."""

    job_id: str
    pending: set[str]
    outcomes: dict[str, RegionOutcome] = field(default_factory=dict)
    ignored: Counter[str] = field(default_factory=Counter)
    rejected: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    dropped: int = 0  # results that did not fit in the queue, or notes over MAX_NOTES
    # Bounded: a flood on a job's result subject must not grow memory while the probe waits.
    queue: asyncio.Queue[Msg | object] = field(
        default_factory=lambda: asyncio.Queue(maxsize=MAX_QUEUED)
    )

    def note(self, text: str) -> None:
        if len(self.notes) < MAX_NOTES:
            self.notes.append(text)
        else:
            self.dropped += 1

    def all_notes(self) -> tuple[str, ...]:
        extra = (f"{self.dropped} more messages were set aside",) if self.dropped else ()
        return (*self.notes, *extra)


class RegionalProber:
    """Sends probes to regional agents over NATS JetStream. One per process; safe to share.

    The connection is opened on first use and again after it was lost; while NATS does not
    answer, every region's outcome says so (and the local probe is the caller's to run).
    """

    def __init__(self, settings: CallerSettings, *, name: str = "eo-bot") -> None:
        self.settings = settings
        self.layout = Layout(settings.nats.prefix)
        self._name = name
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._kv: KeyValue | None = None
        self._lock = asyncio.Lock()
        self._failure: tuple[str, float] | None = None
        self._agents: tuple[tuple[LiveAgent, ...], float] | None = None
        self._agents_lock = asyncio.Lock()
        self._waits: set[_Wait] = set()
        self._stream_ready = False

    async def __aenter__(self) -> RegionalProber:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        async with self._lock:
            nc, self._nc = self._nc, None
            if nc is not None:
                with contextlib.suppress(*NATS_ERRORS):
                    await nc.close()

    # -- live agents ------------------------------------------------------------------------------

    async def regions(self) -> tuple[LiveAgent, ...]:
        """Every agent with a current heartbeat, by region then id. AgentsUnavailable when NATS
        cannot be reached."""
        js = await self._jetstream()
        return await self._live_agents(js, fresh=True)

    async def _live_agents(
        self, js: JetStreamContext, *, fresh: bool = False
    ) -> tuple[LiveAgent, ...]:
        async with self._agents_lock:
            cached = self._agents
            if not fresh and cached is not None and time.monotonic() - cached[1] < AGENTS_CACHE_S:
                return cached[0]
            try:
                agents = await self._read_heartbeats(js)
            except NATS_ERRORS as exc:
                raise AgentsUnavailable(self._unreachable(exc)) from None
            self._agents = (agents, time.monotonic())
            return agents

    async def _read_heartbeats(self, js: JetStreamContext) -> tuple[LiveAgent, ...]:
        if self._kv is None:
            self._kv = await heartbeat_bucket(js, self.layout, self.settings.nats.heartbeat_s)
        kv = self._kv
        try:
            keys = await kv.keys()
        except nats.js.errors.NoKeysError:
            return ()
        entries = await asyncio.gather(*(kv.get(k) for k in keys), return_exceptions=True)
        now = datetime.now(UTC)
        agents: list[LiveAgent] = []
        for key, entry in zip(keys, entries, strict=True):
            if isinstance(entry, BaseException) or entry.value is None:
                continue  # deleted or expired between the two reads
            agent = self._heartbeat(key, entry.value, now)
            if agent is not None:
                agents.append(agent)
        agents.sort(key=lambda a: (a.region, a.info.agent_id))
        return tuple(agents)

    def _heartbeat(self, key: str, value: bytes, now: datetime) -> LiveAgent | None:
        try:
            envelope = open_envelope(value, "heartbeat", limit=MAX_HEARTBEAT_BYTES)
            beat = decode_heartbeat(envelope)
            region = self.layout.region_of_key(key)
            if beat.agent.region != region:
                return None  # a heartbeat filed under another region's name
            keys = self.settings.trusted.get(region, frozenset())
            trusted = envelope.public_key in keys and envelope.signed_by(envelope.public_key)
        except ProtocolError as exc:
            log.warning("ignored an unreadable heartbeat under %s: %s", key[:80], exc)
            return None
        # The bucket's own expiry removes silent agents; this also covers a bucket that another
        # deployment created with a longer expiry.
        if now - beat.sent_at > timedelta(seconds=beat.interval_s * HEARTBEAT_MISSES):
            return None
        return LiveAgent(
            info=AgentInfo.of(beat.agent),
            state=beat.state,
            last_seen=beat.sent_at,
            interval_s=beat.interval_s,
            trusted=trusted,
        )

    # -- probing ----------------------------------------------------------------------------------

    async def probe(
        self,
        url: str,
        *,
        origin: str | None = None,
        regions: Sequence[str] | Literal["all"] = "all",
        deadline: float = 20.0,
        method: Method = "GET",
    ) -> RegionalRun:
        """Probe ``url`` (and ``origin``) from each region; returns by ``deadline`` seconds.

        ValueError (plain words) for an invalid request: no region or a bad region name, a
        deadline outside 0.5-60 s, a URL over 2,048 or an origin over 255 characters.
        """
        if not MIN_DEADLINE_S <= deadline <= MAX_DEADLINE_S:
            raise ValueError(
                f"the deadline must be {MIN_DEADLINE_S:g}-{MAX_DEADLINE_S:g} s, not {deadline:g}"
            )
        if not url or len(url) > 2048:
            raise ValueError("the URL must be 1-2,048 characters")
        if origin is not None and not 0 < len(origin) <= 255:
            raise ValueError("the origin must be 1-255 characters")
        asked = (
            self.settings.regions
            if regions == "all"
            else tuple(dict.fromkeys(parse_region(r) for r in regions))
        )
        if not asked:
            raise ValueError("name at least one region, e.g. fra,sin, or all")
        started = time.monotonic()
        job_id = uuid.uuid4().hex
        wait = _Wait(job_id=job_id, pending=set())
        try:
            js = await self._jetstream()
            live = await self._live_agents(js)
        except AgentsUnavailable as exc:
            outcomes = tuple(RegionOutcome(r, "unreachable", str(exc)) for r in asked)
            return RegionalRun(job_id, url, origin, outcomes)
        for region in asked:
            outcome = self._precheck(region, live)
            if outcome is None:
                wait.pending.add(region)
            else:
                wait.outcomes[region] = outcome
        if wait.pending:
            await self._send_and_wait(js, wait, url, origin, method, started + deadline)
        outcomes = tuple(wait.outcomes[r] for r in asked)
        return RegionalRun(job_id, url, origin, outcomes, wait.all_notes())

    def _precheck(self, region: str, live: tuple[LiveAgent, ...]) -> RegionOutcome | None:
        """Why the region cannot be asked, or None when it can."""
        if region not in self.settings.trusted:
            known = ", ".join(self.settings.regions)
            return RegionOutcome(
                region,
                "untrusted",
                f"{region} is not a region this bot trusts (EO_AGENT_KEYS lists {known})",
            )
        mine = [a for a in live if a.region == region]
        if not any(a.trusted and a.state == "ready" for a in mine):
            why = (
                "only agents whose key is not listed for it announce themselves"
                if mine
                else "none has sent a heartbeat lately"
            )
            return RegionOutcome(region, "no_agent", f"no agent is running in {region}: {why}")
        return None

    async def _send_and_wait(
        self,
        js: JetStreamContext,
        wait: _Wait,
        url: str,
        origin: str | None,
        method: Method,
        until: float,
    ) -> None:
        assert self._nc is not None
        nc = self._nc
        now = datetime.now(UTC)
        job = Job(
            id=wait.job_id,
            url=url,
            origin=origin,
            method=method,
            issued_at=now,
            expires_at=now + timedelta(seconds=until - time.monotonic()),
        )
        data = encode_job(job)

        async def on_result(msg: Msg) -> None:
            try:
                wait.queue.put_nowait(msg)
            except asyncio.QueueFull:
                wait.dropped += 1

        self._waits.add(wait)
        sub = None
        try:
            sub = await nc.subscribe(self.layout.results_of(wait.job_id), cb=on_result)
            regions = sorted(wait.pending)
            sent = await asyncio.gather(
                *(self._publish(js, region, wait.job_id, data, until) for region in regions)
            )
            for region, failure in zip(regions, sent, strict=True):
                if failure is not None:
                    wait.pending.discard(region)
                    wait.outcomes[region] = RegionOutcome(region, "unreachable", failure)
            await self._gather(wait, until)
        except NATS_ERRORS as exc:
            for region in sorted(wait.pending):
                wait.outcomes[region] = RegionOutcome(region, "unreachable", self._unreachable(exc))
            wait.pending.clear()
        finally:
            self._waits.discard(wait)
            if sub is not None:
                with contextlib.suppress(*NATS_ERRORS):
                    await sub.unsubscribe()

    async def _publish(
        self, js: JetStreamContext, region: str, job_id: str, data: bytes, until: float
    ) -> str | None:
        """Publish the job for one region; None when the stream has it, else why not."""
        subject = self.layout.job_subject(region)
        headers = {"Nats-Msg-Id": f"{job_id}.{region}"}  # a retried publish is not a second job
        try:
            try:
                await js.publish(subject, data, timeout=_publish_timeout(until), headers=headers)
            except nats.errors.NoRespondersError:
                # No stream for the subject: NATS restarted and lost it. Create it, try once more.
                self._stream_ready = False
                await ensure_jobs_stream(js, self.layout)
                await js.publish(subject, data, timeout=_publish_timeout(until), headers=headers)
        except NATS_ERRORS as exc:
            return self._unreachable(exc)
        return None

    async def _gather(self, wait: _Wait, until: float) -> None:
        while wait.pending:
            left = until - time.monotonic()
            if left <= 0:
                break
            try:
                async with asyncio.timeout(left):
                    item = await wait.queue.get()
            except TimeoutError:
                break
            if item is _LOST:
                for region in sorted(wait.pending):
                    wait.outcomes[region] = RegionOutcome(
                        region,
                        "unreachable",
                        f"the connection to NATS was lost while waiting for {region}",
                    )
                wait.pending.clear()
                return
            if isinstance(item, Msg):
                self._receive(wait, item)
        for region in sorted(wait.pending):
            wait.outcomes[region] = self._silent(wait, region, until)
        wait.pending.clear()

    def _silent(self, wait: _Wait, region: str, until: float) -> RegionOutcome:
        if region in wait.rejected:
            return RegionOutcome(
                region,
                "malformed",
                f"a result for {region} was rejected: {wait.rejected[region]}",
            )
        text = f"no agent answered in {region} in time"
        if wait.ignored[region]:
            n = wait.ignored[region]
            text += (
                f" ({n} result{'s' if n > 1 else ''} from an agent not allowed for {region}"
                f" {'were' if n > 1 else 'was'} ignored)"
            )
        return RegionOutcome(region, "no_agent", text)

    def _receive(self, wait: _Wait, msg: Msg) -> None:
        region = msg.subject.rsplit(".", 1)[-1]
        if region not in wait.pending:
            wait.note(f"an extra result for {region[:32]} was ignored")
            return
        if len(msg.data) > MAX_RESULT_BYTES:
            reason = f"it is {len(msg.data) // 1024} KiB, more than {MAX_RESULT_BYTES // 1024} KiB"
            wait.rejected.setdefault(region, reason)
            wait.note(f"an oversized result for {region} was rejected ({reason})")
            return
        try:
            envelope = open_envelope(msg.data, "result")
            key = envelope.public_key
            if key not in self.settings.trusted.get(region, frozenset()):
                wait.ignored[region] += 1
                wait.note(
                    f"a result for {region} from an agent not allowed for {region} was ignored"
                )
                return
            if not envelope.signed_by(key):
                raise ProtocolError("its signature does not match")
        except ProtocolError as exc:
            # Not tied to a trusted agent: reported, but it does not end the region's wait.
            wait.rejected.setdefault(region, str(exc))
            wait.note(f"a malformed result for {region} was rejected: {exc}")
            return
        try:
            result = decode_result(envelope)
        except ProtocolError as exc:
            # Signed by the region's key: the region's agent itself sent this.
            wait.outcomes[region] = RegionOutcome(
                region, "malformed", f"the result from {region} was rejected: {exc}"
            )
            wait.pending.discard(region)
            return
        if result.job_id != wait.job_id or result.agent.region != region:
            wait.note(f"a result for another job or region on {region} was ignored")
            return
        agent = AgentInfo.of(result.agent)
        if result.kind == "report":
            outcome = RegionOutcome(region, "report", report=result.report, agent=agent)
        elif result.kind == "refused":
            outcome = RegionOutcome(
                region, "refused", f"refused by the agent's policy: {result.reason}", agent=agent
            )
        else:
            outcome = RegionOutcome(
                region, "failed", f"the agent could not probe: {result.reason}", agent=agent
            )
        wait.outcomes[region] = outcome
        wait.pending.discard(region)

    # -- connection -----------------------------------------------------------------------------

    async def _jetstream(self) -> JetStreamContext:
        async with self._lock:
            if self._nc is not None and self._nc.is_connected and self._js is not None:
                if not self._stream_ready:
                    await self._ensure_stream(self._js)
                return self._js
            if self._nc is not None:
                with contextlib.suppress(*NATS_ERRORS):
                    await self._nc.close()
                self._nc = self._js = self._kv = None
            if self._failure is not None and time.monotonic() - self._failure[1] < RETRY_CONNECT_S:
                raise AgentsUnavailable(self._failure[0])
            try:
                nc = await connect(
                    self.settings.nats,
                    name=self._name,
                    reconnect=False,
                    on_disconnect=self._on_disconnect,
                )
            except NATS_ERRORS as exc:
                text = self._unreachable(exc)
                self._failure = (text, time.monotonic())
                raise AgentsUnavailable(text) from None
            self._failure = None
            self._nc, self._js = nc, nc.jetstream()
            self._agents = None
            await self._ensure_stream(self._js)
            return self._js

    async def _ensure_stream(self, js: JetStreamContext) -> None:
        try:
            await ensure_jobs_stream(js, self.layout)
        except NATS_ERRORS as exc:
            raise AgentsUnavailable(self._unreachable(exc)) from None
        self._stream_ready = True

    async def _on_disconnect(self) -> None:
        self._stream_ready = False
        for wait in list(self._waits):
            with contextlib.suppress(asyncio.QueueFull):  # a full queue: the deadline ends it
                wait.queue.put_nowait(_LOST)

    def _unreachable(self, exc: BaseException) -> str:
        return f"NATS unreachable ({self.settings.nats.display}): {describe(exc)}"


def _publish_timeout(until: float) -> float:
    """How long a job's publication may wait for JetStream's acknowledgement."""
    return max(0.2, min(2.0, until - time.monotonic()))
