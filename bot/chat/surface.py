"""Where a message came from (``Turn``) and how replies get back (``Surface``).

Slack and the console each implement ``Surface``; the handlers in ``bot.chat.conversation`` only
speak to this protocol, so both faces give the same answers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal, Protocol

from bot.chat.replies import Reply

TurnKind = Literal["command", "mention", "dm", "action", "alert", "console"]


@dataclass(frozen=True, slots=True)
class Turn:
    """One incoming message or button press, reduced to what the handlers need."""

    text: str
    user: str
    channel: str
    thread: str | None  # the thread to answer in; None: answer privately (slash commands)
    kind: TurnKind
    # Where private answers go (Slack: the response_url); None: answer in ``thread``.
    private_to: str | None = None

    def in_thread(self, thread: str) -> Turn:
        return replace(self, thread=thread)


class Surface(Protocol):
    async def reply(self, turn: Turn, reply: Reply, *, public: bool = False) -> None:
        """Answer the person behind ``turn``: privately when it has ``private_to`` (unless
        ``public``), otherwise in its thread."""

    async def post(self, channel: str, reply: Reply, *, thread: str | None) -> str:
        """Post a message for everyone; returns a reference that ``update`` accepts."""

    async def update(self, channel: str, ref: str, reply: Reply) -> None:
        """Replace a posted message (progress → diagnosis, an ended watch)."""


class CannotPost(Exception):
    """The surface refuses to post in a channel (Slack: the bot is not a member)."""
