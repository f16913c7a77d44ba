"""DNS phase: A and AAAA through dnspython's async resolver, with the CNAME chain."""

from __future__ import annotations

import asyncio
import time

import dns.asyncresolver
import dns.exception
import dns.nameserver
import dns.resolver
from dns.rdatatype import RdataType

from bot.probe.edgeone import markers
from bot.probe.models import DNSResult, DNSStatus

# Worst outcome first: when A and AAAA disagree, the more telling failure is reported.
_RANK: dict[DNSStatus, int] = {"nxdomain": 0, "servfail": 1, "timeout": 2, "no_answer": 3}


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
    start = time.perf_counter()
    try:
        # lifetime is not a hard cap (dnspython sleeps between retries): bound it ourselves.
        async with asyncio.timeout(limit):
            results = await asyncio.gather(
                resolver.resolve(host, RdataType.A, search=False),
                resolver.resolve(host, RdataType.AAAA, search=False),
                return_exceptions=True,
            )
    except TimeoutError:
        return DNSResult(status="timeout", ms=_ms(start), error=f"no answer within {limit:g} s")
    addresses: list[str] = []
    chain: list[str] = []
    failures: list[tuple[DNSStatus, str, list[str]]] = []
    for result in results:
        if isinstance(result, dns.resolver.Answer):
            addresses += [r.to_text() for r in result]
            chain = chain or _chain(result)
        elif isinstance(result, BaseException):
            failures.append(_classify(result, host))
    if addresses:
        return _result("ok", addresses, chain, start)
    failures.sort(key=lambda f: _RANK[f[0]])
    status, error, dangling = failures[0] if failures else ("no_answer", "no A or AAAA", [])
    return _result(status, [], chain or dangling, start, error)


def _result(
    status: DNSStatus,
    addresses: list[str],
    chain: list[str],
    start: float,
    error: str | None = None,
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
    )


def _chain(answer: dns.resolver.Answer) -> list[str]:
    hops: list[str] = []
    for rrset in answer.chaining_result.cnames:
        hops += [rr.target.to_text().rstrip(".") for rr in rrset]
    return hops


def _classify(exc: BaseException, host: str) -> tuple[DNSStatus, str, list[str]]:
    if isinstance(exc, dns.resolver.NXDOMAIN):
        try:  # a CNAME chain that ends in a missing name shows where it dangles
            canonical = exc.canonical_name.to_text().rstrip(".")
        except (KeyError, IndexError, AttributeError, TypeError):
            canonical = host
        dangling = [canonical] if canonical.lower() != host.lower().rstrip(".") else []
        return "nxdomain", "the name does not exist (NXDOMAIN)", dangling
    if isinstance(exc, dns.resolver.NoAnswer):
        return "no_answer", "the name exists but has no address record", []
    if isinstance(exc, dns.resolver.NoNameservers):
        return "servfail", "the nameservers failed to answer (SERVFAIL or REFUSED)", []
    if isinstance(exc, dns.exception.Timeout):
        return "timeout", "the nameservers did not answer in time", []
    return "servfail", f"resolution failed: {exc.__class__.__name__}", []


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)
