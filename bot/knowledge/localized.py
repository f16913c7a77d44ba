"""An entry's text in the reply's language: what the renderers show of it.

Built-in entries carry Chinese text (``Entry.zh``) for everything users read; commands are the same
in both languages. A team's own entry may have no Chinese text: a Chinese answer then shows its
English text and says so (``translated`` is False), rather than inventing a translation.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n.language import Language
from bot.knowledge.models import Entry, FaultSide


@dataclass(frozen=True, slots=True)
class LocalCheck:
    what: str
    command: str | None  # never translated: it is pasted into a shell


@dataclass(frozen=True, slots=True)
class LocalEntry:
    title: str
    summary: str
    causes: tuple[tuple[FaultSide, tuple[str, ...]], ...]  # one group per side, as in the entry
    checks: tuple[LocalCheck, ...]
    fixes: tuple[str, ...]
    support: tuple[str, ...]
    source: tuple[str, ...]  # the pages the text was written from, in its language first
    translated: bool  # False: Chinese was asked for and the entry has none (English shown)


def localize(entry: Entry, language: Language) -> LocalEntry:
    """``entry``'s text in ``language`` (English when it has no text in that language)."""
    zh = entry.zh if language == "zh" else None
    if zh is None:
        return LocalEntry(
            title=entry.title,
            summary=entry.summary,
            causes=tuple((g.side, tuple(g.items)) for g in entry.causes),
            checks=tuple(LocalCheck(c.what, c.command) for c in entry.checks),
            fixes=tuple(entry.fixes),
            support=tuple(entry.support),
            source=tuple(entry.source),
            translated=language == "en",
        )
    # The loader checked that the Chinese lists have the English lists' shape.
    return LocalEntry(
        title=zh.title,
        summary=zh.summary,
        causes=tuple(
            (group.side, tuple(items)) for group, items in zip(entry.causes, zh.causes, strict=True)
        ),
        checks=tuple(
            LocalCheck(what, check.command)
            for check, what in zip(entry.checks, zh.checks, strict=True)
        ),
        fixes=tuple(zh.fixes),
        support=tuple(zh.support),
        source=tuple(dict.fromkeys([*zh.source, *entry.source])),
        translated=True,
    )
