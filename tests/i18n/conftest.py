"""Helpers for the Chinese tests: the real diagnosis, recording the languages it was asked in."""

from __future__ import annotations

from typing import Any

from bot.chat.services import Diagnoser, diagnoser_of
from bot.diagnosis import Diagnosis, diagnose
from bot.i18n import Language
from bot.knowledge import KnowledgeBase
from bot.probe.models import ProbeReport


class ChineseDiagnoser:
    """The real diagnosis; records the languages it was asked for."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.real: Diagnoser = diagnoser_of(diagnose, kb)
        self.languages: list[Language] = []

    def __call__(self, report: ProbeReport, code: int | None, language: Language) -> Diagnosis:
        self.languages.append(language)
        return self.real(report, code, language)


def zh(**fields: Any) -> dict[str, Any]:
    return {"language": "zh", **fields}
