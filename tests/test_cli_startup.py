"""What `eo-bot --help` and `eo-bot ask` load: never the Slack or HTTP stack, and, once the
knowledge base is compiled, neither PyYAML nor pydantic. How fast that is lives in bench/startup.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Runs one eo-bot command in this process, then reports which watched packages got imported.
DRIVER = """
import json, sys
from bot.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
watched = {"slack_bolt", "slack_sdk", "aiohttp", "httpx", "httpcore", "pydantic", "yaml",
           "asyncio", "nats", "redis", "tencentcloud", "prometheus_client", "opencc"}
loaded = sorted({m.split(".")[0] for m in sys.modules} & watched)
print(json.dumps({"code": code, "loaded": loaded}), file=sys.stderr)
"""
NETWORK_STACK = {
    "slack_bolt",
    "slack_sdk",
    "aiohttp",
    "httpx",
    "httpcore",
    "asyncio",
    "nats",
    "redis",
    "tencentcloud",
    "prometheus_client",
}


def imported(*args: str, cache: Path) -> tuple[int, set[str]]:
    env = {k: v for k, v in os.environ.items() if k not in ("EO_KNOWLEDGE_DIRS", "SLACK_BOT_TOKEN")}
    env.update(NO_COLOR="1", XDG_CACHE_HOME=str(cache))
    result = subprocess.run(
        [sys.executable, "-c", DRIVER, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
        check=False,
    )
    report = json.loads(result.stderr.strip().splitlines()[-1])
    return report["code"], set(report["loaded"])


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["ask", "--help"], ["kb"]])
def test_help_loads_nothing_heavy(args: list[str], tmp_path: Path) -> None:
    code, loaded = imported(*args, cache=tmp_path)
    assert code in (0, 2)
    assert loaded == set()


def test_ask_never_loads_the_slack_or_http_stack(tmp_path: Path) -> None:
    # The first run compiles the knowledge base (PyYAML and pydantic validate it) ...
    code, first = imported("ask", "524", cache=tmp_path)
    assert code == 0
    assert not first & NETWORK_STACK
    assert {"pydantic", "yaml"} <= first
    # ... later runs answer from the compiled copy.
    for args in (["ask", "524"], ["ask", "--json", "origin", "timeout"], ["ask", "NODE_FUNCTON_X"]):
        code, loaded = imported(*args, cache=tmp_path)
        assert code in (0, 1), args
        assert loaded == set(), args
