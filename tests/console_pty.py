"""`eo-bot console` on a pseudo-terminal, and a small terminal screen to read what it shows.

``Session`` starts ``python -m bot console`` with the pty's slave as its controlling terminal (so
``\\x03`` typed into the master is a real SIGINT), types into the master and keeps everything the
console wrote. ``Screen`` replays that output the way a VT100-style terminal (xterm) would: enough
of it (cursor moves, erase, deferred wrap at the right margin, wide characters) to check what a
person sees, not what bytes were sent.
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import struct
import subprocess
import sys
import termios
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

ROOT = Path(__file__).resolve().parents[1]
WAIT = 30.0  # seconds before a test gives up waiting for the console (never hit when it works)

UP = "\x1b[A"
LEFT = "\x1b[D"
CTRL_C = "\x03"
CTRL_D = "\x04"


class Session:
    def __init__(self, env: dict[str, str], *, columns: int = 80, rows: int = 24) -> None:
        self.columns = columns
        master, slave = os.openpty()
        fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        self.master = master
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _TAKE_TERMINAL, sys.executable, "-m", "bot", "console"],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        os.close(slave)
        self.raw = b""

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(WAIT)
        os.close(self.master)

    @property
    def text(self) -> str:
        return self.raw.decode(errors="replace")

    def screen(self) -> Screen:
        screen = Screen(self.columns)
        screen.feed(self.text)
        return screen

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def wait_for(self, done: Callable[[], bool], what: str) -> None:
        """Read output until ``done()``; fails after WAIT seconds, or at the end of the output,
        saying what was expected and showing the screen."""
        deadline = time.monotonic() + WAIT
        while not done():
            if time.monotonic() > deadline or not self._read(0.2):
                if done():
                    return
                raise AssertionError(f"waited for {what}; the screen shows:\n{self.screen()}")

    def wait_text(self, text: str, *, after: int = 0) -> int:
        """Wait until ``text`` was written after offset ``after`` of the output; its offset."""
        self.wait_for(lambda: self.text.find(text, after) >= 0, repr(text))
        return self.text.find(text, after)

    def wait_prompt(self, after: int = 0) -> int:
        """Wait for a prompt written after ``after``; the offset just past it."""
        return self.wait_text("eo> ", after=after) + len("eo> ")

    def wait_reading(self) -> None:
        """Wait until the console sleeps waiting for a key, before typing a Ctrl-C at the prompt.

        Python's readline notices a signal only when it interrupts its wait for input (EINTR);
        one arriving while it handles the previous key stays pending until the next key. No
        person is that quick, a test is. On Linux the main thread's wait channel says when it
        waits; elsewhere a short pause stands in for it.
        """
        wchan = Path(f"/proc/{self.proc.pid}/wchan")
        if not wchan.exists():
            time.sleep(0.2)
            return
        self.wait_for(
            lambda: any(word in wchan.read_text() for word in ("poll", "select")),
            "the console to wait for a key",
        )

    def finish(self) -> int:
        """Read until the console exits and closes the terminal; its exit status."""
        deadline = time.monotonic() + WAIT
        while self._read(0.2):
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"the console did not exit; the screen shows:\n{self.screen()}"
                )
        return self.proc.wait(WAIT)

    def _read(self, timeout: float) -> bool:
        """Read what is there within ``timeout``; False once the console closed the terminal."""
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return True
        try:
            data = os.read(self.master, 65536)
        except OSError:  # EIO: every writer of the terminal has gone
            return False
        self.raw += data
        return bool(data)


def with_ctrl_c(*argv: str) -> list[str]:
    """``argv`` run with SIGINT at its default, whatever the test run inherited: started in the
    background, a shell hands its jobs SIGINT ignored, and Python then never installs its own
    handler, so Ctrl-C tests would test nothing."""
    restore = "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    return [sys.executable, "-c", restore + "os.execv(sys.argv[1], sys.argv[1:])", *argv]


# In the new session, make the pty the controlling terminal (so Ctrl-C typed there is a SIGINT
# for the console) and let SIGINT through (a test run started in the background inherits it
# ignored), then become the console. A script rather than preexec_fn: the test process runs
# server threads, and preexec_fn is unsafe in a process with threads.
_TAKE_TERMINAL = (
    "import fcntl, os, signal, sys, termios; "
    "fcntl.ioctl(0, termios.TIOCSCTTY, 0); "
    "signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "os.execv(sys.argv[1], sys.argv[1:])"
)


_CSI = re.compile(r"\x1b\[([?0-9;]*)([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[=>()][0-9A-B]?")


class Screen:
    """What a terminal ``columns`` wide shows for some output: rows of text, styles dropped."""

    def __init__(self, columns: int) -> None:
        self.columns = columns
        self.rows: list[list[str]] = [[]]
        self.x = 0
        self.y = 0
        self.wrap_next = False  # xterm defers the wrap at the right margin to the next character

    def feed(self, text: str) -> None:
        pos = 0
        while pos < len(text):
            match = _CSI.match(text, pos)
            if match:
                self._control(match.group(1) or "", match.group(2) or "")
                pos = match.end()
                continue
            self._char(text[pos])
            pos += 1

    def lines(self) -> list[str]:
        return ["".join(row).rstrip() for row in self.rows]

    def __str__(self) -> str:
        return "\n".join(self.lines()).rstrip("\n")

    def tail(self, rows: int) -> str:
        """The last ``rows`` rows as one text, a row wrapped at the margin joined to the next."""
        return "".join("".join(row).ljust(self.columns) for row in self.rows[-rows:]).rstrip()

    def prompt_line(self) -> str:
        """The last row that holds anything: where the cursor's prompt is after output."""
        shown = [line for line in self.lines() if line.strip()]
        return shown[-1] if shown else ""

    def _row(self) -> list[str]:
        while len(self.rows) <= self.y:
            self.rows.append([])
        row = self.rows[self.y]
        while len(row) < self.x:
            row.append(" ")
        return row

    def _char(self, ch: str) -> None:
        if ch == "\r":
            self.x, self.wrap_next = 0, False
        elif ch == "\n":
            self.y += 1
            self.wrap_next = False
        elif ch == "\b":
            self.x, self.wrap_next = max(0, self.x - 1), False
        elif ch in "\x07\x00":
            pass
        else:
            if unicodedata.category(ch) in ("Mn", "Me"):
                return
            wide = unicodedata.east_asian_width(ch) in ("W", "F")
            if self.wrap_next or self.x + (2 if wide else 1) > self.columns:
                self.x, self.y, self.wrap_next = 0, self.y + 1, False
            row = self._row()
            cells = [ch, ""] if wide else [ch]
            row[self.x : self.x + len(cells)] = cells
            self.x += len(cells)
            if self.x >= self.columns:
                self.x, self.wrap_next = self.columns - 1, True

    def _control(self, params: str, final: str) -> None:
        if params.startswith("?") or final == "m":
            return  # modes and styles do not move anything
        numbers = [int(p) if p else 0 for p in params.split(";")] if params else [0]
        count = max(numbers[0], 1)
        self.wrap_next = False
        if final == "A":
            self.y = max(0, self.y - count)
        elif final == "B":
            self.y += count
        elif final == "C":
            self.x = min(self.columns - 1, self.x + count)
        elif final == "D":
            self.x = max(0, self.x - count)
        elif final == "G":
            self.x = count - 1
        elif final == "K":
            row = self._row()
            if numbers[0] == 0:
                del row[self.x :]
            elif numbers[0] == 2:
                row[:] = []
        elif final == "J" and numbers[0] == 0:
            del self._row()[self.x :]
            del self.rows[self.y + 1 :]
        elif final == "P":
            del self._row()[self.x : self.x + count]
        elif final == "@":
            self._row()[self.x : self.x] = [" "] * count
