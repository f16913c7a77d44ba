"""EdgeOne's origin-pull codes (520-525 / 550-555), and the origin hit directly beside them;
a 524 is judged against the time EdgeOne actually waited."""

from __future__ import annotations

from bot.diagnosis import origin as compare
from bot.diagnosis.knowledge import entry_for_code, title
from bot.diagnosis.probe import (
    answer_line,
    answered,
    failure,
    has_edge_markers,
    marker_lines,
    pair,
    status,
)
from bot.diagnosis.say import Say
from bot.diagnosis.verdict.finding import (
    PULL_DEFAULT_FAULT,
    RERUN_WITH_ORIGIN,
    Context,
    Finding,
    who_answered,
)
from bot.probe.models import ProbeResult


def origin_pull_failed(ctx: Context) -> Finding:
    """EdgeOne answered 520-525 / 550-555: its pull from the origin failed."""
    edge, origin, say = ctx.edge, ctx.report.origin, ctx.say
    code = status(edge)
    entry = entry_for_code(ctx.kb, code)
    finding = Finding(
        code=code,
        entry=entry,
        fault=PULL_DEFAULT_FAULT[pair(code)],
        summary=say._("{title}.", title=title(entry, code, say)),
        evidence=[answer_line(edge, who_answered(ctx), say), *marker_lines(edge, say)],
    )
    if origin is None:
        if has_edge_markers(edge):
            finding.summary = say.then(
                finding.summary,
                say._(
                    "EdgeOne produced this itself because pulling from the origin failed; without a"
                    " probe of the origin the usual culprit is the {side}.",
                    side=say.side(finding.fault),
                ),
            )
        else:
            finding.summary = say.then(
                finding.summary,
                say._(
                    "{host} answered {code} but shows no EdgeOne markers: another proxy may use the"
                    " same code. Read as an origin-pull failure, the usual culprit is the {side}.",
                    host=edge.host,
                    code=code,
                    side=say.side(finding.fault),
                ),
            )
        if pair(code) == 524:
            _note_pull_limit(finding, ctx)
        finding.steps.append(say._(RERUN_WITH_ORIGIN))
        return finding
    _compare_origin_on_pull_failure(finding, ctx, origin, code)
    return finding


def _note_pull_limit(finding: Finding, ctx: Context) -> None:
    """A 524 that came sooner than the default timeout: a rule sets a shorter one."""
    limit = compare.pull_limit(ctx.edge, _rule_seconds(ctx))
    if compare.shorter_than_default(limit):
        finding.summary = ctx.say.then(finding.summary, _shorter_words(limit, ctx.say))


def _shorter_words(limit: compare.PullLimit, say: Say) -> str:
    return say._(
        "EdgeOne gave up after {limit}, shorter than its default {default} origin-pull timeout:"
        " a rule-engine origin-pull timeout sets it lower.",
        limit=say.ms(limit.ms),
        default=say.ms(compare.ORIGIN_TIMEOUT_MS),
    )


def _rule_seconds(ctx: Context) -> float | None:
    rule = ctx.facts.pull_timeout(ctx.edge.host)
    return rule.seconds if rule is not None else None


def _compare_origin_on_pull_failure(
    finding: Finding, ctx: Context, origin: ProbeResult, code: int
) -> None:
    say = ctx.say
    default = finding.fault
    found = failure(origin, say)
    cert_matters = pair(code) == 525 and origin.tls.status == "cert_invalid"
    if found is not None and (not answered(origin) or cert_matters):
        finding.fault = found.fault
        finding.evidence.append(say._("origin: {line}", line=found.evidence))
        if pair(found.code) == pair(code):
            finding.summary = say.then(
                finding.summary,
                say._("Hit directly, the origin fails the same way: {what}.", what=found.what),
            )
            finding.weigh(
                "origin",
                "confirms",
                say._("hit directly, the origin fails the same way: {what}", what=found.what),
            )
        else:
            line = say._(
                "the origin probe shows the {pattern} pattern while EdgeOne reported {code}",
                pattern=found.code,
                code=code,
            )
            finding.evidence.append(line)
            finding.summary = say.then(
                finding.summary,
                say._(
                    "Hit directly, the origin fails too ({what}, EdgeOne's {pattern} pattern), so"
                    " the {side} is at fault.",
                    what=found.what,
                    pattern=found.code,
                    side=say.side(found.fault),
                ),
            )
            finding.weigh("origin", "confirms" if found.fault == default else "sharpens", line)
        if found.note:
            finding.summary = say.then(finding.summary, found.note)
        return
    finding.evidence += compare.answer_lines(origin, say)
    ttfb = origin.http.ttfb_ms
    limit = compare.pull_limit(ctx.edge, _rule_seconds(ctx))
    pace = compare.pace(ttfb, limit) if ttfb is not None else "within"
    if pace == "over":
        finding.fault = "origin"
        if limit.source == "default":
            finding.summary = say.then(
                finding.summary,
                say._(
                    "The origin took {ttfb} to its first byte, over EdgeOne's default {default}"
                    " origin-pull timeout.",
                    ttfb=say.ms(ttfb),
                    default=say.ms(compare.ORIGIN_TIMEOUT_MS),
                ),
            )
        else:
            finding.summary = say.then(
                finding.summary,
                say._(
                    "The origin took {ttfb} to its first byte, more than the {limit} EdgeOne"
                    " waited: the origin is too slow.",
                    ttfb=say.ms(ttfb),
                    limit=say.ms(limit.ms),
                ),
            )
    elif pace == "near" and pair(code) == 524:
        finding.fault = "origin"
        finding.summary = say.then(
            finding.summary,
            say._(
                "The origin took {ttfb} to its first byte, close to the {limit} EdgeOne waits: slow"
                " enough that ordinary variation tips it over.",
                ttfb=say.ms(ttfb),
                limit=say.ms(limit.ms),
            ),
        )
    elif status(origin) < 500:
        finding.fault = "network"
        finding.summary = say.then(
            finding.summary,
            say._(
                "The origin answers {status} when hit directly from here, so the problem is the"
                " path between EdgeOne and the origin: a firewall or allow-list missing EdgeOne's"
                " origin-pull ranges, a wrong origin port or protocol in the EdgeOne configuration,"
                " or a Host header rewrite.",
                status=status(origin),
            ),
        )
        if pair(code) == 524 and ttfb is not None:
            finding.summary = say.then(
                finding.summary,
                say._(
                    "It answered in {ttfb}, well within the {limit} EdgeOne waits.",
                    ttfb=say.ms(ttfb),
                    limit=say.ms(limit.ms),
                ),
            )
    else:
        finding.fault = "origin"
        finding.summary = say.then(
            finding.summary,
            say._("Hit directly, the origin answers {status} itself.", status=status(origin)),
        )
    if pair(code) == 524 and compare.shorter_than_default(limit):
        finding.summary = say.then(finding.summary, _shorter_words(limit, say))
    finding.weigh(
        "origin",
        "confirms" if finding.fault == default else "refutes",
        say._(
            "hit directly, the origin answered {status} in {ttfb}",
            status=status(origin),
            ttfb=say.ms(ttfb),
        ),
    )
