"""app_manifest.yml stays in step with the listeners."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.slack import commands, home, mentions
from tests.slack.conftest import Bot, fixture

ROOT = Path(__file__).resolve().parents[2]


def manifest() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "app_manifest.yml").read_text())
    return data


def _event(kind: str) -> dict[str, Any]:
    """An event_callback envelope for a manifest bot event name (``message.im`` → message)."""
    envelope = fixture("message_im.json")
    event_type, _, channel_type = kind.partition(".")
    envelope["event"]["type"] = event_type
    envelope["event"]["text"] = "help"
    envelope["event_id"] = f"Ev{kind}"
    envelope["event"]["ts"] = f"1700000300.{len(kind):06d}"  # one message per kind
    if channel_type:
        envelope["event"]["channel_type"] = channel_type
    return envelope


def test_manifest_names_the_registered_command_and_events() -> None:
    data = manifest()
    commands_in_manifest = [c["command"] for c in data["features"]["slash_commands"]]
    assert commands_in_manifest == [commands.COMMAND]
    events = data["settings"]["event_subscriptions"]["bot_events"]
    assert {e.partition(".")[0] for e in events} == {*mentions.EVENTS, *home.EVENTS}
    assert data["features"]["app_home"]["home_tab_enabled"] is True
    assert data["settings"]["interactivity"]["is_enabled"] is True
    assert data["settings"]["socket_mode_enabled"] is True
    scopes = set(data["oauth_config"]["scopes"]["bot"])
    assert {"app_mentions:read", "chat:write", "commands", "im:history"} <= scopes
    # Alert channels are read through message.channels / message.groups, which need these.
    assert {"channels:history", "groups:history"} <= scopes


async def test_every_manifest_subscription_reaches_a_listener(bot: Bot) -> None:
    data = manifest()
    for command in data["features"]["slash_commands"]:
        response = await bot.command("help", command=command["command"])
        assert response.status == 200, command
    for kind in data["settings"]["event_subscriptions"]["bot_events"]:
        response = await bot.event(_event(kind))
        assert response.status == 200, kind
    await bot.fake.wait_calls("chat.postMessage", 2)  # help, once per message
    # And the check has teeth: what the manifest does not subscribe to has no listener.
    unsubscribed = _event("reaction_added")
    assert (await bot.event(unsubscribed)).status == 404
    assert (await bot.command("help", command="/other")).status == 404
