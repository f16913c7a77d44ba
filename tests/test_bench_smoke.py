"""The benchmarks still run and return sane figures. Structure only: speed is never asserted."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench import alerts, ask, probe, slack, startup
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
    text = ask.format_report(ask.Machine.current(), figures)
    assert "p99" in text
    assert "extractOne" in text


def test_measure_startup_tiny_and_report() -> None:
    figures = startup.measure(runs=1, warmup=0)
    assert [t.command for t in figures.timings] == list(startup.COMMANDS)
    for t in figures.timings:
        assert t.runs == 1
        assert 0 < t.wall_min_ns <= t.wall_median_ns <= t.wall_max_ns
        assert t.cpu_median_ns > 0
    assert figures.ratio(startup.PYTHON_PASS) == 1.0
    assert figures.ratio(startup.ASK) > 0
    assert figures.ratio(startup.ASK, cpu=True) > 0
    assert figures.program[0].endswith("eo-bot")  # the console script, as people run it
    text = startup.format_report(ask.Machine.current(), figures)
    for command in startup.COMMANDS:
        assert command.label in text
    assert "eo-bot ask 524 / python -c pass" in text


def test_startup_refuses_a_failing_command() -> None:
    broken = startup.Command("eo-bot nope", ("nope",))
    with pytest.raises(RuntimeError, match="exited 2"):
        startup.measure(runs=1, warmup=0, commands=(startup.PYTHON_PASS, broken))


def test_bench_registry() -> None:
    assert BENCHES["ask"] is ask.main
    assert BENCHES["startup"] is startup.main
    assert BENCHES["probe"] is probe.main


# -- bench probe -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def probe_servers() -> Iterator[probe.Servers]:
    with probe.ServerProcess(slow_delay_s=0.01, busy_delay_s=0.05) as servers:
        yield servers


def test_probe_summary_and_loopback_guard() -> None:
    s = probe.Summary.of([float(x) for x in range(10, 0, -1)])
    assert (s.n, s.median, s.p90, s.p99, s.max) == (10, 5.5, 9.0, 10.0, 10.0)
    with pytest.raises(ValueError, match="no samples"):
        probe.Summary.of([])
    assert probe._check_loopback("https://127.0.0.1:8443/") == "https://127.0.0.1:8443/"
    with pytest.raises(ValueError, match="loopback"):
        probe._check_loopback("http://192.0.2.1/")


def test_probe_servers_are_loopback(probe_servers: probe.Servers) -> None:
    assert [t.name for t in probe_servers.targets] == ["http", "https", "slow"]
    for url in (*(t.url for t in probe_servers.targets), probe_servers.busy_url):
        assert url.startswith(("http://127.0.0.1:", "https://127.0.0.1:"))


def test_measure_targets_tiny(probe_servers: probe.Servers) -> None:
    curl = probe.find_curl()
    figures = probe.measure_targets(probe_servers, rounds=2, warmup=1, curl=curl)
    assert [f.target.name for f in figures] == ["http", "https", "slow"]
    for f in figures:
        assert f.rounds == 2
        assert f.probe_failures == 0
        for s in (f.wall, f.total):
            assert s.n == 2
            assert 0 < s.median <= s.p90 <= s.max
        if curl is None:
            assert f.curl is None
            assert f.ratio_median is None
            continue
        assert f.curl is not None
        assert f.curl_failures == 0
        assert f.curl.n == 2
        assert f.ratio_median is not None
        assert f.ratio_median > 0
        phases = [a.phase for a in f.agreement]
        assert phases == (
            ["connect", "tls", "ttfb"] if f.target.name == "https" else ["connect", "ttfb"]
        )
        assert all(a.median_abs_diff >= 0 for a in f.agreement)


def test_measure_concurrency_tiny_and_report(probe_servers: probe.Servers) -> None:
    c = probe.measure_concurrency(probe_servers, probes=5, repeats=2, idle_s=0.05)
    assert (c.probes, c.delay_s, len(c.rounds)) == (5, 0.05, 2)
    assert c.idle.n > 0
    for r in c.rounds:
        assert r.ok == 5
        assert r.wall_s >= 0.05
        assert r.lag.n > 0
        assert 0 <= r.lag.p99 <= r.lag.max
    assert c.median_round in c.rounds
    figures = probe.measure_targets(probe_servers, rounds=1, warmup=0, curl=None)
    assert all(f.curl is None for f in figures)
    text = probe.format_report(ask.Machine.current(), figures, c, curl=None)
    assert "curl: not found" in text
    assert "ratio probe / curl" not in text
    assert "lag max" in text
    with_curl = probe.format_report(ask.Machine.current(), figures, c, curl="/usr/bin/curl")
    assert "ratio probe / curl" in with_curl


# -- bench slack -----------------------------------------------------------------------------


def test_slack_latency_of() -> None:
    lat = slack.Latency.of([(3_000_000, 200), (1_000_000, 200), (2_000_000, 0)])
    assert (lat.n, lat.non_200, lat.p50, lat.p99, lat.max) == (3, 1, 2.0, 3.0, 3.0)
    with pytest.raises(ValueError, match="no samples"):
        slack.Latency.of([])


def test_measure_slack_tiny_and_report() -> None:
    assert BENCHES["slack"] is slack.main
    with slack.Servers() as servers:
        assert servers.url(servers.eo).startswith("http://127.0.0.1:")
        assert servers.url(servers.noop).startswith("http://127.0.0.1:")
        figures = slack.measure(servers, rate=400.0, duration_s=0.05, rounds=1, warmup=2)
    assert figures.order == (slack.EO, slack.NOOP)
    for lat in (figures.eo, figures.noop):
        assert lat.n == 20
        assert lat.non_200 == 0
        assert 0 < lat.p50 <= lat.p99 <= lat.max
    assert figures.send_lag.n == 40
    assert figures.eo_sent == 22
    assert figures.eo_answered == 22
    assert figures.ratio_p50 > 0
    assert figures.ratio_p99 > 0
    text = slack.format_report(ask.Machine.current(), figures)
    assert "ratio eo-bot / no-op" in text
    assert "non-200" in text


def test_measure_alerts_tiny() -> None:
    messages = alerts.corpus()
    assert len(messages) > 50
    figures = alerts.measure(messages[:12], rounds=1)
    assert figures.messages == 12
    assert 0 < figures.found <= 12  # the corpus starts with real alerts
    assert 0 < figures.p50_us <= figures.p99_us <= figures.max_us
    report = alerts.format_report(figures)
    assert "find_alert" in report
    assert "re.search" in report
