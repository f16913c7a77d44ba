"""An answer came back: who produced it first, then its status (EdgeOne's own codes, Pages
error names, statuses passed through, healthy answers)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import SplitResult, urljoin, urlsplit

from bot.diagnosis import origin as compare
from bot.diagnosis.knowledge import (
    entry_by_name,
    entry_for_code,
    origin_entry,
    pages_entry,
    summary_of,
    title,
)
from bot.diagnosis.model import Fault
from bot.diagnosis.probe import (
    PAGES_SERVER,
    answer_line,
    answered,
    cname_lines,
    edge_cert_lines,
    failure,
    has_edge_markers,
    is_ip,
    marker_lines,
    no_markers_line,
    pair,
    server,
    status,
)
from bot.diagnosis.producer import EDGEONE_CODES, marks_words, producer_name
from bot.diagnosis.say import quote
from bot.diagnosis.verdict.finding import (
    PULL_DEFAULT_FAULT,
    RERUN_WITH_ORIGIN,
    Context,
    Finding,
    by_page,
    producer_line,
    who_answered,
)
from bot.diagnosis.verdict.producers import origin_produced, provider_answer
from bot.diagnosis.verdict.pull import origin_pull_failed
from bot.knowledge.models import Entry, Product
from bot.probe.models import ProbeResult

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


def edge_answered(ctx: Context) -> Finding:
    edge, say, producer = ctx.edge, ctx.say, ctx.producer
    code = status(edge)
    kind = producer.kind if producer is not None else "unknown"
    name = edge.http.error_name
    if kind == "provider" and code >= 400:
        finding = provider_answer(ctx)
    elif kind == "origin" and code >= 400:
        finding = origin_produced(ctx)
    elif kind == "edgeone" and by_page(producer) and pair(code) not in EDGEONE_CODES:
        finding = _edgeone_page(ctx)
    else:
        named = entry_by_name(ctx.kb, name) if name else None
        if named is not None:
            finding = _pages_error(ctx, named)
        elif pair(code) in PULL_DEFAULT_FAULT:
            finding = origin_pull_failed(ctx)
        else:
            finding = _by_status(code)(ctx)
        if name and named is None:
            finding.evidence.append(
                say._("error name {name} in the body (not in the knowledge base)", name=name)
            )
    if producer is not None and producer.kind != "unknown" and (code >= 400 or by_page(producer)):
        finding.evidence.append(producer_line(producer, say))
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


def _by_status(code: int) -> Callable[[Context], Finding]:
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


def _edgeone_page(ctx: Context) -> Finding:
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
    return Finding(
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


def _pages_error(ctx: Context, entry: Entry) -> Finding:
    edge, say = ctx.edge, ctx.say
    name = edge.http.error_name or ""
    return Finding(
        code=status(edge),
        entry=entry,
        fault=_pages_fault(name, status(edge)),
        summary=say.titled(title(entry, status(edge), say), summary_of(entry, say)),
        evidence=[
            answer_line(edge, who_answered(ctx), say),
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


def _not_configured(ctx: Context) -> Finding:
    edge, say = ctx.edge, ctx.say
    entry = entry_for_code(ctx.kb, 418)
    evidence = [
        answer_line(edge, who_answered(ctx), say),
        *marker_lines(edge, say),
        *cname_lines(edge, say),
    ]
    if edge.dns.status == "skipped" and is_ip(edge.host):
        evidence.append(
            say._("the URL names an IP address ({host}), not a configured domain", host=edge.host)
        )
    return Finding(
        code=418,
        entry=entry,
        fault="edge",
        summary=say.titled(title(entry, 418, say), summary_of(entry, say)),
        evidence=evidence,
    )


def _loop(ctx: Context) -> Finding:
    edge, say = ctx.edge, ctx.say
    pages = server(edge) == PAGES_SERVER
    entry = entry_for_code(ctx.kb, 423, Product.PAGES if pages else Product.SITE_ACCELERATION)
    evidence = [answer_line(edge, who_answered(ctx), say), *marker_lines(edge, say)]
    if pages:
        evidence.append(f"Server: {PAGES_SERVER} (EdgeOne Pages)")
    if loop := edge.http.headers.get("cdn-loop"):
        evidence.append(f"CDN-Loop: {loop}")
    finding = Finding(
        code=423,
        entry=entry,
        fault="edge",
        summary=say.titled(title(entry, 423, say), summary_of(entry, say)),
        evidence=evidence,
    )
    finding.evidence += compare.context_lines(ctx.report.origin, say)
    return finding


def _security(ctx: Context) -> Finding:
    edge, say = ctx.edge, ctx.say
    code = status(edge)
    entry = entry_for_code(ctx.kb, code)
    return Finding(
        code=code,
        entry=entry,
        fault="edge",
        summary=say.titled(title(entry, code, say), summary_of(entry, say)),
        evidence=[answer_line(edge, who_answered(ctx), say), *marker_lines(edge, say)],
    )


def _function_error(ctx: Context) -> Finding:
    edge, say = ctx.edge, ctx.say
    entry = ctx.kb.get(_EDGE_FUNCTION_ENTRY) or entry_for_code(
        ctx.kb, _EDGE_FUNCTION_ERROR, Product.EDGE_FUNCTIONS
    )
    return Finding(
        code=_EDGE_FUNCTION_ERROR,
        entry=entry,
        fault="origin",  # the customer's function code, not EdgeOne's platform
        summary=say.titled(title(entry, _EDGE_FUNCTION_ERROR, say), summary_of(entry, say)),
        evidence=[answer_line(edge, who_answered(ctx), say), *marker_lines(edge, say)],
    )


_REDIRECT_LOOP_ENTRY = "sa-redirect-loop"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def redirects_to_itself(url: str, location: str) -> bool:
    """Whether ``location`` (absolute or relative to ``url``) names ``url`` again.

    Scheme and host compare without case, a default port equals no port, an empty path is ``/``,
    the fragment is ignored (it never reaches the server). A redirect back to the same URL is a
    loop whatever the origin meant: the browser asks the same question and gets the same answer.
    """
    try:
        asked = _comparable(urlsplit(url))
        target = _comparable(urlsplit(urljoin(url, location.strip())))
    except ValueError:  # a malformed Location or port: not provably the same URL
        return False
    return asked is not None and asked == target


def _comparable(parts: SplitResult) -> tuple[str, str, int | None, str, str] | None:
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    port = parts.port or _DEFAULT_PORTS[scheme]
    return scheme, host, port, parts.path or "/", parts.query


def _web_target(url: str, location: str) -> str | None:
    """The absolute http(s) URL a Location leads to, or None (another scheme, malformed)."""
    try:
        target = urljoin(url, location.strip())
        parts = urlsplit(target)
        parts.port  # noqa: B018 - raises ValueError for a port that is not one
    except ValueError:
        return None
    return target if parts.scheme.lower() in _DEFAULT_PORTS and parts.hostname else None


def _redirect_loop(ctx: Context, where: str) -> Finding:
    edge, say = ctx.edge, ctx.say
    code = status(edge)
    entry = ctx.kb.get(_REDIRECT_LOOP_ENTRY) or entry_for_code(ctx.kb, code)
    finding = Finding(
        code=code,
        entry=entry,
        # Through EdgeOne the usual cause is a pair of settings that disagree (EdgeOne pulling
        # over HTTP, the origin forcing HTTPS): the one to change is most often EdgeOne's origin
        # protocol. Without EdgeOne in the path the server loops on its own.
        fault="edge" if ctx.marked() else "origin",
        summary=say._(
            "{who} redirects the request to the very URL that was asked for ({status} to"
            " {location}): a browser follows it until it gives up with too many redirects.",
            who=who_answered(ctx),
            status=code,
            location=quote(where),
        ),
        evidence=[
            answer_line(edge, who_answered(ctx), say),
            f"Location: {quote(where)}",
            *marker_lines(edge, say),
        ],
    )
    finding.evidence += compare.context_lines(ctx.report.origin, say)
    return finding


def _healthy(ctx: Context) -> Finding:
    edge, origin, say = ctx.edge, ctx.report.origin, ctx.say
    code = status(edge)
    who = who_answered(ctx)
    location = edge.http.headers.get("location", "")
    steps: list[str] = []
    if 300 <= code < 400 and location and redirects_to_itself(edge.url, location):
        return _redirect_loop(ctx, location)
    if 300 <= code < 400:
        if location:
            summary = say._(
                "{who} answers with a redirect: {status} to {location}.",
                who=who,
                status=code,
                location=quote(location),
            )
            if (target := _web_target(edge.url, location)) is not None:
                # The probe never follows a redirect (it could lead anywhere); a loop through two
                # URLs (http and https, www and the bare name) shows only from the next one.
                steps.append(
                    say._(
                        "The probe does not follow redirects: probe {location} to see where it"
                        " leads; if browsers say there are too many redirects, a redirect from"
                        " there back to this URL is the loop.",
                        location=quote(target),
                    )
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
    finding = Finding(
        code=None,
        entry=None,
        fault="none",
        summary=summary,
        evidence=[answer_line(edge, who, say), *marker_lines(edge, say)],
        steps=steps,
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


def _passthrough(ctx: Context) -> Finding:
    """Any other 4xx/5xx: the origin's own status passed through, or the node's own answer."""
    edge, origin, say, kb = ctx.edge, ctx.report.origin, ctx.say, ctx.kb
    code = status(edge)
    evidence = [answer_line(edge, who_answered(ctx), say), *marker_lines(edge, say)]
    if origin is not None:
        return _passthrough_with_origin(ctx, origin, evidence)
    if not has_edge_markers(edge):
        entry = origin_entry(kb, code)
        return Finding(
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
        steps.append(say._(RERUN_WITH_ORIGIN))
    return Finding(code, entry, fault, summary, evidence, steps)


def _fault_from_entry(entry: Entry | None, code: int) -> Fault:
    if entry is not None and entry.name:
        return _pages_fault(entry.name, code if entry.product is Product.PAGES else 0)
    if entry is not None and entry.product is Product.PAGES and code in _PAGES_ACCOUNT_CODES:
        return "account"
    if entry is not None and entry.answered_by.value in ("origin", "edge"):
        return "origin" if entry.answered_by.value == "origin" else "edge"
    return "origin" if code >= 500 else "client"


def _passthrough_with_origin(ctx: Context, origin: ProbeResult, evidence: list[str]) -> Finding:
    say, kb = ctx.say, ctx.kb
    code = status(ctx.edge)
    if not answered(origin):
        found = failure(origin, say)
        entry = origin_entry(kb, code)
        what = found.what if found else say._("it gives no answer")
        line = say._("origin: {line}", line=found.evidence) if found else say._("origin: no answer")
        finding = Finding(
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
        finding = Finding(
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
    finding = Finding(
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
