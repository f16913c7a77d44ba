"""The local console: type what you would type in Slack and get the same answers as text.

`eo-bot console` (and `eo-bot` without Slack settings) reads one message per line from a terminal
or a pipe: ``/eo 524``, ``@eo https://shop.example.com/ gives 522``, ``watch https://… for 10m``.
Every line goes through the same conversation handlers the Slack app uses (``bot.chat``); only the
surface differs, printing replies with the terminal renderers (``bot.render.chat_text``). The
buttons of a diagnosis have console words: ``again`` (Probe again) and ``compare HOST[:PORT]``
(Compare with origin).

From a pipe, lines are handled in order and a line's probe finishes before the next line is read,
so scripts get their output in order; watches keep running in the background, and at the end of
the input the console waits for them to end (recovery or time up). Ctrl-C stops everything
cleanly.

At a terminal, readline edits the line and keeps a history (``$XDG_STATE_HOME/eo-bot/history``);
news from a watch that arrives while someone types is printed above the prompt, which comes back
with what they typed. Ctrl-C at the prompt clears the line, as in a shell; Ctrl-D, ``quit`` or
``exit`` end the session (running watches are waited for, and Ctrl-C then stops them).

Each line is answered in its own language (a Chinese line in Chinese) unless ``--lang`` or
``EO_LANGUAGE`` fixes one; the console's own words (``again`` with nothing to repeat, the end of
input) follow the last line typed. Chinese console words work too: ``重新探测`` for ``again``,
``对比 HOST[:PORT]`` for ``compare``, ``退出`` for ``quit``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import ctypes
import itertools
import os
import re
import signal
import sys
import threading
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple, Protocol, TextIO, TypeVar

from bot.chat.conversation import Conversation
from bot.chat.regional_replies import RegionalOutcome
from bot.chat.replies import Notice, ProbeOutcome, Reply
from bot.chat.services import Services, regional_prober
from bot.chat.surface import Turn
from bot.config import ConfigError, agent_settings, edgeone_settings, watch_settings
from bot.i18n.catalogue import plural, texts
from bot.i18n.language import Choice, Language, language_setting
from bot.intent import parse_origin
from bot.knowledge import load
from bot.markup import MAX_INPUT_CHARS
from bot.probe.runner import ProbeSettings
from bot.render.chat_text import cells, render_mrkdwn, render_reply
from bot.render.text import Style
from bot.state.memory import RateLimiter

USER = "you"
CHANNEL = "console"
THREAD = "console"
# What the intent layer reads of one message (bot.markup.to_plain cuts the rest off silently); the
# console refuses a longer line whole instead, so nothing typed is ever read in part.
MAX_LINE = MAX_INPUT_CHARS
PROMPT = "eo> "
HISTORY_LENGTH = 1000  # lines kept in the history file
_READ_CHUNK = 1 << 16  # a pipe's line is read in pieces; past MAX_LINE they are counted, not kept

_T = TypeVar("_T")

_PREFIX = re.compile(r"^\s*(?:/eo\b|@eo\b[:,]?|<@[A-Z0-9]+>)\s*", re.IGNORECASE)
_QUIT = frozenset({"quit", "exit", "bye", ":q", "退出"})
_AGAIN = frozenset({"again", "reprobe", "重新探测", "再探测", "再测"})
_COMPARE = frozenset({"compare", "对比"})


class Line(NamedTuple):
    text: str  # "" is the end of the input; the whole line unless it was too long to keep
    length: int  # characters in the line as typed, without its line break


class Screen(Protocol):
    """Where replies are printed: a stream, or a terminal with someone typing at a prompt."""

    def show(self, text: str) -> None:
        """Print ``text`` (it ends with a line break); BrokenPipeError when the reader left."""

    def columns(self) -> int | None:
        """The width to wrap at, or None to leave lines as they are."""


class ConsoleSurface:
    """Prints each reply once it is final; remembers the last diagnosis for `again`/`compare`."""

    def __init__(self, screen: Screen, *, style: Style | None = None) -> None:
        self.screen = screen
        self.style = style or Style()
        self.last: ProbeOutcome | RegionalOutcome | None = None
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
        if isinstance(reply, ProbeOutcome | RegionalOutcome) and reply.buttons and not reply.watch:
            self.last = reply
        if self.closed:
            return
        text = render_reply(reply, style=self.style, width=self.screen.columns())
        if text is None:
            return
        try:
            self.screen.show(text.rstrip("\n") + "\n\n")
        except BrokenPipeError:
            self.closed = True


class Console:
    def __init__(self, conversation: Conversation, surface: ConsoleSurface) -> None:
        self.conversation = conversation
        self.surface = surface
        # The console's own words follow the last line typed (or the deployment's language).
        self.language: Language = conversation.services.language_for("")

    async def line(self, raw: str, *, length: int | None = None) -> bool:
        """Handle one typed line; False when the person asked to quit."""
        text = raw.strip()
        if not text or text.startswith("#"):
            return True
        if text.lower() in _QUIT:
            return False
        text = _PREFIX.sub("", text, count=1)
        self.language = self.conversation.services.language_for(text)
        cut = length is not None and length > len(raw.rstrip("\r\n"))
        size = length if cut and length is not None else len(text)
        if size > MAX_LINE:
            _ = texts(self.language)
            await self.say(
                _(
                    "That line is {size} characters long; I read at most {limit} in one "
                    "message. Ask with a few words, or give just the URL to probe."
                ).format(size=f"{size:,}", limit=f"{MAX_LINE:,}")
            )
            return True
        word, _sep, rest = text.partition(" ")
        if word.lower() in _AGAIN and not rest.strip():
            await self._again()
        elif word.lower() in _COMPARE:
            await self._compare(rest)
        else:
            await self.conversation.handle(Turn(text, USER, CHANNEL, THREAD, "console"))
        await self.settle()
        return True

    async def say(self, text: str, emoji: str = "") -> None:
        """One of the console's own messages (``text`` is in ``self.language``)."""
        turn = Turn(text="", user=USER, channel=CHANNEL, thread=THREAD, kind="console")
        await self.surface.reply(turn, Notice(text, emoji=emoji, language=self.language))

    async def _again(self) -> None:
        last = self.surface.last
        if last is None:
            _ = texts(self.language)
            await self.say(_("Nothing to probe again yet: probe a URL first."))
            return
        turn = Turn(text="", user=USER, channel=CHANNEL, thread=THREAD, kind="console")
        if isinstance(last, RegionalOutcome):
            await self.conversation.regional.again(turn, last.request, last.states)
            return
        await self.conversation.probe_again(turn, last.request, last.snapshot)

    async def _compare(self, rest: str) -> None:
        last = self.surface.last
        if last is None:
            _ = texts(self.language)
            await self.say(_("Probe a URL first, then `compare HOST[:PORT]`."))
            return
        origin, problem = parse_origin(rest, self.language)
        if origin is None:
            await self.say(problem)
            return
        turn = Turn(text="", user=USER, channel=CHANNEL, thread=THREAD, kind="console")
        if isinstance(last, RegionalOutcome):
            await self.conversation.regional.compare(turn, last.request, origin, last.states)
            return
        await self.conversation.compare(turn, last.request, origin, last.snapshot)

    async def settle(self) -> None:
        """Wait for the probes this line started (not for watches, which run on)."""
        tasks = self.conversation.services.tasks
        while True:
            pending = tasks.running() - self._watching()
            if not pending:
                return
            await asyncio.wait(pending)

    def _watching(self) -> set[asyncio.Task[None]]:
        return {w.task for w in self.conversation.watches if w.task is not None}

    async def finish(self, *, interactive: bool = False) -> None:
        """End of input: let the watches run to their end, then the rest."""
        count = len(self._watching())
        if interactive and count:
            ngettext = plural(self.language)
            waiting = ngettext(
                "Waiting for the watch to end; Ctrl-C stops it.",
                "Waiting for the {count} watches to end; Ctrl-C stops them.",
                count,
            )
            await self.say(waiting.format(count=count), "⏳")
        await self.conversation.services.tasks.drain()
        if self.conversation.services.regional is not None:
            await self.conversation.services.regional.close()


async def run_console(
    conversation: Conversation,
    surface: ConsoleSurface,
    lines: Lines,
    *,
    interactive: bool = False,
) -> None:
    """Handle lines until the input ends or `quit`; cancelling it stops the watches cleanly.
    With EdgeOne's API, its zones are read while the first line is typed; its client closes at
    the end."""
    console = Console(conversation, surface)
    api = conversation.services.edgeone
    warming = asyncio.create_task(api.warm()) if api is not None else None
    try:
        while True:
            line = await lines.get()
            if line.text == "":  # end of input
                break
            if not await console.line(line.text, length=line.length) or surface.closed:
                break
        await console.finish(interactive=interactive)
    except asyncio.CancelledError:
        await conversation.shutdown(limit=2.0)
        raise
    finally:
        if warming is not None:
            warming.cancel()
            await asyncio.gather(warming, return_exceptions=True)
        if api is not None:
            await api.aclose()


class Lines:
    """Lines handed from a reading thread to the console's event loop, read only when wanted.

    A pipe is read one line ahead at most (and only as fast as its lines are handled); a terminal
    only once the previous line is handled, so the prompt comes back after the whole answer.
    A blocking read must not keep the process alive at exit, so readers are daemon threads or
    the main thread.
    """

    def __init__(self, *, read_ahead: bool) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        self._queue: asyncio.Queue[Line] = asyncio.Queue()
        self._read_ahead = read_ahead
        self._wanted = threading.Semaphore(1 if read_ahead else 0)
        self._closed = False

    # -- the reading thread

    def wanted(self) -> bool:
        """Block until the console wants a line; False once it has ended."""
        self._wanted.acquire()
        return not self._closed

    def put(self, line: Line) -> None:
        with contextlib.suppress(RuntimeError):  # the loop has closed: the console is over
            self._loop.call_soon_threadsafe(self._queue.put_nowait, line)

    def interrupt(self) -> None:
        """Ctrl-C: cancel the console, which stops the watches (each says so) and ends."""
        if self._task is not None:
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._task.cancel)

    # -- the console

    async def get(self) -> Line:
        if not self._read_ahead:
            self._wanted.release()
        line = await self._queue.get()
        if self._read_ahead:
            self._wanted.release()
        return line

    def close(self) -> None:
        self._closed = True
        self._wanted.release()


def read_line(source: TextIO) -> Line:
    """One line of a pipe; a line longer than MAX_LINE is counted to its end but not all kept."""
    try:
        piece = source.readline(_READ_CHUNK)
        kept, length = piece, len(piece)
        while len(piece) == _READ_CHUNK and not piece.endswith("\n"):
            piece = source.readline(_READ_CHUNK)
            length += len(piece)
            if len(kept) <= MAX_LINE:
                kept += piece
    except (OSError, ValueError, UnicodeDecodeError):
        return Line("", 0)  # a closed or undecodable input ends the session like EOF
    return Line(kept, length - int(piece.endswith("\n")))


# ---------------------------------------------------------------- the terminal


class Stream:
    """Replies printed to a stream as they come (a pipe, a file, a terminal without readline)."""

    def __init__(self, out: TextIO, env: dict[str, str]) -> None:
        self.out = out
        self.env = env

    def show(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()

    def columns(self) -> int | None:
        return terminal_columns(self.env, self.out)


def terminal_columns(env: dict[str, str], out: TextIO) -> int | None:
    """The width to wrap at: None for a pipe or a file (scripts get lines as they are); at a
    terminal COLUMNS when set, as ``shutil.get_terminal_size`` reads it, else the window's width,
    asked each time (windows are resized)."""
    try:
        if not out.isatty():
            return None
        with contextlib.suppress(ValueError):
            if int(env.get("COLUMNS", "")) > 0:
                return int(env["COLUMNS"])
        return os.get_terminal_size(out.fileno()).columns
    except (OSError, ValueError):
        return None


class Terminal(Stream):
    """Someone typing at a prompt: readline's editing and history when ``readline`` is given.

    Output that arrives while they type (a watch's news, from the event loop's thread) is
    printed above the prompt: the prompt and the half-typed line (``get_line_buffer``) are
    erased, the text is printed, and readline draws them again with the cursor where it was.
    """

    def __init__(
        self,
        out: TextIO,
        env: dict[str, str],
        *,
        source: TextIO,
        readline: ModuleType | None,
        err: TextIO,
    ) -> None:
        super().__init__(out, env)
        self.source = source
        self.rl = readline
        self.err = err
        self._lock = threading.Lock()
        self._at_prompt = False
        self.history: History | None = None
        self._redraw: Callable[[], object] | None = None
        self._point: ctypes.c_int | None = None
        if readline is not None:
            readline.set_pre_input_hook(self._prompt_shown)
            self.history = History(readline, history_path(env), err=err)
            self._redraw, self._point = _readline_internals(readline)

    def show(self, text: str) -> None:
        with self._lock:
            if not self._at_prompt:
                super().show(text)
            elif self.rl is not None:
                typed = self.rl.get_line_buffer()
                self.out.write(self._erase(typed) + text)
                self.out.flush()
                if self._redraw is not None:
                    self._redraw()  # the prompt and what was typed, the cursor where it was
                else:
                    self.out.write(PROMPT + typed)  # what readline believes is on the screen
                    self.out.flush()
            else:
                super().show("\n" + text + PROMPT)

    def _erase(self, typed: str) -> str:
        """Back to the start of the prompt, and clear from there down."""
        before = typed
        if self._point is not None:  # a byte offset into readline's buffer
            encoded = typed.encode(errors="surrogateescape")
            before = encoded[: self._point.value].decode(errors="ignore")
        rows = cells(PROMPT + before) // (self.columns() or 80)
        return "\r" + (f"\033[{rows}A" if rows else "") + "\033[J"

    def _prompt_shown(self) -> None:
        with self._lock:
            self._at_prompt = True

    def read(self) -> Line:
        """One typed line; KeyboardInterrupt for Ctrl-C (readline has dropped the line)."""
        if self.rl is None:
            with self._lock:
                self._at_prompt = True
                super().show(PROMPT)
        before = self.rl.get_current_history_length() if self.rl is not None else 0
        try:
            with _ctrl_c_lands():
                typed = input(PROMPT) + "\n" if self.rl is not None else self.source.readline()
        except EOFError:
            typed = ""
        finally:
            with self._lock:
                self._at_prompt = False
        if self.rl is not None and self.history is not None:
            self.history.added(self.rl.get_current_history_length() - before)
        if typed == "":
            self.out.write("\n")  # Ctrl-D leaves the cursor after the prompt
        return Line(typed, len(typed.rstrip("\n")))

    def close(self) -> None:
        if self.rl is not None:
            self.rl.set_pre_input_hook(None)


def _readline_internals(
    readline: ModuleType,
) -> tuple[Callable[[], object] | None, ctypes.c_int | None]:
    """GNU readline's ``rl_forced_update_display`` and ``rl_point``, which the module lacks.

    ``readline.redisplay()`` draws only what changed since readline last drew, and printing
    above the prompt erased all of it; forcing a full redraw puts the prompt, the typed text and
    the cursor back. Without them (another readline), the prompt and text are printed again and
    the cursor is taken to be at the end of the line.
    """
    try:
        lib = ctypes.CDLL(getattr(readline, "__file__", None))
        redraw = lib.rl_forced_update_display
        redraw.restype, redraw.argtypes = ctypes.c_int, []
        return redraw, ctypes.c_int.in_dll(lib, "rl_point")
    except (OSError, AttributeError, ValueError):
        return None, None


def history_path(env: dict[str, str]) -> Path | None:
    """``$XDG_STATE_HOME/eo-bot/history``, by default ``~/.local/state/eo-bot/history``."""
    state = env.get("XDG_STATE_HOME", "")
    if not os.path.isabs(state):  # the XDG spec: a relative path is invalid and ignored
        home = env.get("HOME") or os.path.expanduser("~")
        if not os.path.isabs(home):
            return None
        state = os.path.join(home, ".local", "state")
    return Path(state) / "eo-bot" / "history"


class History:
    """The readline history, kept in a private file; each line is appended as it is typed (two
    consoles at once keep both) and the file is cut to HISTORY_LENGTH lines. A file that cannot
    be written costs one line of warning, never the session."""

    def __init__(self, readline: ModuleType, path: Path | None, *, err: TextIO) -> None:
        self.rl = readline
        self.path = path
        self.err = err
        readline.set_history_length(HISTORY_LENGTH)
        if path is None:
            return
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
            readline.read_history_file(str(path))
        except (OSError, UnicodeError) as exc:
            self._give_up(exc)

    def added(self, count: int) -> None:
        if self.path is None or count <= 0:
            return
        try:
            self.rl.append_history_file(count, str(self.path))
        except OSError as exc:
            self._give_up(exc)

    def _give_up(self, exc: BaseException) -> None:
        why = getattr(exc, "strerror", None) or "unreadable"
        self.err.write(f"eo-bot console: history is not saved ({self.path}: {why}).\n")
        self.err.flush()
        self.path = None


# ---------------------------------------------------------------- sessions


def _interactive(
    conversation: Conversation, surface: ConsoleSurface, terminal: Terminal, style: Style
) -> None:
    """A terminal session: this (main) thread reads, the event loop runs in a worker thread.

    Ctrl-C is taken only where this thread waits: at the prompt, where readline drops the line
    and the prompt comes back, as in a shell; and while a line or the watches run, where it
    cancels the console, which stops the watches cleanly, as from a pipe. In between (printing
    "^C", handing a line over) it is held back until the next wait, so a quick second Ctrl-C at
    the prompt is a Ctrl-C at the prompt again, never a half-handled one.
    """
    started: concurrent.futures.Future[Lines] = concurrent.futures.Future()

    async def session() -> None:
        lines = Lines(read_ahead=False)
        started.set_result(lines)
        try:
            await run_console(conversation, surface, lines, interactive=True)
        finally:
            lines.close()

    _hold_ctrl_c(True)
    worker = threading.Thread(target=_run_loop, args=(session,), name="console-loop", daemon=True)
    worker.start()
    lines = started.result()
    try:
        while _waiting(lines.wanted):
            line = _read_typed(terminal, style)
            lines.put(line)
            if line.text == "":
                break
        _waiting(worker.join)
    except KeyboardInterrupt:
        terminal.out.write("\n")
        lines.interrupt()
        with contextlib.suppress(KeyboardInterrupt):  # a second Ctrl-C leaves at once
            _waiting(worker.join)
    finally:
        terminal.close()
        _hold_ctrl_c(False)


def _read_typed(terminal: Terminal, style: Style) -> Line:
    """A line from the prompt; Ctrl-C there starts a fresh line (twice in a row: how to quit)."""
    interrupts = 0
    while True:
        try:
            return terminal.read()
        except KeyboardInterrupt:
            interrupts += 1
            hint = "(`quit` or Ctrl-D ends the console.)" if interrupts == 2 else ""
            terminal.show("^C\n" + (render_mrkdwn(hint, style=style) + "\n" if hint else ""))


def _hold_ctrl_c(hold: bool) -> None:
    """Block SIGINT for this thread (it stays pending), or let it through again."""
    if hasattr(signal, "pthread_sigmask"):  # POSIX; elsewhere Ctrl-C lands where it lands
        signal.pthread_sigmask(signal.SIG_BLOCK if hold else signal.SIG_UNBLOCK, {signal.SIGINT})


@contextlib.contextmanager
def _ctrl_c_lands() -> Iterator[None]:
    """Within this block a held-back or new Ctrl-C raises KeyboardInterrupt."""
    _hold_ctrl_c(False)
    try:
        yield
    finally:
        _hold_ctrl_c(True)


def _waiting(wait: Callable[[], _T]) -> _T:
    with _ctrl_c_lands():
        return wait()


def _run_loop(session: Callable[[], Coroutine[Any, Any, None]]) -> None:
    # Ctrl-C belongs to the main thread; this thread (and the resolver threads it starts, which
    # inherit the mask) never takes the signal, so it stays pending until the main thread waits.
    _hold_ctrl_c(True)
    with contextlib.suppress(asyncio.CancelledError):
        asyncio.run(session())


async def _piped(conversation: Conversation, surface: ConsoleSurface, source: TextIO) -> None:
    lines = Lines(read_ahead=True)

    def reader() -> None:
        while lines.wanted():
            line = read_line(source)
            lines.put(line)
            if line.text == "":
                return

    threading.Thread(target=reader, name="console-input", daemon=True).start()
    await run_console(conversation, surface, lines)


def _readline(source: TextIO, out: TextIO) -> ModuleType | None:
    """The readline module when both ends are the process's own terminal (where ``input()``
    uses it); never for a pipe, whose reading stays exactly as it was."""
    if source is not sys.stdin or out is not sys.stdout or not out.isatty():
        return None
    try:
        import readline  # loads only for a person at a terminal
    except ImportError:
        return None
    return readline


def console_main(
    environ: dict[str, str] | None = None,
    *,
    stdin: TextIO | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    language: Choice | None = None,
) -> int:
    """`eo-bot console`; returns the exit status. ``language`` (``--lang``) overrides
    ``EO_LANGUAGE``."""
    env = dict(os.environ if environ is None else environ)
    source = stdin or sys.stdin
    stdout = out or sys.stdout
    stderr = err or sys.stderr
    try:
        settings = ProbeSettings.from_env(env)
        watch = watch_settings(env)
        api = edgeone_settings(env)
        agents = agent_settings(env)
        choice = language if language is not None else language_setting(env)
    except (ValueError, ConfigError) as exc:
        print(f"eo-bot console: {exc}", file=stderr)
        return 2
    kb = load()
    style = Style(color=stdout.isatty() and "NO_COLOR" not in env)
    # One person at their own terminal: the per-user probe budget is generous.
    edgeone = None
    if api is not None:
        from bot.chat.edgeone import EdgeOneChat  # the API stack: only with credentials

        edgeone = EdgeOneChat.build(api, settings)
    services = Services.build(
        kb,
        settings,
        rate=RateLimiter(60, 60.0),
        watch=watch,
        edgeone=edgeone,
        language=choice,
        regional=regional_prober(agents),
    )
    if not source.isatty():
        surface = ConsoleSurface(Stream(stdout, env), style=style)
        conversation = Conversation(services, surface)
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_piped(conversation, surface, source))
        return 0
    terminal = Terminal(stdout, env, source=source, readline=_readline(source, stdout), err=stderr)
    surface = ConsoleSurface(terminal, style=style)
    conversation = Conversation(services, surface)
    _ = texts(services.language_for(""))
    banner = _("eo-bot console: type what you would type in Slack (`help` lists it, `quit` ends).")
    terminal.show(render_mrkdwn(banner, style=style, width=terminal.columns()) + "\n")
    _interactive(conversation, surface, terminal, style)
    return 0
