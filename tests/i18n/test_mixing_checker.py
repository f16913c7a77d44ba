"""The checker the Chinese tests rely on finds English sentences and lets names and code through."""

from __future__ import annotations

import pytest

from tests.i18n.mixing import english_runs, has_chinese


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("源站返回，EdgeOne 原样透传", []),
        ("故障在 the origin sends this", ["the origin sends this"]),
        ("No confident match for “回源”.", ["No confident match for"]),
        ("*证据*\n• no response in time", ["no response in time"]),
        ("探测 `curl -sv -o /dev/null https://a.example/` 不拆开", []),
        ("```EO-LOG-UUID: (none returned)\nTime (UTC):  now```", []),
        ("见 <https://edgeone.ai/document/1|the docs page here> 和 <@U123>", []),
        ("打开 https://shop.example.com/a b c 或 shop.example.com/a/b", []),
        ("Pages 云函数（Node Functions）调用超时", []),
        ("TLSv1.3, TLS_AES_256_GCM_SHA384, ALPN h2", []),
        ("Edge Functions and Pages", ["Edge Functions and Pages"]),
    ],
)
def test_english_runs(text: str, found: list[str]) -> None:
    assert english_runs(text) == found


def test_terminal_command_lines_are_allowed() -> None:
    text = (
        "检查\n  - 直接访问源站\n      $ curl -sv https://a.example/ -o out\n"
        "    tccli teo Describe x"
    )
    assert english_runs(text, terminal=True) == []
    assert english_runs(text) != []


def test_has_chinese() -> None:
    assert has_chinese("探测 https://x/")
    assert not has_chinese("probe https://x/")
