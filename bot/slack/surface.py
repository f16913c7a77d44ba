"""The conversation's ``Surface`` on Slack: replies rendered as Block Kit and sent with the Web API.

Private replies go to the turn's ``response_url`` (ephemeral unless asked otherwise), or as an
ephemeral message for a button or modal without one; everything else is a message in the channel
or thread. Slack's "you are not in this channel" errors become
``CannotPost`` so the core can tell the person what to do.
"""

from __future__ import annotations

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.replies import Reply
from bot.chat.surface import CannotPost, Turn
from bot.render.blocks import cut_marker, render
from bot.slack.services import post, respond, update

_CANNOT_POST = frozenset({"not_in_channel", "channel_not_found", "is_archived"})


class SlackSurface:
    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def reply(self, turn: Turn, reply: Reply, *, public: bool = False) -> None:
        if turn.private_to:
            await respond(
                turn.private_to,
                render(reply),
                response_type="in_channel" if public else "ephemeral",
                # A button's response_url would otherwise replace the message holding it.
                replace_original=False if turn.kind == "action" else None,
            )
            return
        if turn.kind == "action" and turn.user and not public:
            # A modal submission has no response_url: answer only the person who submitted it.
            message = render(reply)
            await self.client.chat_postEphemeral(
                channel=turn.channel,
                user=turn.user,
                text=message.text,
                blocks=message.block_dicts(),
                thread_ts=turn.thread,
            )
            return
        await self.post(turn.channel, reply, thread=turn.thread)

    async def post(self, channel: str, reply: Reply, *, thread: str | None) -> str:
        try:
            return await post(self.client, channel, render(reply), thread_ts=thread)
        except SlackApiError as exc:
            if exc.response.get("error") in _CANNOT_POST:
                raise CannotPost(str(exc.response.get("error"))) from exc
            raise

    async def update(self, channel: str, ref: str, reply: Reply) -> None:
        await update(self.client, channel, ref, render(reply))

    def fits(self, reply: Reply) -> bool:
        """Whether ``reply`` fits in one message uncut (a diagnosis with EdgeOne's view may not:
        the view then goes in the thread)."""
        blocks = render(reply).block_dicts()
        last = blocks[-1] if blocks else {}
        marker = cut_marker(reply.language)  # what was cut says so in the reply's language
        return not (last.get("type") == "context" and marker in str(last.get("elements")))
