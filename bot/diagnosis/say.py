"""How the diagnosis words things in the language it answers in.

Every sentence is a message id (the English text) with named fields, marked ``say._("...")`` where
it is used or ``N_("...")`` where it is defined, and translated through the catalogue
(``bot.i18n.catalogue``). Values from the network go into fields, never into the message id.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from bot.i18n.catalogue import N_, Translate, texts
from bot.i18n.language import Language

# The longest value quoted from the server in a sentence (a Location can be kilobytes long).
MAX_QUOTED = 200

# Where a fault lies, as a clause ("the usual culprit is the {side}").
SIDE_WORDS = {
    "origin": N_("origin"),
    "edge": N_("EdgeOne configuration"),
    "network": N_("network path between EdgeOne and the origin"),
    "dns": N_("origin's DNS"),
    "client": N_("client"),
    "account": N_("account or plan (a quota)"),
    "provider": N_("other CDN or platform"),
    "none": N_("nothing"),
}


@dataclass(frozen=True, slots=True)
class Say:
    """The translate function of one language, with the few formats every source needs."""

    language: Language
    translate: Translate

    def _(self, message: str, /, **fields: object) -> str:
        """``message`` in this language, its ``{fields}`` filled in."""
        text = self.translate(message)
        return text.format(**fields) if fields else text

    def ms(self, value: float | None) -> str:
        """A duration: milliseconds below ten seconds, seconds with one decimal above."""
        if value is None:
            return self._("an unknown time")
        if value >= 10_000:
            return self._("{seconds:.1f} s", seconds=value / 1000)
        return self._("{ms:.0f} ms", ms=value)

    def side(self, fault: str) -> str:
        return self._(SIDE_WORDS[fault])

    def join(self, items: list[str] | tuple[str, ...]) -> str:
        """A list in a sentence: "a, b" in English, "a、b" in Chinese."""
        return self._(", ").join(items)

    def detail(self, error: str | None) -> str:
        """The probe's own words for a failure, as ": words".

        Those words are English only (``bot.probe.errors`` builds them with values inside), so a
        diagnosis in another language leaves them out: the phase, status and times it states
        itself say what happened.
        """
        if not error or self.language != "en":
            return ""
        return f": {error}"

    def then(self, text: str, more: str) -> str:
        """Two sentences in a row: a space between them in English, none in Chinese."""
        return f"{text} {more}" if self.language == "en" else f"{text}{more}"

    def titled(self, title: str, text: str) -> str:
        """An entry's title, then a sentence: "Title. Text" ("标题。正文")."""
        return self._("{title}. {text}", title=title, text=text)

    def stop(self, text: str) -> str:
        """A sentence from the knowledge base without its final full stop."""
        return text.rstrip(".。").rstrip()


@cache
def say_in(language: Language) -> Say:
    return Say(language, texts(language))


def quote(text: str) -> str:
    """A value from the server, cut to MAX_QUOTED characters."""
    return text if len(text) <= MAX_QUOTED else text[: MAX_QUOTED - 1] + "…"
