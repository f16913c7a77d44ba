"""The last hour: series on a grid, the 5xx outbreak, the sparkline and its one-line summary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.edgeone.shapes import DescribeTimingL7AnalysisDataShape
from bot.edgeone.trend import TrendFact, downsample, outbreak, series, window
from bot.render.edgeone import SPARK, codes_line, sparkline, trend_line

START = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def trend(
    total: list[int], errors: list[int], *, top: tuple[tuple[str, int], ...] = ()
) -> TrendFact:
    return TrendFact(
        start=START,
        step=MINUTE,
        total=tuple(total),
        server_errors=tuple(errors),
        top_codes=top,
    )


def test_the_line_from_the_issue() -> None:
    # 1000 requests a minute; from 10:02 on, 41 of each 1000 are 5xx, 40 of them 524.
    total = [1000] * 60
    errors = [0] * 32 + [41] * 28
    t = trend(total, errors, top=(("200", 58852), ("524", 1120), ("502", 28)))
    assert trend_line(t) == "5xx since 10:02, 4.1 % of requests, 98 % of them 524"
    run = outbreak(t)
    assert run is not None
    assert (run.since, run.until, run.errors, run.requests) == (
        datetime(2025, 3, 4, 10, 2, tzinfo=UTC),
        None,
        41 * 28,
        1000 * 28,
    )


def test_minutes_not_counted_yet_do_not_end_the_run() -> None:
    # Analytics lag: the last three minutes have no data at all.
    total = [1000] * 57 + [0] * 3
    errors = [0] * 50 + [100] * 7 + [0] * 3
    run = outbreak(trend(total, errors))
    assert run is not None
    assert run.until is None  # still going as far as EdgeOne has counted
    assert run.since == START + 50 * MINUTE


def test_a_run_that_ended() -> None:
    errors = [0] * 10 + [80] * 5 + [0] * 45
    run = outbreak(trend([1000] * 60, errors))
    assert run is not None
    assert (run.since, run.until) == (START + 10 * MINUTE, START + 15 * MINUTE)
    assert trend_line(trend([1000] * 60, errors)) == "5xx from 09:40 to 09:45, 8.0 % of requests"


def test_a_gap_inside_a_run_does_not_split_it() -> None:
    total = [1000] * 20 + [0] + [1000] * 39
    errors = [0] * 15 + [50] * 5 + [0] + [50] * 39
    run = outbreak(trend(total, errors))
    assert run is not None
    assert run.since == START + 15 * MINUTE


def test_occasional_errors_are_not_an_outbreak() -> None:
    t = trend([1000] * 60, [0] * 30 + [3] + [0] * 29)
    assert outbreak(t) is None
    assert trend_line(t) == "3 5xx in the last hour (0.01 % of 60000 requests)"
    assert trend_line(trend([1000] * 60, [0] * 60)) == "no 5xx in the last hour (60000 requests)"
    assert trend_line(trend([0] * 60, [0] * 60)).startswith("no requests counted")


def test_sparkline() -> None:
    assert sparkline([0, 1, 2, 4, 8], width=30) == "▁▂▃▅█"
    assert sparkline([0, 0, 0]) == "▁▁▁"
    assert sparkline([]) == ""
    # A single error among zeros still shows.
    assert sparkline([0] * 5 + [1] + [0] * 4, width=10)[5] != SPARK[0]
    # An hour of minutes fits in 30 characters.
    assert len(sparkline(list(range(60)))) == 30


def test_downsample() -> None:
    assert downsample([1, 2, 3, 4, 5], 2) == [6, 9]
    assert downsample([1, 2], 5) == [1, 2]


def test_series_puts_points_on_the_grid() -> None:
    start, end = window(datetime(2025, 3, 4, 10, 30, 45, tzinfo=UTC), minutes=3)
    assert (start, end) == (
        datetime(2025, 3, 4, 10, 27, tzinfo=UTC),
        datetime(2025, 3, 4, 10, 30, tzinfo=UTC),
    )
    base = int(start.timestamp())
    answer = DescribeTimingL7AnalysisDataShape.model_validate(
        {
            "Data": [
                {
                    "TypeKey": "zone-a",
                    "TypeValue": [
                        {
                            "MetricName": "l7Flow_request",
                            "Detail": [
                                {"Timestamp": base, "Value": 5},
                                {"Timestamp": base + 120, "Value": 7},
                                {"Timestamp": base + 600, "Value": 9},  # off the grid
                            ],
                        }
                    ],
                },
                {"TypeKey": "zone-b", "TypeValue": None},
            ]
        }
    )
    assert series(answer.Data, start=start, step=MINUTE, count=3) == (5, 0, 7)


@pytest.mark.parametrize("threshold", [0.5, 0.05])
def test_threshold(threshold: float) -> None:
    t = trend([100] * 10, [0] * 5 + [10] * 5)
    assert (outbreak(t, threshold=threshold) is None) == (threshold > 0.1)


def test_codes_line_shows_the_classes_and_the_top_codes() -> None:
    t = trend([1000] * 60, [41] * 60, top=(("200", 57540), ("524", 2400), ("502", 60)))
    assert codes_line(t) == "2xx 95.9 %, 5xx 4.1 %; top 200 (57540), 524 (2400), 502 (60)"
    assert codes_line(trend([1000] * 60, [0] * 60)) is None
