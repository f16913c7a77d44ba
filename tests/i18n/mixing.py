"""Does a Chinese answer hold English sentences? ``english_runs`` finds runs of three or more
English words in a row that are not commands, code, links, URLs, host names or mentions.

A Chinese answer may name things in English (EdgeOne, CNAME, EO-LOG-UUID, Edge Functions, an error
name, HTTP 522): those are single words or pairs. Three English words in a row are a sentence or a
phrase that was not translated ("the origin sends", "no response in time").
"""

from __future__ import annotations

import re

# What is allowed to be English, removed before counting: code blocks and spans (commands, error
# names, quoted raw probe details), Slack links and mentions, URLs, host names and paths.
_FENCED = re.compile(r"```.*?```", re.DOTALL)
_SPAN = re.compile(r"`[^`\n]*`")
_ANGLE = re.compile(r"<[^<>\n]*>")
_URL = re.compile(r"\b[a-z][a-z0-9+.\-]*://\S+", re.IGNORECASE)
_HOST = re.compile(r"\S+\.(?:com|net|org|example|app|run|cn|test|io)(?::\d+)?\S*", re.IGNORECASE)
# Terminal renderings: shell commands and indented code lines.
_COMMAND_LINE = re.compile(r"^\s*\$ .*$|^ {4,}\S.*$", re.MULTILINE)
# A word: starts with a letter, may hold digits and joiners (TLSv1.3, X-NWS-LOG-UUID, h2, don't).
_WORD = r"[A-Za-z][A-Za-z0-9_.'’\-]*"
_RUN = re.compile(rf"{_WORD}(?:[ \t]+{_WORD}){{2,}}")


def english_runs(text: str, *, terminal: bool = False) -> list[str]:
    """Runs of three or more English words outside what may stay English."""
    for pattern in (_FENCED, _SPAN, _ANGLE, _URL, _HOST):
        text = pattern.sub(" ¶ ", text)
    if terminal:
        text = _COMMAND_LINE.sub(" ¶ ", text)
    return _RUN.findall(text)


def has_chinese(text: str) -> bool:
    return re.search(r"[\u4e00-\u9fff]", text) is not None
