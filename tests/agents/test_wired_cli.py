"""Regional probes from the command line and the console, as a user runs them: real `eo-bot`
subprocesses with the bot's settings, three agents as separate processes (``tests.agents.world``).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.agents.harness import ROOT
from tests.agents.world import World, logs, ready, world
from tests.servers import closed_port


@pytest.fixture(scope="module")
def places(shared_nats: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with world(tmp_path_factory.mktemp("cli")) as w:
        asyncio.run(ready(w))
        yield w


def environment(w: World, **extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("EO_", "SLACK_"))}
    return {
        **base,
        "NO_COLOR": "1",
        "EO_PROBE_ALLOW_NETWORKS": "127.0.0.0/8",
        "EO_PROBE_ALLOW_PORTS": str(w.port),
        "EO_PROBE_NAMESERVERS": "{}:{}".format(*w.dns["local"].nameserver),
        **w.environment(),
        **extra,
    }


def run(
    *args: str, env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        input=stdin,
        timeout=90,
        check=False,
    )


def test_probe_from_all_prints_the_table_and_the_verdict(places: World) -> None:
    result = run("probe", places.url(), "--from", "all", env=environment(places))
    assert result.returncode == 0, (result.stderr, logs(places))
    lines = result.stdout.splitlines()
    assert lines[0] == f"Probe of {places.url()} from 5 regions"
    table = {line.split()[0]: line for line in lines[2:7]}
    assert list(table) == ["local", "fra", "iad", "sin", "syd"]
    assert table["sin"].split()[1:3] == ["502", "502"]
    assert table["local"].split()[1] == "200"
    assert "127.0.0.2" in table["sin"]
    assert "no agent is running in syd" in table["syd"]
    assert "Fails in some regions: sin" in result.stdout
    assert "again" not in result.stdout  # no console hints on the command line


def test_probe_from_all_as_json(places: World) -> None:
    result = run("probe", places.url(), "--from", "fra,sin", "--json", env=environment(places))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["regions"] == ["fra", "sin"]
    assert data["verdict"]["pattern"] == "fails_in_some"
    assert data["verdict"]["failing"] == ["sin"]
    assert [r["region"] for r in data["rows"]] == ["local", "fra", "sin"]
    sin = data["rows"][2]
    assert (sin["status_code"], sin["node_ip"], sin["state"]) == (502, "127.0.0.2", "failing")
    assert data["states"]["fra"] == "ok"
    assert data["local"]["http"]["status_code"] == 200
    assert data["unreachable"] is None


def test_probe_from_a_bad_list_is_a_usage_error(places: World) -> None:
    result = run("probe", places.url(), "--from", "fra,lo cal!", env=environment(places))
    assert result.returncode == 2
    assert result.stderr.startswith("eo-bot probe: --from: ")


def test_probe_from_regions_without_nats_probes_from_here(places: World) -> None:
    env = environment(places)
    del env["EO_NATS_URL"]
    result = run("probe", places.url(), "--from", "all", env=env)
    assert result.returncode == 0, result.stderr
    assert "Regional probing is not set up on this bot" in result.stderr
    assert "regions" not in result.stdout  # the diagnosis of `eo-bot probe`, from here only
    assert "127.0.0.4" in result.stdout
    assert "127.0.0.2" not in result.stdout


def test_probe_from_regions_with_nats_unreachable_says_so_once(places: World) -> None:
    env = environment(places, EO_NATS_URL=f"nats://127.0.0.1:{closed_port()}")
    result = run("probe", places.url(), "--from", "all", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("NATS unreachable") == 1
    assert "The regional agents could not be asked" in result.stdout
    assert "200" in result.stdout


def test_a_bad_agent_setting_names_the_variable(places: World) -> None:
    env = environment(places, EO_AGENT_KEYS="fra=not-a-key")
    result = run("probe", places.url(), "--from", "all", env=env)
    assert result.returncode == 2
    assert result.stderr.startswith("eo-bot probe: EO_AGENT_KEYS: fra: ")


def test_regions_lists_the_live_agents(places: World) -> None:
    result = run("regions", env=environment(places))
    assert result.returncode == 0, result.stderr
    for region, agent in places.agents.items():
        line = next(line for line in result.stdout.splitlines() if agent.agent_id in line)
        assert line.split()[0] == region
    assert "No agent running in syd." in result.stdout
    data = json.loads(run("regions", "--json", env=environment(places)).stdout)
    assert data["regions"] == ["fra", "iad", "sin", "syd"]
    assert {a["agent_id"] for a in data["agents"]} >= {a.agent_id for a in places.agents.values()}


def test_regions_without_nats_or_with_nats_down_exits_2(places: World) -> None:
    env = environment(places)
    del env["EO_NATS_URL"]
    off = run("regions", env=env)
    assert off.returncode == 2
    assert "EO_NATS_URL is not set" in off.stderr
    down = run("regions", env=environment(places, EO_NATS_URL=f"nats://127.0.0.1:{closed_port()}"))
    assert down.returncode == 2
    assert down.stderr.startswith("eo-bot regions: NATS unreachable (nats://127.0.0.1:")


def test_the_console_speaks_like_slack_and_again_probes_every_region(places: World) -> None:
    lines = f"/eo probe {places.url()} from fra,sin\nagain\nregions\n探测 {places.url()} 从 iad\n"
    result = run("console", env=environment(places), stdin=lines)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.count("Fails in some regions: sin") == 2, out
    assert "What changed: still failing in sin" in out
    assert "No agent running in syd." in out
    assert "从 2 个区域探测" in out  # the Chinese line answered in Chinese
    assert "所有区域均正常" in out


@pytest.mark.parametrize(
    ("line", "said"),
    [
        (
            "watch {url} for 1m from all",
            "It already answers normally in every region, so I stopped",
        ),
        ("监控 {url} 1分钟 从所有区域", "它在所有区域都已正常响应，因此我停止了监控"),
    ],
)
def test_a_watch_from_regions_in_the_console(places: World, line: str, said: str) -> None:
    url = places.url("/")  # every place answers / with a 200: the watch stops at its first probe
    result = run(
        "console", env=environment(places, EO_WATCH_INTERVAL="1s"), stdin=line.format(url=url)
    )
    assert result.returncode == 0, result.stderr
    assert said in result.stdout, result.stdout
    table = [row.split()[0] for row in result.stdout.splitlines() if "127.0.0." in row]
    assert table == ["local", "fra", "iad", "sin"]
