"""What every handler shares: the core (knowledge, matcher, probe, diagnosis), guards and state.

Built once per process and handed to the conversation; tests build it with their own prober,
settings and limits. Nothing here knows which surface (Slack, console) is in use.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from bot.chat.tasks import Tasks
from bot.chat.watches import WatchSettings
from bot.config import Visibility
from bot.diagnosis import Diagnosis, diagnose
from bot.i18n.language import Choice, Language, choose
from bot.knowledge import KnowledgeBase, Matcher
from bot.probe.models import ProbeReport
from bot.probe.runner import ProbeSettings, ProgressCallback, probe
from bot.probe.safety import ProbePolicy
from bot.state.base import Dedupe, ProbeCap, RateLimit, RecentProbes, WatchStore
from bot.state.memory import ConcurrencyCap, History, MemoryWatches, RateLimiter, Seen

if TYPE_CHECKING:
    from bot.agents.caller import RegionalProber  # loads nats-py: only when EO_NATS_URL is set
    from bot.agents.settings import CallerSettings
    from bot.chat.edgeone import EdgeOneChat

log = logging.getLogger(__name__)


class Prober(Protocol):
    def __call__(
        self, url: str, *, origin: str | None, on_progress: ProgressCallback | None
    ) -> Awaitable[ProbeReport]: ...


# (report, the code the user said they saw, the language to word the diagnosis in)
Diagnoser = Callable[[ProbeReport, int | None, Language], Diagnosis]


@dataclass(slots=True)
class Services:
    kb: KnowledgeBase
    matcher: Matcher
    prober: Prober
    diagnoser: Diagnoser
    policy: ProbePolicy
    visibility: Visibility = "ephemeral"
    # EO_LANGUAGE: "auto" answers in the language of each question, "en"/"zh" always in that one.
    language: Choice = "auto"
    # Per user; a watch's rounds are charged to its owner.
    rate: RateLimit = field(default_factory=lambda: RateLimiter(5, 60.0))
    # Probes at once for everyone; watch rounds may hold at most half of it (its ``watch_limit``).
    cap: ProbeCap = field(default_factory=lambda: ConcurrencyCap(4))
    # Alerts probe on behalf of a channel, not a person: an alert storm gets its own budget.
    alert_rate: RateLimit = field(default_factory=lambda: RateLimiter(10, 600.0))
    watch_channels: frozenset[str] = frozenset()
    watch: WatchSettings = field(default_factory=WatchSettings)
    seen_events: Dedupe = field(default_factory=Seen)
    seen_messages: Dedupe = field(default_factory=Seen)
    tasks: Tasks = field(default_factory=Tasks)
    history: RecentProbes = field(default_factory=History)
    # The state above lives in this process by default; ``bot.state.open_state`` puts it in
    # Redis for a fleet, where ``replica`` names this process in the watches' leases.
    watch_store: WatchStore = field(default_factory=MemoryWatches)
    replica: str = "local"
    progress_interval: float = 1.0  # seconds between two updates of a probe's progress message
    edgeone: EdgeOneChat | None = None  # EdgeOne's API (bot.chat.edgeone); None: no credentials
    # Probes from other regions' agents (EO_NATS_URL); None: every probe runs from here only.
    regional: RegionalProber | None = None
    regional_deadline: float = 25.0  # the longest a regional probe waits for the agents

    @classmethod
    def build(
        cls,
        kb: KnowledgeBase,
        settings: ProbeSettings,
        *,
        matcher: Matcher | None = None,
        **kwargs: Any,
    ) -> Services:
        """Services using the real probe and diagnosis."""
        return cls(
            kb=kb,
            matcher=matcher or Matcher(kb),
            prober=functools.partial(probe, settings=settings),
            diagnoser=diagnoser_of(diagnose, kb),
            policy=settings.policy,
            **kwargs,
        )

    def language_for(self, text: str) -> Language:
        """The language to answer ``text`` in: the deployment's, or the text's own."""
        return choose(text, self.language)

    async def fresh(self, event_id: str | None, channel: str | None, ts: str | None) -> bool:
        """False for a redelivered event or a message already handled under another event (by
        this replica or, with a shared store, by any replica of the fleet)."""
        if event_id and not await self.seen_events.first(f"event:{event_id}"):
            log.info("ignoring redelivered event %s", event_id)
            return False
        if channel and ts and not await self.seen_messages.first(f"message:{channel}:{ts}"):
            log.info("ignoring message %s/%s already handled", channel, ts)
            return False
        return True


def diagnoser_of(diagnose_fn: Callable[..., Diagnosis], kb: KnowledgeBase) -> Diagnoser:
    """``diagnose_fn`` (``bot.diagnosis.diagnose``) over ``kb`` as a ``Diagnoser``."""

    def diagnoser(report: ProbeReport, stated_code: int | None, language: Language) -> Diagnosis:
        return diagnose_fn(report, kb, stated_code=stated_code, language=language)

    return diagnoser


def regional_prober(settings: CallerSettings | None) -> RegionalProber | None:
    """The regional prober for EO_NATS_URL (nats-py loads only then); None without it. It
    connects on first use: a NATS that does not answer never stops start-up, each regional probe
    says so instead."""
    if settings is None:
        return None
    from bot.agents.caller import RegionalProber

    return RegionalProber(settings)
