"""The finding rules, pure: hand-made facts in, findings out; and the configured origin probed on
loopback through the probe's own safety policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.edgeone.facts import (
    AddressSet,
    CertFact,
    CnameFact,
    DomainConfig,
    EdgeIPFact,
    EdgeLogRecord,
    LogsFact,
    OriginACLFact,
    PlannedACL,
    ZoneFact,
)
from bot.edgeone.findings import (
    OriginToCheck,
    acl_findings,
    cname_findings,
    domain_findings,
    edge_ip_findings,
    log_findings,
    origin_checks,
    origin_findings,
    zone_findings,
)
from bot.probe.runner import ProbeSettings, probe
from bot.probe.safety import ProbePolicy, TargetRefused
from tests.servers import HTTPServer, PlainOnTLSPortServer, Response, closed_port

NOW = datetime(2025, 3, 4, 10, 30, tzinfo=UTC)
HOST = "shop.example.com"
LOOPBACK = ProbePolicy.from_strings(networks=["127.0.0.0/8"], ports=["1-65535"])


def config(**kw: object) -> DomainConfig:
    base: dict[str, object] = {
        "name": HOST,
        "status": "online",
        "origin_type": "IP_DOMAIN",
        "origin": "203.0.113.10",
        "host_header": HOST,
        "protocol": "FOLLOW",
        "http_port": 80,
        "https_port": 443,
    }
    base.update(kw)
    return DomainConfig(**base)  # type: ignore[arg-type]


def kinds(findings: list[object]) -> list[str]:
    return [f.kind for f in findings]  # type: ignore[attr-defined]


def test_healthy_configuration_has_no_findings() -> None:
    cert = CertFact("c1", NOW + timedelta(days=90), "deployed")
    assert domain_findings(config(certs=(cert,)), now=NOW) == []
    assert zone_findings(ZoneFact("zone-1", "example.com", "active", "active")) == []
    assert cname_findings(CnameFact(HOST, "active", "x.eo.dnse1.com")) == []


@pytest.mark.parametrize(
    ("changes", "kind", "codes"),
    [
        ({"protocol": "HTTP", "http_port": 443}, "pull_http_to_443", (400, 502, 520)),
        ({"protocol": "HTTPS", "https_port": 80}, "pull_https_to_80", (525,)),
        ({"protocol": "FOLLOW", "https_port": 80}, "pull_https_to_80", (525,)),
    ],
    ids=["http-443", "https-80", "follow-https-80"],
)
def test_protocol_against_port(
    changes: dict[str, object], kind: str, codes: tuple[int, ...]
) -> None:
    (finding,) = domain_findings(config(**changes), now=NOW)
    assert (finding.kind, finding.severity, finding.side, finding.codes) == (
        kind,
        "problem",
        "origin",
        codes,
    )
    follow = "for clients that use" in str(finding.text)
    assert follow == (changes["protocol"] == "FOLLOW")
    # HTTP to 443 is not a finding when the pull is HTTPS, and HTTPS to 80 not when it is HTTP.
    assert domain_findings(config(protocol="HTTPS", http_port=443), now=NOW) == []
    assert domain_findings(config(protocol="HTTP", https_port=80), now=NOW) == []


@pytest.mark.parametrize(
    ("cert", "kind", "severity"),
    [
        (CertFact("c", NOW + timedelta(days=13), "deployed"), "cert_expiring", "warning"),
        (CertFact("c", NOW + timedelta(hours=5), "deployed"), "cert_expiring", "warning"),
        (CertFact("c", NOW - timedelta(days=2), "deployed"), "cert_expired", "problem"),
        (CertFact("c", NOW + timedelta(days=90), "failed"), "cert_failed", "problem"),
        (CertFact("c", NOW + timedelta(days=90), "issued"), "cert_failed", "problem"),
    ],
    ids=["13-days", "5-hours", "expired", "failed", "not-bound"],
)
def test_edge_certificate(cert: CertFact, kind: str, severity: str) -> None:
    (finding,) = domain_findings(config(certs=(cert,)), now=NOW)
    assert (finding.kind, finding.severity, finding.side) == (kind, severity, "edge")


def test_cert_expiry_wording() -> None:
    soon = CertFact("c", NOW + timedelta(hours=5), "deployed", alias="shop cert")
    (finding,) = domain_findings(config(certs=(soon,)), now=NOW)
    assert str(finding.text) == (
        "The edge certificate shop cert of shop.example.com expires on 2025-03-04 (in 5 hours)"
    )
    later = CertFact("c", NOW + timedelta(days=30), "deployed")
    assert domain_findings(config(certs=(later,)), now=NOW, cert_days=31)[0].kind == (
        "cert_expiring"
    )


@pytest.mark.parametrize(
    ("status", "kind", "severity"),
    [
        ("offline", "domain_offline", "problem"),
        ("init", "domain_inactive", "problem"),
        ("process", "domain_deploying", "info"),
    ],
)
def test_domain_status(status: str, kind: str, severity: str) -> None:
    (finding,) = domain_findings(config(status=status), now=NOW)
    assert (finding.kind, finding.severity) == (kind, severity)


@pytest.mark.parametrize(
    "zone",
    [
        ZoneFact("zone-1", "example.com", "active", "paused", paused=True),
        ZoneFact("zone-1", "example.com", "active", "inactive"),
        ZoneFact("zone-1", "example.com", "deactivated", "active"),
    ],
    ids=["paused", "inactive", "banned"],
)
def test_zone_not_serving(zone: ZoneFact) -> None:
    (finding,) = zone_findings(zone)
    assert finding.kind == "zone_not_serving"
    assert finding.side == "edge"


@pytest.mark.parametrize(
    ("status", "kind"), [("moved", "cname_moved"), ("invalid", "cname_invalid")]
)
def test_cname(status: str, kind: str) -> None:
    (finding,) = cname_findings(CnameFact(HOST, status, "shop.example.com.eo.dnse1.com"))  # type: ignore[arg-type]
    assert (finding.kind, finding.side) == (kind, "dns")
    assert "shop.example.com.eo.dnse1.com" in str(finding.text)


def _acl(planned: PlannedACL | None = None, **kw: object) -> OriginACLFact:
    base: dict[str, object] = {
        "status": "online",
        "hosts": (HOST,),
        "version": "v3",
        "current": AddressSet(("43.174.0.0/15", "101.33.0.0/19"), ("240d:c000::/28",)),
        "planned": planned,
    }
    base.update(kw)
    return OriginACLFact(**base)  # type: ignore[arg-type]


def test_acl_on_names_the_ranges_to_allow() -> None:
    (finding,) = acl_findings(_acl(), domain=HOST, now=NOW)
    assert finding.kind == "acl_on"
    assert "must allow EdgeOne's 3 origin-pull ranges (version v3)" in str(finding.text)
    assert acl_findings(_acl(status="offline"), domain=HOST, now=NOW) == []
    assert acl_findings(_acl(), domain="other.example.com", now=NOW) == []  # not protected


def test_acl_planned_change_with_date_and_ranges() -> None:
    added = tuple(f"10.{i}.0.0/16" for i in range(14))
    planned = PlannedACL(
        "v4",
        datetime(2025, 3, 18, 2, 0, tzinfo=UTC),
        AddressSet(added),
        AddressSet(("101.33.0.0/19",)),
    )
    _, change = acl_findings(_acl(planned), domain=HOST, now=NOW)
    assert change.kind == "acl_change_planned"
    assert change.severity == "warning"
    assert str(change.text).startswith(
        "EdgeOne changes its origin-pull ranges on 2025-03-18 02:00 UTC: add 10.0.0.0/16, "
    )
    assert str(change.text).endswith("and 2 more to the origin firewall; 1 range removed")
    overdue = PlannedACL(
        "v4", NOW - timedelta(days=1), AddressSet(("43.176.0.0/16",)), AddressSet()
    )
    _, change = acl_findings(_acl(overdue), domain=HOST, now=NOW)
    assert "(already due)" in str(change.text)


@pytest.mark.parametrize(
    ("kw", "words", "side"),
    [
        ({"server": "cloudflare"}, "Cloudflare answered (Server: cloudflare)", "dns"),
        ({"cname": CnameFact(HOST, "moved")}, "no longer points at EdgeOne", "dns"),
        ({"dns_on_edgeone": True}, "rewrote the answer (hijack)", "network"),
        ({"cname": CnameFact(HOST, "active")}, "answer is stale", "dns"),
        ({}, "stale DNS, another CDN in front, or a rewritten DNS answer", "dns"),
    ],
    ids=["other-cdn", "cname-moved", "hijack", "stale", "unknown"],
)
def test_answering_ip_not_edgeone_says_which_explanation_fits(
    kw: dict[str, object], words: str, side: str
) -> None:
    (finding,) = edge_ip_findings(EdgeIPFact("198.51.100.20", False), **kw)  # type: ignore[arg-type]
    assert finding.kind == "not_edge_ip"
    assert str(finding.text).startswith(
        "198.51.100.20, the address that answered, is not an EdgeOne"
    )
    assert words in str(finding.text)
    assert finding.side == side


def test_answering_ip_is_edgeone_confirms() -> None:
    (finding,) = edge_ip_findings(EdgeIPFact("43.175.1.10", True), server="cloudflare")
    assert (finding.kind, finding.severity) == ("edge_ip", "info")


@pytest.mark.parametrize(
    ("record", "side", "words"),
    [
        (
            EdgeLogRecord("1", edge_status=522, edge_exception="upstream_connect_failed"),
            "origin",
            "EdgeOne got no answer from the origin (upstream_connect_failed)",
        ),
        (
            EdgeLogRecord("1", edge_status=502, origin_status=502, origin_ms=31.0),
            "origin",
            "the origin answered 502 after 31 ms",
        ),
        (EdgeLogRecord("1", edge_status=504, origin_status=200), "edge", "the origin answered 200"),
        (
            EdgeLogRecord("1", edge_status=403, origin_status=None, security_action="Deny"),
            "edge",
            "a security rule acted (Deny)",
        ),
    ],
    ids=["52x-no-origin", "origin-5xx", "edge-5xx", "waf"],
)
def test_edge_log_line(record: EdgeLogRecord, side: str, words: str) -> None:
    (finding,) = log_findings(LogsFact("1", "found", record=record))
    assert finding.kind == "edge_log"
    assert finding.side == side
    assert words in str(finding.text)
    assert finding.codes == (record.edge_status,)
    assert log_findings(LogsFact("1", "not_yet")) == []


def test_origin_checks_follow_the_pull_protocol() -> None:
    (https,) = origin_checks(config(https_port=8443), host=HOST, scheme="https")
    assert (https.scheme, https.port, https.look_for) == ("https", 8443, ("plain_http",))
    (http,) = origin_checks(config(http_port=8080), host=HOST, scheme="http")
    assert (http.scheme, http.port, http.look_for) == ("http", 8080, ())
    (forced,) = origin_checks(
        config(protocol="HTTP", host_header="b.example.net"), host=HOST, scheme="https"
    )
    assert (forced.scheme, forced.port, forced.look_for) == ("http", 80, ("host_header",))
    assert (
        origin_checks(config(origin_type="ORIGIN_GROUP", origin="og-1"), host=HOST, scheme="https")
        == ()
    )
    v6 = OriginToCheck("2001:db8::1", 443, "https", HOST, HOST)
    assert v6.origin_arg == "[2001:db8::1]:443"
    assert v6.url("/x") == "https://shop.example.com/x"


# ------------------------------------------------------------------------------- the origin
# What the wiring will do: probe the configured origin through the probe and read the result.


def _settings() -> ProbeSettings:
    return ProbeSettings(
        policy=LOOPBACK, deadline=5, connect_timeout=2, tls_timeout=2, read_timeout=2
    )


async def _probe(check: OriginToCheck, settings: ProbeSettings) -> object:
    report = await probe(check.url("/"), origin=check.origin_arg, settings=settings)
    assert report.origin is not None
    return report.origin


async def test_https_pull_to_a_port_that_speaks_http() -> None:
    with PlainOnTLSPortServer() as server:
        (check,) = origin_checks(
            config(origin="127.0.0.1", https_port=server.port), host=HOST, scheme="https"
        )
        result = await _probe(check, _settings())
    (finding,) = origin_findings(check, result=result)  # type: ignore[arg-type]
    assert finding.kind == "origin_speaks_http"
    assert finding.codes == (525,)
    assert f"127.0.0.1:{server.port}, but that port speaks plain HTTP" in str(finding.text)


async def test_host_header_the_origin_does_not_serve() -> None:
    def vhosts(req: object) -> Response:
        host = getattr(req, "host", "") or ""
        if host.startswith("backend.example.net"):
            return Response(421, {"Content-Type": "text/plain"}, b"misdirected")
        return Response(200, {"Content-Type": "text/plain"}, b"ok")

    with HTTPServer({"/": vhosts}) as server:
        domain = config(
            origin="127.0.0.1", http_port=server.port, host_header="backend.example.net"
        )
        (check,) = origin_checks(domain, host=HOST, scheme="http")
        result = await _probe(check, _settings())
        public_check = OriginToCheck("127.0.0.1", server.port, "http", HOST, HOST)
        public = await _probe(public_check, _settings())
    (finding,) = origin_findings(check, result=result, public=public)  # type: ignore[arg-type]
    assert finding.kind == "origin_host_not_served"
    assert finding.severity == "problem"
    assert str(finding.text) == (
        "EdgeOne sends Host backend.example.net to the origin, which answers 421 for it, while "
        "it answers 200 for shop.example.com: the origin does not serve that name"
    )


async def test_origin_that_answers_is_reported() -> None:
    with HTTPServer() as server:
        (check,) = origin_checks(
            config(origin="127.0.0.1", http_port=server.port), host=HOST, scheme="http"
        )
        result = await _probe(check, _settings())
    (finding,) = origin_findings(check, result=result)  # type: ignore[arg-type]
    assert (finding.kind, finding.severity) == ("origin_answers", "info")


async def test_origin_refusing_connections() -> None:
    (check,) = origin_checks(
        config(origin="127.0.0.1", http_port=closed_port()), host=HOST, scheme="http"
    )
    result = await _probe(check, _settings())
    (finding,) = origin_findings(check, result=result)  # type: ignore[arg-type]
    assert (finding.kind, finding.codes) == ("origin_unreachable", (521,))


async def test_refused_origin_is_reported_not_probed() -> None:
    """The configured origin goes through the probe's own policy: private addresses are not
    reached unless the deployment allows them."""
    (check,) = origin_checks(config(origin="10.0.0.5"), host=HOST, scheme="https")
    # Refused while parsing, before any name is resolved or any packet sent.
    with pytest.raises(TargetRefused) as refused:
        await probe(check.url("/"), origin=check.origin_arg, settings=ProbeSettings())
    (finding,) = origin_findings(check, refused=str(refused.value))
    assert finding.kind == "origin_not_probed"
    # The probe's own words for the refusal are English only: quoted as code in any language.
    assert "10.0.0.5:443 was not probed: `10.0.0.5 is a private" in str(finding.text)
