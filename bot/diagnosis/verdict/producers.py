"""Answers whose producer's marks decide the verdict: another CDN or platform's own answer, and
the origin's own status whoever relayed it."""

from __future__ import annotations

from bot.diagnosis import origin as compare
from bot.diagnosis.knowledge import title
from bot.diagnosis.model import Effect, Fault, Producer
from bot.diagnosis.probe import (
    answer_line,
    answered,
    eo_log_uuid,
    marker_lines,
    no_markers_line,
    pair,
    status,
)
from bot.diagnosis.producer import EDGEONE_CODES, header_label, marks_words, producer_name
from bot.diagnosis.say import Say, quote
from bot.diagnosis.verdict.finding import (
    AUTH_4XX,
    REQUEST_4XX,
    RERUN_WITH_ORIGIN,
    Context,
    Finding,
    who_answered,
)
from bot.i18n.catalogue import N_
from bot.probe.models import ProbeResult

# Headers that carry another provider's request id, which its support asks for.
_REQUEST_IDS = (
    "cf-ray",
    "x-amz-cf-id",
    "x-fastly-request-id",
    "akamai-grn",
    "x-vercel-id",
    "x-nf-request-id",
    "x-nws-log-uuid",
    "x-azure-ref",
    "eagleid",
)


# Another provider's own codes: the side to act on, and what the code means.
_PROVIDER_CODES: dict[tuple[str, int], tuple[Fault, str]] = {
    ("cloudflare", 520): (
        "origin",
        N_("the origin behind Cloudflare answered with something empty or unexpected"),
    ),
    ("cloudflare", 521): ("origin", N_("the origin refused Cloudflare's connection")),
    ("cloudflare", 522): ("network", N_("Cloudflare's connection to the origin timed out")),
    ("cloudflare", 523): ("network", N_("Cloudflare could not reach the origin")),
    ("cloudflare", 524): (
        "origin",
        N_("the origin took Cloudflare's connection but did not answer in time"),
    ),
    ("cloudflare", 525): (
        "origin",
        N_("the TLS handshake between Cloudflare and the origin failed"),
    ),
    ("cloudflare", 526): ("origin", N_("Cloudflare rejected the origin's certificate")),
    ("cloudflare", 530): (
        "provider",
        N_("Cloudflare could not serve the host (one of its 1xxx errors, often the origin's DNS)"),
    ),
    ("tencent-cdn", 423): ("provider", N_("Tencent Cloud CDN detected a request loop")),
    ("tencent-cdn", 514): (
        "provider",
        N_("Tencent Cloud CDN's per-IP request frequency limit was reached"),
    ),
}


def provider_answer(ctx: Context) -> Finding:
    """Another CDN or platform answered itself: its code, not EdgeOne's."""
    edge, say = ctx.edge, ctx.say
    producer = ctx.producer
    assert producer is not None  # the caller checked
    code, name = status(edge), producer_name(producer, say)
    fault, meaning = _provider_reading(producer, edge, say)
    summary = say._(
        "{name} answered {status} itself ({marks}): {meaning}.",
        name=name,
        status=code,
        marks=marks_words(producer, say, limit=2),
        meaning=meaning,
    )
    steps = [_provider_lookup_step(producer, edge, say)]
    if producer.edgeone_marked:
        summary = say.then(
            summary,
            say._(
                "It came through EdgeOne, which passed {name}'s answer on unchanged: {name} sits"
                " between EdgeOne and the origin.",
                name=name,
            ),
        )
        steps.append(
            say._(
                "EdgeOne pulls from {name}: fix the answer there, or point EdgeOne's origin at the"
                " server behind {name}",
                name=name,
            )
        )
        evidence_marker = marker_lines(edge, say)
    else:
        steps.append(
            say._(
                "If {host} should be served by EdgeOne, point its DNS at the CNAME EdgeOne"
                " assigned: today it reaches {name}",
                host=edge.host,
                name=name,
            )
        )
        evidence_marker = [no_markers_line(say)]
    finding = Finding(
        code=None,
        entry=None,
        fault=fault,
        summary=summary,
        evidence=[answer_line(edge, name, say), *evidence_marker],
        steps=steps,
    )
    if fault in ("origin", "network") and ctx.report.origin is None:
        finding.steps.append(say._(RERUN_WITH_ORIGIN))
    finding.evidence += compare.context_lines(ctx.report.origin, say)
    effect: Effect = "refutes" if pair(code) in EDGEONE_CODES else "sharpens"
    finding.weigh(
        "producer",
        effect,
        say._(
            "{name}'s marks say {name} produced the {status}, not EdgeOne ({marks})",
            name=name,
            status=code,
            marks=marks_words(producer, say),
        ),
    )
    return finding


def _provider_reading(producer: Producer, edge: ProbeResult, say: Say) -> tuple[Fault, str]:
    code, name = status(edge), producer_name(producer, say)
    if (known := _PROVIDER_CODES.get((producer.vendor, code))) is not None:
        return known[0], say._(known[1])
    vercel_error = edge.http.headers.get("x-vercel-error", "").strip().upper()
    if "FUNCTION_INVOCATION" in vercel_error or "MIDDLEWARE_INVOCATION" in vercel_error:
        return "origin", say._(
            "the site's own function failed on {name} ({error})",
            name=name,
            error=quote(vercel_error),
        )
    if code >= 500:
        return "origin", say._(
            "{name} got no good answer from the origin or function behind it", name=name
        )
    if code in (404, 410):
        return "provider", say._(
            "{name} has nothing to serve at this address (a deployment, bucket or route is"
            " missing there)",
            name=name,
        )
    return "provider", say._("a rule or limit on {name} refused the request", name=name)


def _provider_lookup_step(producer: Producer, edge: ProbeResult, say: Say) -> str:
    headers = edge.http.headers
    for header in _REQUEST_IDS:
        if value := headers.get(header):
            return say._(
                "Look the request up on {name}'s side with its request id ({header}: {value})",
                name=producer_name(producer, say),
                header=header_label(header),
                value=quote(value),
            )
    return say._(
        "Check {name}'s logs and settings for {host}",
        name=producer_name(producer, say),
        host=edge.host,
    )


def origin_produced(ctx: Context) -> Finding:
    """The origin's own marks are on the answer: its status, whoever relayed it."""
    edge, say, origin = ctx.edge, ctx.say, ctx.report.origin
    producer = ctx.producer
    assert producer is not None  # the caller checked
    code = status(edge)
    entry = ctx.kb.get(f"sa-origin-{code}")
    marks = marks_words(producer, say, limit=2)
    fault: Fault = "client" if code in REQUEST_4XX | AUTH_4XX else "origin"
    relayed = producer.edgeone_marked
    if relayed:
        lead = say._(
            "The origin produced the {status} itself ({marks}); EdgeOne relayed it unchanged.",
            status=code,
            marks=marks,
        )
        summary = say.titled(title(entry, code, say), lead) if entry is not None else lead
        evidence = [answer_line(edge, who_answered(ctx), say), *marker_lines(edge, say)]
    else:
        summary = say._(
            "{host} answered {status} itself ({marks}); it shows no EdgeOne markers, so the"
            " status comes from the server itself.",
            host=edge.host,
            status=code,
            marks=marks,
        )
        evidence = [answer_line(edge, edge.host, say), no_markers_line(say)]
    if code in AUTH_4XX:
        summary = say.then(
            summary,
            say._(
                "The origin asks for credentials the request did not carry; if the page should be"
                " public, the origin's access settings are at fault."
            ),
        )
    elif code in REQUEST_4XX:
        summary = say.then(
            summary,
            say._(
                "The origin refuses the request itself: check the method, size, range or headers"
                " the client sends."
            ),
        )
    elif pair(code) in EDGEONE_CODES and relayed:
        summary = say.then(
            summary,
            say._("Codes 520 to 599 are reserved for EdgeOne; the origin should not send them."),
        )
    if producer.name:
        steps = [
            say._(
                "Look for this request in {name}'s logs on the origin",
                name=producer_name(producer, say),
            )
        ]
    else:
        steps = [say._("Look for this request in the origin's logs")]
    if relayed and (uuid := eo_log_uuid(edge)):
        steps.insert(
            0,
            say._(
                "EdgeOne sends the same EO-LOG-UUID to the origin: search the origin's access"
                " log for {uuid}",
                uuid=uuid,
            ),
        )
    finding = Finding(code, entry, fault, summary, evidence, steps)
    if relayed:
        effect: Effect = "refutes" if pair(code) in EDGEONE_CODES else "sharpens"
        finding.weigh(
            "producer",
            effect,
            say._(
                "the response came through EdgeOne, but the origin's marks say the origin"
                " produced the {status} ({marks})",
                status=code,
                marks=marks,
            ),
        )
    if origin is not None:
        _compare_origin_on_produced(finding, origin, code, say)
    return finding


def _compare_origin_on_produced(finding: Finding, origin: ProbeResult, code: int, say: Say) -> None:
    finding.evidence += compare.context_lines(origin, say)
    if answered(origin) and status(origin) == code:
        finding.weigh(
            "origin",
            "confirms",
            say._("hit directly, the origin answers {status} too", status=code),
        )
        return
    seen = str(status(origin)) if answered(origin) else say._("no answer")
    line = say._(
        "the origin you probed answers {seen} while the answer through EdgeOne carries the"
        " origin's marks: EdgeOne may pull from another server, port or Host",
        seen=seen,
    )
    finding.evidence.append(line)
    finding.weigh("origin", "sharpens", line)
