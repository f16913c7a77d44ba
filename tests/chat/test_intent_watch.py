"""intent.parse for `watch` / `unwatch`, and the duration and origin readers behind them."""

from __future__ import annotations

import pytest

from bot.intent import (
    WATCH_USAGE,
    Ask,
    Invalid,
    Probe,
    Unwatch,
    Watch,
    parse,
    parse_duration,
    parse_origin,
)

URL = "https://shop.example.com/cart"
MIN, HOUR = 60.0, 3600.0


# ---------------------------------------------------------------- watch


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(f"watch {URL}", Watch(URL), id="plain"),
        pytest.param(f"Watch: {URL}", Watch(URL), id="capitalised-with-colon"),
        pytest.param(
            "watch <https://shop.example.com/cart|shop.example.com/cart>",
            Watch(URL),
            id="slack-link-with-label",
        ),
        pytest.param(f"watch <{URL}>", Watch(URL), id="slack-link"),
        pytest.param("watch shop.example.com", Watch("shop.example.com"), id="bare-host"),
        pytest.param(
            "watch shop.example.com/cart for 90s",
            Watch("shop.example.com/cart", duration=90.0),
            id="bare-host-path-90s",
        ),
        pytest.param(
            "watch 203.0.113.9:8080/health for 5m",
            Watch("203.0.113.9:8080/health", duration=5 * MIN),
            id="bare-ip-port",
        ),
        pytest.param(f"watch {URL} for 90s", Watch(URL, duration=90.0), id="for-90s"),
        pytest.param(f"watch {URL} for 30m", Watch(URL, duration=30 * MIN), id="for-30m"),
        pytest.param(
            f"watch {URL} for 30 minutes", Watch(URL, duration=30 * MIN), id="for-30-minutes"
        ),
        pytest.param(f"watch {URL} for 2 hours", Watch(URL, duration=2 * HOUR), id="for-2-hours"),
        pytest.param(f"watch {URL} FOR 2H", Watch(URL, duration=2 * HOUR), id="upper-case"),
        pytest.param(f"watch {URL} for 1h30m", Watch(URL, duration=90 * MIN), id="for-1h30m"),
        pytest.param(f"watch {URL} for 1.5h", Watch(URL, duration=90 * MIN), id="for-1.5h"),
        pytest.param(f"watch {URL} for 10", Watch(URL, duration=10 * MIN), id="bare-minutes"),
        pytest.param(f"watch {URL} 524", Watch(URL, code=524), id="code-after-url"),
        pytest.param(
            "watch <https://shop.example.com/cart|shop.example.com/cart> 502",
            Watch(URL, code=502),
            id="code-after-slack-link",
        ),
        pytest.param(
            f"watch {URL} gives 524 for 10",
            Watch(URL, code=524, duration=10 * MIN),
            id="code-then-duration",
        ),
        pytest.param(
            f"watch {URL} for 10 gives 524",
            Watch(URL, code=524, duration=10 * MIN),
            id="duration-then-code",
        ),
        pytest.param(
            f"watch {URL} gives 524 for 30m origin=203.0.113.9:8080",
            Watch(URL, origin="203.0.113.9:8080", code=524, duration=30 * MIN),
            id="everything",
        ),
        pytest.param(
            f"watch {URL} origin=[2001:db8::1]:8443",
            Watch(URL, origin="[2001:db8::1]:8443"),
            id="ipv6-origin",
        ),
        pytest.param(f"watch {URL} for 90s 504", Watch(URL, code=504, duration=90.0), id="90s"),
    ],
)
def test_watch(text: str, expected: Watch) -> None:
    assert parse(text) == expected


def test_duration_seconds_are_not_taken_for_a_status_code() -> None:
    parsed = parse(f"watch {URL} for 200s")
    assert parsed == Watch(URL, duration=200.0)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("watch", id="nothing"),
        pytest.param("watch for 30m", id="only-duration"),
        pytest.param("watch the site", id="no-url"),
        pytest.param("watch origin=203.0.113.9", id="only-origin"),
    ],
)
def test_watch_without_url_is_invalid_with_usage(text: str) -> None:
    parsed = parse(text)
    assert isinstance(parsed, Invalid)
    assert "URL" in parsed.problem
    assert WATCH_USAGE in parsed.problem


@pytest.mark.parametrize(
    ("duration", "shown"),
    [
        pytest.param("soon", "soon", id="word"),
        pytest.param("0", "0", id="zero"),
        pytest.param("-5m", "-5m", id="negative"),
        pytest.param("8d", "8d", id="days"),
        pytest.param("200h", "200h", id="over-a-week"),
        pytest.param("30x", "30x", id="unknown-unit"),
    ],
)
def test_watch_with_unreadable_duration_is_invalid_and_quotes_it(duration: str, shown: str) -> None:
    parsed = parse(f"watch {URL} for {duration}")
    assert isinstance(parsed, Invalid)
    assert f"“{shown}”" in parsed.problem
    assert "duration" in parsed.problem
    assert WATCH_USAGE in parsed.problem


def test_watch_with_bad_origin_says_what_is_wrong_with_the_origin() -> None:
    parsed = parse(f"watch {URL} for 30m origin=a%b")
    assert isinstance(parsed, Invalid)
    assert "origin=" in parsed.problem
    assert "a%b" in parsed.problem
    assert WATCH_USAGE not in parsed.problem  # the URL was fine


def test_watch_duration_with_a_space_between_parts() -> None:
    assert parse(f"watch {URL} for 1h 30m") == Watch(URL, duration=90 * MIN)


# ---------------------------------------------------------------- unwatch


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("unwatch", id="unwatch"),
        pytest.param("Unwatch please", id="unwatch-please"),
        pytest.param("stop watching", id="stop-watching"),
        pytest.param("stop watch", id="stop-watch"),
        pytest.param("cancel watch", id="cancel-watch"),
        pytest.param("cancel the watches", id="cancel-the-watches"),
        pytest.param("cancel watching", id="cancel-watching"),
        pytest.param("stop", id="stop"),
        pytest.param("Stop.", id="stop-full-stop"),
        pytest.param("cancel", id="cancel-alone"),
        pytest.param("stop it", id="stop-it"),
        pytest.param("<@U0BOT123> unwatch", id="after-a-mention"),
        pytest.param("stop watching https://shop.example.com/cart", id="with-url"),
    ],
)
def test_unwatch(text: str) -> None:
    assert parse(text) == Unwatch()


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("stop the 524s on my site", id="stop-the-524s-on-my-site"),
        pytest.param("how do I stop 524s", id="how-do-i-stop"),
        pytest.param("stopping the server gives 502", id="stopping"),
        pytest.param("stopwatch", id="stopwatch"),
        pytest.param("what should I watch for after a 524", id="watch-not-first"),
    ],
)
def test_questions_that_merely_contain_the_words_are_asked(text: str) -> None:
    assert parse(text) == Ask(text=text)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("stop 524 errors", id="stop-524-errors"),
        pytest.param("stop the 524s now", id="stop-the-524s-now"),
    ],
)
def test_short_stop_sentences_about_a_code_are_asked(text: str) -> None:
    assert isinstance(parse(text), Ask)


def test_unwatch_with_a_url_and_an_explanation_is_still_unwatch() -> None:
    parsed = parse(f"unwatch {URL} - it is fixed now")
    assert not isinstance(parsed, Probe)
    assert parsed == Unwatch()


# ---------------------------------------------------------------- parse_duration


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [
        pytest.param("90s", 90.0, id="90s"),
        pytest.param("1 sec", 1.0, id="1-sec"),
        pytest.param("30m", 30 * MIN, id="30m"),
        pytest.param("30 m", 30 * MIN, id="30-space-m"),
        pytest.param(" 30m ", 30 * MIN, id="padded"),
        pytest.param("2 mins", 2 * MIN, id="2-mins"),
        pytest.param("10", 10 * MIN, id="bare-number-is-minutes"),
        pytest.param("2 hours", 2 * HOUR, id="2-hours"),
        pytest.param("3 hrs", 3 * HOUR, id="3-hrs"),
        pytest.param("2H", 2 * HOUR, id="upper-case"),
        pytest.param("1.5h", 90 * MIN, id="fraction"),
        pytest.param("1h30m", 90 * MIN, id="1h30m"),
        pytest.param("1h 30m", 90 * MIN, id="1h-space-30m"),
        pytest.param("1h30m15s", 5415.0, id="three-parts"),
        pytest.param("168h", 7 * 24 * HOUR, id="exactly-a-week"),
        pytest.param("0", None, id="zero"),
        pytest.param("0m", None, id="zero-minutes"),
        pytest.param("-5", None, id="negative"),
        pytest.param("-5m", None, id="negative-minutes"),
        pytest.param("169h", None, id="over-a-week"),
        pytest.param("604801s", None, id="a-week-and-a-second"),
        pytest.param("7d", None, id="days-unit"),
        pytest.param("", None, id="empty"),
        pytest.param("   ", None, id="blank"),
        pytest.param("soon", None, id="word"),
        pytest.param("m", None, id="unit-only"),
        pytest.param("30x", None, id="unknown-unit"),
        pytest.param("30mm", None, id="doubled-unit"),
        pytest.param("1e3", None, id="exponent"),
        pytest.param("NaN", None, id="nan"),
        pytest.param("inf", None, id="inf"),
        pytest.param(".5m", None, id="leading-dot"),
        pytest.param("30m!", None, id="trailing-punctuation"),
    ],
)
def test_parse_duration(raw: str, seconds: float | None) -> None:
    assert parse_duration(raw) == seconds


# ---------------------------------------------------------------- parse_origin


@pytest.mark.parametrize(
    ("raw", "origin"),
    [
        pytest.param("203.0.113.10", "203.0.113.10", id="ipv4"),
        pytest.param("  203.0.113.10  ", "203.0.113.10", id="ipv4-padded"),
        pytest.param("203.0.113.10:8080", "203.0.113.10:8080", id="ipv4-port"),
        pytest.param("[2001:db8::1]", "[2001:db8::1]", id="ipv6-brackets"),
        pytest.param("[2001:db8::1]:8443", "[2001:db8::1]:8443", id="ipv6-brackets-port"),
        pytest.param("2001:db8::1", "2001:db8::1", id="ipv6-bare"),
        pytest.param("origin.example.com", "origin.example.com", id="host"),
        pytest.param("origin.example.com:8443", "origin.example.com:8443", id="host-port"),
        pytest.param("https://o.example.com:8443/x", "o.example.com:8443", id="url-host-port"),
        pytest.param("http://o.example.com", "o.example.com", id="url-host"),
        pytest.param("203.0.113.10,", "203.0.113.10", id="trailing-comma"),
    ],
)
def test_parse_origin_valid(raw: str, origin: str) -> None:
    assert parse_origin(raw) == (origin, "")


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        pytest.param("", "Type the origin", id="empty"),
        pytest.param("   ", "Type the origin", id="blank"),
        pytest.param("203.0.113.10 203.0.113.11", "one address", id="two-words"),
        pytest.param("origin.example.com please", "one address", id="trailing-word"),
        pytest.param("a%b", "a%b", id="percent"),
        pytest.param("-bad.example.com", "host or IP", id="leading-hyphen"),
        pytest.param("o.example.com:8443/path", "host or IP", id="with-path"),
        pytest.param("<o.example.com>", "host or IP", id="angle-brackets"),
        pytest.param("origin=203.0.113.10", "host or IP", id="option-syntax"),
        pytest.param("user@o.example.com", "host or IP", id="userinfo"),
    ],
)
def test_parse_origin_refused(raw: str, problem: str) -> None:
    origin, message = parse_origin(raw)
    assert origin is None
    assert problem in message


def test_parse_origin_refuses_ports_out_of_range() -> None:
    origin, message = parse_origin("o.example.com:99999")
    assert origin is None
    assert message
