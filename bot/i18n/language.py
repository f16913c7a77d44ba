"""Which language to answer in: the asker's, unless the deployment or the command line says.

Chinese questions get Chinese answers, everything else English. A question is Chinese when it
holds Chinese characters at all beyond a stray one: people mix English terms (EdgeOne, origin,
CNAME) into Chinese sentences far more often than the other way round, and someone who writes
Chinese in an on-call channel reads it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal, get_args

Language = Literal["en", "zh"]
Choice = Literal["auto", "en", "zh"]
LANGUAGES: tuple[Language, ...] = get_args(Language)

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def detect(text: str) -> Language:
    """``zh`` when the text holds at least two Chinese characters, else ``en``."""
    for found, _ in enumerate(_HAN.finditer(text), start=1):
        if found >= 2:
            return "zh"
    return "en"


def choose(text: str, setting: Choice = "auto") -> Language:
    """The reply language: ``setting`` unless it is ``auto``, then the language of ``text``."""
    return detect(text) if setting == "auto" else setting


def parse_choice(raw: str | None) -> Choice:
    """``auto``, ``en`` or ``zh`` (also ``zh-CN``, ``chinese``...); ValueError otherwise."""
    value = (raw or "auto").strip().lower().replace("_", "-")
    if value in ("", "auto"):
        return "auto"
    if value in ("en", "en-us", "en-gb", "english"):
        return "en"
    if value in ("zh", "zh-cn", "zh-hans", "cn", "chinese", "中文"):
        return "zh"
    raise ValueError(f"expected auto, en or zh, got {raw!r}")


SETTING = "EO_LANGUAGE"


def language_setting(environ: Mapping[str, str]) -> Choice:
    """The deployment's choice, from ``EO_LANGUAGE`` (unset: ``auto``); ValueError naming it."""
    try:
        return parse_choice(environ.get(SETTING))
    except ValueError as exc:
        raise ValueError(f"{SETTING}: {exc}") from None


def language_of(value: object) -> Language | None:
    """``value`` when it is one of ``LANGUAGES`` (read back from a button, say), else None."""
    return next((language for language in LANGUAGES if language == value), None)
