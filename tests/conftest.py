from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.knowledge import KnowledgeBase, Matcher, load


@pytest.fixture(scope="session", autouse=True)
def _private_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    # The CLI keeps a compiled copy of the knowledge base in the user's cache directory
    # (bot.knowledge.compiled); the suite, and the commands it runs, keep theirs in a temporary one.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
        yield


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load(with_env=False)


@pytest.fixture(scope="session")
def matcher(kb: KnowledgeBase) -> Matcher:
    return Matcher(kb)
