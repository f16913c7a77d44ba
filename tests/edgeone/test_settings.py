"""EdgeOne API settings: off without credentials, every malformed variable named, secrets hidden."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from bot.edgeone.settings import (
    DEFAULT_BUDGET,
    DEFAULT_TIMEOUT,
    Credentials,
    EdgeOneSettings,
    Endpoint,
    SettingsError,
    secret_id_hint,
)

SECRET_ID = "AKIDabcdefghijklmnopqrstuvwxyz01WXYZ"
SECRET_KEY = "k3y0123456789abcdefghijklmnopqrs"
TOKEN = "sts-token-0123456789abcdef:xyz"
CREDS = {"TENCENTCLOUD_SECRET_ID": SECRET_ID, "TENCENTCLOUD_SECRET_KEY": SECRET_KEY}


def read(**env: str) -> EdgeOneSettings:
    settings = EdgeOneSettings.from_env({**CREDS, **env})
    assert settings is not None
    return settings


def test_off_without_credentials() -> None:
    assert EdgeOneSettings.from_env({}) is None
    # Other EdgeOne settings alone do not turn it on (nor fail start-up).
    assert EdgeOneSettings.from_env({"EO_API_SITE": "china", "EO_ZONES": "zone-abc12345"}) is None
    assert (
        EdgeOneSettings.from_env({"TENCENTCLOUD_SECRET_ID": "  ", "TENCENTCLOUD_SECRET_KEY": ""})
        is None
    )


def test_defaults() -> None:
    settings = read()
    assert settings.endpoint == Endpoint("https", "teo.intl.tencentcloudapi.com")
    assert settings.site == "intl"
    assert (settings.call_timeout, settings.budget) == (DEFAULT_TIMEOUT, DEFAULT_BUDGET)
    assert settings.zones == ()
    assert not settings.purge.allowed
    assert settings.credentials.token is None


def test_site_picks_the_endpoint() -> None:
    assert read(EO_API_SITE="china").endpoint == Endpoint("https", "teo.tencentcloudapi.com")
    assert read(EO_API_SITE=" INTL ").endpoint.host == "teo.intl.tencentcloudapi.com"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("teo.example.net", Endpoint("https", "teo.example.net")),
        ("teo.example.net:8443", Endpoint("https", "teo.example.net", 8443)),
        ("https://teo.example.net/", Endpoint("https", "teo.example.net")),
        ("127.0.0.1:9000", Endpoint("http", "127.0.0.1", 9000)),  # loopback: plain http
        ("[::1]:9000", Endpoint("http", "::1", 9000)),
        ("https://127.0.0.1:9000", Endpoint("https", "127.0.0.1", 9000)),
        ("http://proxy.internal:8080", Endpoint("http", "proxy.internal", 8080)),  # said so
    ],
    ids=["host", "host-port", "https-url", "loopback", "loopback-v6", "https-loopback", "http"],
)
def test_endpoint(raw: str, expected: Endpoint) -> None:
    assert read(EO_API_ENDPOINT=raw).endpoint == expected


def test_endpoint_netloc_brackets_ipv6() -> None:
    assert Endpoint("http", "::1", 9000).netloc == "[::1]:9000"
    assert str(Endpoint("https", "teo.example.net")) == "https://teo.example.net"


@pytest.mark.parametrize(
    ("env", "variable", "says"),
    [
        ({"EO_API_SITE": "mars"}, "EO_API_SITE", "must be intl"),
        ({"EO_API_ENDPOINT": "ftp://x.example"}, "EO_API_ENDPOINT", "https://HOST"),
        ({"EO_API_ENDPOINT": "https://x.example/api"}, "EO_API_ENDPOINT", "no path"),
        ({"EO_API_ENDPOINT": "https://u:p@x.example"}, "EO_API_ENDPOINT", "user name"),
        ({"EO_API_ENDPOINT": "x.example:99999"}, "EO_API_ENDPOINT", "bad port"),
        ({"EO_API_ENDPOINT": "bad host!"}, "EO_API_ENDPOINT", "no valid host"),
        ({"EO_ZONES": "example.com"}, "EO_ZONES", "zone IDs like"),
        ({"EO_API_TIMEOUT": "soon"}, "EO_API_TIMEOUT", "number of seconds"),
        ({"EO_API_TIMEOUT": "0"}, "EO_API_TIMEOUT", "between"),
        ({"EO_API_BUDGET": "1", "EO_API_TIMEOUT": "3"}, "EO_API_BUDGET", "shorter than"),
        ({"EO_ALLOW_PURGE": "maybe"}, "EO_ALLOW_PURGE", "1/true"),
        ({"EO_ALLOW_PURGE": "1"}, "EO_PURGE_USERS", "nobody could purge"),
        ({"EO_PURGE_USERS": "@alice"}, "EO_PURGE_USERS", "use the ID"),
        ({"EO_PURGE_GROUPS": "U0123ABCD"}, "EO_PURGE_GROUPS", "S0123ABCD"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_malformed_setting_names_the_variable(
    env: dict[str, str], variable: str, says: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        read(**env)
    assert caught.value.variable == variable
    assert str(caught.value).startswith(f"{variable}: ")
    assert says in str(caught.value)


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"TENCENTCLOUD_SECRET_ID": SECRET_ID}, "TENCENTCLOUD_SECRET_KEY"),
        ({"TENCENTCLOUD_SECRET_KEY": SECRET_KEY}, "TENCENTCLOUD_SECRET_ID"),
        ({"TENCENTCLOUD_SESSION_TOKEN": TOKEN}, "TENCENTCLOUD_SECRET_ID"),
        (
            {**CREDS, "TENCENTCLOUD_SECRET_ID": "AKID with space 0123456789"},
            "TENCENTCLOUD_SECRET_ID",
        ),
        ({**CREDS, "TENCENTCLOUD_SECRET_KEY": "short"}, "TENCENTCLOUD_SECRET_KEY"),
        (
            {**CREDS, "TENCENTCLOUD_SESSION_TOKEN": "tok en 0123456789"},
            "TENCENTCLOUD_SESSION_TOKEN",
        ),
    ],
    ids=["no-key", "no-id", "token-alone", "id-space", "key-short", "token-space"],
)
def test_credential_errors_never_echo_secrets(env: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError) as caught:
        EdgeOneSettings.from_env(env)
    assert caught.value.variable == variable
    message = str(caught.value)
    for secret in (SECRET_KEY, "AKID with space", "short", "tok en", TOKEN):
        assert secret not in message


def test_secrets_are_hidden_everywhere() -> None:
    settings = read(TENCENTCLOUD_SESSION_TOKEN=TOKEN)
    creds = settings.credentials
    for text in (repr(settings), str(settings), repr(creds), str(creds), f"{creds}"):
        assert SECRET_ID not in text
        assert SECRET_KEY not in text
        assert TOKEN not in text
    assert creds.hint == "…WXYZ"
    assert "…WXYZ" in repr(creds)
    assert creds.secrets == (SECRET_ID, SECRET_KEY, TOKEN)
    assert isinstance(creds.secret_key, SecretStr)


def test_hint_shows_only_the_last_four() -> None:
    assert secret_id_hint(SECRET_ID) == "…WXYZ"
    assert secret_id_hint("short") == "…"  # too short to show any of it safely
    creds = Credentials(SecretStr(SECRET_ID), SecretStr(SECRET_KEY))
    assert creds.hint == "…WXYZ"


def test_zones_and_purge_lists() -> None:
    settings = read(
        EO_ZONES="zone-2noz78a8ev6k, zone-39quuimqg8r6,zone-2noz78a8ev6k",
        EO_ALLOW_PURGE="yes",
        EO_PURGE_USERS="U0ALICE1,W0BOB222",
        EO_PURGE_GROUPS="S0ONCALL",
        EO_API_TIMEOUT="2.5s",
        EO_API_BUDGET="5",
    )
    assert settings.zones == ("zone-2noz78a8ev6k", "zone-39quuimqg8r6")
    assert settings.purge.allowed
    assert settings.purge.users == {"U0ALICE1", "W0BOB222"}
    assert settings.purge.groups == {"S0ONCALL"}
    assert (settings.call_timeout, settings.budget) == (2.5, 5.0)
