"""Languages: which one to answer in (``language``); the message catalogue lives here too."""

from bot.i18n.language import LANGUAGES, Choice, Language, choose, detect, parse_choice

__all__ = ["LANGUAGES", "Choice", "Language", "choose", "detect", "parse_choice"]
