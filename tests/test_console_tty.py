"""The console at a terminal: `python -m bot console` on a pseudo-terminal, typed at like a person.

History across sessions, the prompt coming back (with what was typed) after a watch's news,
Ctrl-C and Ctrl-D, wrapping to the window, and styles only on a terminal.
"""

from __future__ import annotations

import os
import re
import stat
import threading
from pathlib import Path

import pytest

from tests.console_pty import CTRL_C, CTRL_D, LEFT, UP, Session
from tests.servers import HTTPServer
from tests.servers.http import RecordedRequest, Response

TITLE = "Origin response timeout"  # the knowledge entry for 524
LOOPBACK = {
    "EO_PROBE_ALLOW_NETWORKS": "127.0.0.0/8",
    "EO_PROBE_ALLOW_PORTS": "1-65535",
    "EO_PROBE_DEADLINE": "3",
    "EO_WATCH_INTERVAL": "1",
}
SGR = re.compile(r"\x1b\[[0-9;]*m")


def terminal_env(home: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "EO_", "XDG_")) and k not in ("NO_COLOR", "COLUMNS")
    }
    env.update(HOME=str(home), TERM="xterm", LC_ALL="C.UTF-8", **extra)
    return env


def ask_524(tty: Session) -> None:
    start = tty.wait_prompt()
    tty.type("/eo 524\r")
    tty.wait_prompt(tty.wait_text(TITLE, after=start))


# ---------------------------------------------------------------- history


def test_history_is_kept_across_sessions_in_a_private_file(tmp_path: Path) -> None:
    env = terminal_env(tmp_path, XDG_STATE_HOME=str(tmp_path / "state"))
    with Session(env) as tty:
        ask_524(tty)
        tty.type(CTRL_D)
        assert tty.finish() == 0
    history = tmp_path / "state" / "eo-bot" / "history"
    assert "/eo 524" in history.read_text().splitlines()
    assert stat.S_IMODE(history.stat().st_mode) == 0o600
    assert stat.S_IMODE(history.parent.stat().st_mode) == 0o700

    with Session(env) as tty:
        start = tty.wait_prompt()
        tty.type(UP)
        tty.wait_for(lambda: tty.screen().prompt_line() == "eo> /eo 524", "the line recalled")
        tty.type("\r")
        tty.wait_prompt(tty.wait_text(TITLE, after=start))
        tty.type(CTRL_D)
        assert tty.finish() == 0


def test_history_lives_under_home_by_default_and_stays_bounded(tmp_path: Path) -> None:
    history = tmp_path / ".local" / "state" / "eo-bot" / "history"
    history.parent.mkdir(parents=True)
    history.write_text("".join(f"/eo {400 + i % 200}\n" for i in range(1500)))
    with Session(terminal_env(tmp_path)) as tty:
        ask_524(tty)
        tty.type(CTRL_D)
        assert tty.finish() == 0
    lines = history.read_text().splitlines()
    assert len(lines) == 1000
    assert lines[-1] == "/eo 524"


def test_a_plain_terminal_unwritable_home_no_color_and_columns(tmp_path: Path) -> None:
    home = tmp_path / "not-a-directory"
    home.write_text("")
    with Session(terminal_env(home, NO_COLOR="1", COLUMNS="60"), columns=100) as tty:
        ask_524(tty)
        start = len(tty.text)
        tty.type("probe\r")
        tty.wait_prompt(tty.wait_text("I need a URL", after=start))
        tty.type(CTRL_D)
        assert tty.finish() == 0
    assert tty.text.count("history is not saved") == 1
    assert tty.text.startswith("eo-bot console: history is not saved (")
    assert "Traceback" not in tty.text
    # NO_COLOR: no styles at all, and code keeps its backticks to show where it starts and ends.
    assert "`probe <url> [origin=<host|ip>[:port]]`" in tty.text
    assert not SGR.search(tty.text)
    # COLUMNS wins over the window's width, as in shutil.get_terminal_size.
    rows = [r for r in tty.text.split("\r\n")[1:] if not r.lstrip().startswith("$ ")]
    assert max(len(r) for r in rows if "://" not in r) <= 60
    commands = [r for r in tty.text.split("\r\n") if r.lstrip().startswith("$ curl")]
    assert len(commands) == 2  # whole, copy-pastable, longer than the width
    assert all(len(r) > 60 for r in commands)


# ---------------------------------------------------------------- output while typing


def recovers_when(released: threading.Event) -> HTTPServer:
    """A site that answers 503 until ``released``, then 200: a watch's news on demand."""

    def answer(request: RecordedRequest) -> Response:
        return Response(status=200 if released.is_set() else 503)

    return HTTPServer({"/": answer})


@pytest.mark.parametrize(
    ("columns", "typed", "keys"),
    [
        pytest.param(80, "/eo 52", "", id="short-line"),
        pytest.param(
            40,
            "/eo why does the origin keep timing out after a deploy 52",
            LEFT * 7,
            id="two-rows-cursor-moved",
        ),
    ],
)
def test_watch_news_prints_above_the_prompt_and_what_was_typed_comes_back(
    tmp_path: Path, columns: int, typed: str, keys: str
) -> None:
    released = threading.Event()
    with (
        recovers_when(released) as site,
        Session(terminal_env(tmp_path, **LOOPBACK), columns=columns) as tty,
    ):
        start = tty.wait_prompt()
        tty.type(f"watch http://127.0.0.1:{site.port}/ for 1m\r")
        start = tty.wait_prompt(tty.wait_text("Watching:", after=start))
        tty.type(typed + keys)
        tty.wait_for(lambda: typed[-8:] in tty.text[start:], "the typed text echoed")
        tty.wait_reading()  # every key handled: the news finds readline waiting
        released.set()
        news = tty.wait_text("Recovered", after=start)
        shown = "eo> " + typed

        def typed_line_redrawn() -> bool:
            return tty.screen().tail(3).endswith(shown)

        tty.wait_for(typed_line_redrawn, "the prompt and the typed text drawn again")
        screen = tty.screen()
        recovered = next(i for i, line in enumerate(screen.lines()) if "Recovered" in line)
        assert screen.tail(len(screen.rows) - recovered).count(shown) == 1  # below the news
        assert screen.tail(len(screen.rows)).count(shown) == 1  # the half-typed copy is gone
        assert not screen.lines()[recovered].startswith("eo>")

        # The line is intact, cursor included: what is typed now goes where the cursor was.
        tty.type("4\r")
        cut = len(typed) - len(keys) // len(LEFT)
        entered = typed[:cut] + "4" + typed[cut:]
        history = tmp_path / ".local" / "state" / "eo-bot" / "history"
        tty.wait_for(lambda: history.read_text().endswith(entered + "\n"), repr(entered))
        tty.wait_for(lambda: tty.screen().prompt_line() == "eo>", "the answer, then a prompt")
        assert tty.text.find("eo> " + typed, news) > 0
        tty.type(CTRL_D)
        assert tty.finish() == 0


# ---------------------------------------------------------------- keys


def test_ctrl_c_at_the_prompt_clears_the_line_and_ctrl_d_quits(tmp_path: Path) -> None:
    with Session(terminal_env(tmp_path)) as tty:
        start = tty.wait_prompt()
        tty.type("/eo 524")
        tty.wait_text("/eo 524", after=start)
        tty.wait_reading()
        tty.type(CTRL_C)
        start = tty.wait_prompt(tty.wait_text("^C", after=start))
        tty.type("help\r")
        start = tty.wait_prompt(tty.wait_text("Type what you would type", after=start))
        assert TITLE not in tty.text  # "/eo 524" was dropped, not sent with "help"

        tty.wait_reading()
        tty.type(CTRL_C)
        start = tty.wait_prompt(tty.wait_text("^C", after=start))
        tty.wait_reading()
        tty.type(CTRL_C)
        tty.wait_prompt(tty.wait_text("Ctrl-D ends the console", after=start))
        assert tty.proc.poll() is None
        tty.type(CTRL_D)
        assert tty.finish() == 0
    assert "Traceback" not in tty.text


def test_quit_waits_for_the_watches_and_ctrl_c_stops_them(tmp_path: Path) -> None:
    with HTTPServer(status=502) as site, Session(terminal_env(tmp_path, **LOOPBACK)) as tty:
        start = tty.wait_prompt()
        tty.type(f"watch http://127.0.0.1:{site.port}/ for 5m\r")
        start = tty.wait_prompt(tty.wait_text("Watching:", after=start))
        tty.type("quit\r")
        tty.wait_text("Waiting for the watch to end; Ctrl-C stops it", after=start)
        tty.type(CTRL_C)
        tty.wait_text("stopped: eo-bot is shutting down", after=start)
        assert tty.finish() == 0
    assert "Traceback" not in tty.text


def test_ctrl_c_while_a_probe_runs_stops_cleanly(tmp_path: Path) -> None:
    env = terminal_env(tmp_path, **{**LOOPBACK, "EO_PROBE_DEADLINE": "1"})
    with HTTPServer(sequence=[Response(action="silent")]) as site, Session(env) as tty:
        start = tty.wait_prompt()
        tty.type(f"/eo probe http://127.0.0.1:{site.port}/\r")
        tty.wait_text("Probing", after=start)
        tty.type(CTRL_C)
        assert tty.finish() == 0
    assert "Traceback" not in tty.text


# ---------------------------------------------------------------- how it looks


def test_styles_and_wrapping_on_a_terminal(tmp_path: Path) -> None:
    with Session(terminal_env(tmp_path), columns=50) as tty:
        start = tty.wait_prompt()
        tty.type("/eo 524\r")
        start = tty.wait_prompt(tty.wait_text(TITLE, after=start))
        tty.type("probe\r")
        tty.wait_prompt(tty.wait_text("I need a URL", after=start))
        tty.type(CTRL_D)
        assert tty.finish() == 0
    out = tty.text
    assert f"\x1b[1m{TITLE}" in out  # bold on a terminal
    assert "Usage: \x1b[36mprobe <url>" in out  # code coloured, without its backticks
    rows = SGR.sub("", out).split("\r\n")
    prose = [r for r in rows if not r.lstrip().startswith("$ ") and "://" not in r]
    assert prose
    assert max(len(r) for r in prose) <= 50  # wrapped to the window...
    assert any(r.startswith("    ") and "(origin)" not in r for r in rows)  # ...under bullets
