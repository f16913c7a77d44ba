"""Tokenising Chinese: character pairs without filler."""

from __future__ import annotations

import pytest

from bot.knowledge.text import han_tokens, raw_words


@pytest.mark.parametrize(
    ("text", "pairs"),
    [
        ("回源超时", ["回源", "源超", "超时"]),
        ("回源超时了怎么办", ["回源", "源超", "超时"]),
        ("请求体过大", ["请求", "求体", "体过", "过大"]),
        ("我们的网站无法访问了", ["无法", "法访", "访问"]),
        ("慢", ["慢"]),
        ("请问", []),
    ],
)
def test_han_tokens(text: str, pairs: list[str]) -> None:
    assert han_tokens(text) == pairs


def test_mixed_text_keeps_both_scripts() -> None:
    assert raw_words("EdgeOne 一直 524, origin 回源超时") == ["origin", "回源", "源超", "超时"]
