"""`eo-bot serve`: start, run and stop the Slack app, in HTTP mode or in Socket Mode.

Start-up, in this order:

1. the settings (``Config.from_env``) and the knowledge base; a bad one stops start-up with exit
   2 and a message naming the variable or the file;
2. the soft open-file limit is raised to the hard one, logging is set up (text or JSON);
3. the event loop starts with SIGINT and SIGTERM handled from its first step, so that every later
   state (checking the token, connecting, connected, reconnecting) stops within seconds;
4. the state (``bot.state``): this process's memory, or Redis with ``EO_REDIS_URL``; a Redis
   that does not answer stops start-up with exit 2 naming the variable;
5. the listener on ``PORT`` (``bot.slack.listener``): ``POST /slack/events``, ``GET /healthz``
   and ``GET /metrics`` in HTTP mode (``bot.slack.http``), only the last two in Socket Mode;
   ``/healthz`` answers 503 with the reason until Slack has answered, and 200 with
   ``"degraded": true`` and the reason while Redis is lost (the replica still serves);
6. ``auth.test`` checks the bot token, then in Socket Mode the link is opened
   (``bot.slack.socket_mode``). A refused token stops start-up with exit 2 and one line naming
   the variable; an unreachable Slack is tried again with back-off, one log line per attempt.
   With a shared store, this replica then renews its watches and takes over the fleet's
   orphaned ones (``bot.chat.fleet``).

With EdgeOne API credentials, the zone list is read in the background from the start, and the API
client is closed last.

Stopping (a signal, or an app token refused later): no new requests, the link closes, the
background work drains, and the watches stop: alone, each tells its thread; with a shared store,
they are handed over to the other replicas (or to this one once restarted).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

from aiohttp import web

from bot.chat.conversation import Conversation
from bot.chat.fleet import Fleet
from bot.config import Config, ConfigError
from bot.knowledge import KnowledgeBase, KnowledgeError, load
from bot.ops.heap import settle
from bot.ops.logging import configure_logging
from bot.slack.app import build_app, slack_conversation
from bot.slack.http import EVENTS_PATH, HEALTH_PATH, health_app, http_app
from bot.slack.listener import ConnectionGuard, raise_open_file_limit, start_listener
from bot.slack.services import make_client, services_from_config, state_from_config
from bot.slack.socket_mode import SocketMode
from bot.slack.startup import Backoff, Readiness, SlackAuthError, check_bot_token
from bot.state import State, StoreUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")

EXIT_OK, EXIT_CONFIG = 0, 2
LISTEN_HOST = "0.0.0.0"
DRAIN_LIMIT = 5.0  # seconds the watches and background work get at shutdown


class StartupError(Exception):
    """Start-up cannot go on; str(exc) is the one line to print (it names the variable)."""


def serve_main(environ: Mapping[str, str]) -> int:
    """`eo-bot serve`; returns the exit status."""
    try:
        config = Config.from_env(environ)
    except ConfigError as exc:
        print(f"eo-bot serve: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        kb = load()
    except KnowledgeError as exc:
        print("eo-bot serve: the knowledge base is invalid:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_CONFIG
    configure_logging(config.secrets, fmt=config.log_format)
    before, after = raise_open_file_limit()
    if after != before:
        log.info("open-file limit raised from %d to %d", before, after)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve(config, kb))
    except (SlackAuthError, StartupError) as exc:
        print(f"eo-bot serve: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    return EXIT_OK


async def serve(config: Config, kb: KnowledgeBase, *, stop: asyncio.Event | None = None) -> None:
    """Serve until ``stop`` is set (by default: SIGINT or SIGTERM). Raises ``SlackAuthError``
    when Slack refuses a token and ``StartupError`` when the port cannot be listened on or Redis
    does not answer."""
    stop = stop or _stop_on_signals()  # first: nothing below may delay a signal
    try:
        state = await _until_stopped(state_from_config(config), stop)
    except StoreUnavailable as exc:
        raise StartupError(str(exc)) from None
    if state is None:
        return
    try:
        await _serve(config, kb, state, stop)
    finally:
        await state.close()


async def _serve(config: Config, kb: KnowledgeBase, state: State, stop: asyncio.Event) -> None:
    services = services_from_config(config, kb, state)
    client = make_client(config.bot_token, base_url=config.api_url)
    conversation = slack_conversation(services, client)
    app = build_app(conversation, client=client)
    settle()  # what was built so far lives as long as the process: out of the collector's way
    readiness = Readiness()
    guard = ConnectionGuard(config.http)
    checker = make_client(config.bot_token, base_url=config.api_url, retries=False)

    fleet: asyncio.Task[None] | None = None

    async def check_token() -> None:
        nonlocal fleet
        await check_bot_token(
            checker, backoff=Backoff.from_settings(config.link), readiness=readiness
        )
        if services.watch_store.shared:
            fleet = asyncio.create_task(Fleet(conversation).run(), name="fleet")

    main: Callable[[], Awaitable[None]]
    if config.app_token is not None:
        socket = SocketMode(
            app,
            client=make_client(config.app_token, base_url=config.api_url, retries=False),
            settings=config.link,
            readiness=readiness,
            seen=state.seen_envelopes,
        )

        async def socket_health() -> tuple[bool, dict[str, object]]:
            ok, details = await socket.health()
            return ok, {**details, **state.health()}

        web_app = health_app(socket_health, guard=guard)

        async def main() -> None:
            await check_token()
            await socket.run()

        mode = f"Socket Mode; health on :{config.port}{HEALTH_PATH}"
    else:
        assert config.signing_secret is not None  # Config.from_env requires it in HTTP mode

        async def health() -> tuple[bool, dict[str, object]]:
            if readiness.ready:
                return True, {"mode": "http", **state.health()}
            return False, {"mode": "http", "reason": readiness.reason, "store": state.kind}

        web_app = http_app(app, signing_secret=config.signing_secret, health=health, guard=guard)

        async def main() -> None:
            await check_token()
            readiness.done()
            await asyncio.Event().wait()  # requests are served by the listener until stopped

        mode = f"HTTP mode on :{config.port} (POST {EVENTS_PATH}, GET {HEALTH_PATH})"

    try:
        runner, _ = await start_listener(web_app, host=LISTEN_HOST, port=config.port, guard=guard)
    except OSError as exc:
        raise StartupError(
            f"PORT: cannot listen on {LISTEN_HOST}:{config.port}: {exc.strerror or exc}"
        ) from None
    log.info("%s; at most %d connections", mode, guard.cap)
    api = services.edgeone
    warming = asyncio.create_task(api.warm()) if api is not None else None
    try:
        await _until_stopped(main(), stop)
    finally:
        if fleet is not None:
            fleet.cancel()  # first: a stopping replica takes no watch over
            await asyncio.gather(fleet, return_exceptions=True)
        await _shutdown(runner, conversation)
        if warming is not None:
            warming.cancel()
            await asyncio.gather(warming, return_exceptions=True)
        if api is not None:
            await api.aclose()


async def _until_stopped(work: Awaitable[T], stop: asyncio.Event) -> T | None:
    """Run ``work`` until it ends (its result is returned, its exception raised) or ``stop`` is
    set (it is cancelled, and None is returned)."""
    task = asyncio.ensure_future(work)
    stopped = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for pending in (task, stopped):
            pending.cancel()
        await asyncio.gather(stopped, return_exceptions=True)
        outcome = await asyncio.gather(task, return_exceptions=True)
    result = outcome[0]
    if isinstance(result, Exception):
        raise result
    if isinstance(result, BaseException):  # cancelled by the stop
        return None
    return result


async def _shutdown(runner: web.AppRunner, conversation: Conversation) -> None:
    """Stop taking requests, then stop the watches (each tells its thread) and drain the work."""
    log.info("stopping")
    await runner.cleanup()
    await conversation.shutdown(limit=DRAIN_LIMIT)


def _stop_on_signals() -> asyncio.Event:
    """SIGINT/SIGTERM set the returned event; a second signal gets the default action (a stuck
    shutdown can still be interrupted)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def first(sig: signal.Signals) -> None:
        log.info("%s received", sig.name)
        stop.set()
        for other in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(other)

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, first, sig)
    return stop
