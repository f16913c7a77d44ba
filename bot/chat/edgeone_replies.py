"""What the bot says about EdgeOne's own view, as typed values (rendered by ``bot.render.edgeone``).

- :class:`EdgeOneAddendum` rides on a ``ProbeOutcome`` once the view is in: the view (with the
  findings of the automatic origin comparison) and the probe's diagnosis before the view was
  weighed, so a renderer can say whether the verdict changed;
- :class:`ViewReply`: the same, posted on its own in the thread when the diagnosis with the view
  would not fit in one message;
- :class:`ZoneCard` (``zone HOST``), :class:`LogsReply` (``logs EO-LOG-UUID [HOST]``),
  :class:`PurgeConfirm` (the question under a confirmation button) and :class:`PurgeReport`
  (how the purge went);
- :class:`EdgeOneOff`: an EdgeOne command asked without API credentials: what the API would add
  and which variables turn it on.

Each reply carries the language it is said in (the turn's, or the probe's for the view).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from bot.i18n.language import Language

if TYPE_CHECKING:
    from bot.diagnosis import Diagnosis
    from bot.edgeone.errors import Problem
    from bot.edgeone.facts import LogsFact
    from bot.edgeone.purge import PurgePlan, PurgeResult
    from bot.edgeone.view import EdgeOneView

EdgeOneCommand = Literal["zone", "logs", "purge"]


@dataclass(frozen=True, slots=True)
class EdgeOneAddendum:
    view: EdgeOneView
    before: Diagnosis  # the probe's own diagnosis, before EdgeOne's facts were weighed


@dataclass(frozen=True, slots=True)
class ViewReply:
    """EdgeOne's view of a probe, posted in its thread (the diagnosis message had no room)."""

    url: str
    diagnosis: Diagnosis  # the verdict with EdgeOne's facts weighed
    addendum: EdgeOneAddendum
    language: Language = "en"


@dataclass(frozen=True, slots=True)
class ZoneCard:
    view: EdgeOneView
    language: Language = "en"


@dataclass(frozen=True, slots=True)
class LogsReply:
    request_id: str
    answer: LogsFact | Problem
    language: Language = "en"


@dataclass(frozen=True, slots=True)
class PurgeConfirm:
    plan: PurgePlan
    language: Language = "en"


@dataclass(frozen=True, slots=True)
class PurgeReport:
    result: PurgeResult
    by: str  # who confirmed it
    language: Language = "en"


@dataclass(frozen=True, slots=True)
class EdgeOneOff:
    command: EdgeOneCommand
    language: Language = "en"


EdgeOneReply = ViewReply | ZoneCard | LogsReply | PurgeConfirm | PurgeReport | EdgeOneOff
EDGEONE_REPLIES = (ViewReply, ZoneCard, LogsReply, PurgeConfirm, PurgeReport, EdgeOneOff)
