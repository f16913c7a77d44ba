"""The verdict: the one place that weighs the evidence and names the EdgeOne code and the side at
fault, and says which evidence confirmed, refuted or sharpened it.

The evidence comes from sources that know nothing of each other: what the probe saw
(``probe``), who produced the response (``producer``), the origin hit directly (``origin``) and
what EdgeOne's API says (``edgeone``). The reading goes: no answer → the first failed phase, read
as the origin-pull code EdgeOne would give; an answer → who produced it, then its status; then the
code the user said they saw, then EdgeOne's facts. What a code means and how to fix it is the
knowledge base's: titles, summaries, checks and fixes are read from the entry (``kb_id``).

A probe of a target that shows no EdgeOne markers is read as a probe of the origin, and its
failure names the code an EdgeOne node would answer when pulling from it.

The readings: ``no_answer`` (a phase failed), ``answer`` (who produced the answer, then its
status), ``producers`` (another provider's own answer; the origin's own status), ``pull`` (the
origin-pull codes and the origin hit directly), ``stated`` (the code the user saw), ``api``
(EdgeOne's facts); ``finding`` holds what they build and share.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.diagnosis.edgeone import EdgeOneFact, EdgeOneView
from bot.diagnosis.knowledge import kb_steps, placeholder_values
from bot.diagnosis.model import Diagnosis
from bot.diagnosis.probe import answered, dns_notes
from bot.diagnosis.producer import identify
from bot.diagnosis.say import say_in
from bot.diagnosis.support import support_bundle
from bot.diagnosis.verdict.answer import edge_answered
from bot.diagnosis.verdict.api import weigh_edgeone
from bot.diagnosis.verdict.finding import Context, Finding
from bot.diagnosis.verdict.no_answer import edge_failed
from bot.diagnosis.verdict.stated import with_stated_code
from bot.i18n.language import Language
from bot.knowledge.loader import KnowledgeBase
from bot.probe.models import ProbeReport

__all__ = ["diagnose"]


def diagnose(
    report: ProbeReport,
    kb: KnowledgeBase,
    *,
    stated_code: int | None = None,
    language: Language = "en",
    edgeone: Iterable[EdgeOneFact] = (),
) -> Diagnosis:
    """Which EdgeOne code the probe observation corresponds to, and which side is at fault.

    ``stated_code`` is the code the user said they saw; when the probe is healthy now the
    diagnosis says so and points at the knowledge entry for that code instead. ``language`` is
    the language of every sentence. ``edgeone`` holds what EdgeOne's API said about the site
    (``bot.diagnosis.edgeone``); each fact confirms, refutes or sharpens the verdict.
    """
    say = say_in(language)
    ctx = Context(report, kb, say, identify(report.edge), EdgeOneView.of(edgeone))
    finding = _observe(ctx)
    weigh_edgeone(finding, ctx)
    reproduced: bool | None = None
    if stated_code is not None:
        finding = with_stated_code(finding, ctx, stated_code)
        reproduced = not finding.healthy
    finding.evidence += dns_notes(report, say)
    entry = finding.entry
    steps = kb_steps(entry, placeholder_values(report), say) if finding.kb_steps else []
    return Diagnosis(
        code=finding.code,
        product=entry.product if entry else None,
        kb_id=entry.id if entry else None,
        fault=finding.fault,
        summary=finding.summary,
        evidence=tuple(_dedupe(finding.evidence)),
        next_steps=tuple(_dedupe([*finding.steps, *steps])),
        support=support_bundle(report, node_refuted=finding.node_refuted),
        stated_code=stated_code,
        reproduced=reproduced,
        producer=ctx.producer,
        weighed=tuple(finding.weighed),
        language=language,
    )


def _observe(ctx: Context) -> Finding:
    if not answered(ctx.edge):
        return edge_failed(ctx)
    return edge_answered(ctx)


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))
