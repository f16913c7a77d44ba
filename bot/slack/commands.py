"""`/eo`: questions, `probe <url>`, `watch <url>`, `help`, handed to the conversation core.

Answers go to the command's ``response_url`` (ephemeral by default, with a "Share in channel"
button; ``EO_ANSWER_VISIBILITY=in_channel`` posts them for everyone). Probes post in the channel
and put the diagnosis in the thread of that message.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.chat.conversation import Conversation
from bot.chat.surface import Turn
from bot.slack.services import response_url_of

COMMAND = "/eo"


def register(app: AsyncApp, conversation: Conversation) -> None:
    @app.command(COMMAND)
    async def eo_command(ack: AsyncAck, command: dict[str, Any]) -> None:
        await ack()
        await conversation.handle(command_turn(command))


def command_turn(command: dict[str, Any]) -> Turn:
    return Turn(
        text=str(command.get("text", "")),
        user=str(command.get("user_id", "")),
        channel=str(command.get("channel_id", "")),
        thread=None,
        kind="command",
        private_to=response_url_of(command),
    )
