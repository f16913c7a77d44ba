"""Our SSRF URL parser against the parsers that really handle the URL: httpx (which sends the
request) and urllib.parse, on generated valid and tricky URLs.

`parse_target` stays hand-written on purpose (it refuses what the others guess at), so it is held
to this: whenever it accepts a URL, httpx and urllib read the same scheme, host and port from it,
and the request the probe makes goes to the address the policy checked. Refusing is always allowed.

Intended differences, each normalised explicitly in `_absolute` and `_as_connected` or allowed in
`_httpx_refusal_is_intended`:

* A URL without a scheme (`example.com:8443/x`, `//example.com`) means https for us; httpx and
  urllib read it as a relative reference (or `example.com:` as a scheme), so they are given the
  https:// form. Whether there is a scheme is urllib's call: `http:/x` has one. Surrounding
  whitespace is trimmed first (chat input); whitespace inside is refused.
* Default ports: httpx says `None`, urllib `None` or the number typed; we always give the number.
* A trailing dot (the DNS root) is dropped by us and kept by both; it is the same DNS name, and the
  probe's resolver never applies search domains.
* BSD numeric hosts (`2130706433`, `0x7f.1`, `010.8.8.8`): httpx and urllib keep them as names that
  the system resolver (getaddrinfo, i.e. inet_aton) turns into an address; we do that conversion
  before the check. httpx refuses dotted forms with leading zeros outright.
* IPv6 literals: httpx keeps the text as typed (`::FFFF:1.2.3.4`), we give the canonical form.
* Non-ASCII hosts: we map them with UTS 46 as browsers do (full-width letters and dots,
  compatibility characters); httpx applies strict IDNA 2008 and refuses what needs mapping, so
  there the host urllib splits off is mapped with the `idna` package and compared.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import re
import socket
import urllib.parse
from collections.abc import Callable, Iterator

import httpx
import idna
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from bot.probe.runner import ProbeSettings, probe
from bot.probe.safety import ProbePolicy, Target, TargetRefused, parse_target
from tests.servers import CanaryServer, DNSServer, HTTPServer

# Every address and port allowed: these tests are about reading URLs, not about which ranges are
# refused (tests/probe/test_safety.py covers those).
ANYWHERE = ProbePolicy.from_strings(networks=["0.0.0.0/0, ::/0"], ports=["1-65535"])
LOOPBACK_ONLY = ProbePolicy.from_strings(networks=["127.0.0.1/32"], ports=["1-65535"])
SCHEME_PORTS = {"http": 80, "https": 443}

# The same examples on every CI run (and no example database there); random locally, where it
# keeps looking for new disagreements.
_CI = os.environ.get("CI") == "true"
_DATABASE = None if _CI else settings.default.database
FAST = settings(max_examples=400, deadline=None, derandomize=_CI, database=_DATABASE)


# --- what to generate --------------------------------------------------------------------------

_SCHEMES = ["http://", "https://", "HTTP://", "hTtPs://", "//", ""]
_ODD_SCHEMES = ["http:", "https:/", "http:\\\\", "http:///", "ftp://", "javascript:"]
_USERINFO = ["user@", "user:pass@", "a%40b@", "evil.com\\@", "@", ":@"]
_DOTS = [".", "。", "．", "｡"]  # the ASCII dot and the three UTS 46 maps to it
_LABEL_CHARS = "abcxyz0129-_AZ"
_A_LABELS = ["xn--bcher-kva", "xn--a", "xn--", "XN--ZCA"]
_IDN_PIECES = ["ü", "ß", "ς", "é", "e\u0301", "ｂ", "Ｅ", "ﬀ", "Ⅻ", "İ", "中", "\u200d", "⒈", "％"]
_PORTS = ["", ":", ":80", ":443", ":8080", ":8443", ":0", ":65535", ":65536", ":080", ":00443"]
_ODD_PORTS = [":+80", ":8_0", ":٨٠", ":８０", "::80", ":80:80", ": 80", ":80a", ":-1"]
_PATHS = [
    *["", "/", "/a", "/../x", "//evil.com", "/@evil.com", "\\evil.com", "?q=1", "#f", "/a?b#c"],
    *["/%2e%2e/", "/ä?q=ü", "?@evil.com", "#@evil.com", "/[::1]", "/x:80"],
]
_JUNK = ["%31", "%", "\\", "[", "]", ":", "@", " ", "\t", "\n", "\u3000", "\ufeff", "\x00", "."]

_FULLWIDTH_DIGITS = {ord(d): 0xFF10 + int(d) for d in "0123456789"}
# The ways inet_aton (and so getaddrinfo, and browsers) read an IPv4 address.
_IPV4_FORMS: dict[str, Callable[[int, list[int]], str]] = {
    "dotted": lambda v, o: ".".join(map(str, o)),
    "decimal": lambda v, o: str(v),
    "hex": lambda v, o: hex(v),
    "octal": lambda v, o: f"0{v:o}",
    "two-part": lambda v, o: f"{o[0]}.{v & 0xFFFFFF}",
    "three-part": lambda v, o: f"{o[0]}.{o[1]}.{v & 0xFFFF}",
    "hex-octets": lambda v, o: ".".join(map(hex, o)),
    "octal-octets": lambda v, o: ".".join(f"0{x:o}" for x in o),
    "padded": lambda v, o: ".".join(f"{x:03d}" for x in o),
    "fullwidth": lambda v, o: ".".join(map(str, o)).translate(_FULLWIDTH_DIGITS),
}


def _ipv4_form(value: int, form: str) -> str:
    return _IPV4_FORMS[form](value, list(value.to_bytes(4, "big")))


_ipv4_hosts = st.builds(
    _ipv4_form,
    st.one_of(
        st.integers(0, 2**32 - 1),
        st.sampled_from([0x7F000001, 0xA9FEA9FE, 0x08080808, 0x0A000001, 0xC0A80101]),
    ),
    st.sampled_from(list(_IPV4_FORMS)),
)


@st.composite
def _ipv6_hosts(draw: st.DrawFn) -> str:
    special = st.sampled_from(["::1", "::ffff:7f00:1", "::127.0.0.1", "64:ff9b::a9fe:a9fe"])
    ip = ipaddress.IPv6Address(
        draw(st.one_of(st.integers(0, 2**128 - 1), special.map(ipaddress.IPv6Address).map(int)))
    )
    text = draw(st.sampled_from([ip.compressed, ip.exploded, ip.compressed.upper()]))
    if ip.ipv4_mapped is not None and draw(st.booleans()):
        text = f"::ffff:{ip.ipv4_mapped}"
    zone = draw(st.sampled_from(["", "", "", "", "", "%25eth0", "%eth0", "%"]))
    return f"[{text}{zone}]"


_labels = st.one_of(
    st.text(alphabet=_LABEL_CHARS, min_size=1, max_size=8),
    st.sampled_from(_A_LABELS),
    st.lists(
        st.one_of(st.sampled_from(_IDN_PIECES), st.text(alphabet="abc", min_size=1, max_size=3)),
        min_size=1,
        max_size=4,
    ).map("".join),
)


@st.composite
def _names(draw: st.DrawFn) -> str:
    labels = draw(st.lists(_labels, min_size=1, max_size=4))
    host = labels[0] + "".join(draw(st.sampled_from(_DOTS)) + label for label in labels[1:])
    if draw(st.booleans()):
        host += draw(st.sampled_from(_DOTS))  # a trailing (root) dot
    return host


@st.composite
def urls(draw: st.DrawFn) -> str:
    """A URL made of valid and tricky parts, sometimes with junk spliced in anywhere."""

    def rarely(odd: list[str]) -> str:
        return draw(st.sampled_from(odd)) if draw(st.integers(0, 7)) == 0 else ""

    host = draw(st.one_of(_names(), _ipv4_hosts, _ipv6_hosts(), st.just("localhost")))
    text = "".join(
        [
            rarely(_ODD_SCHEMES) or draw(st.sampled_from(_SCHEMES)),
            rarely(_USERINFO),
            host,
            rarely(_ODD_PORTS) or draw(st.sampled_from(_PORTS)),
            draw(st.sampled_from(_PATHS)),
        ]
    )
    if draw(st.integers(0, 5)) == 0:
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(_JUNK)) + text[at:]
    if draw(st.integers(0, 7)) == 0:
        text = f" {text}\t"
    return text


# --- how the other parsers are compared --------------------------------------------------------


def _absolute(raw: str) -> str:
    """The URL as httpx and urllib must be given it (a missing scheme means https to us)."""
    text = raw.strip()
    if urllib.parse.urlsplit(text).scheme in SCHEME_PORTS:
        return text
    return "https:" + text if text.startswith("//") else "https://" + text


def _as_connected(host: str) -> str:
    """Another parser's host as the connection would really use it (see the module docstring)."""
    if ":" in host:
        return str(ipaddress.IPv6Address(host))
    if not host.isascii():
        host = idna.encode(host, uts46=True).decode("ascii")
    host = host.lower().removesuffix(".")
    try:
        # What getaddrinfo does with a numeric name before any DNS lookup.
        return str(ipaddress.IPv4Address(socket.inet_aton(host)))
    except OSError:
        return host


def _httpx_refusal_is_intended(message: str, host: str) -> bool:
    """httpx refuses, we accept: only for hosts that need UTS 46 mapping or are BSD-numeric."""
    if message.startswith("Invalid IDNA hostname"):
        return not host.isascii()
    if message.startswith("Invalid IPv4 address"):
        return re.fullmatch(r"[0-9.]+", host) is not None  # leading zeros: '010.8.8.8'
    return False


def _accepted(raw: str, policy: ProbePolicy = ANYWHERE) -> Target | None:
    try:
        target = parse_target(raw, policy)
    except TargetRefused:
        event("refused")
        return None
    event("accepted")
    return target


def _check_against_httpx_and_urllib(raw: str) -> None:
    target = _accepted(raw)
    if target is None:
        return  # refusing is always safe
    absolute = _absolute(raw)

    split = urllib.parse.urlsplit(absolute)
    assert split.scheme == target.scheme
    assert split.username is None, "we accepted a URL with userinfo"
    assert split.hostname is not None, "urllib finds no host"
    assert (split.port or SCHEME_PORTS[split.scheme]) == target.port
    assert _as_connected(split.hostname) == target.host

    try:
        url = httpx.URL(absolute)
    except httpx.InvalidURL as exc:
        refusal = str(exc)
    else:
        assert url.scheme == target.scheme
        assert url.userinfo == b""
        assert (url.port or SCHEME_PORTS[url.scheme]) == target.port
        # raw_host: the bytes httpcore connects to (url.host IDNA-decodes them for display).
        host = url.raw_host.decode("ascii")
        assert _as_connected(host) == target.host
        if host.startswith("xn--") and "_" not in host:
            assert url.host  # an A-label we accept decodes
        return
    # urllib's host was compared above; httpx must have refused for an intended reason.
    event("httpx refused, urllib compared")
    assert _httpx_refusal_is_intended(refusal, split.hostname), refusal


# --- the properties ----------------------------------------------------------------------------

# Inputs on which the parsers disagreed before parse_target was fixed.
FOUND = [
    "http:/example.com",  # browsers: host example.com; httpx, urllib: no host; we read host 'http'
    " https:/0.0.0.0\t",  # (found by the generator below) the same with another host
    "HTTPS:8443",  # httpx, urllib: scheme https, no host; we read host 'https', port 8443
    "http://xn--a.com/",  # not valid punycode: httpx.URL(...).host raises
    "http://xn--bcher-kva.-",  # a label that is a hyphen: httpx's IDNA raises
    "http://a.-b/",  # a label starting with a hyphen
    "http://a-.example/",  # a label ending with a hyphen
]


@pytest.mark.parametrize("raw", FOUND)
def test_found_disagreements_are_refused(raw: str) -> None:
    with pytest.raises(TargetRefused):
        parse_target(raw, ANYWHERE)


@FAST
@given(urls())
@example("http://0x7f.1/")
@example("https://ｂücher.ＥＸＡＭＰＬＥ./")
@example("010.8.8.8:8080")
@example("http://[::FFFF:127.0.0.1]:0080/")
@example("//example.com.:443?x")
def test_accepted_urls_read_the_same_by_httpx_and_urllib(raw: str) -> None:
    _check_against_httpx_and_urllib(raw)


@FAST
@given(st.text(max_size=40))
def test_accepted_text_read_the_same_by_httpx_and_urllib(raw: str) -> None:
    _check_against_httpx_and_urllib(raw)


@FAST
@given(urls())
def test_canonical_url_is_read_back_exactly(raw: str) -> None:
    """What the probe passes on (Target.url, host, port) is what httpx and urllib read, with no
    normalisation left to do; and reading it again gives the same Target."""
    target = _accepted(raw)
    if target is None:
        return
    url = httpx.URL(target.url)
    assert (url.scheme, url.raw_host.decode("ascii")) == (target.scheme, target.host)
    assert (url.port or SCHEME_PORTS[url.scheme]) == target.port
    split = urllib.parse.urlsplit(target.url)
    assert (split.scheme, split.hostname) == (target.scheme, target.host)
    assert (split.port or SCHEME_PORTS[split.scheme]) == target.port
    assert parse_target(target.url, ANYWHERE) == target
    if target.ip is not None:
        assert ipaddress.ip_address(target.host) == target.ip


# --- the request the probe really makes --------------------------------------------------------


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[HTTPServer, CanaryServer, DNSServer]]:
    with (
        HTTPServer(host="127.0.0.1") as srv,
        CanaryServer(host="127.0.0.2") as canary,
        DNSServer({}) as dns,
    ):
        yield srv, canary, dns


@settings(
    max_examples=40,
    deadline=None,
    derandomize=_CI,
    database=_DATABASE,
    # The servers are module-scoped; nothing in them is reset between examples.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    scheme=st.sampled_from(["http://", "HTTP://", "hTtP://"]),
    host=st.one_of(
        st.sampled_from(list(_IPV4_FORMS)).map(lambda form: _ipv4_form(0x7F000001, form)),
        _names(),
    ),
    trailing_dot=st.booleans(),
    path=st.sampled_from(_PATHS),
)
def test_probe_connects_to_the_checked_address(
    servers: tuple[HTTPServer, CanaryServer, DNSServer],
    scheme: str,
    host: str,
    trailing_dot: bool,
    path: str,
) -> None:
    """Whatever form the URL takes, the probe's request lands on 127.0.0.1 (the only address
    allowed) with the host we checked in Host, and a name is resolved as the name we checked."""
    srv, canary, dns = servers
    raw = f"{scheme}{host}{'.' if trailing_dot else ''}:{srv.port}{path}"
    target = _accepted(raw, LOOPBACK_ONLY)
    if target is None or (target.ip is not None and str(target.ip) != "127.0.0.1"):
        return  # refused, or a public address: the policy allows it, a test must not go there
    if target.ip is None:
        dns.set(target.host, "127.0.0.1")
    queries, hits = len(dns.queries), srv.hits
    report = asyncio.run(
        probe(raw, settings=ProbeSettings(policy=LOOPBACK_ONLY, nameservers=(dns.nameserver,)))
    )
    assert report.edge.failed_phase is None, report.edge
    assert srv.hits == hits + 1
    assert srv.requests[-1].host == f"{target.host}:{srv.port}"
    if target.ip is None:
        assert {q.name for q in dns.queries[queries:]} == {target.host}
    assert canary.hits == 0
