"""The benchmarks still run and return sane figures. Structure only: speed is never asserted."""

from __future__ import annotations

import pytest

from bench import ask
from bench.__main__ import BENCHES


def _sane(p: ask.Percentiles, n: int) -> None:
    assert p.n == n
    assert 0 < p.p50 <= p.p95 <= p.p99 <= p.max


def test_percentiles_nearest_rank() -> None:
    p = ask.Percentiles.of(list(range(100, 0, -1)))
    assert (p.n, p.p50, p.p95, p.p99, p.max) == (100, 50, 95, 99, 100)
    assert ask.Percentiles.of([7]) == ask.Percentiles(1, 7, 7, 7, 7)
    with pytest.raises(ValueError, match="no samples"):
        ask.Percentiles.of([])


def test_questions_and_choices() -> None:
    questions = ask.load_questions()
    assert len(questions) > 100
    assert len(set(questions)) == len(questions)
    assert "524" in questions


def test_measure_ask_tiny() -> None:
    questions = ask.load_questions()[:3]
    figures = ask.measure_ask(questions, rounds=1, cold_rounds=1)
    assert figures.questions == 3
    assert figures.entries > 0
    assert figures.choices >= figures.entries
    assert figures.load_ns > 0
    assert figures.build_ns > 0
    for p in (figures.cold, figures.warm, figures.naive):
        _sane(p, 3)
    assert figures.ratio_p50 > 0
    assert figures.ratio_p99 > 0


def test_measure_startup_tiny_and_report() -> None:
    startup = ask.measure_startup(runs=1, warmup=0)
    assert [t.command for t in startup.timings] == list(ask.STARTUP_COMMANDS)
    for t in startup.timings:
        assert t.runs == 1
        assert 0 < t.min_ns <= t.median_ns <= t.max_ns
    assert startup.ratio(ask.CLI_ASK) > 0
    figures = ask.measure_ask(["524"], rounds=1, cold_rounds=1)
    text = ask.format_report(ask.Machine.current(), figures, startup)
    assert "p99" in text
    assert ask.CLI_ASK_JSON.label in text


def test_bench_registry() -> None:
    assert BENCHES["ask"] is ask.main
