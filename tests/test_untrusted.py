"""bot.untrusted.visible: hidden and reordering characters become visible, text stays readable."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.untrusted import visible


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("evil\u202emoc.x", "evil<U+202E>moc.x"),  # right-to-left override
        ("pay\u200bpal.com", "pay<U+200B>pal.com"),  # zero-width space
        ("a\u2066b\u2069", "a<U+2066>b<U+2069>"),  # isolates
        ("\x1b[31mred", "<U+001B>[31mred"),  # terminal escape
        ("bell\x07", "bell<U+0007>"),
        ("c1\x9bcontrol", "c1<U+009B>control"),
        ("over\rwrite", "over<U+000D>write"),
        ("line\r\nnext", "line\nnext"),
        ("tab\tstays", "tab\tstays"),
        ("中文 ok", "中文 ok"),
        ("word\u2028sep", "word\u2028sep"),
    ],
    ids=lambda v: repr(v)[:20],
)
def test_hidden_characters_are_shown(raw: str, shown: str) -> None:
    assert visible(raw) == shown


def test_one_line_values_show_newlines() -> None:
    assert visible("a\nb\r\nc", keep_newlines=False) == "a<U+000A>b<U+000D><U+000A>c"


@given(st.text())
def test_no_format_or_control_character_survives(text: str) -> None:
    out = visible(text, keep_newlines=False)
    for ch in out:
        assert ch == "\t" or not (ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F)
        assert ch not in "\u202e\u200b\ufeff"


# The invisible fillers that are letters or marks by category (U+034F, U+115F, U+3164, ...) are
# shown on purpose, so they are not "ordinary".
_SHOWN = "\u00ad\u034f\u115f\u1160\u17b4\u17b5\u180e\u3164\uffa0"


@given(
    st.text(
        alphabet=st.characters(exclude_categories=("Cc", "Cf", "Cs"), exclude_characters=_SHOWN)
    )
)
def test_ordinary_text_is_unchanged(text: str) -> None:
    assert visible(text) == text
