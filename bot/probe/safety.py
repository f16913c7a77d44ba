"""Decide whether a user-supplied URL may be probed (SSRF protection).

Anyone in Slack can ask the bot to probe a URL, so the probe must never become a way to reach the
bot's own network: loopback, private ranges, cloud metadata, or this machine's interfaces. This
module validates and normalises the URL (`parse_target`) and checks addresses (`ProbePolicy`); the
probe runner must call `check_address` again on every resolved address and on every redirect hop,
because a hostname can resolve to anything.

Everything is refused by default; a deployment that really needs to probe internal origins allows
them explicitly (`EO_PROBE_ALLOW_NETWORKS`, `EO_PROBE_ALLOW_PORTS`), the same way tests reach
loopback servers.

The URL parser is our own on purpose: it refuses what general-purpose parsers guess at (userinfo,
backslashes, zone ids, percent-encoded hosts) and turns numeric host tricks into the address they
mean before the check. A differential test holds it to httpx (which sends the request) and
urllib.parse: whatever it accepts, they read with the same scheme, host and port. Addresses are
classified with `ipaddress` (its IPv4-in-IPv6 properties included) plus explicit tables.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
import time
import unicodedata
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass

import idna
from cachetools.func import ttl_cache

log = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_PORTS: frozenset[int] = frozenset({80, 443, 8080, 8443})

MAX_URL_LENGTH = 2048
_SCHEME_PORTS = {"http": 80, "https": 443}
_NETWORKS_HINT = "a deployment can allow networks with EO_PROBE_ALLOW_NETWORKS"
_PORTS_HINT = "a deployment can allow more with EO_PROBE_ALLOW_PORTS"

_v4 = ipaddress.IPv4Network
_v6 = ipaddress.IPv6Network

# Refused ranges and what to call them in the message ("X is a <label> address"). When several
# entries match, the most specific one names the address (so 255.255.255.255 is "broadcast", not
# the 240.0.0.0/4 "reserved"), which keeps this table free of ordering rules.
_REFUSED_V4: tuple[tuple[ipaddress.IPv4Network, str], ...] = (
    (_v4("0.0.0.0/8"), "unspecified ('this network')"),
    (_v4("10.0.0.0/8"), "private network"),
    (_v4("100.64.0.0/10"), "carrier-grade NAT"),
    (_v4("127.0.0.0/8"), "loopback"),
    (_v4("169.254.0.0/16"), "link-local (cloud metadata)"),
    (_v4("169.254.169.254/32"), "link-local (cloud metadata)"),
    (_v4("172.16.0.0/12"), "private network"),
    (_v4("192.0.0.0/24"), "reserved (IETF protocol assignments)"),
    (_v4("192.0.2.0/24"), "documentation range"),
    (_v4("192.88.99.0/24"), "reserved (6to4 relay anycast)"),
    (_v4("192.168.0.0/16"), "private network"),
    (_v4("198.18.0.0/15"), "reserved (benchmarking)"),
    (_v4("198.51.100.0/24"), "documentation range"),
    (_v4("203.0.113.0/24"), "documentation range"),
    (_v4("224.0.0.0/4"), "multicast"),
    (_v4("240.0.0.0/4"), "reserved"),
    (_v4("255.255.255.255/32"), "broadcast"),
)

_REFUSED_V6: tuple[tuple[ipaddress.IPv6Network, str], ...] = (
    (_v6("::/128"), "unspecified"),
    (_v6("::1/128"), "loopback"),
    (_v6("100::/64"), "reserved (discard-only)"),
    (_v6("2001::/23"), "reserved (IETF protocol assignments)"),
    (_v6("2001:db8::/32"), "documentation range"),
    (_v6("3fff::/20"), "documentation range"),
    (_v6("5f00::/16"), "reserved (segment routing)"),
    (_v6("fc00::/7"), "private network (unique local)"),
    (_v6("fd00:ec2::254/128"), "private network (cloud metadata)"),
    (_v6("fe80::/10"), "link-local"),
    (_v6("fec0::/10"), "reserved (deprecated site-local)"),
    (_v6("ff00::/8"), "multicast"),
)


# IPv6 addresses that carry an IPv4 address inside. They are refused whatever they wrap (the
# operating system or a translator may deliver them to the embedded IPv4 address, and Python's
# is_global says True for several of them), but the wrapped address names the danger in the
# message, and an allowed network containing the wrapped address lets them through.
_NAT64 = _v6("64:ff9b::/96")
_LOCAL_NAT64 = _v6("64:ff9b:1::/48")
_IPV4_COMPATIBLE = _v6("::/96")


@dataclass(frozen=True, slots=True)
class _Embedded:
    kind: str  # "IPv4-mapped IPv6", "6to4", ...
    target: ipaddress.IPv4Address  # where the packets end up
    # Teredo only: the server named in the address, which a Teredo host contacts first (its
    # bubbles go there), so it must be acceptable too.
    server: ipaddress.IPv4Address | None = None


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> _Embedded | None:
    """The IPv4 address hidden in ip, if ip is one of the forms that carry one."""
    if ip.ipv4_mapped is not None:
        return _Embedded("IPv4-mapped IPv6", ip.ipv4_mapped)
    if ip.sixtofour is not None:
        return _Embedded("6to4", ip.sixtofour)
    if ip.teredo is not None:
        server, client = ip.teredo
        return _Embedded("Teredo", client, server)
    # ipaddress has no property for the three forms below, so they are explicit rules. All three
    # keep the IPv4 address in the last 32 bits.
    if ip in _NAT64:
        kind = "NAT64"
    elif ip in _LOCAL_NAT64:
        # RFC 8215 lets an operator pick a longer prefix inside this /48, which moves the IPv4
        # address; the whole /48 is refused anyway, and the /96 layout names it in the message.
        kind = "local-use NAT64"
    elif ip in _IPV4_COMPATIBLE and not (ip.is_unspecified or ip.is_loopback):
        # Deprecated IPv4-compatible form (RFC 4291); :: and ::1 are themselves, not wrappers.
        kind = "IPv4-compatible IPv6"
    else:
        return None
    return _Embedded(kind, ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))


class TargetRefused(Exception):
    """The target may not be probed. str(exc) is a plain user-facing reason saying what was wrong
    and what to do."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _a(label: str) -> str:
    """'a loopback' / 'an IPv4-mapped': every label in the tables starts with a letter whose
    spoken form follows the vowel rule, so this stays a one-liner."""
    return f"{'an' if label[0].lower() in 'aeiou' else 'a'} {label}"


def _range_label(ip: IPAddress) -> str | None:
    """The label of the most specific refused range holding ip."""
    table: Iterable[tuple[IPNetwork, str]] = _REFUSED_V4 if ip.version == 4 else _REFUSED_V6
    best = max(((net.prefixlen, label) for net, label in table if ip in net), default=None)
    return best[1] if best else None


@dataclass(frozen=True, slots=True)
class ProbePolicy:
    """Which ports and non-public networks the probe may reach (nothing non-public by default)."""

    allowed_ports: frozenset[int] = DEFAULT_PORTS
    allowed_networks: tuple[IPNetwork, ...] = ()
    refuse_local_interfaces: bool = True  # refuse the machine's own interface addresses

    @classmethod
    def from_strings(
        cls, *, ports: Iterable[str] = (), networks: Iterable[str] = ()
    ) -> ProbePolicy:
        """ports: items like '8000', '8000-9000', or comma-separated lists of them (added to the
        defaults); networks: CIDRs or bare IPs, comma/space separated. Raises ValueError with a
        plain message naming the bad item."""
        allowed_ports = set(DEFAULT_PORTS)
        for spec in ports:
            allowed_ports |= parse_port_spec(spec)
        allowed_networks: list[IPNetwork] = []
        for spec in networks:
            allowed_networks.extend(parse_networks(spec))
        return cls(frozenset(allowed_ports), tuple(allowed_networks))

    def _allows(self, ip: IPAddress) -> bool:
        return any(ip in net for net in self.allowed_networks)

    def check_address(self, ip: IPAddress) -> None:
        """Raise TargetRefused unless ip is globally routable or inside allowed_networks."""
        problem = self._problem(ip)
        if problem is not None:
            raise TargetRefused(
                f"{ip} is {problem}; the probe only reaches public addresses ({_NETWORKS_HINT})"
            )

    def _problem(self, ip: IPAddress) -> str | None:
        """What makes ip unreachable for the probe ('a loopback address'), or None."""
        if self._allows(ip):
            return None
        if isinstance(ip, ipaddress.IPv6Address):
            embedded = _embedded_ipv4(ip)
            if embedded is not None:
                return self._embedded_problem(embedded)
        in_range = _range_label(ip)
        if in_range is not None:
            return f"{_a(in_range)} address"
        if self.refuse_local_interfaces and _plain(ip) in local_addresses():
            return "this machine's own address"
        if not ip.is_global:
            # Backstop: whatever Python knows to be non-public that the tables above missed.
            return "not a globally routable address"
        return None

    def _embedded_problem(self, embedded: _Embedded) -> str | None:
        """Refuse an IPv4-carrying IPv6 address unless an allowed network holds the IPv4 address
        it leads to (and its Teredo server, when it has one, may be reached as well)."""
        server = embedded.server
        server_problem = self._problem(server) if server is not None else None
        if self._allows(embedded.target) and server_problem is None:
            return None
        problem = f"{_a(embedded.kind)} address of {embedded.target}{_inner_label(embedded.target)}"
        if server is not None and server_problem is not None:
            problem += f" through the server {server}{_inner_label(server)}"
        return problem

    def check_port(self, port: int) -> None:
        """Raise TargetRefused unless the policy allows port."""
        if port not in self.allowed_ports:
            raise TargetRefused(
                f"port {port} is not allowed; the probe uses ports "
                f"{_describe_ports(self.allowed_ports)} ({_PORTS_HINT})"
            )


def _inner_label(ip: ipaddress.IPv4Address) -> str:
    """' (link-local, cloud metadata)' for a wrapped address: no nested parentheses."""
    label = _range_label(ip)
    return f" ({label.replace(' (', ', ').rstrip(')')})" if label else ""


def _plain(ip: IPAddress) -> IPAddress:
    """Drop an IPv6 zone id so the address compares equal to the interface table's entries."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.scope_id:
        return ipaddress.IPv6Address(int(ip))
    return ip


def _describe_ports(ports: frozenset[int]) -> str:
    """'80, 443, 8000-9000': a range of allowed ports should not print a thousand numbers."""
    parts: list[str] = []
    ordered = sorted(ports)
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        parts.append(str(ordered[i]) if i == j else f"{ordered[i]}-{ordered[j]}")
        i = j + 1
    return ", ".join(parts) if parts else "(none)"


@dataclass(frozen=True, slots=True)
class Target:
    """A validated, normalised probe target."""

    scheme: str  # 'http' | 'https'
    host: str  # lowercase IDNA-encoded hostname, or a canonical IP string (no brackets)
    port: int  # explicit or scheme default
    path: str  # path + query ('/' when empty), fragment dropped
    ip: IPAddress | None  # set when the host is an IP literal (after numeric normalisation)
    url: str  # canonical URL rebuilt from the parts


_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_PORT_AFTER_COLON_RE = re.compile(r"[0-9]*(?:[/?#]|$)")
_NUMERIC_LABEL_RE = re.compile(r"[0-9]+|0x[0-9a-f]*")
# Letters, digits, hyphens (never first or last: httpx's IDNA refuses such a label, and no
# registry hands one out) and underscores (seen in real names, accepted by resolvers).
_HOST_LABEL_RE = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")
# Characters that are fine unescaped in a path and query: RFC 3986 reserved ones, plus '%' so that
# existing escapes are not escaped twice. Everything else (non-ASCII, quotes, braces) is escaped.
_PATH_SAFE = "!$%&'()*+,/:;=?@[]~"
# Invisible or line-breaking characters hide what a URL really says; refuse instead of guessing.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp", "Zs"})


def parse_target(raw: str, policy: ProbePolicy) -> Target:
    """Validate a user-supplied URL; a bare host ('example.com', 'example.com/path') means https.

    Raises TargetRefused with a user-facing reason for anything it will not probe. IP-literal
    hosts are checked here; hostnames must still have every resolved address checked.
    """
    text = raw.strip()
    if not text:
        raise TargetRefused("the URL is empty; give an address like https://example.com/")
    if len(text) > MAX_URL_LENGTH:
        raise TargetRefused(
            f"the URL is {len(text)} characters long; the probe accepts at most {MAX_URL_LENGTH}"
        )
    for ch in text:
        if ch.isspace() or unicodedata.category(ch) in _REFUSED_CATEGORIES:
            raise TargetRefused(
                f"the URL contains a space or invisible character (U+{ord(ch):04X}); "
                "paste just the URL"
            )

    scheme, rest = _split_scheme(text)
    end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    authority, tail = rest[:end], rest[end:]
    path = tail.split("#", 1)[0]
    if not path.startswith("/"):
        path = "/" + path
    path = urllib.parse.quote(path, safe=_PATH_SAFE)

    if "@" in authority:
        raise TargetRefused(
            "the URL contains a user name or password (user:pass@host); remove it and try again"
        )
    if not authority:
        raise TargetRefused(f"the URL has no host; write it like {scheme}://example.com/")
    host_text, port_text = _split_host_port(authority)
    host, ip = _normalise_host(host_text)

    port = _SCHEME_PORTS[scheme]
    if port_text:
        if not re.fullmatch(r"[0-9]{1,5}", port_text) or not 1 <= int(port_text) <= 65535:
            raise TargetRefused(f"'{port_text}' is not a valid port; use a number from 1 to 65535")
        port = int(port_text)

    if ip is not None:
        policy.check_address(ip)
    elif (host == "localhost" or host.endswith(".localhost")) and not policy._allows(
        ipaddress.IPv4Address("127.0.0.1")
    ):
        # RFC 6761: these names always mean this machine, whatever DNS would say.
        raise TargetRefused(
            f"{host} is a loopback name; the probe only reaches public addresses ({_NETWORKS_HINT})"
        )
    policy.check_port(port)

    url_host = f"[{host}]" if ip is not None and ip.version == 6 else host
    url_port = "" if port == _SCHEME_PORTS[scheme] else f":{port}"
    url = f"{scheme}://{url_host}{url_port}{path}"
    return Target(scheme=scheme, host=host, port=port, path=path, ip=ip, url=url)


def _split_scheme(text: str) -> tuple[str, str]:
    """Return (scheme, text after '//'), assuming https when the user gave a bare host."""
    if text.startswith("//"):
        return "https", text[2:]
    match = _SCHEME_RE.match(text)
    if match is None:
        return "https", text
    after = text[match.end() :]
    name = match.group(1)
    scheme = name.lower()
    if not after.startswith("//"):
        if scheme in _SCHEME_PORTS:
            # 'http:/example.com' and 'https:8443' are http URLs to httpx and urllib (with no
            # host) and to browsers (host example.com), never a host named 'http'.
            raise TargetRefused(f"the URL is missing '//' after '{name}:'; write {name}://host/")
        # 'example.com:8443/x' and 'localhost:8080' look like a scheme to a URL parser; a scheme
        # never contains a dot and is never followed by a port number.
        if "." in name or _PORT_AFTER_COLON_RE.match(after):
            return "https", text
    if scheme not in _SCHEME_PORTS:
        raise TargetRefused(f"only http and https URLs can be probed, not '{name}:'")
    return scheme, after[2:]


def _split_host_port(authority: str) -> tuple[str, str]:
    """Split 'host:port' or '[v6]:port'; the port text may be empty."""
    if authority.startswith("["):
        close = authority.find("]")
        if close < 0:
            raise TargetRefused("the IPv6 address is missing its closing ']'")
        host, after = authority[: close + 1], authority[close + 1 :]
        if after and not after.startswith(":"):
            raise TargetRefused(f"unexpected '{after}' after the IPv6 address; expected ':port'")
        return host, after[1:]
    host, colon, port = authority.partition(":")
    if ":" in port:
        raise TargetRefused(
            "IPv6 addresses must be written in brackets, like https://[2001:db8::1]/"
        )
    if colon and not host:
        raise TargetRefused("the URL has no host before the port")
    return host, port


def _normalise_host(host: str) -> tuple[str, IPAddress | None]:
    """Return the canonical host and, for IP literals, the address it denotes."""
    if host.startswith("["):
        inner = host[1:-1]
        if "%" in inner:
            raise TargetRefused(
                "IPv6 zone ids (the '%' part) are not allowed; use a public address"
            )
        try:
            ip6 = ipaddress.IPv6Address(inner)
        except ValueError:
            raise TargetRefused(f"'{inner}' is not a valid IPv6 address") from None
        return str(ip6), ip6
    if "%" in host or "\\" in host:
        # Browsers decode %-escapes in hosts and treat '\' as '/': both hide the real host.
        raise TargetRefused(f"'{host}' is not a valid host name ('%' and '\\' are not allowed)")

    typed_ascii = host.isascii()
    if not typed_ascii:
        # UTS 46 mapping, as browsers do; it also folds full-width digits and dots, so the
        # numeric check below sees what a resolver would.
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError, ValueError):
            raise TargetRefused(f"'{host}' is not a valid international host name") from None
    host = host.lower()
    if host.endswith("."):
        host = host[:-1]
    labels = host.split(".")

    # A host whose last label is a number is an IPv4 address in one of the BSD forms
    # (2130706433, 0x7f.1, 0177.0.0.1, 127.1) or nothing: no top-level domain is numeric.
    if _NUMERIC_LABEL_RE.fullmatch(labels[-1]):
        try:
            ip4 = ipaddress.IPv4Address(socket.inet_aton(host))
        except (OSError, ValueError):
            raise TargetRefused(f"'{host}' is not a valid IPv4 address or host name") from None
        return str(ip4), ip4

    if len(host) > 253 or not all(_HOST_LABEL_RE.fullmatch(label) for label in labels):
        raise TargetRefused(f"'{host}' is not a valid host name")
    for label in labels if typed_ascii else ():  # idna.encode's own output is valid
        if label.startswith("xn--"):
            # An A-label must decode to a valid international name ('xn--a' does not): no
            # registry hands such a name out, and httpx cannot read the URL's host back.
            try:
                idna.decode(label)
            except (idna.IDNAError, UnicodeError):
                raise TargetRefused(f"'{host}' is not a valid international host name") from None
    return host, None


def parse_port_spec(spec: str) -> frozenset[int]:
    """'8000-9000, 3000' -> those ports. ValueError names the bad item."""
    ports: set[int] = set()
    # Allow '8000 - 9000' as well as '8000-9000' before splitting on spaces.
    for item in re.split(r"[\s,]+", re.sub(r"\s*-\s*", "-", spec.strip())):
        if not item:
            continue
        match = re.fullmatch(r"([0-9]{1,5})(?:-([0-9]{1,5}))?", item)
        if match is None:
            raise ValueError(
                f"'{item}' is not a port or port range (expected e.g. 8000 or 8000-9000)"
            )
        low = int(match.group(1))
        high = int(match.group(2) or low)
        for port in (low, high):
            if not 1 <= port <= 65535:
                raise ValueError(f"port {port} in '{item}' is outside 1-65535")
        if high < low:
            raise ValueError(f"port range '{item}' is reversed; write {high}-{low}")
        ports.update(range(low, high + 1))
    return frozenset(ports)


def parse_networks(spec: str) -> tuple[IPNetwork, ...]:
    """'10.0.0.0/8, ::1' -> networks (a bare address is a single-address network). ValueError
    names the bad item."""
    networks: list[IPNetwork] = []
    for item in re.split(r"[\s,]+", spec.strip()):
        if not item:
            continue
        try:
            # strict=False: '10.1.2.3/8' means 10.0.0.0/8 rather than an error at startup.
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(
                f"'{item}' is not a network (expected a CIDR like 10.0.0.0/8 or an address "
                "like 127.0.0.1)"
            ) from None
    return tuple(networks)


# How long the list of this machine's addresses is reused. Enumerating costs well under a
# millisecond, but every public address a probe checks is looked up in it, so it is not read per
# probe; it is not read once for good either, because a long-running bot gains and loses addresses
# (DHCP, VPNs, containers joining networks) and a stale list would let a new one through.
LOCAL_ADDRESSES_TTL = 60.0


def _clock() -> float:
    return time.monotonic()


# The lambda looks _clock up at each call, so tests can move time forward.
@ttl_cache(maxsize=1, ttl=LOCAL_ADDRESSES_TTL, timer=lambda: _clock())
def local_addresses() -> frozenset[IPAddress]:
    """This machine's interface addresses (all of them, secondary ones included), read again at
    most every LOCAL_ADDRESSES_TTL seconds.

    Best effort: loopback is always included because it is always there, and a machine where
    interfaces cannot be listed gets loopback alone (logged).
    """
    # Imported here: loading it costs ~60 ms (ctypes looks for libc), which commands that never
    # probe (eo-bot ask, kb check) should not pay.
    import ifaddr

    found: set[IPAddress] = {ipaddress.IPv4Address("127.0.0.1"), ipaddress.IPv6Address("::1")}
    try:
        adapters = ifaddr.get_adapters()
    except OSError:
        log.warning("cannot list this machine's interface addresses", exc_info=True)
        return frozenset(found)
    for adapter in adapters:
        for entry in adapter.ips:
            # IPv4 entries are strings; IPv6 ones are (address, flowinfo, scope id) tuples.
            text = entry.ip[0] if isinstance(entry.ip, tuple) else entry.ip
            try:
                found.add(ipaddress.ip_address(text))
            except ValueError:
                continue
    return frozenset(found)
