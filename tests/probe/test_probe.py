"""The probe against real servers on loopback, one test per failure mode.

Loopback is let through the same allow-network setting a deployment would use for internal origins.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from bot.probe.runner import ProbeSettings, probe
from bot.probe.safety import ProbePolicy
from tests.servers import (
    CloseAfterRequestServer,
    DNSServer,
    FakeEdge,
    FullBacklogServer,
    HTTPServer,
    OriginSpec,
    PlainOnTLSPortServer,
    ResetAfterRequestServer,
    Response,
    SilentServer,
    SilentUDPServer,
    TLSFixtures,
    closed_port,
    cname,
)

LOOPBACK = ProbePolicy.from_strings(networks=["127.0.0.0/8", "::1/128"], ports=["1-65535"])


def settings(**kw: object) -> ProbeSettings:
    base = ProbeSettings(
        policy=LOOPBACK,
        connect_timeout=0.5,
        tls_timeout=0.5,
        read_timeout=0.5,
        dns_timeout=0.5,
        deadline=5.0,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def tls() -> Iterator[TLSFixtures]:
    with TLSFixtures() as fixtures:
        yield fixtures


async def test_healthy_http() -> None:
    with HTTPServer(headers={"Server": "nginx"}, body=b"hello") as srv:
        report = await probe(f"http://127.0.0.1:{srv.port}/x?y=1", settings=settings())
    edge = report.edge
    assert edge.connect.status == "ok"
    assert edge.connect.ip == "127.0.0.1"
    assert edge.http.status == "ok"
    assert edge.http.status_code == 200
    assert edge.http.headers["server"] == "nginx"
    assert edge.tls.status == "skipped"
    assert edge.failed_phase is None
    assert edge.timings.connect_ms is not None
    assert edge.timings.server_ms is not None
    assert edge.timings.total_ms >= edge.timings.connect_ms
    assert srv.requests[0].target == "/x?y=1"
    assert report.origin is None


async def test_closed_port_is_refused() -> None:
    port = closed_port()
    report = await probe(f"http://127.0.0.1:{port}/", settings=settings())
    assert report.edge.connect.status == "refused"
    assert report.edge.failed_phase == "connect"
    assert report.edge.http.status == "skipped"


async def test_full_accept_queue_times_out() -> None:
    with FullBacklogServer() as srv:
        report = await probe(f"http://127.0.0.1:{srv.port}/", settings=settings())
    assert report.edge.connect.status == "timeout"
    assert report.edge.failed_phase == "connect"


async def test_reset_after_request() -> None:
    with ResetAfterRequestServer() as srv:
        report = await probe(f"http://127.0.0.1:{srv.port}/", settings=settings())
    assert report.edge.connect.status == "ok"
    assert report.edge.http.status == "reset"
    assert report.edge.failed_phase == "http"


async def test_close_without_response() -> None:
    with CloseAfterRequestServer() as srv:
        report = await probe(f"http://127.0.0.1:{srv.port}/", settings=settings())
    assert report.edge.http.status == "closed"


async def test_silence_after_request() -> None:
    with SilentServer() as srv:
        report = await probe(f"http://127.0.0.1:{srv.port}/", settings=settings())
    assert report.edge.http.status == "timeout"
    assert report.edge.failed_phase == "http"
    assert not report.edge.deadline_hit


async def test_overall_deadline_cuts_a_slow_answer() -> None:
    with SilentServer() as srv:
        report = await probe(
            f"http://127.0.0.1:{srv.port}/", settings=settings(read_timeout=10, deadline=0.6)
        )
    assert report.edge.deadline_hit
    assert report.edge.http.status == "timeout"
    assert report.edge.timings.total_ms < 5000


async def test_plain_tcp_on_the_tls_port() -> None:
    with PlainOnTLSPortServer() as srv:
        report = await probe(f"https://127.0.0.1:{srv.port}/", settings=settings())
    assert report.edge.connect.status == "ok"
    assert report.edge.tls.status == "handshake_failed"
    assert report.edge.failed_phase == "tls"


async def test_valid_certificate_details(tls: TLSFixtures, dns_server: DNSServer) -> None:
    with HTTPServer(ssl_context=tls.server_context("valid")) as srv:
        report = await probe(
            f"https://localhost:{srv.port}/",
            settings=settings(
                ca_file=str(tls.client_ca_pem_path), nameservers=(dns_server.nameserver,)
            ),
        )
    t = report.edge.tls
    assert t.status == "ok", t
    assert t.version in {"TLSv1.2", "TLSv1.3"}
    assert t.cipher
    assert t.alpn == "http/1.1"
    assert t.cert is not None
    assert "localhost" in t.cert.sans
    assert t.cert.days_left > 0
    assert srv.requests[0].sni == "localhost"


@pytest.mark.parametrize(
    ("kind", "reason"),
    [("expired", "expired"), ("wrong_name", "hostname_mismatch"), ("untrusted", "untrusted")],
)
async def test_bad_certificates_are_reported_with_the_certificate(
    tls: TLSFixtures, dns_server: DNSServer, kind: str, reason: str
) -> None:
    with HTTPServer(ssl_context=tls.server_context(kind)) as srv:  # type: ignore[arg-type]
        report = await probe(
            f"https://localhost:{srv.port}/",
            settings=settings(
                ca_file=str(tls.client_ca_pem_path), nameservers=(dns_server.nameserver,)
            ),
        )
    t = report.edge.tls
    assert t.status == "cert_invalid"
    assert t.verify_error == reason
    assert t.cert is not None, "the failing certificate must still be reported"
    if kind == "expired":
        assert t.cert.days_left < 0
    if kind == "wrong_name":
        assert t.cert.sans == ("other.invalid",)
    assert report.edge.http.status == "skipped"


@pytest.fixture
def dns_server() -> Iterator[DNSServer]:
    zones = {
        "gone.test": "NXDOMAIN",
        "broken.test": "SERVFAIL",
        "quiet.test": "SILENT",
        "empty.test": "NODATA",
        "shop.test": cname("shop.test.eo.dnse1.com"),
        "shop.test.eo.dnse1.com": "127.0.0.1",
        "plain.test": "127.0.0.1",
        "localhost": "127.0.0.1",
        "dangling.test": cname("missing.eo.dnse2.com"),
    }
    with DNSServer(zones) as srv:
        yield srv


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("gone.test", "nxdomain"),
        ("broken.test", "servfail"),
        ("quiet.test", "timeout"),
        ("empty.test", "no_answer"),
    ],
)
async def test_dns_failures(dns_server: DNSServer, name: str, status: str) -> None:
    report = await probe(f"http://{name}/", settings=settings(nameservers=(dns_server.nameserver,)))
    assert report.edge.dns.status == status
    assert report.edge.failed_phase == "dns"
    assert report.edge.connect.status == "skipped"


async def test_silent_nameserver_times_out() -> None:
    with SilentUDPServer() as ns:
        report = await probe(
            "http://anything.test/", settings=settings(nameservers=((ns.host, ns.port),))
        )
    assert report.edge.dns.status == "timeout"
    assert ns.hits >= 1


async def test_cname_chain_into_edgeone(dns_server: DNSServer) -> None:
    with HTTPServer(port=0) as srv:
        report = await probe(
            f"http://shop.test:{srv.port}/",
            settings=settings(nameservers=(dns_server.nameserver,)),
        )
    dns = report.edge.dns
    assert dns.status == "ok"
    assert dns.addresses == ("127.0.0.1",)
    assert dns.cname_chain == ("shop.test.eo.dnse1.com",)
    assert dns.on_edgeone
    assert dns.edgeone_suffix == "eo.dnse1.com"
    assert srv.requests[0].host == f"shop.test:{srv.port}"


async def test_dangling_cname_shows_where_it_points(dns_server: DNSServer) -> None:
    report = await probe(
        "http://dangling.test/", settings=settings(nameservers=(dns_server.nameserver,))
    )
    assert report.edge.dns.status == "nxdomain"
    assert report.edge.dns.on_edgeone


async def test_plain_name_is_not_on_edgeone(dns_server: DNSServer) -> None:
    with HTTPServer() as srv:
        report = await probe(
            f"http://plain.test:{srv.port}/",
            settings=settings(nameservers=(dns_server.nameserver,)),
        )
    assert report.edge.dns.status == "ok"
    assert not report.edge.dns.on_edgeone


async def test_origin_probe_keeps_host_and_sni(tls: TLSFixtures, dns_server: DNSServer) -> None:
    with (
        HTTPServer(ssl_context=tls.server_context("valid"), body=b"edge") as edge,
        HTTPServer(ssl_context=tls.server_context("valid"), body=b"origin") as origin,
    ):
        report = await probe(
            f"https://localhost:{edge.port}/cart",
            origin=f"127.0.0.1:{origin.port}",
            settings=settings(
                nameservers=(dns_server.nameserver,), ca_file=str(tls.client_ca_pem_path)
            ),
        )
    assert report.origin is not None
    assert report.origin.http.status_code == 200
    assert report.origin.connect.port == origin.port
    seen = origin.requests[0]
    assert seen.sni == "localhost"
    assert seen.host == f"localhost:{edge.port}"
    assert seen.target == "/cart"


async def test_pages_error_name_in_body() -> None:
    body = b"<html><h1>504</h1><p>NODE_FUNCTION_INVOCATION_TIMEOUT</p></html>"
    with HTTPServer(status=504, body=body, headers={"Server": "edgeone-pages"}) as srv:
        report = await probe(f"http://127.0.0.1:{srv.port}/api", settings=settings())
    assert report.edge.http.error_name == "NODE_FUNCTION_INVOCATION_TIMEOUT"


async def test_status_names_only_when_known() -> None:
    body = b"<p>DEPLOYING</p>"
    with HTTPServer(status=423, body=body) as srv:
        url = f"http://127.0.0.1:{srv.port}/"
        plain = await probe(url, settings=settings())
        known = await probe(url, settings=settings(error_names=frozenset({"DEPLOYING"})))
    assert plain.edge.http.error_name is None
    assert known.edge.http.error_name == "DEPLOYING"


async def test_body_read_is_capped() -> None:
    with HTTPServer(body=b"x" * (1024 * 1024)) as srv:
        report = await probe(f"http://127.0.0.1:{srv.port}/", settings=settings())
    assert report.edge.http.body_bytes == 64 * 1024


async def test_redirect_is_reported_not_followed() -> None:
    with HTTPServer(sequence=[Response(status=301, headers={"Location": "http://10.0.0.1/"})]) as s:
        report = await probe(f"http://127.0.0.1:{s.port}/", settings=settings())
    assert report.edge.http.status_code == 301
    assert report.edge.http.headers["location"] == "http://10.0.0.1/"
    assert s.hits == 1


class TestFakeEdge:
    """A small EdgeOne-like edge on loopback in front of loopback origins."""

    async def test_origin_failure_becomes_52x_with_uuid(self) -> None:
        port = closed_port()
        with FakeEdge({"shop.test": OriginSpec("127.0.0.1", port)}) as edge:
            report = await probe(f"http://127.0.0.1:{edge.port}/", settings=settings(), origin=None)
            assert report.edge.http.status_code == 418  # Host 127.0.0.1 is not a site
            named = await _probe_site(edge.port, "shop.test")
        assert named.edge.http.status_code == 521
        assert named.edge.http.eo_log_uuid
        assert named.edge.http.eo_log_uuid.isdigit()

    async def test_slow_origin_gives_524_and_origin_probe_sees_why(self) -> None:
        with (
            SilentServer() as origin,
            FakeEdge(
                {"shop.test": OriginSpec("127.0.0.1", origin.port)}, origin_timeout=0.3
            ) as edge,
        ):
            report = await _probe_site(edge.port, "shop.test", origin=f"127.0.0.1:{origin.port}")
        assert report.edge.http.status_code == 524
        assert report.origin is not None
        assert report.origin.http.status == "timeout"

    async def test_loop_gives_423(self) -> None:
        with FakeEdge({}) as edge:
            edge.sites["loop.test"] = OriginSpec("127.0.0.1", edge.port)
            report = await _probe_site(edge.port, "loop.test")
        assert report.edge.http.status_code == 423
        assert report.edge.http.eo_log_uuid


async def _probe_site(port: int, host: str, origin: str | None = None):  # type: ignore[no-untyped-def]
    with DNSServer({host: "127.0.0.1"}) as ns:
        return await probe(
            f"http://{host}:{port}/",
            origin=origin,
            settings=settings(nameservers=(ns.nameserver,)),
        )
