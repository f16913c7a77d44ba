"""Helpers for the Chinese tests: a diagnosis worded in Chinese.

The diagnosis's own sentences (summary, evidence, next steps) are made bilingual in a change of
their own (``diagnose(..., language=)``); until it lands, these tests word them in Chinese here,
so that everything around them (labels, verdicts, buttons, notices) is what is checked.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.chat.services import Diagnoser, diagnoser_of
from bot.diagnosis import Diagnosis, diagnose
from bot.i18n import Language
from bot.knowledge import KnowledgeBase
from bot.probe.models import ProbeReport

ZH_SUMMARY = "EdgeOne 节点在 5 秒内连不上源站，回源失败。"
ZH_EVIDENCE = ("连接 198.51.100.20:443 在 5 秒后超时。",)
ZH_STEPS = ("检查源站防火墙或安全组是否放行 EdgeOne 回源节点的 IP 段。",)


def in_chinese(diagnosis: Diagnosis) -> Diagnosis:
    """``diagnosis`` with its sentences in Chinese (what the bilingual diagnose will give)."""
    return replace(diagnosis, summary=ZH_SUMMARY, evidence=ZH_EVIDENCE, next_steps=ZH_STEPS)


class ChineseDiagnoser:
    """The real diagnosis, its sentences worded in Chinese when Chinese is asked; records the
    languages it was asked for."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.real: Diagnoser = diagnoser_of(diagnose, kb)
        self.languages: list[Language] = []

    def __call__(self, report: ProbeReport, code: int | None, language: Language) -> Diagnosis:
        self.languages.append(language)
        found = self.real(report, code, language)
        return in_chinese(found) if language == "zh" else found


def zh(**fields: Any) -> dict[str, Any]:
    return {"language": "zh", **fields}
