"""Buttons: "Share in channel", "Did you mean" picks and "Probe again"."""

from __future__ import annotations

import json
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.intent import Probe
from bot.render.blocks import (
    PICK,
    PROBE_AGAIN,
    SHARE,
    Message,
    answer_message,
    entry_message,
    notice,
)
from bot.slack.probing import start_probe
from bot.slack.services import Services, respond, send_to_response_url

PICK_PATTERN = re.compile(rf"^{PICK}:\d+$")


def register(app: AsyncApp, services: Services) -> None:
    @app.action(SHARE)
    async def on_share(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        await share(services, body, str(action.get("value", "")))

    @app.action(PICK_PATTERN)
    async def on_pick(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        await pick(services, body, str(action.get("value", "")))

    @app.action(PROBE_AGAIN)
    async def on_probe_again(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        await probe_again(services, client, body, str(action.get("value", "")))


def _user(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id", ""))


async def share(services: Services, body: dict[str, Any], value: str) -> None:
    """Post the answer for everyone (through response_url) and remove the private copy."""
    response_url = str(body.get("response_url", ""))
    kind, _, rest = value.partition(":")
    message: Message | None = None
    if kind == "q":
        message = answer_message(services.matcher.ask(rest))
    elif kind == "id":
        entry = services.kb.get(rest)
        message = entry_message(entry) if entry is not None else None
    if message is None:
        await respond(response_url, notice("That answer is no longer available."))
        return
    shared = Message(
        blocks=message.blocks,
        text=f"{message.text}\n(shared by <@{_user(body)}>)",
    )
    await respond(response_url, shared, response_type="in_channel", replace_original=False)
    await send_to_response_url(response_url, {"delete_original": True})


async def pick(services: Services, body: dict[str, Any], entry_id: str) -> None:
    """Replace the "did you mean" message with the chosen entry."""
    response_url = str(body.get("response_url", ""))
    entry = services.kb.get(entry_id)
    if entry is None:
        await respond(response_url, notice("That entry is no longer in the knowledge base."))
        return
    ephemeral = bool((body.get("container") or {}).get("is_ephemeral"))
    await respond(response_url, entry_message(entry, share=ephemeral), replace_original=True)


async def probe_again(
    services: Services, client: AsyncWebClient, body: dict[str, Any], value: str
) -> None:
    response_url = str(body.get("response_url", ""))
    try:
        data = json.loads(value)
        request = Probe(
            url=str(data["url"]),
            origin=str(data["origin"]) if data.get("origin") else None,
            code=int(data["code"]) if data.get("code") else None,
            explicit=True,
        )
    except (ValueError, KeyError, TypeError):
        await respond(response_url, notice("I could not read which URL to probe again."))
        return
    channel = str((body.get("channel") or {}).get("id", ""))
    message = body.get("message") or {}
    thread_ts = str(message.get("thread_ts") or message.get("ts") or "") or None

    async def private(reply: Message) -> None:
        await respond(response_url, reply, response_type="ephemeral", replace_original=False)

    refusal = start_probe(
        services,
        client,
        request,
        channel=channel,
        user=_user(body),
        thread_ts=thread_ts,
        notify=private,
    )
    if refusal is not None:
        await refusal
