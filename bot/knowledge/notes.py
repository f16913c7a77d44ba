"""What an answer tells the asker about how their question was read, in their language.

The matcher keeps the English sentences in ``Answer.notes`` and ``Answer.problem`` (and says what
they are about in ``truncated`` and ``unknown_codes``); renderers ask here for the sentences in
the reply's language, so a Chinese answer never carries an English note.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.i18n.catalogue import texts
from bot.i18n.language import Language

if TYPE_CHECKING:
    from bot.knowledge.matcher import Answer


def truncated_note(limit: int, language: Language) -> str:
    _ = texts(language)
    return _("Only the first {limit} characters of the question were read.").format(limit=limit)


def unknown_codes_note(codes: Sequence[int], language: Language) -> str:
    _ = texts(language)
    listed = ", ".join(str(c) for c in codes)
    if any(520 <= c <= 599 for c in codes):
        return _(
            "{codes}: no entry in the knowledge base. Codes 520-599 are reserved for EdgeOne's "
            "own answers: quote the EO-LOG-UUID header to EdgeOne support."
        ).format(codes=listed)
    return _(
        "{codes}: no EdgeOne-specific entry. EdgeOne passes the origin's status through "
        "unchanged, so test the origin directly to see whether it sends this code."
    ).format(codes=listed)


def empty_question(language: Language) -> str:
    _ = texts(language)
    return _(
        "The question is empty. Give a status code, an error name or a few words, e.g. `524`, "
        "`NODE_FUNCTION_INVOCATION_TIMEOUT` or `origin took too long`."
    )


def answer_notes(answer: Answer, language: Language, *, limit: int) -> tuple[str, ...]:
    """``answer.notes`` in ``language``; ``limit`` is how much of a question the matcher reads."""
    notes = [truncated_note(limit, language)] if answer.truncated else []
    if answer.unknown_codes:
        notes.append(unknown_codes_note(answer.unknown_codes, language))
    return tuple(notes)


def answer_problem(answer: Answer, language: Language) -> str | None:
    """``answer.problem`` in ``language`` (the only problem is an empty question)."""
    return empty_question(language) if answer.problem else None
