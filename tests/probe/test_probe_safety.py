"""The probe refuses unsafe targets before sending anything: a canary on loopback counts hits."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.probe.runner import ProbeSettings, probe
from bot.probe.safety import ProbePolicy, TargetRefused
from tests.servers import CanaryServer, DNSServer, HTTPServer, redirect_to

ALL_PORTS = ProbePolicy.from_strings(ports=["1-65535"])  # default networks: loopback refused


@pytest.fixture
def canary() -> Iterator[CanaryServer]:
    with CanaryServer() as srv:
        yield srv


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "2130706433",
        "0x7f.1",
        "017700000001",
        "127.1",
        "0x7f000001",
        "[::1]",
        "[::ffff:127.0.0.1]",
        "[::127.0.0.1]",
        "[64:ff9b::7f00:1]",
        "[2002:7f00:1::1]",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "100.64.0.1",
        "169.254.169.254",
        "[fd00:ec2::254]",
        "[fe80::1]",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "198.18.0.1",
        "192.0.2.1",
        "[2001:db8::1]",
    ],
)
async def test_refused_addresses_send_nothing(canary: CanaryServer, host: str) -> None:
    with pytest.raises(TargetRefused) as info:
        await probe(f"http://{host}:{canary.port}/", settings=ProbeSettings(policy=ALL_PORTS))
    assert info.value.reason
    assert canary.hits == 0


async def test_hostname_resolving_to_loopback_is_refused(canary: CanaryServer) -> None:
    with DNSServer({"evil.test": "127.0.0.1"}) as ns, pytest.raises(TargetRefused) as info:
        await probe(
            f"http://evil.test:{canary.port}/",
            settings=ProbeSettings(policy=ALL_PORTS, nameservers=(ns.nameserver,)),
        )
    assert "127.0.0.1" in info.value.reason
    assert "loopback" in info.value.reason
    assert canary.hits == 0


async def test_name_mixing_public_and_private_answers_is_refused(canary: CanaryServer) -> None:
    with (
        DNSServer({"mixed.test": ["8.8.8.8", "127.0.0.1"]}) as ns,
        pytest.raises(TargetRefused),
    ):
        await probe(
            f"http://mixed.test:{canary.port}/",
            settings=ProbeSettings(policy=ALL_PORTS, nameservers=(ns.nameserver,)),
        )
    assert canary.hits == 0


async def test_refused_origin_stops_the_whole_probe(canary: CanaryServer) -> None:
    allowed = ProbePolicy.from_strings(networks=["127.0.0.1/32"], ports=["1-65535"])
    with pytest.raises(TargetRefused) as info:
        await probe(
            f"http://127.0.0.1:{canary.port}/",
            origin="169.254.169.254",
            settings=ProbeSettings(policy=allowed),
        )
    assert "169.254.169.254" in info.value.reason
    assert canary.hits == 0, "the edge must not be probed when the origin is refused"


async def test_redirect_to_a_private_address_is_not_followed() -> None:
    with CanaryServer(host="127.0.0.2") as canary:
        target = f"http://127.0.0.2:{canary.port}/latest/meta-data/"
        with HTTPServer(sequence=[redirect_to(target)]) as srv:
            allowed = ProbePolicy.from_strings(networks=["127.0.0.1/32"], ports=["1-65535"])
            report = await probe(
                f"http://127.0.0.1:{srv.port}/", settings=ProbeSettings(policy=allowed)
            )
        assert report.edge.http.status_code == 302
        assert report.edge.http.headers["location"] == target
        assert canary.hits == 0


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("ftp://example.com/", "only http and https"),
        ("http://user:pw@example.com/", "user"),
        ("http://example.com:22/", "port 22"),
        ("", "empty"),
        ("http://" + "a" * 3000 + ".com/", "long"),
        ("gopher://127.0.0.1:70/", "only http and https"),
    ],
)
async def test_invalid_urls_are_refused_with_a_reason(url: str, words: str) -> None:
    with pytest.raises(TargetRefused) as info:
        await probe(url, settings=ProbeSettings())
    assert words in info.value.reason.lower()


async def test_bad_origin_syntax() -> None:
    with pytest.raises(TargetRefused, match="origin"):
        await probe("http://example.com/", origin="a:b:c:d/e", settings=ProbeSettings())


async def test_environment_proxies_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    with CanaryServer() as proxy, HTTPServer(body=b"direct") as srv:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
        monkeypatch.setenv("ALL_PROXY", f"http://127.0.0.1:{proxy.port}")
        allowed = ProbePolicy.from_strings(networks=["127.0.0.1/32"], ports=["1-65535"])
        report = await probe(
            f"http://127.0.0.1:{srv.port}/", settings=ProbeSettings(policy=allowed)
        )
        assert report.edge.http.status_code == 200
        assert proxy.hits == 0
        assert srv.hits == 1
