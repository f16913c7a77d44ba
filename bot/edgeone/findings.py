"""What EdgeOne's own answers say is wrong (or right), as findings a verdict can weigh.

Every function here is pure: facts in, findings out. A :class:`Finding` is one plain sentence
(no markup; it holds names the API sent, so renderers escape the whole sentence) with the side it
points at and the EdgeOne codes it explains: the mismatches the view lists. The verdict does not
read findings; it weighs the facts themselves (``bot.edgeone.evidence``).

Mismatches that need the origin itself (does the HTTPS origin-pull port speak HTTP? does the
origin serve the Host header EdgeOne sends?) cannot be settled from the API alone: for those,
:func:`origin_checks` says what to probe (:class:`OriginToCheck`), the caller probes it through the
probe's own safety policy, and :func:`origin_findings` reads the result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from bot.edgeone.facts import (
    CnameFact,
    DomainConfig,
    EdgeIPFact,
    LogsFact,
    OriginACLFact,
    ZoneFact,
)
from bot.edgeone.trend import TrendFact, describe, outbreak
from bot.probe.errors import PLAIN_ON_TLS_PORT
from bot.probe.models import ProbeResult

Severity = Literal["problem", "warning", "info"]
Side = Literal["origin", "edge", "network", "dns", "client", "none"]
CERT_WARN_DAYS = 14
MAX_RANGES_SHOWN = 12

_OTHER_CDNS = {
    "cloudflare": "Cloudflare",
    "akamaighost": "Akamai",
    "cloudfront": "CloudFront",
    "fastly": "Fastly",
    "varnish": "a Varnish cache (Fastly or your own)",
    "nws": "Tencent Cloud CDN",
    "tengine": "Alibaba Cloud CDN (Tengine)",
    "bunnycdn": "Bunny CDN",
}
# TLS errors that mean "the other side answered in plain text".
# The probe words a handshake that met plain HTTP with this sentence (bot.probe.errors).
_PLAINTEXT_TLS = (PLAIN_ON_TLS_PORT.lower(),)


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str
    severity: Severity
    text: str  # one plain sentence, API names inside: escape it whole when showing it
    side: Side | None = None  # who this points at, when it points at someone
    codes: tuple[int, ...] = ()  # EdgeOne codes it explains or predicts
    fix: str | None = None  # what to do, plain text


@dataclass(frozen=True, slots=True)
class OriginToCheck:
    """The configured origin as EdgeOne reaches it, to be probed through the probe's policy."""

    address: str  # host name or IP from the configuration
    port: int
    scheme: Literal["http", "https"]
    host_header: str  # the Host EdgeOne sends (and the TLS server name)
    public_host: str  # the host the question was about
    look_for: tuple[Literal["plain_http", "host_header"], ...] = ()

    @property
    def origin_arg(self) -> str:
        """``address:port`` as ``probe(origin=...)`` takes it."""
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{host}:{self.port}"

    def url(self, path: str = "/") -> str:
        """The URL to probe with ``origin=origin_arg``: the Host header EdgeOne sends, the pull
        protocol's scheme and the origin-pull port."""
        default = 443 if self.scheme == "https" else 80
        port = "" if self.port == default else f":{self.port}"
        return f"{self.scheme}://{self.host_header}{port}{path if path.startswith('/') else '/'}"


# ------------------------------------------------------------------------------- from facts


def zone_findings(zone: ZoneFact) -> list[Finding]:
    if zone.serving:
        return []
    state = (
        "paused"
        if zone.paused or zone.active_status == "paused"
        else (zone.status or zone.active_status or "not active")
    )
    return [
        Finding(
            "zone_not_serving",
            "problem",
            f"The EdgeOne zone {zone.name or zone.zone_id} is {state}: EdgeOne does not "
            "accelerate its domains",
            side="edge",
            fix="Enable the zone in the EdgeOne console (or finish its activation)",
        )
    ]


def domain_findings(
    domain: DomainConfig, *, now: datetime, cert_days: int = CERT_WARN_DAYS
) -> list[Finding]:
    """Domain status, origin-pull protocol against ports, and the edge certificate."""
    out: list[Finding] = []
    status = (domain.status or "").lower()
    if status == "offline":
        out.append(
            Finding(
                "domain_offline",
                "problem",
                f"The acceleration domain {domain.name} is disabled (offline) in EdgeOne",
                side="edge",
                fix="Enable the domain under Domain Service > Domain Management",
            )
        )
    elif status == "init":
        out.append(
            Finding(
                "domain_inactive",
                "problem",
                f"The acceleration domain {domain.name} is not active yet: its zone awaits "
                "activation",
                side="edge",
            )
        )
    elif status == "process":
        out.append(
            Finding(
                "domain_deploying",
                "info",
                f"The configuration of {domain.name} is being deployed; edge nodes may still "
                "serve the previous one for a few minutes",
            )
        )
    out += _protocol_findings(domain)
    out += _cert_findings(domain, now=now, days=cert_days)
    return out


def _protocol_findings(domain: DomainConfig) -> list[Finding]:
    out: list[Finding] = []
    protocol = (domain.protocol or "").upper()
    http_443 = domain.http_port == 443 and protocol in ("HTTP", "FOLLOW")
    https_80 = domain.https_port == 80 and protocol in ("HTTPS", "FOLLOW")
    when_http = " for clients that use http" if protocol == "FOLLOW" else ""
    when_https = " for clients that use https" if protocol == "FOLLOW" else ""
    if http_443:
        out.append(
            Finding(
                "pull_http_to_443",
                "problem",
                f"EdgeOne pulls from the origin over plain HTTP to port 443{when_http}; that port "
                "normally speaks TLS, so the origin answers 400 or drops the connection",
                side="origin",
                codes=(400, 502, 520),
                fix="Set the HTTP origin-pull port to 80 (or pull over HTTPS to 443)",
            )
        )
    if https_80:
        out.append(
            Finding(
                "pull_https_to_80",
                "problem",
                f"EdgeOne pulls from the origin over HTTPS to port 80{when_https}; that port "
                "normally speaks plain HTTP, so the TLS handshake fails",
                side="origin",
                codes=(525,),
                fix="Set the HTTPS origin-pull port to 443 (or pull over HTTP to 80)",
            )
        )
    return out


def _cert_findings(domain: DomainConfig, *, now: datetime, days: int) -> list[Finding]:
    out: list[Finding] = []
    for cert in domain.certs:
        name = cert.alias or cert.cert_id or "the edge certificate"
        status = (cert.status or "").lower()
        if status in ("failed", "issued"):
            what = "failed to be issued" if status == "failed" else "failed to be bound"
            out.append(
                Finding(
                    "cert_failed",
                    "problem",
                    f"The edge certificate {name} of {domain.name} {what}: clients get a "
                    "certificate error over https",
                    side="edge",
                    fix="Re-apply or re-deploy the certificate under HTTPS configuration",
                )
            )
        if cert.expires_at is None:
            continue
        left = cert.expires_at - now
        if left <= timedelta(0):
            out.append(
                Finding(
                    "cert_expired",
                    "problem",
                    f"The edge certificate {name} of {domain.name} expired on "
                    f"{cert.expires_at:%Y-%m-%d}",
                    side="edge",
                    fix="Renew or replace the certificate in EdgeOne",
                )
            )
        elif left <= timedelta(days=days):
            out.append(
                Finding(
                    "cert_expiring",
                    "warning",
                    f"The edge certificate {name} of {domain.name} expires on "
                    f"{cert.expires_at:%Y-%m-%d} (in {_days(left)})",
                    side="edge",
                    fix="Renew it before then; managed certificates renew themselves unless "
                    "validation fails",
                )
            )
    return out


def cname_findings(cname: CnameFact) -> list[Finding]:
    target = f" ({cname.cname})" if cname.cname else ""
    if cname.status == "moved":
        return [
            Finding(
                "cname_moved",
                "problem",
                f"{cname.record} no longer points at the CNAME EdgeOne gave it{target}: "
                "requests do not reach EdgeOne",
                side="dns",
                fix="Point the record's CNAME back at EdgeOne's, at your DNS provider",
            )
        ]
    if cname.status == "invalid":
        return [
            Finding(
                "cname_invalid",
                "problem",
                f"{cname.record} points at a CNAME EdgeOne assigned to another domain; "
                f"use its own{target}",
                side="dns",
                fix="Set the record's CNAME to the one EdgeOne shows for this domain",
            )
        ]
    return []


def acl_findings(acl: OriginACLFact, *, domain: str | None, now: datetime) -> list[Finding]:
    """Origin protection: on for this domain, and a planned change of the ranges."""
    if not acl.on or (domain is not None and not acl.covers(domain)):
        return []
    out = [
        Finding(
            "acl_on",
            "info",
            f"Origin protection is on: the origin firewall must allow EdgeOne's "
            f"{_count(len(acl.current.all), 'origin-pull range')}"
            + (f" (version {acl.version})" if acl.version else ""),
            side="origin",
            codes=(522,),
        )
    ]
    planned = acl.planned
    if planned is not None and (planned.added or planned.removed):
        when = f"on {planned.active_at:%Y-%m-%d %H:%M} UTC" if planned.active_at else "soon"
        past = planned.active_at is not None and planned.active_at <= now
        added = _ranges(planned.added.all)
        text = f"EdgeOne changes its origin-pull ranges {when}" + (" (already due)" if past else "")
        if added:
            text += f": add {added} to the origin firewall"
        if planned.removed:
            text += f"; {_count(len(planned.removed.all), 'range')} removed"
        out.append(
            Finding(
                "acl_change_planned",
                "warning",
                text,
                side="origin",
                codes=(522,),
                fix="Allow the new ranges before the date, then confirm the update in the console",
            )
        )
    return out


def edge_ip_findings(
    fact: EdgeIPFact,
    *,
    cname: CnameFact | None = None,
    dns_on_edgeone: bool | None = None,
    server: str | None = None,
) -> list[Finding]:
    """Whether the answering address is EdgeOne's, and if not, which explanation fits best.

    ``dns_on_edgeone``: whether the probe's CNAME chain ended in EdgeOne's suffix; ``server``:
    the Server header that came back.
    """
    if fact.is_edgeone:
        return [
            Finding(
                "edge_ip",
                "info",
                f"{fact.ip}, the address that answered, is an EdgeOne node",
                side=None,
            )
        ]
    cdn = _other_cdn(server)
    side: Side
    if cdn is not None:
        why, side = f"{cdn} answered (Server: {server}), so another CDN is in front", "dns"
    elif cname is not None and cname.status in ("moved", "invalid"):
        why = "the DNS record no longer points at EdgeOne (CheckCnameStatus says so)"
        side = "dns"
    elif dns_on_edgeone:
        why = (
            "yet the name's CNAME chain ends at EdgeOne, so a resolver rewrote the answer "
            "(hijack) or a hosts-file entry overrides DNS"
        )
        side = "network"
    elif cname is not None and cname.status == "active":
        why = (
            "yet EdgeOne sees the CNAME in place, so the resolver's answer is stale (cached "
            "from before) or was rewritten on the way"
        )
        side = "dns"
    else:
        why, side = "stale DNS, another CDN in front, or a rewritten DNS answer", "dns"
    return [
        Finding(
            "not_edge_ip",
            "problem",
            f"{fact.ip}, the address that answered, is not an EdgeOne node: {why}",
            side=side,
            fix="Check what the name resolves to from here and from the public DNS",
        )
    ]


def log_findings(logs: LogsFact) -> list[Finding]:
    """What the edge's own log line says about one request."""
    record = logs.record
    if logs.state != "found" or record is None:
        return []
    edge = record.edge_status
    origin = record.origin_status
    where = (
        f" at node {record.edge_node or record.edge_ip}"
        if (record.edge_node or record.edge_ip)
        else ""
    )
    if origin is None:
        side: Side | None = "origin" if edge is not None and 520 <= edge <= 559 else None
        pulled = "EdgeOne got no answer from the origin"
        if record.edge_exception:
            pulled += f" ({record.edge_exception})"
    else:
        side = "origin" if origin >= 500 else ("edge" if edge is not None and edge >= 500 else None)
        timing = f" after {record.origin_ms:.0f} ms" if record.origin_ms is not None else ""
        pulled = f"the origin answered {origin}{timing}"
    if record.security_action and record.security_action.lower() in ("deny", "block"):
        side = "edge"
        pulled += f"; a security rule acted ({record.security_action})"
    return [
        Finding(
            "edge_log",
            "info" if edge is None or edge < 500 else "problem",
            f"EdgeOne logged {edge if edge is not None else 'no status'} for this request"
            f"{where}; {pulled}",
            side=side,
            codes=(edge,) if edge is not None else (),
        )
    ]


def trend_findings(trend: TrendFact) -> list[Finding]:
    run = outbreak(trend)
    if run is None:
        return []
    code = int(run.top_code) if run.top_code and run.top_code.isdigit() else None
    return [
        Finding(
            "errors_ongoing" if run.until is None else "errors_earlier",
            "warning",
            describe(run),
            side=None,
            codes=(code,) if code else (),
        )
    ]


# ------------------------------------------------------------------------------- the origin


def origin_checks(domain: DomainConfig, *, host: str, scheme: str) -> tuple[OriginToCheck, ...]:
    """What to probe to compare the configured origin with what EdgeOne needs from it.

    ``scheme`` is the scheme clients used (it decides the pull protocol when it FOLLOWs). Only
    address origins (IP_DOMAIN) can be probed; groups, buckets and load balancers cannot.
    """
    if (domain.origin_type or "IP_DOMAIN") != "IP_DOMAIN" or not domain.origin:
        return ()
    protocol = (domain.protocol or "FOLLOW").upper()
    pull = scheme.lower() if protocol == "FOLLOW" else protocol.lower()
    if pull not in ("http", "https"):
        return ()
    port = domain.https_port if pull == "https" else domain.http_port
    port = port or (443 if pull == "https" else 80)
    host_header = domain.host_header or host
    look_for: list[Literal["plain_http", "host_header"]] = []
    if pull == "https":
        look_for.append("plain_http")
    if host_header.lower() != host.lower():
        look_for.append("host_header")
    return (
        OriginToCheck(
            address=domain.origin,
            port=port,
            scheme="https" if pull == "https" else "http",
            host_header=host_header,
            public_host=host,
            look_for=tuple(look_for),
        ),
    )


def origin_findings(
    check: OriginToCheck,
    *,
    refused: str | None = None,
    result: ProbeResult | None = None,
    public: ProbeResult | None = None,
) -> list[Finding]:
    """Read the probe of the configured origin (or the reason it was refused).

    ``public``: the same origin probed with the public host as Host, when the caller has it, to
    tell "the origin does not serve this Host" from "the origin fails for every Host".
    """
    where = f"{check.address}:{check.port}"
    if refused is not None:
        return [
            Finding(
                "origin_not_probed",
                "info",
                f"The configured origin {where} was not probed: {refused}",
            )
        ]
    if result is None:
        return []
    if result.failed_phase in ("dns", "connect"):
        refused_conn = result.connect.status == "refused"
        return [
            Finding(
                "origin_unreachable",
                "problem",
                f"The configured origin {where} "
                + ("refuses the connection" if refused_conn else "cannot be reached"),
                side="origin" if refused_conn else "network",
                codes=(521,) if refused_conn else (522,),
            )
        ]
    if check.scheme == "https" and result.tls.status == "handshake_failed":
        error = (result.tls.error or "").lower()
        if any(marker in error for marker in _PLAINTEXT_TLS):
            text = (
                f"EdgeOne pulls over HTTPS from {where}, but that port speaks plain HTTP: "
                "every origin-pull TLS handshake fails"
            )
            kind = "origin_speaks_http"
        else:
            text = f"The TLS handshake with the configured origin {where} fails"
            kind = "origin_tls_failed"
        return [Finding(kind, "problem", text, side="origin", codes=(525,))]
    status = result.http.status_code
    if status is None:
        return []
    public_status = public.http.status_code if public is not None else None
    rewritten = check.host_header.lower() != check.public_host.lower()
    if (
        rewritten
        and status in (400, 403, 404, 421)
        and (public_status is None or public_status < 400)
    ):
        also = (
            f", while it answers {public_status} for {check.public_host}" if public_status else ""
        )
        return [
            Finding(
                "origin_host_not_served",
                "problem" if public_status is not None else "warning",
                f"EdgeOne sends Host {check.host_header} to the origin, which answers {status} "
                f"for it{also}: the origin does not serve that name",
                side="origin",
                codes=(status,),
                fix="Set the origin-pull Host header to a name the origin serves",
            )
        ]
    return [
        Finding(
            "origin_answers",
            "info",
            f"The configured origin {where} answers {status} over {check.scheme} for Host "
            f"{check.host_header}",
            side=None,
        )
    ]


# ------------------------------------------------------------------------------- helpers


def _other_cdn(server: str | None) -> str | None:
    if not server:
        return None
    lowered = server.lower()
    return next((name for marker, name in _OTHER_CDNS.items() if marker in lowered), None)


def _ranges(items: Sequence[str]) -> str:
    shown = ", ".join(items[:MAX_RANGES_SHOWN])
    more = len(items) - MAX_RANGES_SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _days(left: timedelta) -> str:
    days = left.days
    if days >= 1:
        return f"{days} day{'s' if days != 1 else ''}"
    hours = max(1, int(left.total_seconds() // 3600))
    return f"{hours} hour{'s' if hours != 1 else ''}"
