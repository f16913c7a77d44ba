"""Chinese commands and Chinese ways of writing a code next to a URL; problems said in Chinese."""

from __future__ import annotations

import re

import pytest

from bot.intent import Ask, Empty, Help, Invalid, Probe, Unwatch, Watch, parse, parse_origin

URL = "https://shop.example.com/cart"
MIN = 60.0


@pytest.mark.parametrize("text", ["帮助", "用法", "使用说明", "帮助 "])
def test_help(text: str) -> None:
    assert parse(text) == Help()


def test_a_lone_question_mark_is_empty_which_gets_help_too() -> None:
    assert parse("？") == Empty()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"探测 {URL}", Probe(URL, text=f"探测 {URL}", explicit=True)),
        (f"诊断：{URL}", Probe(URL, text=f"诊断:{URL}", explicit=True)),  # NFKC: "：" is ":"
        (f"探测{URL}", Probe(URL, text=f"探测{URL}", explicit=True)),
        (
            "探测 shop.example.com",
            Probe("shop.example.com", text="探测 shop.example.com", explicit=True),
        ),
        (
            f"诊断 {URL} origin=203.0.113.9:8080",
            Probe(
                URL,
                origin="203.0.113.9:8080",
                text=f"诊断 {URL} origin=203.0.113.9:8080",
                explicit=True,
            ),
        ),
    ],
)
def test_probe(text: str, expected: Probe) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (f"{URL} 一直报522错误", 522),
        (f"{URL} 返回 524", 524),
        (f"{URL}，状态码502", 502),
        (f"{URL}一直报 504", 504),
        (f"{URL} 第522行", None),
        (f"{URL} 耗时 522毫秒", None),
        (f"{URL} 有 502 个请求", None),
        (f"{URL} 522ms", None),
    ],
)
def test_codes_next_to_chinese_words(text: str, code: int | None) -> None:
    parsed = parse(text)
    assert isinstance(parsed, Probe)
    assert parsed.code == code


@pytest.mark.parametrize(
    ("text", "duration"),
    [
        (f"监控 {URL}", None),
        (f"监控 {URL} 30分钟", 30 * MIN),
        (f"监控{URL} 持续1小时30分钟", 90 * MIN),
        (f"观察 {URL} 90秒", 1.5 * MIN),
        (f"监控 {URL} 2个小时", 120 * MIN),
        (f"监控 {URL} for 10m", 10 * MIN),
        (f"监控 {URL}/a30分钟", None),  # part of the URL, not a duration
    ],
)
def test_watch(text: str, duration: float | None) -> None:
    parsed = parse(text)
    assert isinstance(parsed, Watch)
    assert parsed.duration == duration


@pytest.mark.parametrize("text", ["取消监控", "停止监控", "别监控了", "取消", "停止。", "取消观察"])
def test_unwatch(text: str) -> None:
    assert parse(text) == Unwatch()


@pytest.mark.parametrize(
    "text",
    ["诊断报告怎么看", "探测器是什么", "监控告警一直响", "取消缓存怎么配置", "停止服务后回源超时"],
)
def test_questions_that_start_like_commands_stay_questions(text: str) -> None:
    assert parse(text) == Ask(text)


@pytest.mark.parametrize(
    ("text", "about", "said"),
    [
        ("探测", "url", "需要一个 URL 才能探测"),
        ("诊断 回源超时", "url", "在“回源超时”里没有找到可以探测的 URL"),
        ("监控", "url", "需要一个 URL 才能监控"),
        (f"监控 {URL} for 很久", "duration", "看不懂“很久”这个时长"),
        (f"探测 {URL} origin=a%b", "origin", "收到的是“a%b”"),
        (f"监控 {URL} origin=", "origin", "`origin=` 后面要跟主机名或 IP"),
    ],
)
def test_problems_are_said_in_the_language_asked(text: str, about: str, said: str) -> None:
    parsed = parse(text, language="zh")
    assert isinstance(parsed, Invalid)
    assert parsed.about == about
    assert said in parsed.problem
    english = parse(text)
    assert isinstance(english, Invalid)
    assert english.about == about
    quoted_removed = re.sub(r"“[^”]*”", "", english.problem)
    assert not any("\u4e00" <= c <= "\u9fff" for c in quoted_removed), english.problem


def test_parse_origin_in_chinese() -> None:
    assert parse_origin("203.0.113.9:8080", "zh") == ("203.0.113.9:8080", "")
    assert parse_origin("", "zh")[1].startswith("请填写源站的 IP 或主机名")
    assert parse_origin("a b", "zh")[1].startswith("只填一个地址")
