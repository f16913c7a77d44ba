"""bench/edgeone.py still runs and returns sane figures. Structure only: speed is never asserted."""

from __future__ import annotations

import pytest

from bench import edgeone
from bench.__main__ import BENCHES
from bench.ask import Machine


def test_registered() -> None:
    assert BENCHES["edgeone"] is edgeone.main


def test_summary() -> None:
    s = edgeone.Summary.of([5.0, 1.0, 3.0, 2.0, 4.0])
    assert (s.n, s.median, s.p90, s.max) == (5, 3.0, 5.0, 5.0)
    with pytest.raises(ValueError, match="no samples"):
        edgeone.Summary.of([])


def test_measure_tiny_and_report() -> None:
    with edgeone.Servers(delay=0.01) as servers:
        assert servers.env["EO_API_ENDPOINT"].startswith("http://127.0.0.1:")
        assert servers.url().startswith("http://127.0.0.1:")
        view, first, bot = edgeone.measure(servers, rounds=2)
    assert view.problems == 0  # every part of the view answered
    assert view.calls == 7
    assert 1 <= view.in_flight <= view.calls
    assert set(view.single) >= {"DescribeIPRegion", "DescribeTopL7AnalysisData"}
    for summary in (view.warm, view.bare_one, view.bare_many, *view.single.values()):
        assert summary.n == 2
        assert 0 < summary.median <= summary.max
    assert view.cold_ms > 0
    assert view.warmed_ms > 0
    assert view.ratio > 0
    for summary in (first.off, first.after_first, first.after_view, first.beside_view):
        assert summary.n == 2
    for summary in (bot.off_first, bot.on_first, bot.on_view, bot.view_only):
        assert summary.n == 2
        assert summary.median > 0
    assert bot.on_view.median > bot.view_only.median
    text = edgeone.format_report(Machine.current(), view, first, bot, import_ms=12.0)
    assert "ratio view / slowest call" in text
    assert "this machine's floor" in text
    assert "view asked after the post" in text
    assert "importing the SDK takes 12 ms" in text
    assert "Through the bot" in text
    assert "ratio first answer, with / without credentials" in text
