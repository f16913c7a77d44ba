"""The code the user said they saw, against what this probe saw."""

from __future__ import annotations

from bot.diagnosis.knowledge import entry_for_code, title
from bot.diagnosis.probe import PAGES_SERVER, pair, server, status
from bot.diagnosis.verdict.finding import (
    PULL_DEFAULT_FAULT,
    RERUN_WITH_ORIGIN,
    Context,
    Finding,
    who_answered,
)
from bot.knowledge.models import Product


def with_stated_code(finding: Finding, ctx: Context, stated: int) -> Finding:
    edge, say = ctx.edge, ctx.say
    if finding.healthy:
        hint = Product.PAGES if server(edge) == PAGES_SERVER else Product.SITE_ACCELERATION
        entry = entry_for_code(ctx.kb, stated, hint, other_products=True)
        steps = [say._("If the {code} comes back, probe again while it is happening", code=stated)]
        if pair(stated) in PULL_DEFAULT_FAULT and ctx.report.origin is None:
            steps.append(say._(RERUN_WITH_ORIGIN))
        # Said plainly, without the outage steps of a code that did not happen here.
        return Finding(
            code=None,
            entry=entry,
            fault="none",
            summary=say._(
                "{who} answers now ({status}); the {stated} you reported is not reproduced by this"
                " probe. About {stated}: {title}.",
                who=who_answered(ctx),
                status=status(edge),
                stated=stated,
                title=title(entry, stated, say),
            ),
            evidence=[
                *finding.evidence,
                say._(
                    "you reported {stated}; this probe got {status}",
                    stated=stated,
                    status=status(edge),
                ),
            ],
            steps=steps,
            healthy=True,
            kb_steps=False,
            weighed=finding.weighed,
        )
    if finding.code is None or pair(finding.code) != pair(stated):
        seen = str(finding.code) if finding.code is not None else say._("no EdgeOne code")
        finding.evidence.append(
            say._("you reported {stated}; this probe sees {seen}", stated=stated, seen=seen)
        )
    return finding
