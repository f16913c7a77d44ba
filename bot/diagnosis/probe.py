"""What the probe saw of one target: its EdgeOne markers, the first phase that failed (read as
the origin-pull code EdgeOne gives for it), and the evidence lines that quote the observation.

Inputs are the probe's typed results (``bot.probe.models``); nothing here decides the verdict.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, replace
from typing import Literal

from bot.diagnosis.model import Fault
from bot.diagnosis.say import Say
from bot.i18n.catalogue import N_
from bot.probe.commands import CHECKS
from bot.probe.models import ProbeReport, ProbeResult

EDGE_SERVERS = frozenset({"tencentedgeone", "edgeone-pages"})
PAGES_SERVER = "edgeone-pages"

# Which side a failure of each phase points at when the failing target is the origin, and the
# clause that says what happened.
_CONNECT_FAILURES: dict[str, tuple[int, Fault, str]] = {
    "refused": (521, "origin", N_("the TCP connection is refused")),
    # No SYN-ACK at all: packets are dropped on the way (firewall, security group, host down).
    "timeout": (522, "network", N_("the TCP connect times out")),
    "unreachable": (522, "network", N_("the address is unreachable")),
    # An unclassified connect error: closest to "no connection could be made".
    "error": (522, "network", N_("the TCP connect fails")),
}
_HTTP_FAILURES: dict[str, tuple[int, Fault, str]] = {
    "reset": (520, "origin", N_("the connection is reset after the request")),
    "closed": (520, "origin", N_("the connection is closed after the request with no response")),
    "timeout": (524, "origin", N_("no response arrives before the read timeout")),
    "error": (520, "origin", N_("no valid HTTP response comes back")),
}
_DNS_WORDS = {
    "nxdomain": N_("NXDOMAIN (no such name)"),
    "servfail": N_("SERVFAIL"),
    "timeout": N_("no answer from the resolver (timeout)"),
    "no_answer": N_("no address record (NODATA)"),
    "cname_loop": N_("the CNAME chain loops back on itself"),
    "cname_too_long": N_("the CNAME chain is too long to follow"),
}
# The same outcomes as a clause: "its name does not resolve (...)".
_DNS_WHAT = {
    "nxdomain": N_("NXDOMAIN"),
    "servfail": N_("SERVFAIL"),
    "timeout": N_("the resolver does not answer"),
    "no_answer": N_("no address record"),
    "cname_loop": N_("a CNAME loop"),
    "cname_too_long": N_("a CNAME chain too long to follow"),
}
_VERIFY_WORDS = {
    "expired": N_("expired"),
    "not_yet_valid": N_("not yet valid"),
    "hostname_mismatch": N_("hostname mismatch"),
    "untrusted": N_("untrusted issuer"),
    "other": N_("verification failed"),
}


@dataclass(frozen=True, slots=True)
class PhaseFailure:
    """The first phase of one probe that did not succeed, read as an origin-pull failure."""

    phase: Literal["dns", "connect", "tls", "http"]
    status: str
    code: int
    fault: Fault
    what: str  # short clause for the summary
    evidence: str  # concrete line: address, time, error
    note: str | None = None


# ---------------------------------------------------------------- markers and plain facts


def has_edge_markers(result: ProbeResult) -> bool:
    """True when the answer or the DNS shows the target is an EdgeOne node."""
    return bool(eo_log_uuid(result)) or server(result) in EDGE_SERVERS or result.dns.on_edgeone


def eo_log_uuid(result: ProbeResult) -> str | None:
    """EdgeOne's request id (digits); a header of that name holding anything else is not it."""
    for value in (result.http.eo_log_uuid, result.http.headers.get("eo-log-uuid")):
        if value and CHECKS["EO_LOG_UUID"](value.strip()):
            return value.strip()
    return None


def server(result: ProbeResult) -> str:
    return result.http.headers.get("server", "").strip().lower()


def status(result: ProbeResult) -> int:
    return result.http.status_code or 0


def answered(result: ProbeResult) -> bool:
    return result.http.status == "ok" and result.http.status_code is not None


def pair(code: int) -> int:
    """Fold the 55x member of an origin-pull pair onto its 52x twin."""
    return code - 30 if 550 <= code <= 555 else code


def is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True


def addr(result: ProbeResult) -> str:
    host = result.connect.ip or result.target
    port = result.connect.port or result.port
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


# ---------------------------------------------------------------- the failed phase


def failure(result: ProbeResult, say: Say) -> PhaseFailure | None:
    """The first failed phase, noting when the probe's own deadline cut it short."""
    found = _phase_failure(result, say)
    if found is not None and result.deadline_hit and "deadline" not in found.evidence:
        line = say._("{line} (the probe's deadline was reached)", line=found.evidence)
        return replace(found, evidence=line)
    return found


def _phase_failure(result: ProbeResult, say: Say) -> PhaseFailure | None:
    """The first failed phase, mapped to the code EdgeOne gives when pulling from this target."""
    dns = result.dns
    if dns.status not in ("ok", "skipped"):
        english_error = dns.status == "timeout" and dns.error and say.language == "en"
        words = dns.error if english_error else say._(_DNS_WORDS[dns.status])
        if dns.ms is None:
            line = say._("DNS lookup of {target} failed: {what}", target=result.target, what=words)
        else:
            line = say._(
                "DNS lookup of {target} failed: {what} after {time}",
                target=result.target,
                what=words,
                time=say.ms(dns.ms),
            )
        if dns.cname_chain:
            line = say._("{line} (CNAME chain: {chain})", line=line, chain=_chain(dns.cname_chain))
        what = say._("its name does not resolve ({what})", what=say._(_DNS_WHAT[dns.status]))
        return PhaseFailure("dns", dns.status, 523, "dns", what, line)
    connect = result.connect
    if connect.status in _CONNECT_FAILURES:
        code, fault, what = _CONNECT_FAILURES[connect.status]
        evidence = _connect_evidence(result, say)
        return PhaseFailure("connect", connect.status, code, fault, say._(what), evidence)
    if result.tls.status not in ("ok", "skipped"):
        return _tls_failure(result, say)
    http = result.http
    if http.status in _HTTP_FAILURES:
        code, fault, what = _HTTP_FAILURES[http.status]
        evidence = _http_evidence(result, say)
        return PhaseFailure("http", http.status, code, fault, say._(what), evidence)
    return None


def _chain(chain: tuple[str, ...]) -> str:
    return " → ".join(chain)


def _connect_evidence(result: ProbeResult, say: Say) -> str:
    connect, address = result.connect, addr(result)
    detail = say.detail(connect.error)
    if connect.status == "refused":
        if connect.ms is None:
            return say._("TCP connect to {address} refused", address=address)
        return say._(
            "TCP connect to {address} refused after {time}",
            address=address,
            time=say.ms(connect.ms),
        )
    if connect.status == "timeout":
        if connect.ms is None:
            return say._(
                "TCP connect to {address} timed out (no SYN-ACK){detail}",
                address=address,
                detail=detail,
            )
        return say._(
            "TCP connect to {address} timed out after {time} (no SYN-ACK){detail}",
            address=address,
            time=say.ms(connect.ms),
            detail=detail,
        )
    if connect.status == "unreachable":
        return say._(
            "TCP connect to {address} failed: network unreachable{detail}",
            address=address,
            detail=detail,
        )
    return say._("TCP connect to {address} failed{detail}", address=address, detail=detail)


def _tls_failure(result: ProbeResult, say: Say) -> PhaseFailure:
    tls, address = result.tls, addr(result)
    if tls.status == "cert_invalid":
        reason = say._(_VERIFY_WORDS[tls.verify_error or "other"])
        return PhaseFailure(
            "tls",
            tls.status,
            525,
            "origin",
            say._("its certificate is rejected ({reason})", reason=reason),
            cert_evidence(result, say),
            # EdgeOne does not validate origin certificates unless told to.
            say._(
                "EdgeOne only refuses an invalid origin certificate when origin certificate"
                " validation is switched on (it is off by default)."
            ),
        )
    detail = say.detail(tls.error)
    if tls.status == "timeout" and tls.ms is not None:
        evidence = say._(
            "TLS handshake with {address} timed out after {time}{detail}",
            address=address,
            time=say.ms(tls.ms),
            detail=detail,
        )
    elif tls.status == "timeout":
        evidence = say._(
            "TLS handshake with {address} timed out{detail}", address=address, detail=detail
        )
    else:
        evidence = say._(
            "TLS handshake with {address} failed{detail}", address=address, detail=detail
        )
    return PhaseFailure(
        "tls", tls.status, 525, "origin", say._("the TLS handshake fails"), evidence
    )


def cert_evidence(result: ProbeResult, say: Say) -> str:
    tls, cert = result.tls, result.tls.cert
    fields = {"address": addr(result), "reason": say._(_VERIFY_WORDS[tls.verify_error or "other"])}
    if cert is not None and tls.verify_error == "expired":
        return say._(
            "certificate from {address} rejected: {reason} (not after {date:%Y-%m-%d})",
            date=cert.not_after,
            **fields,
        )
    if cert is not None and tls.verify_error == "hostname_mismatch":
        return say._(
            "certificate from {address} rejected: {reason} ({names} does not cover {host})",
            names=", ".join(cert.sans[:4]) or cert.subject,
            host=result.host,
            **fields,
        )
    if cert is not None and tls.verify_error == "untrusted":
        return say._(
            "certificate from {address} rejected: {reason} (issuer {issuer})",
            issuer=cert.issuer,
            **fields,
        )
    return say._(
        "certificate from {address} rejected: {reason}{detail}",
        detail=say.detail(tls.error),
        **fields,
    )


def _http_evidence(result: ProbeResult, say: Say) -> str:
    http, address = result.http, addr(result)
    if http.status == "reset":
        return say._("{address} reset the connection after the request was sent", address=address)
    if http.status == "closed":
        return say._(
            "{address} closed the connection after the request without a response",
            address=address,
        )
    if http.status == "timeout":
        waited = http.ttfb_ms if http.ttfb_ms is not None else result.timings.server_ms
        why = http.error or say._("no response before the read timeout")
        return say._(
            "HTTP request to {address} got no response after {time}{detail}",
            address=address,
            time=say.ms(waited),
            detail=say.detail(why),
        )
    return say._(
        "invalid HTTP response from {address}{detail}",
        address=address,
        detail=say.detail(http.error),
    )


# ---------------------------------------------------------------- evidence lines


def answer_line(result: ProbeResult, who: str, say: Say) -> str:
    return say._(
        "{who} answered {status} in {time}",
        who=who,
        status=status(result),
        time=say.ms(result.http.ttfb_ms),
    )


def marker_lines(result: ProbeResult, say: Say) -> list[str]:
    """The one marker worth quoting: the request id support needs, else what identified EdgeOne."""
    if uuid := eo_log_uuid(result):
        return [f"EO-LOG-UUID {uuid}"]
    if (name := server(result)) in EDGE_SERVERS:
        return [f"Server: {result.http.headers.get('server', name)}"]
    if result.dns.on_edgeone:
        return cname_lines(result, say)
    return [no_markers_line(say)]


def no_markers_line(say: Say) -> str:
    return say._(
        "no EdgeOne markers (no EO-LOG-UUID, no EdgeOne Server header, CNAME not on EdgeOne)"
    )


def cname_lines(result: ProbeResult, say: Say) -> list[str]:
    dns = result.dns
    if dns.status == "skipped":
        return []
    if dns.on_edgeone:
        target = dns.cname_chain[-1] if dns.cname_chain else dns.edgeone_suffix
        return [say._("CNAME chain points at EdgeOne ({target})", target=target)]
    if dns.cname_chain:
        return [
            say._("CNAME chain does not point at EdgeOne ({chain})", chain=_chain(dns.cname_chain))
        ]
    return [
        say._(
            "{host} has no CNAME to EdgeOne (A records only: NS mode, or not on EdgeOne)",
            host=result.host,
        )
    ]


def edge_cert_lines(edge: ProbeResult, say: Say) -> list[str]:
    """A certificate clients would reject matters even when the status looks fine."""
    if edge.tls.status != "cert_invalid":
        return []
    return [say._("clients would reject the certificate: {line}", line=cert_evidence(edge, say))]


def dns_notes(report: ProbeReport, say: Say) -> list[str]:
    """A query type that failed while the other answered: the probe went on, but say so."""
    notes: list[str] = []
    for is_origin, result in ((False, report.edge), (True, report.origin)):
        if result is None or result.dns.status != "ok":
            continue
        for lookup in result.dns.lookups:
            if lookup.status in ("timeout", "servfail") and lookup.error:
                line = say._(
                    "{target} has addresses, but its {rtype} lookup failed{detail}",
                    target=result.target,
                    rtype=lookup.rtype,
                    detail=say.detail(lookup.error),
                )
                notes.append(say._("origin: {line}", line=line) if is_origin else line)
    return notes
