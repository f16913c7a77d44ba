"""The App Home tab: how to use the bot, the codes by product, the user's recent probes.

Published with ``views.publish`` whenever someone opens the tab, so it always shows their latest
probes and watches (kept in the state store: this process's memory, or Redis for a fleet).
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.conversation import Conversation
from bot.render.home import home_view
from bot.slack.services import later

RECENT = 10
EVENTS = ("app_home_opened",)


def register(app: AsyncApp, conversation: Conversation) -> None:
    @app.event("app_home_opened")
    async def on_home_opened(event: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab", "home") != "home":
            return  # the Messages tab is the DM: nothing to publish
        user = str(event.get("user", ""))
        if user:
            later(
                conversation.services.tasks,
                publish_home(conversation, client, user),
                name="App Home",
            )


async def publish_home(conversation: Conversation, client: AsyncWebClient, user: str) -> None:
    services = conversation.services
    language = await conversation.home_language(user)
    view = home_view(
        services.kb,
        await services.history.recent(user, RECENT),
        watches=await conversation.watch_lines(user, language),
        language=language,
    )
    await client.views_publish(user_id=user, view=view)
