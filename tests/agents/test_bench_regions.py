"""bench/regions.py still runs and returns sane figures (tiny sizes). Speed is never asserted."""

from __future__ import annotations

from bench import regions
from bench.__main__ import BENCHES
from bench.ask import Machine


def test_bench_regions_tiny(shared_nats: str) -> None:
    assert BENCHES["regions"] is regions.main
    figures = regions.measure(agents=2, rounds=2, warmup=0, concurrent=4)
    assert figures is not None
    f = figures.fanout
    assert (f.agents, f.rounds) == (2, 2)
    assert (f.local_failures, f.regional_failures) == (0, 0)
    for s in (f.local, f.regional, f.local_together):
        assert s.n == 2
        assert 0 < s.median <= s.max
    assert [(b.probes, b.jobs, b.failures) for b in figures.bursts] == [
        (4, 4, 0),
        (4, 4, 0),
        (4, 8, 0),
    ]
    text = regions.format_report(Machine.current(), figures)
    assert "added latency at the median" in text
    assert "regional probes, each to all 2 regions" in text
