"""The console's text: Slack mrkdwn for a terminal, word wrapping, nothing hostile let through."""

from __future__ import annotations

import re

import pytest

from bot.chat.replies import EntryReply, HelpReply, Notice
from bot.knowledge import KnowledgeBase, load
from bot.render.chat_text import cells, render_mrkdwn, render_reply
from bot.render.text import Style
from tests.render.test_chat_replies import outcome

COLOR = Style(color=True)
PLAIN = Style()
BOLD, ITALIC, STRIKE, CODE, DIM, RESET = (f"\033[{n}m" for n in (1, 3, 9, 36, 2, 0))
SGR = re.compile(r"\033\[[0-9;]*m")


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load(with_env=False)


# ---------------------------------------------------------------- mrkdwn


@pytest.mark.parametrize(
    ("mrkdwn", "color", "plain"),
    [
        pytest.param("a *bold* word", f"a {BOLD}bold{RESET} word", "a bold word", id="bold"),
        pytest.param("an _italic_ one", f"an {ITALIC}italic{RESET} one", "an italic one", id="it"),
        pytest.param("~gone~ now", f"{STRIKE}gone{RESET} now", "gone now", id="strike"),
        pytest.param(
            "say `watch https://x.example/ for 5m`",
            f"say {CODE}watch https://x.example/ for 5m{RESET}",
            "say `watch https://x.example/ for 5m`",
            id="code",
        ),
        pytest.param(
            "*bold with _italic_ inside*",
            f"{BOLD}bold with {ITALIC}italic\033[0;1m inside{RESET}",
            "bold with italic inside",
            id="nested",
        ),
    ],
)
def test_emphasis_and_code(mrkdwn: str, color: str, plain: str) -> None:
    assert render_mrkdwn(mrkdwn, style=COLOR) == color
    assert render_mrkdwn(mrkdwn, style=PLAIN) == plain


def test_code_block_is_indented_on_its_own_lines_without_fences() -> None:
    text = "Run this:```curl -sv https://x.example/\n  | head```then look."
    assert render_mrkdwn(text) == (
        "Run this:\n    curl -sv https://x.example/\n      | head\nthen look."
    )
    colored = render_mrkdwn(text, style=COLOR)
    assert f"    {CODE}curl -sv https://x.example/{RESET}" in colored
    assert "```" not in colored


@pytest.mark.parametrize(
    ("mrkdwn", "shown"),
    [
        pytest.param(
            "<https://x.example/a|the docs>", "the docs (https://x.example/a)", id="label"
        ),
        pytest.param("<https://x.example/a>", "https://x.example/a", id="bare-link"),
        pytest.param("<https://x.example/a|x.example/a>", "https://x.example/a", id="autolink"),
        pytest.param("<mailto:ops@x.example|ops>", "ops (ops@x.example)", id="mailto"),
        pytest.param("by <@U0ABC123>", "by @U0ABC123", id="mention"),
        pytest.param("by <@U0ABC123|ana>", "by @ana", id="mention-name"),
        pytest.param("in <#C0123|ops>", "in #ops", id="channel"),
        pytest.param("<!here> look", "@here look", id="here"),
        pytest.param("<!subteam^S012|@oncall> look", "@oncall look", id="group"),
        pytest.param("a &lt;b&gt; &amp; c &amp;lt;", "a <b> & c &lt;", id="unescape"),
        pytest.param("probe <url> [origin=x]", "probe <url> [origin=x]", id="not-a-link"),
        pytest.param("<b>text</b>", "<b>text</b>", id="html-stays"),
        pytest.param(":fire: :white_check_mark:", ":fire: :white_check_mark:", id="emoji-codes"),
    ],
)
def test_links_mentions_and_escapes(mrkdwn: str, shown: str) -> None:
    assert render_mrkdwn(mrkdwn) == shown


@pytest.mark.parametrize(
    "text",
    [
        "NODE_FUNCTION_INVOCATION_TIMEOUT and snake_case_name",
        "*.edgeone.app / *.edgeone.run",
        "https://x.example/a_b_c/_d_ and 2*3*4",
        "a * b * c and _ alone",
    ],
)
def test_names_and_urls_are_not_emphasis(text: str) -> None:
    assert render_mrkdwn(text, style=COLOR) == text


def test_notice_gets_mrkdwn_rendering() -> None:
    reply = Notice("I need a URL. Usage: `probe <url>`, *now*", emoji="🙈")
    assert render_reply(reply) == "🙈 I need a URL. Usage: `probe <url>`, now"
    assert render_reply(reply, style=COLOR) == (
        f"🙈 I need a URL. Usage: {CODE}probe <url>{RESET}, {BOLD}now{RESET}"
    )


# ---------------------------------------------------------------- hostile text


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        pytest.param("x\x1b]0;owned\x07y", "x<U+001B>]0;owned<U+0007>y", id="osc-title"),
        pytest.param("\x1b[2J\x1b[31mred", "<U+001B>[2J<U+001B>[31mred", id="csi"),
        pytest.param("8-bit \x9b31m", "8-bit <U+009B>31m", id="c1-csi"),
        pytest.param("evil\u202emoc.x", "evil<U+202E>moc.x", id="bidi"),
        pytest.param("a\rb", "a<U+000D>b", id="carriage-return"),
    ],
)
@pytest.mark.parametrize("style", [PLAIN, COLOR], ids=["plain", "color"])
def test_control_characters_are_shown_never_sent(text: str, shown: str, style: Style) -> None:
    for out in (render_mrkdwn(text, style=style), render_reply(Notice(text), style=style)):
        assert out is not None
        assert SGR.sub("", out) == shown
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]", SGR.sub("", out))


def test_control_characters_are_shown_after_unescaping() -> None:
    # The entity is text, not a character: it stays; a real ESC inside a code span shows.
    assert render_mrkdwn("`&lt;\x1b&gt;` &#27;") == "`<<U+001B>>` &#27;"


def test_content_cannot_forge_the_style_marks() -> None:
    forged = "\0" + "0" * 16 + "b\0" + "bold?" + "\0" + "0" * 16 + "/\0"
    out = render_reply(Notice(forged), style=COLOR)
    assert out is not None
    assert BOLD not in out
    assert "<U+0000>" in out


# ---------------------------------------------------------------- wrapping


def words(text: str) -> list[str]:
    return SGR.sub("", text).split()


def test_wraps_at_spaces_and_keeps_every_word() -> None:
    text = "🚫 I won't probe that: " + " ".join(f"word{i}" for i in range(40))
    out = render_mrkdwn(text, width=30)
    assert all(cells(line) <= 30 for line in out.split("\n"))
    assert len(out.split("\n")) > 5
    assert words(out) == words(text)


def test_bullets_and_fields_continue_under_their_text() -> None:
    text = "  - " + "alpha " * 12 + "\nURL         " + "beta " * 12
    lines = render_mrkdwn(text, width=40).split("\n")
    bullet = [line for line in lines if "alpha" in line]
    assert bullet[0].startswith("  - alpha")
    assert all(line.startswith("    alpha") for line in bullet[1:])
    field = [line for line in lines if "beta" in line]
    assert field[0].startswith("URL         beta")
    assert all(line.startswith(" " * 12 + "beta") for line in field[1:])


def test_urls_code_and_commands_are_never_split() -> None:
    url = "https://shop.example.com/" + "a" * 60
    code = "`watch https://shop.example.com/ for 30m`"
    out = render_mrkdwn(f"See {url} then run {code} and more words after", width=30)
    assert url in out.split("\n")  # on a row of its own, longer than the width
    assert "`watch https://shop.example.com/ for 30m`" in out.split("\n")
    command = "      $ curl -s -o /dev/null -w 'ttfb=%{time_starttransfer}' https://HOST/PATH"
    assert render_mrkdwn(command, width=30) == command


def test_styles_are_closed_and_reopened_around_each_row() -> None:
    out = render_mrkdwn("*" + " ".join(["loud"] * 20) + "*", style=COLOR, width=20)
    rows = out.split("\n")
    assert len(rows) > 2
    for row in rows:
        assert row.startswith(BOLD)
        assert row.endswith(RESET)


def test_help_wraps_under_its_description_column() -> None:
    text = render_reply(HelpReply(), width=70)
    assert text is not None
    lines = text.split("\n")
    assert all(cells(line) <= 70 for line in lines)
    assert "  /eo probe https://shop.example.com/cart   probe a URL (add" in lines
    continuation = lines[
        lines.index("  /eo probe https://shop.example.com/cart   probe a URL (add") + 1
    ]
    assert continuation.startswith(" " * 44)
    assert continuation.strip()


def test_entry_wraps_but_keeps_its_commands_whole(kb: KnowledgeBase) -> None:
    entry = kb.by_code(524)[0]
    wide = render_reply(EntryReply(entry))
    narrow = render_reply(EntryReply(entry), width=50)
    assert wide is not None
    assert narrow is not None
    assert words(narrow) == words(wide)
    commands = [line for line in wide.split("\n") if line.lstrip().startswith("$ ")]
    assert commands
    for command in commands:
        assert command in narrow.split("\n")  # copy-pastable: one line, as it was
    for line in narrow.split("\n"):
        assert cells(line) <= 50 or line in commands or " " not in line.strip()


def test_no_width_leaves_lines_as_they_are() -> None:
    text = "x " * 200
    assert render_mrkdwn(text) == text


def test_a_diagnosis_wraps_its_prose_keeps_its_commands_and_leaves_the_bar(
    kb: KnowledgeBase,
) -> None:
    reply = outcome(kb)  # a 522: its next steps quote `nc -vz -w 5 203.0.113.7 443`
    wide, narrow = render_reply(reply), render_reply(reply, width=40)
    assert wide is not None
    assert narrow is not None
    assert words(narrow) == words(wide)
    rows = narrow.split("\n")
    quoted = re.findall(r"`[^`]+`", wide)
    assert "`nc -vz -w 5 203.0.113.7 443`" in quoted
    for command in quoted:
        assert any(command in row for row in rows), command
    bar = [line for line in wide.split("\n") if re.search(r"\||DNS Lookup|total:", line)]
    assert len(bar) == 8
    assert all(line in rows for line in bar)  # a drawing is never rewrapped
    assert f"  URL         {reply.request.url}" in rows  # too long to fit: overflows in place
    assert max(cells(row) for row in rows if row not in bar and "://" not in row) <= 40
