"""DNS phase: A and AAAA through dnspython's async resolver, each with its own outcome.

The two queries run side by side. A name is usable as soon as one of them gives addresses: a
resolver that answers A and drops AAAA (some middleboxes do) must not turn into a DNS timeout, so
once one type has answered the other gets ``FAMILY_GRACE`` more seconds and is then reported as
not answered in time. When neither gives addresses and the resolver gave up (SERVFAIL) or could
not follow the chain, the CNAME chain is walked one hop at a time to tell a CNAME loop or an
over-long chain from a plain server failure.
"""

from __future__ import annotations

import asyncio
import time
from typing import Literal

import dns.asyncresolver
import dns.exception
import dns.message
import dns.name
import dns.nameserver
import dns.resolver
from dns.rdatatype import RdataType

from bot.probe.edgeone import markers
from bot.probe.models import DNSResult, DNSStatus, Lookup, LookupStatus

# How long the other query type may still take once one has given addresses (seconds). RFC 8305
# waits 50 ms for AAAA after A; the probe waits longer because it reports both outcomes.
FAMILY_GRACE = 0.5
# The most CNAME hops followed, as dnspython (and BIND) do; a longer chain is reported as such.
MAX_CNAME_HOPS = dns.message.MAX_CHAIN

# Worst outcome first: when A and AAAA disagree, the more telling failure is reported.
_RANK: dict[LookupStatus, int] = {
    "cname_loop": 0,
    "cname_too_long": 1,
    "nxdomain": 2,
    "servfail": 3,
    "timeout": 4,
    "no_answer": 5,
    "ok": 6,
}
_TYPES: tuple[tuple[Literal["A", "AAAA"], RdataType], ...] = (
    ("A", RdataType.A),
    ("AAAA", RdataType.AAAA),
)


def make_resolver(
    nameservers: tuple[tuple[str, int], ...], timeout: float
) -> dns.asyncresolver.Resolver:
    resolver = dns.asyncresolver.Resolver(configure=not nameservers)
    if nameservers:
        resolver.nameservers = [
            dns.nameserver.Do53Nameserver(ip, port=port) for ip, port in nameservers
        ]
    resolver.timeout = timeout
    resolver.lifetime = timeout
    resolver.cache = None
    return resolver


async def resolve(host: str, resolver: dns.asyncresolver.Resolver, limit: float) -> DNSResult:
    """A and AAAA of ``host``; ``limit`` is the DNS timeout of each query (seconds)."""
    start = time.perf_counter()
    tasks = {
        rtype: asyncio.create_task(_query(host, rtype, rdtype, resolver, limit, start))
        for rtype, rdtype in _TYPES
    }
    try:
        lookups = await _gather(tasks, limit, start)
    finally:
        for task in tasks.values():
            task.cancel()
    addresses = [a for outcome in lookups for a in outcome.lookup.addresses]
    chain = next((list(lookup.chain) for lookup in lookups if lookup.chain), [])
    plain = tuple(lookup.lookup for lookup in lookups)
    if addresses:
        return _result("ok", addresses, chain, start, None, plain)
    worst = min(lookups, key=lambda lookup: _RANK[lookup.lookup.status])
    status = worst.lookup.status
    left = limit - (time.perf_counter() - start)
    if status in ("servfail", "cname_too_long") and left > 0:
        walked = await _walk_chain(host, resolver, left)
        if walked is not None:
            status, chain = walked
            return _result(status, [], chain, start, _CHAIN_WORDS[status], plain)
    return _result(status, [], chain or list(worst.chain), start, worst.lookup.error, plain)


class _Outcome:
    """A lookup and the CNAME hops its answer (or its NXDOMAIN) showed."""

    __slots__ = ("chain", "lookup")

    def __init__(self, lookup: Lookup, chain: tuple[str, ...] = ()) -> None:
        self.lookup = lookup
        self.chain = chain


async def _gather(
    tasks: dict[Literal["A", "AAAA"], asyncio.Task[_Outcome]], limit: float, start: float
) -> list[_Outcome]:
    """Both outcomes; once one type has addresses the other gets FAMILY_GRACE more seconds."""
    pending = set(tasks.values())
    while pending:
        done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        if any(task.result().lookup.addresses for task in done) and pending:
            await asyncio.wait(pending, timeout=min(FAMILY_GRACE, limit))
            break
    out: list[_Outcome] = []
    for rtype, task in tasks.items():
        if task.done() and not task.cancelled():
            out.append(task.result())
        else:
            error = f"no {rtype} answer within {_s(FAMILY_GRACE)} of the other type's answer"
            lookup = Lookup(rtype=rtype, status="timeout", ms=_ms(start), error=error)
            out.append(_Outcome(lookup))
    return out


async def _query(
    host: str,
    rtype: Literal["A", "AAAA"],
    rdtype: RdataType,
    resolver: dns.asyncresolver.Resolver,
    limit: float,
    start: float,
) -> _Outcome:
    try:
        # lifetime is not a hard cap (dnspython sleeps between retries): bound it ourselves.
        async with asyncio.timeout(limit):
            answer = await resolver.resolve(host, rdtype, search=False)
    except TimeoutError:
        error = f"no {rtype} answer within the DNS timeout ({_s(limit)})"
        return _Outcome(Lookup(rtype=rtype, status="timeout", ms=_ms(start), error=error))
    except dns.exception.DNSException as exc:
        status, error, chain = _classify(exc, host, rtype, limit)
        return _Outcome(Lookup(rtype=rtype, status=status, ms=_ms(start), error=error), chain)
    except OSError:  # the nameserver address cannot be used from here (no route, no IPv6)
        error = "the nameservers could not be reached"
        return _Outcome(Lookup(rtype=rtype, status="servfail", ms=_ms(start), error=error))
    addresses = tuple(r.to_text() for r in answer)
    lookup = Lookup(rtype=rtype, status="ok", addresses=addresses, ms=_ms(start))
    return _Outcome(lookup, tuple(_chain(answer)))


_CHAIN_WORDS: dict[LookupStatus, str] = {
    "cname_loop": "the CNAME chain loops back on itself",
    "cname_too_long": f"the CNAME chain is longer than {MAX_CNAME_HOPS} hops",
}


async def _walk_chain(
    host: str, resolver: dns.asyncresolver.Resolver, limit: float
) -> tuple[LookupStatus, list[str]] | None:
    """Follow CNAMEs one query at a time; a loop or an over-long chain, else None.

    A resolver that meets a loop usually answers SERVFAIL (or a partial chain), which says
    nothing about why. Asking for each name's own CNAME shows the chain hop by hop.
    """
    name = dns.name.from_text(host)
    seen = {name}
    hops: list[str] = []
    try:
        async with asyncio.timeout(limit):
            for _ in range(MAX_CNAME_HOPS + 1):
                try:
                    answer = await resolver.resolve(name, RdataType.CNAME, search=False)
                except dns.exception.DNSException:
                    return None  # the chain ends (or cannot be read): not a loop
                target = next(iter(answer)).target
                hops.append(target.to_text().rstrip("."))
                if target in seen:
                    return "cname_loop", hops
                seen.add(target)
                name = target
    except TimeoutError:
        return None
    return "cname_too_long", hops


def _result(
    status: DNSStatus,
    addresses: list[str],
    chain: list[str],
    start: float,
    error: str | None,
    lookups: tuple[Lookup, ...],
) -> DNSResult:
    suffix = next((s for s in (markers().suffix_of(n) for n in chain) if s), None)
    return DNSResult(
        status=status,
        addresses=tuple(addresses),
        cname_chain=tuple(chain),
        on_edgeone=suffix is not None,
        edgeone_suffix=suffix,
        ms=_ms(start),
        error=error,
        lookups=lookups,
    )


def _chain(answer: dns.resolver.Answer) -> list[str]:
    hops: list[str] = []
    for rrset in answer.chaining_result.cnames:
        hops += [rr.target.to_text().rstrip(".") for rr in rrset]
    return hops


def _classify(
    exc: dns.exception.DNSException, host: str, rtype: str, limit: float
) -> tuple[LookupStatus, str, tuple[str, ...]]:
    if isinstance(exc, dns.resolver.NXDOMAIN):
        try:  # a CNAME chain that ends in a missing name shows where it dangles
            canonical = exc.canonical_name.to_text().rstrip(".")
        except (KeyError, IndexError, AttributeError, TypeError):
            canonical = host
        dangling = (canonical,) if canonical.lower() != host.lower().rstrip(".") else ()
        return "nxdomain", "the name does not exist (NXDOMAIN)", dangling
    if isinstance(exc, dns.resolver.NoAnswer):
        return "no_answer", f"the name exists but has no {rtype} record", ()
    if isinstance(exc, dns.resolver.NoNameservers):
        return "servfail", "the nameservers failed to answer (SERVFAIL or REFUSED)", ()
    if isinstance(exc, dns.message.ChainTooLong):
        # The answer's own CNAMEs run past the limit: a loop or a very long chain.
        return "cname_too_long", _CHAIN_WORDS["cname_too_long"], ()
    if isinstance(exc, dns.exception.Timeout):
        return "timeout", f"no {rtype} answer within the DNS timeout ({_s(limit)})", ()
    return "servfail", "the answer could not be read (malformed or unexpected)", ()


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)


def _s(seconds: float) -> str:
    return f"{seconds:g} s"
