"""Messages: `@eo ...` in channels and threads, direct messages, and alerts in watched channels.

Mentions and DMs are answered in the message's thread. In channels listed in ``EO_WATCH_CHANNELS``
a top-level message (from a person or an integration) that names an EdgeOne code or error name
with a URL or host is answered once, in its thread, with the knowledge entry and a probe.

One message can arrive as ``app_mention`` and as ``message.*``, and Slack redelivers events it
thinks were lost: ``Services.fresh`` lets each message through once. The bot's own messages are
never answered; edits and other subtypes (``message_changed``, joins, deletions) are ignored.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.chat.alerts import find_alert
from bot.chat.conversation import Conversation
from bot.chat.surface import Turn, TurnKind
from bot.markup import to_plain
from bot.slack.services import later

log = logging.getLogger(__name__)

EVENTS = ("app_mention", "message")
# Integrations post as bot_message; a person's message has no subtype. Everything else is noise.
_ALERT_SUBTYPES = frozenset({None, "bot_message"})
_MAX_ALERT_TEXT = 8000


def register(app: AsyncApp, conversation: Conversation) -> None:
    services = conversation.services

    # Events are acknowledged when the listener returns: the work goes to the background.
    @app.event("app_mention")
    async def on_mention(body: dict[str, Any], event: dict[str, Any]) -> None:
        if not _from_a_bot(event):
            later(services.tasks, _answer(conversation, body, event, "mention"), name="mention")

    @app.event("message")
    async def on_message(
        body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        if event.get("channel_type") == "im":
            if not event.get("subtype") and not _from_a_bot(event):
                later(
                    services.tasks, _answer(conversation, body, event, "dm"), name="direct message"
                )
            return
        if str(event.get("channel", "")) in services.watch_channels:
            later(
                services.tasks,
                _maybe_alert(
                    conversation, body, event, context.bot_user_id, _is_self(event, context)
                ),
                name="alert",
            )


async def _answer(
    conversation: Conversation, body: dict[str, Any], event: dict[str, Any], kind: TurnKind
) -> None:
    if await _fresh(conversation, body, event):
        await conversation.handle(message_turn(event, kind=kind))


async def _maybe_alert(
    conversation: Conversation,
    body: dict[str, Any],
    event: dict[str, Any],
    bot_user: str | None,
    from_self: bool,
) -> None:
    if event.get("subtype") not in _ALERT_SUBTYPES or from_self:
        return
    if event.get("thread_ts") and event.get("thread_ts") != event.get("ts"):
        return  # replies in a thread are people talking about an alert, not an alert
    raw = str(event.get("text", ""))
    if bot_user and f"<@{bot_user}>" in raw:
        return  # a mention: the app_mention listener answers it
    alert = find_alert(alert_text(event), conversation.services.kb)
    if alert is None or not await _fresh(conversation, body, event):
        return
    log.info("alert in %s: %s %s", event.get("channel"), alert.code or alert.name, alert.host)
    await conversation.alert(message_turn(event, kind="alert"), alert)


def alert_text(event: dict[str, Any]) -> str:
    """The words of a message, including integrations' attachments and blocks, as plain text.

    Line by line (``find_alert`` judges each line on its own: a "resolved" first line, the words
    next to a number)."""
    parts = list(_texts(event))
    return to_plain("\n".join(parts)[:_MAX_ALERT_TEXT], lines=True).text


def _texts(event: dict[str, Any]) -> Iterator[str]:
    if isinstance(event.get("text"), str):
        yield event["text"]
    for attachment in event.get("attachments") or []:
        if not isinstance(attachment, dict):
            continue
        for key in ("pretext", "title", "title_link", "text", "fallback"):
            if isinstance(attachment.get(key), str):
                yield attachment[key]
        for item in attachment.get("fields") or []:
            if isinstance(item, dict):
                yield f"{item.get('title', '')}: {item.get('value', '')}"
    yield from _block_texts(event.get("blocks") or [])


def _block_texts(node: Any, depth: int = 0) -> Iterator[str]:
    if depth > 8:
        return
    if isinstance(node, dict):
        if node.get("type") in ("mrkdwn", "plain_text", "text") and isinstance(
            node.get("text"), str
        ):
            yield node["text"]
        if node.get("type") == "link" and isinstance(node.get("url"), str):
            yield node["url"]
        for value in node.values():
            if isinstance(value, dict | list):
                yield from _block_texts(value, depth + 1)
    elif isinstance(node, list):
        for item in node:
            yield from _block_texts(item, depth + 1)


def message_turn(event: dict[str, Any], *, kind: str) -> Turn:
    return Turn(
        text=str(event.get("text", "")),
        user=str(event.get("user") or event.get("bot_id") or ""),
        channel=str(event["channel"]),
        thread=str(event.get("thread_ts") or event["ts"]),
        kind="dm" if kind == "dm" else "alert" if kind == "alert" else "mention",
    )


async def _fresh(conversation: Conversation, body: dict[str, Any], event: dict[str, Any]) -> bool:
    return await conversation.services.fresh(
        body.get("event_id"), event.get("channel"), event.get("ts")
    )


def _from_a_bot(event: dict[str, Any]) -> bool:
    return bool(event.get("bot_id") or event.get("bot_profile"))


def _is_self(event: dict[str, Any], context: AsyncBoltContext) -> bool:
    """Bolt drops our own events already; this holds even when that middleware is off."""
    ours = {x for x in (context.bot_id, context.bot_user_id) if x}
    return bool(ours & {event.get("bot_id"), event.get("user")})
