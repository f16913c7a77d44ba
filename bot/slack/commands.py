"""`/eo`: questions, `probe <url>`, `watch <url>`, `help`, handed to the conversation core.

An answer that needs no waiting (a question, help, a refusal) is the acknowledgement itself:
Slack shows the ack's message (ephemeral by default, with a "Share in channel" button;
``EO_ANSWER_VISIBILITY=in_channel`` posts it for everyone), so no second HTTP call is made. One
too large for an ack goes to the command's ``response_url``. Probes post in the channel and put
the diagnosis in the thread of that message.
"""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.chat.conversation import Conversation
from bot.chat.surface import Turn
from bot.render.blocks import Message, render
from bot.slack.services import later, response_url_of

COMMAND = "/eo"
MAX_ACK_BLOCKS = 50
MAX_ACK_BYTES = 12_000


def register(app: AsyncApp, conversation: Conversation) -> None:
    @app.command(COMMAND)
    async def eo_command(ack: AsyncAck, command: dict[str, Any]) -> None:
        turn = command_turn(command)
        immediate = await conversation.answer_now(turn)
        tasks = conversation.services.tasks
        if immediate is None:
            await ack()
            later(tasks, conversation.handle(turn), name="/eo command")
            return
        reply, public = immediate
        message = render(reply)
        if fits_in_ack(message):
            await ack(
                text=message.text,
                blocks=message.block_dicts(),
                response_type="in_channel" if public else "ephemeral",
            )
            return
        await ack()
        later(tasks, conversation.surface.reply(turn, reply, public=public), name="/eo answer")


def fits_in_ack(message: Message) -> bool:
    """Slack takes at most 50 blocks in a message; the ack's body is kept well under the size
    where Slack starts refusing a message."""
    blocks = message.block_dicts()
    return len(blocks) <= MAX_ACK_BLOCKS and len(json.dumps(blocks)) <= MAX_ACK_BYTES


def command_turn(command: dict[str, Any]) -> Turn:
    return Turn(
        text=str(command.get("text", "")),
        user=str(command.get("user_id", "")),
        channel=str(command.get("channel_id", "")),
        thread=None,
        kind="command",
        private_to=response_url_of(command),
    )
