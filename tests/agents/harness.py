"""Real agents for tests and benchmarks: `python -m bot.agents` processes, NATS, keys.

* :func:`nats_available` / :func:`require_nats` - the shared NATS at 127.0.0.1:4222 (a test fails
  under CI=true when it is missing, and is skipped otherwise);
* :class:`AgentProcess` - one agent as a child process, with its own environment (resolver,
  allowed networks and ports), its log in a file, stopped with SIGTERM or killed with SIGKILL;
* :class:`NatsServer` - a private ``nats-server -js`` on a free loopback port, for tests that stop
  NATS (never the shared one);
* :func:`purge` - deletes a test prefix's stream and bucket.

The benchmarks (``bench/regions.py``) use it too, so pytest is only imported where a test skips.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import Self

import nats
import nats.js.errors

from bot.agents.caller import AgentsUnavailable, RegionalProber
from bot.agents.jetstream import Layout
from bot.agents.keys import SigningKey
from bot.agents.settings import CallerSettings, NatsSettings

ROOT = Path(__file__).resolve().parents[2]
SHARED_NATS = ("127.0.0.1", 4222)
SHARED_URL = "nats://127.0.0.1:4222"
HEARTBEAT_S = 0.5


def listening(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False


def nats_available() -> bool:
    return listening(*SHARED_NATS)


def require_nats() -> None:
    """Fail under CI=true, skip elsewhere, when the shared NATS does not answer."""
    if nats_available():
        return
    import pytest  # the benchmarks use this module too, without pytest

    message = f"NATS with JetStream does not answer on {SHARED_URL} (.ci/run starts it)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def new_prefix() -> str:
    return f"t{uuid.uuid4().hex[:12]}"


def write_key(directory: Path, name: str) -> tuple[SigningKey, Path]:
    key = SigningKey.generate()
    path = directory / f"{name}.pem"
    path.write_bytes(key.pem())
    path.chmod(0o600)
    return key, path


def caller_settings(
    url: str, prefix: str, trusted: Mapping[str, Iterable[SigningKey]], **nats: object
) -> CallerSettings:
    settings = NatsSettings(servers=(url,), prefix=prefix, heartbeat_s=HEARTBEAT_S)
    if nats:
        from dataclasses import replace

        settings = replace(settings, **nats)  # type: ignore[arg-type]
    return CallerSettings(
        nats=settings,
        trusted={region: frozenset(k.public for k in keys) for region, keys in trusted.items()},
    )


class AgentProcess:
    """`python -m bot.agents --region REGION` with a clean environment plus ``env``."""

    def __init__(
        self,
        region: str,
        *,
        key_file: Path,
        prefix: str,
        log_dir: Path,
        url: str = SHARED_URL,
        env: Mapping[str, str] | None = None,
        agent_id: str | None = None,
    ) -> None:
        self.region = region
        self.agent_id = agent_id or f"{region}-{uuid.uuid4().hex[:6]}"
        self.log_path = log_dir / f"agent-{self.agent_id}.log"
        base = {k: v for k, v in os.environ.items() if not k.startswith(("EO_", "SLACK_"))}
        self.env = {
            **base,
            "PYTHONPATH": str(ROOT),
            "EO_NATS_URL": url,
            "EO_NATS_PREFIX": prefix,
            "EO_AGENT_KEY_FILE": str(key_file),
            "EO_AGENT_HEARTBEAT": str(HEARTBEAT_S),
            "EO_AGENT_ID": self.agent_id,
            "EO_AGENT_CONCURRENCY": "4",
            **(env or {}),
        }
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Self:
        log = self.log_path.open("ab")
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot.agents", "--region", self.region],
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
            )
        finally:
            log.close()
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def terminate(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def wait(self, timeout: float = 30) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not end in 10 s."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.kill()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def stop_all(agents: Iterable[AgentProcess]) -> None:
    """SIGTERM to every agent first, then wait for each: they drain side by side."""
    procs = list(agents)
    for agent in procs:
        agent.terminate()
    for agent in procs:
        agent.stop()


@contextlib.contextmanager
def running(*agents: AgentProcess) -> Iterator[tuple[AgentProcess, ...]]:
    """Start ``agents``; on exit stop them all at once."""
    try:
        for agent in agents:
            agent.start()
        yield agents
    finally:
        stop_all(agents)


async def wait_for_agents(
    prober: RegionalProber, agent_ids: Iterable[str], *, within: float = 30.0
) -> None:
    """Until every agent in ``agent_ids`` has a heartbeat (AssertionError after ``within``)."""
    wanted = set(agent_ids)
    deadline = time.monotonic() + within
    seen: set[str] = set()
    while time.monotonic() < deadline:
        with contextlib.suppress(AgentsUnavailable):
            seen = {a.info.agent_id for a in await prober.regions()}
            if wanted <= seen:
                return
        await asyncio.sleep(0.1)
    raise AssertionError(f"agents {sorted(wanted - seen)} never announced themselves")


async def agent_state(
    prober: RegionalProber, agent_id: str, state: str | None, *, within: float = 30.0
) -> None:
    """Until the agent announces ``state`` ("ready", "draining"), or None: until it is gone."""
    deadline = time.monotonic() + within
    seen: str | None = "?"
    while time.monotonic() < deadline:
        with contextlib.suppress(AgentsUnavailable):
            states = {a.info.agent_id: a.state for a in await prober.regions()}
            seen = states.get(agent_id)
            if seen == state:
                return
        await asyncio.sleep(0.05)
    raise AssertionError(f"agent {agent_id} is {seen}, not {state}")


async def wait_for(predicate: object, *, within: float = 30.0, what: str = "condition") -> None:
    assert callable(predicate)
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


async def purge(url: str, prefix: str) -> None:
    """Delete the test prefix's jobs stream and heartbeat bucket."""
    layout = Layout(prefix)
    nc = await nats.connect(url, connect_timeout=2, allow_reconnect=False)
    try:
        js = nc.jetstream()
        for stream in (layout.jobs_stream, f"KV_{layout.bucket}"):
            with contextlib.suppress(nats.js.errors.NotFoundError):
                await js.delete_stream(stream)
    finally:
        await nc.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class NatsServer:
    """A private nats-server with JetStream on 127.0.0.1 (a free port, kept across restarts)."""

    def __init__(self, store: Path, *, args: Iterable[str] = ()) -> None:
        binary = shutil.which("nats-server") or "/usr/sbin/nats-server"
        if not Path(binary).exists():
            import pytest

            message = "nats-server is not installed (apt-get install nats-server)"
            if os.environ.get("CI") == "true":
                pytest.fail(message)
            pytest.skip(message)
        self.binary = binary
        self.store = store
        self.port = free_port()
        self.args = list(args)
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> Self:
        self.proc = subprocess.Popen(
            [
                self.binary,
                "-a",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-js",
                "-sd",
                str(self.store),
                *self.args,
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=(self.store / "nats.log").open("ab"),
        )
        deadline = time.monotonic() + 10
        while not listening("127.0.0.1", self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"nats-server did not start: {(self.store / 'nats.log').read_text()}"
                )
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
