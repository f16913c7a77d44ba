"""Intent parsing, configuration, Block Kit limits, dedupe and limits: no network."""

from __future__ import annotations

import pytest
from slack_sdk.models.blocks import SectionBlock

from bot.config import Config, ConfigError
from bot.intent import Ask, Empty, Help, Invalid, Probe, parse
from bot.knowledge import Answer, Matcher
from bot.ops.logging import SecretFilter
from bot.render.blocks import CUT, MAX_BLOCKS, answer_message, cut, fit, help_message, notice
from bot.slack.server import serve_main
from bot.state.memory import ConcurrencyCap, RateLimiter, Seen

BASE = {"SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_SIGNING_SECRET": "8f742231b10e8888abcd"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("524", Ask("524"), id="code"),
        pytest.param("<@UBOT> what is *524*?", Ask("what is 524 ?"), id="mention-markup"),
        pytest.param("help", Help(), id="help"),
        pytest.param("<@UBOT>", Empty(), id="only-mention"),
        pytest.param("", Empty(), id="empty"),
        pytest.param(
            "<@UBOT> <https://shop.example.com/cart|shop.example.com/cart> gives 522",
            Probe(
                "https://shop.example.com/cart",
                code=522,
                text="https://shop.example.com/cart gives 522",
            ),
            id="url-and-code",
        ),
        pytest.param(
            "probe https://x.example/ origin=203.0.113.9:8080",
            Probe(
                "https://x.example/",
                origin="203.0.113.9:8080",
                text="probe https://x.example/ origin=203.0.113.9:8080",
                explicit=True,
            ),
            id="probe-origin",
        ),
        pytest.param(
            "probe x.example/a",
            Probe("x.example/a", text="probe x.example/a", explicit=True),
            id="bare-host",
        ),
        pytest.param(
            "https://x.example/a?b=1&amp;c=2, port 8080 504s",
            Probe(
                "https://x.example/a?b=1&c=2",
                code=504,
                text="https://x.example/a?b=1&c=2, port 8080 504s",
            ),
            id="escaped-url-port-not-code",
        ),
    ],
)
def test_parse(raw: str, expected: object) -> None:
    assert parse(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "probe",
        "probe please",
        "probe https://x.example/ origin=",
        "probe https://x.example/ origin=a%b",
    ],
)
def test_parse_invalid(raw: str) -> None:
    result = parse(raw)
    assert isinstance(result, Invalid)
    assert "probe" in result.problem or "origin" in result.problem


def test_config_defaults_and_secrets_hidden() -> None:
    config = Config.from_env(BASE)
    assert (config.port, config.visibility, config.socket_mode) == (3000, "ephemeral", False)
    assert (config.rate_count, config.rate_window, config.max_concurrent) == (5, 60.0, 4)
    assert "xoxb" not in repr(config)
    assert BASE["SLACK_SIGNING_SECRET"] not in repr(config)


def test_config_reads_everything() -> None:
    config = Config.from_env(
        {
            **BASE,
            "SLACK_APP_TOKEN": "xapp-1-A1-2-abc",
            "SLACK_API_URL": "http://127.0.0.1:9/api",
            "PORT": "8080",
            "EO_ANSWER_VISIBILITY": "in_channel",
            "EO_PROBE_RATE_PER_USER": "3/30",
            "EO_PROBE_MAX_CONCURRENT": "2",
            "EO_PROBE_DEADLINE": "5",
        }
    )
    assert config.socket_mode
    assert config.api_url == "http://127.0.0.1:9/api/"
    assert (config.port, config.visibility, config.rate_count, config.rate_window) == (
        8080,
        "in_channel",
        3,
        30.0,
    )
    assert config.max_concurrent == 2
    assert config.probe.deadline == 5.0


@pytest.mark.parametrize(
    ("changes", "variable"),
    [
        ({"SLACK_BOT_TOKEN": ""}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xapp-wrong"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_SIGNING_SECRET": ""}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_APP_TOKEN": "xoxb-not-app"}, "SLACK_APP_TOKEN"),
        ({"SLACK_API_URL": "slack.com/api"}, "SLACK_API_URL"),
        ({"PORT": "http"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"EO_ANSWER_VISIBILITY": "loud"}, "EO_ANSWER_VISIBILITY"),
        ({"EO_PROBE_RATE_PER_USER": "lots"}, "EO_PROBE_RATE_PER_USER"),
        ({"EO_PROBE_MAX_CONCURRENT": "0"}, "EO_PROBE_MAX_CONCURRENT"),
        ({"EO_PROBE_DEADLINE": "soon"}, "EO_PROBE_DEADLINE"),
    ],
)
def test_config_errors_name_the_variable(changes: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Config.from_env({**BASE, **changes})
    assert caught.value.variable == variable
    assert str(caught.value).startswith(variable)


def test_serve_main_stops_on_bad_config(capsys: pytest.CaptureFixture[str]) -> None:
    assert serve_main({"SLACK_SIGNING_SECRET": "abcdef123456"}) == 2
    assert "SLACK_BOT_TOKEN" in capsys.readouterr().err


def test_socket_mode_needs_no_signing_secret() -> None:
    config = Config.from_env({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"})
    assert config.socket_mode
    assert config.signing_secret is None


def test_answer_blocks_have_fallback_and_stay_in_limits(matcher: Matcher) -> None:
    message = answer_message(matcher.ask("5xx"), share=True)
    assert message.text
    assert len(message.blocks) <= MAX_BLOCKS
    for block in message.block_dicts():
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150


def test_long_output_is_cut_with_a_marker() -> None:
    text = "```" + "x" * 5000 + "```"
    short = cut(text, 3000)
    assert len(short) <= 3000
    assert short.endswith(CUT)
    assert short.count("```") % 2 == 0
    blocks = [SectionBlock(text=f"part {i}") for i in range(80)]
    kept = fit(blocks)
    assert len(kept) == MAX_BLOCKS
    assert CUT in kept[-1].to_dict()["elements"][0]["text"]
    huge = notice("y" * 10_000)
    assert huge.block_dicts()[0]["text"]["text"].endswith(CUT)


def test_problem_and_help_render(matcher: Matcher) -> None:
    assert "empty" in answer_message(matcher.ask("  ")).text
    assert answer_message(Answer(query="zzz")).text.startswith("No confident match")
    assert "/eo probe" in help_message().text


async def test_seen_forgets_after_ttl() -> None:
    now = [0.0]
    seen = Seen(ttl=10, clock=lambda: now[0])
    assert await seen.first("a")
    assert not await seen.first("a")
    now[0] = 11
    assert await seen.first("a")


async def test_rate_limiter_is_per_user() -> None:
    now = [0.0]
    rate = RateLimiter(2, 60, clock=lambda: now[0])
    assert await rate.acquire("u1") is None
    assert await rate.acquire("u1") is None
    assert await rate.acquire("u1") == pytest.approx(60)
    assert await rate.acquire("u2") is None
    now[0] = 61
    assert await rate.acquire("u1") is None


def test_concurrency_cap() -> None:
    cap = ConcurrencyCap(1)
    slot = cap.take_now()
    assert slot is not None
    assert cap.take_now() is None
    slot.release()
    assert cap.take_now() is not None


def test_secret_filter_redacts() -> None:
    import logging

    record = logging.LogRecord("x", logging.INFO, "f", 1, "token %s here", ("xoxb-secret-1",), None)
    SecretFilter(("xoxb-secret-1",)).filter(record)
    assert record.getMessage() == "token [redacted] here"
