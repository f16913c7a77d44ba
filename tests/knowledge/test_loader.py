from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.knowledge import KnowledgeError, Matcher, load
from bot.knowledge.loader import default_dir

GOOD = {
    "id": "team-502-legacy",
    "product": "site-acceleration",
    "codes": [502],
    "names": [],
    "title": "Legacy billing proxy 502",
    "summary": "Our legacy billing proxy answers 502 when its upstream pool is drained.",
    "answered_by": "origin",
    "causes": [{"side": "origin", "items": ["the billing pool is drained during deploys"]}],
    "checks": [{"what": "look at the pool", "command": "curl -s http://billing.internal/pool"}],
    "fixes": ["wait for the deploy to finish"],
    "support": ["deploy id"],
    "related": ["sa-origin-502"],
    "source": ["https://wiki.example.com/billing"],
    "aliases": ["billing proxy drained"],
}


def write(directory: Path, name: str, entries: object) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(yaml.safe_dump({"entries": entries}))
    return path


def problems(*dirs: Path) -> list[str]:
    with pytest.raises(KnowledgeError) as info:
        load([default_dir(), *dirs], with_env=False)
    return info.value.problems


def test_builtin_knowledge_covers_the_issue(kb) -> None:  # type: ignore[no-untyped-def]
    by_product: dict[str, set[int]] = {}
    for entry in kb.entries:
        by_product.setdefault(entry.product.value, set()).update(entry.codes)
    assert {400, 403, 413, 416, 418, 423, 499, 500, 502, 503, 504} <= by_product[
        "site-acceleration"
    ]
    assert (
        set(range(520, 526)) | set(range(550, 556)) | {566, 567, 570}
        <= by_product["site-acceleration"]
    )
    assert {400, 401, 404, 410, 413, 423, 424, 429, 451, 500, 502, 503, 504, 511, 512} <= (
        by_product["pages"]
    )
    assert 545 in by_product["edge-functions"]
    names = {n for e in kb.entries for n in e.names}
    for suffix in [
        "INVOCATION_TIMEOUT",
        "INVOCATION_FAILED",
        "SERVICE_UNAVAILABLE",
        "PAYLOAD_TOO_LARGE",
        "RESPONSE_PAYLOAD_TOO_LARGE",
        "INVOCATION_LIMIT_EXCEEDED",
    ]:
        assert f"NODE_FUNCTION_{suffix}" in names
        assert f"CLOUD_FUNCTION_{suffix}" in names
    for suffix in ["ERROR", "INVOCATION_FAILED", "NOT_READY"]:
        assert f"INTERNAL_NODE_FUNCTION_{suffix}" in names
        assert f"INTERNAL_CLOUD_FUNCTION_{suffix}" in names
    assert len([e for e in kb.entries if 429 in e.codes and e.product.value == "pages"]) == 2
    assert all(e.source for e in kb.entries)


def test_extra_directory_adds_and_overrides(tmp_path: Path) -> None:
    override = dict(
        GOOD,
        id="sa-524",
        related=[],
        title="Our own 524 runbook",
        codes=[524, 554],
        aliases=["checkout slow"],
    )
    write(tmp_path / "team", "runbooks.yaml", [GOOD, override])
    kb = load([default_dir(), tmp_path / "team"], with_env=False)
    assert kb.get("team-502-legacy") is not None
    entry = kb.get("sa-524")
    assert entry is not None
    assert entry.title == "Our own 524 runbook"
    assert kb.sources["sa-524"].name == "runbooks.yaml"
    matcher = Matcher(kb)
    assert matcher.ask("billing proxy drained").matches[0].entry.id == "team-502-legacy"


def test_env_variable_adds_directories(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "a", "x.yaml", [GOOD])
    monkeypatch.setenv("EO_KNOWLEDGE_DIRS", str(tmp_path / "a"))
    assert load().get("team-502-legacy") is not None


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"product": "cdn"}, "'product': 'cdn' is not one of"),
        ({"codes": [999]}, "999 is not an HTTP status code"),
        ({"codes": ["abc"]}, "'codes.0'"),
        ({"colour": "red"}, "unknown key 'colour'"),
        ({"names": ["lower_case"]}, "is not an error name"),
        ({"source": ["ftp://x"]}, "'source.0'"),
        ({"related": ["no-such-entry"]}, "related id 'no-such-entry' does not exist"),
        ({"id": "Bad Id!"}, "must be lowercase letters"),
    ],
    ids=["product", "code-range", "code-type", "unknown-key", "name", "source", "related", "id"],
)
def test_bad_entry_is_named_with_its_file(
    tmp_path: Path, change: dict[str, object], expected: str
) -> None:
    path = write(tmp_path, "bad.yaml", [dict(GOOD, **change)])
    found = problems(tmp_path)
    assert any(str(path) in p and expected in p for p in found), found
    assert any("entry '" in p for p in found)


def test_missing_field(tmp_path: Path) -> None:
    entry = dict(GOOD)
    del entry["fixes"]
    write(tmp_path, "bad.yaml", [entry])
    assert any("entry 'team-502-legacy': missing field 'fixes'" in p for p in problems(tmp_path))


def test_duplicate_id_in_one_directory(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", [GOOD])
    write(tmp_path, "b.yaml", [GOOD])
    found = problems(tmp_path)
    assert any("duplicate id" in p and "team-502-legacy" in p and "a.yaml" in p for p in found)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("entries: [unclosed", "invalid YAML"),
        ("- just a list", "one top-level key, 'entries'"),
        ("entries: 5", "'entries' must be a list"),
        ("entries:\n  - 42", "must be a mapping"),
    ],
)
def test_malformed_files(tmp_path: Path, content: str, expected: str) -> None:
    (tmp_path / "x.yaml").write_text(content)
    found = problems(tmp_path)
    assert any("x.yaml" in p and expected in p for p in found), found


def test_not_a_directory(tmp_path: Path) -> None:
    assert any("not a directory" in p for p in problems(tmp_path / "missing"))


def test_binary_file(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_bytes(b"\xff\xfe\x00bad")
    assert any("not UTF-8" in p for p in problems(tmp_path))


def test_builtin_entries_must_carry_chinese(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A copy of a built-in file with one entry's zh removed, loaded as the built-in directory.
    source = default_dir() / "edge-functions.yaml"
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    del data["entries"][0]["zh"]
    builtin = tmp_path / "builtin"
    write(builtin, "edge-functions.yaml", data["entries"])
    monkeypatch.setattr("bot.knowledge.loader.default_dir", lambda: builtin)
    with pytest.raises(KnowledgeError) as info:
        load([builtin], with_env=False)
    missing = [p for p in info.value.problems if "zh" in p]
    assert missing == [
        f"{builtin / 'edge-functions.yaml'}: entry '{data['entries'][0]['id']}': "
        "missing field 'zh' (the Chinese text)"
    ]


def test_team_entries_may_be_english_only(tmp_path: Path) -> None:
    write(tmp_path / "team", "runbooks.yaml", [GOOD])
    kb = load([default_dir(), tmp_path / "team"], with_env=False)
    assert kb.get("team-502-legacy") is not None
    assert kb.get("team-502-legacy").zh is None  # type: ignore[union-attr]


def test_chinese_text_must_cite_a_source(tmp_path: Path) -> None:
    zh = {
        "title": "旧计费代理 502",
        "summary": "部署时上游池被清空。",
        "causes": [["部署时计费池被清空"]],
        "checks": ["查看计费池"],
        "fixes": ["等部署完成"],
        "support": ["部署编号"],
        "aliases": ["计费代理 502"],
        "source": [],
    }
    write(tmp_path, "bad.yaml", [dict(GOOD, zh=zh)])
    assert any("zh.source" in p for p in problems(tmp_path)), problems(tmp_path)
