"""Sentences worded later, in the language of whoever reads them.

Some things are said before anyone knows who will read them: EdgeOne's answers are fetched once,
cached and shared, and the reasons an API call failed are decided deep in a client that serves a
Chinese thread and an English one alike. What is said about them is kept as a :class:`Phrase`: the
message id (the English text, marked ``N_("...")`` where it is written, so ``make messages``
extracts it) and its named values. Whoever shows it words it in the reply's language with
:meth:`Phrase.say`; ``str()`` gives the English (for logs and exceptions).

A value may itself be a Phrase (a clause inside a sentence), worded in the same language. Values
from the network stay values, never part of the message id, and are escaped by the renderer like
any network text once the sentence is worded.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n.catalogue import texts
from bot.i18n.language import Language


@dataclass(frozen=True, slots=True)
class Phrase:
    """A catalogue message and its values, to be worded in any language."""

    message: str
    values: tuple[tuple[str, object], ...] = ()

    def say(self, language: Language) -> str:
        text = texts(language)(self.message)
        if not self.values:
            return text
        return text.format(**{name: said(value, language) for name, value in self.values})

    def __str__(self) -> str:
        return self.say("en")


def phrase(message: str, /, **values: object) -> Phrase:
    """``message`` (marked ``N_`` by the caller) with its named ``values``."""
    return Phrase(message, tuple(values.items()))


def counted(count: int, one: str, many: str, /, **values: object) -> Phrase:
    """``one`` for a count of 1, else ``many`` (both marked ``N_``; ``{count}`` is filled in).

    Each form is a message of its own, so a language with one form translates both alike."""
    return phrase(one if count == 1 else many, count=count, **values)


def said(value: object, language: Language) -> object:
    """``value`` worded when it is a Phrase; anything else as it is."""
    return value.say(language) if isinstance(value, Phrase) else value


class PhraseError(ValueError):
    """A ValueError whose reason can be worded in any language (``str()`` is the English)."""

    def __init__(self, reason: Phrase) -> None:
        super().__init__(str(reason))
        self.reason = reason


def reason_of(exc: BaseException, language: Language) -> str:
    """Why ``exc`` happened, in ``language`` when it says (a PhraseError), else its text."""
    return exc.reason.say(language) if isinstance(exc, PhraseError) else str(exc)
