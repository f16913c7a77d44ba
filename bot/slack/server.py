"""Run the app: HTTP mode (aiohttp, ``POST /slack/events`` + ``GET /healthz``) or Socket Mode.

``serve_main(environ)`` is `eo-bot serve`: it validates the settings (a bad one stops start-up with
a message naming the variable), loads the knowledge base, builds the app and serves until SIGINT
or SIGTERM. Socket Mode is used when ``SLACK_APP_TOKEN`` is set; a small health server on ``PORT``
then reports whether the socket is connected.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

from bot.chat.conversation import Conversation
from bot.chat.services import Services
from bot.config import Config, ConfigError
from bot.knowledge import KnowledgeError, load
from bot.slack.app import build_app, slack_conversation
from bot.slack.services import make_client, services_from_config

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
EXIT_OK, EXIT_CONFIG = 0, 2

Health = Callable[[], Awaitable[tuple[bool, dict[str, object]]]]


def http_app(app: AsyncApp, *, health: Health | None = None) -> web.Application:
    """The aiohttp application of HTTP mode."""

    async def events(request: web.Request) -> web.Response:
        bolt_request = await to_bolt_request(request)
        bolt_response = await app.async_dispatch(bolt_request)
        return await to_aiohttp_response(bolt_response)

    web_app = web.Application()
    web_app.router.add_post(EVENTS_PATH, events)
    web_app.router.add_get(HEALTH_PATH, health_handler(health or _always_ok("http")))
    return web_app


def health_handler(health: Health) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handler(_: web.Request) -> web.Response:
        ok, details = await health()
        return web.json_response({"ok": ok, **details}, status=200 if ok else 503)

    return handler


def _always_ok(mode: str) -> Health:
    async def health() -> tuple[bool, dict[str, object]]:
        return True, {"mode": mode}

    return health


def socket_health(handler: AsyncSocketModeHandler) -> Health:
    async def health() -> tuple[bool, dict[str, object]]:
        connected = await handler.client.is_connected()
        return connected, {"mode": "socket", "connected": connected}

    return health


class SecretFilter(logging.Filter):
    """Replace any configured token or secret in a log record with ``[redacted]``."""

    def __init__(self, secrets: tuple[str, ...]) -> None:
        super().__init__()
        self._secrets = tuple(s for s in secrets if len(s) >= 6)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(s in message for s in self._secrets):
            for secret in self._secrets:
                message = message.replace(secret, "[redacted]")
            record.msg, record.args = message, None
        return True


def configure_logging(config: Config) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(SecretFilter(config.secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


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
    configure_logging(config)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(config, services_from_config(config, kb)))
    return EXIT_OK


async def serve(config: Config, services: Services, *, stop: asyncio.Event | None = None) -> None:
    """Serve until ``stop`` is set (or SIGINT/SIGTERM)."""
    stop = stop or _stop_on_signals()
    client = make_client(config.bot_token, base_url=config.api_url)
    conversation = slack_conversation(services, client)
    if config.app_token is not None:
        app = build_app(conversation, client=client, signing_secret=None)
        handler = AsyncSocketModeHandler(app, config.app_token, web_client=client)
        runner = web.AppRunner(_health_app(socket_health(handler)), access_log=None)
        await _start_site(runner, config.port)
        log.info("Socket Mode; health on :%s%s", config.port, HEALTH_PATH)
        await handler.connect_async()  # type: ignore[no-untyped-call]
        try:
            await stop.wait()
        finally:
            await handler.close_async()  # type: ignore[no-untyped-call]
            await _shutdown(runner, conversation)
        return
    app = build_app(conversation, client=client, signing_secret=config.signing_secret)
    runner = web.AppRunner(http_app(app), access_log=None)
    await _start_site(runner, config.port)
    log.info("HTTP mode on :%s (POST %s, GET %s)", config.port, EVENTS_PATH, HEALTH_PATH)
    try:
        await stop.wait()
    finally:
        await _shutdown(runner, conversation)


def _health_app(health: Health) -> web.Application:
    web_app = web.Application()
    web_app.router.add_get(HEALTH_PATH, health_handler(health))
    return web_app


async def _start_site(runner: web.AppRunner, port: int) -> None:
    await runner.setup()
    await web.TCPSite(runner, host="0.0.0.0", port=port).start()


async def _shutdown(runner: web.AppRunner, conversation: Conversation) -> None:
    """Stop taking requests, then stop the watches (each tells its thread) and drain the work."""
    await runner.cleanup()
    await conversation.shutdown(limit=5.0)


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    return stop
