"""NATS itself failing: unreachable, stopped in the middle of a probe, refusing credentials; and
NATS with a password and TLS. Each test that stops NATS runs its own nats-server."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.agents.caller import AgentsUnavailable, RegionalProber
from bot.agents.keys import SigningKey
from tests.agents.harness import (
    AgentProcess,
    NatsServer,
    caller_settings,
    new_prefix,
    wait_for,
    wait_for_agents,
)
from tests.servers import HTTPServer, RecordedRequest, Response, TLSFixtures, closed_port


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "nats"
    path.mkdir()
    return path


async def test_nats_unreachable_is_said_for_every_region() -> None:
    url = f"nats://127.0.0.1:{closed_port()}"
    key = SigningKey.generate()
    settings = caller_settings(url, "eo", {"fra": [key], "sin": [key.generate()]})
    async with RegionalProber(settings) as prober:
        run = await prober.probe("https://shop.example.com/", regions="all", deadline=5)
        assert [(o.region, o.kind) for o in run.outcomes] == [
            ("fra", "unreachable"),
            ("sin", "unreachable"),
        ]
        for outcome in run.outcomes:
            assert outcome.text == f"NATS unreachable ({url}): connection refused"
        with pytest.raises(AgentsUnavailable, match=r"^NATS unreachable \(nats://127\.0\.0\.1:"):
            await prober.regions()


def _held(release: threading.Event) -> object:
    async def handler(request: RecordedRequest) -> Response:
        await asyncio.to_thread(release.wait, 60)  # the test's thread sets it
        return Response(body=b"finally")

    return handler


@pytest.fixture
def release() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()


async def test_nats_stopped_mid_run_then_back(
    store: Path, tmp_path: Path, release: threading.Event
) -> None:
    prefix = new_prefix()
    key_file = tmp_path / "nts.pem"
    key = SigningKey.generate()
    key_file.write_bytes(key.pem())
    with (
        NatsServer(store) as server,
        HTTPServer(routes={"/hold": _held(release)}) as target,  # type: ignore[dict-item]
    ):
        env = {"EO_PROBE_ALLOW_NETWORKS": "127.0.0.0/8", "EO_PROBE_ALLOW_PORTS": str(target.port)}
        agent = AgentProcess(
            "nts", key_file=key_file, prefix=prefix, log_dir=tmp_path, url=server.url, env=env
        )
        async with RegionalProber(caller_settings(server.url, prefix, {"nts": [key]})) as prober:
            with agent:
                await wait_for_agents(prober, [agent.agent_id])
                task = asyncio.create_task(
                    prober.probe(target.url_for("/hold"), regions=["nts"], deadline=20)
                )
                await wait_for(lambda: target.hits > 0, what="the agent's request")
                server.stop()
                run = await asyncio.wait_for(task, 30)
                (outcome,) = run.outcomes
                assert outcome.kind == "unreachable"
                assert outcome.text == "the connection to NATS was lost while waiting for nts"

                # while NATS is down: a clear line at once, never a hang
                down = await asyncio.wait_for(
                    prober.probe(target.url_for("/x"), regions=["nts"], deadline=5), 15
                )
                assert down.outcomes[0].kind == "unreachable"
                assert down.outcomes[0].text.startswith(f"NATS unreachable ({server.url}): ")
                release.set()

                server.start()  # same port; JetStream's memory stream is gone
                await wait_for_agents(prober, [agent.agent_id])
                back = await prober.probe(target.url_for("/after"), regions=["nts"], deadline=10)
                (outcome,) = back.outcomes
                assert outcome.kind == "report", agent.log()
                assert outcome.report is not None
                assert outcome.report.edge.http.status_code == 200
            log = agent.log()
            assert "lost NATS" in log
            assert "reconnected to NATS" in log


@pytest.fixture
def tls_files(tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    with TLSFixtures() as tls:
        leaf = tls.cert()
        cert, key = tmp_path / "server.pem", tmp_path / "server.key"
        leaf.cert_chain_pems[0].write_to_path(str(cert))
        leaf.private_key_pem.write_to_path(str(key))
        yield str(cert), str(key), tls.client_ca_pem_path


async def test_password_and_tls(
    store: Path, tmp_path: Path, tls_files: tuple[str, str, str]
) -> None:
    cert, cert_key, ca = tls_files
    args = [
        "--user",
        "eo",
        "--pass",
        "s3cret-pass",
        "--tls",
        "--tlscert",
        cert,
        "--tlskey",
        cert_key,
    ]
    prefix = new_prefix()
    key = SigningKey.generate()
    key_file = tmp_path / "sec.pem"
    key_file.write_bytes(key.pem())
    with NatsServer(store, args=args) as server, HTTPServer(body=b"secure") as target:
        url = server.url.replace("nats://", "tls://")
        env = {
            "EO_PROBE_ALLOW_NETWORKS": "127.0.0.0/8",
            "EO_PROBE_ALLOW_PORTS": str(target.port),
            "EO_NATS_USER": "eo",
            "EO_NATS_PASSWORD": "s3cret-pass",
            "EO_NATS_CA_FILE": ca,
        }
        agent = AgentProcess(
            "sec", key_file=key_file, prefix=prefix, log_dir=tmp_path, url=url, env=env
        )
        good = caller_settings(
            url, prefix, {"sec": [key]}, user="eo", password="s3cret-pass", ca_file=ca
        )
        wrong = caller_settings(url, prefix, {"sec": [key]}, user="eo", password="nope", ca_file=ca)
        with agent:
            async with RegionalProber(good) as prober:
                await wait_for_agents(prober, [agent.agent_id])
                run = await prober.probe(target.url, regions=["sec"], deadline=10)
                assert run.outcomes[0].kind == "report", agent.log()
            async with RegionalProber(wrong) as prober:
                run = await prober.probe(target.url, regions=["sec"], deadline=5)
                (outcome,) = run.outcomes
                assert outcome.kind == "unreachable"
                assert "refused the credentials" in outcome.text
        assert "s3cret-pass" not in agent.log()
