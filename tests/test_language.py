"""Choosing the reply language."""

from __future__ import annotations

import pytest

from bot.i18n import choose, detect, language_setting, parse_choice
from bot.i18n.language import language_of


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("524", "en"),
        ("we see 524 since 10am", "en"),
        ("回源超时", "zh"),
        ("521错误", "zh"),
        ("EdgeOne 一直 524, origin is fine", "zh"),
        ("origin 慢", "en"),  # one stray character is not a Chinese question
        ("", "en"),
    ],
)
def test_detect(text: str, language: str) -> None:
    assert detect(text) == language


def test_setting_overrides_detection() -> None:
    assert choose("回源超时", "en") == "en"
    assert choose("timeout", "zh") == "zh"
    assert choose("回源超时", "auto") == "zh"


@pytest.mark.parametrize(
    ("raw", "choice"),
    [
        (None, "auto"),
        ("", "auto"),
        ("AUTO", "auto"),
        ("zh-CN", "zh"),
        ("zh_cn", "zh"),
        ("en", "en"),
    ],
)
def test_parse_choice(raw: str | None, choice: str) -> None:
    assert parse_choice(raw) == choice


@pytest.mark.parametrize("raw", ["fr", "english please", "z"])
def test_parse_choice_refuses_other_languages(raw: str) -> None:
    with pytest.raises(ValueError, match="auto, en or zh"):
        parse_choice(raw)


@pytest.mark.parametrize(
    ("environ", "choice"),
    [({}, "auto"), ({"EO_LANGUAGE": "zh-CN"}, "zh"), ({"EO_LANGUAGE": " EN "}, "en")],
)
def test_language_setting(environ: dict[str, str], choice: str) -> None:
    assert language_setting(environ) == choice


def test_a_malformed_language_setting_names_the_variable() -> None:
    with pytest.raises(ValueError, match=r"^EO_LANGUAGE: expected auto, en or zh, got 'fr'$"):
        language_setting({"EO_LANGUAGE": "fr"})


@pytest.mark.parametrize(
    ("value", "language"), [("en", "en"), ("zh", "zh"), ("ZH", None), (1, None)]
)
def test_language_of(value: object, language: str | None) -> None:
    assert language_of(value) == language
