"""Languages: which one to answer in (``language``), the message catalogue (``catalogue``) and
sentences worded later in the reader's language (``phrase``)."""

from bot.i18n.catalogue import N_, Translate, plural, texts
from bot.i18n.language import (
    LANGUAGES,
    Choice,
    Language,
    choose,
    detect,
    language_setting,
    parse_choice,
)

__all__ = [
    "LANGUAGES",
    "N_",
    "Choice",
    "Language",
    "Translate",
    "choose",
    "detect",
    "language_setting",
    "parse_choice",
    "plural",
    "texts",
]
