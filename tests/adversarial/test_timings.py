"""The total a probe reports agrees with its phases: what the segments leave out is the client's
own set-up between phases, never a wait that belongs to no phase (a slow progress display, a
phase that failed and so "did not count")."""

from __future__ import annotations

import asyncio

from bot.probe.dns import FAMILY_GRACE
from bot.probe.models import ProbeResult
from bot.probe.runner import probe
from tests.adversarial.conftest import settings
from tests.servers import DNSServer, HTTPServer, Records, SilentServer

# A progress callback that takes this long must not show up in any timing.
SLOW_DISPLAY = 0.4
# Each of the five segments and the total are rounded to 0.01 ms on their own.
ROUNDING = 0.03


def unaccounted(result: ProbeResult) -> float:
    t = result.timings
    segments = (t.dns_ms, t.connect_ms, t.tls_ms, t.server_ms, t.transfer_ms)
    return t.total_ms - sum(v or 0.0 for v in segments)


async def test_a_slow_progress_display_is_not_counted() -> None:
    seen: list[str] = []

    async def slow(phase: str) -> None:
        await asyncio.sleep(SLOW_DISPLAY)
        seen.append(phase)

    with HTTPServer() as server:
        report = await probe(
            f"http://127.0.0.1:{server.port}/", settings=settings(), on_progress=slow
        )
    assert seen == ["dns", "connect", "http"]  # every phase told, in order, before the return
    gap = unaccounted(report.edge)
    assert -ROUNDING <= gap < SLOW_DISPLAY * 1000


async def test_the_wait_for_a_response_that_never_came_is_a_segment() -> None:
    with SilentServer() as server:
        report = await probe(f"http://127.0.0.1:{server.port}/", settings=settings())
    edge = report.edge
    assert edge.http.status == "timeout"
    assert edge.timings.server_ms is not None
    assert edge.timings.server_ms >= 500  # the read timeout
    assert -ROUNDING <= unaccounted(edge) < edge.timings.server_ms


async def test_a_probe_cut_by_the_deadline_keeps_the_time_of_the_cut_phase() -> None:
    with SilentServer() as server:
        report = await probe(
            f"http://127.0.0.1:{server.port}/", settings=settings(read_timeout=10, deadline=0.6)
        )
    edge = report.edge
    assert edge.deadline_hit
    assert edge.timings.server_ms is not None
    assert -ROUNDING <= unaccounted(edge) < edge.timings.server_ms


async def test_the_edge_total_leaves_out_the_wait_for_the_origins_lookup() -> None:
    # The origin's name answers A and drops AAAA, so its lookup takes the grace period; the edge
    # (an IP address) needs no lookup, and that wait is not its own.
    zones = {"origin.test": Records(a=["127.0.0.1"], silent=("AAAA",))}
    with DNSServer(zones) as ns, HTTPServer() as edge_server, HTTPServer() as origin_server:
        report = await probe(
            f"http://127.0.0.1:{edge_server.port}/",
            origin=f"origin.test:{origin_server.port}",
            settings=settings(nameservers=(ns.nameserver,)),
        )
    assert report.origin is not None
    origin_dns = report.origin.timings.dns_ms
    assert origin_dns is not None
    assert origin_dns >= FAMILY_GRACE * 1000
    assert report.edge.timings.dns_ms == 0.0
    assert 0 <= unaccounted(report.edge) < origin_dns
    assert 0 <= unaccounted(report.origin) < origin_dns
