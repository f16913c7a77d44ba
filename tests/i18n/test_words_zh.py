"""The shared words in Chinese: verdicts, durations, what changed between two probes; the history
of languages for App Home; the diagnosis adapter that passes the language on."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.chat.history import History
from bot.chat.services import diagnoser_of
from bot.chat.snapshot import Snapshot, compare
from bot.chat.watches import WatchSettings
from bot.chat.words import probes, span, state, verdict
from bot.diagnosis import Diagnosis, SupportBundle
from bot.knowledge import KnowledgeBase
from bot.probe.models import ProbeReport
from tests.i18n.mixing import english_runs
from tests.test_diagnosis import failing

AT = datetime(2025, 3, 1, 12, 30, 5, tzinfo=UTC)
BEFORE = Snapshot(
    at=AT,
    status=None,
    code=522,
    fault="network",
    failed_phase="connect",
    failure="timeout",
    dns_ms=12.0,
    connect_ms=5000.0,
    total_ms=5012.0,
    probed_origin=True,
    origin_status=None,
    origin_failed_phase="connect",
    origin_failure="refused",
)
AFTER = Snapshot(
    at=AT + timedelta(minutes=4, seconds=10),
    status=200,
    code=None,
    fault="none",
    dns_ms=12.0,
    connect_ms=20.0,
    tls_ms=30.0,
    server_ms=84.0,
    total_ms=146.0,
    probed_origin=True,
    origin_status=200,
    origin_ms=40.0,
)


@pytest.mark.parametrize(
    ("code", "fault", "status", "en", "zh"),
    [
        (522, "network", None, "522: fault at the network path", "522：故障在网络链路"),
        (
            None,
            "origin",
            502,
            "no EdgeOne error code: fault at the origin",
            "无 EdgeOne 错误码：故障在源站",
        ),
        (522, "none", 200, "200: no fault found", "200：未发现故障"),
    ],
)
def test_verdicts(code: int | None, fault: str, status: int | None, en: str, zh: str) -> None:
    assert verdict(code, fault, status) == en
    assert verdict(code, fault, status, "zh") == zh


@pytest.mark.parametrize(
    ("seconds", "en", "zh"),
    [
        (45, "45 s", "45 秒"),
        (1800, "30 min", "30 分钟"),
        (7200, "2 h", "2 小时"),
        (9000, "2 h 30 min", "2 小时 30 分钟"),
    ],
)
def test_spans(seconds: float, en: str, zh: str) -> None:
    assert (span(seconds), span(seconds, "zh")) == (en, zh)


def test_counts_have_their_english_plural_and_one_chinese_form() -> None:
    assert [probes(n, "en") for n in (1, 2)] == ["1 probe", "2 probes"]
    assert [probes(n, "zh") for n in (1, 2)] == ["1 次探测", "2 次探测"]


def test_state_in_chinese() -> None:
    assert state(BEFORE, "zh") == "无响应（连接失败），522：故障在网络链路"


def test_what_changed_in_chinese() -> None:
    change = compare(BEFORE, AFTER, "zh")
    english = compare(BEFORE, AFTER)
    assert (change.changed, change.recovered) == (english.changed, english.recovered)
    assert change.headline == "连接 超时 → 200，源站现在 40 ms 内响应"
    assert english.headline == "connect timed out → 200, origin now answers in 40 ms"
    assert change.lines[0] == "距上次探测：4 分钟"
    assert "源站：连接 被拒绝 → 200，耗时 40 ms" in change.lines
    assert len(change.lines) == len(english.lines)
    for line in (change.headline, *change.lines):
        assert english_runs(line) == [], line


def test_still_failing_in_chinese() -> None:
    again = replace(BEFORE, at=AT + timedelta(hours=2, minutes=5))
    change = compare(BEFORE, again, "zh")
    assert change.headline == "仍是 连接 超时（故障在网络链路）"
    assert change.lines == ("距上次探测：2 小时 5 分钟",)


def test_watch_limits_in_chinese() -> None:
    settings = WatchSettings()
    assert settings.clamp(10.0, "zh") == (60.0, "最短监控 60 秒")
    assert settings.clamp(10 * 3600.0, "zh") == (7200.0, "最长监控 2 小时")


def test_history_remembers_each_users_last_language_within_bounds() -> None:
    history = History(max_users=2)
    assert history.language("U1") is None
    history.spoke("U1", "zh")
    history.spoke("U2", "en")
    history.spoke("U1", "en")
    assert (history.language("U1"), history.language("U2")) == ("en", "en")
    history.spoke("U3", "zh")  # U2 spoke longest ago: forgotten first
    assert history.language("U2") is None
    assert history.language("U3") == "zh"
    history.spoke("", "zh")  # nobody: nothing to remember
    assert history.language("") is None


def _diagnosis(summary: str) -> Diagnosis:
    support = SupportBundle(None, None, "2025-03-01T12:30:05Z", "https://a.example/", None)
    return Diagnosis(522, None, None, "network", summary, (), (), support)


def test_the_adapter_passes_the_language_to_a_diagnosis_that_takes_one(kb: KnowledgeBase) -> None:
    asked: list[Any] = []

    def bilingual(
        report: ProbeReport,
        kb: KnowledgeBase,
        *,
        stated_code: int | None = None,
        language: str = "en",
    ) -> Diagnosis:
        asked.append((stated_code, language))
        return _diagnosis("中文" if language == "zh" else "English")

    diagnoser = diagnoser_of(bilingual, kb)
    report = ProbeReport(edge=failing("connect:timeout"))
    assert diagnoser(report, 522, "zh").summary == "中文"
    assert asked == [(522, "zh")]
