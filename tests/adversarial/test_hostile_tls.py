"""Hostile certificates: names that carry markup and reordering, and certificates the TLS library
accepts but the certificate parser refuses."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.knowledge import KnowledgeBase
from bot.probe.runner import probe
from bot.probe.tls import UNREADABLE, cert_info
from tests.adversarial.conftest import render_all, settings
from tests.servers import EVIL_MENTION, DNSServer, HostileCertKind, HostileCerts, HTTPServer


@pytest.fixture(scope="module")
def certs() -> Iterator[HostileCerts]:
    with HostileCerts() as made:
        yield made


@pytest.fixture
def dns_server() -> Iterator[DNSServer]:
    with DNSServer({"localhost": "127.0.0.1"}) as server:
        yield server


async def _probe(certs: HostileCerts, dns: DNSServer, kind: HostileCertKind):  # type: ignore[no-untyped-def]
    with HTTPServer(ssl_context=certs.server_context(kind), body=b"ok") as server:
        return await probe(
            f"https://localhost:{server.port}/",
            settings=settings(ca_file=certs.ca_pem_path, nameservers=(dns.nameserver,)),
        )


async def test_names_with_markup_and_bidi_are_reported_safely(
    certs: HostileCerts, dns_server: DNSServer, kb: KnowledgeBase
) -> None:
    report = await _probe(certs, dns_server, "odd_names")
    tls = report.edge.tls
    assert tls.status == "ok", tls
    assert tls.cert is not None
    assert EVIL_MENTION in tls.cert.sans
    assert "\u202e" in tls.cert.subject  # the data stays what the server sent
    rendered = render_all(report, kb)
    for text in (rendered.terminal, rendered.slack.text, rendered.blocks):
        assert "\u202e" not in text
    for text in (rendered.slack.text, rendered.blocks):
        assert EVIL_MENTION not in text
        assert "<!channel>" not in text
    assert "<U+202E>evil" in rendered.terminal
    assert "and 32 more" in rendered.terminal  # 42 names, ten listed


async def test_a_negative_serial_number_is_no_reason_to_fail(
    certs: HostileCerts, dns_server: DNSServer, kb: KnowledgeBase
) -> None:
    report = await _probe(certs, dns_server, "negative_serial")
    assert report.edge.tls.status == "ok"
    assert report.edge.tls.cert is not None
    assert report.edge.tls.cert.sans == ("localhost",)
    assert report.edge.http.status_code == 200
    render_all(report, kb)


async def test_a_certificate_the_parser_refuses_still_gives_a_result(
    certs: HostileCerts, dns_server: DNSServer, kb: KnowledgeBase
) -> None:
    report = await _probe(certs, dns_server, "non_der_boolean")
    assert report.edge.tls.status == "ok"  # OpenSSL verified it
    assert report.edge.tls.cert is None  # but it cannot be read for the report
    assert report.edge.http.status_code == 200
    render_all(report, kb)


@pytest.mark.parametrize(
    ("kind", "field"),
    [
        pytest.param("duplicate_extension", "sans", id="duplicate-extension"),
        pytest.param("bad_utf8_subject", "subject", id="bad-utf8-subject"),
    ],
)
def test_parts_of_a_certificate_that_cannot_be_read_are_named_so(
    certs: HostileCerts, kind: HostileCertKind, field: str
) -> None:
    info = cert_info(certs.der(kind))
    assert info is not None
    if field == "sans":
        assert info.sans == (UNREADABLE,)
        assert info.subject == "CN=QQQQQ"
    else:
        assert info.subject == UNREADABLE
        assert info.sans == ("localhost",)
