"""What a reading of the evidence builds up (the finding) and what it reads from (the context),
with the few words and tables every reading shares."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.diagnosis.edgeone import EdgeOneView
from bot.diagnosis.model import Effect, Fault, Producer, Source, Weighed
from bot.diagnosis.probe import has_edge_markers
from bot.diagnosis.producer import marks_words, producer_name
from bot.diagnosis.say import Say
from bot.i18n.catalogue import N_
from bot.knowledge.loader import KnowledgeBase
from bot.knowledge.models import Entry
from bot.probe.models import ProbeReport, ProbeResult

RERUN_WITH_ORIGIN = N_(
    "Re-run the probe with the origin address (--origin IP, or origin=IP in Slack) to test the"
    " origin directly"
)

# With no origin probe, the usual culprit for each origin-pull code (pairs folded onto 52x).
PULL_DEFAULT_FAULT: dict[int, Fault] = {
    520: "origin",
    521: "origin",
    522: "network",
    523: "dns",
    524: "origin",
    525: "origin",
}
# 4xx an origin gives because of the request itself: the client acts on them.
REQUEST_4XX = frozenset({400, 405, 411, 413, 414, 415, 416, 431})
AUTH_4XX = frozenset({401, 407})


@dataclass(slots=True)
class Finding:
    """The verdict as a reading builds it: code, entry, side, words, and what weighed on it."""

    code: int | None
    entry: Entry | None
    fault: Fault
    summary: str
    evidence: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)  # probe-specific next steps
    healthy: bool = False
    kb_steps: bool = True  # add the entry's check and fixes (not for a code that did not happen)
    weighed: list[Weighed] = field(default_factory=list)
    node_refuted: bool = False  # EdgeOne's API says the answering address is not an EdgeOne node

    def weigh(self, source: Source, effect: Effect, reason: str) -> None:
        self.weighed.append(Weighed(source, effect, reason))


@dataclass(frozen=True, slots=True)
class Context:
    """Everything one reading needs: the report and what was made of it so far."""

    report: ProbeReport
    kb: KnowledgeBase
    say: Say
    producer: Producer | None
    facts: EdgeOneView

    @property
    def edge(self) -> ProbeResult:
        return self.report.edge

    def marked(self) -> bool:
        """EdgeOne's markers, or EdgeOne's API saying the address is one of its nodes."""
        node = self.facts.node(self.edge.connect.ip)
        return has_edge_markers(self.edge) or (node is not None and node.is_edgeone)


def by_page(producer: Producer | None) -> bool:
    return producer is not None and any(m.kind == "body" for m in producer.marks)


def producer_line(producer: Producer, say: Say) -> str:
    return say._(
        "produced by {name} ({marks})",
        name=producer_name(producer, say),
        marks=marks_words(producer, say),
    )


def who_answered(ctx: Context) -> str:
    """Who answered, for an evidence line: another provider by name, EdgeOne, else the host."""
    producer = ctx.producer
    if producer is not None and producer.kind == "provider":
        return producer_name(producer, ctx.say)
    return "EdgeOne" if has_edge_markers(ctx.edge) else ctx.edge.host
