"""compose.yaml, the fleet example: Redis, two replicas sharing it, a load balancer in front.

There is no container engine here, so the file is checked for what `docker compose config`
would reject or what would make the fleet wrong: services and their images or builds, the
replicas' settings (each a real setting of `eo-bot serve`, Redis where the redis service is),
health checks, start order (``depends_on`` on healthy services), and the balancer's upstream
naming every replica on its port. When `docker compose` is on the machine it checks too.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli import SERVE_ENVIRONMENT

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "compose.yaml"
KNOWN = {name for name, _ in SERVE_ENVIRONMENT}
SERVICE_KEYS = {
    "build", "image", "command", "environment", "depends_on", "healthcheck", "ports",
    "configs", "restart", "stop_grace_period",
}  # fmt: skip


def load() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return data


def bots(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: s for name, s in data["services"].items() if name.startswith("bot-")}


def test_services_and_their_keys() -> None:
    data = load()
    services = data["services"]
    assert {"redis", "lb"} <= set(services)
    assert len(bots(data)) >= 2
    for name, service in services.items():
        assert set(service) <= SERVICE_KEYS, (name, set(service) - SERVICE_KEYS)
        assert "image" in service or "build" in service, name
        assert "healthcheck" in service, name
        test = service["healthcheck"]["test"]
        assert test[0] in ("CMD", "CMD-SHELL"), name
    assert services["redis"]["image"].startswith("redis:")


def test_replicas_share_redis_and_use_real_settings() -> None:
    data = load()
    for name, bot in bots(data).items():
        assert bot["build"] == "."
        env = bot["environment"]
        assert set(env) <= KNOWN, (name, set(env) - KNOWN)
        assert env["EO_REDIS_URL"].startswith("redis://redis:")
        assert re.fullmatch(r"\$\{SLACK_BOT_TOKEN:\?.+\}", env["SLACK_BOT_TOKEN"])
        assert re.fullmatch(r"\$\{SLACK_SIGNING_SECRET:\?.+\}", env["SLACK_SIGNING_SECRET"])
        assert "SLACK_APP_TOKEN" not in env  # behind a balancer: HTTP mode
        assert bot["depends_on"]["redis"]["condition"] == "service_healthy"
        health = " ".join(bot["healthcheck"]["test"])
        assert f"127.0.0.1:{env['PORT']}/healthz" in health


def test_the_balancer_sends_events_to_every_replica() -> None:
    data = load()
    lb = data["services"]["lb"]
    replicas = bots(data)
    assert {name: "service_healthy" for name in replicas} == {
        name: dep["condition"] for name, dep in lb["depends_on"].items()
    }
    (config,) = lb["configs"]
    text = data["configs"][config["source"]]["content"]
    upstream = re.findall(r"server (bot-\d+):(\d+)", text)
    assert {name for name, _ in upstream} == set(replicas)
    for name, port in upstream:
        assert replicas[name]["environment"]["PORT"] == port
    assert "location = /slack/events" in text
    assert "proxy_next_upstream" in text  # a replica that is down is skipped
    assert any(str(p).endswith(":80") for p in lb["ports"])


@pytest.mark.skipif(shutil.which("docker") is None, reason="no docker on this machine")
def test_docker_compose_accepts_it() -> None:  # pragma: no cover - needs docker
    docker = shutil.which("docker")
    assert docker is not None
    env = {"SLACK_BOT_TOKEN": "xoxb-1-2-x", "SLACK_SIGNING_SECRET": "s", "HOME": str(ROOT)}
    plugin = subprocess.run(
        [docker, "compose", "version"], env=env, capture_output=True, text=True, check=False
    )
    if plugin.returncode != 0:
        pytest.skip("docker has no compose plugin here")
    result = subprocess.run(
        [docker, "compose", "-f", str(COMPOSE), "config", "--quiet"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
