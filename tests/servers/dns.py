"""A loopback UDP DNS server (dnslib wire format) answering from a small zone table.

Zone values:

- ``Records(a=[...], aaaa=[...])`` or ``Records(cname="target")`` (also a bare IP string, a list
  of IP strings, or ``cname("target")``);
- one of the behaviour strings ``"NXDOMAIN"``, ``"SERVFAIL"``, ``"REFUSED"``, ``"NODATA"``
  (NOERROR, empty answer) or ``"SILENT"`` (never answer).

``Records(..., silent=("AAAA",))`` never answers queries of those types for the name (a resolver
or middlebox that drops AAAA queries while answering A).

Unknown names get NXDOMAIN. CNAME chains are followed and answered in full in one response (as a
recursive resolver does) for A and AAAA queries; a chain ending in an unknown name gives NXDOMAIN
with the CNAMEs in the answer section. A CNAME query is answered with the name's own CNAME only.
A chain that loops or runs past ``chain_limit`` CNAMEs ends the way ``long_chain`` says:
``"SERVFAIL"`` (an empty SERVFAIL, as Unbound does) or ``"PARTIAL"`` (NOERROR with the CNAMEs
followed so far and no address, as some public resolvers do).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, Self, cast

from dnslib import AAAA, CNAME, QTYPE, RCODE, RR, A, DNSRecord

from ._loop import Endpoint, LoopThread, check_loopback, family_of

__all__ = [
    "Behaviour",
    "DNSQuery",
    "DNSServer",
    "LongChain",
    "Records",
    "SilentUDPServer",
    "ZoneValue",
    "cname",
]

Behaviour = Literal["NXDOMAIN", "SERVFAIL", "REFUSED", "NODATA", "SILENT"]
LongChain = Literal["SERVFAIL", "PARTIAL"]
_BEHAVIOURS = ("NXDOMAIN", "SERVFAIL", "REFUSED", "NODATA", "SILENT")
_MAX_CHAIN = 16


@dataclass(frozen=True)
class Records:
    """Address records for a name, or a CNAME to another name (not both)."""

    a: Sequence[str] = ()
    aaaa: Sequence[str] = ()
    cname: str | None = None
    ttl: int = 60
    silent: Sequence[str] = ()  # query types ("A", "AAAA", ...) never answered for this name

    def __post_init__(self) -> None:
        if self.cname is not None and (self.a or self.aaaa):
            raise ValueError("a name with a CNAME cannot have other records")
        for ip in self.a:
            ipaddress.IPv4Address(ip)
        for ip in self.aaaa:
            ipaddress.IPv6Address(ip)


def cname(target: str, ttl: int = 60) -> Records:
    """Shorthand for ``Records(cname=target)``."""
    return Records(cname=target, ttl=ttl)


ZoneValue = Records | Behaviour | str | Sequence[str]


class DNSQuery(NamedTuple):
    """One query received: name (lower case, no trailing dot) and type name ("A", "AAAA", ...)."""

    name: str
    qtype: str


def _norm(name: str) -> str:
    return name.lower().rstrip(".")


def _to_entry(name: str, value: ZoneValue) -> Records | str:
    if isinstance(value, Records):
        return value
    values = [value] if isinstance(value, str) else list(value)
    if isinstance(value, str) and value.upper() in _BEHAVIOURS:
        return value.upper()
    a: list[str] = []
    aaaa: list[str] = []
    for item in values:
        try:
            ip = ipaddress.ip_address(item)
        except ValueError:
            raise ValueError(
                f"zone value for {name!r} must be Records, an IP (list) or one of {_BEHAVIOURS}"
            ) from None
        (a if ip.version == 4 else aaaa).append(str(ip))
    return Records(a=a, aaaa=aaaa)


class _UDPProtocol(asyncio.DatagramProtocol):
    def __init__(self, owner: _UDPServerBase) -> None:
        self.owner = owner
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self.owner._hit()
        try:
            reply = self.owner._answer(data)
        except Exception as exc:
            self.owner._record_error("dns", exc)
            return
        if reply is not None and self.transport is not None:
            self.transport.sendto(reply, addr)


class _UDPServerBase(Endpoint, LoopThread):
    def __init__(self, host: str, port: int) -> None:
        super().__init__(f"eo-test-{type(self).__name__}")
        self.host = check_loopback(host)
        self._requested_port = port
        self._port: int | None = None
        self._transport: asyncio.DatagramTransport | None = None
        self._hits = 0

    @property
    def hits(self) -> int:
        """Datagrams received."""
        with self._lock:
            return self._hits

    def _hit(self) -> None:
        with self._lock:
            self._hits += 1

    def _answer(self, data: bytes) -> bytes | None:
        return None

    def start(self) -> Self:
        if self.running:
            return self
        sock = socket.socket(family_of(self.host), socket.SOCK_DGRAM)
        try:
            sock.bind((self.host, self._requested_port))
        except BaseException:
            sock.close()
            raise
        self._port = sock.getsockname()[1]
        self._start_loop()
        try:
            self._transport = self._call(self._open(sock))
        except BaseException:
            sock.close()
            self._stop_loop()
            raise
        return self

    async def _open(self, sock: socket.socket) -> asyncio.DatagramTransport:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(lambda: _UDPProtocol(self), sock=sock)
        return transport

    async def _close(self) -> None:
        if self._transport is not None:
            self._transport.close()
        for _ in range(3):
            await asyncio.sleep(0)

    def stop(self) -> None:
        if self._loop is None:
            return
        if self.running:
            try:
                self._call(self._close())
            except Exception as exc:
                self._record_error("stop", exc)
        self._stop_loop()


class SilentUDPServer(_UDPServerBase):
    """A UDP socket on loopback that never answers (a resolver timing out). ``hits`` counts
    datagrams received."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)


class DNSServer(_UDPServerBase):
    """UDP DNS server on loopback answering from ``zones`` (see the module docstring).

    ``queries`` lists every DNSQuery received; ``hits`` counts datagrams. ``zones`` can be changed
    while running with ``set(name, value)``.
    """

    def __init__(
        self,
        zones: Mapping[str, ZoneValue] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        chain_limit: int = _MAX_CHAIN,
        long_chain: LongChain = "SERVFAIL",
    ) -> None:
        super().__init__(host, port)
        self.chain_limit = chain_limit
        self.long_chain = long_chain
        self._zones: dict[str, Records | str] = {}
        for name, value in (zones or {}).items():
            self.set(name, value)
        self.queries: list[DNSQuery] = []

    @property
    def nameserver(self) -> tuple[str, int]:
        """(host, port) to give a resolver."""
        return self.address

    def set(self, name: str, value: ZoneValue) -> None:
        """Add or replace the zone entry for ``name``."""
        self._zones[_norm(name)] = _to_entry(name, value)

    def _answer(self, data: bytes) -> bytes | None:
        request = DNSRecord.parse(data)
        qname = str(request.q.qname)
        qtype = request.q.qtype
        self.queries.append(DNSQuery(_norm(qname), QTYPE.get(qtype, str(qtype))))
        reply = request.reply(ra=1, aa=1)
        rcode = self._resolve(reply, qname, qtype)
        if rcode is None:
            return None
        reply.header.rcode = rcode
        if rcode in (RCODE.SERVFAIL, RCODE.REFUSED):
            reply.rr = []
        packed: bytes = reply.pack()
        return packed

    def _resolve(self, reply: DNSRecord, qname: str, qtype: int) -> int | None:
        """Fill ``reply``'s answers following CNAMEs; return the rcode, or None to stay silent."""
        name = qname
        seen: set[str] = set()
        for _ in range(self.chain_limit + 1):
            if _norm(name) in seen:
                break  # a loop: the resolver notices the repeated name
            seen.add(_norm(name))
            entry = self._zones.get(_norm(name))
            if entry is None or entry == "NXDOMAIN":
                return int(RCODE.NXDOMAIN)
            if entry == "SILENT":
                return None
            if entry == "SERVFAIL":
                return int(RCODE.SERVFAIL)
            if entry == "REFUSED":
                return int(RCODE.REFUSED)
            if entry == "NODATA" or not isinstance(entry, Records):
                return int(RCODE.NOERROR)
            if QTYPE.get(qtype, str(qtype)) in entry.silent:
                return None
            if entry.cname is not None:
                target = entry.cname.rstrip(".") + "."
                reply.add_answer(RR(name, QTYPE.CNAME, rdata=CNAME(target), ttl=entry.ttl))
                if qtype == QTYPE.CNAME:
                    return int(RCODE.NOERROR)
                name = target
                continue
            if qtype == QTYPE.A:
                for ip in entry.a:
                    reply.add_answer(RR(name, QTYPE.A, rdata=A(ip), ttl=entry.ttl))
            elif qtype == QTYPE.AAAA:
                for ip in entry.aaaa:
                    reply.add_answer(RR(name, QTYPE.AAAA, rdata=AAAA(ip), ttl=entry.ttl))
            return int(RCODE.NOERROR)
        # A CNAME loop, or a chain longer than the limit.
        return int(RCODE.NOERROR) if self.long_chain == "PARTIAL" else int(RCODE.SERVFAIL)
