"""diagnose(): one test (or parametrized case) per rule, on ProbeReports built by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.diagnosis import Diagnosis, diagnose, has_edge_markers, iso_utc
from bot.knowledge import KnowledgeBase, Product
from bot.probe.models import (
    CertInfo,
    ConnectResult,
    DNSResult,
    HTTPResult,
    Lookup,
    ProbeReport,
    ProbeResult,
    Timings,
    TLSResult,
)

STARTED = datetime(2025, 3, 1, 12, 30, 5, tzinfo=UTC)
HOST = "www.example.com"
URL = f"https://{HOST}/api/items"
EDGE_IP = "203.0.113.7"
ORIGIN_IP = "198.51.100.20"
UUID = "4105283880544427145"
EO_CNAME = f"{HOST}.eo.dnse1.com"
LOOP = "TencentEdgeOne; loops=16"


# ---------------------------------------------------------------- builders (render tests use them)


def cert(*, days_left: int = 60, sans: tuple[str, ...] = (HOST,)) -> CertInfo:
    return CertInfo(
        subject=f"CN={sans[0] if sans else HOST}",
        sans=sans,
        issuer="CN=Example CA,O=Example",
        not_before=STARTED - timedelta(days=30),
        not_after=STARTED + timedelta(days=days_left),
        days_left=days_left,
    )


def dns_ok(*, on_edgeone: bool = True, chain: tuple[str, ...] | None = None) -> DNSResult:
    if chain is None:
        chain = (EO_CNAME,) if on_edgeone else ()
    return DNSResult(
        status="ok",
        addresses=(EDGE_IP,),
        cname_chain=chain,
        on_edgeone=on_edgeone,
        edgeone_suffix="eo.dnse1.com" if on_edgeone else None,
        ms=12.0,
    )


def tls_ok() -> TLSResult:
    return TLSResult(
        status="ok",
        version="TLSv1.3",
        cipher="TLS_AES_256_GCM_SHA384",
        alpn="http/1.1",
        cert=cert(),
        ms=30.0,
    )


def answer(
    status: int,
    *,
    uuid: str | None = UUID,
    server: str | None = None,
    headers: dict[str, str] | None = None,
    error_name: str | None = None,
    ttfb: float = 84.0,
) -> HTTPResult:
    all_headers = dict(headers or {})
    if uuid:
        all_headers["eo-log-uuid"] = uuid
    if server:
        all_headers["server"] = server
    return HTTPResult(
        status="ok",
        status_code=status,
        http_version="HTTP/1.1",
        ttfb_ms=ttfb,
        transfer_ms=3.0,
        headers=all_headers,
        eo_log_uuid=uuid,
        error_name=error_name,
        body_bytes=512,
    )


def result(
    http: HTTPResult,
    *,
    dns: DNSResult | None = None,
    connect: ConnectResult | None = None,
    tls: TLSResult | None = None,
    target: str = HOST,
    ip: str = EDGE_IP,
    url: str = URL,
    failed_phase: Any = None,
) -> ProbeResult:
    dns = dns or dns_ok()
    connect = connect or ConnectResult(status="ok", ip=ip, port=443, ms=20.0)
    tls = tls or tls_ok()
    return ProbeResult(
        url=url,
        host=HOST,
        scheme="https",
        port=443,
        target=target,
        started_at=STARTED,
        dns=dns,
        connect=connect,
        tls=tls,
        http=http,
        timings=Timings(
            dns_ms=dns.ms,
            connect_ms=connect.ms,
            tls_ms=tls.ms,
            server_ms=http.ttfb_ms if http.status == "ok" else None,
            transfer_ms=http.transfer_ms,
            total_ms=sum(v or 0.0 for v in (dns.ms, connect.ms, tls.ms, http.ttfb_ms)),
        ),
        failed_phase=failed_phase,
    )


def edge(status: int, **kwargs: Any) -> ProbeResult:
    """An answer through EdgeOne (EO-LOG-UUID, CNAME on EdgeOne) unless told otherwise."""
    dns = kwargs.pop("dns", None)
    return result(answer(status, **kwargs), dns=dns)


def origin(status: int = 200, *, ttfb: float = 84.0) -> ProbeResult:
    return result(
        answer(status, uuid=None, server="nginx", ttfb=ttfb),
        dns=DNSResult(status="skipped", addresses=(ORIGIN_IP,), ms=0.0),
        target=ORIGIN_IP,
        ip=ORIGIN_IP,
    )


SKIP_TLS = TLSResult(status="skipped")
SKIP_HTTP = HTTPResult(status="skipped")


def failing(kind: str, *, on_edgeone: bool = False, target: str = HOST) -> ProbeResult:
    """A probe that failed in one phase; ``kind`` is "phase:status[:verify_error]"."""
    phase, status, *rest = kind.split(":")
    verify: Any = rest[0] if rest else None
    state: Any = status
    ip = ORIGIN_IP if target == ORIGIN_IP else EDGE_IP
    dns = (
        DNSResult(status="skipped", addresses=(ip,), ms=0.0)
        if target == ORIGIN_IP
        else dns_ok(on_edgeone=on_edgeone)
    )
    common: dict[str, Any] = {"dns": dns, "target": target, "ip": ip, "failed_phase": phase}
    if phase == "dns":
        common["dns"] = DNSResult(status=state, ms=40.0)
        common["connect"] = ConnectResult(status="skipped")
        common["tls"] = SKIP_TLS
    elif phase == "connect":
        ms = {"refused": 1.0, "timeout": 5000.0}.get(status)
        common["connect"] = ConnectResult(status=state, ip=ip, port=443, ms=ms, error="boom")
        common["tls"] = SKIP_TLS
    elif phase == "tls":
        sans = (HOST,) if verify != "hostname_mismatch" else ("*.cdn.myqcloud.com",)
        common["tls"] = TLSResult(
            status=state,
            verify_error=verify,
            cert=cert(days_left=-3 if verify == "expired" else 60, sans=sans) if verify else None,
            ms=25.0,
            error="certificate verify failed" if verify else "wrong version number",
        )
    else:
        return result(HTTPResult(status=state, error="peer said no"), **common)
    return result(SKIP_HTTP, **common)


def run(
    kb: KnowledgeBase,
    edge_result: ProbeResult,
    origin_result: ProbeResult | None = None,
    *,
    stated: int | None = None,
) -> Diagnosis:
    return diagnose(ProbeReport(edge=edge_result, origin=origin_result), kb, stated_code=stated)


def text(d: Diagnosis) -> str:
    return "\n".join([d.summary, *d.evidence, *d.next_steps])


# ---------------------------------------------------------------- edge markers


@pytest.mark.parametrize(
    ("probe", "expected"),
    [
        pytest.param(edge(200), True, id="eo-log-uuid"),
        pytest.param(
            edge(200, uuid=None, server="TencentEdgeOne", dns=dns_ok(on_edgeone=False)),
            True,
            id="server-tencentedgeone",
        ),
        pytest.param(
            edge(200, uuid=None, server="edgeone-pages", dns=dns_ok(on_edgeone=False)),
            True,
            id="server-edgeone-pages",
        ),
        pytest.param(edge(200, uuid=None, server="nginx"), True, id="cname-on-edgeone"),
        pytest.param(
            edge(200, uuid=None, server="nginx", dns=dns_ok(on_edgeone=False)), False, id="none"
        ),
    ],
)
def test_edge_markers(probe: ProbeResult, expected: bool) -> None:
    assert has_edge_markers(probe) is expected


# ---------------------------------------------------------------- phase failures of the target


@pytest.mark.parametrize(
    ("kind", "code", "fault"),
    [
        pytest.param("dns:nxdomain", 523, "dns", id="dns-nxdomain"),
        pytest.param("dns:servfail", 523, "dns", id="dns-servfail"),
        pytest.param("dns:timeout", 523, "dns", id="dns-timeout"),
        pytest.param("dns:no_answer", 523, "dns", id="dns-no-answer"),
        pytest.param("connect:refused", 521, "origin", id="connect-refused"),
        pytest.param("connect:timeout", 522, "network", id="connect-timeout"),
        pytest.param("connect:unreachable", 522, "network", id="connect-unreachable"),
        pytest.param("http:reset", 520, "origin", id="http-reset"),
        pytest.param("http:closed", 520, "origin", id="http-closed"),
        pytest.param("http:timeout", 524, "origin", id="http-timeout"),
        pytest.param("tls:handshake_failed", 525, "origin", id="tls-handshake"),
        pytest.param("tls:timeout", 525, "origin", id="tls-timeout"),
        pytest.param("tls:cert_invalid:expired", 525, "origin", id="tls-cert-expired"),
    ],
)
def test_failure_of_a_target_without_markers_names_the_pull_code(
    kb: KnowledgeBase, kind: str, code: int, fault: str
) -> None:
    d = run(kb, failing(kind))
    assert (d.code, d.fault, d.kb_id) == (code, fault, f"sa-{code}")
    assert d.product is Product.SITE_ACCELERATION
    assert "read as a probe of the origin" in d.summary
    assert any("no EdgeOne markers" in line for line in d.evidence)


def test_refused_evidence_is_concrete(kb: KnowledgeBase) -> None:
    d = run(kb, failing("connect:refused"))
    assert d.evidence[0] == f"TCP connect to {EDGE_IP}:443 refused after 1 ms"


def test_connect_timeout_says_packets_are_dropped(kb: KnowledgeBase) -> None:
    d = run(kb, failing("connect:timeout"))
    assert "timed out after 5000 ms (no SYN-ACK)" in d.evidence[0]


def test_dns_failure_evidence_names_the_rcode(kb: KnowledgeBase) -> None:
    d = run(kb, failing("dns:nxdomain"))
    assert d.evidence[0].startswith(f"DNS lookup of {HOST} failed: NXDOMAIN")


@pytest.mark.parametrize(
    ("verify", "words"),
    [
        pytest.param("expired", "expired (not after", id="expired"),
        pytest.param("hostname_mismatch", "hostname mismatch", id="hostname-mismatch"),
        pytest.param("untrusted", "untrusted issuer", id="untrusted"),
    ],
)
def test_invalid_origin_certificate_mentions_validation(
    kb: KnowledgeBase, verify: str, words: str
) -> None:
    d = run(kb, failing(f"tls:cert_invalid:{verify}", target=ORIGIN_IP))
    assert (d.code, d.fault) == (525, "origin")
    assert "origin certificate validation" in d.summary
    assert words in d.evidence[0]


def test_failure_of_the_edge_node_itself_is_no_pull_code(kb: KnowledgeBase) -> None:
    d = run(kb, failing("connect:timeout", on_edgeone=True))
    assert d.code is None
    assert d.kb_id is None
    assert d.fault == "network"
    assert any("points at EdgeOne" in line for line in d.evidence)
    assert "another network" in d.next_steps[0]


def test_edge_certificate_for_other_names_is_a_likely_418(kb: KnowledgeBase) -> None:
    d = run(kb, failing("tls:cert_invalid:hostname_mismatch", on_edgeone=True))
    assert (d.code, d.kb_id, d.fault) == (418, "sa-418", "edge")
    assert any("*.cdn.myqcloud.com" in line for line in d.evidence)


def test_failing_origin_probe_is_reported_with_a_failing_edge(kb: KnowledgeBase) -> None:
    d = run(kb, failing("connect:refused"), failing("connect:timeout", target=ORIGIN_IP))
    assert d.code == 521
    assert any(line.startswith(f"origin: TCP connect to {ORIGIN_IP}") for line in d.evidence)


# ---------------------------------------------------------------- EdgeOne answered 52x / 55x


@pytest.mark.parametrize(
    ("status", "kb_id", "fault"),
    [
        pytest.param(520, "sa-520", "origin", id="520"),
        pytest.param(521, "sa-521", "origin", id="521"),
        pytest.param(522, "sa-522", "network", id="522"),
        pytest.param(523, "sa-523", "dns", id="523"),
        pytest.param(524, "sa-524", "origin", id="524"),
        pytest.param(525, "sa-525", "origin", id="525"),
        pytest.param(552, "sa-522", "network", id="552-pair"),
        pytest.param(555, "sa-525", "origin", id="555-pair"),
    ],
)
def test_pull_code_without_origin_probe_uses_the_default_side(
    kb: KnowledgeBase, status: int, kb_id: str, fault: str
) -> None:
    d = run(kb, edge(status))
    assert (d.code, d.kb_id, d.fault) == (status, kb_id, fault)
    assert "--origin" in d.next_steps[0]
    assert "origin=" in d.next_steps[0]
    assert f"EO-LOG-UUID {UUID}" in d.evidence


@pytest.mark.parametrize(
    ("status", "origin_kind", "fault", "both_codes"),
    [
        pytest.param(521, "connect:refused", "origin", False, id="521-refused"),
        pytest.param(522, "connect:timeout", "network", False, id="522-timeout"),
        pytest.param(522, "connect:refused", "origin", True, id="522-but-refused"),
        pytest.param(520, "http:reset", "origin", False, id="520-reset"),
        pytest.param(524, "http:timeout", "origin", False, id="524-timeout"),
        pytest.param(525, "tls:cert_invalid:expired", "origin", False, id="525-cert"),
    ],
)
def test_pull_code_with_failing_origin(
    kb: KnowledgeBase, status: int, origin_kind: str, fault: str, both_codes: bool
) -> None:
    d = run(kb, edge(status), failing(origin_kind, target=ORIGIN_IP))
    assert (d.code, d.fault) == (status, fault)
    assert any(line.startswith("origin: ") for line in d.evidence)
    mentions_both = any("pattern while EdgeOne reported" in line for line in d.evidence)
    assert mentions_both is both_codes


def test_pull_code_with_slow_origin_blames_the_origin(kb: KnowledgeBase) -> None:
    d = run(kb, edge(524), origin(200, ttfb=21_000.0))
    assert (d.code, d.fault) == (524, "origin")
    assert "21.0 s" in d.summary
    assert "15.0 s" in d.summary


def test_pull_code_with_healthy_origin_blames_the_path(kb: KnowledgeBase) -> None:
    d = run(kb, edge(522), origin(200))
    assert (d.code, d.kb_id, d.fault) == (522, "sa-522", "network")
    assert "origin answered 200 in 84 ms" in d.evidence
    for words in ("origin-pull ranges", "port or protocol", "Host header"):
        assert words in d.summary


def test_525_with_expired_origin_certificate_explains_validation(kb: KnowledgeBase) -> None:
    d = run(kb, edge(525), failing("tls:cert_invalid:expired", target=ORIGIN_IP))
    assert "origin certificate validation" in d.summary


# ---------------------------------------------------------------- 418 / 423 / security / 545


@pytest.mark.parametrize(
    ("dns", "words"),
    [
        pytest.param(dns_ok(on_edgeone=True), "CNAME chain points at EdgeOne", id="on-edgeone"),
        pytest.param(
            dns_ok(on_edgeone=False, chain=("lb.other-cdn.net",)),
            "does not point at EdgeOne",
            id="cname-elsewhere",
        ),
    ],
)
def test_418_is_the_edge_with_dns_evidence(kb: KnowledgeBase, dns: DNSResult, words: str) -> None:
    d = run(kb, edge(418, dns=dns))
    assert (d.code, d.kb_id, d.fault) == (418, "sa-418", "edge")
    assert any(words in line for line in d.evidence)


@pytest.mark.parametrize(
    ("kwargs", "kb_id"),
    [
        pytest.param(
            {"headers": {"cdn-loop": "TencentEdgeOne; loops=16"}}, "sa-423", id="cdn-loop"
        ),
        pytest.param({}, "sa-423", id="no-cdn-loop"),
        pytest.param({"error_name": "DEPLOYING"}, "pages-423", id="deploying-body"),
        pytest.param({"server": "edgeone-pages"}, "pages-423", id="pages-server"),
    ],
)
def test_423_loop_or_pages_deploying(kb: KnowledgeBase, kwargs: dict[str, Any], kb_id: str) -> None:
    d = run(kb, edge(423, **kwargs))
    assert (d.code, d.kb_id, d.fault) == (423, kb_id, "edge")
    if "headers" in kwargs:
        assert f"CDN-Loop: {LOOP}" in d.evidence


def test_423_notes_an_origin_that_is_really_edgeone(kb: KnowledgeBase) -> None:
    looping = result(answer(200, uuid="99"), dns=DNSResult(status="skipped"), target=ORIGIN_IP)
    d = run(kb, edge(423), looping)
    assert any("leads back into EdgeOne" in line for line in d.evidence)


@pytest.mark.parametrize("status", [566, 567, 570], ids=str)
def test_security_and_platform_codes_are_the_edge(kb: KnowledgeBase, status: int) -> None:
    d = run(kb, edge(status))
    assert (d.code, d.kb_id, d.fault) == (status, f"sa-{status}", "edge")
    entry = kb.get(f"sa-{status}")
    assert entry is not None
    assert entry.title in d.summary


def test_545_is_the_customers_function(kb: KnowledgeBase) -> None:
    d = run(kb, edge(545))
    assert (d.code, d.kb_id, d.fault, d.product) == (
        545,
        "ef-545",
        "origin",
        Product.EDGE_FUNCTIONS,
    )


# ---------------------------------------------------------------- Pages error names


@pytest.mark.parametrize(
    ("status", "name", "kb_id", "fault"),
    [
        pytest.param(504, "NODE_FUNCTION_INVOCATION_TIMEOUT", "pages-504", "origin", id="timeout"),
        pytest.param(502, "CLOUD_FUNCTION_INVOCATION_FAILED", "pages-502", "origin", id="failed"),
        pytest.param(
            500, "INTERNAL_NODE_FUNCTION_ERROR", "pages-500-internal-error", "edge", id="internal"
        ),
        pytest.param(423, "DEPLOYING", "pages-423", "edge", id="deploying"),
        pytest.param(424, "FAILED", "pages-424", "edge", id="build-failed"),
        pytest.param(404, "NOT_FOUND", "pages-404", "edge", id="not-found"),
        pytest.param(410, "DELETED", "pages-410", "edge", id="deleted"),
        pytest.param(451, "UNAVAILABLE", "pages-451", "edge", id="banned"),
        pytest.param(401, "UNAUTHORIZED", "pages-401", "client", id="unauthorized"),
        # Quotas and rate limits of the plan: the account acts on them, not the client.
        pytest.param(429, "RATE_LIMIT_EXCEEDED", "pages-429-rate", "account", id="rate-limit"),
    ],
)
def test_pages_error_name_picks_the_pages_entry(
    kb: KnowledgeBase, status: int, name: str, kb_id: str, fault: str
) -> None:
    d = run(kb, edge(status, server="edgeone-pages", error_name=name))
    assert (d.code, d.kb_id, d.fault, d.product) == (status, kb_id, fault, Product.PAGES)
    assert any(name in line for line in d.evidence)


def test_unknown_error_name_falls_back_to_the_status(kb: KnowledgeBase) -> None:
    d = run(kb, edge(502, error_name="CLOUD_FUNCTION_SOMETHING_NEW"))
    assert d.kb_id == "sa-origin-502"
    assert any("not in the knowledge base" in line for line in d.evidence)


# ---------------------------------------------------------------- other 4xx / 5xx


@pytest.mark.parametrize(
    ("status", "kb_id"),
    [
        pytest.param(502, "sa-origin-502", id="502"),
        pytest.param(503, "sa-origin-503", id="503"),
        pytest.param(404, "sa-origin-404", id="404"),
    ],
)
def test_same_status_at_the_origin_is_passed_through(
    kb: KnowledgeBase, status: int, kb_id: str
) -> None:
    d = run(kb, edge(status), origin(status))
    assert (d.code, d.kb_id, d.fault) == (status, kb_id, "origin")
    assert f"origin answered {status} in 84 ms" in d.evidence


def test_healthy_origin_with_a_different_status_is_the_edge(kb: KnowledgeBase) -> None:
    d = run(kb, edge(403), origin(200))
    assert (d.code, d.kb_id, d.fault) == (403, "sa-403", "edge")
    assert "node produced the 403 itself" in d.summary


@pytest.mark.parametrize(
    ("status", "kb_id", "fault"),
    [
        pytest.param(500, "sa-origin-500", "origin", id="500"),
        pytest.param(502, "sa-origin-502", "origin", id="502"),
        pytest.param(503, "sa-origin-503", "origin", id="503"),
        pytest.param(504, "sa-origin-504", "origin", id="504"),
        pytest.param(400, "sa-400", "client", id="400"),
        pytest.param(403, "sa-403", "edge", id="403"),
        pytest.param(413, "sa-413", "client", id="413"),
        pytest.param(416, "sa-416", "client", id="416"),
    ],
)
def test_status_through_edgeone_without_origin_probe(
    kb: KnowledgeBase, status: int, kb_id: str, fault: str
) -> None:
    d = run(kb, edge(status))
    assert (d.code, d.kb_id, d.fault) == (status, kb_id, fault)
    assert "would confirm" in d.summary
    assert "--origin" in d.next_steps[0]


def test_status_without_edge_markers_is_the_origin(kb: KnowledgeBase) -> None:
    d = run(kb, edge(503, uuid=None, server="nginx", dns=dns_ok(on_edgeone=False)))
    assert (d.code, d.kb_id, d.fault) == (503, "sa-origin-503", "origin")
    assert "no EdgeOne markers" in d.summary


# ---------------------------------------------------------------- healthy and stated codes


def test_healthy_answer_has_no_code(kb: KnowledgeBase) -> None:
    d = run(kb, edge(200))
    assert (d.code, d.kb_id, d.fault) == (None, None, "none")
    assert "answers normally" in d.summary


def test_redirect_mentions_location(kb: KnowledgeBase) -> None:
    d = run(kb, edge(301, headers={"location": "https://example.com/new"}))
    assert d.fault == "none"
    assert "redirect: 301 to https://example.com/new" in d.summary
    # Not followed (it could lead anywhere): the next URL is named for a probe of its own.
    assert any(
        "probe https://example.com/new to see where it leads" in step for step in d.next_steps
    )


@pytest.mark.parametrize(
    ("location", "named"),
    [
        ("/login?next=%2F", "https://www.example.com/login?next=%2F"),
        ("//cdn.example.com/x", "https://cdn.example.com/x"),
        ("ftp://files.example.com/", None),
        ("javascript:alert(1)", None),
        ("https://[::1/x", None),
        ("https://www.example.com:99999/", None),
    ],
)
def test_redirect_step_names_only_a_web_url(
    kb: KnowledgeBase, location: str, named: str | None
) -> None:
    d = run(kb, edge(302, headers={"location": location}))
    steps = [s for s in d.next_steps if "does not follow redirects" in s]
    if named is None:
        assert steps == []
    else:
        assert len(steps) == 1
        assert f"probe {named} " in steps[0]


@pytest.mark.parametrize(
    "location",
    [
        URL,
        "/api/items",
        "HTTPS://WWW.Example.COM:443/api/items",
        "https://www.example.com./api/items#top",
        f" {URL} ",
    ],
)
def test_redirect_to_the_url_asked_is_a_loop(kb: KnowledgeBase, location: str) -> None:
    d = run(kb, edge(301, headers={"location": location}))
    assert (d.code, d.kb_id, d.fault) == (301, "sa-redirect-loop", "edge")
    assert "redirects the request to the very URL that was asked for" in d.summary
    assert f"Location: {location}" in d.evidence
    assert d.next_steps  # the entry's checks and fixes, not a healthy verdict's silence


@pytest.mark.parametrize(
    "location",
    [
        "http://www.example.com/api/items",  # another scheme: an HTTPS-to-HTTP hop, not proven
        "https://www.example.com/api/items/",
        "https://www.example.com/api/items?x=1",
        "https://www.example.com:8443/api/items",
        "https://example.com/api/items",
        "/login",
        "https://[::1/api/items",  # malformed: never taken for the same URL
        "javascript:alert(1)",
    ],
)
def test_redirect_elsewhere_stays_a_healthy_redirect(kb: KnowledgeBase, location: str) -> None:
    d = run(kb, edge(302, headers={"location": location}))
    assert (d.code, d.kb_id, d.fault) == (None, None, "none")


def test_redirect_loop_without_edgeone_is_the_server_itself(kb: KnowledgeBase) -> None:
    plain = edge(301, uuid=None, dns=dns_ok(on_edgeone=False), headers={"location": URL})
    d = run(kb, plain)
    assert (d.kb_id, d.fault) == ("sa-redirect-loop", "origin")


def test_redirect_loop_in_chinese(kb: KnowledgeBase) -> None:
    report = ProbeReport(edge=edge(308, headers={"location": URL}))
    d = diagnose(report, kb, language="zh")
    assert d.kb_id == "sa-redirect-loop"
    assert "重定向" in d.summary
    assert "redirects" not in d.summary


def test_healthy_edge_with_failing_origin_keeps_fault_none(kb: KnowledgeBase) -> None:
    d = run(
        kb,
        edge(200, headers={"eo-cache-status": "HIT"}),
        failing("connect:refused", target=ORIGIN_IP),
    )
    assert (d.code, d.fault) == (None, "none")
    assert "EO-Cache-Status: HIT" in d.evidence
    assert any("cache may be hiding an origin failure" in line for line in d.evidence)


def test_stated_code_not_reproduced_is_said_plainly_without_outage_steps(
    kb: KnowledgeBase,
) -> None:
    d = run(kb, edge(200), stated=522)
    # No code was observed; the entry for the stated code is only pointed at.
    assert (d.code, d.kb_id, d.fault) == (None, "sa-522", "none")
    assert (d.stated_code, d.reproduced) == (522, False)
    assert "answers now (200)" in d.summary
    assert "not reproduced" in d.summary
    assert any("--origin" in step for step in d.next_steps)
    entry = kb.get("sa-522")
    assert entry is not None
    outage = [*entry.fixes, *(c.command for c in entry.checks if c.command)]
    assert not any(item in step for item in outage for step in d.next_steps if item)
    assert not any("curl" in step or "nc -vz" in step for step in d.next_steps)


def test_stated_code_that_is_reproduced(kb: KnowledgeBase) -> None:
    d = run(kb, edge(522), stated=522)
    assert (d.code, d.stated_code, d.reproduced) == (522, 522, True)
    entry = kb.get("sa-522")
    assert entry is not None
    assert entry.fixes[0] in d.next_steps


def test_stated_code_that_differs_from_the_observation(kb: KnowledgeBase) -> None:
    d = run(kb, edge(521), stated=522)
    assert d.code == 521
    assert "you reported 522; this probe sees 521" in d.evidence


# ---------------------------------------------------------------- next steps and support


def test_next_steps_fill_kb_placeholders_with_real_values(kb: KnowledgeBase) -> None:
    d = run(kb, edge(521), failing("connect:refused", target=ORIGIN_IP))
    joined = "\n".join(d.next_steps)
    assert f"nc -vz -w 5 {ORIGIN_IP} 443" in joined
    assert len(d.next_steps) <= 3  # no probe-specific step here: only KB items, capped


def test_next_steps_come_from_the_kb_entry(kb: KnowledgeBase) -> None:
    d = run(kb, edge(522))
    entry = kb.get("sa-522")
    assert entry is not None
    assert d.next_steps[0].startswith("Re-run the probe")
    assert entry.fixes[0] in d.next_steps
    assert len(d.next_steps) == 4  # one probe-specific step plus three from the KB


def test_paths_unsafe_for_a_shell_are_left_as_placeholders(kb: KnowledgeBase) -> None:
    probe = result(answer(566), url=f"https://{HOST}/a;rm -rf")
    d = run(kb, probe)
    assert any("https://www.example.com/PATH" in step for step in d.next_steps)


def test_support_bundle(kb: KnowledgeBase) -> None:
    d = run(kb, edge(524))
    assert d.support.eo_log_uuid == UUID
    assert d.support.edge_ip == EDGE_IP
    assert d.support.time_utc == "2025-03-01T12:30:05Z"
    assert d.support.url == URL
    assert d.support.status_code == 524


def test_iso_utc_takes_naive_times_as_utc() -> None:
    assert iso_utc(datetime(2025, 1, 2, 3, 4, 5)) == "2025-01-02T03:04:05Z"


def test_every_diagnosis_text_is_short_and_free_of_placeholder_junk(kb: KnowledgeBase) -> None:
    for status in (200, 400, 403, 418, 423, 520, 522, 524, 545, 566):
        d = run(kb, edge(status))
        assert d.summary
        assert len(d.summary) < 700
        assert all(line and "None" not in line for line in d.evidence)
        assert "None" not in text(d)


def test_code_without_a_site_entry_borrows_no_other_products_entry(kb: KnowledgeBase) -> None:
    d = run(kb, edge(429))
    assert d.kb_id is None
    assert d.fault == "client"


def test_pages_site_without_error_name_uses_the_only_pages_entry(kb: KnowledgeBase) -> None:
    d = run(kb, edge(404, server="edgeone-pages"))
    assert (d.kb_id, d.fault) == ("pages-404", "edge")


# ---------------------------------------------------------------- commands, labels, wording


def test_next_steps_use_the_probed_scheme_host_and_port(kb: KnowledgeBase) -> None:
    probed = replace(
        failing("http:timeout"),
        url=f"http://{HOST}:8443/api/items",
        scheme="http",
        port=8443,
        tls=SKIP_TLS,
    )
    d = run(kb, probed)
    assert d.code == 524
    joined = "\n".join(d.next_steps)
    assert f"http://{HOST}:8443/api/items" in joined
    assert f"--connect-to {HOST}:8443:{EDGE_IP}:8443" in joined
    assert "https://" not in joined
    assert ":443" not in joined


def test_default_ports_are_left_out_of_urls(kb: KnowledgeBase) -> None:
    d = run(kb, failing("http:timeout"))
    joined = "\n".join(d.next_steps)
    assert f"https://{HOST}/api/items" in joined
    assert f"{HOST}:443/" not in joined


def test_a_filled_placeholder_is_never_described_as_one_to_replace(kb: KnowledgeBase) -> None:
    for probe in (edge(418), edge(523), failing("dns:nxdomain"), edge(522), edge(400)):
        for origin_result in (None, origin(200)):
            d = run(kb, probe, origin_result)
            for step in d.next_steps:
                words, _, command = step.partition(": `")
                if "(replace " in words:
                    named = words.split("(replace ", 1)[1].rstrip(")").split(", ")
                    assert all(name in command for name in named), step
    for entry in kb.entries:
        assert all("replace" not in check.what.lower() for check in entry.checks), entry.id


def test_an_unfilled_placeholder_is_named_once(kb: KnowledgeBase) -> None:
    d = run(kb, edge(523))  # no origin probe: the origin's name is unknown
    step = next(s for s in d.next_steps if "`" in s)
    assert "(replace ORIGIN_HOST)" in step
    assert "ORIGIN_HOST" in step.split("`")[1]


def test_edge_ip_labels_only_an_address_that_answered_as_edgeone(kb: KnowledgeBase) -> None:
    answered = run(kb, edge(524))
    assert answered.support.edge_ip == EDGE_IP
    plain = run(kb, edge(503, uuid=None, server="nginx", dns=dns_ok(on_edgeone=False)))
    assert plain.support.edge_ip is None
    assert plain.support.address == EDGE_IP
    # The name points at EdgeOne, but the node never answered.
    silent = run(kb, failing("connect:timeout", on_edgeone=True))
    assert silent.support.edge_ip is None
    assert silent.support.address == EDGE_IP
    assert not any("node IP" in step for step in silent.next_steps)


def test_timeouts_say_which_timeout_and_its_length(kb: KnowledgeBase) -> None:
    probe = replace(
        failing("http:timeout"),
        http=HTTPResult(
            status="timeout", ttfb_ms=15_000.0, error="no response within the read timeout (15 s)"
        ),
    )
    d = run(kb, probe)
    assert "read timeout (15 s)" in d.evidence[0]
    assert "15.0 s" in d.evidence[0]


def test_a_dropped_aaaa_lookup_is_noted_when_a_answered(kb: KnowledgeBase) -> None:
    dns = replace(
        dns_ok(),
        lookups=(
            Lookup(rtype="A", status="ok", addresses=(EDGE_IP,), ms=3.0),
            Lookup(rtype="AAAA", status="timeout", ms=500.0, error="no AAAA answer in time"),
        ),
    )
    d = run(kb, edge(200, dns=dns))
    assert any("AAAA lookup failed: no AAAA answer in time" in line for line in d.evidence)


@pytest.mark.parametrize(
    ("status", "words"),
    [
        pytest.param("cname_loop", "a CNAME loop", id="loop"),
        pytest.param("cname_too_long", "a CNAME chain too long", id="too-long"),
    ],
)
def test_cname_loops_and_long_chains_are_named(kb: KnowledgeBase, status: str, words: str) -> None:
    d = run(kb, failing(f"dns:{status}"))
    assert (d.code, d.fault) == (523, "dns")
    assert words in d.summary
    assert "SERVFAIL" not in d.summary


def test_an_eo_log_uuid_that_is_not_edgeones_is_no_marker(kb: KnowledgeBase) -> None:
    probe = edge(502, uuid=None, headers={"eo-log-uuid": "<@U0EVIL>"}, dns=dns_ok(on_edgeone=False))
    assert not has_edge_markers(probe)
    d = run(kb, probe)
    assert d.support.eo_log_uuid is None
