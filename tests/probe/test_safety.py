"""Tests for bot.probe.safety: parsing only, nothing here opens a network connection."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator

import ifaddr
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from bot.probe import safety
from bot.probe.safety import (
    DEFAULT_PORTS,
    ProbePolicy,
    Target,
    TargetRefused,
    local_addresses,
    parse_networks,
    parse_port_spec,
    parse_target,
)

DEFAULT = ProbePolicy()
LOOPBACK_ALLOWED = ProbePolicy.from_strings(networks=["127.0.0.0/8, ::1"])


def refusal(func: object, *args: object) -> str:
    """Call func(*args), expecting TargetRefused, and return its reason."""
    assert callable(func)
    with pytest.raises(TargetRefused) as info:
        func(*args)
    assert info.value.reason == str(info.value)
    return info.value.reason


# --- refused address classes -------------------------------------------------------------------

REFUSED_V4 = [
    ("0.0.0.0", "unspecified"),
    ("0.1.2.3", "unspecified"),
    ("10.0.0.1", "private network"),
    ("100.64.0.1", "carrier-grade NAT"),
    ("100.127.255.254", "carrier-grade NAT"),
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("169.254.0.1", "link-local"),
    ("169.254.169.254", "link-local (cloud metadata)"),
    ("172.16.0.1", "private network"),
    ("172.31.255.254", "private network"),
    ("192.0.0.8", "reserved"),
    ("192.0.2.1", "documentation range"),
    ("192.88.99.1", "reserved"),
    ("192.168.1.1", "private network"),
    ("198.18.0.1", "reserved (benchmarking)"),
    ("198.19.255.254", "reserved (benchmarking)"),
    ("198.51.100.7", "documentation range"),
    ("203.0.113.9", "documentation range"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "broadcast"),
]

REFUSED_V6 = [
    ("::", "unspecified"),
    ("::1", "loopback"),
    ("100::1", "discard-only"),
    ("2001:2::1", "reserved (IETF protocol assignments)"),
    ("2001:db8::1", "documentation range"),
    ("3fff::1", "documentation range"),
    ("5f00::1", "segment routing"),
    ("fc00::1", "private network"),
    ("fd12:3456::1", "private network"),
    ("fd00:ec2::254", "cloud metadata"),
    ("fe80::1", "link-local"),
    ("fec0::1", "site-local"),
    ("ff02::1", "multicast"),
]


@pytest.mark.parametrize(("address", "label"), REFUSED_V4 + REFUSED_V6, ids=lambda v: str(v))
def test_refused_classes(address: str, label: str) -> None:
    ip = ipaddress.ip_address(address)
    reason = refusal(DEFAULT.check_address, ip)
    assert reason.startswith(f"{ip} is ")
    assert label in reason
    assert "EO_PROBE_ALLOW_NETWORKS" in reason


@pytest.mark.parametrize(("address", "label"), REFUSED_V4, ids=lambda v: str(v))
def test_refused_v4_through_parse_target(address: str, label: str) -> None:
    assert label in refusal(parse_target, f"http://{address}/", DEFAULT)


@pytest.mark.parametrize(("address", "label"), REFUSED_V6, ids=lambda v: str(v))
def test_refused_v6_through_parse_target(address: str, label: str) -> None:
    assert label in refusal(parse_target, f"http://[{address}]/", DEFAULT)


def test_loopback_reason_wording() -> None:
    assert refusal(parse_target, "http://127.0.0.1/", DEFAULT) == (
        "127.0.0.1 is a loopback address; the probe only reaches public addresses "
        "(a deployment can allow networks with EO_PROBE_ALLOW_NETWORKS)"
    )


# --- numeric host tricks -----------------------------------------------------------------------

NUMERIC_LOOPBACK = [
    "2130706433",
    "0x7f.1",
    "017700000001",
    "127.1",
    "0x7f000001",
    "0177.0.0.1",
    "0x7f.0x0.0.01",
    "127.0.0.1.",
    "127.000.000.001",
    "１２７.０.０.１",  # full-width digits and dots fold to ASCII under IDNA mapping
]


@pytest.mark.parametrize("host", NUMERIC_LOOPBACK, ids=NUMERIC_LOOPBACK)
@pytest.mark.parametrize("prefix", ["", "http://", "https://"], ids=["bare", "http", "https"])
def test_numeric_tricks_are_loopback_and_refused(prefix: str, host: str) -> None:
    assert refusal(parse_target, f"{prefix}{host}/x", DEFAULT).startswith(
        "127.0.0.1 is a loopback address"
    )


@pytest.mark.parametrize("host", NUMERIC_LOOPBACK, ids=NUMERIC_LOOPBACK)
def test_numeric_tricks_normalise_to_127_0_0_1(host: str) -> None:
    target = parse_target(f"http://{host}:8080/x", LOOPBACK_ALLOWED)
    assert target.host == "127.0.0.1"
    assert target.ip == ipaddress.IPv4Address("127.0.0.1")
    assert target.url == "http://127.0.0.1:8080/x"


@pytest.mark.parametrize(
    "host", ["1.2.3.09", "4294967296", "example.123", "1.2.3.4.5", "0x1.0x"], ids=lambda v: str(v)
)
def test_malformed_numeric_hosts_refused(host: str) -> None:
    assert "not a valid IPv4 address" in refusal(parse_target, f"http://{host}/", DEFAULT)


def test_hex_looking_names_stay_names() -> None:
    target = parse_target("http://cafe.be/", DEFAULT)
    assert (target.host, target.ip) == ("cafe.be", None)


# --- IPv4 wrapped in IPv6 ----------------------------------------------------------------------


def _v4(text: str) -> int:
    return int(ipaddress.IPv4Address(text))


WRAPPERS: dict[str, Callable[[int], ipaddress.IPv6Address]] = {
    "mapped": lambda v4: ipaddress.IPv6Address((0xFFFF << 32) | v4),
    "compatible": ipaddress.IPv6Address,
    "nat64": lambda v4: ipaddress.IPv6Address(int(ipaddress.IPv6Address("64:ff9b::")) | v4),
    "nat64-local": lambda v4: ipaddress.IPv6Address(int(ipaddress.IPv6Address("64:ff9b:1::")) | v4),
    "6to4": lambda v4: ipaddress.IPv6Address((0x2002 << 112) | (v4 << 80) | 1),
    # Teredo: server IPv4 in bits 32-63, client IPv4 inverted in the last 32 bits.
    "teredo": lambda v4: ipaddress.IPv6Address(
        (0x20010000 << 96) | (_v4("65.54.227.120") << 64) | (v4 ^ 0xFFFFFFFF)
    ),
}
WRAPPED = {"127.0.0.1": "loopback", "10.0.0.1": "private network", "169.254.169.254": "link-local"}


@pytest.mark.parametrize("inner", list(WRAPPED), ids=list(WRAPPED))
@pytest.mark.parametrize("kind", list(WRAPPERS), ids=list(WRAPPERS))
def test_wrapped_ipv4_is_unwrapped_and_refused(kind: str, inner: str) -> None:
    ip = WRAPPERS[kind](_v4(inner))
    reason = refusal(parse_target, f"http://[{ip}]/", DEFAULT)
    assert f"address of {inner} ({WRAPPED[inner]}" in reason


@pytest.mark.parametrize("kind", list(WRAPPERS), ids=list(WRAPPERS))
def test_wrapped_public_ipv4_still_refused(kind: str) -> None:
    ip = WRAPPERS[kind](_v4("8.8.8.8"))
    assert "address of 8.8.8.8" in refusal(DEFAULT.check_address, ip)


@pytest.mark.parametrize(
    "address",
    ["64:ff9b::a9fe:a9fe", "2002:a9fe:a9fe::1", "::127.0.0.1", "::ffff:127.0.0.1"],
    ids=lambda v: str(v),
)
def test_wrappers_refused_even_when_python_calls_them_global(address: str) -> None:
    refusal(DEFAULT.check_address, ipaddress.IPv6Address(address))


@pytest.mark.parametrize("kind", list(WRAPPERS), ids=list(WRAPPERS))
def test_allowed_network_covers_the_wrapped_address(kind: str) -> None:
    LOOPBACK_ALLOWED.check_address(WRAPPERS[kind](_v4("127.0.0.1")))
    refusal(LOOPBACK_ALLOWED.check_address, WRAPPERS[kind](_v4("10.0.0.1")))


@settings(max_examples=200, deadline=None)
@given(inner=st.integers(0, 2**32 - 1), kind=st.sampled_from(list(WRAPPERS)))
@example(inner=0, kind="compatible")
@example(inner=2, kind="compatible")
def test_any_wrapped_ipv4_is_named_and_only_its_network_lets_it_through(
    inner: int, kind: str
) -> None:
    # '::' and '::1' are themselves (unspecified, loopback), not IPv4-compatible wrappers.
    assume(kind != "compatible" or inner > 1)
    ip = WRAPPERS[kind](inner)
    v4 = ipaddress.IPv4Address(inner)
    assert f"address of {v4}" in refusal(DEFAULT.check_address, ip)
    # The Teredo server in WRAPPERS is public, so the client's network alone lets it through.
    ProbePolicy(allowed_networks=parse_networks(str(v4))).check_address(ip)
    other = ipaddress.IPv4Address(inner ^ 1)
    refusal(ProbePolicy(allowed_networks=parse_networks(str(other))).check_address, ip)


def _teredo(server: str, client: str) -> ipaddress.IPv6Address:
    return ipaddress.IPv6Address(
        (0x20010000 << 96) | (_v4(server) << 64) | (_v4(client) ^ 0xFFFFFFFF)
    )


def test_teredo_server_is_checked_too() -> None:
    # A Teredo host sends its first packets (bubbles) to the server named in the address.
    reason = refusal(DEFAULT.check_address, _teredo("10.0.0.1", "8.8.8.8"))
    assert "Teredo address of 8.8.8.8 through the server 10.0.0.1 (private network)" in reason
    reason = refusal(LOOPBACK_ALLOWED.check_address, _teredo("10.0.0.1", "127.0.0.1"))
    assert "through the server 10.0.0.1 (private network)" in reason
    LOOPBACK_ALLOWED.check_address(_teredo("127.0.0.1", "127.0.0.1"))
    LOOPBACK_ALLOWED.check_address(_teredo("65.54.227.120", "127.0.0.1"))


def test_ipv4_compatible_but_not_unspecified_or_loopback() -> None:
    assert "IPv4-compatible IPv6 address of 0.0.0.2" in refusal(
        DEFAULT.check_address, ipaddress.IPv6Address("::2")
    )
    assert "is an unspecified address" in refusal(
        DEFAULT.check_address, ipaddress.IPv6Address("::")
    )
    assert "is a loopback address" in refusal(DEFAULT.check_address, ipaddress.IPv6Address("::1"))


def test_cloud_metadata_v6() -> None:
    reason = refusal(parse_target, "http://[fd00:ec2::254]/latest/meta-data/", DEFAULT)
    assert reason.startswith("fd00:ec2::254 is a private network (cloud metadata) address")


# --- public addresses and allowed networks -----------------------------------------------------

PUBLIC = ["1.1.1.1", "8.8.8.8", "2606:4700:4700::1111"]


@pytest.mark.parametrize("address", PUBLIC, ids=PUBLIC)
def test_public_addresses_accepted(address: str) -> None:
    ip = ipaddress.ip_address(address)
    DEFAULT.check_address(ip)
    host = f"[{ip}]" if ip.version == 6 else str(ip)
    target = parse_target(f"https://{host}/status", DEFAULT)
    assert target == Target("https", str(ip), 443, "/status", ip, f"https://{host}/status")


@pytest.mark.parametrize(
    ("url", "host"),
    [("http://127.0.0.1:8080/", "127.0.0.1"), ("http://[::1]:8080/", "::1")],
    ids=["v4", "v6"],
)
def test_allowed_networks_let_loopback_through(url: str, host: str) -> None:
    target = parse_target(url, LOOPBACK_ALLOWED)
    assert (target.host, target.port, target.url) == (host, 8080, url)


def test_allowed_networks_do_not_allow_others() -> None:
    assert "private network" in refusal(parse_target, "http://10.0.0.1/", LOOPBACK_ALLOWED)
    assert "link-local" in refusal(parse_target, "http://[fe80::1]/", LOOPBACK_ALLOWED)


def test_localhost_name_follows_loopback_policy() -> None:
    assert "loopback name" in refusal(parse_target, "localhost:8080", DEFAULT)
    assert "loopback name" in refusal(parse_target, "http://app.localhost/", DEFAULT)
    assert parse_target("http://localhost:8080/", LOOPBACK_ALLOWED).host == "localhost"


# --- ports -------------------------------------------------------------------------------------


@pytest.mark.parametrize("port", sorted(DEFAULT_PORTS), ids=str)
def test_default_ports_allowed(port: int) -> None:
    DEFAULT.check_port(port)
    assert parse_target(f"http://example.com:{port}/", DEFAULT).port == port


def test_port_22_refused() -> None:
    reason = refusal(parse_target, "http://example.com:22/", DEFAULT)
    assert reason == (
        "port 22 is not allowed; the probe uses ports 80, 443, 8080, 8443 "
        "(a deployment can allow more with EO_PROBE_ALLOW_PORTS)"
    )


def test_allowed_port_ranges() -> None:
    policy = ProbePolicy.from_strings(ports=["8000-8002, 3000", "9000"])
    assert policy.allowed_ports == DEFAULT_PORTS | {3000, 8000, 8001, 8002, 9000}
    assert parse_target("example.com:8001", policy).port == 8001
    reason = refusal(policy.check_port, 22)
    assert "80, 443, 3000, 8000-8002, 8080, 8443, 9000" in reason


@pytest.mark.parametrize("port", ["0", "65536", "99999", "123456", "80a", "-1", "٨٠"], ids=str)
def test_bad_ports_refused(port: str) -> None:
    assert "not a valid port" in refusal(parse_target, f"http://example.com:{port}/", DEFAULT)


def test_empty_port_means_default() -> None:
    assert parse_target("http://example.com:/", DEFAULT).url == "http://example.com/"


# --- URL shape ---------------------------------------------------------------------------------

BAD_URLS = [
    ("empty", "", "empty"),
    ("blank", "   ", "empty"),
    ("huge", "https://example.com/" + "a" * 2100, "at most 2048"),
    ("ftp", "ftp://example.com/", "only http and https"),
    ("file", "file:///etc/passwd", "only http and https"),
    ("javascript", "javascript:alert(1)", "only http and https"),
    ("gopher", "gopher://127.0.0.1:70/", "only http and https"),
    ("missing-slashes", "http:example.com", "missing '//'"),
    ("userinfo", "http://user:pass@example.com/", "user name or password"),
    ("user-only", "https://admin@example.com/", "user name or password"),
    ("backslash-userinfo", "http://evil.com\\@127.0.0.1/", "user name or password"),
    ("no-host", "https:///path", "no host"),
    ("only-port", "http://:8080/", "no host"),
    ("space", "http://exa mple.com/", "space or invisible"),
    ("tab", "http://example.com/\tx", "space or invisible"),
    ("newline", "http://example.com/\r\nHost: evil", "space or invisible"),
    ("nul", "http://example.com\x00.evil/", "space or invisible"),
    ("zero-width", "http://exa\u200bmple.com/", "space or invisible"),
    ("unbracketed-v6", "http://::1/", "brackets"),
    ("zone-id", "http://[fe80::1%25eth0]/", "zone ids"),
    ("bad-v6", "http://[::g]/", "not a valid IPv6"),
    ("v4-in-brackets", "http://[127.0.0.1]/", "not a valid IPv6"),
    ("unclosed-bracket", "http://[::1/", "closing ']'"),
    ("junk-after-bracket", "http://[2606:4700::1]x/", "unexpected"),
    ("percent-host", "http://%31%32%37.0.0.1/", "not a valid host name"),
    ("empty-label", "http://example..com/", "not a valid host name"),
    ("bad-char", "http://exa$mple.com/", "not a valid host name"),
    ("bad-idn", "http://xn--a\u00e9.com/", "international"),
    ("bad-a-label", "http://xn--a.com/", "international"),
    ("one-slash", "http:/example.com", "missing '//'"),
    ("scheme-then-port", "HTTPS:8443", "missing '//'"),
]


@pytest.mark.parametrize(
    ("url", "expected"), [c[1:] for c in BAD_URLS], ids=[c[0] for c in BAD_URLS]
)
def test_bad_urls_refused_with_reason(url: str, expected: str) -> None:
    reason = refusal(parse_target, url, DEFAULT)
    assert expected in reason
    assert "\n" not in reason


GOOD_URLS = [
    ("bare-host", "example.com", "https://example.com/"),
    ("bare-host-path", "example.com/path?q=1", "https://example.com/path?q=1"),
    ("bare-host-port", "example.com:8443/x", "https://example.com:8443/x"),
    ("scheme-relative", "//example.com/", "https://example.com/"),
    ("upper-case", "HTTP://Example.COM/A", "http://example.com/A"),
    ("default-port-dropped", "https://example.com:443", "https://example.com/"),
    ("fragment-dropped", "https://example.com/a#top", "https://example.com/a"),
    ("query-only", "https://example.com?x=1", "https://example.com/?x=1"),
    ("trailing-dot", "https://example.com./", "https://example.com/"),
    ("surrounding-space", "  https://example.com/ ", "https://example.com/"),
    ("idn", "https://Bücher.example/", "https://xn--bcher-kva.example/"),
    ("idn-path", "https://example.com/ä?q=ü", "https://example.com/%C3%A4?q=%C3%BC"),
    ("escapes-kept", "https://example.com/a%20b", "https://example.com/a%20b"),
    ("v6-port", "http://[2606:4700:4700::1111]:8080/", "http://[2606:4700:4700::1111]:8080/"),
    ("v6-canonical", "http://[2606:4700:4700:0::1111]/", "http://[2606:4700:4700::1111]/"),
]


@pytest.mark.parametrize(("raw", "url"), [c[1:] for c in GOOD_URLS], ids=[c[0] for c in GOOD_URLS])
def test_good_urls_normalised(raw: str, url: str) -> None:
    assert parse_target(raw, DEFAULT).url == url


def test_bare_host_assumes_https() -> None:
    target = parse_target("example.com/status", DEFAULT)
    assert target == Target(
        "https", "example.com", 443, "/status", None, "https://example.com/status"
    )


def test_idn_host_encoded() -> None:
    target = parse_target("http://ｂücher.ＥＸＡＭＰＬＥ/", DEFAULT)
    assert target.host == "xn--bcher-kva.example"
    assert target.ip is None


# --- configuration parsing ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "ports"),
    [
        ("8000", {8000}),
        ("8000-8003", {8000, 8001, 8002, 8003}),
        ("8000 - 8001, 3000", {8000, 8001, 3000}),
        ("1,65535", {1, 65535}),
        ("", set()),
        (" , ", set()),
    ],
    ids=["single", "range", "spaced-range-and-list", "bounds", "empty", "separators-only"],
)
def test_parse_port_spec(spec: str, ports: set[int]) -> None:
    assert parse_port_spec(spec) == frozenset(ports)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("http", "'http' is not a port"),
        ("80, 8o8o", "'8o8o' is not a port"),
        ("0", "port 0 in '0' is outside 1-65535"),
        ("65536", "port 65536 in '65536' is outside 1-65535"),
        ("9000-8000", "'9000-8000' is reversed"),
        ("1-2-3", "'1-2-3' is not a port"),
        ("-5", "'-5' is not a port"),
    ],
    ids=["word", "typo-in-list", "zero", "too-big", "reversed", "double-range", "negative"],
)
def test_parse_port_spec_errors(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_port_spec(spec)


def test_parse_networks() -> None:
    assert parse_networks("10.0.0.0/8, 127.0.0.1 ::1\tfd00::/8") == (
        ipaddress.IPv4Network("10.0.0.0/8"),
        ipaddress.IPv4Network("127.0.0.1/32"),
        ipaddress.IPv6Network("::1/128"),
        ipaddress.IPv6Network("fd00::/8"),
    )
    assert parse_networks("10.1.2.3/8") == (ipaddress.IPv4Network("10.0.0.0/8"),)
    assert parse_networks("") == ()


@pytest.mark.parametrize(
    "item", ["localhost", "10.0.0.0/33", "300.1.1.1", "::1/129", "[::1]"], ids=lambda v: str(v)
)
def test_parse_networks_errors(item: str) -> None:
    with pytest.raises(ValueError, match="is not a network") as info:
        parse_networks(f"10.0.0.0/8, {item}")
    assert f"'{item}'" in str(info.value)


def test_from_strings_errors_name_the_item() -> None:
    with pytest.raises(ValueError, match="'nope'"):
        ProbePolicy.from_strings(ports=["nope"])
    with pytest.raises(ValueError, match="'nope'"):
        ProbePolicy.from_strings(networks=["nope"])


def test_from_strings_defaults() -> None:
    assert ProbePolicy.from_strings() == ProbePolicy()


# --- this machine's own addresses --------------------------------------------------------------


@pytest.fixture
def fresh_local_addresses() -> Iterator[None]:
    """local_addresses() is cached across calls; start and end with an empty cache."""
    safety.local_addresses.cache_clear()
    yield
    safety.local_addresses.cache_clear()


def _adapter(name: str, *ips: str | tuple[str, int, int]) -> ifaddr.Adapter:
    return ifaddr.Adapter(name, name, [ifaddr.IP(ip, 24, name) for ip in ips])


@pytest.mark.usefixtures("fresh_local_addresses")
def test_local_addresses_listed_with_ifaddr(monkeypatch: pytest.MonkeyPatch) -> None:
    adapters = [_adapter("eth0", "203.0.113.7", ("2001:db8::7", 0, 3)), _adapter("eth1")]
    monkeypatch.setattr(ifaddr, "get_adapters", lambda: adapters)
    assert local_addresses() == {
        ipaddress.IPv4Address("127.0.0.1"),
        ipaddress.IPv6Address("::1"),
        ipaddress.IPv4Address("203.0.113.7"),
        ipaddress.IPv6Address("2001:db8::7"),  # the scope id is not part of the address
    }


@pytest.mark.usefixtures("fresh_local_addresses")
def test_local_addresses_cached_then_read_again(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    current = ["1.1.1.1"]
    calls: list[str] = []

    def get_adapters() -> list[ifaddr.Adapter]:
        calls.append(current[0])
        return [_adapter("eth0", current[0])]

    monkeypatch.setattr(safety, "_clock", lambda: now[0])
    monkeypatch.setattr(ifaddr, "get_adapters", get_adapters)
    assert ipaddress.IPv4Address("1.1.1.1") in local_addresses()
    current[0] = "8.8.8.8"  # the machine gets a new address
    now[0] += safety.LOCAL_ADDRESSES_TTL / 2
    assert ipaddress.IPv4Address("8.8.8.8") not in local_addresses()  # cached, not re-read
    assert calls == ["1.1.1.1"]
    now[0] += safety.LOCAL_ADDRESSES_TTL
    assert ipaddress.IPv4Address("8.8.8.8") in local_addresses()
    assert "8.8.8.8 is this machine's own address" in refusal(
        DEFAULT.check_address, ipaddress.IPv4Address("8.8.8.8")
    )
    assert calls == ["1.1.1.1", "8.8.8.8"]


@pytest.mark.usefixtures("fresh_local_addresses")
def test_local_addresses_when_interfaces_cannot_be_listed(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def get_adapters() -> list[ifaddr.Adapter]:
        raise OSError(24, "Too many open files")

    monkeypatch.setattr(ifaddr, "get_adapters", get_adapters)
    with caplog.at_level("WARNING", logger="bot.probe.safety"):
        assert local_addresses() == {
            ipaddress.IPv4Address("127.0.0.1"),
            ipaddress.IPv6Address("::1"),
        }
    assert "cannot list this machine's interface addresses" in caplog.text


def test_local_addresses_include_loopback() -> None:
    assert ipaddress.IPv4Address("127.0.0.1") in local_addresses()


def test_own_non_loopback_address_refused() -> None:
    own = sorted(
        (ip for ip in local_addresses() if not ip.is_loopback), key=lambda ip: (ip.version, ip)
    )
    if not own:
        pytest.skip("this machine has no non-loopback interface address")
    refusal(DEFAULT.check_address, own[0])


def test_own_public_address_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # A public address counts as local only through the interface table, so fake one.
    ip = ipaddress.IPv4Address("1.1.1.1")
    monkeypatch.setattr(safety, "local_addresses", lambda: frozenset({ip}))
    assert refusal(DEFAULT.check_address, ip).startswith("1.1.1.1 is this machine's own address")
    ProbePolicy(refuse_local_interfaces=False).check_address(ip)
    ProbePolicy(allowed_networks=parse_networks("1.1.1.1")).check_address(ip)


def test_backstop_refuses_what_python_knows_is_not_global(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safety, "_REFUSED_V4", ())
    reason = refusal(DEFAULT.check_address, ipaddress.IPv4Address("10.0.0.1"))
    assert "not a globally routable address" in reason


# --- property: only Target or TargetRefused ----------------------------------------------------

_url_parts = st.builds(
    "".join,
    st.lists(
        st.one_of(
            st.sampled_from(
                [
                    "http://",
                    "https://",
                    "HTTP://",
                    "ftp://",
                    "//",
                    ":",
                    "::",
                    "[",
                    "]",
                    "@",
                    "%",
                    "%25",
                    "/",
                    "?",
                    "#",
                    ".",
                    "0x",
                    "0",
                    "127",
                    "1",
                    "ff",
                    "::1",
                    "xn--",
                    "ü",
                    "\\",
                    "localhost",
                    "example.com",
                    "65536",
                    "-",
                    "１",
                    "。",
                    "\u200b",
                    " ",
                    "\x00",
                ]
            ),
            st.text(max_size=5),
        ),
        max_size=12,
    ),
)


def _only_target_or_refused(raw: str) -> None:
    try:
        target = parse_target(raw, DEFAULT)
    except TargetRefused as exc:
        reason = exc.reason
    else:
        assert target.scheme in {"http", "https"}
        assert target.url.startswith(f"{target.scheme}://")
        assert target.path.startswith("/")
        if target.ip is not None:
            DEFAULT.check_address(target.ip)
        return
    assert reason


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_arbitrary_text_gives_target_or_refusal(raw: str) -> None:
    _only_target_or_refused(raw)


@settings(max_examples=1000, deadline=None)
@given(_url_parts)
def test_url_like_text_gives_target_or_refusal(raw: str) -> None:
    _only_target_or_refused(raw)
