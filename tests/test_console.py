"""The local console: the same handlers as Slack, driven through a pipe, rendered as text."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bot.console import MAX_LINE, console_main
from bot.markup import MAX_INPUT_CHARS, to_plain
from tests.console_pty import with_ctrl_c
from tests.servers import HTTPServer
from tests.servers.http import Response

ROOT = Path(__file__).resolve().parents[1]
LOOPBACK = {
    "EO_PROBE_ALLOW_NETWORKS": "127.0.0.0/8",
    "EO_PROBE_ALLOW_PORTS": "1-65535",
    "EO_PROBE_DEADLINE": "3",
    "EO_WATCH_INTERVAL": "1",
    "NO_COLOR": "1",
}


def run(lines: list[str], env: dict[str, str] | None = None) -> tuple[int, str]:
    out = io.StringIO()
    status = console_main(
        env or dict(LOOPBACK), stdin=io.StringIO("\n".join(lines) + "\n"), out=out
    )
    return status, out.getvalue()


def test_questions_are_answered_like_in_slack() -> None:
    status, out = run(["/eo 524", "@eo NODE_FUNCTON_INVOCATION_TIMEOUT", "origin keeps timing out"])
    assert status == 0
    assert out.count("524") >= 2
    assert "NODE_FUNCTION_INVOCATION_TIMEOUT" in out
    blocks = [b for b in out.split("\n\n") if b.strip()]
    assert len(blocks) >= 3  # one answer per line


def test_probe_then_again_shows_what_changed_then_compare() -> None:
    with (
        HTTPServer(sequence=[Response(status=502), Response(status=200)]) as edge,
        HTTPServer(status=200) as origin,
    ):
        url = f"http://127.0.0.1:{edge.port}/cart"
        status, out = run(
            [f"@eo {url} gives 502", "again", f"compare 127.0.0.1:{origin.port}", "quit", "/eo 524"]
        )
        assert edge.hits == 3
        assert origin.hits == 1
    assert status == 0
    first, _, rest = out.partition("What changed: 502 → 200")
    assert "502" in first
    assert "Fault: origin" in first
    assert rest, out
    assert "Origin" in rest
    assert f"127.0.0.1:{origin.port}" in rest
    # `quit` ends the session: the question after it is never answered.
    assert "Origin response timeout" not in rest


def test_watch_through_a_pipe_runs_to_the_recovery() -> None:
    responses = [Response(status=503), Response(status=503), Response(status=200)]
    with HTTPServer(sequence=responses) as target:
        status, out = run([f"watch http://127.0.0.1:{target.port}/ for 1m"])
        assert target.hits == 3
    assert status == 0
    assert "Watching" in out
    assert "Recovered: 503 → 200" in out


def test_bad_lines_get_plain_answers() -> None:
    status, out = run(
        ["again", "compare", "watch for 10m", "probe", "x" * 5000, "/eo probe http://10.0.0.1/"]
    )
    assert status == 0
    assert "Nothing to probe again yet" in out
    assert "Probe a URL first" in out
    assert "I need a URL to watch" in out
    assert "I need a URL to probe" in out
    assert "That line is 5,000 characters long; I read at most 4,000" in out
    assert "won't probe" in out


def test_long_lines_are_refused_with_the_limit_the_intent_layer_reads() -> None:
    # The console refuses what bot.markup would cut, so a line is read whole or not at all.
    assert MAX_LINE == MAX_INPUT_CHARS
    question = "origin keeps timing out 524 "
    at_limit = "/eo " + (question * MAX_LINE)[: MAX_LINE - 3] + "524"
    assert to_plain(at_limit.removeprefix("/eo ")).truncated is False
    status, out = run([at_limit, "x" * (MAX_LINE + 1), "y" * 300_000, "/eo 524"])
    assert status == 0
    refusals = [b for b in out.split("\n\n") if "characters long" in b]
    assert refusals == [
        "That line is 4,001 characters long; I read at most 4,000 in one message. Ask with a "
        "few words, or give just the URL to probe.",
        "That line is 300,000 characters long; I read at most 4,000 in one message. Ask with "
        "a few words, or give just the URL to probe.",
    ]
    assert out.count("Origin response timeout") == 2  # the line at the limit, and the last one


def test_a_pipe_gets_plain_unwrapped_text_and_no_control_characters() -> None:
    # An 8-bit CSI and a right-to-left override, UTF-8 encoded (the server writes Latin-1).
    hostile = "evil\u009b31m\u202etxt.exe".encode().decode("latin-1")
    env = dict(LOOPBACK)
    env.pop("NO_COLOR")
    with HTTPServer(status=502, headers={"Server": hostile}) as target:
        url = f"http://127.0.0.1:{target.port}/"
        status, out = run([f"/eo probe {url}", "probe"], env=env | {"COLUMNS": "40"})
    assert status == 0
    assert "Server: evil<U+009B>31m<U+202E>txt.exe" in out
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]", out)
    assert "Usage: `probe <url>" in out  # code keeps its backticks; nothing is coloured
    assert any(len(line) > 40 for line in out.split("\n"))  # COLUMNS wraps a terminal only


def test_bad_setting_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    status, out = run(["/eo 524"], env={"EO_WATCH_INTERVAL": "soon"})
    assert status == 2
    assert out == ""
    assert "EO_WATCH_INTERVAL" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["console"], []], ids=["console", "no-arguments"])
def test_entry_point_reads_a_pipe(argv: list[str]) -> None:
    """`eo-bot console`, and `eo-bot` without Slack settings (the README's run command)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "EO_"))}
    env.update(NO_COLOR="1")
    result = subprocess.run(
        [sys.executable, "-m", "bot", *argv],
        input="/eo 524\n\n# a comment\nhelp\n",
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "524" in result.stdout
    assert "watch https://" in result.stdout  # the console's help
    assert "Traceback" not in result.stderr
    assert "\x1b" not in result.stdout  # no styles and no readline into a pipe
    assert "eo>" not in result.stdout


def test_ctrl_c_stops_a_watch_and_says_so() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "EO_"))}
    env.update(LOOPBACK)
    with HTTPServer(status=502) as target:
        proc = subprocess.Popen(
            with_ctrl_c(sys.executable, "-m", "bot", "console"),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=env,
        )
        assert proc.stdin is not None
        assert proc.stdout is not None
        proc.stdin.write(f"watch http://127.0.0.1:{target.port}/ for 5m\n")
        proc.stdin.flush()
        seen = []
        for line in proc.stdout:  # the input stays open: only Ctrl-C ends this session
            seen.append(line)
            if "Watching:" in line:
                break
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Watching:" in "".join(seen)
    assert "stopped: eo-bot is shutting down" in rest
    assert "Traceback" not in err
