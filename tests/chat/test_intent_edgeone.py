"""intent.parse for the EdgeOne commands: `zone HOST`, `logs EO-LOG-UUID [HOST]`, `purge URL|HOST`;
the keyword alone gets its usage, and words that do not fit leave the text a question."""

from __future__ import annotations

import pytest

from bot.intent import Ask, Invalid, Logs, Purge, Zone, parse

UUID = "4105283880544427145"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("zone shop.example.com", Zone("shop.example.com"), id="zone"),
        pytest.param("Zone: shop.example.com.", Zone("shop.example.com"), id="zone-punctuated"),
        pytest.param(
            "zone <https://shop.example.com/cart|shop.example.com/cart>",
            Zone("https://shop.example.com/cart"),
            id="zone-slack-link",
        ),
        pytest.param(f"logs {UUID}", Logs(UUID), id="logs"),
        pytest.param(
            f"logs `{UUID}` shop.example.com", Logs(UUID, "shop.example.com"), id="logs-host"
        ),
        pytest.param(
            "logs 0a1b2c3d-4e5f-6789-abcd-ef0123456789",
            Logs("0a1b2c3d-4e5f-6789-abcd-ef0123456789"),
            id="logs-uuid-shaped",
        ),
        pytest.param(
            "purge <https://shop.example.com/app.js>",
            Purge("https://shop.example.com/app.js"),
            id="purge-url",
        ),
        pytest.param("purge shop.example.com", Purge("shop.example.com"), id="purge-host"),
    ],
)
def test_commands(text: str, expected: object) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "usage"),
    [
        pytest.param("zone", "`zone <host>`", id="zone"),
        pytest.param("logs", "`logs <EO-LOG-UUID> [host]`", id="logs"),
        pytest.param("purge", "`purge <url|host>`", id="purge"),
    ],
)
def test_keyword_alone_gets_its_usage(text: str, usage: str) -> None:
    intent = parse(text)
    assert isinstance(intent, Invalid)
    assert usage in intent.problem
    assert "e.g." in intent.problem


@pytest.mark.parametrize(
    "text",
    [
        "zone not active",
        "zone paused",
        "logs are missing",
        "logs missing",
        f"logs {UUID} not a host",
        "purge not working on my site",
        "purge all",
    ],
)
def test_words_that_do_not_fit_stay_a_question(text: str) -> None:
    assert parse(text) == Ask(text)


# ---------------------------------------------------------------- the Chinese command words


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("站点 shop.example.com", Zone("shop.example.com"), id="zone"),
        pytest.param("站点：shop.example.com", Zone("shop.example.com"), id="zone-colon"),
        pytest.param("站点shop.example.com", Zone("shop.example.com"), id="zone-attached"),
        pytest.param(f"日志 {UUID} shop.example.com", Logs(UUID, "shop.example.com"), id="logs"),
        pytest.param(f"日志{UUID}", Logs(UUID), id="logs-attached"),
        pytest.param(
            "刷新缓存 https://shop.example.com/app.js",
            Purge("https://shop.example.com/app.js"),
            id="purge",
        ),
        pytest.param("清除缓存 shop.example.com", Purge("shop.example.com"), id="purge-host"),
    ],
)
def test_chinese_commands(text: str, expected: object) -> None:
    assert parse(text, language="zh") == expected


@pytest.mark.parametrize(
    ("text", "usage"),
    [
        pytest.param("站点", "用法：`站点 <域名>`，例如 `站点 shop.example.com`。", id="zone"),
        pytest.param("日志", "用法：`日志 <EO-LOG-UUID> [域名]`", id="logs"),
        pytest.param("刷新缓存", "用法：`刷新缓存 <URL|域名>`", id="purge"),
        pytest.param("zone", "用法：`站点 <域名>`", id="english-word-chinese-answer"),
    ],
)
def test_a_chinese_keyword_alone_gets_its_usage_in_chinese(text: str, usage: str) -> None:
    intent = parse(text, language="zh")
    assert isinstance(intent, Invalid)
    assert usage in intent.problem


@pytest.mark.parametrize(
    "text",
    ["站点不存在怎么办", "站点 一直打不开", "日志在哪里看", "日志 看不到", "刷新缓存后还是旧的"],
)
def test_chinese_questions_stay_questions(text: str) -> None:
    assert parse(text, language="zh") == Ask(text)
