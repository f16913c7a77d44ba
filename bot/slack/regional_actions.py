"""The buttons of a regional diagnosis: "Probe again" (every region again, saying which recovered),
"Compare with origin" (a modal asks for the origin; every region probes it too) and "Share in
channel". A watch's Cancel is the diagnosis's own (``bot.slack.actions``).

The value carries the request, its regions and each region's state (``bot.chat.regional_buttons``),
so whichever replica receives the press can serve it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat import buttons, regional_buttons
from bot.chat.conversation import Conversation
from bot.chat.replies import Notice
from bot.i18n.catalogue import texts
from bot.render.blocks import compare_modal
from bot.render.regions import (
    REGIONS_AGAIN,
    REGIONS_COMPARE,
    REGIONS_COMPARE_MODAL,
    REGIONS_SHARE,
)
from bot.slack.actions import (
    _unreadable,
    action_turn,
    read_compare_submission,
)
from bot.slack.services import later

log = logging.getLogger(__name__)


def register(app: AsyncApp, conversation: Conversation) -> None:
    regional = conversation.regional

    @app.action(REGIONS_AGAIN)
    async def on_again(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()

        async def rest() -> None:
            turn = action_turn(body)
            try:
                request, states = regional_buttons.decode(str(action.get("value", "")))
            except ValueError as exc:
                log.info("unreadable regional probe-again value: %s", exc)
                await conversation.surface.reply(turn, _unreadable(conversation))
                return
            if not await regional.again(turn, await regional.configured(turn, request), states):
                await conversation.probe(turn, replace(request, regions=None))

        later(conversation.services.tasks, rest(), name="regional probe again")

    @app.action(REGIONS_COMPARE)
    async def on_compare(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()

        async def rest() -> None:
            value = str(action.get("value", ""))
            turn = action_turn(body)
            try:
                request, _ = regional_buttons.decode(value)
            except ValueError:
                await conversation.surface.reply(turn, _unreadable(conversation))
                return
            # The modal of a diagnosis's "Compare with origin", answering to this module.
            shown = buttons.encode(replace(request, regions=None), None) or ""
            view = compare_modal(shown, channel=turn.channel, thread=turn.thread)
            view["callback_id"] = REGIONS_COMPARE_MODAL
            view["private_metadata"] = json.dumps(
                {"ch": turn.channel, "th": turn.thread, "v": value}, separators=(",", ":")
            )
            try:
                await client.views_open(trigger_id=str(body.get("trigger_id", "")), view=view)
            except SlackApiError as exc:
                log.warning("views.open failed: %s", exc.response.get("error"))
                _ = texts(request.language)
                text = _(
                    "I could not open the form. Mention me in this thread instead: "
                    "`@eo probe <url> origin=<host|ip>[:port] from <regions>`."
                )
                await conversation.surface.reply(turn, Notice(text, language=request.language))

        later(conversation.services.tasks, rest(), name="regional compare form")

    @app.view(REGIONS_COMPARE_MODAL)
    async def on_compare_submitted(ack: AsyncAck, body: dict[str, Any]) -> None:
        submitted = await read_compare_submission(ack, body, conversation, regional_buttons.decode)
        if submitted is None:
            return
        turn, request, states, origin = submitted

        async def rest() -> None:
            configured = await regional.configured(turn, request)
            if not await regional.compare(turn, configured, origin, states):
                await conversation.compare(turn, configured, origin, None)

        later(conversation.services.tasks, rest(), name="regional compare")

    @app.action(REGIONS_SHARE)
    async def on_share(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()

        async def rest() -> None:
            turn = action_turn(body)
            try:
                request, states = regional_buttons.decode(str(action.get("value", "")))
            except ValueError:
                states = None
            if states is None:
                await conversation.surface.reply(turn, _unreadable(conversation))
                return
            await regional.share(turn, request, states)

        later(conversation.services.tasks, rest(), name="regional share")
