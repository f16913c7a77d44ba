"""Turn text as it arrives from Slack (or is pasted from other tools) into plain text.

Slack wraps links, mentions and channels in angle brackets and escapes ``& < >``; people paste text
with zero-width characters, smart quotes, emoji and control characters. Everything downstream
(intent parsing, the matcher) works on the plain text this module returns.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

MAX_INPUT_CHARS = 4000  # Slack's own message limit is 40k; nobody types a question that long

_LINK = re.compile(r"<([^<>|\s]+)(?:\|([^<>]*))?>")
_FORMATTING = re.compile(r"(?<![\w])[*_~`]+|[*_~`]+(?![\w])")
_SPACES = re.compile(r"\s+")
_LINE_SPACES = re.compile(r"[^\S\n]+")  # whitespace within a line
_BLANKS = re.compile(r" ?\n[\s]*")  # a line break with the spaces and blank lines around it
# Every line boundary str.splitlines knows, so a caller that splits the result sees the same lines.
_LINE_BREAKS = re.compile(r"\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
_EMOJI_CODE = re.compile(r"(?<![\w:]):[a-z0-9][a-z0-9_+\-']*:(?::skin-tone-\d:)?(?![\w:])")
_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "«": '"', "»": '"'})


@dataclass(frozen=True, slots=True)
class PlainText:
    text: str
    links: tuple[str, ...]  # URLs Slack wrapped in <...>, in order
    mentions: tuple[str, ...]  # user ids from <@U123>
    truncated: bool


def to_plain(raw: str, *, limit: int = MAX_INPUT_CHARS, lines: bool = False) -> PlainText:
    """Strip Slack markup and junk characters; keep URLs and words.

    Whitespace runs become one space; with ``lines`` the line structure is kept instead (one
    ``\n`` between non-blank lines), for readers that judge a message line by line (alerts).
    """
    truncated = len(raw) > limit
    text = raw[:limit]
    if lines:
        text = _LINE_BREAKS.sub("\n", text)
    links: list[str] = []
    mentions: list[str] = []

    def _replace(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith("@"):
            mentions.append(target[1:])
            return " "
        if target.startswith(("#", "!")):
            return " "  # channels, <!here>, <!subteam^...>: not part of the question
        if target.startswith("mailto:"):
            return f" {label or target.removeprefix('mailto:')} "
        links.append(html.unescape(target))
        # Slack shows the label but the URL is what was meant; keep the URL when the label is
        # just the URL without its scheme (Slack's auto-linking), otherwise keep both.
        url = html.unescape(target)
        if label and label not in url:
            return f" {html.unescape(label)} {url} "
        return f" {url} "

    text = _LINK.sub(_replace, text)
    text = html.unescape(text)
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    text = "".join(_keep(ch, lines) for ch in text)
    text = _EMOJI_CODE.sub(" ", text)  # :fire: and friends carry no meaning here
    text = _FORMATTING.sub(" ", text)
    if lines:
        text = _BLANKS.sub("\n", _LINE_SPACES.sub(" ", text)).strip()
    else:
        text = _SPACES.sub(" ", text).strip()
    return PlainText(text=text, links=tuple(links), mentions=tuple(mentions), truncated=truncated)


def _keep(ch: str, lines: bool = False) -> str:
    """Map a character to itself, or to a space when it is a control, format or symbol char
    (a line break stays one with ``lines``)."""
    if ch == "\n" and lines:
        return ch
    if ch in "\t\n\r":
        return " "
    category = unicodedata.category(ch)
    # Cc control, Cf format (zero-width), Cs surrogates, Co private use, Cn unassigned,
    # So other symbols (emoji, dingbats), Sk modifiers (skin tones)
    if category in {"Cc", "Cf", "Cs", "Co", "Cn", "So", "Sk"}:
        return " "
    return ch
