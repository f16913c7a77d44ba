"""bot.diagnosis.origin alone: the origin hit directly, read beside what the edge reported."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.diagnosis.origin import (
    ORIGIN_TIMEOUT_MS,
    PullLimit,
    answer_lines,
    context_lines,
    pace,
    pull_limit,
    shorter_than_default,
    view,
)
from bot.diagnosis.say import say_in
from bot.probe.models import DNSResult
from tests.test_diagnosis import ORIGIN_IP, answer, edge, failing, origin, result

EN = say_in("en")


def test_what_edgeone_waited_is_the_time_its_524_took() -> None:
    assert pull_limit(edge(524, ttfb=5_000.0)) == PullLimit(5_000.0, "observed")
    assert pull_limit(edge(554, ttfb=30_000.0)) == PullLimit(30_000.0, "observed")


def test_without_a_524_the_rule_then_the_default_is_the_limit() -> None:
    assert pull_limit(edge(522), rule_seconds=60) == PullLimit(60_000.0, "rule")
    assert pull_limit(edge(522)) == PullLimit(ORIGIN_TIMEOUT_MS, "default")
    unknown = replace(edge(524), http=replace(edge(524).http, ttfb_ms=None))
    assert pull_limit(unknown, rule_seconds=30).source == "rule"


@pytest.mark.parametrize(
    ("ttfb", "expected"),
    [
        pytest.param(20_000.0, "over", id="over"),
        pytest.param(15_000.0, "over", id="at-the-limit"),
        pytest.param(9_000.0, "near", id="near"),
        pytest.param(7_500.0, "within", id="half"),
        pytest.param(84.0, "within", id="fast"),
    ],
)
def test_pace_against_the_limit(ttfb: float, expected: str) -> None:
    assert pace(ttfb, PullLimit(15_000.0, "default")) == expected


def test_a_limit_below_the_default_is_a_rule() -> None:
    assert shorter_than_default(PullLimit(5_000.0, "observed"))
    assert not shorter_than_default(PullLimit(15_003.0, "observed"))
    assert not shorter_than_default(PullLimit(5_000.0, "default"))


def test_view_of_a_failed_origin() -> None:
    seen = view(failing("connect:refused", target=ORIGIN_IP), EN)
    assert not seen.answered
    assert seen.failure is not None
    assert (seen.failure.code, seen.failure.fault) == (521, "origin")
    assert seen.producer is None


def test_view_of_an_origin_that_leads_back_into_edgeone() -> None:
    looping = result(answer(200, uuid="99"), dns=DNSResult(status="skipped"), target=ORIGIN_IP)
    seen = view(looping, EN)
    assert seen.answered
    assert seen.loops_back
    assert any("loop risk" in line for line in answer_lines(looping, EN))


def test_view_of_a_healthy_origin_names_its_server() -> None:
    seen = view(origin(200, ttfb=40.0), EN)
    assert (seen.status, seen.ttfb_ms, seen.loops_back) == (200, 40.0, False)
    assert seen.producer is not None
    assert seen.producer.vendor == "nginx"


@pytest.mark.parametrize("language", ["en", "zh"])
def test_context_lines_in_both_languages(language: str) -> None:
    say = say_in(language)  # type: ignore[arg-type]
    failed = context_lines(failing("connect:timeout", target=ORIGIN_IP), say)
    answered = context_lines(origin(200), say)
    assert context_lines(None, say) == []
    if language == "zh":
        assert failed[0].startswith("源站：TCP 连接")
        assert answered == ["源站在 84 毫秒内返回 200"]
    else:
        assert failed[0].startswith(f"origin: TCP connect to {ORIGIN_IP}:443 timed out")
        assert answered == ["origin answered 200 in 84 ms"]
