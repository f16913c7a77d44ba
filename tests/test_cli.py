"""The CLI as a user runs it: a real subprocess, real exit codes, real output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "EO_KNOWLEDGE_DIRS"}
    full_env = {**base, "NO_COLOR": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=full_env,
        timeout=60,
        check=False,
    )


def test_ask_json_shape() -> None:
    result = run("ask", "--json", "524")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["query"] == "524"
    first = data["matches"][0]
    assert first == {
        "id": first["id"],
        "product": "site-acceleration",
        "code": 524,
        "codes": [524, 554],
        "name": None,
        "title": first["title"],
        "score": first["score"],
    }
    assert isinstance(first["score"], float)


def test_ask_json_name() -> None:
    data = json.loads(run("ask", "--json", "NODE_FUNCTION_INVOCATION_TIMEOUT").stdout)
    first = data["matches"][0]
    assert (first["product"], first["code"]) == ("pages", 504)
    assert first["name"] in {
        "CLOUD_FUNCTION_INVOCATION_TIMEOUT",
        "NODE_FUNCTION_INVOCATION_TIMEOUT",
    }


def test_ask_shared_code_lists_products_best_first() -> None:
    data = json.loads(run("ask", "--json", "423", "deploying", "pages").stdout)
    products = [m["product"] for m in data["matches"]]
    assert products[0] == "pages"
    assert "site-acceleration" in products
    scores = [m["score"] for m in data["matches"]]
    assert scores == sorted(scores, reverse=True)


def test_ask_text_is_readable() -> None:
    result = run("ask", "origin", "took", "too", "long")
    assert result.returncode == 0
    assert "524" in result.stdout
    assert "Check" in result.stdout
    assert "curl" in result.stdout
    assert "\x1b[" not in result.stdout


def test_no_match_exits_1_with_suggestions_or_advice() -> None:
    result = run("ask", "banana", "smoothie")
    assert result.returncode == 1
    assert "No confident match" in result.stdout
    data = json.loads(run("ask", "--json", "banana", "smoothie").stdout)
    assert data["matches"] == []


@pytest.mark.parametrize("args", [["ask"], ["nope"], ["ask", "--limit", "0", "524"], ["kb"]])
def test_bad_usage_exits_2(args: list[str]) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_empty_query_is_bad_usage_with_a_message() -> None:
    result = run("ask", "  ")
    assert result.returncode == 2
    assert "empty" in result.stdout


def test_hostile_query_does_not_crash() -> None:
    result = run("ask", "--json", "<@U1> 522 " + "\x01\x1b🔥" * 3000)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["matches"][0]["code"] == 522
    assert any("first" in note for note in data["notes"])


def test_kb_check_ok_and_bad(tmp_path: Path) -> None:
    ok = run("kb", "check")
    assert ok.returncode == 0
    assert "entries" in ok.stdout
    (tmp_path / "bad.yaml").write_text("entries:\n  - id: x1\n    product: cdn\n")
    bad = run("kb", "check", str(tmp_path))
    assert bad.returncode == 2
    assert "bad.yaml" in bad.stderr
    assert "entry 'x1'" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_bad_env_knowledge_dir_is_reported() -> None:
    result = run("ask", "524", env={"EO_KNOWLEDGE_DIRS": "/nonexistent/kb"})
    assert result.returncode == 2
    assert "/nonexistent/kb" in result.stderr
