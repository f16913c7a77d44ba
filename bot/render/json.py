"""JSON shapes for `eo-bot ask --json` (and anything else that wants machine-readable output)."""

from __future__ import annotations

from typing import Any

from bot.knowledge.matcher import Answer, Match


def match_dict(match: Match) -> dict[str, Any]:
    entry = match.entry
    return {
        "id": entry.id,
        "product": entry.product.value,
        "code": entry.code,
        "codes": list(entry.codes),
        "name": entry.name,
        "title": entry.title,
        "score": match.score,
    }


def answer_dict(answer: Answer) -> dict[str, Any]:
    out: dict[str, Any] = {
        "query": answer.query,
        "matches": [match_dict(m) for m in answer.matches],
    }
    if answer.suggestions:
        out["suggestions"] = [match_dict(m) for m in answer.suggestions]
    if answer.family:
        out["family"] = answer.family
    if answer.unknown_codes:
        out["unknown_codes"] = list(answer.unknown_codes)
    if answer.notes:
        out["notes"] = list(answer.notes)
    if answer.problem:
        out["problem"] = answer.problem
    return out
