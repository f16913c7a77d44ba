"""EdgeOne on Slack: the purge's Purge and Cancel buttons, and who is in which user group.

The buttons carry the purge's plan (with the language it was asked in); ``bot.chat.edgeone`` asks
the guard again for the person who pressed (only the one who asked, and only while the deployment
allows them) and runs the purge. Once it starts, or is cancelled, the question is replaced (in the
purge's language) so its buttons cannot be pressed again.
A question asked privately (``/eo purge``) gets its answer under a new message in the channel.

``EO_PURGE_GROUPS`` names Slack user groups; ``group_lookup`` reads their members
(``usergroups.users.list``, scope ``usergroups:read``) and keeps them for a minute.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from cachetools import TTLCache
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.conversation import Conversation
from bot.chat.surface import Turn
from bot.i18n.catalogue import texts
from bot.render.blocks import PURGE_CANCEL, PURGE_CONFIRM, notice
from bot.slack.actions import action_turn
from bot.slack.services import later, respond, response_url_of

if TYPE_CHECKING:
    from bot.chat.edgeone import GroupLookup

log = logging.getLogger(__name__)

GROUP_TTL = 60.0


def register(app: AsyncApp, conversation: Conversation) -> None:
    @app.action(PURGE_CONFIRM)
    async def on_confirm(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()

        async def rest() -> None:
            turn = purge_turn(body)
            value = str(action.get("value", ""))
            services, surface = conversation.services, conversation.surface
            # Only a bot with API credentials posts purge buttons: the stack loads here then.
            from bot.chat.edgeone import confirm_purge, purge_language

            if await confirm_purge(services, surface, turn, value):
                language = purge_language(services, value)
                _ = texts(language)
                said = _("Purge confirmed by <@{user}>.").format(user=turn.user)
                done = notice(said, emoji="🧹", language=language)
                await respond(response_url_of(body), done, replace_original=True)

        later(conversation.services.tasks, rest(), name="confirm a purge")

    @app.action(PURGE_CANCEL)
    async def on_cancel(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()

        async def rest() -> None:
            turn = purge_turn(body)
            value = str(action.get("value", ""))
            services = conversation.services
            from bot.chat.edgeone import cancel_purge, purge_language

            if await cancel_purge(services, conversation.surface, turn, value):
                language = purge_language(services, value)
                _ = texts(language)
                said = _("Purge cancelled by <@{user}>; nothing was purged.").format(user=turn.user)
                cancelled = notice(said, language=language)
                await respond(response_url_of(body), cancelled, replace_original=True)

        later(conversation.services.tasks, rest(), name="cancel a purge")


def purge_turn(body: dict[str, Any]) -> Turn:
    """A press of a purge button: a private question (ephemeral) has no thread to answer in."""
    turn = action_turn(body)
    if (body.get("container") or {}).get("is_ephemeral"):
        return replace(turn, thread=None)
    return turn


def group_lookup(
    client: AsyncWebClient, groups: frozenset[str], *, ttl: float = GROUP_TTL
) -> GroupLookup:
    """The groups among ``groups`` a user is in, read from Slack (members cached ``ttl`` s)."""
    members: TTLCache[str, frozenset[str]] = TTLCache(max(1, len(groups)), ttl)

    async def member_of(user: str) -> frozenset[str]:
        found: set[str] = set()
        for group in sorted(groups):
            known = members.get(group)
            if known is None:
                answer = await client.usergroups_users_list(usergroup=group)
                known = frozenset(str(u) for u in answer.get("users") or ())
                members[group] = known
            if user in known:
                found.add(group)
        return frozenset(found)

    return member_of
