"""What the bot says about a probe from several regions, as typed values (see ``bot.chat.replies``).

- ``RegionalOutcome``: the per-region table and the verdict across regions, the bot's own probe as
  the ``local`` row (and its full diagnosis), what changed since the last run, the buttons; or,
  when NATS cannot be reached, that one line and the local diagnosis;
- ``RegionalProgress`` while it runs, ``RegionalSummary``: the one-line channel message of a
  `/eo probe ... from` whose answer went into the thread;
- ``RegionalNews``: a regional watch's news (which regions recovered, broke or changed);
- ``AgentsReply``: `regions`, the live probe agents;
- ``RegionalShared``: a regional verdict shared in the channel from its thread.

Slack renders them with ``bot.render.regions`` (Block Kit), the console and the CLI as text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from bot.i18n.language import Language

if TYPE_CHECKING:
    from bot.agents.names import Regions
    from bot.agents.outcomes import LiveAgent
    from bot.agents.verdict import RegionalVerdict, RegionChanges
    from bot.chat.replies import ProbeOutcome, ProbeRequest, WatchInfo

LOCAL = "local"  # the bot's own probe, as a region of the table (a name agents cannot take)


@dataclass(frozen=True, slots=True)
class RegionalOutcome:
    """One probe from several regions, read together (``verdict``)."""

    request: ProbeRequest
    verdict: RegionalVerdict
    local: ProbeOutcome | None = None  # the bot's own probe in full; None when it was refused
    notes: tuple[str, ...] = ()  # results set aside on the way (ignored or rejected)
    unreachable: str | None = None  # NATS could not be reached: only the local probe ran
    refused: bool = False  # every region, and the bot itself, refused to probe the URL
    change: RegionChanges | None = None  # compared with the previous run
    watch: WatchInfo | None = None
    buttons: bool = True  # "Probe again", "Compare with origin", "Share in channel"
    states: Mapping[str, str] = field(default_factory=dict)  # ``region_states(verdict)``

    @property
    def language(self) -> Language:
        return self.request.language


@dataclass(frozen=True, slots=True)
class RegionalProgress:
    """Shown while a regional probe runs (the agents answer together, at the end)."""

    url: str
    regions: Regions
    user: str | None = None
    language: Language = "en"


@dataclass(frozen=True, slots=True)
class RegionalSummary:
    """The channel message of a `/eo probe ... from` once its answer is in the thread."""

    outcome: RegionalOutcome
    user: str | None = None

    @property
    def language(self) -> Language:
        return self.outcome.language


@dataclass(frozen=True, slots=True)
class RegionalNews:
    """A regional watch's news: the regions changed, or every region recovered (it stops)."""

    kind: Literal["changed", "recovered"]
    watch_id: str
    url: str
    verdict: RegionalVerdict
    change: RegionChanges | None
    probes: int = 0
    until: datetime | None = None  # still watching until then (for "changed")
    language: Language = "en"


@dataclass(frozen=True, slots=True)
class AgentsReply:
    """`regions`: the agents with a current heartbeat, and the trusted regions without one."""

    agents: tuple[LiveAgent, ...]
    known: tuple[str, ...]  # the regions this bot trusts (EO_AGENT_KEYS)
    now: datetime
    language: Language = "en"


@dataclass(frozen=True, slots=True)
class RegionalShared:
    """A regional verdict shared in the channel (built from a button's payload)."""

    request: ProbeRequest
    states: Mapping[str, str]
    user: str

    @property
    def language(self) -> Language:
        return self.request.language


RegionalReply = (
    RegionalOutcome
    | RegionalProgress
    | RegionalSummary
    | RegionalNews
    | AgentsReply
    | RegionalShared
)
# The same, for isinstance.
REGIONAL_REPLIES = (
    RegionalOutcome,
    RegionalProgress,
    RegionalSummary,
    RegionalNews,
    AgentsReply,
    RegionalShared,
)
