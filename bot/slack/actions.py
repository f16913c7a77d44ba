"""Buttons and the modal: answers' "Share in channel" and "Did you mean", and on every diagnosis
"Probe again", "Compare with origin" (a modal asks for the origin), "Share in channel" and a
watch's "Cancel".

Diagnosis buttons carry the probe request and the last result in their value
(``bot.chat.buttons``), so whichever replica receives the press can serve it.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any, TypeVar

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat import buttons
from bot.chat.conversation import Conversation
from bot.chat.replies import Notice, ProbeRequest
from bot.chat.surface import Turn
from bot.i18n.catalogue import N_, texts
from bot.i18n.language import Language
from bot.intent import parse_origin
from bot.render.blocks import (
    COMPARE,
    COMPARE_MODAL,
    ORIGIN_BLOCK,
    ORIGIN_INPUT,
    PICK,
    PROBE_AGAIN,
    SHARE,
    SHARE_PROBE,
    WATCH_CANCEL,
    Message,
    answer_message,
    compare_modal,
    entry_message,
    notice,
    read_entry_value,
)
from bot.slack.services import later, respond, response_url_of, send_to_response_url

log = logging.getLogger(__name__)
S = TypeVar("S")  # what a button carries besides the request

PICK_PATTERN = re.compile(rf"^{PICK}:\d+$")
_UNREADABLE = N_(
    "I could not read that button; it may come from an older version of me. Ask again."
)


def register(app: AsyncApp, conversation: Conversation) -> None:
    tasks = conversation.services.tasks

    @app.action(SHARE)
    async def on_share(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        value = str(action.get("value", ""))
        later(tasks, share_answer(conversation, body, value), name="share an answer")

    @app.action(PICK_PATTERN)
    async def on_pick(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        later(tasks, pick(conversation, body, str(action.get("value", ""))), name="pick an entry")

    @app.action(PROBE_AGAIN)
    async def on_probe_again(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        value = str(action.get("value", ""))
        later(tasks, _probe_again(conversation, body, value), name="probe again")

    @app.action(COMPARE)
    async def on_compare(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        value = str(action.get("value", ""))
        later(tasks, _open_compare(conversation, body, value, client), name="compare form")

    @app.view(COMPARE_MODAL)
    async def on_compare_submitted(ack: AsyncAck, body: dict[str, Any]) -> None:
        submitted = await read_compare_submission(ack, body, conversation, buttons.decode)
        if submitted is not None:
            turn, request, previous, origin = submitted
            later(tasks, conversation.compare(turn, request, origin, previous), name="compare")

    @app.action(SHARE_PROBE)
    async def on_share_probe(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        value = str(action.get("value", ""))
        later(tasks, _share_probe(conversation, body, value), name="share a verdict")

    @app.action(WATCH_CANCEL)
    async def on_cancel(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        value = str(action.get("value", ""))[:64]
        later(tasks, conversation.cancel_watch(action_turn(body), value), name="cancel a watch")


async def read_compare_submission(
    ack: AsyncAck,
    body: dict[str, Any],
    conversation: Conversation,
    decode: Callable[[str], tuple[ProbeRequest, S]],
) -> tuple[Turn, ProbeRequest, S, str] | None:
    """Acknowledge a "Compare with origin" modal (local or regional, told apart by ``decode``):
    an unreadable form or a bad origin is answered inside the modal (None); else the turn, the
    request and what the button carried, and the origin."""
    view = body.get("view") or {}
    try:
        meta = json.loads(str(view.get("private_metadata", "")))
        request, previous = decode(str(meta["v"]))
        channel, thread = str(meta["ch"]), meta.get("th")
    except (ValueError, KeyError, TypeError):
        unreadable = texts(_fallback_language(conversation))(_UNREADABLE)
        await ack(response_action="errors", errors={ORIGIN_BLOCK: unreadable})
        return None
    origin, problem = parse_origin(_input_value(view), request.language)
    if origin is None:
        await ack(response_action="errors", errors={ORIGIN_BLOCK: problem})
        return None
    await ack()
    turn = Turn(
        text="",
        user=str((body.get("user") or {}).get("id", "")),
        channel=channel,
        thread=str(thread) if thread else None,
        kind="action",
    )
    return turn, request, previous, origin


async def _probe_again(conversation: Conversation, body: dict[str, Any], value: str) -> None:
    turn = action_turn(body)
    try:
        request, previous = buttons.decode(value)
    except ValueError as exc:
        log.info("unreadable probe-again value: %s", exc)
        await conversation.surface.reply(turn, _unreadable(conversation))
        return
    await conversation.probe_again(turn, request, previous)


async def _open_compare(
    conversation: Conversation, body: dict[str, Any], value: str, client: AsyncWebClient
) -> None:
    turn = action_turn(body)
    try:
        request, _ = buttons.decode(value)
    except ValueError:
        await conversation.surface.reply(turn, _unreadable(conversation))
        return
    trigger = str(body.get("trigger_id", ""))
    view = compare_modal(value, channel=turn.channel, thread=turn.thread)
    try:
        await client.views_open(trigger_id=trigger, view=view)
    except SlackApiError as exc:
        # Trigger ids expire after 3 s; a slow round trip must not leave the press unanswered.
        log.warning("views.open failed: %s", exc.response.get("error"))
        _ = texts(request.language)
        await conversation.surface.reply(
            turn,
            Notice(
                _(
                    "I could not open the form. Mention me in this thread instead: "
                    "`@eo probe <url> origin=<host|ip>[:port]`."
                ),
                language=request.language,
            ),
        )


async def _share_probe(conversation: Conversation, body: dict[str, Any], value: str) -> None:
    turn = action_turn(body)
    try:
        request, snapshot = buttons.decode(value)
    except ValueError:
        snapshot = None
    if snapshot is None:
        await conversation.surface.reply(turn, _unreadable(conversation))
        return
    await conversation.share(turn, request, snapshot)


def _fallback_language(conversation: Conversation) -> Language:
    """A button that cannot be read carries no language: the deployment's, else English."""
    setting = conversation.services.language
    return "en" if setting == "auto" else setting


def _unreadable(conversation: Conversation) -> Notice:
    language = _fallback_language(conversation)
    return Notice(texts(language)(_UNREADABLE), language=language)


def action_turn(body: dict[str, Any]) -> Turn:
    """A button press as a turn: answers go in the thread of the message that held the button,
    refusals privately to the presser (response_url)."""
    message = body.get("message") or {}
    container = body.get("container") or {}
    channel = str((body.get("channel") or {}).get("id") or container.get("channel_id") or "")
    thread = message.get("thread_ts") or message.get("ts") or container.get("message_ts")
    return Turn(
        text="",
        user=str((body.get("user") or {}).get("id", "")),
        channel=channel,
        thread=str(thread) if thread else None,
        kind="action",
        private_to=response_url_of(body),
    )


def _input_value(view: dict[str, Any]) -> str:
    values = ((view.get("state") or {}).get("values") or {}).get(ORIGIN_BLOCK) or {}
    field = values.get(ORIGIN_INPUT) or {}
    return str(field.get("value") or "")


async def share_answer(conversation: Conversation, body: dict[str, Any], value: str) -> None:
    """Post the answer for everyone (through response_url) and remove the private copy."""
    services = conversation.services
    response_url = response_url_of(body)
    kind, _, rest = value.partition(":")
    message: Message | None = None
    language = _fallback_language(conversation)
    if kind == "q":
        language = services.language_for(rest)
        message = answer_message(services.matcher.ask(rest), language=language)
    elif kind == "id":
        entry_id, language = read_entry_value(rest)
        entry = services.kb.get(entry_id)
        message = entry_message(entry, language=language) if entry is not None else None
    _ = texts(language)
    if message is None:
        gone = _("That answer is no longer available.")
        await respond(response_url, notice(gone, language=language))
        return
    user = str((body.get("user") or {}).get("id", ""))
    by = _("(shared by {user})").format(user=f"<@{user}>")
    shared = Message(blocks=message.blocks, text=f"{message.text}\n{by}")
    await respond(response_url, shared, response_type="in_channel", replace_original=False)
    await send_to_response_url(response_url, {"delete_original": True})


async def pick(conversation: Conversation, body: dict[str, Any], value: str) -> None:
    """Replace the "did you mean" message with the chosen entry."""
    response_url = response_url_of(body)
    entry_id, language = read_entry_value(value)
    entry = conversation.services.kb.get(entry_id)
    if entry is None:
        _ = texts(language)
        gone = _("That entry is no longer in the knowledge base.")
        await respond(response_url, notice(gone, language=language))
        return
    ephemeral = bool((body.get("container") or {}).get("is_ephemeral"))
    message = entry_message(entry, share=ephemeral, language=language)
    await respond(response_url, message, replace_original=True)
