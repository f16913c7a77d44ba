"""The compiled copy of the knowledge base: same answers, rebuilt on every change, never trusted
blindly, and never in the way when it cannot be used."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import yaml

from bot.knowledge import KnowledgeError, Matcher, compiled, load
from bot.knowledge.loader import default_dir
from tests.knowledge.test_loader import GOOD

QUESTIONS = Path(__file__).parent / "questions.yaml"
# A team's runbook and an override of a built-in entry, as in test_loader.
OVERRIDE = dict(GOOD, id="sa-524", related=[], title="Our own 524 runbook", codes=[524, 554])
TEAM_FILE = yaml.safe_dump({"entries": [GOOD, OVERRIDE]})


class CountingLoad:
    """Wraps loader.load as bot.knowledge.compiled uses it, to tell a rebuild from a cache hit."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        monkeypatch.setattr(compiled, "load", self)

    def __call__(self, *args: object, **kwargs: object) -> object:
        self.calls += 1
        return load(*args, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def team(tmp_path: Path) -> Path:
    directory = tmp_path / "team"
    directory.mkdir()
    (directory / "runbooks.yaml").write_text(TEAM_FILE, encoding="utf-8")
    return directory


def _load(team: Path, cache: Path) -> Matcher:
    return compiled.load_matcher([default_dir(), team], with_env=False, cache=cache)


def test_cached_matcher_answers_like_a_fresh_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counting = CountingLoad(monkeypatch)
    cache = tmp_path / "cache"
    compiled.load_matcher(with_env=False, cache=cache)
    cached = compiled.load_matcher(with_env=False, cache=cache)
    assert counting.calls == 1  # the second came from the file
    fresh = Matcher(load(with_env=False))
    questions = [str(item["q"]) for item in yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))]
    assert len(questions) > 100
    for question in questions:
        want, got = fresh.ask(question), cached.ask(question)
        assert [(m.entry, m.score) for m in got.matches] == [
            (m.entry, m.score) for m in want.matches
        ], question
        assert got.suggestions == want.suggestions, question
    assert cached.kb.entries == fresh.kb.entries
    assert cached.kb.sources == fresh.kb.sources


def test_the_copy_is_private(tmp_path: Path, team: Path) -> None:
    cache = tmp_path / "cache"
    _load(team, cache)
    assert stat.S_IMODE((cache / compiled.FILE_NAME).stat().st_mode) == 0o600
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert [p.name for p in cache.iterdir()] == [compiled.FILE_NAME]  # no temporary files left


def test_an_edit_is_seen_on_the_next_load(
    tmp_path: Path, team: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counting = CountingLoad(monkeypatch)
    cache = tmp_path / "cache"
    assert _load(team, cache).kb.get("sa-524").title == "Our own 524 runbook"  # type: ignore[union-attr]
    path = team / "runbooks.yaml"
    before = path.stat()
    # Same length and the same modification time: only the content tells the change.
    path.write_text(TEAM_FILE.replace("Our own 524", "Our new 524"), encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert _load(team, cache).kb.get("sa-524").title == "Our new 524 runbook"  # type: ignore[union-attr]
    assert counting.calls == 2
    _load(team, cache)
    assert counting.calls == 2  # and the new copy is used from then on


def test_a_new_file_or_directory_is_seen(tmp_path: Path, team: Path) -> None:
    cache = tmp_path / "cache"
    assert _load(team, cache).kb.get("team-other") is None
    other = TEAM_FILE.replace("team-502-legacy", "team-other").replace("sa-524", "team-524-b")
    (team / "more.yml").write_text(other, encoding="utf-8")
    assert _load(team, cache).kb.get("team-other") is not None
    # Another set of directories gets its own knowledge, not the copy made for the last one.
    assert compiled.load_matcher(with_env=False, cache=cache).kb.get("team-other") is None


def test_env_directories_are_part_of_the_key(
    tmp_path: Path, team: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.delenv("EO_KNOWLEDGE_DIRS", raising=False)
    assert compiled.load_matcher(cache=cache).kb.get("team-502-legacy") is None
    monkeypatch.setenv("EO_KNOWLEDGE_DIRS", str(team))
    assert compiled.load_matcher(cache=cache).kb.get("team-502-legacy") is not None


def test_invalid_knowledge_is_never_served_from_the_copy(tmp_path: Path, team: Path) -> None:
    cache = tmp_path / "cache"
    _load(team, cache)
    (team / "runbooks.yaml").write_text("entries:\n  - id: x1\n    product: cdn\n")
    for _ in range(2):  # reported every time, not cached
        with pytest.raises(KnowledgeError) as raised:
            _load(team, cache)
        assert any("runbooks.yaml" in p and "entry 'x1'" in p for p in raised.value.problems)
    # A directory that is missing is reported as load() reports it.
    with pytest.raises(KnowledgeError, match="not a directory"):
        compiled.load_matcher([tmp_path / "missing"], with_env=False, cache=cache)


def test_a_copy_others_could_write_is_not_trusted(
    tmp_path: Path, team: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counting = CountingLoad(monkeypatch)
    cache = tmp_path / "cache"
    _load(team, cache)
    (cache / compiled.FILE_NAME).chmod(0o666)
    _load(team, cache)
    assert counting.calls == 2  # rebuilt instead of unpickled
    assert stat.S_IMODE((cache / compiled.FILE_NAME).stat().st_mode) == 0o600


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[:-100],  # cut short
        lambda data: data[:40] + b"\x00" * 40 + data[80:],  # a different key
        lambda data: data[: len(compiled._MAGIC) + 32] + b"not a pickle",
        lambda data: b"",
    ],
)
def test_a_damaged_copy_is_rebuilt(
    tmp_path: Path, team: Path, monkeypatch: pytest.MonkeyPatch, damage: object
) -> None:
    cache = tmp_path / "cache"
    _load(team, cache)
    path = cache / compiled.FILE_NAME
    path.write_bytes(damage(path.read_bytes()))  # type: ignore[operator]
    counting = CountingLoad(monkeypatch)
    assert _load(team, cache).kb.get("team-502-legacy") is not None
    assert counting.calls == 1
    assert _load(team, cache).kb.get("team-502-legacy") is not None
    assert counting.calls == 1  # and the rebuilt copy is good


def test_no_usable_cache_directory_still_answers(tmp_path: Path, team: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    assert _load(team, blocker / "cache").kb.get("team-502-legacy") is not None
    assert blocker.read_text() == "not a directory"


def test_cache_dir_follows_xdg(tmp_path: Path) -> None:
    assert compiled.cache_dir({"XDG_CACHE_HOME": str(tmp_path)}) == tmp_path / "eo-bot"
    # A relative XDG_CACHE_HOME is invalid by the spec and ignored.
    assert compiled.cache_dir({"XDG_CACHE_HOME": "rel", "HOME": str(tmp_path)}) != Path(
        "rel/eo-bot"
    )
