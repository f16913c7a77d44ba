"""EdgeOne's API settings in `serve`'s configuration: optional, validated with the variable named,
and its secrets among those the logs never show."""

from __future__ import annotations

import pytest

from bot.config import Config, ConfigError

BASE = {"SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_SIGNING_SECRET": "8f742231b10e8888abcd"}
KEY = {
    "TENCENTCLOUD_SECRET_ID": "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
    "TENCENTCLOUD_SECRET_KEY": "Gu5t9xGARNpq86cd98joQYCN3EXAMPLEKEY",
}


def test_off_without_credentials() -> None:
    assert Config.from_env(BASE).edgeone is None


def test_on_with_credentials() -> None:
    config = Config.from_env(
        BASE
        | KEY
        | {"EO_ZONES": "zone-2noz78a8ev6k", "EO_ALLOW_PURGE": "1", "EO_PURGE_USERS": "U0BOB"}
    )
    assert config.edgeone is not None
    assert config.edgeone.zones == ("zone-2noz78a8ev6k",)
    assert config.edgeone.purge.users == frozenset({"U0BOB"})
    assert KEY["TENCENTCLOUD_SECRET_KEY"] in config.secrets  # filtered out of every log line
    assert KEY["TENCENTCLOUD_SECRET_ID"] in config.secrets


@pytest.mark.parametrize(
    ("extra", "variable", "says"),
    [
        pytest.param(
            {"TENCENTCLOUD_SECRET_ID": KEY["TENCENTCLOUD_SECRET_ID"]},
            "TENCENTCLOUD_SECRET_KEY",
            "is not set but TENCENTCLOUD_SECRET_ID (…MPLE) is",
            id="half-a-key",
        ),
        pytest.param(
            KEY | {"EO_API_TIMEOUT": "soon"}, "EO_API_TIMEOUT", "a number of seconds", id="timeout"
        ),
        pytest.param(KEY | {"EO_ZONES": "example.com"}, "EO_ZONES", "zone IDs like", id="zones"),
        pytest.param(
            KEY | {"EO_ALLOW_PURGE": "1"}, "EO_PURGE_USERS", "nobody could purge", id="purge-nobody"
        ),
    ],
)
def test_malformed_settings_name_the_variable(
    extra: dict[str, str], variable: str, says: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        Config.from_env(BASE | extra)
    assert caught.value.variable == variable
    assert str(caught.value).startswith(f"{variable}: ")
    assert f"{variable}: {variable}" not in str(caught.value)  # named once
    assert says in str(caught.value)
    assert KEY["TENCENTCLOUD_SECRET_ID"] not in str(caught.value)
