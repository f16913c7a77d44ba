"""Settings for `eo-bot serve`, read once from the environment and validated (pydantic-settings).

``Config.from_env(environ)`` reads the given mapping, never ``os.environ`` behind the caller's
back. A missing or malformed setting raises ``ConfigError(variable, message)``: ``variable`` is the
exact name of the variable at fault (taken from the failing field, not guessed from a message)
and the message says what a good value looks like. Tokens and the signing secret are
``SecretStr``: they print as ``**********`` and no message here ever contains them.

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
- EO_HTTP_HEADER_TIMEOUT: time a client has to send a whole request (default 10 s).
- EO_HTTP_IDLE_TIMEOUT: an idle keep-alive connection is closed after this (default 75 s).
- EO_HTTP_MAX_CONNECTIONS: client connections open at once (default 1000; at most half the
  open-file limit).
- EO_SLACK_RETRY_MIN / EO_SLACK_RETRY_MAX: back-off between attempts to reach Slack at start-up
  and between Socket Mode reconnections (default 1 s doubling up to 60 s).
- EO_SLACK_PING_INTERVAL: Socket Mode heartbeat; a link that misses a pong is replaced (10 s).
- EO_REDIS_URL: Redis for the state a fleet of replicas shares (``redis://``, ``rediss://`` or
  ``unix://``); unset: the state stays in this process's memory.
- EO_REDIS_PREFIX: the prefix of every key (default ``eo-bot``; one per bot sharing a Redis).
- EO_REDIS_TIMEOUT: the longest a request waits for Redis before answering from memory (0.5 s).
- EO_LOG_FORMAT: ``text`` (default) or ``json`` (one object per line, with a request id).
- EO_PROBE_*: the probe's own settings (see ``bot.probe.runner.ProbeSettings.from_env``).
- TENCENTCLOUD_* and EO_API_* / EO_ZONES / EO_*PURGE*: EdgeOne's API, optional (see
  ``bot.edgeone.settings``); without credentials ``edgeone`` is None.
- EO_NATS_*, EO_AGENT_KEYS, EO_AGENT_HEARTBEAT: probing from other regions' agents (see
  ``bot.agents.settings.CallerSettings``); unset EO_NATS_URL: every probe runs from here only.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BeforeValidator, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, EnvSettingsSource, NoDecode, SettingsConfigDict
from pydantic_settings.sources import PydanticBaseSettingsSource

from bot.agents.settings import CallerSettings
from bot.chat.watches import WatchSettings
from bot.edgeone.settings import EdgeOneSettings, SettingsError
from bot.i18n.language import Choice, parse_choice
from bot.intent import parse_duration
from bot.probe.runner import ProbeSettings

Visibility = Literal["ephemeral", "in_channel"]
LogFormat = Literal["text", "json"]

DEFAULT_PORT = 3000
DEFAULT_RATE = (5, 60.0)
DEFAULT_MAX_CONCURRENT = 4

_TOKEN = re.compile(r"[A-Za-z0-9-]+")
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,30}")
_PREFIX = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


class ConfigError(Exception):
    """A setting is missing or malformed. ``variable`` names it; str(exc) says what to do."""

    def __init__(self, variable: str, message: str) -> None:
        super().__init__(f"{variable}: {message}")
        self.variable = variable


@dataclass(frozen=True, slots=True)
class HTTPLimits:
    """How long the HTTP listener waits for clients, and how many it holds at once."""

    header_timeout: float = 10.0  # to send one whole request, headers then body
    idle_timeout: float = 75.0  # longer than the usual proxy's 60 s, so the proxy closes first
    max_connections: int = 1000


@dataclass(frozen=True, slots=True)
class SlackLink:
    """Reaching Slack: back-off between attempts and the Socket Mode heartbeat."""

    retry_min: float = 1.0
    retry_max: float = 60.0
    ping_interval: float = 10.0


@dataclass(frozen=True, slots=True)
class SharedState:
    """Where a fleet keeps its state: Redis at ``url`` (a secret: it may carry a password)."""

    url: SecretStr
    prefix: str = "eo-bot"
    timeout: float = 0.5  # a request never waits longer than this for Redis

    @property
    def password(self) -> str | None:
        return urllib.parse.urlsplit(self.url.get_secret_value()).password


_HTTP, _LINK, _WATCH = HTTPLimits(), SlackLink(), WatchSettings()


@dataclass(frozen=True, slots=True)
class Config:
    bot_token: SecretStr
    signing_secret: SecretStr | None = None
    app_token: SecretStr | None = None
    api_url: str | None = None
    port: int = DEFAULT_PORT
    visibility: Visibility = "ephemeral"
    language: Choice = "auto"
    rate_count: int = DEFAULT_RATE[0]
    rate_window: float = DEFAULT_RATE[1]
    max_concurrent: int = DEFAULT_MAX_CONCURRENT
    probe: ProbeSettings = field(default_factory=ProbeSettings)
    watch_channels: frozenset[str] = frozenset()
    watch: WatchSettings = field(default_factory=WatchSettings)
    http: HTTPLimits = field(default_factory=HTTPLimits)
    link: SlackLink = field(default_factory=SlackLink)
    redis: SharedState | None = None
    log_format: LogFormat = "text"
    edgeone: EdgeOneSettings | None = None  # None: no API credentials, the feature is off
    agents: CallerSettings | None = None  # regional probe agents (EO_NATS_URL); None: off

    @property
    def socket_mode(self) -> bool:
        return self.app_token is not None

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values that must never reach a log line."""
        values = (self.bot_token, self.signing_secret, self.app_token)
        found = [s.get_secret_value() for s in values if s is not None]
        if self.redis is not None:
            found.append(self.redis.url.get_secret_value())
            if self.redis.password:
                found.append(self.redis.password)
        if self.edgeone is not None:
            found.extend(self.edgeone.credentials.secrets)
        return tuple(found)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Config:
        """Read and validate every setting; raises ConfigError naming the first bad variable."""
        env = _read(_SlackEnvironment, environ)
        if env.signing_secret is None and env.app_token is None:
            raise ConfigError(
                "SLACK_SIGNING_SECRET",
                "is not set; HTTP mode needs it to check request signatures (find it under "
                "Basic Information > App Credentials), or set SLACK_APP_TOKEN for Socket Mode",
            )
        if env.retry_min > env.retry_max:
            raise ConfigError(
                "EO_SLACK_RETRY_MIN",
                f"is longer than EO_SLACK_RETRY_MAX ({env.retry_min:g} s > {env.retry_max:g} s)",
            )
        watch = watch_settings(environ)
        return cls(
            bot_token=env.bot_token,
            signing_secret=env.signing_secret,
            app_token=env.app_token,
            api_url=env.api_url,
            port=env.port,
            visibility=env.visibility,
            language=env.language,
            rate_count=env.rate[0],
            rate_window=env.rate[1],
            max_concurrent=env.max_concurrent,
            probe=probe_settings(environ),
            watch_channels=env.watch_channels,
            watch=watch,
            http=HTTPLimits(
                header_timeout=env.header_timeout,
                idle_timeout=env.idle_timeout,
                max_connections=env.max_connections,
            ),
            link=SlackLink(
                retry_min=env.retry_min,
                retry_max=env.retry_max,
                ping_interval=env.ping_interval,
            ),
            redis=(
                SharedState(env.redis_url, prefix=env.redis_prefix, timeout=env.redis_timeout)
                if env.redis_url is not None
                else None
            ),
            log_format=env.log_format,
            edgeone=edgeone_settings(environ),
            agents=agent_settings(environ),
        )


def agent_settings(environ: Mapping[str, str]) -> CallerSettings | None:
    """EO_NATS_* and EO_AGENT_KEYS (the console and the CLI read them too); None without
    EO_NATS_URL. Their ValueError names the variable first; ConfigError carries it apart."""
    try:
        return CallerSettings.from_env(environ)
    except ValueError as exc:
        variable, sep, message = str(exc).partition(": ")
        if not sep or not variable.startswith(("EO_NATS_", "EO_AGENT_")):
            raise ConfigError("EO_NATS_URL", str(exc)) from None
        first, _, others = variable.partition(" ")
        if others:  # "EO_NATS_CERT_FILE / EO_NATS_KEY_FILE: ...": the first, the rest in words
            message = f"{message} ({variable})"
        raise ConfigError(first, message) from None


def watch_settings(environ: Mapping[str, str]) -> WatchSettings:
    """EO_WATCH_* (the console reads them too, without the Slack settings)."""
    env = _read(_WatchEnvironment, environ)
    defaults = WatchSettings()
    if env.interval > env.max_duration:
        raise ConfigError(
            "EO_WATCH_INTERVAL",
            f"is longer than EO_WATCH_MAX_DURATION ({env.interval:g} s > {env.max_duration:g} s): "
            "a watch would never probe twice",
        )
    return WatchSettings(
        interval=env.interval,
        default_duration=min(defaults.default_duration, env.max_duration),
        max_duration=env.max_duration,
        min_duration=min(defaults.min_duration, env.max_duration),
        per_user=env.per_user,
        per_channel=env.per_channel,
    )


def edgeone_settings(environ: Mapping[str, str]) -> EdgeOneSettings | None:
    """EdgeOne's API settings (the console and the CLI read them too); None without credentials.
    Their SettingsError becomes a ConfigError naming the same variable."""
    try:
        return EdgeOneSettings.from_env(environ)
    except SettingsError as exc:
        head, sep, rest = str(exc).partition(": ")
        raise ConfigError(
            exc.variable, rest if sep and head == exc.variable else str(exc)
        ) from None


def probe_settings(environ: Mapping[str, str]) -> ProbeSettings:
    """EO_PROBE_* through ``ProbeSettings.from_env``, its ValueError turned into a ConfigError.

    The variable at fault is found by reading each EO_PROBE_* variable on its own, so the error
    names exactly the one that fails rather than whatever its message happens to mention.
    """
    try:
        return ProbeSettings.from_env(environ)
    except ValueError as exc:
        message = str(exc)
        variable = getattr(exc, "variable", None) or _failing_probe_variable(environ)
    if variable is None:
        raise ConfigError("EO_PROBE_*", message) from None
    # The probe's messages start with the variable name(s); ConfigError adds the exact one.
    head, sep, rest = message.partition(": ")
    if sep and head.startswith("EO_PROBE_"):
        message = rest
    raise ConfigError(variable, message) from None


def _failing_probe_variable(environ: Mapping[str, str]) -> str | None:
    for name in sorted(n for n in environ if n.startswith("EO_PROBE_")):
        try:
            ProbeSettings.from_env({name: environ[name]})
        except ValueError:
            return name
    return None


# -- reading a mapping with pydantic-settings ------------------------------------------------


class _EnvironSource(EnvSettingsSource):
    """The environment source over a given mapping instead of ``os.environ`` (the pattern of
    pydantic-settings' own secret-manager sources). Values are stripped; empty ones are unset."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(settings_cls, case_sensitive=True)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {k: v.strip() for k, v in self._environ.items() if isinstance(v, str) and v.strip()}


class _Environment(BaseSettings):
    model_config = SettingsConfigDict(
        case_sensitive=True, extra="ignore", frozen=True, validate_default=False
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Only what ``_read`` passes in: the mapping given to from_env, nothing from os.environ.
        return (init_settings,)


_E = TypeVar("_E", bound=_Environment)

# What a missing required variable's message says.
_MISSING = {"SLACK_BOT_TOKEN": "is not set; expected a token starting with xoxb-"}


def _read(model: type[_E], environ: Mapping[str, str]) -> _E:
    values = _EnvironSource(model, environ)()
    try:
        return model(**values)
    except ValidationError as exc:
        error = exc.errors(include_url=False, include_input=False)[0]
        name = str(error["loc"][0]) if error["loc"] else ""
        field_info = model.model_fields.get(name)
        variable = (field_info.alias if field_info and field_info.alias else name) or "environment"
        context = error.get("ctx") or {}
        if error["type"] == "missing":
            message = _MISSING.get(variable, "is not set")
        elif isinstance(context.get("error"), ValueError):
            message = str(context["error"])
        else:
            message = f"is malformed ({error['msg']})"
        raise ConfigError(variable, message) from None


# -- field parsers: each raises ValueError with the message ConfigError carries -----------------


def _token(prefix: str) -> Callable[[Any], SecretStr]:
    def parse(raw: Any) -> SecretStr:
        value = raw.get_secret_value() if isinstance(raw, SecretStr) else str(raw)
        if not value.startswith(prefix) or not _TOKEN.fullmatch(value):
            raise ValueError(f"is malformed; expected a token starting with {prefix}")
        return SecretStr(value)

    return parse


def _signing_secret(raw: Any) -> SecretStr:
    value = raw.get_secret_value() if isinstance(raw, SecretStr) else str(raw)
    if not value.isprintable() or " " in value:
        raise ValueError("is malformed; expected the hex string Slack shows")
    return SecretStr(value)


def _whole(low: int, high: int) -> Callable[[Any], int]:
    def parse(raw: Any) -> int:
        try:
            value = int(str(raw))
        except ValueError:
            raise ValueError(f"must be a whole number, got {raw!r}") from None
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}, got {value}")
        return value

    return parse


def _duration(low: float, high: float) -> Callable[[Any], float]:
    def parse(raw: Any) -> float:
        text = str(raw)
        value = parse_duration(text + ("s" if text.replace(".", "", 1).isdigit() else ""))
        if value is None or not low <= value <= high:
            raise ValueError(
                f"must be a duration between {low:g} s and {high:g} s (e.g. 30s, 10m, 2h); "
                f"got {raw!r}"
            )
        return value

    return parse


def _api_url(raw: Any) -> str:
    url = str(raw)
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"must be an http(s) URL like https://slack.com/api/, got {url!r}")
    # The Web API client joins method names onto this URL: without the slash "/api" is lost.
    return url if url.endswith("/") else url + "/"


def _visibility(raw: Any) -> Visibility:
    value = str(raw).lower().replace("-", "_")
    if value == "ephemeral":
        return "ephemeral"
    if value in ("in_channel", "channel", "public"):
        return "in_channel"
    raise ValueError(f"must be ephemeral or in_channel, got {raw!r}")


def _rate(raw: Any) -> tuple[int, float]:
    match = re.fullmatch(r"\s*(\d+)\s*(?:/\s*(\d+(?:\.\d+)?)\s*s?)?\s*", str(raw))
    if match is None:
        raise ValueError(f"must be N (per minute) or N/SECONDS like 5/60, got {raw!r}")
    count = int(match.group(1))
    window = float(match.group(2)) if match.group(2) else 60.0
    if count < 1 or window <= 0:
        raise ValueError(f"needs at least 1 probe in a positive window, got {raw!r}")
    return count, window


def _channels(raw: Any) -> frozenset[str]:
    items = [item.strip() for item in str(raw).split(",") if item.strip()]
    for item in items:
        if not _CHANNEL_ID.fullmatch(item):
            hint = " (names change; use the channel ID)" if item.startswith("#") else ""
            raise ValueError(
                f"expects channel IDs like C0123ABCD, comma separated; got {item!r}{hint}. "
                "Find the ID under the channel's name > About"
            )
    return frozenset(items)


def _redis_url(raw: Any) -> SecretStr:
    value = raw.get_secret_value() if isinstance(raw, SecretStr) else str(raw)
    parts = urllib.parse.urlsplit(value)
    if parts.scheme not in ("redis", "rediss", "unix") or not (parts.netloc or parts.path):
        # Never echo the value: it may carry a password.
        raise ValueError(
            "must be a Redis URL like redis://127.0.0.1:6379/0 (rediss:// for TLS, "
            "unix:///path/to/redis.sock)"
        )
    return SecretStr(value)


def _prefix(raw: Any) -> str:
    value = str(raw)
    if not _PREFIX.fullmatch(value):
        raise ValueError(f"must be 1-64 letters, digits or _.:- (e.g. eo-bot), got {raw!r}")
    return value


def _log_format(raw: Any) -> LogFormat:
    value = str(raw).lower()
    if value == "json":
        return "json"
    if value == "text":
        return "text"
    raise ValueError(f"must be text or json, got {raw!r}")


class _SlackEnvironment(_Environment):
    bot_token: Annotated[SecretStr, BeforeValidator(_token("xoxb-"))] = Field(
        alias="SLACK_BOT_TOKEN"
    )
    app_token: Annotated[SecretStr | None, BeforeValidator(_token("xapp-"))] = Field(
        None, alias="SLACK_APP_TOKEN"
    )
    signing_secret: Annotated[SecretStr | None, BeforeValidator(_signing_secret)] = Field(
        None, alias="SLACK_SIGNING_SECRET"
    )
    api_url: Annotated[str | None, BeforeValidator(_api_url)] = Field(None, alias="SLACK_API_URL")
    port: Annotated[int, BeforeValidator(_whole(1, 65535))] = Field(DEFAULT_PORT, alias="PORT")
    visibility: Annotated[Visibility, BeforeValidator(_visibility)] = Field(
        "ephemeral", alias="EO_ANSWER_VISIBILITY"
    )
    language: Annotated[Choice, BeforeValidator(parse_choice)] = Field("auto", alias="EO_LANGUAGE")
    rate: Annotated[tuple[int, float], NoDecode, BeforeValidator(_rate)] = Field(
        DEFAULT_RATE, alias="EO_PROBE_RATE_PER_USER"
    )
    max_concurrent: Annotated[int, BeforeValidator(_whole(1, 1000))] = Field(
        DEFAULT_MAX_CONCURRENT, alias="EO_PROBE_MAX_CONCURRENT"
    )
    watch_channels: Annotated[frozenset[str], NoDecode, BeforeValidator(_channels)] = Field(
        frozenset(), alias="EO_WATCH_CHANNELS"
    )
    header_timeout: Annotated[float, BeforeValidator(_duration(0.05, 300.0))] = Field(
        _HTTP.header_timeout, alias="EO_HTTP_HEADER_TIMEOUT"
    )
    idle_timeout: Annotated[float, BeforeValidator(_duration(0.05, 3600.0))] = Field(
        _HTTP.idle_timeout, alias="EO_HTTP_IDLE_TIMEOUT"
    )
    max_connections: Annotated[int, BeforeValidator(_whole(8, 1_000_000))] = Field(
        _HTTP.max_connections, alias="EO_HTTP_MAX_CONNECTIONS"
    )
    retry_min: Annotated[float, BeforeValidator(_duration(0.01, 600.0))] = Field(
        _LINK.retry_min, alias="EO_SLACK_RETRY_MIN"
    )
    retry_max: Annotated[float, BeforeValidator(_duration(0.01, 3600.0))] = Field(
        _LINK.retry_max, alias="EO_SLACK_RETRY_MAX"
    )
    ping_interval: Annotated[float, BeforeValidator(_duration(0.05, 300.0))] = Field(
        _LINK.ping_interval, alias="EO_SLACK_PING_INTERVAL"
    )
    redis_url: Annotated[SecretStr | None, BeforeValidator(_redis_url)] = Field(
        None, alias="EO_REDIS_URL"
    )
    redis_prefix: Annotated[str, BeforeValidator(_prefix)] = Field(
        "eo-bot", alias="EO_REDIS_PREFIX"
    )
    redis_timeout: Annotated[float, BeforeValidator(_duration(0.01, 10.0))] = Field(
        0.5, alias="EO_REDIS_TIMEOUT"
    )
    log_format: Annotated[LogFormat, BeforeValidator(_log_format)] = Field(
        "text", alias="EO_LOG_FORMAT"
    )


class _WatchEnvironment(_Environment):
    interval: Annotated[float, BeforeValidator(_duration(1.0, 3600.0))] = Field(
        _WATCH.interval, alias="EO_WATCH_INTERVAL"
    )
    max_duration: Annotated[float, BeforeValidator(_duration(60.0, 86400.0))] = Field(
        _WATCH.max_duration, alias="EO_WATCH_MAX_DURATION"
    )
    per_user: Annotated[int, BeforeValidator(_whole(1, 100))] = Field(
        _WATCH.per_user, alias="EO_WATCH_PER_USER"
    )
    per_channel: Annotated[int, BeforeValidator(_whole(1, 1000))] = Field(
        _WATCH.per_channel, alias="EO_WATCH_PER_CHANNEL"
    )
