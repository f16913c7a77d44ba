"""What the bot says, as typed values: each surface renders them its own way.

Slack renders a reply as Block Kit (``bot.render.blocks.render``), the console as text
(``bot.render.chat_text.render_reply``). Handlers build replies and never format for a surface.

Every reply carries the language it is to be read in (``language``), so a surface renders it
without knowing who asked: one process answers in English and Chinese at once. Sentences the
handlers compose (a ``Notice``'s text, a watch event's ``detail``) are already in that language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.agents.names import Regions
from bot.chat.alerts import Alert
from bot.chat.edgeone_replies import EdgeOneAddendum, EdgeOneReply
from bot.chat.regional_replies import RegionalReply
from bot.chat.snapshot import Change, Snapshot
from bot.diagnosis import Diagnosis
from bot.i18n.language import Language
from bot.knowledge.matcher import Answer
from bot.knowledge.models import Entry
from bot.probe.models import ProbeReport


@dataclass(frozen=True, slots=True)
class ProbeRequest:
    """What to probe; carried by the diagnosis buttons so any replica can repeat it."""

    url: str
    origin: str | None = None  # host[:port] to probe directly as the origin
    code: int | None = None  # the status the user said they saw
    language: Language = "en"  # of the conversation it belongs to: its buttons answer in it
    regions: Regions | None = None  # also probe from these regions' agents (None: from here only)


@dataclass(frozen=True, slots=True)
class AnswerReply:
    answer: Answer
    share: bool = False  # offer a button that posts the (private) answer in the channel
    language: Language = "en"


@dataclass(frozen=True, slots=True)
class EntryReply:
    entry: Entry
    share: bool = False
    language: Language = "en"


@dataclass(frozen=True, slots=True)
class HelpReply:
    language: Language = "en"
    edgeone: bool = False  # EdgeOne API credentials are set: list its commands


@dataclass(frozen=True, slots=True)
class Notice:
    """One short message: a refusal, a limit, an error. ``text`` may use `code` and *bold*."""

    text: str
    emoji: str = ""
    language: Language = "en"  # the language ``text`` is in


@dataclass(frozen=True, slots=True)
class Progress:
    url: str
    done: tuple[str, ...]  # phases completed so far
    user: str | None = None
    language: Language = "en"


@dataclass(frozen=True, slots=True)
class WatchInfo:
    """Shown on the first diagnosis of a watch: until when, how often, and how to cancel."""

    watch_id: str
    until: datetime  # UTC
    interval: float  # seconds between probes
    active: bool = True


@dataclass(frozen=True, slots=True)
class ProbeOutcome:
    """A full diagnosis; ``change`` says what differs from the previous probe, if there was one."""

    request: ProbeRequest
    report: ProbeReport
    diagnosis: Diagnosis
    snapshot: Snapshot
    entry: Entry | None = None
    change: Change | None = None
    watch: WatchInfo | None = None
    buttons: bool = True  # "Probe again", "Compare with origin", "Share in channel"
    edgeone: EdgeOneAddendum | None = None  # EdgeOne's view, added once its calls returned

    @property
    def language(self) -> Language:
        return self.request.language


@dataclass(frozen=True, slots=True)
class ProbeSummary:
    """The one-line channel message of a probe whose diagnosis went into a thread."""

    url: str
    diagnosis: Diagnosis
    user: str | None = None
    shared_by: str | None = None  # set when someone pressed "Share in channel"
    language: Language = "en"


@dataclass(frozen=True, slots=True)
class SharedVerdict:
    """A diagnosis shared in the channel from its thread (built from a button's payload)."""

    request: ProbeRequest
    snapshot: Snapshot
    user: str

    @property
    def language(self) -> Language:
        return self.request.language


@dataclass(frozen=True, slots=True)
class AlertReply:
    """The answer to an alert seen in a watched channel: the knowledge entry for its code."""

    alert: Alert
    entry: Entry
    probing: bool  # a probe of the alert's URL follows in the thread
    skipped: str | None = None  # why no probe follows, when there is a URL
    language: Language = "en"


WatchEventKind = Literal["changed", "recovered", "expired", "cancelled", "shutdown", "failed"]


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """A watch's news in its thread: the outcome changed, it recovered, or it stopped."""

    kind: WatchEventKind
    watch_id: str
    url: str
    snapshot: Snapshot | None = None  # the latest result
    change: Change | None = None  # compared with the previous result
    by: str | None = None  # who cancelled
    probes: int = 0  # probes run so far
    detail: str | None = None  # extra words (an error, the time left)
    until: datetime | None = None  # still watching until then (for "changed")
    language: Language = "en"  # the watch's: the language it was started in


Reply = (
    AnswerReply
    | EntryReply
    | HelpReply
    | Notice
    | Progress
    | ProbeOutcome
    | ProbeSummary
    | SharedVerdict
    | AlertReply
    | WatchEvent
    | EdgeOneReply
    | RegionalReply
)
