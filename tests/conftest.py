from __future__ import annotations

import pytest

from bot.knowledge import KnowledgeBase, Matcher, load


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load(with_env=False)


@pytest.fixture(scope="session")
def matcher(kb: KnowledgeBase) -> Matcher:
    return Matcher(kb)
