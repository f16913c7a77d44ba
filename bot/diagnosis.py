"""Read a probe report as an EdgeOne status code and the side at fault.

Only the probe-specific reasoning lives here: which phase failed, which status came back, whether
the answer carries EdgeOne's markers and what the origin did when hit directly. What a code means
and how to fix it belongs to the knowledge base, so titles, summaries, checks and fixes are read
from the entry (``kb_id``) and never restated in this module.

The mapping of observations to codes follows EdgeOne's origin-pull codes: a probe of a target that
shows no EdgeOne markers is read as a probe of the origin, and its failure names the code an
EdgeOne node would answer when pulling from it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import urlsplit

from bot.knowledge.loader import KnowledgeBase
from bot.knowledge.models import Entry, Product
from bot.probe.commands import CHECKS, fill
from bot.probe.models import ProbeReport, ProbeResult

Fault = Literal["origin", "edge", "network", "dns", "client", "none"]

# EdgeOne's default origin-pull HTTP response timeout: an origin slower than this gets a 524.
ORIGIN_TIMEOUT_MS = 15_000.0
# Most KB items added to the next steps after the probe-specific ones.
MAX_KB_STEPS = 3

_EDGE_SERVERS = frozenset({"tencentedgeone", "edgeone-pages"})
_PAGES_SERVER = "edgeone-pages"
_RERUN_WITH_ORIGIN = (
    "Re-run the probe with the origin address (--origin IP, or origin=IP in Slack) to test the"
    " origin directly"
)

# Which side a failure of each phase points at when the failing target is the origin.
_CONNECT_FAILURES: dict[str, tuple[int, Fault, str]] = {
    "refused": (521, "origin", "the TCP connection is refused"),
    # No SYN-ACK at all: packets are dropped on the way (firewall, security group, host down).
    "timeout": (522, "network", "the TCP connect times out"),
    "unreachable": (522, "network", "the address is unreachable"),
    # An unclassified connect error: closest to "no connection could be made".
    "error": (522, "network", "the TCP connect fails"),
}
_HTTP_FAILURES: dict[str, tuple[int, Fault, str]] = {
    "reset": (520, "origin", "the connection is reset after the request"),
    "closed": (520, "origin", "the connection is closed after the request with no response"),
    "timeout": (524, "origin", "no response arrives before the read timeout"),
    "error": (520, "origin", "no valid HTTP response comes back"),
}
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
_DNS_WORDS = {
    "nxdomain": "NXDOMAIN (no such name)",
    "servfail": "SERVFAIL",
    "timeout": "no answer from the resolver (timeout)",
    "no_answer": "no address record (NODATA)",
    "cname_loop": "the CNAME chain loops back on itself",
    "cname_too_long": "the CNAME chain is too long to follow",
}
# The same outcomes as a clause: "its name does not resolve (...)".
_DNS_WHAT = {
    "nxdomain": "NXDOMAIN",
    "servfail": "SERVFAIL",
    "timeout": "the resolver does not answer",
    "no_answer": "no address record",
    "cname_loop": "a CNAME loop",
    "cname_too_long": "a CNAME chain too long to follow",
}
_VERIFY_WORDS = {
    "expired": "expired",
    "not_yet_valid": "not yet valid",
    "hostname_mismatch": "hostname mismatch",
    "untrusted": "untrusted issuer",
    "other": "verification failed",
}
# Pages platform states that are EdgeOne's own (the project is not served), by error name.
_PAGES_PLATFORM_STATES = frozenset({"DEPLOYING", "FAILED", "NOT_FOUND", "DELETED", "UNAVAILABLE"})
_PAGES_CLIENT_STATES = frozenset({"UNAUTHORIZED", "RATE_LIMIT_EXCEEDED"})

# The longest value quoted from the server in a sentence (a Location can be kilobytes long).
MAX_QUOTED = 200


@dataclass(frozen=True, slots=True)
class SupportBundle:
    """What EdgeOne support asks for when escalating a failing request."""

    eo_log_uuid: str | None  # EdgeOne's numeric request id; never another value of that header
    edge_ip: str | None  # only an address that answered as EdgeOne
    time_utc: str
    url: str
    status_code: int | None
    address: str | None = None  # the address probed, whoever answered there


@dataclass(frozen=True, slots=True)
class Diagnosis:
    code: int | None  # the EdgeOne code this observation corresponds to
    product: Product | None
    kb_id: str | None  # knowledge entry id
    fault: Fault
    summary: str  # one or two sentences
    evidence: tuple[str, ...]
    next_steps: tuple[str, ...]
    support: SupportBundle
    stated_code: int | None = None  # the code the user said they saw
    reproduced: bool | None = None  # whether this probe saw it (None without a stated code)


@dataclass(frozen=True, slots=True)
class _Failure:
    """The first phase of one probe that did not succeed, read as an origin-pull failure."""

    phase: Literal["dns", "connect", "tls", "http"]
    status: str
    code: int
    fault: Fault
    what: str  # short clause for the summary
    evidence: str  # concrete line: address, time, error
    note: str | None = None


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


def diagnose(
    report: ProbeReport, kb: KnowledgeBase, *, stated_code: int | None = None
) -> Diagnosis:
    """Which EdgeOne code the probe observation corresponds to, and which side is at fault.

    ``stated_code`` is the code the user said they saw; when the probe is healthy now the
    diagnosis says so and points at the knowledge entry for that code instead.
    """
    finding = _observe(report, kb)
    reproduced: bool | None = None
    if stated_code is not None:
        finding = _with_stated_code(finding, report, kb, stated_code)
        reproduced = not finding.healthy
    finding.evidence += _dns_notes(report)
    entry = finding.entry
    kb_steps = _kb_steps(entry, _placeholder_values(report)) if finding.kb_steps else []
    steps = _dedupe([*finding.steps, *kb_steps])
    return Diagnosis(
        code=finding.code,
        product=entry.product if entry else None,
        kb_id=entry.id if entry else None,
        fault=finding.fault,
        summary=finding.summary,
        evidence=tuple(_dedupe(finding.evidence)),
        next_steps=tuple(steps),
        support=_support(report),
        stated_code=stated_code,
        reproduced=reproduced,
    )


# ---------------------------------------------------------------- observations


def has_edge_markers(result: ProbeResult) -> bool:
    """True when the answer or the DNS shows the target is an EdgeOne node."""
    return bool(_eo_log_uuid(result)) or _server(result) in _EDGE_SERVERS or result.dns.on_edgeone


def _observe(report: ProbeReport, kb: KnowledgeBase) -> _Finding:
    if not _answered(report.edge):
        return _edge_failed(report, kb)
    return _edge_answered(report, kb)


def _answered(result: ProbeResult) -> bool:
    return result.http.status == "ok" and result.http.status_code is not None


def _phase_failure(result: ProbeResult) -> _Failure | None:
    """The first failed phase, mapped to the code EdgeOne gives when pulling from this target."""
    dns = result.dns
    if dns.status not in ("ok", "skipped"):
        chain = f" (CNAME chain: {' → '.join(dns.cname_chain)})" if dns.cname_chain else ""
        words = dns.error if dns.status == "timeout" and dns.error else _DNS_WORDS[dns.status]
        evidence = f"DNS lookup of {result.target} failed: {words}{_after(dns.ms)}"
        return _Failure(
            "dns",
            dns.status,
            523,
            "dns",
            f"its name does not resolve ({_DNS_WHAT[dns.status]})",
            evidence + chain,
        )
    connect = result.connect
    if connect.status in _CONNECT_FAILURES:
        code, fault, what = _CONNECT_FAILURES[connect.status]
        return _Failure("connect", connect.status, code, fault, what, _connect_evidence(result))
    if result.tls.status not in ("ok", "skipped"):
        return _tls_failure(result)
    http = result.http
    if http.status in _HTTP_FAILURES:
        code, fault, what = _HTTP_FAILURES[http.status]
        return _Failure("http", http.status, code, fault, what, _http_evidence(result))
    return None


def _failure(result: ProbeResult) -> _Failure | None:
    """The first failed phase, noting when the probe's own deadline cut it short."""
    failure = _phase_failure(result)
    if failure is not None and result.deadline_hit and "deadline" not in failure.evidence:
        return replace(failure, evidence=failure.evidence + " (the probe's deadline was reached)")
    return failure


def _connect_evidence(result: ProbeResult) -> str:
    connect, addr = result.connect, _addr(result)
    if connect.status == "refused":
        return f"TCP connect to {addr} refused{_after(connect.ms)}"
    if connect.status == "timeout":
        return f"TCP connect to {addr} timed out{_after(connect.ms)} (no SYN-ACK)" + _detail(
            connect.error
        )
    if connect.status == "unreachable":
        return f"TCP connect to {addr} failed: network unreachable" + _detail(connect.error)
    return f"TCP connect to {addr} failed" + _detail(connect.error)


def _tls_failure(result: ProbeResult) -> _Failure:
    tls, addr = result.tls, _addr(result)
    if tls.status == "cert_invalid":
        return _Failure(
            "tls",
            tls.status,
            525,
            "origin",
            f"its certificate is rejected ({_VERIFY_WORDS[tls.verify_error or 'other']})",
            _cert_evidence(result),
            # EdgeOne does not validate origin certificates unless told to.
            "EdgeOne only refuses an invalid origin certificate when origin certificate"
            " validation is switched on (it is off by default).",
        )
    if tls.status == "timeout":
        evidence = f"TLS handshake with {addr} timed out{_after(tls.ms)}" + _detail(tls.error)
    else:
        evidence = f"TLS handshake with {addr} failed" + _detail(tls.error)
    return _Failure("tls", tls.status, 525, "origin", "the TLS handshake fails", evidence)


def _cert_evidence(result: ProbeResult) -> str:
    tls, cert = result.tls, result.tls.cert
    line = (
        f"certificate from {_addr(result)} rejected: {_VERIFY_WORDS[tls.verify_error or 'other']}"
    )
    if cert is None:
        return line + _detail(tls.error)
    if tls.verify_error == "expired":
        return f"{line} (not after {cert.not_after:%Y-%m-%d})"
    if tls.verify_error == "hostname_mismatch":
        names = ", ".join(cert.sans[:4]) or cert.subject
        return f"{line} ({names} does not cover {result.host})"
    if tls.verify_error == "untrusted":
        return f"{line} (issuer {cert.issuer})"
    return line + _detail(tls.error)


def _http_evidence(result: ProbeResult) -> str:
    http, addr = result.http, _addr(result)
    if http.status == "reset":
        return f"{addr} reset the connection after the request was sent"
    if http.status == "closed":
        return f"{addr} closed the connection after the request without a response"
    if http.status == "timeout":
        waited = http.ttfb_ms if http.ttfb_ms is not None else result.timings.server_ms
        why = http.error or "no response before the read timeout"
        return f"HTTP request to {addr} got no response{_after(waited)}: {why}"
    return f"invalid HTTP response from {addr}" + _detail(http.error)


# ---------------------------------------------------------------- the edge did not answer


def _edge_failed(report: ProbeReport, kb: KnowledgeBase) -> _Finding:
    edge = report.edge
    failure = _failure(edge)
    if failure is None:
        return _incomplete(edge)
    if has_edge_markers(edge):
        return _edge_node_failed(edge, failure, kb)
    entry = _entry_for_code(kb, failure.code)
    finding = _Finding(
        code=failure.code,
        entry=entry,
        fault=failure.fault,
        summary=(
            f"{_title(entry, failure.code)}. {edge.host} shows no EdgeOne markers, so this is read"
            f" as a probe of the origin: {failure.what}, which EdgeOne reports as"
            f" {failure.code} when pulling from it."
        ),
        evidence=[failure.evidence, _no_markers_line()],
    )
    if failure.note:
        finding.summary += " " + failure.note
    _add_origin_context(finding, report)
    return finding


def _edge_node_failed(edge: ProbeResult, failure: _Failure, kb: KnowledgeBase) -> _Finding:
    """The hostname leads to EdgeOne but the node itself did not answer: no origin-pull code."""
    evidence = [failure.evidence, *_cname_lines(edge)]
    if (
        failure.phase == "tls"
        and edge.tls.verify_error == "hostname_mismatch"
        and edge.dns.on_edgeone
    ):
        # A node with no configuration for the host presents a certificate for other names:
        # the field-observed sign of a 418 (the probe stopped before the status).
        entry = _entry_for_code(kb, 418)
        return _Finding(
            code=418,
            entry=entry,
            fault="edge",
            summary=(
                f"Likely {_title(entry, 418)}: {edge.host} points at EdgeOne but the node presents"
                " a certificate for other names."
            ),
            evidence=evidence,
        )
    fault: Fault = "dns" if failure.phase == "dns" else "edge"
    if failure.phase == "connect" and failure.status in ("timeout", "unreachable"):
        fault = "network"
    return _Finding(
        code=None,
        entry=None,
        fault=fault,
        summary=(
            f"The EdgeOne node for {edge.host} did not answer from here: {failure.what}. The"
            " request never reached origin pull, so no EdgeOne status code applies."
        ),
        evidence=evidence,
        steps=[
            "Probe again from another network to rule out the path from here",
            "If it persists, contact EdgeOne support with the address the name resolved to"
            f" ({_ip_or_unknown(edge)}) and the time of the probe",
        ],
    )


def _incomplete(edge: ProbeResult) -> _Finding:
    why = "the probe hit its overall deadline" if edge.deadline_hit else "no phase reported"
    return _Finding(
        code=None,
        entry=None,
        fault="none",
        summary=f"The probe of {edge.host} got no HTTP response ({why}); nothing to diagnose.",
        evidence=[f"{why}, after {_ms(edge.timings.total_ms)}"],
        steps=["Probe again; if the deadline keeps being hit, raise EO_PROBE_DEADLINE"],
    )


# ---------------------------------------------------------------- the edge answered


def _edge_answered(report: ProbeReport, kb: KnowledgeBase) -> _Finding:
    edge = report.edge
    name = edge.http.error_name
    named = _entry_by_name(kb, name) if name else None
    if named is not None:
        finding = _pages_error(report, named)
    elif _pair(_status(edge)) in _PULL_DEFAULT_FAULT:
        finding = _origin_pull_failed(report, kb)
    else:
        finding = _by_status(_status(edge))(report, kb)
    if name and named is None:
        finding.evidence.append(f"error name {name} in the body (not in the knowledge base)")
    finding.evidence += _edge_cert_lines(edge)
    return finding


def _by_status(status: int) -> Callable[[ProbeReport, KnowledgeBase], _Finding]:
    if status < 400:
        return _healthy
    if status == 418:
        return _not_configured
    if status == 423:
        return _loop
    if status in _SECURITY_CODES:
        return _security
    if status == _EDGE_FUNCTION_ERROR:
        return _function_error
    return _passthrough


def _pages_error(report: ProbeReport, entry: Entry) -> _Finding:
    edge = report.edge
    name = edge.http.error_name or ""
    return _Finding(
        code=_status(edge),
        entry=entry,
        fault=_pages_fault(name),
        summary=f"{_title(entry, _status(edge))}. {entry.summary}",
        evidence=[_answer_line(edge), f"Pages error name {name} in the body", *_marker_lines(edge)],
    )


def _pages_fault(name: str) -> Fault:
    """Pages error names: the customer's function errors vs the platform's own states."""
    if name in _PAGES_CLIENT_STATES or name.endswith("_LIMIT_EXCEEDED"):
        return "client"  # expired preview link, request rate or the plan's invocation quota
    if name in _PAGES_PLATFORM_STATES or name.startswith("INTERNAL_"):
        return "edge"
    if name.endswith("_PAYLOAD_TOO_LARGE") and "RESPONSE" not in name:
        return "client"  # the request sent to the function is too large
    if "FUNCTION" in name:
        return "origin"  # the customer's function code plays the origin's part
    return "edge"


def _origin_pull_failed(report: ProbeReport, kb: KnowledgeBase) -> _Finding:
    """EdgeOne answered 520-525 / 550-555: its pull from the origin failed."""
    edge, origin = report.edge, report.origin
    code = _status(edge)
    entry = _entry_for_code(kb, code)
    finding = _Finding(
        code=code,
        entry=entry,
        fault=_PULL_DEFAULT_FAULT[_pair(code)],
        summary=f"{_title(entry, code)}.",
        evidence=[_answer_line(edge), *_marker_lines(edge)],
    )
    if origin is None:
        finding.summary += (
            " EdgeOne produced this itself because pulling from the origin failed; without a"
            f" probe of the origin the usual culprit is the {_side_words(finding.fault)}."
        )
        if not has_edge_markers(edge):
            finding.summary += " The answer carries no EdgeOne markers: another proxy may use it."
        finding.steps.append(_RERUN_WITH_ORIGIN)
        return finding
    _compare_origin_on_pull_failure(finding, origin, code)
    return finding


def _compare_origin_on_pull_failure(finding: _Finding, origin: ProbeResult, code: int) -> None:
    failure = _failure(origin)
    cert_matters = _pair(code) == 525 and origin.tls.status == "cert_invalid"
    if failure is not None and (not _answered(origin) or cert_matters):
        finding.fault = failure.fault
        finding.evidence.append(f"origin: {failure.evidence}")
        if _pair(failure.code) == _pair(code):
            finding.summary += f" Hit directly, the origin fails the same way: {failure.what}."
        else:
            finding.evidence.append(
                f"the origin probe shows the {failure.code} pattern while EdgeOne reported {code}"
            )
            finding.summary += (
                f" Hit directly, the origin fails too ({failure.what}, EdgeOne's {failure.code}"
                f" pattern), so the {_side_words(failure.fault)} is at fault."
            )
        if failure.note:
            finding.summary += " " + failure.note
        return
    finding.evidence += _origin_answer_lines(origin)
    ttfb = origin.http.ttfb_ms
    if ttfb is not None and ttfb > ORIGIN_TIMEOUT_MS:
        finding.fault = "origin"
        finding.summary += (
            f" The origin took {_ms(ttfb)} to its first byte, over EdgeOne's default"
            f" {_ms(ORIGIN_TIMEOUT_MS)} origin-pull timeout."
        )
    elif _status(origin) < 500:
        finding.fault = "network"
        finding.summary += (
            f" The origin answers {_status(origin)} when hit directly from here, so the problem is"
            " the path between EdgeOne and the origin: a firewall or allow-list missing EdgeOne's"
            " origin-pull ranges, a wrong origin port or protocol in the EdgeOne configuration,"
            " or a Host header rewrite."
        )
    else:
        finding.fault = "origin"
        finding.summary += f" Hit directly, the origin answers {_status(origin)} itself."


def _not_configured(report: ProbeReport, kb: KnowledgeBase) -> _Finding:
    edge = report.edge
    entry = _entry_for_code(kb, 418)
    evidence = [_answer_line(edge), *_marker_lines(edge), *_cname_lines(edge)]
    if edge.dns.status == "skipped" and _is_ip(edge.host):
        evidence.append(f"the URL names an IP address ({edge.host}), not a configured domain")
    return _Finding(
        code=418,
        entry=entry,
        fault="edge",
        summary=f"{_title(entry, 418)}. {_summary_of(entry)}",
        evidence=evidence,
    )


def _loop(report: ProbeReport, kb: KnowledgeBase) -> _Finding:
    edge = report.edge
    pages = _server(edge) == _PAGES_SERVER
    entry = _entry_for_code(kb, 423, Product.PAGES if pages else Product.SITE_ACCELERATION)
    evidence = [_answer_line(edge), *_marker_lines(edge)]
    if pages:
        evidence.append(f"Server: {_PAGES_SERVER} (EdgeOne Pages)")
    if loop := edge.http.headers.get("cdn-loop"):
        evidence.append(f"CDN-Loop: {loop}")
    finding = _Finding(
        code=423,
        entry=entry,
        fault="edge",
        summary=f"{_title(entry, 423)}. {_summary_of(entry)}",
        evidence=evidence,
    )
    _add_origin_context(finding, report)
    return finding


def _security(report: ProbeReport, kb: KnowledgeBase) -> _Finding:
    edge = report.edge
    entry = _entry_for_code(kb, _status(edge))
    return _Finding(
        code=_status(edge),
        entry=entry,
        fault="edge",
        summary=f"{_title(entry, _status(edge))}. {_summary_of(entry)}",
        evidence=[_answer_line(edge), *_marker_lines(edge)],
    )


def _function_error(report: ProbeReport, kb: KnowledgeBase) -> _Finding:
    edge = report.edge
    entry = kb.get(_EDGE_FUNCTION_ENTRY) or _entry_for_code(
        kb, _EDGE_FUNCTION_ERROR, Product.EDGE_FUNCTIONS
    )
    return _Finding(
        code=_EDGE_FUNCTION_ERROR,
        entry=entry,
        fault="origin",  # the customer's function code, not EdgeOne's platform
        summary=f"{_title(entry, _EDGE_FUNCTION_ERROR)}. {_summary_of(entry)}",
        evidence=[_answer_line(edge), *_marker_lines(edge)],
    )


def _healthy(report: ProbeReport, kb: KnowledgeBase) -> _Finding:
    edge, origin = report.edge, report.origin
    status = _status(edge)
    who = _who(edge)
    if 300 <= status < 400:
        where = edge.http.headers.get("location")
        summary = f"{who} answers with a redirect: {status}" + (
            f" to {_quote(where)}." if where else "."
        )
    else:
        summary = f"{who} answers normally: {status} in {_ms(edge.http.ttfb_ms)}."
    finding = _Finding(
        code=None,
        entry=None,
        fault="none",
        summary=summary,
        evidence=[_answer_line(edge), *_marker_lines(edge)],
        healthy=True,
    )
    if cache := edge.http.headers.get("eo-cache-status"):
        finding.evidence.append(f"EO-Cache-Status: {cache}")
    failure = _failure(origin) if origin is not None else None
    if failure is not None:
        # The edge can keep serving cached content while the origin is down.
        finding.evidence.append(f"origin: {failure.evidence}")
        finding.evidence.append(
            f"the origin probe fails (EdgeOne's {failure.code} pattern) while the edge answers:"
            " the cache may be hiding an origin failure"
        )
    return finding


def _passthrough(report: ProbeReport, kb: KnowledgeBase) -> _Finding:
    """Any other 4xx/5xx: the origin's own status passed through, or the node's own answer."""
    edge, origin = report.edge, report.origin
    status = _status(edge)
    evidence = [_answer_line(edge), *_marker_lines(edge)]
    if origin is not None:
        return _passthrough_with_origin(report, kb, evidence)
    if not has_edge_markers(edge):
        entry = _origin_entry(kb, status)
        return _Finding(
            code=status,
            entry=entry,
            fault="origin",
            summary=f"{_title(entry, status)}. {edge.host} shows no EdgeOne markers, so the"
            " status comes from the server itself.",
            evidence=[*evidence, _no_markers_line()],
        )
    pages_entry = _pages_entry(kb, edge, status)
    entry = pages_entry or (
        _origin_entry(kb, status) if status in _PASSTHROUGH_5XX else _entry_for_code(kb, status)
    )
    fault = _NO_ORIGIN_FAULT.get(status) or _fault_from_entry(entry, status)
    summary = f"{_title(entry, status)}. {_summary_of(entry)}"
    steps = []
    if pages_entry is None:
        summary += " A probe of the origin would confirm who produced it."
        steps.append(_RERUN_WITH_ORIGIN)
    return _Finding(status, entry, fault, summary, evidence, steps)


def _passthrough_with_origin(
    report: ProbeReport, kb: KnowledgeBase, evidence: list[str]
) -> _Finding:
    edge, origin = report.edge, report.origin
    assert origin is not None  # the caller checked
    status = _status(edge)
    if not _answered(origin):
        failure = _failure(origin)
        entry = _origin_entry(kb, status)
        what = failure.what if failure else "it gives no answer"
        finding = _Finding(
            status,
            entry,
            failure.fault if failure else "origin",
            f"{_title(entry, status)}. Hit directly, the origin fails: {what}.",
            [*evidence, f"origin: {failure.evidence}" if failure else "origin: no answer"],
        )
        return finding
    evidence += _origin_answer_lines(origin)
    if _status(origin) == status:
        entry = _origin_entry(kb, status)
        return _Finding(
            status,
            entry,
            "origin",
            f"{_title(entry, status)}. The origin answers {status} itself when hit directly, so"
            " EdgeOne is passing the origin's own status through.",
            evidence,
        )
    entry = _entry_for_code(kb, status)
    return _Finding(
        status,
        entry,
        "edge",
        f"{_title(entry, status)}. The origin answers {_status(origin)} when hit directly, so the"
        f" EdgeOne node produced the {status} itself (a rule or configuration on EdgeOne).",
        evidence,
    )


# ---------------------------------------------------------------- stated code


def _with_stated_code(
    finding: _Finding, report: ProbeReport, kb: KnowledgeBase, stated: int
) -> _Finding:
    if finding.healthy:
        edge = report.edge
        hint = Product.PAGES if _server(edge) == _PAGES_SERVER else Product.SITE_ACCELERATION
        entry = _entry_for_code(kb, stated, hint, other_products=True)
        steps = [f"If the {stated} comes back, probe again while it is happening"]
        if _pair(stated) in _PULL_DEFAULT_FAULT and report.origin is None:
            steps.append(_RERUN_WITH_ORIGIN)
        # Said plainly, without the outage steps of a code that did not happen here.
        return _Finding(
            code=None,
            entry=entry,
            fault="none",
            summary=(
                f"{_who(edge)} answers now ({_status(edge)}); the {stated} you reported is not"
                f" reproduced by this probe. About {stated}: {_title(entry, stated)}."
            ),
            evidence=[*finding.evidence, f"you reported {stated}; this probe got {_status(edge)}"],
            steps=steps,
            healthy=True,
            kb_steps=False,
        )
    if finding.code is None or _pair(finding.code) != _pair(stated):
        seen = finding.code if finding.code is not None else "no EdgeOne code"
        finding.evidence.append(f"you reported {stated}; this probe sees {seen}")
    return finding


# ---------------------------------------------------------------- knowledge look-ups


def _entry_for_code(
    kb: KnowledgeBase,
    code: int,
    product: Product = Product.SITE_ACCELERATION,
    *,
    other_products: bool = False,
) -> Entry | None:
    """The entry for a code in a product: one whose primary code it is, else any listing it.

    Another product's entry for the same number usually means something else (a Pages 429 is not
    a site's 429), so other products are only searched when the caller asks.
    """
    candidates = kb.by_code(code)
    in_product = [e for e in candidates if e.product is product]
    primary = [e for e in in_product if e.code == code]
    pool = primary or in_product or (candidates if other_products else [])
    return pool[0] if pool else None


def _origin_entry(kb: KnowledgeBase, code: int) -> Entry | None:
    """The entry for the origin's own status passed through, when the KB has one."""
    return kb.get(f"sa-origin-{code}") or _entry_for_code(kb, code)


def _entry_by_name(kb: KnowledgeBase, name: str) -> Entry | None:
    return next((e for e in kb.entries if name in e.names), None)


def _pages_entry(kb: KnowledgeBase, edge: ProbeResult, code: int) -> Entry | None:
    """On a Pages site with no error name in the body, the Pages entry when only one fits."""
    if _server(edge) != _PAGES_SERVER:
        return None
    pages = [e for e in kb.by_code(code) if e.product is Product.PAGES]
    return pages[0] if len(pages) == 1 else None


def _fault_from_entry(entry: Entry | None, status: int) -> Fault:
    if entry is not None and entry.name:
        return _pages_fault(entry.name)
    if entry is not None and entry.answered_by.value in ("origin", "edge"):
        return "origin" if entry.answered_by.value == "origin" else "edge"
    return "origin" if status >= 500 else "client"


def _title(entry: Entry | None, code: int) -> str:
    return entry.title if entry else f"HTTP {code}"


def _summary_of(entry: Entry | None) -> str:
    return entry.summary if entry else "The knowledge base has no entry for this status."


def _kb_steps(entry: Entry | None, values: dict[str, str]) -> list[str]:
    """Up to MAX_KB_STEPS items from the entry: one runnable check, then its fixes.

    The check whose command the probe could fill completely comes first; a placeholder left for a
    person is named once, after the check's words.
    """
    if entry is None:
        return []
    steps: list[str] = []
    commands = [(c.what, fill(c.command, values)) for c in entry.checks if c.command]
    ready = [(what, filled) for what, filled in commands if not filled.missing]
    if ready or commands:
        what, filled = (ready or commands)[0]
        hint = f" (replace {', '.join(filled.missing)})" if filled.missing else ""
        steps.append(f"{what.rstrip('.')}{hint}: `{filled.text}`")
    steps += entry.fixes[: MAX_KB_STEPS - len(steps)]
    return steps


def _placeholder_values(report: ProbeReport) -> dict[str, str]:
    """Values for the KB's command placeholders, where the probe knows them.

    ``fill`` checks each value's shape again before it goes into a command.
    """
    edge = report.edge
    parts = urlsplit(edge.url)
    path = parts.path.lstrip("/") + (f"?{parts.query}" if parts.query else "")
    values = {
        "SCHEME": edge.scheme,
        "HOST": edge.host,
        "PORT": str(edge.port),
        "PATH": path,
    }
    marked = has_edge_markers(edge)
    if marked and edge.connect.ip:
        values["NODE_IP"] = edge.connect.ip
    # Without markers the probed target is the origin itself.
    origin = report.origin or (None if marked else edge)
    if origin is not None:
        values["ORIGIN_PORT"] = str(origin.port)
        if origin.connect.ip:
            values["ORIGIN_IP"] = origin.connect.ip
        if not _is_ip(origin.target):
            values["ORIGIN_HOST"] = origin.target
    if uuid := _eo_log_uuid(edge):
        values["EO_LOG_UUID"] = values["EO_LOG_UUID_VALUE"] = uuid
    return values


# ---------------------------------------------------------------- evidence helpers


def _add_origin_context(finding: _Finding, report: ProbeReport) -> None:
    """What the origin probe saw, when there is one; an EdgeOne answer there means a loop."""
    origin = report.origin
    if origin is None:
        return
    failure = _failure(origin)
    if failure is not None and not _answered(origin):
        finding.evidence.append(f"origin: {failure.evidence}")
    elif _answered(origin):
        finding.evidence += _origin_answer_lines(origin)


def _origin_answer_lines(origin: ProbeResult) -> list[str]:
    lines = [f"origin answered {_status(origin)} in {_ms(origin.http.ttfb_ms)}"]
    if has_edge_markers(origin):
        lines.append(
            "the origin answers with EdgeOne markers: it leads back into EdgeOne (loop risk)"
        )
    if origin.tls.status == "cert_invalid":
        lines.append(f"origin: {_cert_evidence(origin)}")
    return lines


def _answer_line(result: ProbeResult) -> str:
    return f"{_who(result)} answered {_status(result)} in {_ms(result.http.ttfb_ms)}"


def _who(result: ProbeResult) -> str:
    return "EdgeOne" if has_edge_markers(result) else result.host


def _marker_lines(result: ProbeResult) -> list[str]:
    """The one marker worth quoting: the request id support needs, else what identified EdgeOne."""
    if uuid := _eo_log_uuid(result):
        return [f"EO-LOG-UUID {uuid}"]
    if (server := _server(result)) in _EDGE_SERVERS:
        return [f"Server: {result.http.headers.get('server', server)}"]
    if result.dns.on_edgeone:
        return _cname_lines(result)
    return [_no_markers_line()]


def _no_markers_line() -> str:
    return "no EdgeOne markers (no EO-LOG-UUID, no EdgeOne Server header, CNAME not on EdgeOne)"


def _cname_lines(result: ProbeResult) -> list[str]:
    dns = result.dns
    if dns.status == "skipped":
        return []
    if dns.on_edgeone:
        target = dns.cname_chain[-1] if dns.cname_chain else dns.edgeone_suffix
        return [f"CNAME chain points at EdgeOne ({target})"]
    if dns.cname_chain:
        return [f"CNAME chain does not point at EdgeOne ({' → '.join(dns.cname_chain)})"]
    return [f"{result.host} has no CNAME to EdgeOne (A records only: NS mode, or not on EdgeOne)"]


def _edge_cert_lines(edge: ProbeResult) -> list[str]:
    """A certificate clients would reject matters even when the status looks fine."""
    if edge.tls.status != "cert_invalid":
        return []
    return [f"clients would reject the certificate: {_cert_evidence(edge)}"]


def _support(report: ProbeReport) -> SupportBundle:
    edge = report.edge
    # "Edge IP" names an EdgeOne node: only an address whose answer carried EdgeOne's markers.
    answered_as_edgeone = _answered(edge) and has_edge_markers(edge)
    return SupportBundle(
        eo_log_uuid=_eo_log_uuid(edge),
        edge_ip=edge.connect.ip if answered_as_edgeone else None,
        time_utc=iso_utc(edge.started_at),
        url=edge.url,
        status_code=edge.http.status_code,
        address=edge.connect.ip,
    )


def _dns_notes(report: ProbeReport) -> list[str]:
    """A query type that failed while the other answered: the probe went on, but say so."""
    notes: list[str] = []
    for prefix, result in (("", report.edge), ("origin: ", report.origin)):
        if result is None or result.dns.status != "ok":
            continue
        for lookup in result.dns.lookups:
            if lookup.status in ("timeout", "servfail") and lookup.error:
                notes.append(
                    f"{prefix}{result.target} has addresses, but its {lookup.rtype} lookup"
                    f" failed: {lookup.error}"
                )
    return notes


# ---------------------------------------------------------------- small helpers


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z, the form support asks for (naive times are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _eo_log_uuid(result: ProbeResult) -> str | None:
    """EdgeOne's request id (digits); a header of that name holding anything else is not it."""
    for value in (result.http.eo_log_uuid, result.http.headers.get("eo-log-uuid")):
        if value and CHECKS["EO_LOG_UUID"](value.strip()):
            return value.strip()
    return None


def _server(result: ProbeResult) -> str:
    return result.http.headers.get("server", "").strip().lower()


def _status(result: ProbeResult) -> int:
    return result.http.status_code or 0


def _pair(code: int) -> int:
    """Fold the 55x member of an origin-pull pair onto its 52x twin."""
    return code - 30 if 550 <= code <= 555 else code


def _side_words(fault: Fault) -> str:
    return {
        "origin": "origin",
        "edge": "EdgeOne configuration",
        "network": "network path between EdgeOne and the origin",
        "dns": "origin's DNS",
        "client": "client",
        "none": "nothing",
    }[fault]


def _addr(result: ProbeResult) -> str:
    host = result.connect.ip or result.target
    port = result.connect.port or result.port
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _ip_or_unknown(result: ProbeResult) -> str:
    return result.connect.ip or "unknown"


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True


def _ms(value: float | None) -> str:
    if value is None:
        return "an unknown time"
    if value >= 10_000:
        return f"{value / 1000:.1f} s"
    return f"{value:.0f} ms"


def _after(value: float | None) -> str:
    return f" after {_ms(value)}" if value is not None else ""


def _quote(text: str) -> str:
    """A value from the server, cut to MAX_QUOTED characters."""
    return text if len(text) <= MAX_QUOTED else text[: MAX_QUOTED - 1] + "…"


def _detail(error: str | None) -> str:
    return f": {error}" if error else ""


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))
