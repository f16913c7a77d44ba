"""The Chinese text (``zh``) of knowledge entries: its shape follows the English, and the
shipped text keeps the team rules (cite the Chinese sources, aliases that point at one entry)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.knowledge import KnowledgeBase, KnowledgeError, load
from bot.knowledge.loader import default_dir

ENTRY: dict[str, Any] = {
    "id": "team-502-legacy",
    "product": "site-acceleration",
    "codes": [502],
    "title": "Legacy billing proxy 502",
    "summary": "Our legacy billing proxy answers 502 when its upstream pool is drained.",
    "answered_by": "origin",
    "causes": [
        {"side": "origin", "items": ["the pool is drained during deploys", "a worker hung"]},
        {"side": "edge", "items": ["the Host header is rewritten"]},
    ],
    "checks": [{"what": "look at the pool", "command": "curl -s http://billing.internal/pool"}],
    "fixes": ["wait for the deploy to finish"],
    "support": ["deploy id"],
    "source": ["https://wiki.example.com/billing"],
    "aliases": ["billing proxy drained"],
}

ZH: dict[str, Any] = {
    "title": "旧计费代理返回 502",
    "summary": "上游池被清空时，旧计费代理会返回 502。",
    "causes": [["发布期间上游池被清空", "某个 worker 卡死"], ["Host 头被改写"]],
    "checks": ["查看上游池状态"],
    "fixes": ["等发布结束"],
    "support": ["发布单号"],
    "aliases": ["计费代理502"],
    "source": ["https://cloud.tencent.com/document/product/1552/112498"],
}


def load_with(tmp_path: Path, zh: dict[str, Any]) -> KnowledgeBase:
    path = tmp_path / "team" / "runbooks.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(yaml.safe_dump({"entries": [dict(ENTRY, zh=zh)]}, allow_unicode=True))
    return load([default_dir(), path.parent], with_env=False)


def test_chinese_text_loads_with_the_entry(tmp_path: Path) -> None:
    entry = load_with(tmp_path, ZH).get("team-502-legacy")
    assert entry is not None
    assert entry.zh is not None
    assert entry.zh.causes[1] == ["Host 头被改写"]
    assert entry.zh.aliases == ["计费代理502"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"causes": [["发布期间上游池被清空"], ["Host 头被改写"]]}, "zh.causes must have 2 groups"),
        (
            {"causes": [["发布期间上游池被清空", "某个 worker 卡死"]]},
            "zh.causes must have 2 groups",
        ),
        ({"checks": ["查看上游池状态", "多出来的一条"]}, "zh.checks has 2 items; checks has 1"),
        ({"fixes": []}, "'zh.fixes'"),
        ({"support": ["发布单号", "多出来的一条"]}, "zh.support has 2 items; support has 1"),
        ({"title": "x"}, "'zh.title'"),
    ],
)
def test_chinese_text_that_does_not_follow_the_english_is_refused(
    tmp_path: Path, change: dict[str, Any], expected: str
) -> None:
    with pytest.raises(KnowledgeError) as info:
        load_with(tmp_path, dict(ZH, **change))
    assert any("entry 'team-502-legacy'" in p and expected in p for p in info.value.problems), (
        info.value.problems
    )


def test_every_site_acceleration_entry_carries_chinese_text(kb: KnowledgeBase) -> None:
    missing = [e.id for e in kb.entries if e.product.value == "site-acceleration" and not e.zh]
    assert missing == []


def test_shipped_chinese_text_cites_sources_and_aliases_name_one_entry(kb: KnowledgeBase) -> None:
    owners: dict[str, set[str]] = defaultdict(set)
    for entry in kb.entries:
        if entry.zh is None:
            continue
        assert entry.zh.source, f"{entry.id}: zh.source must name the Chinese pages used"
        for alias in entry.zh.aliases:
            owners[alias.casefold().replace(" ", "")].add(entry.id)
    shared = {alias: ids for alias, ids in owners.items() if len(ids) > 1}
    assert shared == {}
