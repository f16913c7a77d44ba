"""What a regional probe gives back, as plain data (no NATS here, so faces can import it).

:class:`RegionalRun` holds one :class:`RegionOutcome` per region asked; :class:`LiveAgent` is one
line of the agents list. Everything an agent said about itself is network text: escape it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.agents.names import parse_regions
from bot.agents.protocol import AgentFacts
from bot.probe.models import ProbeReport

__all__ = [
    "AgentInfo",
    "AgentsUnavailable",
    "LiveAgent",
    "OutcomeKind",
    "RegionOutcome",
    "RegionalRun",
    "parse_regions",
]

OutcomeKind = Literal[
    "report", "refused", "failed", "no_agent", "malformed", "unreachable", "untrusted"
]


class AgentsUnavailable(Exception):
    """NATS cannot be reached; ``str(exc)`` is a plain line for the user."""


@dataclass(frozen=True, slots=True)
class AgentInfo:
    """The agent that answered, as it describes itself (network text: escape when shown)."""

    region: str
    agent_id: str
    version: str
    hostname: str
    system: str
    python: str
    pid: int
    concurrency: int

    @classmethod
    def of(cls, facts: AgentFacts) -> AgentInfo:
        return cls(
            region=facts.region,
            agent_id=facts.agent_id,
            version=facts.version,
            hostname=facts.hostname,
            system=facts.system,
            python=facts.python,
            pid=facts.pid,
            concurrency=facts.concurrency,
        )


@dataclass(frozen=True, slots=True)
class LiveAgent:
    """An agent with a current heartbeat. ``trusted``: signed by a key listed for its region."""

    info: AgentInfo
    state: Literal["ready", "draining"]
    last_seen: datetime  # the agent's own clock, UTC
    interval_s: float
    trusted: bool

    @property
    def region(self) -> str:
        return self.info.region


@dataclass(frozen=True, slots=True)
class RegionOutcome:
    """What one region gave: a report, or ``text`` saying why not (one line, plain words)."""

    region: str
    kind: OutcomeKind
    text: str = ""
    report: ProbeReport | None = None
    agent: AgentInfo | None = None


@dataclass(frozen=True, slots=True)
class RegionalRun:
    """One probe sent to several regions. ``notes``: results ignored or rejected on the way."""

    job_id: str
    url: str
    origin: str | None
    outcomes: tuple[RegionOutcome, ...]
    notes: tuple[str, ...] = ()

    def reports(self) -> dict[str, ProbeReport]:
        return {o.region: o.report for o in self.outcomes if o.report is not None}

    def missing(self) -> dict[str, str]:
        """Region -> why there is no report from it."""
        return {o.region: o.text for o in self.outcomes if o.report is None}
