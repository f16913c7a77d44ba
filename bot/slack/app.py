"""Build the slack-bolt AsyncApp: the injected Web API client, every surface, the error handler.

The app only turns payloads into ``Turn``s for the conversation core (``bot.chat``), which answers
through ``SlackSurface``; each Slack surface lives in its own module with a
``register(app, conversation)``. ``slack_conversation`` builds the conversation for a client.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.conversation import Conversation
from bot.chat.services import Services
from bot.slack import actions, commands, home, mentions
from bot.slack.surface import SlackSurface

log = logging.getLogger(__name__)


def build_app(
    conversation: Conversation,
    *,
    client: AsyncWebClient,
    signing_secret: str | None,
) -> AsyncApp:
    """An AsyncApp whose Web API calls go through ``client`` (with its retry handlers).

    ``signing_secret`` None means Socket Mode: requests arrive over the socket, unsigned.
    """
    app = AsyncApp(
        client=client,
        signing_secret=signing_secret or "socket-mode",
        request_verification_enabled=signing_secret is not None,
        ignoring_self_events_enabled=True,
        logger=logging.getLogger("bot.slack.bolt"),
    )
    for surface in (commands, mentions, actions, home):
        surface.register(app, conversation)

    @app.error
    async def on_error(error: Exception, body: dict[str, Any]) -> None:
        log.error(
            "listener failed on a %s payload: %s",
            body.get("type") or body.get("command") or "slack",
            error,
            exc_info=error,
        )

    return app


def slack_conversation(services: Services, client: AsyncWebClient) -> Conversation:
    """The conversation core answering through ``client``."""
    return Conversation(services, SlackSurface(client))
