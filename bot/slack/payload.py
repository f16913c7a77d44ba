"""The outer shape of a Slack payload, checked before slack-bolt reads it.

Bolt's request context and listener matchers read ``event``, ``authorizations``, ``team``,
``user``, ``channel``, ``view``, ``actions``... with ``.get`` chains and indexing that assume
Slack's types (``event`` an object with a string ``type``, ``authorizations`` a list of objects,
each action with a string ``action_id``, a view submission's ``view.callback_id``). A signed
request or a Socket Mode envelope that broke one of them made Bolt raise inside its middleware: a
500 and a traceback. ``shape_problem`` says what is wrong in one short phrase, or None. (What is
left, Bolt tripping over something not listed here, is caught by the app's error handler:
``bot.slack.app``.)
"""

from __future__ import annotations

from typing import Any

# Keys whose value Bolt treats as an object when it is present (not null).
_OBJECTS = ("event", "view", "container", "message", "previous_message", "item", "state")
# Keys that are an object in interactive payloads and a string (an id) elsewhere.
_OBJECT_OR_ID = ("team", "user", "channel", "enterprise", "assistant_thread")
# Keys Bolt compares as strings.
_STRINGS = (
    "type",
    "command",
    "callback_id",
    "action_id",
    "text",
    "trigger_id",
    "response_url",
    "token",
)
# The events eo-bot answers, and what its listeners read in them (bot.slack.mentions).
_MESSAGE_EVENTS = frozenset({"app_mention", "message"})
_MESSAGE_REQUIRED = ("channel", "ts")
_MESSAGE_STRINGS = ("user", "text", "thread_ts", "subtype", "bot_id", "channel_type")
# Interactive payloads, where user, team and channel are objects (in events they are ids).
_INTERACTIVE = frozenset(
    {
        "block_actions",
        "block_suggestion",
        "view_submission",
        "view_closed",
        "shortcut",
        "message_action",
        "interactive_message",
    }
)
# Payload types whose listeners are matched on a field that must then be there.
_REQUIRED = {
    "shortcut": "callback_id",
    "message_action": "callback_id",
    "block_suggestion": "action_id",
}
# Keys that are lists of objects.
_LISTS = ("authorizations", "actions")


def shape_problem(payload: Any) -> str | None:
    if not isinstance(payload, dict):
        return "the payload is not a JSON object"
    for key in _OBJECTS:
        if payload.get(key) is not None and not isinstance(payload[key], dict):
            return f"{key!r} is not an object"
    for key in _OBJECT_OR_ID:
        if payload.get(key) is not None and not isinstance(payload[key], dict | str):
            return f"{key!r} is neither an object nor an id"
    for key in _STRINGS:
        if payload.get(key) is not None and not isinstance(payload[key], str):
            return f"{key!r} is not a string"
    for key in _LISTS:
        value = payload.get(key)
        if value is not None and not (
            isinstance(value, list) and all(isinstance(item, dict) for item in value)
        ):
            return f"{key!r} is not a list of objects"
    kind = payload.get("type")
    if kind in _INTERACTIVE:
        for key in ("user", "team", "channel"):
            if payload.get(key) is not None and not isinstance(payload[key], dict):
                return f"{key!r} of a {kind} payload is not an object"
    if kind == "block_actions":
        actions = payload.get("actions")
        if not actions:
            return "a block_actions payload without actions"
        if not all(isinstance(action.get("action_id"), str) for action in actions):
            return "an action without a string 'action_id'"
    if kind in ("view_submission", "view_closed"):
        view = payload.get("view")
        if not isinstance(view, dict) or not isinstance(view.get("callback_id"), str):
            return f"a {kind} payload without a view callback_id"
    required = _REQUIRED.get(str(kind))
    if required is not None and not isinstance(payload.get(required), str):
        return f"a {kind} payload without {required!r}"
    event = payload.get("event")
    if isinstance(event, dict):
        return _event_problem(event, payload.get("event_id"))
    return None


def _event_problem(event: dict[str, Any], event_id: Any) -> str | None:
    if event_id is not None and not isinstance(event_id, str):
        return "'event_id' is not a string"
    kind = event.get("type")
    if kind is not None and not isinstance(kind, str):
        return "'event.type' is not a string"
    if kind not in _MESSAGE_EVENTS:
        return None
    for key in _MESSAGE_REQUIRED:
        if not isinstance(event.get(key), str):
            return f"a {kind} event without a string 'event.{key}'"
    for key in _MESSAGE_STRINGS:
        if event.get(key) is not None and not isinstance(event[key], str):
            return f"'event.{key}' is not a string"
    return None
