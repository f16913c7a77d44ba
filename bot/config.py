"""Settings for `eo-bot serve`, read from the environment once and validated.

A missing or malformed setting raises ``ConfigError`` whose message names the variable and says
what a good value looks like; nothing here ever prints a token or secret (``repr`` hides them).

- SLACK_BOT_TOKEN: the bot token (``xoxb-...``), required.
- SLACK_SIGNING_SECRET: request signing secret, required in HTTP mode.
- SLACK_APP_TOKEN: app-level token (``xapp-...``); when set, Socket Mode is used.
- SLACK_API_URL: Web API base URL (default Slack's).
- PORT: HTTP port, events in HTTP mode and health in Socket Mode (default 3000).
- EO_ANSWER_VISIBILITY: ``ephemeral`` (default) or ``in_channel`` for `/eo` answers.
- EO_PROBE_RATE_PER_USER: probes per user, ``N`` (per minute) or ``N/SECONDS`` (default 5/60).
- EO_PROBE_MAX_CONCURRENT: probes running at once, all users together (default 4).
- EO_WATCH_CHANNELS: channel ids (``C…``/``G…``, comma separated) whose alerts the bot answers.
- EO_WATCH_INTERVAL: seconds between two probes of a watch (default 30).
- EO_WATCH_MAX_DURATION: the longest watch, e.g. ``2h`` (default 2 h; the default watch is 30 min).
- EO_WATCH_PER_USER / EO_WATCH_PER_CHANNEL: watches running at once (default 3 / 5).
- EO_PROBE_*: the probe's own settings (see ``bot.probe.runner.ProbeSettings.from_env``).
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from bot.chat.watches import WatchSettings
from bot.intent import parse_duration
from bot.probe.runner import ProbeSettings

Visibility = Literal["ephemeral", "in_channel"]

DEFAULT_PORT = 3000
DEFAULT_RATE = (5, 60.0)
DEFAULT_MAX_CONCURRENT = 4

_TOKEN = re.compile(r"[A-Za-z0-9-]+")


class ConfigError(Exception):
    """A setting is missing or malformed. ``variable`` names it; str(exc) says what to do."""

    def __init__(self, variable: str, message: str) -> None:
        super().__init__(f"{variable}: {message}")
        self.variable = variable


@dataclass(frozen=True, slots=True)
class Config:
    bot_token: str = field(repr=False)
    signing_secret: str | None = field(default=None, repr=False)
    app_token: str | None = field(default=None, repr=False)
    api_url: str | None = None
    port: int = DEFAULT_PORT
    visibility: Visibility = "ephemeral"
    rate_count: int = DEFAULT_RATE[0]
    rate_window: float = DEFAULT_RATE[1]
    max_concurrent: int = DEFAULT_MAX_CONCURRENT
    probe: ProbeSettings = field(default_factory=ProbeSettings)
    watch_channels: frozenset[str] = frozenset()
    watch: WatchSettings = field(default_factory=WatchSettings)

    @property
    def socket_mode(self) -> bool:
        return self.app_token is not None

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values that must never reach a log line."""
        return tuple(s for s in (self.bot_token, self.signing_secret, self.app_token) if s)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Config:
        """Read and validate every setting; raises ConfigError naming the first bad variable."""
        bot_token = _token(environ, "SLACK_BOT_TOKEN", ("xoxb-",), required=True)
        assert bot_token is not None  # required=True guarantees it
        app_token = _token(environ, "SLACK_APP_TOKEN", ("xapp-",), required=False)
        secret = _get(environ, "SLACK_SIGNING_SECRET")
        if secret is None and app_token is None:
            raise ConfigError(
                "SLACK_SIGNING_SECRET",
                "is not set; HTTP mode needs it to check request signatures (find it under "
                "Basic Information > App Credentials), or set SLACK_APP_TOKEN for Socket Mode",
            )
        if secret is not None and (not secret.isprintable() or " " in secret):
            raise ConfigError(
                "SLACK_SIGNING_SECRET", "is malformed; expected the hex string Slack shows"
            )
        rate_count, rate_window = _rate(environ.get("EO_PROBE_RATE_PER_USER"))
        try:
            probe = ProbeSettings.from_env(environ)
        except ValueError as exc:
            message = str(exc)
            variable = next(
                (v for v in sorted(environ, key=len, reverse=True) if v in message),
                "EO_PROBE_*",
            )
            raise ConfigError(variable, message.removeprefix(f"{variable}: ")) from None
        return cls(
            bot_token=bot_token,
            signing_secret=secret,
            app_token=app_token,
            api_url=_api_url(environ.get("SLACK_API_URL")),
            port=_int(environ, "PORT", DEFAULT_PORT, low=1, high=65535),
            visibility=_visibility(environ.get("EO_ANSWER_VISIBILITY")),
            rate_count=rate_count,
            rate_window=rate_window,
            max_concurrent=_int(
                environ, "EO_PROBE_MAX_CONCURRENT", DEFAULT_MAX_CONCURRENT, low=1, high=1000
            ),
            probe=probe,
            watch_channels=_channels(environ.get("EO_WATCH_CHANNELS")),
            watch=watch_settings(environ),
        )


def _get(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name, "").strip()
    return value or None


def _token(
    environ: Mapping[str, str], name: str, prefixes: tuple[str, ...], *, required: bool
) -> str | None:
    value = _get(environ, name)
    if value is None:
        if required:
            raise ConfigError(name, f"is not set; expected a token starting with {prefixes[0]}")
        return None
    if not value.startswith(prefixes) or not _TOKEN.fullmatch(value):
        raise ConfigError(name, f"is malformed; expected a token starting with {prefixes[0]}")
    return value


def _int(environ: Mapping[str, str], name: str, default: int, *, low: int, high: int) -> int:
    raw = _get(environ, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(name, f"must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(name, f"must be between {low} and {high}, got {value}")
    return value


def _api_url(raw: str | None) -> str | None:
    if raw is None or not raw.strip():
        return None
    url = raw.strip()
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            "SLACK_API_URL", f"must be an http(s) URL like https://slack.com/api/, got {url!r}"
        )
    # The Web API client joins method names onto this URL: without the slash "/api" is lost.
    return url if url.endswith("/") else url + "/"


def _visibility(raw: str | None) -> Visibility:
    value = (raw or "ephemeral").strip().lower().replace("-", "_")
    if value == "ephemeral":
        return "ephemeral"
    if value in ("in_channel", "channel", "public"):
        return "in_channel"
    raise ConfigError("EO_ANSWER_VISIBILITY", f"must be ephemeral or in_channel, got {raw!r}")


def _rate(raw: str | None) -> tuple[int, float]:
    name = "EO_PROBE_RATE_PER_USER"
    if raw is None or not raw.strip():
        return DEFAULT_RATE
    match = re.fullmatch(r"\s*(\d+)\s*(?:/\s*(\d+(?:\.\d+)?)\s*s?)?\s*", raw)
    if match is None:
        raise ConfigError(name, f"must be N (per minute) or N/SECONDS like 5/60, got {raw!r}")
    count = int(match.group(1))
    window = float(match.group(2)) if match.group(2) else 60.0
    if count < 1 or window <= 0:
        raise ConfigError(name, f"needs at least 1 probe in a positive window, got {raw!r}")
    return count, window


_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,30}")


def _channels(raw: str | None) -> frozenset[str]:
    name = "EO_WATCH_CHANNELS"
    items = [item.strip() for item in (raw or "").split(",") if item.strip()]
    for item in items:
        if not _CHANNEL_ID.fullmatch(item):
            hint = " (names change; use the channel ID)" if item.startswith("#") else ""
            raise ConfigError(
                name,
                f"expects channel IDs like C0123ABCD, comma separated; got {item!r}{hint}. "
                "Find the ID under the channel's name > About",
            )
    return frozenset(items)


def watch_settings(environ: Mapping[str, str]) -> WatchSettings:
    """EO_WATCH_* (the console reads them too, without the Slack settings)."""
    defaults = WatchSettings()
    interval = _seconds(environ, "EO_WATCH_INTERVAL", defaults.interval, low=1.0, high=3600.0)
    longest = _seconds(
        environ, "EO_WATCH_MAX_DURATION", defaults.max_duration, low=60.0, high=86400.0
    )
    if interval > longest:
        raise ConfigError(
            "EO_WATCH_INTERVAL",
            f"is longer than EO_WATCH_MAX_DURATION ({interval:g} s > {longest:g} s): a watch would "
            "never probe twice",
        )
    return WatchSettings(
        interval=interval,
        default_duration=min(defaults.default_duration, longest),
        max_duration=longest,
        min_duration=min(defaults.min_duration, longest),
        per_user=_int(environ, "EO_WATCH_PER_USER", defaults.per_user, low=1, high=100),
        per_channel=_int(environ, "EO_WATCH_PER_CHANNEL", defaults.per_channel, low=1, high=1000),
    )


def _seconds(
    environ: Mapping[str, str], name: str, default: float, *, low: float, high: float
) -> float:
    raw = _get(environ, name)
    if raw is None:
        return default
    value = parse_duration(raw + ("s" if raw.replace(".", "", 1).isdigit() else ""))
    if value is None or not low <= value <= high:
        raise ConfigError(
            name,
            f"must be a duration between {low:g} s and {high:g} s (e.g. 30s, 10m, 2h); got {raw!r}",
        )
    return value
