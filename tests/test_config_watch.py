"""Config.from_env: the EO_WATCH_* settings are read, and a bad value names its variable."""

from __future__ import annotations

import pytest

from bot.chat.watches import WatchSettings
from bot.config import Config, ConfigError

BASE = {"SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_SIGNING_SECRET": "8f742231b10e8888abcd"}
DEFAULTS = WatchSettings()


def load(**env: str) -> Config:
    return Config.from_env(BASE | env)


def refused(variable: str, raw: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load(**{variable: raw})
    assert caught.value.variable == variable
    assert str(caught.value).startswith(f"{variable}: ")
    return caught.value


def test_defaults() -> None:
    config = load()
    assert config.watch_channels == frozenset()
    assert config.watch == DEFAULTS
    assert (config.watch.interval, config.watch.max_duration) == (30.0, 7200.0)
    assert (config.watch.per_user, config.watch.per_channel) == (3, 5)


# ---------------------------------------------------------------- EO_WATCH_CHANNELS


@pytest.mark.parametrize(
    ("raw", "channels"),
    [
        pytest.param("C0123ABCD", {"C0123ABCD"}, id="one"),
        pytest.param(" C0123ABCD , G0456EFGH ,", {"C0123ABCD", "G0456EFGH"}, id="spaces-trailing"),
        pytest.param("C0123ABCD,C0123ABCD", {"C0123ABCD"}, id="duplicate"),
        pytest.param("", set(), id="empty"),
        pytest.param(" , ", set(), id="only-separators"),
    ],
)
def test_watch_channels(raw: str, channels: set[str]) -> None:
    assert load(EO_WATCH_CHANNELS=raw).watch_channels == channels


@pytest.mark.parametrize(
    ("raw", "item", "hint"),
    [
        pytest.param("#general", "'#general'", True, id="channel-name"),
        pytest.param("C0123ABCD,#alerts", "'#alerts'", True, id="name-after-id"),
        pytest.param("c0123abcd", "'c0123abcd'", False, id="lowercase"),
        pytest.param("general", "'general'", False, id="bare-name"),
        pytest.param("D0123ABCD", "'D0123ABCD'", False, id="dm-id"),
        pytest.param("C0123ABCD;C0456EFGH", "'C0123ABCD;C0456EFGH'", False, id="semicolons"),
    ],
)
def test_watch_channels_refused(raw: str, item: str, hint: bool) -> None:
    error = refused("EO_WATCH_CHANNELS", raw)
    message = str(error)
    assert item in message
    assert "C0123ABCD" in message  # what a good value looks like
    assert ("use the channel ID" in message) is hint


# ---------------------------------------------------------------- EO_WATCH_INTERVAL


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [
        pytest.param("30", 30.0, id="bare-seconds"),
        pytest.param(" 45 ", 45.0, id="padded"),
        pytest.param("30s", 30.0, id="30s"),
        pytest.param("2m", 120.0, id="2m"),
        pytest.param("1", 1.0, id="lowest"),
        pytest.param("1h", 3600.0, id="highest"),
    ],
)
def test_watch_interval(raw: str, seconds: float) -> None:
    watch = load(EO_WATCH_INTERVAL=raw).watch
    assert watch.interval == seconds
    assert watch.max_duration == DEFAULTS.max_duration  # nothing else moves


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("0.5", id="under-a-second"),
        pytest.param("0", id="zero"),
        pytest.param("-5", id="negative"),
        pytest.param("soon", id="word"),
        pytest.param("2h", id="over-an-hour"),
        pytest.param("30 seconds please", id="words-after"),
    ],
)
def test_watch_interval_refused(raw: str) -> None:
    message = str(refused("EO_WATCH_INTERVAL", raw))
    assert repr(raw) in message
    assert "30s" in message  # an example of a good value


# ---------------------------------------------------------------- EO_WATCH_MAX_DURATION


@pytest.mark.parametrize(
    ("raw", "longest", "default", "shortest"),
    [
        pytest.param("2h", 7200.0, 1800.0, 60.0, id="2h"),
        pytest.param("24h", 86400.0, 1800.0, 60.0, id="a-day"),
        pytest.param("10m", 600.0, 600.0, 60.0, id="under-the-default"),
        pytest.param("1m", 60.0, 60.0, 60.0, id="one-minute"),
    ],
)
def test_watch_max_duration(raw: str, longest: float, default: float, shortest: float) -> None:
    watch = load(EO_WATCH_MAX_DURATION=raw).watch
    assert (watch.max_duration, watch.default_duration, watch.min_duration) == (
        longest,
        default,
        shortest,
    )
    # Whatever the bounds, a watch asked without a duration gets one inside them.
    duration, note = watch.clamp(None)
    assert watch.min_duration <= duration <= watch.max_duration
    assert note is None


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("30s", id="under-a-minute"),
        pytest.param("25h", id="over-a-day"),
        pytest.param("forever", id="word"),
        pytest.param("0", id="zero"),
    ],
)
def test_watch_max_duration_refused(raw: str) -> None:
    message = str(refused("EO_WATCH_MAX_DURATION", raw))
    assert repr(raw) in message


# ---------------------------------------------------------------- per user / per channel


@pytest.mark.parametrize(
    ("variable", "raw", "field", "value"),
    [
        pytest.param("EO_WATCH_PER_USER", "1", "per_user", 1, id="per-user-1"),
        pytest.param("EO_WATCH_PER_USER", " 7 ", "per_user", 7, id="per-user-padded"),
        pytest.param("EO_WATCH_PER_USER", "100", "per_user", 100, id="per-user-max"),
        pytest.param("EO_WATCH_PER_CHANNEL", "1", "per_channel", 1, id="per-channel-1"),
        pytest.param("EO_WATCH_PER_CHANNEL", "1000", "per_channel", 1000, id="per-channel-max"),
    ],
)
def test_watch_limits(variable: str, raw: str, field: str, value: int) -> None:
    assert getattr(load(**{variable: raw}).watch, field) == value


@pytest.mark.parametrize(
    ("variable", "raw", "says"),
    [
        pytest.param("EO_WATCH_PER_USER", "0", "between 1 and 100", id="per-user-zero"),
        pytest.param("EO_WATCH_PER_USER", "101", "between 1 and 100", id="per-user-too-many"),
        pytest.param("EO_WATCH_PER_USER", "two", "whole number", id="per-user-word"),
        pytest.param("EO_WATCH_PER_USER", "-1", "between 1 and 100", id="per-user-negative"),
        pytest.param("EO_WATCH_PER_CHANNEL", "0", "between 1 and 1000", id="per-channel-zero"),
        pytest.param(
            "EO_WATCH_PER_CHANNEL", "1001", "between 1 and 1000", id="per-channel-too-many"
        ),
        pytest.param("EO_WATCH_PER_CHANNEL", "2.5", "whole number", id="per-channel-fraction"),
    ],
)
def test_watch_limits_refused(variable: str, raw: str, says: str) -> None:
    assert says in str(refused(variable, raw))


def test_all_watch_settings_together() -> None:
    config = load(
        EO_WATCH_CHANNELS="C0123ABCD",
        EO_WATCH_INTERVAL="15s",
        EO_WATCH_MAX_DURATION="1h",
        EO_WATCH_PER_USER="2",
        EO_WATCH_PER_CHANNEL="4",
    )
    assert config.watch_channels == {"C0123ABCD"}
    assert config.watch == WatchSettings(
        interval=15.0,
        default_duration=1800.0,
        min_duration=60.0,
        max_duration=3600.0,
        per_user=2,
        per_channel=4,
    )


def test_error_never_shows_the_tokens() -> None:
    error = refused("EO_WATCH_INTERVAL", "soon")
    assert BASE["SLACK_BOT_TOKEN"] not in str(error)
    assert BASE["SLACK_SIGNING_SECRET"] not in str(error)
