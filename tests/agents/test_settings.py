"""Settings of agents and caller: right values read, wrong ones refused naming the variable."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from bot.agents.command import add_agent_parser, build_parser, run_agent_command
from bot.agents.keys import SigningKey, load_signing_key, parse_public_key
from bot.agents.names import parse_region
from bot.agents.outcomes import parse_regions
from bot.agents.settings import AgentSettings, CallerSettings, NatsSettings, parse_trusted_keys

KEY = SigningKey.generate()
KEY2 = SigningKey.generate()


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "agent.pem"
    path.write_bytes(KEY.pem())
    return path


def test_no_url_means_regional_probing_is_off() -> None:
    assert NatsSettings.from_env({}) is None
    assert CallerSettings.from_env({"EO_NATS_URL": "  "}) is None


def test_caller_settings_read_servers_keys_and_prefix() -> None:
    env = {
        "EO_NATS_URL": "nats://10.0.0.5, tls://nats.example.com:4443",
        "EO_NATS_PREFIX": "eo-prod",
        "EO_AGENT_HEARTBEAT": "2",
        "EO_AGENT_KEYS": f"fra={KEY.public_text}, sin={KEY2.public_text}",
    }
    settings = CallerSettings.from_env(env)
    assert settings is not None
    assert settings.nats.servers == ("nats://10.0.0.5:4222", "tls://nats.example.com:4443")
    assert settings.nats.prefix == "eo-prod"
    assert settings.nats.heartbeat_s == 2.0
    assert settings.nats.uses_tls
    assert settings.regions == ("fra", "sin")
    assert settings.trusted["fra"] == frozenset({KEY.public})


def test_secrets_stay_out_of_repr() -> None:
    env = {"EO_NATS_URL": "nats://127.0.0.1", "EO_NATS_USER": "eo", "EO_NATS_PASSWORD": "hunter2"}
    settings = NatsSettings.from_env(env)
    assert settings is not None
    assert "hunter2" not in repr(settings)
    assert settings.connect_options()["password"] == "hunter2"
    token = NatsSettings.from_env({"EO_NATS_URL": "127.0.0.1", "EO_NATS_TOKEN": "t0ken"})
    assert token is not None
    assert "t0ken" not in repr(token)
    assert token.connect_options()["token"] == "t0ken"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        pytest.param(
            {"EO_NATS_URL": "http://x"}, "EO_NATS_URL: http:// is not supported", id="scheme"
        ),
        pytest.param(
            {"EO_NATS_URL": "nats://u:p@host"}, "EO_NATS_URL: put credentials in", id="userinfo"
        ),
        pytest.param({"EO_NATS_URL": "nats://host:99999"}, "EO_NATS_URL: ", id="port"),
        pytest.param({"EO_NATS_URL": ","}, "EO_NATS_URL: no server given", id="empty-list"),
        pytest.param(
            {"EO_NATS_URL": "nats://h", "EO_NATS_USER": "u"},
            "EO_NATS_PASSWORD: EO_NATS_USER and EO_NATS_PASSWORD go together",
            id="user-without-password",
        ),
        pytest.param(
            {
                "EO_NATS_URL": "nats://h",
                "EO_NATS_TOKEN": "t",
                "EO_NATS_USER": "u",
                "EO_NATS_PASSWORD": "p",
            },
            "EO_NATS_TOKEN / EO_NATS_USER / EO_NATS_CREDS: set one way to log in",
            id="two-logins",
        ),
        pytest.param(
            {"EO_NATS_URL": "nats://h", "EO_NATS_CA_FILE": "/nonexistent/ca.pem"},
            "EO_NATS_CA_FILE: /nonexistent/ca.pem is not a readable file",
            id="ca-missing",
        ),
        pytest.param(
            {"EO_NATS_URL": "nats://h", "EO_NATS_CERT_FILE": "/etc/hostname"},
            "EO_NATS_KEY_FILE: EO_NATS_CERT_FILE and EO_NATS_KEY_FILE go together",
            id="cert-without-key",
        ),
        pytest.param(
            {"EO_NATS_URL": "nats://h", "EO_NATS_PREFIX": "a.b"},
            "EO_NATS_PREFIX: 'a.b' must be",
            id="prefix",
        ),
        pytest.param(
            {"EO_NATS_URL": "nats://h", "EO_AGENT_HEARTBEAT": "0"},
            "EO_AGENT_HEARTBEAT: 0 s is outside 0.2-20 s",
            id="heartbeat",
        ),
        pytest.param(
            {"EO_NATS_URL": "nats://h"}, "EO_AGENT_KEYS: with EO_NATS_URL set", id="no-keys"
        ),
        pytest.param(
            {"EO_NATS_URL": "nats://h", "EO_AGENT_KEYS": "fra"},
            "EO_AGENT_KEYS: 'fra' is not REGION=KEY",
            id="key-without-region",
        ),
        pytest.param(
            {"EO_NATS_URL": "nats://h", "EO_AGENT_KEYS": "fra=YWJj"},
            "EO_AGENT_KEYS: fra: a public key is 32 bytes",
            id="short-key",
        ),
        pytest.param(
            {"EO_NATS_URL": "nats://h", "EO_AGENT_KEYS": f"all={KEY.public_text}"},
            "EO_AGENT_KEYS: 'all' is reserved",
            id="reserved-region",
        ),
        pytest.param(
            {
                "EO_NATS_URL": "nats://h",
                "EO_AGENT_KEYS": f"fra={KEY.public_text},sin={KEY.public_text}",
            },
            "EO_AGENT_KEYS: the same key is listed for fra and sin",
            id="one-key-two-regions",
        ),
    ],
)
def test_caller_settings_errors_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        CallerSettings.from_env(env)


def test_agent_settings(key_file: Path) -> None:
    env = {
        "EO_NATS_URL": "nats://127.0.0.1",
        "EO_AGENT_KEY_FILE": str(key_file),
        "EO_AGENT_CONCURRENCY": "16",
        "EO_AGENT_ID": "fra-1",
    }
    settings = AgentSettings.from_env(env)
    assert settings.key.public == KEY.public
    assert (settings.concurrency, settings.agent_id) == (16, "fra-1")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        pytest.param({"EO_NATS_URL": ""}, "EO_NATS_URL: an agent needs", id="no-url"),
        pytest.param({"EO_AGENT_KEY_FILE": ""}, "EO_AGENT_KEY_FILE: an agent signs", id="no-key"),
        pytest.param(
            {"EO_AGENT_KEY_FILE": "/nonexistent"},
            "EO_AGENT_KEY_FILE: cannot read",
            id="missing-key",
        ),
        pytest.param(
            {"EO_AGENT_CONCURRENCY": "0"}, "EO_AGENT_CONCURRENCY: '0' must be", id="concurrency"
        ),
        pytest.param({"EO_AGENT_ID": "a b"}, "EO_AGENT_ID: 'a b' must be", id="agent-id"),
    ],
)
def test_agent_settings_errors(key_file: Path, extra: dict[str, str], message: str) -> None:
    env = {"EO_NATS_URL": "nats://127.0.0.1", "EO_AGENT_KEY_FILE": str(key_file), **extra}
    with pytest.raises(ValueError, match="^" + message):
        AgentSettings.from_env(env)


def test_a_key_file_that_is_not_an_ed25519_pem_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "junk.pem"
    path.write_text("not a key")
    with pytest.raises(ValueError, match=r"^EO_AGENT_KEY_FILE: .* is not an unencrypted PEM"):
        load_signing_key(str(path), what="EO_AGENT_KEY_FILE")


@pytest.mark.parametrize("name", ["fra", "us-east-1", "a", "x" * 32])
def test_region_names(name: str) -> None:
    assert parse_region(name) == name


@pytest.mark.parametrize("name", ["", "Fra", "1fra", "fra-", "fra.sin", "fra*", "x" * 33, "all"])
def test_bad_region_names(name: str) -> None:
    with pytest.raises(ValueError, match=r"^region: "):
        parse_region(name)


def test_parse_regions() -> None:
    assert parse_regions("fra,sin fra") == ("fra", "sin")
    assert parse_regions(" ALL ") == "all"
    with pytest.raises(ValueError, match="at least one region"):
        parse_regions(" , ")
    with pytest.raises(ValueError, match="not a region name"):
        parse_regions("fra,s.in")


def test_trusted_keys_allow_several_keys_per_region() -> None:
    trusted = parse_trusted_keys(f"fra={KEY.public_text} fra={KEY2.public_text}")
    assert trusted == {"fra": frozenset({KEY.public, KEY2.public})}
    assert parse_public_key(KEY.public_text) == KEY.public


def test_new_key_writes_a_private_file_and_prints_the_public_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "fra.pem"
    args = build_parser().parse_args(["--region", "fra", "--new-key", str(path)])
    assert run_agent_command(args, environ={}) == 0
    line = capsys.readouterr().out.strip()
    region, _, public = line.partition("=")
    assert region == "fra"
    assert load_signing_key(str(path), what="x").public == parse_public_key(public)
    assert path.stat().st_mode & 0o777 == 0o600
    # never overwrites
    assert run_agent_command(args, environ={}) == 2
    assert "exists" in capsys.readouterr().err


def test_agent_command_refuses_bad_settings_naming_them(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = build_parser().parse_args(["--region", "fra"])
    assert run_agent_command(args, environ={}) == 2
    assert capsys.readouterr().err.startswith("eo-bot agent: EO_NATS_URL: ")
    bad = build_parser().parse_args(["--region", "Not.Valid"])
    assert run_agent_command(bad, environ={}) == 2
    assert "--region: 'Not.Valid' is not a region name" in capsys.readouterr().err


def test_add_agent_parser_hooks_into_a_cli() -> None:
    parser = argparse.ArgumentParser(prog="eo-bot")
    sub = parser.add_subparsers(dest="command")
    add_agent_parser(sub)
    args = parser.parse_args(["agent", "--region", "sin"])
    assert (args.command, args.region, args.new_key) == ("agent", "sin", None)
