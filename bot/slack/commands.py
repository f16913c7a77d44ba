"""`/eo`: questions, `probe <url>`, `help`.

Answers go to the command's ``response_url`` (ephemeral by default, with a "Share in channel"
button; ``EO_ANSWER_VISIBILITY=in_channel`` posts them for everyone). Probes post in the channel
and put the diagnosis in the thread of that message.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.intent import Ask, Empty, Help, Invalid, Probe, parse
from bot.render.blocks import Message, answer_message, help_message, notice
from bot.slack.probing import start_probe
from bot.slack.services import Services, respond

COMMAND = "/eo"


def register(app: AsyncApp, services: Services) -> None:
    @app.command(COMMAND)
    async def eo_command(ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await handle_command(services, client, command)


async def handle_command(
    services: Services, client: AsyncWebClient, command: dict[str, Any]
) -> None:
    response_url = str(command.get("response_url", ""))
    intent = parse(str(command.get("text", "")))

    async def private(message: Message) -> None:
        await respond(response_url, message, response_type="ephemeral")

    if isinstance(intent, Help | Empty):
        await private(help_message())
    elif isinstance(intent, Invalid):
        await private(notice(intent.problem))
    elif isinstance(intent, Ask):
        answer = services.matcher.ask(intent.text)
        ephemeral = services.visibility == "ephemeral"
        message = answer_message(answer, share=ephemeral and answer.matched)
        await respond(response_url, message, response_type=services.visibility)
    elif isinstance(intent, Probe):
        refusal = start_probe(
            services,
            client,
            intent,
            channel=str(command["channel_id"]),
            user=str(command.get("user_id", "")),
            thread_ts=None,
            notify=private,
        )
        if refusal is not None:
            await refusal
