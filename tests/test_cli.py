"""The CLI as a user runs it: a real subprocess, real exit codes, real output."""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
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


def test_kb_check_lists_team_entries_without_chinese(tmp_path: Path) -> None:
    from tests.knowledge.test_loader import GOOD, write

    ok = run("kb", "check")
    assert "no Chinese text" not in ok.stdout  # every built-in entry carries zh
    write(tmp_path, "runbooks.yaml", [GOOD])
    result = run("kb", "check", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "1 entries have no Chinese text" in result.stdout
    assert f"{tmp_path / 'runbooks.yaml'}: team-502-legacy" in result.stdout


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


# -- what people expect of a command line ---------------------------------------------------------


def test_version() -> None:
    import bot

    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"eo-bot {bot.__version__}"


def test_top_level_help_says_what_a_bare_eo_bot_does() -> None:
    result = run("--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "Without a command, eo-bot runs `serve` when SLACK_BOT_TOKEN is set" in text
    assert "the local `console` otherwise" in text
    for command in ("ask", "probe", "zone", "logs", "console", "serve", "kb"):
        assert f"\n    {command} " in result.stdout, command


def _variables_read_by(*modules: str) -> set[str]:
    found: set[str] = set()
    for module in modules:
        source = (ROOT / module).read_text(encoding="utf-8")
        found |= set(re.findall(r"\"((?:SLACK|EO|TENCENTCLOUD)_[A-Z_]*[A-Z]|PORT)\"", source))
    return found


def test_serve_help_lists_every_setting_the_bot_reads() -> None:
    result = run("serve", "--help")
    assert result.returncode == 0
    listed = set(re.findall(r"^  ([A-Z][A-Z_]+) ", result.stdout, re.MULTILINE))
    read = _variables_read_by(
        "bot/config.py",
        "bot/probe/runner.py",
        "bot/knowledge/loader.py",
        "bot/cli.py",
        "bot/edgeone/settings.py",
    )
    assert len(read) >= 20  # the scan found the settings
    assert read <= listed, read - listed
    assert listed <= read, listed - read  # and lists nothing the code does not read


def test_probe_help_lists_the_probe_settings() -> None:
    result = run("probe", "--help")
    assert result.returncode == 0
    listed = set(re.findall(r"^  (EO_PROBE_[A-Z_]+) ", result.stdout, re.MULTILINE))
    assert listed == _variables_read_by("bot/probe/runner.py")


def test_kb_alone_shows_its_subcommands() -> None:
    result = run("kb")
    assert result.returncode == 2  # nothing was done: bad usage, but with the way forward
    assert re.search(r"^\s+check\s+validate", result.stdout, re.MULTILINE), result.stdout
    assert "required" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


# -- probe progress on a terminal -----------------------------------------------------------------


def _slow_probe_args(port: int, *extra: str) -> list[str]:
    # A server that accepts and never answers: the probe runs until its 1.5 s deadline.
    return [
        "probe",
        f"http://127.0.0.1:{port}/slow",
        "--allow-network",
        "127.0.0.0/8",
        "--allow-port",
        str(port),
        "--deadline",
        "1.5",
        *extra,
    ]


def _spawn(args: list[str], *, stderr: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "EO_KNOWLEDGE_DIRS"}
    env.update(NO_COLOR="1", TERM="xterm", COLUMNS="200")
    return subprocess.Popen(
        [sys.executable, "-m", "bot", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=stderr,
        cwd=ROOT,
        env=env,
    )


def _read_terminal(fd: int) -> bytes:
    out = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the other side of the terminal is closed
            break
        if not chunk:
            break
        out += chunk
    return out


def test_slow_probe_shows_progress_on_a_terminal_and_nothing_when_piped() -> None:
    import pty

    from tests.servers import SilentServer

    with SilentServer() as server:
        text_master, text_slave = pty.openpty()
        json_master, json_slave = pty.openpty()
        # All three run at once: each takes the probe's 1.5 s deadline.
        on_terminal = _spawn(_slow_probe_args(server.port), stderr=text_slave)
        json_on_terminal = _spawn(_slow_probe_args(server.port, "--json"), stderr=json_slave)
        piped = _spawn(_slow_probe_args(server.port), stderr=subprocess.PIPE)
        os.close(text_slave)
        os.close(json_slave)
        terminal = _read_terminal(text_master).decode()
        json_terminal = _read_terminal(json_master).decode()
        piped_out, piped_err = piped.communicate(timeout=60)
        text_out, _ = on_terminal.communicate(timeout=60)
        json_out, _ = json_on_terminal.communicate(timeout=60)
        os.close(text_master)
        os.close(json_master)

    assert on_terminal.returncode == json_on_terminal.returncode == piped.returncode == 0
    # Phase by phase on one line, redrawn in place, erased before the report.
    assert f"probing http://127.0.0.1:{server.port}/slow: DNS ✓" in terminal
    assert "connect ✓" in terminal
    assert "HTTP …" in terminal  # what it was waiting for when the deadline came
    assert terminal.endswith("\r\x1b[K")
    assert "\n" not in terminal
    # The report itself is on stdout, untouched.
    assert b"\x1b" not in text_out
    assert b"deadline" in text_out
    # Nothing extra with --json or when stderr is not a terminal.
    assert json_terminal == ""
    assert json.loads(json_out)["schema_version"] == 1
    assert piped_err == b""
    assert b"deadline" in piped_out


async def test_terminal_progress_line_phase_by_phase() -> None:
    from bot.probe_cli import TerminalProgress

    assert TerminalProgress.phases_for("shop.example.com", origin=True) == [
        "dns",
        "connect",
        "tls",
        "http",
        "origin",
    ]
    assert TerminalProgress.phases_for("HTTP://shop.example.com", origin=False) == [
        "dns",
        "connect",
        "http",
    ]
    now = [0.0]
    stream = io.StringIO()
    progress = TerminalProgress(
        stream,
        "https://shop.example.com/\x1b[2J",
        ["dns", "connect", "tls", "http"],
        delay=0.0,
        tick=60.0,
        clock=lambda: now[0],
    )
    await progress.phase("dns")
    progress.clear()
    assert stream.getvalue() == ""  # nothing drawn before the delay, nothing to erase
    now[0] = 1.25
    ticker = asyncio.create_task(progress.run())
    for _ in range(10):  # a few turns of the loop: run() sleeps for the (zero) delay, then draws
        if stream.getvalue():
            break
        await asyncio.sleep(0)
    await progress.phase("connect")
    drawn = stream.getvalue()
    ticker.cancel()
    progress.clear()
    first, second = drawn.split("\r\x1b[K")[1:]
    assert first == "probing https://shop.example.com/<U+001B>[2J: DNS ✓  connect … 1.2 s"
    assert second == "probing https://shop.example.com/<U+001B>[2J: DNS ✓  connect ✓  TLS … 1.2 s"
    assert stream.getvalue().endswith("\r\x1b[K")
