"""The message catalogue: every sentence users read, in English (the source) and Chinese.

Sentences are marked in the code with ``_("...")`` (translated where they are used) or
``N_("...")`` (marked where they are defined, translated later with ``_(CONSTANT)``), and take
their values by name: ``_("{count} probes are running").format(count=4)``. The English text is the
message id. ``make messages`` extracts them with Babel into ``locale/eo-bot.pot``, merges them into
``locale/zh/LC_MESSAGES/eo-bot.po`` (translated by hand) and compiles the ``.mo`` file read here
with the standard library's ``gettext``; a test keeps the three in step.

One process answers in several languages at once, so there is no global current language: each
answer asks ``texts(language)`` for its own translate function.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from functools import cache
from importlib import resources

from bot.i18n.language import Language

DOMAIN = "eo-bot"
Translate = Callable[[str], str]


def N_(message: str) -> str:
    """Mark a sentence for extraction where it is defined; translate it where it is used."""
    return message


@cache
def _translations(language: Language) -> gettext.NullTranslations:
    if language == "en":
        return gettext.NullTranslations()
    path = resources.files("bot.i18n").joinpath("locale", language, "LC_MESSAGES", f"{DOMAIN}.mo")
    with path.open("rb") as handle:
        return gettext.GNUTranslations(handle)


def texts(language: Language) -> Translate:
    """The translate function of ``language`` (English returns its argument)."""
    return _translations(language).gettext


def plural(language: Language) -> Callable[[str, str, int], str]:
    """``ngettext`` of ``language``: the right form for a count."""
    return _translations(language).ngettext
