"""The realistic question set: right entry first for >= 97%, within the first three for all."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.knowledge import Matcher

QUESTIONS = yaml.safe_load((Path(__file__).parent / "questions.yaml").read_text())


def test_question_set_is_big_and_varied() -> None:
    assert len(QUESTIONS) >= 80
    assert len({q["q"] for q in QUESTIONS}) == len(QUESTIONS), "duplicate questions"
    assert len({q["expect"] for q in QUESTIONS}) >= 40, "questions should cover most entries"


def test_expected_ids_exist(matcher: Matcher) -> None:
    missing = {q["expect"] for q in QUESTIONS} - {e.id for e in matcher.kb.entries}
    assert not missing


def test_first_answer_rate(matcher: Matcher) -> None:
    wrong = []
    for item in QUESTIONS:
        ids = [m.entry.id for m in matcher.ask(item["q"]).matches]
        if ids[:1] != [item["expect"]]:
            wrong.append((item["q"], item["expect"], ids[:3]))
    rate = 1 - len(wrong) / len(QUESTIONS)
    assert rate >= 0.97, f"first-answer rate {rate:.1%}; wrong: {wrong}"


@pytest.mark.parametrize("item", QUESTIONS, ids=[q["q"][:40] for q in QUESTIONS])
def test_within_first_three(matcher: Matcher, item: dict[str, str]) -> None:
    ids = [m.entry.id for m in matcher.ask(item["q"]).matches]
    assert item["expect"] in ids[:3], ids
