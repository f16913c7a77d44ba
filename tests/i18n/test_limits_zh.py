"""Chinese text near Slack's limits: Slack counts characters, not bytes, and so do we; what does
not fit is cut with a marker that says so in Chinese."""

from __future__ import annotations

import json
from dataclasses import replace

from slack_sdk.models.blocks import SectionBlock

from bot.chat.replies import AnswerReply, ProbeOutcome, ProbeRequest
from bot.chat.snapshot import Snapshot
from bot.diagnosis import diagnose
from bot.knowledge import KnowledgeBase
from bot.knowledge.matcher import Answer, Match, Reason
from bot.probe.models import ProbeReport
from bot.render.blocks import (
    MAX_FALLBACK,
    MAX_SECTION,
    MAX_TOTAL_CHARS,
    cut,
    cut_marker,
    fit,
    render,
    section,
)
from tests.i18n.mixing import english_runs
from tests.render.test_chat_replies import assert_within_limits, shown
from tests.test_diagnosis import URL, failing

MARKER = "…（已截断）"


def test_the_chinese_marker() -> None:
    assert cut_marker("zh") == MARKER
    assert cut_marker("en") == "… (cut)"


def test_a_full_section_of_chinese_is_kept_whole() -> None:
    # 3,000 Chinese characters are 9,000 bytes of UTF-8: counting bytes would cut them.
    text = "回" * MAX_SECTION
    assert cut(text, MAX_SECTION, language="zh") == text
    block = section(text, language="zh")
    assert block.to_dict()["text"]["text"] == text  # slack_sdk's own check passes too


def test_one_character_more_is_cut_with_the_chinese_marker() -> None:
    text = "回" * (MAX_SECTION + 1)
    kept = cut(text, MAX_SECTION, language="zh")
    assert len(kept) <= MAX_SECTION
    assert kept.endswith(MARKER)
    assert english_runs(kept) == []


def test_blocks_are_counted_in_characters() -> None:
    # Ten sections of 1,000 Chinese characters: about 10,500 characters of JSON, 30,000 bytes.
    blocks = [SectionBlock(text={"type": "mrkdwn", "text": "源" * 1000}) for _ in range(10)]
    kept = fit(blocks, language="zh")
    assert kept == blocks
    assert len(json.dumps([b.to_dict() for b in kept]).encode()) > MAX_TOTAL_CHARS


def test_too_many_chinese_blocks_say_what_was_cut_in_chinese() -> None:
    blocks = [SectionBlock(text={"type": "mrkdwn", "text": "源" * 2000}) for _ in range(10)]
    kept = fit(blocks, language="zh")
    assert len(kept) < len(blocks)
    last = kept[-1].to_dict()["elements"][0]["text"]
    assert last.startswith(MARKER)
    assert f"还有 {len(blocks) - len(kept) + 1} 部分未显示" in last


def test_a_chinese_diagnosis_at_its_longest_fits_and_says_what_was_cut(kb: KnowledgeBase) -> None:
    report = ProbeReport(edge=failing("connect:timeout"))
    found = diagnose(report, kb)
    diagnosis = replace(
        found,
        summary="节点连接源站超时，" * 400,  # 3,600 characters
        evidence=tuple(f"第 {i} 条证据：" + "源站没有应答，" * 60 for i in range(40)),
        next_steps=tuple(f"第 {i} 步：" + "检查防火墙规则，" * 60 for i in range(40)),
    )
    outcome = ProbeOutcome(
        request=ProbeRequest(URL, language="zh"),
        report=report,
        diagnosis=diagnosis,
        snapshot=Snapshot.of(report, diagnosis),
        entry=kb.get("sa-522"),
    )
    message = render(outcome)
    assert_within_limits(message)
    text = shown(message)
    assert MARKER in text
    assert "… (cut)" not in text + message.text
    assert english_runs(text) == []
    assert len(message.text) <= MAX_FALLBACK
    assert message.text.endswith(MARKER)


def test_long_chinese_titles_fit_buttons_and_headers(kb: KnowledgeBase) -> None:
    entry = kb.get("sa-524")
    assert entry is not None
    assert entry.zh is not None
    long = replace(entry, zh=replace(entry.zh, title="源站响应超时" * 25))  # 150 characters
    answer = Answer(
        query="源站超时了怎么办",
        suggestions=(Match(long, 50.0, Reason.WORDS), Match(long, 40.0, Reason.WORDS)),
    )
    message = render(AnswerReply(answer, language="zh"))
    assert_within_limits(message)
    labels = [
        e["text"]["text"]
        for b in message.block_dicts()
        if b["type"] == "actions"
        for e in b["elements"]
    ]
    assert labels
    assert all(len(label) == 75 and label.endswith("…") for label in labels)
    entry_message = render(
        AnswerReply(Answer(query="x", matches=(Match(long, 99.0, Reason.CODE),)), language="zh")
    )
    header = next(b for b in entry_message.block_dicts() if b["type"] == "header")
    assert header["text"]["text"] == "源站响应超时" * 25
