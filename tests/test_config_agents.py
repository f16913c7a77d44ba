"""Config.from_env: the regional agents' settings (EO_NATS_*, EO_AGENT_KEYS) are read once, and a
wrong one stops start-up with a ConfigError naming its variable, never echoing a secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.agents.keys import SigningKey
from bot.chat.services import regional_prober
from bot.config import Config, ConfigError

BASE = {"SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_SIGNING_SECRET": "8f742231b10e8888abcd"}
KEY = SigningKey.generate().public_text


def load(**env: str) -> Config:
    return Config.from_env(BASE | env)


def test_without_nats_every_probe_runs_from_here() -> None:
    config = load()
    assert config.agents is None
    assert regional_prober(config.agents) is None


def test_nats_and_keys_are_read() -> None:
    config = load(EO_NATS_URL="nats://127.0.0.1:4222", EO_AGENT_KEYS=f"fra={KEY}")
    assert config.agents is not None
    assert config.agents.regions == ("fra",)
    assert config.agents.nats.servers == ("nats://127.0.0.1:4222",)
    prober = regional_prober(config.agents)
    assert prober is not None
    assert prober.settings is config.agents


@pytest.mark.parametrize(
    ("env", "variable", "words"),
    [
        ({"EO_NATS_URL": "http://nats:4222"}, "EO_NATS_URL", "http:// is not supported"),
        ({"EO_NATS_URL": "nats://127.0.0.1"}, "EO_AGENT_KEYS", "list the public key"),
        (
            {"EO_NATS_URL": "nats://127.0.0.1", "EO_AGENT_KEYS": "fra=nope"},
            "EO_AGENT_KEYS",
            "fra: ",
        ),
        (
            {"EO_NATS_URL": "nats://127.0.0.1", "EO_AGENT_KEYS": f"all={KEY}"},
            "EO_AGENT_KEYS",
            "reserved",
        ),
        (
            {"EO_NATS_URL": "nats://127.0.0.1", "EO_AGENT_KEYS": f"fra={KEY}", "EO_NATS_USER": "u"},
            "EO_NATS_PASSWORD",
            "go together",
        ),
        (
            {
                "EO_NATS_URL": "nats://127.0.0.1",
                "EO_AGENT_KEYS": f"fra={KEY}",
                "EO_AGENT_HEARTBEAT": "0",
            },
            "EO_AGENT_HEARTBEAT",
            "outside",
        ),
    ],
)
def test_a_wrong_setting_names_its_variable(env: dict[str, str], variable: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(**env)
    assert caught.value.variable == variable
    assert str(caught.value).startswith(f"{variable}: ")
    assert words in str(caught.value)


def test_settings_that_go_together_name_the_first_and_say_the_rest(tmp_path: Path) -> None:
    cert = tmp_path / "client.pem"
    cert.write_text("x")
    env = {"EO_NATS_URL": "tls://127.0.0.1", "EO_AGENT_KEYS": f"fra={KEY}"}
    with pytest.raises(ConfigError) as caught:
        load(**env, EO_NATS_CERT_FILE=str(cert))
    assert caught.value.variable == "EO_NATS_KEY_FILE"
    with pytest.raises(ConfigError) as caught:
        load(**env, EO_NATS_TOKEN="s3cret-token", EO_NATS_CREDS=str(cert))
    assert caught.value.variable == "EO_NATS_TOKEN"
    assert "EO_NATS_CREDS" in str(caught.value)
    assert "s3cret-token" not in str(caught.value)
