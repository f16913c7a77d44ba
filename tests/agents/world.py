"""A small world for end-to-end regional tests: three agents as processes, four vantage points.

``shop.test`` resolves differently from each place, through its own loopback DNS server, to its
own HTTP server on one shared port: from the bot itself (``local``) to 127.0.0.4, from fra to
127.0.0.1, from iad to 127.0.0.3, from sin to 127.0.0.2. Each server answers 200 with its name;
a test makes one place differ by giving its server a route (``world.servers["sin"].set_route``).
By default sin answers ``/cart`` with a 502. ``internal.test`` resolves to 10.0.0.1 everywhere:
every agent's policy (and the bot's) refuses it. ``syd`` is a trusted region with no agent.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bot.agents.caller import RegionalProber
from bot.agents.keys import SigningKey
from bot.agents.settings import CallerSettings
from tests.agents.harness import (
    SHARED_URL,
    AgentProcess,
    caller_settings,
    new_prefix,
    purge,
    running,
    wait_for_agents,
    write_key,
)
from tests.servers import DNSServer, HTTPServer, Response

REGIONS = ("fra", "iad", "sin")
ADDRESS = {"local": "127.0.0.4", "fra": "127.0.0.1", "iad": "127.0.0.3", "sin": "127.0.0.2"}
IDLE = "syd"  # trusted, no agent


@dataclass
class World:
    prefix: str
    port: int
    servers: dict[str, HTTPServer]
    dns: dict[str, DNSServer]
    keys: dict[str, tuple[SigningKey, Path]]
    log_dir: Path
    agents: dict[str, AgentProcess] = field(default_factory=dict)

    def url(self, path: str = "/cart") -> str:
        return f"http://shop.test:{self.port}{path}"

    def agent_env(self, region: str) -> dict[str, str]:
        return {
            "EO_PROBE_ALLOW_NETWORKS": "127.0.0.0/8",
            "EO_PROBE_ALLOW_PORTS": str(self.port),
            "EO_PROBE_NAMESERVERS": "{}:{}".format(*self.dns[region].nameserver),
            "EO_PROBE_DEADLINE": "5",
        }

    def trusted(self) -> dict[str, list[SigningKey]]:
        return {region: [key] for region, (key, _) in self.keys.items()}

    def settings(self, url: str = SHARED_URL) -> CallerSettings:
        return caller_settings(url, self.prefix, self.trusted())

    def environment(self, url: str = SHARED_URL) -> dict[str, str]:
        """What the bot's process needs to reach these agents (EO_NATS_*, EO_AGENT_KEYS)."""
        keys = ",".join(f"{region}={key.public_text}" for region, (key, _) in self.keys.items())
        return {
            "EO_NATS_URL": url,
            "EO_NATS_PREFIX": self.prefix,
            "EO_AGENT_HEARTBEAT": "0.5",
            "EO_AGENT_KEYS": keys,
        }

    def hits(self) -> dict[str, int]:
        return {place: server.hits for place, server in self.servers.items()}


def _servers(stack: contextlib.ExitStack) -> dict[str, HTTPServer]:
    """One HTTP server per place, all on one port (a few tries: the port must be free on every
    loopback address)."""
    for _ in range(10):
        started: dict[str, HTTPServer] = {}
        port = 0
        try:
            for place, address in ADDRESS.items():
                routes = {"/cart": Response(status=502, body=b"sin bad")} if place == "sin" else {}
                server = HTTPServer(routes, body=f"{place} ok".encode(), host=address, port=port)
                started[place] = server.start()
                port = server.port
        except OSError:
            for server in started.values():
                server.stop()
            continue
        for server in started.values():
            stack.callback(server.stop)
        return started
    raise RuntimeError("no port free on 127.0.0.1-4 at once")


@contextlib.contextmanager
def world(tmp: Path, *, nats_url: str = SHARED_URL, agents: bool = True) -> Iterator[World]:
    """The world, its agents running on ``nats_url`` (the shared NATS is purged of the test's
    stream and bucket afterwards; a private one is left to its test)."""
    prefix = new_prefix()
    with contextlib.ExitStack() as stack:
        servers = _servers(stack)
        dns = {}
        for place, address in ADDRESS.items():
            zones = {"shop.test": address, "internal.test": "10.0.0.1"}
            dns[place] = stack.enter_context(DNSServer(zones))
        keys = {r: write_key(tmp, r) for r in (*REGIONS, IDLE)}
        w = World(prefix, servers["fra"].port, servers, dns, keys, tmp)
        if nats_url == SHARED_URL:
            stack.callback(lambda: asyncio.run(purge(nats_url, prefix)))
        if agents:
            for region in REGIONS:
                w.agents[region] = AgentProcess(
                    region,
                    key_file=keys[region][1],
                    prefix=prefix,
                    log_dir=tmp,
                    url=nats_url,
                    env=w.agent_env(region),
                )
            stack.enter_context(running(*w.agents.values()))
        yield w


async def ready(w: World, url: str = SHARED_URL) -> None:
    """Until every agent of ``w`` has announced itself."""
    async with RegionalProber(w.settings(url)) as prober:
        await wait_for_agents(prober, [a.agent_id for a in w.agents.values()])


def logs(w: World) -> str:
    return "\n".join(f"--- {r}\n{a.log()[-2000:]}" for r, a in w.agents.items())
