"""Build the slack-bolt AsyncApp: the injected Web API client, every surface, the error handler.

The app only turns payloads into ``Turn``s for the conversation core (``bot.chat``), which answers
through ``SlackSurface``; each Slack surface lives in its own module with a
``register(app, conversation)``. ``slack_conversation`` builds the conversation for a client.

Requests reach the app already authenticated: over the Socket Mode link, or through
``bot.slack.http``, which checks the signature before anything is parsed. So Bolt's own request
verification is off, and Bolt is built without reading the process environment (see
``_BOLT_ENVIRONMENT``): every setting comes from ``bot.config``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.conversation import Conversation
from bot.chat.services import Services
from bot.slack import actions, commands, edgeone, home, mentions, regional_actions
from bot.slack.logs import Throttled
from bot.slack.surface import SlackSurface

log = logging.getLogger(__name__)
_PACKAGE = Path(__file__).resolve().parent.parent  # bot/


# What slack-bolt's AsyncApp reads from os.environ by itself when it is built
# (slack_bolt/app/async_app.py). With SLACK_BOT_TOKEN set it warns at every start that the token
# is unused (the client is given), and SLACK_CLIENT_ID with SLACK_CLIENT_SECRET would quietly turn
# on OAuth installs. They are hidden from it while it is built (a synchronous constructor, so no
# other coroutine can look in between).
_BOLT_ENVIRONMENT = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_VERIFICATION_TOKEN",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
)


@contextlib.contextmanager
def _hidden_from_bolt() -> Iterator[None]:
    saved = {name: os.environ.pop(name) for name in _BOLT_ENVIRONMENT if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


def build_app(conversation: Conversation, *, client: AsyncWebClient) -> AsyncApp:
    """An AsyncApp whose Web API calls go through ``client`` (with its retry handlers)."""
    with _hidden_from_bolt():
        app = AsyncApp(
            client=client,
            signing_secret="",
            request_verification_enabled=False,
            ignoring_self_events_enabled=True,
            logger=bolt_logger(),
            # The response goes back as soon as a listener returns, instead of Bolt polling for
            # the ack every 10 ms; listeners ack first and leave the rest to ``later``.
            process_before_response=True,
        )
    for surface in (commands, mentions, actions, edgeone, regional_actions, home):
        surface.register(app, conversation)
    throttled = Throttled(log)

    @app.error
    async def on_error(error: Exception, body: dict[str, Any], response: BoltResponse) -> None:
        kind = str(body.get("type") or body.get("command") or "slack")[:40]
        if _raised_in_our_code(error):
            log.error("listener failed on a %s payload: %s", kind, error, exc_info=error)
            return
        # slack-bolt itself tripped over a payload field of an unexpected type (what
        # bot.slack.payload does not check): the payload's fault, one line, a 400.
        response.status = 400
        throttled.warning(
            "payload",
            "slack-bolt could not read a %s payload: %s: %s",
            kind,
            type(error).__name__,
            str(error)[:200],
        )

    return app


def _raised_in_our_code(error: BaseException) -> bool:
    return any(
        Path(frame.filename).resolve().is_relative_to(_PACKAGE)
        for frame in traceback.extract_tb(error.__traceback__)
    )


class _FirstLine(logging.Filter):
    """slack-bolt's "Unhandled request" warning carries a code suggestion for developers over
    several lines; in a service log the first line says it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "\n" in message:
            record.msg, record.args = message.split("\n", 1)[0], None
        return True


def bolt_logger() -> logging.Logger:
    logger = logging.getLogger("bot.slack.bolt")
    if not any(isinstance(f, _FirstLine) for f in logger.filters):
        logger.addFilter(_FirstLine())
    return logger


def slack_conversation(services: Services, client: AsyncWebClient) -> Conversation:
    """The conversation core answering through ``client`` (which also tells who is in the user
    groups allowed to purge)."""
    link = services.edgeone
    if link is not None and link.groups_of is None and link.settings.purge.groups:
        link.groups_of = edgeone.group_lookup(client, link.settings.purge.groups)
    return Conversation(services, SlackSurface(client))
