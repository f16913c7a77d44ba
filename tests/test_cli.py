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


def test_probe_refused_target_exits_2_and_sends_nothing() -> None:
    from tests.servers import CanaryServer

    with CanaryServer() as canary:
        result = run("probe", f"http://127.0.0.1:{canary.port}/", "--allow-port", str(canary.port))
        assert result.returncode == 2
        assert "loopback" in result.stderr
        assert "Traceback" not in result.stderr
        assert canary.hits == 0


@pytest.mark.parametrize(
    "args",
    [
        ["probe"],
        ["probe", "http://x.example", "--deadline", "0"],
        ["probe", "http://x.example", "--nameserver", "not-an-ip"],
        ["probe", "http://x.example", "--allow-network", "10.0.0.0/99"],
    ],
)
def test_probe_bad_usage_exits_2(args: list[str]) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_probe_json_against_a_closed_port_diagnoses_521() -> None:
    from tests.servers import closed_port

    port = closed_port()
    result = run(
        "probe",
        f"http://127.0.0.1:{port}/",
        "--json",
        "--allow-network",
        "127.0.0.0/8",
        "--allow-port",
        str(port),
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["schema_version"] == 1
    assert data["connect"]["status"] == "refused"
    assert data["origin"] is None
    assert data["diagnosis"]["code"] == 521
    assert data["diagnosis"]["fault"] == "origin"
    assert data["diagnosis"]["kb_id"] == "sa-521"
    for key in ("dns", "tls", "http"):
        assert "status" in data[key]


def test_probe_text_report_against_a_fake_edge() -> None:
    from tests.servers import DNSServer, FakeEdge, OriginSpec, SilentServer

    with (
        SilentServer() as origin,
        FakeEdge({"shop.test": OriginSpec("127.0.0.1", origin.port)}, origin_timeout=0.3) as edge,
        DNSServer({"shop.test": "127.0.0.1"}) as ns,
    ):
        result = run(
            "probe",
            f"http://shop.test:{edge.port}/cart",
            "--origin",
            f"127.0.0.1:{origin.port}",
            "--nameserver",
            f"{ns.host}:{ns.port}",
            "--allow-network",
            "127.0.0.0/8",
            "--allow-port",
            "1-65535",
            env={"EO_PROBE_READ_TIMEOUT": "1"},
        )
    assert result.returncode == 0, result.stderr
    assert "524" in result.stdout
    assert "EO-LOG-UUID" in result.stdout
    assert "Fault: origin" in result.stdout
