"""Regional probes with real agents: `python -m bot.agents` processes on the shared NATS.

Three regions see the same name differently, each through its own loopback DNS server:
``shop.test`` is 127.0.0.1 (a healthy HTTP server) from fra, 127.0.0.3 (another healthy one) from
iad, and 127.0.0.2 (a server that resets every request) from sin. ``syd`` is a trusted region
with no agent. Every agent allows loopback and the test port through its own EO_PROBE_* settings.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nats
import pytest

from bot import __version__
from bot.agents.caller import RegionalProber
from bot.agents.jetstream import Layout
from bot.agents.keys import SigningKey
from bot.agents.protocol import Job, decode_result, encode_job, open_envelope
from bot.agents.verdict import read_run
from bot.knowledge import KnowledgeBase
from bot.render.regions import render_agents, render_regional
from tests.agents.harness import (
    SHARED_URL,
    AgentProcess,
    agent_state,
    caller_settings,
    new_prefix,
    purge,
    running,
    wait_for,
    wait_for_agents,
    write_key,
)
from tests.servers import DNSServer, HTTPServer, RecordedRequest, ResetAfterRequestServer, Response

REGIONS = ("fra", "iad", "sin")
ADDRESS = {"fra": "127.0.0.1", "iad": "127.0.0.3", "sin": "127.0.0.2"}


@dataclass
class World:
    prefix: str
    port: int
    fra_http: HTTPServer
    iad_http: HTTPServer
    sin_reset: ResetAfterRequestServer
    dns: dict[str, DNSServer]
    keys: dict[str, tuple[SigningKey, Path]]
    agents: dict[str, AgentProcess]
    log_dir: Path

    @property
    def url(self) -> str:
        return f"http://shop.test:{self.port}/cart"

    def agent_env(self, region: str) -> dict[str, str]:
        return {
            "EO_PROBE_ALLOW_NETWORKS": "127.0.0.0/8",
            "EO_PROBE_ALLOW_PORTS": str(self.port),
            "EO_PROBE_NAMESERVERS": "{}:{}".format(*self.dns[region].nameserver),
        }

    def trusted(self) -> dict[str, list[SigningKey]]:
        return {region: [key] for region, (key, _) in self.keys.items()}


def _bind_same_port(
    stack: contextlib.ExitStack,
) -> tuple[HTTPServer, HTTPServer, ResetAfterRequestServer]:
    """Three servers on one port at three loopback addresses (a few tries: the port is free on
    127.0.0.1 but might not be on the others)."""
    for _ in range(10):
        fra = HTTPServer(body=b"fra ok", host="127.0.0.1").start()
        try:
            iad = HTTPServer(body=b"iad ok", host="127.0.0.3", port=fra.port).start()
        except OSError:
            fra.stop()
            continue
        try:
            sin = ResetAfterRequestServer(host="127.0.0.2", port=fra.port).start()
        except OSError:
            fra.stop()
            iad.stop()
            continue
        for server in (fra, iad, sin):
            stack.callback(server.stop)
        return fra, iad, sin
    raise RuntimeError("no port free on 127.0.0.1, .2 and .3 at once")


@pytest.fixture(scope="module")
def world(shared_nats: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    prefix = new_prefix()
    log_dir = tmp_path_factory.mktemp("agents")
    with contextlib.ExitStack() as stack:
        fra_http, iad_http, sin_reset = _bind_same_port(stack)
        dns = {}
        for region in REGIONS:
            zones = {"shop.test": ADDRESS[region], "internal.test": "10.0.0.1"}
            dns[region] = stack.enter_context(DNSServer(zones))
        keys = {r: write_key(log_dir, r) for r in (*REGIONS, "syd")}
        w = World(prefix, fra_http.port, fra_http, iad_http, sin_reset, dns, keys, {}, log_dir)
        stack.callback(lambda: asyncio.run(purge(shared_nats, prefix)))
        for region in REGIONS:
            w.agents[region] = AgentProcess(
                region,
                key_file=keys[region][1],
                prefix=prefix,
                log_dir=log_dir,
                env=w.agent_env(region),
            )
        stack.enter_context(running(*w.agents.values()))
        yield w


@pytest.fixture
async def prober(world: World) -> AsyncIterator[RegionalProber]:
    async with RegionalProber(caller_settings(SHARED_URL, world.prefix, world.trusted())) as p:
        await wait_for_agents(p, [a.agent_id for a in world.agents.values()])
        yield p


def _logs(world: World) -> str:
    return "\n".join(f"--- {r}\n{a.log()[-2000:]}" for r, a in world.agents.items())


async def test_fan_out_to_all_runs_in_every_region_and_reads_the_difference(
    world: World, prober: RegionalProber, kb: KnowledgeBase
) -> None:
    queries = {r: len(world.dns[r].queries) for r in REGIONS}
    run = await prober.probe(world.url, regions="all", deadline=10)
    by = {o.region: o for o in run.outcomes}
    assert [o.region for o in run.outcomes] == ["fra", "iad", "sin", "syd"], _logs(world)
    for region in REGIONS:
        outcome = by[region]
        assert outcome.kind == "report", (outcome, _logs(world))
        assert outcome.report is not None
        assert outcome.agent is not None
        assert outcome.agent.agent_id == world.agents[region].agent_id
        assert outcome.agent.region == region
        assert outcome.agent.version == __version__
        # each region asked its own resolver and reached its own address
        assert len(world.dns[region].queries) > queries[region]
        assert outcome.report.edge.connect.ip == ADDRESS[region]
    fra, iad, sin = (by[r].report for r in REGIONS)
    assert fra is not None
    assert iad is not None
    assert sin is not None
    assert fra.edge.http.status_code == 200
    assert iad.edge.http.status_code == 200
    assert sin.edge.http.status == "reset"
    assert by["syd"].kind == "no_agent"
    assert "no agent is running in syd" in by["syd"].text

    verdict, diagnoses = read_run(run, kb)
    assert verdict.pattern == "fails_in_some"
    assert (verdict.ok, verdict.failing, verdict.no_data) == (("fra", "iad"), ("sin",), ("syd",))
    assert diagnoses["sin"].code == 520
    assert [r.region for r in verdict.rows] == ["fra", "iad", "sin", "syd"]
    text = render_regional(verdict, url=run.url, notes=run.notes)
    assert "Fails in some regions: sin" in text
    assert "127.0.0.2" in text
    assert "520" in text


async def test_a_named_region_only_runs_there(world: World, prober: RegionalProber) -> None:
    before = {r: len(world.dns[r].queries) for r in REGIONS}
    hits = (world.fra_http.hits, world.iad_http.hits, len(world.sin_reset.received))
    run = await prober.probe(world.url, regions=["sin"], deadline=10)
    assert [o.region for o in run.outcomes] == ["sin"]
    (outcome,) = run.outcomes
    assert outcome.kind == "report", _logs(world)
    assert outcome.report is not None
    assert outcome.report.edge.http.status == "reset"
    assert len(world.dns["sin"].queries) > before["sin"]
    assert len(world.dns["fra"].queries) == before["fra"]
    assert len(world.dns["iad"].queries) == before["iad"]
    assert (world.fra_http.hits, world.iad_http.hits) == hits[:2]
    assert len(world.sin_reset.received) == hits[2] + 1


@pytest.mark.parametrize(
    ("url", "words"),
    [
        pytest.param("http://169.254.169.254/latest/meta-data/", "link-local", id="metadata-ip"),
        pytest.param("http://internal.test:{port}/", "10.0.0.1", id="name-to-private-address"),
    ],
)
async def test_a_hostile_target_is_refused_by_every_agent(
    world: World, prober: RegionalProber, url: str, words: str
) -> None:
    run = await prober.probe(url.format(port=world.port), regions=list(REGIONS), deadline=10)
    assert [o.kind for o in run.outcomes] == ["refused"] * 3, _logs(world)
    for outcome in run.outcomes:
        assert outcome.text.startswith("refused by the agent's policy: ")
        assert words in outcome.text
        assert outcome.agent is not None
        assert outcome.agent.region == outcome.region


async def test_a_region_without_agent_or_key_answers_at_once(
    world: World, prober: RegionalProber
) -> None:
    run = await prober.probe(world.url, regions=["syd", "xyz", "fra"], deadline=10)
    by = {o.region: o for o in run.outcomes}
    assert by["syd"].kind == "no_agent"
    assert by["syd"].text == "no agent is running in syd: none has sent a heartbeat lately"
    assert by["xyz"].kind == "untrusted"
    assert "xyz is not a region this bot trusts" in by["xyz"].text
    assert by["fra"].kind == "report"


async def test_regions_lists_live_agents_with_their_facts(
    world: World, prober: RegionalProber
) -> None:
    agents = await prober.regions()
    mine = {a.info.agent_id: a for a in agents}
    for region, process in world.agents.items():
        agent = mine[process.agent_id]
        assert agent.region == region
        assert agent.trusted
        assert agent.state == "ready"
        assert agent.info.pid == process.pid
        assert agent.info.version == __version__
        assert agent.info.concurrency == 4
        assert agent.interval_s == 0.5
    text = render_agents(agents, known=prober.settings.regions, now=datetime.now(UTC))
    assert "No agent running in syd." in text


async def test_an_agent_with_a_key_not_listed_for_its_region_is_not_trusted(
    world: World, prober: RegionalProber
) -> None:
    # "rog" trusts its own key; the agent runs with another one.
    _, impostor_file = write_key(world.log_dir, "impostor")
    trusted = {**world.trusted(), "rog": [SigningKey.generate()]}
    agent = AgentProcess(
        "rog",
        key_file=impostor_file,
        prefix=world.prefix,
        log_dir=world.log_dir,
        env=world.agent_env("fra"),
    )
    async with RegionalProber(caller_settings(SHARED_URL, world.prefix, trusted)) as p:
        with agent:
            await wait_for_agents(p, [agent.agent_id])
            (listed,) = [a for a in await p.regions() if a.info.agent_id == agent.agent_id]
            assert not listed.trusted
            run = await p.probe(world.url, regions=["rog"], deadline=5)
            (outcome,) = run.outcomes
            assert outcome.kind == "no_agent"
            assert "only agents whose key is not listed for it" in outcome.text


async def test_two_agents_in_one_region_run_each_job_once(
    world: World, prober: RegionalProber
) -> None:
    with HTTPServer(body=b"duo") as target:
        env = {"EO_PROBE_ALLOW_NETWORKS": "127.0.0.0/8", "EO_PROBE_ALLOW_PORTS": str(target.port)}
        key, key_file = write_key(world.log_dir, "duo")
        one, two = (
            AgentProcess(
                "duo", key_file=key_file, prefix=world.prefix, log_dir=world.log_dir, env=env
            )
            for _ in range(2)
        )
        trusted = {**world.trusted(), "duo": [key]}
        async with RegionalProber(caller_settings(SHARED_URL, world.prefix, trusted)) as p:
            with running(one, two):
                await wait_for_agents(p, [one.agent_id, two.agent_id])
                runs = await asyncio.gather(
                    *(
                        p.probe(target.url_for(f"/job{i}"), regions=["duo"], deadline=10)
                        for i in range(12)
                    )
                )
    assert all(r.outcomes[0].kind == "report" for r in runs), [r.outcomes for r in runs]
    assert not any(r.notes for r in runs)  # no second result for any job
    paths = Counter(req.path for req in target.requests)
    assert paths == Counter({f"/job{i}": 1 for i in range(12)})
    answered = {r.outcomes[0].agent.agent_id for r in runs if r.outcomes[0].agent}
    assert answered <= {one.agent_id, two.agent_id}


def _held(release: threading.Event) -> object:
    async def handler(request: RecordedRequest) -> Response:
        await asyncio.to_thread(release.wait, 60)  # the test's thread sets it
        return Response(body=b"finally")

    return handler


async def test_an_agent_killed_mid_job_leaves_the_caller_waiting_only_until_the_deadline(
    world: World,
) -> None:
    release = threading.Event()
    with HTTPServer(routes={"/hold": _held(release)}) as target:  # type: ignore[dict-item]
        env = {"EO_PROBE_ALLOW_NETWORKS": "127.0.0.0/8", "EO_PROBE_ALLOW_PORTS": str(target.port)}
        key, key_file = write_key(world.log_dir, "kil")
        agent = AgentProcess(
            "kil", key_file=key_file, prefix=world.prefix, log_dir=world.log_dir, env=env
        )
        trusted = {"kil": [key]}
        try:
            async with RegionalProber(caller_settings(SHARED_URL, world.prefix, trusted)) as p:
                with agent:
                    await wait_for_agents(p, [agent.agent_id])
                    task = asyncio.create_task(
                        p.probe(target.url_for("/hold"), regions=["kil"], deadline=2)
                    )
                    await wait_for(lambda: target.hits > 0, what="the agent's request")
                    agent.kill()
                    run = await asyncio.wait_for(task, 20)
        finally:
            release.set()
    (outcome,) = run.outcomes
    assert outcome.kind == "no_agent"
    assert outcome.text == "no agent answered in kil in time"


async def test_sigterm_drains_the_running_job_and_takes_no_new_one(world: World) -> None:
    release = threading.Event()
    with HTTPServer(routes={"/slow": _held(release)}) as target:  # type: ignore[dict-item]
        env = {
            "EO_PROBE_ALLOW_NETWORKS": "127.0.0.0/8",
            "EO_PROBE_ALLOW_PORTS": str(target.port),
            "EO_PROBE_DEADLINE": "40",
            "EO_PROBE_READ_TIMEOUT": "40",
        }
        key, key_file = write_key(world.log_dir, "drn")
        first, second = (
            AgentProcess(
                "drn", key_file=key_file, prefix=world.prefix, log_dir=world.log_dir, env=env
            )
            for _ in range(2)
        )
        try:
            async with RegionalProber(
                caller_settings(SHARED_URL, world.prefix, {"drn": [key]})
            ) as p:
                with first:
                    await wait_for_agents(p, [first.agent_id])
                    slow = asyncio.create_task(
                        p.probe(target.url_for("/slow"), regions=["drn"], deadline=45)
                    )
                    await wait_for(lambda: target.hits > 0, what="the slow request")
                    with second:
                        await wait_for_agents(p, [second.agent_id])
                        first.terminate()
                        await agent_state(p, first.agent_id, "draining")
                        quick = [
                            await p.probe(target.url_for(f"/q{i}"), regions=["drn"], deadline=10)
                            for i in range(4)
                        ]
                        assert first.proc is not None
                        assert first.proc.poll() is None
                        release.set()
                        run = await asyncio.wait_for(slow, 40)
                        assert first.wait(20) == 0
                        await agent_state(p, first.agent_id, None)  # gone once drained
        finally:
            release.set()
    for q in quick:
        (outcome,) = q.outcomes
        assert outcome.kind == "report", outcome
        assert outcome.agent is not None
        assert outcome.agent.agent_id == second.agent_id
    (outcome,) = run.outcomes
    assert outcome.kind == "report", first.log()
    assert outcome.report is not None
    assert outcome.report.edge.http.status_code == 200
    assert outcome.agent is not None
    assert outcome.agent.agent_id == first.agent_id
    log = first.log()
    assert "draining: no new jobs" in log
    assert "stopped" in log
    assert log.count(": report, probe") == 1  # the slow job only: none taken while draining


async def _publish_raw_job(region: str, prefix: str, payload: bytes, job_id: str) -> bytes:
    """Publish ``payload`` as a job for ``region`` and return the first result for ``job_id``."""
    layout = Layout(prefix)
    nc = await nats.connect(SHARED_URL, connect_timeout=2, allow_reconnect=False)
    try:
        sub = await nc.subscribe(layout.result_subject(job_id, region))
        await nc.jetstream().publish(layout.job_subject(region), payload)
        msg = await sub.next_msg(timeout=15)
        return msg.data
    finally:
        await nc.close()


async def test_an_expired_job_is_dropped_and_said_so(world: World, prober: RegionalProber) -> None:
    now = datetime.now(UTC)
    job = Job(
        id=uuid.uuid4().hex,
        url=world.url,
        issued_at=now - timedelta(seconds=30),
        expires_at=now - timedelta(seconds=20),
    )
    hits = world.fra_http.hits
    data = await _publish_raw_job("fra", world.prefix, encode_job(job), job.id)
    envelope = open_envelope(data, "result")
    assert envelope.signed_by(world.keys["fra"][0].public)
    result = decode_result(envelope)
    assert (result.kind, result.job_id) == ("failed", job.id)
    assert result.reason == "the job expired before this agent ran it"
    assert world.fra_http.hits == hits  # not probed
    assert f"dropped job {job.id}" in world.agents["fra"].log()


async def test_a_job_that_tries_to_relax_the_policy_is_refused_unread(
    world: World, prober: RegionalProber
) -> None:
    now = datetime.now(UTC)
    job = Job(
        id=uuid.uuid4().hex,
        url="http://10.0.0.1/",
        issued_at=now,
        expires_at=now + timedelta(seconds=10),
    )
    raw = json.loads(encode_job(job))
    raw["allow_networks"] = ["0.0.0.0/0"]
    layout = Layout(world.prefix)
    nc = await nats.connect(SHARED_URL, connect_timeout=2, allow_reconnect=False)
    try:
        await nc.jetstream().publish(layout.job_subject("iad"), json.dumps(raw).encode())
    finally:
        await nc.close()
    agent = world.agents["iad"]
    await wait_for(lambda: "refused a job it cannot read" in agent.log(), what="the refusal")
    assert "allow_networks: Extra inputs are not permitted" in agent.log()
    # and the agent still serves proper jobs
    run = await prober.probe(world.url, regions=["iad"], deadline=10)
    assert run.outcomes[0].kind == "report"
