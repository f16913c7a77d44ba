from __future__ import annotations

import pytest

from bot.markup import to_plain


@pytest.mark.parametrize(
    ("raw", "text", "links"),
    [
        (
            "<https://x.example/a|x.example/a> 524",
            "https://x.example/a 524",
            ("https://x.example/a",),
        ),
        (
            "see <https://x.example/a|the cart>",
            "see the cart https://x.example/a",
            ("https://x.example/a",),
        ),
        (
            "<https://x.example/?a=1&amp;b=2>",
            "https://x.example/?a=1&b=2",
            ("https://x.example/?a=1&b=2",),
        ),
        ("<mailto:ops@example.com|ops@example.com> help", "ops@example.com help", ()),
        ("<@U123ABC> 524 <!here> <#C1|incidents>", "524", ()),
        ("*bold* _italic_ ~strike~ `code`", "bold italic strike code", ()),
        ("NODE_FUNCTION_INVOCATION_TIMEOUT", "NODE_FUNCTION_INVOCATION_TIMEOUT", ()),
        ("a\u200bb\x00c\x1b[0m 🔥 d", "a b c [0m d", ()),
        ("“smart” ‘quotes’", "\"smart\" 'quotes'", ()),
        ("&lt;script&gt;", "<script>", ()),
    ],
)
def test_to_plain(raw: str, text: str, links: tuple[str, ...]) -> None:
    plain = to_plain(raw)
    assert plain.text == text
    assert plain.links == links


def test_mentions_and_truncation() -> None:
    plain = to_plain("<@U1> <@W2|bob> hi " + "x" * 5000, limit=100)
    assert plain.mentions == ("U1", "W2|bob") or plain.mentions[0] == "U1"
    assert plain.truncated
    assert len(plain.text) <= 100


@pytest.mark.parametrize(
    ("raw", "lines"),
    [
        ("one\ntwo", ["one", "two"]),
        ("one\r\ntwo\rthree", ["one", "two", "three"]),
        (
            "one\u2028two\u2029three\x85four\x0bfive\x0csix",
            ["one", "two", "three", "four", "five", "six"],
        ),
        ("  one  \n\n \t \n  two   words  \n", ["one", "two words"]),
        (
            "*[FIRING:1]*\n> <https://shop.example.com/|shop> 524",
            ["[FIRING:1]", "> https://shop.example.com/ 524"],
        ),
        ("a\u200b\nb :fire:\n:fire:\nc", ["a", "b", "c"]),
        ("\n\n", []),
    ],
)
def test_to_plain_keeps_lines_when_asked(raw: str, lines: list[str]) -> None:
    kept = to_plain(raw, lines=True).text
    assert kept.splitlines() == lines
    assert "\n" not in to_plain(raw).text  # the default is still one line
    # The same words either way: only the separators differ.
    assert kept.split() == to_plain(raw).text.split()
