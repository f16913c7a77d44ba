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
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from bot.diagnosis import origin as compare
from bot.diagnosis.edgeone import EdgeOneFact, EdgeOneView, fact_words, origin_port, origin_scheme
from bot.diagnosis.knowledge import (
    entry_by_name,
    entry_for_code,
    kb_steps,
    origin_entry,
    pages_entry,
    placeholder_values,
    summary_of,
    title,
)
from bot.diagnosis.model import Diagnosis, Effect, Fault, Producer, Source, Weighed
from bot.diagnosis.probe import (
    PAGES_SERVER,
    PhaseFailure,
    addr,
    answer_line,
    answered,
    cname_lines,
    dns_notes,
    edge_cert_lines,
    eo_log_uuid,
    failure,
    has_edge_markers,
    is_ip,
    marker_lines,
    no_markers_line,
    pair,
    server,
    status,
)
from bot.diagnosis.producer import (
    EDGEONE_CODES,
    header_label,
    identify,
    marks_words,
    producer_name,
)
from bot.diagnosis.say import Say, quote, say_in
from bot.diagnosis.support import support_bundle
from bot.i18n.catalogue import N_
from bot.i18n.language import Language
from bot.knowledge.loader import KnowledgeBase
from bot.knowledge.models import Entry, Product
from bot.probe.models import ProbeReport, ProbeResult

_RERUN_WITH_ORIGIN = N_(
    "Re-run the probe with the origin address (--origin IP, or origin=IP in Slack) to test the"
    " origin directly"
)
# With no origin probe, the usual culprit for each origin-pull code (pairs folded onto 52x).
_PULL_DEFAULT_FAULT: dict[int, Fault] = {
    520: "origin",
    521: "origin",
    522: "network",
    523: "dns",
    524: "origin",
    525: "origin",
}
# With no origin probe: who most likely produced a 4xx/5xx that came through EdgeOne.
_NO_ORIGIN_FAULT: dict[int, Fault] = {
    500: "origin",
    502: "origin",
    503: "origin",
    504: "origin",
    400: "client",
    403: "edge",
    413: "client",
    416: "client",
}
_PASSTHROUGH_5XX = frozenset({500, 502, 503, 504})
_SECURITY_CODES = frozenset({566, 567, 570})
_EDGE_FUNCTION_ERROR = 545
_EDGE_FUNCTION_ENTRY = "ef-545"
# Pages platform states that are EdgeOne's own (the project is not served), by error name.
_PAGES_PLATFORM_STATES = frozenset({"DEPLOYING", "FAILED", "NOT_FOUND", "DELETED", "UNAVAILABLE"})
# Pages codes that are the plan's quotas and limits: the account acts on them, not the client.
_PAGES_ACCOUNT_CODES = frozenset({429, 511, 512})
# 4xx an origin gives because of the request itself: the client acts on them.
_REQUEST_4XX = frozenset({400, 405, 411, 413, 414, 415, 416, 431})
_AUTH_4XX = frozenset({401, 407})
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


@dataclass(slots=True)
class _Finding:
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
class _Context:
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
    ctx = _Context(report, kb, say, identify(report.edge), EdgeOneView.of(edgeone))
    finding = _observe(ctx)
    _weigh_edgeone(finding, ctx)
    reproduced: bool | None = None
    if stated_code is not None:
        finding = _with_stated_code(finding, ctx, stated_code)
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


def _observe(ctx: _Context) -> _Finding:
    if not answered(ctx.edge):
        return _edge_failed(ctx)
    return _edge_answered(ctx)


# ---------------------------------------------------------------- the edge did not answer


def _edge_failed(ctx: _Context) -> _Finding:
    edge, say = ctx.edge, ctx.say
    found = failure(edge, say)
    if found is None:
        return _incomplete(edge, say)
    if ctx.marked():
        finding = _edge_node_failed(ctx, found)
        if not has_edge_markers(edge):
            finding.weigh(
                "edgeone",
                "refutes",
                say._(
                    "{fact}, though nothing else marks it: the probe reached EdgeOne, not the"
                    " origin",
                    fact=fact_words(_node(ctx), say),
                ),
            )
        return finding
    entry = entry_for_code(ctx.kb, found.code)
    finding = _Finding(
        code=found.code,
        entry=entry,
        fault=found.fault,
        summary=say._(
            "{title}. {host} shows no EdgeOne markers, so this is read as a probe of the origin:"
            " {what}, which EdgeOne reports as {code} when pulling from it.",
            title=title(entry, found.code, say),
            host=edge.host,
            what=found.what,
            code=found.code,
        ),
        evidence=[found.evidence, no_markers_line(say)],
    )
    if found.note:
        finding.summary = say.then(finding.summary, found.note)
    finding.evidence += compare.context_lines(ctx.report.origin, say)
    return finding


def _node(ctx: _Context) -> EdgeOneFact:
    node = ctx.facts.node(ctx.edge.connect.ip)
    assert node is not None  # only called when the API spoke about the address
    return node


def _edge_node_failed(ctx: _Context, found: PhaseFailure) -> _Finding:
    """The hostname leads to EdgeOne but the node itself did not answer: no origin-pull code."""
    edge, say = ctx.edge, ctx.say
    evidence = [found.evidence, *cname_lines(edge, say)]
    if (
        found.phase == "tls"
        and edge.tls.verify_error == "hostname_mismatch"
        and edge.dns.on_edgeone
    ):
        # A node with no configuration for the host presents a certificate for other names:
        # the field-observed sign of a 418 (the probe stopped before the status).
        entry = entry_for_code(ctx.kb, 418)
        return _Finding(
            code=418,
            entry=entry,
            fault="edge",
            summary=say._(
                "Likely {title}: {host} points at EdgeOne but the node presents a certificate for"
                " other names.",
                title=title(entry, 418, say),
                host=edge.host,
            ),
            evidence=evidence,
        )
    fault: Fault = "dns" if found.phase == "dns" else "edge"
    if found.phase == "connect" and found.status in ("timeout", "unreachable"):
        fault = "network"
    return _Finding(
        code=None,
        entry=None,
        fault=fault,
        summary=say._(
            "The EdgeOne node for {host} did not answer from here: {what}. The request never"
            " reached origin pull, so no EdgeOne status code applies.",
            host=edge.host,
            what=found.what,
        ),
        evidence=evidence,
        steps=[
            say._("Probe again from another network to rule out the path from here"),
            say._(
                "If it persists, contact EdgeOne support with the address the name resolved to"
                " ({ip}) and the time of the probe",
                ip=edge.connect.ip or say._("unknown"),
            ),
        ],
    )


def _incomplete(edge: ProbeResult, say: Say) -> _Finding:
    if edge.deadline_hit:
        why = say._("the probe hit its overall deadline")
    else:
        why = say._("no phase reported")
    return _Finding(
        code=None,
        entry=None,
        fault="none",
        summary=say._(
            "The probe of {host} got no HTTP response ({why}); nothing to diagnose.",
            host=edge.host,
            why=why,
        ),
        evidence=[say._("{why}, after {time}", why=why, time=say.ms(edge.timings.total_ms))],
        steps=[say._("Probe again; if the deadline keeps being hit, raise EO_PROBE_DEADLINE")],
    )


# ---------------------------------------------------------------- the edge answered


def _edge_answered(ctx: _Context) -> _Finding:
    edge, say, producer = ctx.edge, ctx.say, ctx.producer
    code = status(edge)
    kind = producer.kind if producer is not None else "unknown"
    name = edge.http.error_name
    if kind == "provider" and code >= 400:
        finding = _provider_answer(ctx)
    elif kind == "origin" and code >= 400:
        finding = _origin_produced(ctx)
    elif kind == "edgeone" and _by_page(producer) and pair(code) not in EDGEONE_CODES:
        finding = _edgeone_page(ctx)
    else:
        named = entry_by_name(ctx.kb, name) if name else None
        if named is not None:
            finding = _pages_error(ctx, named)
        elif pair(code) in _PULL_DEFAULT_FAULT:
            finding = _origin_pull_failed(ctx)
        else:
            finding = _by_status(code)(ctx)
        if name and named is None:
            finding.evidence.append(
                say._("error name {name} in the body (not in the knowledge base)", name=name)
            )
    if producer is not None and producer.kind != "unknown" and (code >= 400 or _by_page(producer)):
        finding.evidence.append(_producer_line(producer, say))
        if not any(w.source == "producer" for w in finding.weighed):
            finding.weigh(
                "producer",
                "confirms",
                say._(
                    "the marks say {name} produced the response ({marks})",
                    name=producer_name(producer, say),
                    marks=marks_words(producer, say),
                ),
            )
    finding.evidence += edge_cert_lines(edge, say)
    return finding


def _by_page(producer: Producer | None) -> bool:
    return producer is not None and any(m.kind == "body" for m in producer.marks)


def _producer_line(producer: Producer, say: Say) -> str:
    return say._(
        "produced by {name} ({marks})",
        name=producer_name(producer, say),
        marks=marks_words(producer, say),
    )


def _who(ctx: _Context) -> str:
    """Who answered, for an evidence line: another provider by name, EdgeOne, else the host."""
    producer = ctx.producer
    if producer is not None and producer.kind == "provider":
        return producer_name(producer, ctx.say)
    return "EdgeOne" if has_edge_markers(ctx.edge) else ctx.edge.host


def _by_status(code: int) -> Callable[[_Context], _Finding]:
    if code < 400:
        return _healthy
    if code == 418:
        return _not_configured
    if code == 423:
        return _loop
    if code in _SECURITY_CODES:
        return _security
    if code == _EDGE_FUNCTION_ERROR:
        return _function_error
    return _passthrough


def _provider_answer(ctx: _Context) -> _Finding:
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
    finding = _Finding(
        code=None,
        entry=None,
        fault=fault,
        summary=summary,
        evidence=[answer_line(edge, name, say), *evidence_marker],
        steps=steps,
    )
    if fault in ("origin", "network") and ctx.report.origin is None:
        finding.steps.append(say._(_RERUN_WITH_ORIGIN))
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


def _origin_produced(ctx: _Context) -> _Finding:
    """The origin's own marks are on the answer: its status, whoever relayed it."""
    edge, say, origin = ctx.edge, ctx.say, ctx.report.origin
    producer = ctx.producer
    assert producer is not None  # the caller checked
    code = status(edge)
    entry = ctx.kb.get(f"sa-origin-{code}")
    marks = marks_words(producer, say, limit=2)
    fault: Fault = "client" if code in _REQUEST_4XX | _AUTH_4XX else "origin"
    relayed = producer.edgeone_marked
    if relayed:
        lead = say._(
            "The origin produced the {status} itself ({marks}); EdgeOne relayed it unchanged.",
            status=code,
            marks=marks,
        )
        summary = say.titled(title(entry, code, say), lead) if entry is not None else lead
        evidence = [answer_line(edge, _who(ctx), say), *marker_lines(edge, say)]
    else:
        summary = say._(
            "{host} answered {status} itself ({marks}); it shows no EdgeOne markers, so the"
            " status comes from the server itself.",
            host=edge.host,
            status=code,
            marks=marks,
        )
        evidence = [answer_line(edge, edge.host, say), no_markers_line(say)]
    if code in _AUTH_4XX:
        summary = say.then(
            summary,
            say._(
                "The origin asks for credentials the request did not carry; if the page should be"
                " public, the origin's access settings are at fault."
            ),
        )
    elif code in _REQUEST_4XX:
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
    finding = _Finding(code, entry, fault, summary, evidence, steps)
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


def _compare_origin_on_produced(
    finding: _Finding, origin: ProbeResult, code: int, say: Say
) -> None:
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


def _edgeone_page(ctx: _Context) -> _Finding:
    """EdgeOne answered with its own page (block page, captcha, error page) and a status of the
    customer's choice."""
    edge, say = ctx.edge, ctx.say
    producer = ctx.producer
    assert producer is not None  # the caller checked
    code = status(edge)
    names = {m.name for m in producer.marks}
    # A block or a challenge with a status of the customer's choice: the custom-rule entry
    # (custom rules, rate limiting, bot management, which carry these actions) says what to do.
    blocked = names & {"edgeone-block-page", "edgeone-captcha"}
    entry = entry_for_code(ctx.kb, 567 if blocked else code) if blocked or code >= 400 else None
    if "edgeone-captcha" in names:
        what = say._(
            "a challenge rule asks for a captcha, which scripts and API clients cannot pass"
        )
    elif "edgeone-block-page" in names:
        what = say._(
            "a Web Protection rule (managed, custom, rate limiting or bot management) blocked the"
            " request, with the status the rule is set to send"
        )
    else:
        what = say._("EdgeOne answered with its own error page")
    lead = say._(
        "EdgeOne answered {status} with its own page ({marks}): {what}.",
        status=code,
        marks=marks_words(producer, say, limit=2),
        what=what,
    )
    return _Finding(
        code=code if code >= 400 else None,
        entry=entry,
        fault="edge",
        summary=say.titled(title(entry, code, say), lead) if entry and not blocked else lead,
        evidence=[answer_line(edge, "EdgeOne", say), *marker_lines(edge, say)],
        steps=[
            say._(
                "Find the request in EdgeOne's security logs by its EO-LOG-UUID and time, then"
                " add an exception or change the rule"
            )
        ],
    )


def _pages_error(ctx: _Context, entry: Entry) -> _Finding:
    edge, say = ctx.edge, ctx.say
    name = edge.http.error_name or ""
    return _Finding(
        code=status(edge),
        entry=entry,
        fault=_pages_fault(name, status(edge)),
        summary=say.titled(title(entry, status(edge), say), summary_of(entry, say)),
        evidence=[
            answer_line(edge, _who(ctx), say),
            say._("Pages error name {name} in the body", name=name),
            *marker_lines(edge, say),
        ],
    )


def _pages_fault(name: str, code: int = 0) -> Fault:
    """Pages error names: the customer's function errors vs the platform's own states."""
    if name.endswith("_LIMIT_EXCEEDED") or code in _PAGES_ACCOUNT_CODES:
        return "account"  # the request rate or the plan's invocation quota
    if name == "UNAUTHORIZED":
        return "client"  # an expired preview link
    if name in _PAGES_PLATFORM_STATES or name.startswith("INTERNAL_"):
        return "edge"
    if name.endswith("_PAYLOAD_TOO_LARGE") and "RESPONSE" not in name:
        return "client"  # the request sent to the function is too large
    if "FUNCTION" in name:
        return "origin"  # the customer's function code plays the origin's part
    return "edge"


def _origin_pull_failed(ctx: _Context) -> _Finding:
    """EdgeOne answered 520-525 / 550-555: its pull from the origin failed."""
    edge, origin, say = ctx.edge, ctx.report.origin, ctx.say
    code = status(edge)
    entry = entry_for_code(ctx.kb, code)
    finding = _Finding(
        code=code,
        entry=entry,
        fault=_PULL_DEFAULT_FAULT[pair(code)],
        summary=say._("{title}.", title=title(entry, code, say)),
        evidence=[answer_line(edge, _who(ctx), say), *marker_lines(edge, say)],
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
        finding.steps.append(say._(_RERUN_WITH_ORIGIN))
        return finding
    _compare_origin_on_pull_failure(finding, ctx, origin, code)
    return finding


def _note_pull_limit(finding: _Finding, ctx: _Context) -> None:
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


def _rule_seconds(ctx: _Context) -> float | None:
    rule = ctx.facts.pull_timeout(ctx.edge.host)
    return rule.seconds if rule is not None else None


def _compare_origin_on_pull_failure(
    finding: _Finding, ctx: _Context, origin: ProbeResult, code: int
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


def _not_configured(ctx: _Context) -> _Finding:
    edge, say = ctx.edge, ctx.say
    entry = entry_for_code(ctx.kb, 418)
    evidence = [
        answer_line(edge, _who(ctx), say),
        *marker_lines(edge, say),
        *cname_lines(edge, say),
    ]
    if edge.dns.status == "skipped" and is_ip(edge.host):
        evidence.append(
            say._("the URL names an IP address ({host}), not a configured domain", host=edge.host)
        )
    return _Finding(
        code=418,
        entry=entry,
        fault="edge",
        summary=say.titled(title(entry, 418, say), summary_of(entry, say)),
        evidence=evidence,
    )


def _loop(ctx: _Context) -> _Finding:
    edge, say = ctx.edge, ctx.say
    pages = server(edge) == PAGES_SERVER
    entry = entry_for_code(ctx.kb, 423, Product.PAGES if pages else Product.SITE_ACCELERATION)
    evidence = [answer_line(edge, _who(ctx), say), *marker_lines(edge, say)]
    if pages:
        evidence.append(f"Server: {PAGES_SERVER} (EdgeOne Pages)")
    if loop := edge.http.headers.get("cdn-loop"):
        evidence.append(f"CDN-Loop: {loop}")
    finding = _Finding(
        code=423,
        entry=entry,
        fault="edge",
        summary=say.titled(title(entry, 423, say), summary_of(entry, say)),
        evidence=evidence,
    )
    finding.evidence += compare.context_lines(ctx.report.origin, say)
    return finding


def _security(ctx: _Context) -> _Finding:
    edge, say = ctx.edge, ctx.say
    code = status(edge)
    entry = entry_for_code(ctx.kb, code)
    return _Finding(
        code=code,
        entry=entry,
        fault="edge",
        summary=say.titled(title(entry, code, say), summary_of(entry, say)),
        evidence=[answer_line(edge, _who(ctx), say), *marker_lines(edge, say)],
    )


def _function_error(ctx: _Context) -> _Finding:
    edge, say = ctx.edge, ctx.say
    entry = ctx.kb.get(_EDGE_FUNCTION_ENTRY) or entry_for_code(
        ctx.kb, _EDGE_FUNCTION_ERROR, Product.EDGE_FUNCTIONS
    )
    return _Finding(
        code=_EDGE_FUNCTION_ERROR,
        entry=entry,
        fault="origin",  # the customer's function code, not EdgeOne's platform
        summary=say.titled(title(entry, _EDGE_FUNCTION_ERROR, say), summary_of(entry, say)),
        evidence=[answer_line(edge, _who(ctx), say), *marker_lines(edge, say)],
    )


def _healthy(ctx: _Context) -> _Finding:
    edge, origin, say = ctx.edge, ctx.report.origin, ctx.say
    code = status(edge)
    who = _who(ctx)
    if 300 <= code < 400:
        where = edge.http.headers.get("location")
        if where:
            summary = say._(
                "{who} answers with a redirect: {status} to {location}.",
                who=who,
                status=code,
                location=quote(where),
            )
        else:
            summary = say._("{who} answers with a redirect: {status}.", who=who, status=code)
    else:
        summary = say._(
            "{who} answers normally: {status} in {time}.",
            who=who,
            status=code,
            time=say.ms(edge.http.ttfb_ms),
        )
    finding = _Finding(
        code=None,
        entry=None,
        fault="none",
        summary=summary,
        evidence=[answer_line(edge, who, say), *marker_lines(edge, say)],
        healthy=True,
    )
    if cache := edge.http.headers.get("eo-cache-status"):
        finding.evidence.append(f"EO-Cache-Status: {cache}")
    found = failure(origin, say) if origin is not None else None
    if found is not None:
        # The edge can keep serving cached content while the origin is down.
        finding.evidence.append(say._("origin: {line}", line=found.evidence))
        finding.evidence.append(
            say._(
                "the origin probe fails (EdgeOne's {code} pattern) while the edge answers: the"
                " cache may be hiding an origin failure",
                code=found.code,
            )
        )
    return finding


def _passthrough(ctx: _Context) -> _Finding:
    """Any other 4xx/5xx: the origin's own status passed through, or the node's own answer."""
    edge, origin, say, kb = ctx.edge, ctx.report.origin, ctx.say, ctx.kb
    code = status(edge)
    evidence = [answer_line(edge, _who(ctx), say), *marker_lines(edge, say)]
    if origin is not None:
        return _passthrough_with_origin(ctx, origin, evidence)
    if not has_edge_markers(edge):
        entry = origin_entry(kb, code)
        return _Finding(
            code=code,
            entry=entry,
            fault="origin",
            summary=say._(
                "{title}. {host} shows no EdgeOne markers, so the status comes from the server"
                " itself.",
                title=title(entry, code, say),
                host=edge.host,
            ),
            evidence=[*evidence, no_markers_line(say)],
        )
    found_pages = pages_entry(kb, edge, code)
    entry = found_pages or (
        origin_entry(kb, code) if code in _PASSTHROUGH_5XX else entry_for_code(kb, code)
    )
    fault = _NO_ORIGIN_FAULT.get(code) or _fault_from_entry(entry, code)
    if server(edge) == PAGES_SERVER and code in _PAGES_ACCOUNT_CODES:
        fault = "account"
    summary = say.titled(title(entry, code, say), summary_of(entry, say))
    steps = []
    if found_pages is None:
        summary = say.then(summary, say._("A probe of the origin would confirm who produced it."))
        steps.append(say._(_RERUN_WITH_ORIGIN))
    return _Finding(code, entry, fault, summary, evidence, steps)


def _fault_from_entry(entry: Entry | None, code: int) -> Fault:
    if entry is not None and entry.name:
        return _pages_fault(entry.name, code if entry.product is Product.PAGES else 0)
    if entry is not None and entry.product is Product.PAGES and code in _PAGES_ACCOUNT_CODES:
        return "account"
    if entry is not None and entry.answered_by.value in ("origin", "edge"):
        return "origin" if entry.answered_by.value == "origin" else "edge"
    return "origin" if code >= 500 else "client"


def _passthrough_with_origin(ctx: _Context, origin: ProbeResult, evidence: list[str]) -> _Finding:
    say, kb = ctx.say, ctx.kb
    code = status(ctx.edge)
    if not answered(origin):
        found = failure(origin, say)
        entry = origin_entry(kb, code)
        what = found.what if found else say._("it gives no answer")
        line = say._("origin: {line}", line=found.evidence) if found else say._("origin: no answer")
        finding = _Finding(
            code,
            entry,
            found.fault if found else "origin",
            say._(
                "{title}. Hit directly, the origin fails: {what}.",
                title=title(entry, code, say),
                what=what,
            ),
            [*evidence, line],
        )
        finding.weigh("origin", "sharpens", line)
        return finding
    evidence += compare.answer_lines(origin, say)
    if status(origin) == code:
        entry = origin_entry(kb, code)
        finding = _Finding(
            code,
            entry,
            "origin",
            say._(
                "{title}. The origin answers {status} itself when hit directly, so EdgeOne is"
                " passing the origin's own status through.",
                title=title(entry, code, say),
                status=code,
            ),
            evidence,
        )
        finding.weigh(
            "origin",
            "confirms",
            say._("hit directly, the origin answers {status} too", status=code),
        )
        return finding
    entry = entry_for_code(kb, code)
    finding = _Finding(
        code,
        entry,
        "edge",
        say._(
            "{title}. The origin answers {origin_status} when hit directly, so the EdgeOne node"
            " produced the {status} itself (a rule or configuration on EdgeOne).",
            title=title(entry, code, say),
            origin_status=status(origin),
            status=code,
        ),
        evidence,
    )
    finding.weigh(
        "origin",
        "sharpens",
        say._(
            "hit directly, the origin answers {origin_status}, not {status}",
            origin_status=status(origin),
            status=code,
        ),
    )
    return finding


# ---------------------------------------------------------------- stated code


def _with_stated_code(finding: _Finding, ctx: _Context, stated: int) -> _Finding:
    edge, say = ctx.edge, ctx.say
    if finding.healthy:
        hint = Product.PAGES if server(edge) == PAGES_SERVER else Product.SITE_ACCELERATION
        entry = entry_for_code(ctx.kb, stated, hint, other_products=True)
        steps = [say._("If the {code} comes back, probe again while it is happening", code=stated)]
        if pair(stated) in _PULL_DEFAULT_FAULT and ctx.report.origin is None:
            steps.append(say._(_RERUN_WITH_ORIGIN))
        # Said plainly, without the outage steps of a code that did not happen here.
        return _Finding(
            code=None,
            entry=entry,
            fault="none",
            summary=say._(
                "{who} answers now ({status}); the {stated} you reported is not reproduced by this"
                " probe. About {stated}: {title}.",
                who=_who(ctx),
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


# ---------------------------------------------------------------- EdgeOne's API


def _weigh_edgeone(finding: _Finding, ctx: _Context) -> None:
    """What EdgeOne's own facts do to the verdict the probe gave."""
    if not ctx.facts.facts:
        return
    _weigh_node(finding, ctx)
    _weigh_domain(finding, ctx)
    _weigh_pull_timeout(finding, ctx)
    _weigh_origin_config(finding, ctx)
    _weigh_protection(finding, ctx)
    _weigh_record(finding, ctx)


def _weigh_node(finding: _Finding, ctx: _Context) -> None:
    node = ctx.facts.node(ctx.edge.connect.ip)
    if node is None or any(w.source == "edgeone" for w in finding.weighed):
        return  # already weighed where it changed the reading (a failed probe of a node)
    say, words = ctx.say, fact_words(node, ctx.say)
    marked = has_edge_markers(ctx.edge)
    if node.is_edgeone:
        effect: Effect = "confirms" if marked else "sharpens"
        finding.weigh("edgeone", effect, words)
        return
    if not marked:
        finding.weigh("edgeone", "confirms", words)
        return
    finding.node_refuted = True
    reason = say._(
        "{fact}: something else answers for {host} (stale DNS, another CDN or a proxy in front"
        " of EdgeOne)",
        fact=words,
        host=ctx.edge.host,
    )
    finding.evidence.append(reason)
    finding.weigh("edgeone", "refutes", reason)
    if finding.code is None and finding.fault in ("edge", "network"):
        finding.fault = "dns"  # the name leads to an address EdgeOne does not own


def _weigh_domain(finding: _Finding, ctx: _Context) -> None:
    domain = ctx.facts.domain(ctx.edge.host)
    if domain is None:
        return
    say, words = ctx.say, fact_words(domain, ctx.say)
    not_served = domain.status in (None, "offline", "forbidden", "init", "process")
    misdirected = domain.cname_status in ("moved", "invalid")
    if finding.code == 418:
        if not_served or misdirected:
            finding.weigh("edgeone", "confirms", words)
        else:
            reason = say._(
                "{fact}: the configuration is in place, so the node that answered may hold an old"
                " one; send EdgeOne support the EO-LOG-UUID",
                fact=words,
            )
            finding.weigh("edgeone", "refutes", reason)
            finding.steps.insert(0, reason)
        return
    if misdirected:
        reason = say._(
            "{fact}: {host} does not point at the CNAME EdgeOne assigned ({cname})",
            fact=words,
            host=ctx.edge.host,
            cname=domain.cname or "?",
        )
        finding.evidence.append(reason)
        finding.weigh("edgeone", "sharpens", reason)


def _weigh_pull_timeout(finding: _Finding, ctx: _Context) -> None:
    rule = ctx.facts.pull_timeout(ctx.edge.host)
    if rule is None or finding.code is None or pair(finding.code) != 524:
        return
    say = ctx.say
    observed = compare.pull_limit(ctx.edge)
    words = fact_words(rule, say)
    if observed.source == "observed" and abs(observed.ms - rule.seconds * 1000) <= max(
        1000.0, rule.seconds * 100
    ):
        finding.weigh(
            "edgeone",
            "confirms",
            say._("{fact}, which is how long EdgeOne waited", fact=words),
        )
        return
    reason = say._("{fact}; this 524 came after {waited}", fact=words, waited=say.ms(observed.ms))
    finding.evidence.append(reason)
    finding.weigh("edgeone", "sharpens", reason)


def _weigh_origin_config(finding: _Finding, ctx: _Context) -> None:
    config = ctx.facts.origin(ctx.edge.host)
    if config is None:
        return
    say, edge, origin = ctx.say, ctx.edge, ctx.report.origin
    scheme = origin_scheme(config, edge.scheme).upper()
    port = origin_port(config, edge.scheme)
    target = f"{config.origin}:{port}"
    if origin is not None and config.origin not in (origin.target, origin.connect.ip):
        reason = say._(
            "EdgeOne pulls from {target} over {scheme}, not from {probed}: the origin probe tested"
            " another server",
            target=target,
            scheme=scheme,
            probed=addr(origin),
        )
        finding.weigh("edgeone", "refutes", reason)
        finding.evidence.append(reason)
        finding.steps.insert(
            0, say._("Probe again with the origin EdgeOne uses: --origin {target}", target=target)
        )
        return
    if origin is not None and origin.port != port:
        reason = say._(
            "EdgeOne pulls on port {port} over {scheme}; the origin probe used port {probed}",
            port=port,
            scheme=scheme,
            probed=origin.port,
        )
        finding.weigh("edgeone", "sharpens", reason)
        finding.evidence.append(reason)
        return
    if origin is None and finding.code is not None and pair(finding.code) in _PULL_DEFAULT_FAULT:
        finding.steps.insert(
            0, say._("Probe again with the origin EdgeOne uses: --origin {target}", target=target)
        )
        finding.weigh("edgeone", "sharpens", fact_words(config, say))
    if config.host_header and finding.fault == "network":
        reason = say._(
            "EdgeOne sends Host: {host} to the origin; test the origin with that Host",
            host=config.host_header,
        )
        finding.weigh("edgeone", "sharpens", reason)
        finding.evidence.append(reason)


def _weigh_protection(finding: _Finding, ctx: _Context) -> None:
    protection = ctx.facts.protection()
    pull = finding.code is not None and pair(finding.code) in (520, 521, 522, 524)
    if protection is None or not protection.enabled or not (finding.fault == "network" or pull):
        return
    say = ctx.say
    reason = say._(
        "{fact}: the origin's firewall must let in EdgeOne's current origin-pull ranges, or its"
        " connections are refused or dropped",
        fact=fact_words(protection, say),
    )
    finding.weigh("edgeone", "sharpens", reason)
    finding.evidence.append(reason)
    if protection.next_change:
        finding.steps.append(
            say._(
                "Update the origin's allow-list before the ranges change on {date}",
                date=protection.next_change,
            )
        )


def _weigh_record(finding: _Finding, ctx: _Context) -> None:
    record = ctx.facts.record(eo_log_uuid(ctx.edge))
    if record is None:
        return
    say, words = ctx.say, fact_words(record, ctx.say)
    if record.origin_ms is not None:
        words = say._("{fact} after {time}", fact=words, time=say.ms(record.origin_ms))
    finding.evidence.append(words)
    code = record.status
    if record.origin_status is None:
        effect: Effect = "confirms" if pair(code) in _PULL_DEFAULT_FAULT else "sharpens"
        finding.weigh("edgeone", effect, words)
        return
    if record.origin_status == code and code >= 400:
        if finding.fault in ("origin", "client"):
            finding.weigh("edgeone", "confirms", words)
            return
        finding.fault = "client" if code in _REQUEST_4XX | _AUTH_4XX else "origin"
        finding.weigh(
            "edgeone",
            "refutes",
            say._("{fact}: EdgeOne relayed the origin's own {status}", fact=words, status=code),
        )
        return
    if code >= 400 and record.origin_status != code:
        if finding.fault == "edge":
            finding.weigh("edgeone", "confirms", words)
            return
        if finding.fault in ("origin", "client") and pair(code) not in _PULL_DEFAULT_FAULT:
            finding.fault = "edge"
            finding.weigh(
                "edgeone",
                "refutes",
                say._(
                    "{fact}: the {status} is EdgeOne's own, not the origin's",
                    fact=words,
                    status=code,
                ),
            )
            return
    finding.weigh("edgeone", "sharpens", words)


# ---------------------------------------------------------------- small helpers


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))
