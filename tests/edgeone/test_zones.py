"""Host → zone and acceleration domain: exact names, wildcards, nested zones, EO_ZONES, caching."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.edgeone.client import EdgeOneClient
from bot.edgeone.errors import NotAuthorized, NotInZones
from bot.edgeone.zones import ZoneMap, normalise_host
from tests.edgeone.conftest import Clock, settings_for
from tests.servers.teo import ZONE_ID, FakeTeo, World, domain, zone

SUB_ZONE = "zone-3sub0000zone"


@pytest.fixture
def world() -> World:
    return World(
        zones=[
            zone(),
            zone(SUB_ZONE, "shop.example.com"),
            zone("zone-0ther00000", "other.example"),
        ],
        domains={
            ZONE_ID: [domain("www.example.com"), domain("*.example.com")],
            SUB_ZONE: [domain("api.shop.example.com", zone_id=SUB_ZONE)],
            "zone-0ther00000": [domain("www.other.example", zone_id="zone-0ther00000")],
        },
    )


@pytest.fixture
async def client(fake: FakeTeo, world: World) -> AsyncIterator[EdgeOneClient]:
    fake.world = world
    async with EdgeOneClient(settings_for(fake)) as c:
        yield c


async def test_exact_domain(fake: FakeTeo, client: EdgeOneClient, clock: Clock) -> None:
    zones = ZoneMap(client, clock=clock)
    match = await zones.lookup("WWW.Example.com.")
    assert (match.host, match.zone.zone_id, match.domain.name) == (
        "www.example.com",
        ZONE_ID,
        "www.example.com",
    )
    assert not match.domain.wildcard
    domains = fake.calls_of("DescribeAccelerationDomains")
    # Only the zone whose name is a parent of the host is asked, for the host and its wildcard.
    assert [c.params["ZoneId"] for c in domains] == [ZONE_ID]
    assert domains[0].params["Filters"] == [
        {"Name": "domain-name", "Values": ["www.example.com", "*.example.com"]}
    ]


async def test_wildcard_serves_one_label(client: EdgeOneClient, clock: Clock) -> None:
    zones = ZoneMap(client, clock=clock)
    match = await zones.lookup("blog.example.com")
    assert match.domain.name == "*.example.com"
    assert match.domain.wildcard
    with pytest.raises(NotInZones, match="not served by these EdgeOne zones"):
        await zones.lookup("a.b.example.com")


async def test_most_specific_zone_and_exact_domain_win(client: EdgeOneClient, clock: Clock) -> None:
    zones = ZoneMap(client, clock=clock)
    # api.shop.example.com is exact in the sub-zone; *.example.com would not cover it anyway.
    match = await zones.lookup("api.shop.example.com")
    assert (match.zone.zone_id, match.domain.name) == (SUB_ZONE, "api.shop.example.com")
    # shop.example.com: no exact domain anywhere, the wildcard of example.com serves it.
    match = await zones.lookup("shop.example.com")
    assert (match.zone.zone_id, match.domain.name) == (ZONE_ID, "*.example.com")


async def test_host_in_no_zone(fake: FakeTeo, client: EdgeOneClient, clock: Clock) -> None:
    zones = ZoneMap(client, clock=clock)
    with pytest.raises(NotInZones) as caught:
        await zones.lookup("www.unrelated.org")
    assert str(caught.value) == (
        "www.unrelated.org is not served by these EdgeOne zones (example.com, "
        "other.example, shop.example.com)"
    )
    # No zone could hold it: no domain listing was asked for.
    assert fake.actions() == ["DescribeZones"]


async def test_pinned_zones(fake: FakeTeo, client: EdgeOneClient, clock: Clock) -> None:
    zones = ZoneMap(client, pinned=["zone-0ther00000"], clock=clock)
    with pytest.raises(NotInZones):
        await zones.lookup("www.example.com")  # its zone is not pinned
    assert (await zones.lookup("www.other.example")).zone.zone_id == "zone-0ther00000"
    assert fake.calls_of("DescribeZones")[0].params["Filters"] == [
        {"Name": "zone-id", "Values": ["zone-0ther00000"]}
    ]


async def test_pinned_zone_the_key_cannot_see(client: EdgeOneClient, clock: Clock) -> None:
    zones = ZoneMap(client, pinned=["zone-notmine000"], clock=clock)
    with pytest.raises(NotInZones, match="none of the zones in EO_ZONES"):
        await zones.lookup("www.example.com")


async def test_cached_until_the_ttl(fake: FakeTeo, client: EdgeOneClient, clock: Clock) -> None:
    zones = ZoneMap(client, ttl=300, miss_ttl=60, clock=clock)
    await zones.lookup("www.example.com")
    await zones.lookup("www.example.com")
    with pytest.raises(NotInZones):
        await zones.lookup("www.unrelated.org")
    with pytest.raises(NotInZones):
        await zones.lookup("www.unrelated.org")
    assert len(fake.calls) == 2  # one zone list, one domain lookup
    clock.advance(61)  # a miss is asked again sooner (a domain may just have been added)
    with pytest.raises(NotInZones):
        await zones.lookup("www.unrelated.org")
    assert len(fake.calls) == 2  # still no zone can hold it: nothing to ask but the list
    clock.advance(240)  # past the TTL: the zone list and the mapping are read again
    await zones.lookup("www.example.com")
    assert fake.actions()[2:] == ["DescribeZones", "DescribeAccelerationDomains"]


async def test_cache_is_bounded(fake: FakeTeo, client: EdgeOneClient, clock: Clock) -> None:
    zones = ZoneMap(client, maxsize=2, clock=clock)
    for host in ("www.example.com", "a.example.com", "b.example.com"):
        await zones.lookup(host)
    before = len(fake.calls)
    await zones.lookup("www.example.com")  # evicted by the two newer hosts: asked again
    assert len(fake.calls) == before + 1


async def test_errors_are_not_cached(fake: FakeTeo, client: EdgeOneClient, clock: Clock) -> None:
    zones = ZoneMap(client, clock=clock)
    fake.fail("DescribeAccelerationDomains", "UnauthorizedOperation.CamNoAuth", times=1)
    with pytest.raises(NotAuthorized, match="teo:DescribeAccelerationDomains"):
        await zones.lookup("www.example.com")
    assert (await zones.lookup("www.example.com")).domain.name == "www.example.com"


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("", "give a host name"),
        ("203.0.113.10", "is an IP address"),
        ("[::1]", "is an IP address"),
        ("localhost", "not a host name"),
        ("bad host.example.com", "not a host name"),
        ("a." * 130 + "com", "give a host name"),
    ],
    ids=["empty", "ipv4", "ipv6", "one-label", "space", "too-long"],
)
def test_normalise_host_refuses(raw: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        normalise_host(raw)
