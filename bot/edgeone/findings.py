"""What EdgeOne's own answers say is wrong (or right), as findings a verdict can weigh.

Every function here is pure: facts in, findings out. A :class:`Finding` is one plain sentence
(a :class:`~bot.i18n.phrase.Phrase`, worded in the reader's language when shown; no markup; it
holds names the API sent, so renderers escape the whole sentence) with the side it points at and
the EdgeOne codes it explains: the mismatches the view lists. The verdict does not
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
from bot.i18n.catalogue import N_
from bot.i18n.phrase import Phrase, counted, phrase
from bot.probe.errors import PLAIN_ON_TLS_PORT
from bot.probe.models import ProbeResult

Severity = Literal["problem", "warning", "info"]
Side = Literal["origin", "edge", "network", "dns", "client", "none"]
CERT_WARN_DAYS = 14
MAX_RANGES_SHOWN = 12

# Server header marks of other CDNs and their names (product names; the descriptive ones marked).
_OTHER_CDNS = {
    "cloudflare": "Cloudflare",
    "akamaighost": "Akamai",
    "cloudfront": "CloudFront",
    "fastly": "Fastly",
    "varnish": N_("a Varnish cache (Fastly or your own)"),
    "nws": N_("Tencent Cloud CDN"),
    "tengine": N_("Alibaba Cloud CDN (Tengine)"),
    "bunnycdn": "Bunny CDN",
}
# TLS errors that mean "the other side answered in plain text".
# The probe words a handshake that met plain HTTP with this sentence (bot.probe.errors).
_PLAINTEXT_TLS = (PLAIN_ON_TLS_PORT.lower(),)


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str
    severity: Severity
    text: Phrase  # one plain sentence, API names inside: escape it whole when showing it
    side: Side | None = None  # who this points at, when it points at someone
    codes: tuple[int, ...] = ()  # EdgeOne codes it explains or predicts
    fix: Phrase | None = None  # what to do, plain text


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
    state: Phrase | str = (
        phrase(N_("paused"))
        if zone.paused or zone.active_status == "paused"
        else (zone.status or zone.active_status or phrase(N_("not active")))
    )
    return [
        Finding(
            "zone_not_serving",
            "problem",
            phrase(
                N_("The EdgeOne zone {zone} is {state}: EdgeOne does not accelerate its domains"),
                zone=zone.name or zone.zone_id,
                state=state,
            ),
            side="edge",
            fix=phrase(N_("Enable the zone in the EdgeOne console (or finish its activation)")),
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
                phrase(
                    N_("The acceleration domain {domain} is disabled (offline) in EdgeOne"),
                    domain=domain.name,
                ),
                side="edge",
                fix=phrase(N_("Enable the domain under Domain Service > Domain Management")),
            )
        )
    elif status == "init":
        out.append(
            Finding(
                "domain_inactive",
                "problem",
                phrase(
                    N_(
                        "The acceleration domain {domain} is not active yet: its zone awaits "
                        "activation"
                    ),
                    domain=domain.name,
                ),
                side="edge",
            )
        )
    elif status == "process":
        out.append(
            Finding(
                "domain_deploying",
                "info",
                phrase(
                    N_(
                        "The configuration of {domain} is being deployed; edge nodes may still "
                        "serve the previous one for a few minutes"
                    ),
                    domain=domain.name,
                ),
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
    follow = protocol == "FOLLOW"
    if http_443:
        text = (
            N_(
                "EdgeOne pulls from the origin over plain HTTP to port 443 for clients that use "
                "http; that port normally speaks TLS, so the origin answers 400 or drops the "
                "connection"
            )
            if follow
            else N_(
                "EdgeOne pulls from the origin over plain HTTP to port 443; that port normally "
                "speaks TLS, so the origin answers 400 or drops the connection"
            )
        )
        out.append(
            Finding(
                "pull_http_to_443",
                "problem",
                phrase(text),
                side="origin",
                codes=(400, 502, 520),
                fix=phrase(N_("Set the HTTP origin-pull port to 80 (or pull over HTTPS to 443)")),
            )
        )
    if https_80:
        text = (
            N_(
                "EdgeOne pulls from the origin over HTTPS to port 80 for clients that use https; "
                "that port normally speaks plain HTTP, so the TLS handshake fails"
            )
            if follow
            else N_(
                "EdgeOne pulls from the origin over HTTPS to port 80; that port normally speaks "
                "plain HTTP, so the TLS handshake fails"
            )
        )
        out.append(
            Finding(
                "pull_https_to_80",
                "problem",
                phrase(text),
                side="origin",
                codes=(525,),
                fix=phrase(N_("Set the HTTPS origin-pull port to 443 (or pull over HTTP to 80)")),
            )
        )
    return out


def _cert_findings(domain: DomainConfig, *, now: datetime, days: int) -> list[Finding]:
    out: list[Finding] = []
    for cert in domain.certs:
        name: Phrase | str = cert.alias or cert.cert_id or phrase(N_("(unnamed)"))
        status = (cert.status or "").lower()
        if status in ("failed", "issued"):
            text = (
                N_(
                    "The edge certificate {name} of {domain} failed to be issued: clients get a "
                    "certificate error over https"
                )
                if status == "failed"
                else N_(
                    "The edge certificate {name} of {domain} failed to be bound: clients get a "
                    "certificate error over https"
                )
            )
            out.append(
                Finding(
                    "cert_failed",
                    "problem",
                    phrase(text, name=name, domain=domain.name),
                    side="edge",
                    fix=phrase(
                        N_("Re-apply or re-deploy the certificate under HTTPS configuration")
                    ),
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
                    phrase(
                        N_("The edge certificate {name} of {domain} expired on {date:%Y-%m-%d}"),
                        name=name,
                        domain=domain.name,
                        date=cert.expires_at,
                    ),
                    side="edge",
                    fix=phrase(N_("Renew or replace the certificate in EdgeOne")),
                )
            )
        elif left <= timedelta(days=days):
            out.append(
                Finding(
                    "cert_expiring",
                    "warning",
                    phrase(
                        N_(
                            "The edge certificate {name} of {domain} expires on "
                            "{date:%Y-%m-%d} (in {left})"
                        ),
                        name=name,
                        domain=domain.name,
                        date=cert.expires_at,
                        left=_days(left),
                    ),
                    side="edge",
                    fix=phrase(
                        N_(
                            "Renew it before then; managed certificates renew themselves unless "
                            "validation fails"
                        )
                    ),
                )
            )
    return out


def cname_findings(cname: CnameFact) -> list[Finding]:
    if cname.status == "moved":
        text = (
            phrase(
                N_(
                    "{record} no longer points at the CNAME EdgeOne gave it ({cname}): requests "
                    "do not reach EdgeOne"
                ),
                record=cname.record,
                cname=cname.cname,
            )
            if cname.cname
            else phrase(
                N_(
                    "{record} no longer points at the CNAME EdgeOne gave it: requests do not "
                    "reach EdgeOne"
                ),
                record=cname.record,
            )
        )
        return [
            Finding(
                "cname_moved",
                "problem",
                text,
                side="dns",
                fix=phrase(N_("Point the record's CNAME back at EdgeOne's, at your DNS provider")),
            )
        ]
    if cname.status == "invalid":
        text = (
            phrase(
                N_(
                    "{record} points at a CNAME EdgeOne assigned to another domain; use its own "
                    "({cname})"
                ),
                record=cname.record,
                cname=cname.cname,
            )
            if cname.cname
            else phrase(
                N_("{record} points at a CNAME EdgeOne assigned to another domain; use its own"),
                record=cname.record,
            )
        )
        return [
            Finding(
                "cname_invalid",
                "problem",
                text,
                side="dns",
                fix=phrase(N_("Set the record's CNAME to the one EdgeOne shows for this domain")),
            )
        ]
    return []


def acl_findings(acl: OriginACLFact, *, domain: str | None, now: datetime) -> list[Finding]:
    """Origin protection: on for this domain, and a planned change of the ranges."""
    if not acl.on or (domain is not None and not acl.covers(domain)):
        return []
    ranges = counted(
        len(acl.current.all), N_("{count} origin-pull range"), N_("{count} origin-pull ranges")
    )
    text = (
        phrase(
            N_(
                "Origin protection is on: the origin firewall must allow EdgeOne's {ranges} "
                "(version {version})"
            ),
            ranges=ranges,
            version=acl.version,
        )
        if acl.version
        else phrase(
            N_("Origin protection is on: the origin firewall must allow EdgeOne's {ranges}"),
            ranges=ranges,
        )
    )
    out = [Finding("acl_on", "info", text, side="origin", codes=(522,))]
    planned = acl.planned
    if planned is not None and (planned.added or planned.removed):
        if planned.active_at is None:
            change = phrase(N_("EdgeOne changes its origin-pull ranges soon"))
        elif planned.active_at <= now:
            change = phrase(
                N_(
                    "EdgeOne changes its origin-pull ranges on {when:%Y-%m-%d %H:%M} UTC "
                    "(already due)"
                ),
                when=planned.active_at,
            )
        else:
            change = phrase(
                N_("EdgeOne changes its origin-pull ranges on {when:%Y-%m-%d %H:%M} UTC"),
                when=planned.active_at,
            )
        if planned.added:
            change = phrase(
                N_("{change}: add {ranges} to the origin firewall"),
                change=change,
                ranges=_ranges(planned.added.all),
            )
        if planned.removed:
            removed = counted(len(planned.removed.all), N_("{count} range"), N_("{count} ranges"))
            change = phrase(N_("{change}; {removed} removed"), change=change, removed=removed)
        out.append(
            Finding(
                "acl_change_planned",
                "warning",
                change,
                side="origin",
                codes=(522,),
                fix=phrase(
                    N_(
                        "Allow the new ranges before the date, then confirm the update in the "
                        "console"
                    )
                ),
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
                phrase(N_("{ip}, the address that answered, is an EdgeOne node"), ip=fact.ip),
                side=None,
            )
        ]
    cdn = _other_cdn(server)
    side: Side
    why: Phrase
    if cdn is not None:
        why = phrase(
            N_("{cdn} answered (Server: {server}), so another CDN is in front"),
            cdn=phrase(cdn),
            server=server,
        )
        side = "dns"
    elif cname is not None and cname.status in ("moved", "invalid"):
        why = phrase(N_("the DNS record no longer points at EdgeOne (CheckCnameStatus says so)"))
        side = "dns"
    elif dns_on_edgeone:
        why = phrase(
            N_(
                "yet the name's CNAME chain ends at EdgeOne, so a resolver rewrote the answer "
                "(hijack) or a hosts-file entry overrides DNS"
            )
        )
        side = "network"
    elif cname is not None and cname.status == "active":
        why = phrase(
            N_(
                "yet EdgeOne sees the CNAME in place, so the resolver's answer is stale (cached "
                "from before) or was rewritten on the way"
            )
        )
        side = "dns"
    else:
        why = phrase(N_("stale DNS, another CDN in front, or a rewritten DNS answer"))
        side = "dns"
    return [
        Finding(
            "not_edge_ip",
            "problem",
            phrase(
                N_("{ip}, the address that answered, is not an EdgeOne node: {why}"),
                ip=fact.ip,
                why=why,
            ),
            side=side,
            fix=phrase(N_("Check what the name resolves to from here and from the public DNS")),
        )
    ]


def log_findings(logs: LogsFact) -> list[Finding]:
    """What the edge's own log line says about one request."""
    record = logs.record
    if logs.state != "found" or record is None:
        return []
    edge = record.edge_status
    origin = record.origin_status
    node = record.edge_node or record.edge_ip
    pulled: Phrase
    if origin is None:
        side: Side | None = "origin" if edge is not None and 520 <= edge <= 559 else None
        pulled = (
            phrase(
                N_("EdgeOne got no answer from the origin ({exception})"),
                exception=record.edge_exception,
            )
            if record.edge_exception
            else phrase(N_("EdgeOne got no answer from the origin"))
        )
    else:
        side = "origin" if origin >= 500 else ("edge" if edge is not None and edge >= 500 else None)
        pulled = (
            phrase(
                N_("the origin answered {status} after {ms:.0f} ms"),
                status=origin,
                ms=record.origin_ms,
            )
            if record.origin_ms is not None
            else phrase(N_("the origin answered {status}"), status=origin)
        )
    if record.security_action and record.security_action.lower() in ("deny", "block"):
        side = "edge"
        pulled = phrase(
            N_("{pulled}; a security rule acted ({action})"),
            pulled=pulled,
            action=record.security_action,
        )
    status = edge if edge is not None else phrase(N_("no status"))
    text = (
        phrase(
            N_("EdgeOne logged {status} for this request at node {node}; {pulled}"),
            status=status,
            node=node,
            pulled=pulled,
        )
        if node
        else phrase(
            N_("EdgeOne logged {status} for this request; {pulled}"), status=status, pulled=pulled
        )
    )
    return [
        Finding(
            "edge_log",
            "info" if edge is None or edge < 500 else "problem",
            text,
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
        # The probe's own words for a refusal are English only: quoted as code.
        return [
            Finding(
                "origin_not_probed",
                "info",
                phrase(
                    N_("The configured origin {where} was not probed: `{reason}`"),
                    where=where,
                    reason=refused,
                ),
            )
        ]
    if result is None:
        return []
    if result.failed_phase in ("dns", "connect"):
        refused_conn = result.connect.status == "refused"
        unreachable = (
            N_("The configured origin {where} refuses the connection")
            if refused_conn
            else N_("The configured origin {where} cannot be reached")
        )
        return [
            Finding(
                "origin_unreachable",
                "problem",
                phrase(unreachable, where=where),
                side="origin" if refused_conn else "network",
                codes=(521,) if refused_conn else (522,),
            )
        ]
    if check.scheme == "https" and result.tls.status == "handshake_failed":
        error = (result.tls.error or "").lower()
        if any(marker in error for marker in _PLAINTEXT_TLS):
            wording = phrase(
                N_(
                    "EdgeOne pulls over HTTPS from {where}, but that port speaks plain HTTP: "
                    "every origin-pull TLS handshake fails"
                ),
                where=where,
            )
            kind = "origin_speaks_http"
        else:
            wording = phrase(
                N_("The TLS handshake with the configured origin {where} fails"), where=where
            )
            kind = "origin_tls_failed"
        return [Finding(kind, "problem", wording, side="origin", codes=(525,))]
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
        text = (
            phrase(
                N_(
                    "EdgeOne sends Host {host} to the origin, which answers {status} for it, "
                    "while it answers {public_status} for {public_host}: the origin does not "
                    "serve that name"
                ),
                host=check.host_header,
                status=status,
                public_status=public_status,
                public_host=check.public_host,
            )
            if public_status
            else phrase(
                N_(
                    "EdgeOne sends Host {host} to the origin, which answers {status} for it: the "
                    "origin does not serve that name"
                ),
                host=check.host_header,
                status=status,
            )
        )
        return [
            Finding(
                "origin_host_not_served",
                "problem" if public_status is not None else "warning",
                text,
                side="origin",
                codes=(status,),
                fix=phrase(N_("Set the origin-pull Host header to a name the origin serves")),
            )
        ]
    return [
        Finding(
            "origin_answers",
            "info",
            phrase(
                N_("The configured origin {where} answers {status} over {scheme} for Host {host}"),
                where=where,
                status=status,
                scheme=check.scheme,
                host=check.host_header,
            ),
            side=None,
        )
    ]


# ------------------------------------------------------------------------------- helpers


def _other_cdn(server: str | None) -> str | None:
    if not server:
        return None
    lowered = server.lower()
    return next((name for marker, name in _OTHER_CDNS.items() if marker in lowered), None)


def _ranges(items: Sequence[str]) -> Phrase | str:
    """The first ranges (network text), and how many more."""
    shown = ", ".join(items[:MAX_RANGES_SHOWN])
    more = len(items) - MAX_RANGES_SHOWN
    if more <= 0:
        return shown
    return phrase(N_("{items} and {count} more"), items=shown, count=more)


def _days(left: timedelta) -> Phrase:
    days = left.days
    if days >= 1:
        return counted(days, N_("{count} day"), N_("{count} days"))
    hours = max(1, int(left.total_seconds() // 3600))
    return counted(hours, N_("{count} hour"), N_("{count} hours"))
