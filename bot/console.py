"""The local console: type what you would type in Slack and get the same answers as text.

`eo-bot console` (and `eo-bot` without Slack settings) reads one message per line from a terminal
or a pipe: ``/eo 524``, ``@eo https://shop.example.com/ gives 522``, ``watch https://… for 10m``.
Every line goes through the same conversation handlers the Slack app uses (``bot.chat``); only the
surface differs, printing replies with the terminal renderers. The buttons of a diagnosis have
console words: ``again`` (Probe again) and ``compare HOST[:PORT]`` (Compare with origin).

Lines are handled in order and a line's probe finishes before the next line is read, so scripts
get their output in order; watches keep running in the background, and at the end of the input
the console waits for them to end (recovery or time up). Ctrl-C stops everything cleanly.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import re
import sys
import threading
from collections.abc import Callable
from typing import TextIO

from bot.chat.conversation import Conversation
from bot.chat.limits import RateLimiter
from bot.chat.replies import Notice, ProbeOutcome, Reply
from bot.chat.services import Services
from bot.chat.surface import Turn
from bot.config import ConfigError, watch_settings
from bot.intent import parse_origin
from bot.knowledge import load
from bot.probe.runner import ProbeSettings
from bot.render.chat_text import render_reply
from bot.render.text import Style

USER = "you"
CHANNEL = "console"
THREAD = "console"
MAX_LINE = 4000  # Slack's own limit for a message is about this; longer lines are refused

_PREFIX = re.compile(r"^\s*(?:/eo\b|@eo\b[:,]?|<@[A-Z0-9]+>)\s*", re.IGNORECASE)
_QUIT = frozenset({"quit", "exit", "bye", ":q"})


class ConsoleSurface:
    """Prints each reply once it is final; remembers the last diagnosis for `again`/`compare`."""

    def __init__(self, out: TextIO, *, style: Style | None = None) -> None:
        self.out = out
        self.style = style or Style()
        self.last: ProbeOutcome | None = None
        self.closed = False  # the reader went away (`| head`): stop reading input
        self._refs = itertools.count(1)

    async def reply(self, turn: Turn, reply: Reply, *, public: bool = False) -> None:
        self._show(reply)

    async def post(self, channel: str, reply: Reply, *, thread: str | None) -> str:
        self._show(reply)
        return f"console-{next(self._refs)}"

    async def update(self, channel: str, ref: str, reply: Reply) -> None:
        self._show(reply)

    def _show(self, reply: Reply) -> None:
        if isinstance(reply, ProbeOutcome) and reply.buttons and reply.watch is None:
            self.last = reply
        text = render_reply(reply, style=self.style)
        if text is None or self.closed:
            return
        try:
            self.out.write(text.rstrip("\n") + "\n\n")
            self.out.flush()
        except BrokenPipeError:
            self.closed = True


class Console:
    def __init__(self, conversation: Conversation, surface: ConsoleSurface) -> None:
        self.conversation = conversation
        self.surface = surface

    async def line(self, raw: str) -> bool:
        """Handle one typed line; False when the person asked to quit."""
        text = raw.strip()
        if not text or text.startswith("#"):
            return True
        if text.lower() in _QUIT:
            return False
        turn = Turn(text="", user=USER, channel=CHANNEL, thread=THREAD, kind="console")
        if len(text) > MAX_LINE:
            await self.surface.reply(
                turn,
                Notice(f"That line is {len(text)} characters; I read at most {MAX_LINE}."),
            )
            return True
        text = _PREFIX.sub("", text, count=1)
        word, _, rest = text.partition(" ")
        if word.lower() in ("again", "reprobe") and not rest.strip():
            await self._again(turn)
        elif word.lower() == "compare":
            await self._compare(turn, rest)
        else:
            await self.conversation.handle(Turn(text, USER, CHANNEL, THREAD, "console"))
        await self.settle()
        return True

    async def _again(self, turn: Turn) -> None:
        last = self.surface.last
        if last is None:
            await self.surface.reply(turn, Notice("Nothing to probe again yet: probe a URL first."))
            return
        await self.conversation.probe_again(turn, last.request, last.snapshot)

    async def _compare(self, turn: Turn, rest: str) -> None:
        last = self.surface.last
        if last is None:
            await self.surface.reply(turn, Notice("Probe a URL first, then `compare HOST[:PORT]`."))
            return
        origin, problem = parse_origin(rest)
        if origin is None:
            await self.surface.reply(turn, Notice(problem))
            return
        await self.conversation.compare(turn, last.request, origin, last.snapshot)

    async def settle(self) -> None:
        """Wait for the probes this line started (not for watches, which run on)."""
        tasks = self.conversation.services.tasks
        while True:
            watching = {w.task for w in self.conversation.watches if w.task is not None}
            pending = tasks.running() - watching
            if not pending:
                return
            await asyncio.wait(pending)

    async def finish(self) -> None:
        """End of input: let the watches run to their end, then the rest."""
        await self.conversation.services.tasks.drain()


async def run_console(
    conversation: Conversation,
    surface: ConsoleSurface,
    read_line: Callable[[], str],
    *,
    prompt: Callable[[], None] | None = None,
) -> None:
    """Read and handle lines until the input ends or `quit`; Ctrl-C stops the watches cleanly."""
    console = Console(conversation, surface)
    lines = _LineReader(read_line)
    try:
        while True:
            if prompt is not None:
                prompt()
            raw = await lines.get()
            if raw == "":  # end of input
                break
            if not await console.line(raw) or surface.closed:
                break
        await console.finish()
    except asyncio.CancelledError:
        await conversation.shutdown(limit=2.0)
        raise


class _LineReader:
    """Lines from a daemon thread, one read ahead at most.

    A blocking read must not keep the process alive at exit (a daemon thread does not), and a
    pipe is read only as fast as its lines are handled.
    """

    def __init__(self, read_line: Callable[[], str]) -> None:
        self._read_line = read_line
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._wanted = threading.Semaphore(1)
        threading.Thread(target=self._read, name="console-input", daemon=True).start()

    def _read(self) -> None:
        while True:
            self._wanted.acquire()
            try:
                raw = self._read_line()
            except (OSError, ValueError, UnicodeDecodeError):
                raw = ""  # a closed or undecodable input ends the session like EOF
            try:
                self._loop.call_soon_threadsafe(self._queue.put_nowait, raw)
            except RuntimeError:
                return  # the loop has closed: the console is over
            if raw == "":
                return

    async def get(self) -> str:
        raw = await self._queue.get()
        self._wanted.release()
        return raw


def console_main(
    environ: dict[str, str] | None = None,
    *,
    stdin: TextIO | None = None,
    out: TextIO | None = None,
) -> int:
    """`eo-bot console`; returns the exit status."""
    env = dict(os.environ if environ is None else environ)
    source = stdin or sys.stdin
    stdout = out or sys.stdout
    try:
        settings = ProbeSettings.from_env(env)
        watch = watch_settings(env)
    except (ValueError, ConfigError) as exc:
        print(f"eo-bot console: {exc}", file=sys.stderr)
        return 2
    kb = load()
    interactive = source.isatty()
    style = Style(color=stdout.isatty() and "NO_COLOR" not in env)
    # One person at their own terminal: the per-user probe budget is generous.
    services = Services.build(kb, settings, rate=RateLimiter(60, 60.0), watch=watch)
    surface = ConsoleSurface(stdout, style=style)
    conversation = Conversation(services, surface)
    prompt = None
    if interactive:
        stdout.write(
            "eo-bot console: type what you would type in Slack (`help` lists it, `quit` ends).\n"
        )

        def prompt() -> None:
            stdout.write("eo> ")
            stdout.flush()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_console(conversation, surface, source.readline, prompt=prompt))
    return 0
