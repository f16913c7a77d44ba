"""`@eo ...` in channels and threads, and direct messages: answered in the message's thread.

One message can arrive as ``app_mention`` and as ``message.im`` (a mention inside a DM), and Slack
redelivers events it thinks were lost: ``Services.fresh`` lets each message through once. The
bot's own messages and edits (``message_changed`` and other subtypes) are ignored.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.intent import Ask, Empty, Help, Invalid, Probe, parse
from bot.render.blocks import Message, answer_message, help_message, notice
from bot.slack.probing import start_probe
from bot.slack.services import Services, post

EVENTS = ("app_mention", "message")


def register(app: AsyncApp, services: Services) -> None:
    @app.event("app_mention")
    async def on_mention(
        body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient
    ) -> None:
        if _from_a_bot(event) or not services.fresh(body, event):
            return
        await handle_message(services, client, event)

    @app.event("message")
    async def on_message(
        body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient
    ) -> None:
        if event.get("channel_type") != "im" or event.get("subtype") or _from_a_bot(event):
            return
        if not services.fresh(body, event):
            return
        await handle_message(services, client, event)


def _from_a_bot(event: dict[str, Any]) -> bool:
    return bool(event.get("bot_id") or event.get("bot_profile"))


async def handle_message(services: Services, client: AsyncWebClient, event: dict[str, Any]) -> None:
    channel = str(event["channel"])
    thread_ts = str(event.get("thread_ts") or event["ts"])
    intent = parse(str(event.get("text", "")))

    async def reply(message: Message) -> None:
        await post(client, channel, message, thread_ts=thread_ts)

    if isinstance(intent, Help | Empty):
        await reply(help_message())
    elif isinstance(intent, Invalid):
        await reply(notice(intent.problem))
    elif isinstance(intent, Ask):
        await reply(answer_message(services.matcher.ask(intent.text)))
    elif isinstance(intent, Probe):
        refusal = start_probe(
            services,
            client,
            intent,
            channel=channel,
            user=str(event.get("user", "")),
            thread_ts=thread_ts,
            notify=reply,
        )
        if refusal is not None:
            await refusal
