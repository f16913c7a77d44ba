"""Each loopback test server does what it claims, checked with plain socket/ssl/dnspython."""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
import threading
import time
from collections.abc import Iterator, Mapping

import dns.asyncresolver
import dns.nameserver
import dns.resolver
import pytest

from tests.servers import (
    CanaryServer,
    CloseAfterRequestServer,
    DNSServer,
    FakeEdge,
    FullBacklogServer,
    HTTPServer,
    OriginSpec,
    PlainOnTLSPortServer,
    Records,
    ResetAfterRequestServer,
    Response,
    ServerCertKind,
    SilentServer,
    SilentUDPServer,
    TLSCloseServer,
    TLSFixtures,
    ZoneValue,
    closed_port,
    cname,
    redirect_to,
    wait_until,
)

# --- helpers ------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _no_leaked_threads() -> Iterator[None]:
    yield
    leaked = [t.name for t in threading.enumerate() if t.name.startswith("eo-test-")]
    assert leaked == []


@pytest.fixture(scope="module")
def tls() -> Iterator[TLSFixtures]:
    with TLSFixtures() as fixtures:
        yield fixtures


def connect(
    host: str,
    port: int,
    *,
    timeout: float = 1.0,
    ctx: ssl.SSLContext | None = None,
    server_hostname: str | None = None,
) -> socket.socket:
    sock = socket.create_connection((host, port), timeout=timeout)
    if ctx is None:
        return sock
    try:
        return ctx.wrap_socket(sock, server_hostname=server_hostname or host)
    except BaseException:
        sock.close()
        raise


def request_bytes(host: str, path: str = "/", headers: Mapping[str, str] | None = None) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Read one Content-Length-framed response; header names lower-cased."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed after {data!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(lines[0].split(" ")[1]), headers, body


def get(
    host: str,
    port: int,
    path: str = "/",
    *,
    host_header: str | None = None,
    headers: Mapping[str, str] | None = None,
    ctx: ssl.SSLContext | None = None,
    server_hostname: str | None = None,
    timeout: float = 2.0,
) -> tuple[int, dict[str, str], bytes]:
    with connect(host, port, timeout=timeout, ctx=ctx, server_hostname=server_hostname) as sock:
        sock.sendall(request_bytes(host_header or host, path, headers))
        return read_response(sock)


def resolver_for(
    server: DNSServer | SilentUDPServer, timeout: float = 0.5
) -> dns.asyncresolver.Resolver:
    r = dns.asyncresolver.Resolver(configure=False)
    r.nameservers = [dns.nameserver.Do53Nameserver(server.host, port=server.port)]
    r.timeout = r.lifetime = timeout
    return r


# --- tcp.py -------------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
def test_closed_port_refuses(host: str) -> None:
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((host, closed_port(host)), timeout=1).close()


def test_servers_refuse_non_loopback_addresses() -> None:
    with pytest.raises(ValueError, match="loopback"):
        HTTPServer(host="0.0.0.0")
    with pytest.raises(ValueError, match="loopback"):
        closed_port("192.0.2.1")
    with pytest.raises(ValueError, match="loopback"):
        OriginSpec("192.0.2.1", 80)


def test_full_backlog_connect_times_out() -> None:
    with FullBacklogServer() as srv:
        assert srv.fillers >= 1
        with pytest.raises(TimeoutError):
            socket.create_connection(srv.address, timeout=0.3).close()
        assert srv.hits == 0


def test_reset_after_request() -> None:
    with ResetAfterRequestServer() as srv, connect(*srv.address) as sock:
        sock.sendall(request_bytes("origin.test"))
        with pytest.raises(ConnectionResetError):
            sock.recv(1024)
    assert srv.hits == 1
    assert srv.received[0].startswith(b"GET / HTTP/1.1\r\n")


def test_reset_after_request_over_tls(tls: TLSFixtures) -> None:
    # TLS over a raw socket through memory BIOs, so the RST is seen as it is on the wire (Python's
    # SSLSocket reports a reset after TLS 1.3 session tickets as SSLEOFError; asyncio, hence httpx,
    # sees ConnectionResetError from the raw socket).
    with (
        ResetAfterRequestServer(ssl_context=tls.server_context()) as srv,
        connect(*srv.address) as sock,
    ):
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls_obj = tls.client_ssl_context().wrap_bio(incoming, outgoing, server_hostname="localhost")
        while True:
            try:
                tls_obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                sock.sendall(outgoing.read())
                incoming.write(sock.recv(65536))
        tls_obj.write(request_bytes("origin.test"))
        sock.sendall(outgoing.read())
        with pytest.raises(ConnectionResetError):  # noqa: PT012
            while sock.recv(65536):  # session tickets, then the reset
                pass
    assert srv.received[0].startswith(b"GET / ")


def test_reset_after_client_hello_on_plain_port(tls: TLSFixtures) -> None:
    with ResetAfterRequestServer() as srv, pytest.raises(ConnectionResetError):
        connect(*srv.address, ctx=tls.client_ssl_context()).close()
    assert srv.received[0][:1] == b"\x16"


def test_close_after_request() -> None:
    with CloseAfterRequestServer() as srv, connect(*srv.address) as sock:
        sock.sendall(request_bytes("origin.test"))
        assert sock.recv(1024) == b""
    assert srv.hits == 1


def test_close_after_request_over_tls(tls: TLSFixtures) -> None:
    with (
        CloseAfterRequestServer(ssl_context=tls.server_context()) as srv,
        connect(*srv.address, ctx=tls.client_ssl_context()) as sock,
    ):
        sock.sendall(request_bytes("origin.test"))
        assert sock.recv(1024) == b""


def test_silent_after_request() -> None:
    with SilentServer() as srv, connect(*srv.address, timeout=0.3) as sock:
        sock.sendall(request_bytes("origin.test"))
        with pytest.raises(TimeoutError):
            sock.recv(1024)
        assert srv.hits == 1
        assert srv.received == [request_bytes("origin.test")]


def test_silent_before_read_stalls_tls_handshake(tls: TLSFixtures) -> None:
    with SilentServer(ssl_context=tls.server_context(), silent_before_read=True) as srv:
        with pytest.raises(TimeoutError):
            connect(*srv.address, timeout=0.3, ctx=tls.client_ssl_context()).close()
        assert srv.received == []


def test_canary_counts_hits() -> None:
    with CanaryServer() as srv:
        assert srv.hits == 0
        status, _, body = get(*srv.address)
        assert (status, body, srv.hits) == (200, b"canary", 1)


# --- http.py ------------------------------------------------------------------------------------


def test_http_routes_headers_and_recording() -> None:
    routes = {"/missing": Response(404, {"X-Test": "yes"}, b"nope")}
    with HTTPServer(routes, headers={"Server": "nginx"}, body=b"hello") as srv:
        with connect(*srv.address) as sock:  # two requests on one keep-alive connection
            sock.sendall(request_bytes("shop.example.test", "/?q=1", {"X-A": "1"}))
            assert read_response(sock)[::2] == (200, b"hello")
            sock.sendall(request_bytes("shop.example.test", "/missing"))
            status, headers, body = read_response(sock)
        assert (status, headers["x-test"], body) == (404, "yes", b"nope")
        assert (srv.hits, srv.connections) == (2, 1)
        first = srv.requests[0]
        assert (first.method, first.target, first.path) == ("GET", "/?q=1", "/")
        assert first.host == "shop.example.test"
        assert first.headers["x-a"] == "1"
        assert srv.url == f"http://127.0.0.1:{srv.port}"
        assert srv.errors == []


def test_http_first_byte_delay() -> None:
    with HTTPServer(first_byte_delay=0.3) as srv:
        start = time.monotonic()
        assert get(*srv.address)[0] == 200
        assert time.monotonic() - start >= 0.3
        with connect(*srv.address, timeout=0.1) as sock:
            sock.sendall(request_bytes("x"))
            with pytest.raises(TimeoutError):
                sock.recv(1024)


def test_http_sequence_and_actions() -> None:
    sequence = [Response(503), Response(action="reset"), Response(200, body=b"fine")]
    with HTTPServer(sequence=sequence) as srv:
        assert get(*srv.address)[0] == 503
        with pytest.raises(ConnectionResetError):
            get(*srv.address)
        assert get(*srv.address)[::2] == (200, b"fine")
        assert get(*srv.address)[0] == 200  # the last response repeats


def test_http_redirect_and_set_route() -> None:
    with HTTPServer({"/old": redirect_to("https://shop.example.test/new", 301)}) as srv:
        status, headers, _ = get(*srv.address, "/old")
        assert (status, headers["location"]) == (301, "https://shop.example.test/new")
        srv.set_route("/old", Response(410))
        assert get(*srv.address, "/old")[0] == 410


def test_http_tls_records_sni(tls: TLSFixtures) -> None:
    with HTTPServer(ssl_context=tls.server_context()) as srv:
        ctx = tls.client_ssl_context()
        status, _, _ = get(*srv.address, ctx=ctx, server_hostname="shop.example.test")
        assert status == 200
        assert srv.url.startswith("https://")
        req = srv.requests[0]
        assert (req.tls, req.sni, req.host) == (True, "shop.example.test", "127.0.0.1")


def test_http_on_ipv6_loopback() -> None:
    with HTTPServer(host="::1") as srv:
        assert srv.url == f"http://[::1]:{srv.port}"
        assert get("::1", srv.port)[0] == 200


async def test_http_many_concurrent_slow_clients() -> None:
    with HTTPServer(first_byte_delay=0.5) as srv:

        async def one() -> bytes:
            reader, writer = await asyncio.open_connection(*srv.address)
            try:
                writer.write(request_bytes("x", headers={"Connection": "close"}))
                return await reader.read()
            finally:
                writer.close()
                await writer.wait_closed()

        start = time.monotonic()
        answers = await asyncio.gather(*(one() for _ in range(200)))
        elapsed = time.monotonic() - start
    assert all(a.startswith(b"HTTP/1.1 200 ") for a in answers)
    assert elapsed < 1.5
    assert srv.hits == 200


# --- tls.py -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["localhost", "127.0.0.1", "origin.test", "shop.example.test"])
def test_tls_valid_certificate(tls: TLSFixtures, name: str) -> None:
    with HTTPServer(ssl_context=tls.server_context("valid")) as srv:
        assert get(*srv.address, ctx=tls.client_ssl_context(), server_hostname=name)[0] == 200


@pytest.mark.parametrize(
    ("kind", "verify_code"), [("expired", 10), ("wrong_name", 62), ("untrusted", 20)]
)
def test_tls_bad_certificates(tls: TLSFixtures, kind: ServerCertKind, verify_code: int) -> None:
    with HTTPServer(ssl_context=tls.server_context(kind)) as srv:
        with pytest.raises(ssl.SSLCertVerificationError) as info:
            connect(*srv.address, ctx=tls.client_ssl_context(), server_hostname="origin.test")
        assert info.value.verify_code == verify_code
        assert srv.hits == 0
        assert wait_until(lambda: srv.tls_failures == 1)


def test_tls_client_ca_pem_path() -> None:
    fixtures = TLSFixtures()
    path = fixtures.client_ca_pem_path
    with HTTPServer(ssl_context=fixtures.server_context()) as srv:
        ctx = ssl.create_default_context(cafile=path)
        assert get(*srv.address, ctx=ctx, server_hostname="localhost")[0] == 200
    fixtures.close()
    assert not os.path.exists(path)


def test_plain_on_tls_port(tls: TLSFixtures) -> None:
    with PlainOnTLSPortServer() as srv:
        with pytest.raises(ssl.SSLError, match="wrong version number"):
            connect(*srv.address, ctx=tls.client_ssl_context()).close()
        assert srv.tls_attempts == 1
        assert get(*srv.address)[::2] == (200, b"plain")


def test_tls_close_during_handshake(tls: TLSFixtures) -> None:
    with TLSCloseServer() as srv:
        with pytest.raises(ssl.SSLEOFError):
            connect(*srv.address, ctx=tls.client_ssl_context()).close()
        assert srv.hits == 1


# --- dns.py -------------------------------------------------------------------------------------

ZONES: dict[str, ZoneValue] = {
    "www.shop.test": cname("www.shop.test.eo.dnse1.com"),
    "www.shop.test.eo.dnse1.com": Records(a=["127.0.0.1"], aaaa=["::1"]),
    "v4only.test": "127.0.0.2",
    "dangling.test": cname("gone.test"),
    "nx.test": "NXDOMAIN",
    "servfail.test": "SERVFAIL",
    "refused.test": "REFUSED",
    "nodata.test": "NODATA",
    "silent.test": "SILENT",
}


async def test_dns_cname_chain_for_a_and_aaaa() -> None:
    with DNSServer(ZONES) as srv:
        r = resolver_for(srv)
        a = await r.resolve("www.shop.test", "A")
        assert [x.to_text() for x in a] == ["127.0.0.1"]
        assert [c.to_text() for c in a.chaining_result.cnames[0]] == ["www.shop.test.eo.dnse1.com."]
        aaaa = await r.resolve("WWW.shop.test.", "AAAA")
        assert [x.to_text() for x in aaaa] == ["::1"]
        assert srv.queries[:2] == [("www.shop.test", "A"), ("www.shop.test", "AAAA")]
        assert [x.to_text() for x in await r.resolve("v4only.test", "A")] == ["127.0.0.2"]


async def test_dns_negative_answers() -> None:
    with DNSServer(ZONES) as srv:
        r = resolver_for(srv)
        for name in ("nx.test", "unknown.test"):
            with pytest.raises(dns.resolver.NXDOMAIN):
                await r.resolve(name, "A")
        with pytest.raises(dns.resolver.NXDOMAIN) as info:
            await r.resolve("dangling.test", "A")
        assert info.value.canonical_name.to_text() == "gone.test."
        for name in ("servfail.test", "refused.test"):
            with pytest.raises(dns.resolver.NoNameservers):
                await r.resolve(name, "A")
        with pytest.raises(dns.resolver.NoAnswer):
            await r.resolve("nodata.test", "A")
        with pytest.raises(dns.resolver.NoAnswer):
            await r.resolve("v4only.test", "AAAA")


async def test_dns_silent_name_times_out() -> None:
    with DNSServer(ZONES) as srv:
        with pytest.raises(dns.resolver.LifetimeTimeout):
            await resolver_for(srv, timeout=0.3).resolve("silent.test", "A")
        assert srv.hits >= 1


async def test_silent_udp_server_times_out() -> None:
    with SilentUDPServer() as srv:
        with pytest.raises(dns.resolver.LifetimeTimeout):
            await resolver_for(srv, timeout=0.3).resolve("anything.test", "A")
        assert srv.hits >= 1


async def test_dns_on_ipv6_loopback() -> None:
    with DNSServer({"six.test": "::1"}, host="::1") as srv:
        answer = await resolver_for(srv).resolve("six.test", "AAAA")
        assert [x.to_text() for x in answer] == ["::1"]


# --- edge.py ------------------------------------------------------------------------------------


def edge_get(edge: FakeEdge, host: str, **kw: object) -> tuple[int, dict[str, str], bytes]:
    return get(*edge.address, host_header=host, **kw)  # type: ignore[arg-type]


def test_edge_passes_origin_response_through() -> None:
    with (
        HTTPServer(status=404, body=b"origin says no", headers={"X-Origin": "1"}) as origin,
        FakeEdge({"shop.example.test": origin.url}) as edge,
    ):
        status, headers, body = edge_get(edge, "shop.example.test", path="/p?x=1")
        assert (status, body, headers["x-origin"]) == (404, b"origin says no", "1")
        assert headers["server"] == "TencentEdgeOne"
        uuid = headers["eo-log-uuid"]
        assert uuid.isdigit()
        seen = origin.requests[0]
        assert (seen.target, seen.host) == ("/p?x=1", "shop.example.test")
        assert seen.header("cdn-loop") == "TencentEdgeOne; loops=1"
        assert seen.header("eo-log-uuid") == uuid
        assert edge.outcomes[0].kind == "ok"
        assert edge.outcomes[0].origin == origin.address
        assert edge_get(edge, "shop.example.test")[1]["eo-log-uuid"] != uuid


def test_edge_keeps_origin_server_header() -> None:
    with (
        HTTPServer(headers={"Server": "nginx"}) as origin,
        FakeEdge({"shop.example.test": origin.url}) as edge,
    ):
        assert edge_get(edge, "shop.example.test")[1]["server"] == "nginx"


def test_edge_unknown_host_and_loop() -> None:
    with (
        CanaryServer() as origin,
        FakeEdge({"shop.example.test": f"http://{origin.host}:{origin.port}"}) as edge,
    ):
        status, headers, body = edge_get(edge, "other.example.test")
        assert status == 418
        assert headers["eo-log-uuid"].isdigit()
        assert b"<html>" in body
        loop = {"CDN-Loop": "TencentEdgeOne; loops=16"}
        assert edge_get(edge, "shop.example.test", headers=loop)[0] == 423
        assert origin.hits == 0
        assert [o.status for o in edge.outcomes] == [418, 423]


def test_edge_forwards_below_loop_limit() -> None:
    with HTTPServer() as origin, FakeEdge({"shop.example.test": origin.url}) as edge:
        loop = {"CDN-Loop": "othercdn, TencentEdgeOne; loops=15"}
        assert edge_get(edge, "shop.example.test", headers=loop)[0] == 200
        assert origin.requests[0].header("cdn-loop") == "othercdn, TencentEdgeOne; loops=16"


@pytest.mark.parametrize(
    ("origin_cls", "status", "kind"),
    [
        (ResetAfterRequestServer, 520, "reset"),
        (CloseAfterRequestServer, 520, "closed"),
        (SilentServer, 524, "timeout"),
        (FullBacklogServer, 522, "connect_timeout"),
    ],
)
def test_edge_maps_origin_failures(
    origin_cls: type[ResetAfterRequestServer | SilentServer | FullBacklogServer],
    status: int,
    kind: str,
) -> None:
    with (
        origin_cls() as origin,
        FakeEdge(
            {"shop.example.test": OriginSpec(origin.host, origin.port)},
            origin_timeout=0.3,
            connect_timeout=0.3,
        ) as edge,
    ):
        got, headers, _ = edge_get(edge, "shop.example.test")
        assert (got, edge.outcomes[0].kind) == (status, kind)
        assert headers["server"] == "TencentEdgeOne"
        assert headers["eo-log-uuid"].isdigit()


def test_edge_refused_origin_is_521() -> None:
    with FakeEdge({"shop.example.test": OriginSpec("127.0.0.1", closed_port())}) as edge:
        assert edge_get(edge, "shop.example.test")[0] == 521


def test_edge_origin_timeout_on_slow_first_byte() -> None:
    with (
        HTTPServer(first_byte_delay=1.0) as origin,
        FakeEdge({"shop.example.test": origin.url}, origin_timeout=0.2) as edge,
    ):
        assert edge_get(edge, "shop.example.test")[0] == 524


def test_edge_resolves_origin_hostnames() -> None:
    with (
        HTTPServer() as origin,
        DNSServer({**ZONES, "origin.shop.test": cname("www.shop.test")}) as dns_srv,
    ):
        sites = {
            "a.test": OriginSpec("origin.shop.test", origin.port, dns_server=dns_srv.address),
            "b.test": OriginSpec("nx.test", origin.port, dns_server=dns_srv.address),
            "c.test": OriginSpec("servfail.test", origin.port, dns_server=dns_srv.address),
            "d.test": OriginSpec("static.test", origin.port, resolve={"static.test": "127.0.0.1"}),
            "e.test": OriginSpec("nowhere.test", origin.port),
        }
        with FakeEdge(sites, origin_timeout=0.5) as edge:
            got = {host: edge_get(edge, host)[0] for host in sites}
    assert got == {"a.test": 200, "b.test": 523, "c.test": 523, "d.test": 200, "e.test": 523}


def test_edge_tls_origins(tls: TLSFixtures) -> None:
    with (
        HTTPServer(ssl_context=tls.server_context("valid")) as good,
        HTTPServer(ssl_context=tls.server_context("untrusted")) as untrusted,
        PlainOnTLSPortServer() as plain,
    ):
        sites = {
            "good.test": OriginSpec("127.0.0.1", good.port, "https", sni="origin.test"),
            "untrusted.test": OriginSpec("127.0.0.1", untrusted.port, "https", sni="origin.test"),
            "plain.test": OriginSpec("127.0.0.1", plain.port, "https"),
        }
        with FakeEdge(sites, origin_ca=tls.client_ca_pem_path) as edge:
            got = {host: edge_get(edge, host)[0] for host in sites}
        with FakeEdge(sites) as lax:  # no origin CA: certificates are not verified
            assert edge_get(lax, "untrusted.test")[0] == 200
        assert good.requests[0].sni == "origin.test"
    assert got == {"good.test": 200, "untrusted.test": 525, "plain.test": 525}


def test_edge_serves_tls_to_clients(tls: TLSFixtures) -> None:
    with (
        HTTPServer() as origin,
        FakeEdge({"shop.example.test": origin.url}, ssl_context=tls.server_context()) as edge,
    ):
        ctx = tls.client_ssl_context()
        status, _, _ = edge_get(
            edge, "shop.example.test", ctx=ctx, server_hostname="shop.example.test"
        )
        assert status == 200
        assert edge.requests[0].sni == "shop.example.test"
        assert origin.requests[0].header("x-forwarded-proto") == "https"
