"""Make text that came from the network safe to show: nothing hidden, nothing reordered.

A probed server or an API chooses its header values, certificate names and bodies. Shown as they
are, right-to-left overrides reorder what a reader sees (``evil.com`` can read as ``moc.live``),
zero-width characters hide differences between look-alike names, and control characters (ESC
above all) drive a terminal. ``visible`` replaces each such character with a visible ``<U+XXXX>``
so the text reads exactly as it is; escaping for a medium (Slack mrkdwn, shell) comes after this.
"""

from __future__ import annotations

import re
import unicodedata

# Bidi embeddings, overrides and isolates; zero-width and invisible format characters.
_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_INVISIBLE = (
    "\u00ad\u034f\u115f\u1160\u17b4\u17b5\u180e\u200b\u200c\u200d"
    "\u2060\u2061\u2062\u2063\u2064\u3164\ufeff\uffa0"
)
_HIDDEN = re.compile(f"[{_BIDI}{_INVISIBLE}\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f]")


def _show(match: re.Match[str]) -> str:
    return f"<U+{ord(match.group(0)):04X}>"


def visible(text: str, *, keep_newlines: bool = True) -> str:
    """``text`` with control, bidi and zero-width characters shown as ``<U+XXXX>``.

    Tabs stay; newlines stay unless ``keep_newlines`` is False (then they show as ``<U+000A>``,
    for values that must stay on one line, such as a header value).
    """
    if keep_newlines:
        text = text.replace("\r\n", "\n")
    out = _HIDDEN.sub(_show, text)  # a lone CR shows: it rewrites the start of a terminal line
    if not keep_newlines:
        out = out.replace("\n", "<U+000A>")
    # Any other format character (category Cf) that the lists above do not name is shown too.
    if any(unicodedata.category(ch) == "Cf" for ch in out):
        out = "".join(
            f"<U+{ord(ch):04X}>" if unicodedata.category(ch) == "Cf" else ch for ch in out
        )
    return out
