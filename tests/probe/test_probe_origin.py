"""probe_origin: only the origin half of a probe, as EdgeOne pulls from it (the Host and scheme of
the URL, the origin's address and port), under the same address policy."""

from __future__ import annotations

import pytest

from bot.probe.runner import ProbeSettings, probe_origin
from bot.probe.safety import ProbePolicy, TargetRefused
from tests.servers import DNSServer, HTTPServer


def settings(ns: DNSServer) -> ProbeSettings:
    policy = ProbePolicy.from_strings(networks=["127.0.0.0/8"], ports=["1-65535"])
    return ProbeSettings(policy=policy, nameservers=(ns.nameserver,), deadline=2.0)


async def test_the_origin_gets_the_urls_host_and_the_url_is_not_fetched() -> None:
    with HTTPServer(status=421) as origin, DNSServer({"origin.test": "127.0.0.1"}) as ns:
        result = await probe_origin(
            "http://backend.example.net/cart?id=7",
            f"origin.test:{origin.port}",
            settings=settings(ns),
        )
        (request,) = origin.requests
        assert [q.name for q in ns.queries] == ["origin.test", "origin.test"]  # A and AAAA only
    assert request.headers["host"] == "backend.example.net"
    assert request.target == "/cart?id=7"
    assert (result.host, result.target, result.port) == (
        "backend.example.net",
        "origin.test",
        origin.port,
    )
    assert result.http.status_code == 421
    assert result.connect.ip == "127.0.0.1"


@pytest.mark.parametrize(
    ("origin", "says"),
    [
        pytest.param("10.0.0.5:80", "private network", id="private-ip"),
        pytest.param("inside.test:80", "inside.test resolves to 10.1.2.3", id="private-name"),
        pytest.param("127.0.0.1:99999", "not a valid port", id="bad-port"),
    ],
)
async def test_an_origin_the_policy_refuses_is_never_contacted(origin: str, says: str) -> None:
    with DNSServer({"inside.test": "10.1.2.3"}) as ns, pytest.raises(TargetRefused, match=says):
        await probe_origin("https://shop.example.com/", origin, settings=settings(ns))
