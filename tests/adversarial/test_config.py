"""Settings: errors name exactly the variable at fault, secrets stay secret, only the given
mapping is read."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from bot.config import Config, ConfigError, watch_settings

BASE = {"SLACK_BOT_TOKEN": "xoxb-1-2-abcdef", "SLACK_SIGNING_SECRET": "8f742231b10e8888abcd"}


def refused(**env: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        Config.from_env(BASE | env)
    return caught.value


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        pytest.param(
            {"EO_PROBE_ALLOW_PORTS": "eighty", "EO_PROBE_ALLOW_NETWORKS": "10.0.0.0/8"},
            "EO_PROBE_ALLOW_PORTS",
            id="ports-bad-networks-good",
        ),
        pytest.param(
            {"EO_PROBE_ALLOW_PORTS": "8000", "EO_PROBE_ALLOW_NETWORKS": "ten"},
            "EO_PROBE_ALLOW_NETWORKS",
            id="networks-bad-ports-good",
        ),
        pytest.param(
            # The message quotes the bad value, which names a (longer) variable that is set.
            {"EO_PROBE_RATE_PER_USER": "5/60", "EO_PROBE_READ_TIMEOUT": "EO_PROBE_RATE_PER_USER"},
            "EO_PROBE_READ_TIMEOUT",
            id="value-names-another-variable",
        ),
        pytest.param({"EO_PROBE_NAMESERVERS": "dns.google"}, "EO_PROBE_NAMESERVERS", id="ns"),
        pytest.param({"EO_HTTP_HEADER_TIMEOUT": "forever"}, "EO_HTTP_HEADER_TIMEOUT", id="hdr"),
        pytest.param({"EO_HTTP_IDLE_TIMEOUT": "0"}, "EO_HTTP_IDLE_TIMEOUT", id="idle"),
        pytest.param({"EO_HTTP_MAX_CONNECTIONS": "2"}, "EO_HTTP_MAX_CONNECTIONS", id="max"),
        pytest.param({"EO_SLACK_RETRY_MIN": "soon"}, "EO_SLACK_RETRY_MIN", id="retry-min"),
        pytest.param(
            {"EO_SLACK_RETRY_MIN": "2m", "EO_SLACK_RETRY_MAX": "1m"},
            "EO_SLACK_RETRY_MIN",
            id="retry-min-over-max",
        ),
        pytest.param({"EO_SLACK_PING_INTERVAL": "-1"}, "EO_SLACK_PING_INTERVAL", id="ping"),
        pytest.param({"EO_LANGUAGE": "fr"}, "EO_LANGUAGE", id="language"),
    ],
)
def test_errors_name_exactly_the_variable_at_fault(env: dict[str, str], variable: str) -> None:
    error = refused(**env)
    assert error.variable == variable
    assert str(error).startswith(f"{variable}: ")
    assert str(error).count("EO_PROBE_ALLOW_") <= 1  # no "PORTS / NETWORKS" guesswork


def test_tokens_and_the_secret_are_secret_strings() -> None:
    config = Config.from_env(BASE | {"SLACK_APP_TOKEN": "xapp-1-A1-2-abcdef"})
    for value in (config.bot_token, config.signing_secret, config.app_token):
        assert isinstance(value, SecretStr)
    text = f"{config!r} {config}"
    for secret in ("xoxb-1-2-abcdef", "8f742231b10e8888abcd", "xapp-1-A1-2-abcdef"):
        assert secret not in text
    assert set(config.secrets) == {"xoxb-1-2-abcdef", "8f742231b10e8888abcd", "xapp-1-A1-2-abcdef"}


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SLACK_BOT_TOKEN", "xoxb-has a space"),
        ("SLACK_BOT_TOKEN", "xapp-the-wrong-kind"),
        ("SLACK_APP_TOKEN", "xoxb-the-wrong-kind"),
        ("SLACK_SIGNING_SECRET", "secret with spaces"),
    ],
)
def test_a_malformed_secret_is_not_repeated_in_the_error(variable: str, value: str) -> None:
    error = refused(**{variable: value})
    assert error.variable == variable
    assert value not in str(error)


def test_only_the_given_mapping_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "not-a-port")
    monkeypatch.setenv("SLACK_API_URL", "nonsense")
    monkeypatch.setenv("EO_HTTP_MAX_CONNECTIONS", "1")
    config = Config.from_env(BASE)
    assert (config.port, config.api_url, config.http.max_connections) == (3000, None, 1000)


def test_padding_and_empty_values_read_as_unset() -> None:
    config = Config.from_env({**BASE, "PORT": "  ", "SLACK_BOT_TOKEN": "  xoxb-1-2-abcdef \n"})
    assert config.port == 3000
    assert config.bot_token.get_secret_value() == "xoxb-1-2-abcdef"


def test_new_settings_are_read() -> None:
    config = Config.from_env(
        BASE
        | {
            "EO_HTTP_HEADER_TIMEOUT": "5s",
            "EO_HTTP_IDLE_TIMEOUT": "2m",
            "EO_HTTP_MAX_CONNECTIONS": "64",
            "EO_SLACK_RETRY_MIN": "0.5",
            "EO_SLACK_RETRY_MAX": "30s",
            "EO_SLACK_PING_INTERVAL": "5",
        }
    )
    assert (config.http.header_timeout, config.http.idle_timeout) == (5.0, 120.0)
    assert config.http.max_connections == 64
    assert (config.link.retry_min, config.link.retry_max, config.link.ping_interval) == (
        0.5,
        30.0,
        5.0,
    )


def test_watch_settings_keeps_its_signature_and_names_the_variable() -> None:
    assert watch_settings({"EO_WATCH_INTERVAL": "15s"}).interval == 15.0
    with pytest.raises(ConfigError) as caught:
        watch_settings({"EO_WATCH_PER_USER": "many"})
    assert caught.value.variable == "EO_WATCH_PER_USER"


@pytest.mark.parametrize(("raw", "choice"), [(None, "auto"), ("zh-CN", "zh"), ("EN", "en")])
def test_the_reply_language_is_read(raw: str | None, choice: str) -> None:
    env = BASE | ({"EO_LANGUAGE": raw} if raw is not None else {})
    assert Config.from_env(env).language == choice
