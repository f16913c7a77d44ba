"""The README's CAM policies list exactly the actions the code calls, split read / purge."""

from __future__ import annotations

import json
import re
from pathlib import Path

from bot.edgeone import client
from bot.edgeone.shapes import ANSWERS, PURGE_ACTIONS, VIEW_ACTIONS

ROOT = Path(__file__).resolve().parents[2]


def _policies() -> list[list[str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## EdgeOne's view (optional)", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```json\n(.*?)```", section, flags=re.S)
    return [
        [a for statement in json.loads(b)["statement"] for a in statement["action"]] for b in blocks
    ]


def test_readme_policies_match_the_actions_used() -> None:
    read, purge = _policies()
    assert sorted(read) == sorted(f"teo:{a}" for a in VIEW_ACTIONS)
    assert sorted(purge) == sorted(f"teo:{a}" for a in PURGE_ACTIONS)
    assert set(VIEW_ACTIONS) | set(PURGE_ACTIONS) == set(ANSWERS)


def test_the_client_calls_only_those_actions() -> None:
    source = Path(client.__file__).read_text(encoding="utf-8")
    called = set(re.findall(r'self\._call\(\s*"(\w+)"', source))
    assert called == set(ANSWERS)
