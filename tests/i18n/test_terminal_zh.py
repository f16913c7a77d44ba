"""Chinese at a terminal: the console through a pipe, `eo-bot ask` and `eo-bot probe` (--lang,
EO_LANGUAGE, --json), the progress line, the phase bar's columns and Chinese line wrapping."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import pytest

from bot.console import console_main
from bot.i18n import Choice
from bot.probe.models import Timings
from bot.probe_cli import TerminalProgress
from bot.render.chat_text import render_mrkdwn
from bot.render.probe_text import phase_bar, segments
from bot.render.text import cells
from tests.i18n.mixing import english_runs, has_chinese
from tests.servers import HTTPServer, Response, closed_port
from tests.test_cli import run as cli
from tests.test_console import LOOPBACK

ROOT = Path(__file__).resolve().parents[2]


def console(
    lines: list[str], *, language: Choice | None = None, **env: str
) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = console_main(
        {**LOOPBACK, **env},
        stdin=io.StringIO("\n".join(lines) + "\n"),
        out=out,
        err=err,
        language=language,
    )
    return status, out.getvalue(), err.getvalue()


def blocks(out: str) -> list[str]:
    return [b for b in out.split("\n\n") if b.strip()]


# ---------------------------------------------------------------- the console


def test_console_answers_each_line_in_its_own_language() -> None:
    status, out, _ = console(["回源超时", "/eo 524"])
    assert status == 0
    assert "源站响应超时" in out  # the Chinese question's entry, in Chinese
    assert "Origin response timeout" in out  # the English one's, in English


def test_console_chinese_lines_get_only_chinese() -> None:
    status, out, _ = console(
        ["回源超时", "帮助", "探测", "重新探测", "对比 203.0.113.9", "5xx 有哪些"]
    )
    assert status == 0
    for said in (
        "源站响应超时",
        "像在 Slack 里一样输入",
        "需要一个 URL 才能探测",
        "还没有可以重新探测的",
    ):
        assert said in out
    assert "请先探测一个 URL，然后再发送 `对比 HOST[:PORT]`" in out
    assert english_runs(out, terminal=True) == []


def test_console_probe_and_probe_again_in_chinese() -> None:
    with HTTPServer(sequence=[Response(status=502), Response(status=200)]) as target:
        status, out, _ = console([f"@eo {target.url}/cart 一直报 502", "重新探测"])
        assert target.hits == 2
    assert status == 0
    assert "变化：502 → 200" in out
    assert "EdgeOne 错误码：502" in out
    assert "DNS 查询" in out  # the phase bar's titles
    assert "发送 `重新探测` 再测一次" in out


@pytest.mark.parametrize(
    ("how", "language", "env"),
    [
        pytest.param("flag", "en", {}, id="lang-en"),
        pytest.param("env", None, {"EO_LANGUAGE": "en"}, id="EO_LANGUAGE-en"),
    ],
)
def test_console_language_can_be_fixed(
    how: str, language: Choice | None, env: dict[str, str]
) -> None:
    status, out, _ = console(["回源超时"], language=language, **env)
    assert status == 0
    assert "Origin response timeout" in out
    assert not has_chinese(out.replace("回源超时", ""))


def test_console_in_chinese_for_english_questions_with_eo_language_zh() -> None:
    status, out, _ = console(["/eo 524"], EO_LANGUAGE="zh")
    assert status == 0
    assert "源站响应超时" in out


def test_console_refuses_a_malformed_eo_language() -> None:
    status, out, err = console(["/eo 524"], EO_LANGUAGE="klingon")
    assert status == 2
    assert out == ""
    assert "EO_LANGUAGE" in err
    assert "auto, en or zh" in err


# ---------------------------------------------------------------- eo-bot ask / probe


def test_ask_in_chinese_answers_in_chinese() -> None:
    result = cli("ask", "回源超时")
    assert result.returncode == 0, result.stderr
    assert "源站响应超时" in result.stdout
    assert "可能原因" in result.stdout
    assert english_runs(result.stdout, terminal=True) == []


def test_ask_lang_en_overrides_the_question() -> None:
    result = cli("ask", "--lang", "en", "回源超时")
    assert result.returncode == 0, result.stderr
    assert "Origin response timeout" in result.stdout
    assert "Likely causes" in result.stdout
    assert not has_chinese(result.stdout)


def test_ask_json_says_its_language_and_keeps_english_keys() -> None:
    zh = json.loads(cli("ask", "--json", "回源超时").stdout)
    en = json.loads(cli("ask", "--json", "524").stdout)
    assert (zh["language"], en["language"]) == ("zh", "en")
    assert set(zh) == set(en)
    assert set(zh["matches"][0]) == set(en["matches"][0])
    assert zh["matches"][0]["title"] == "源站响应超时（524 / 554）"
    assert en["matches"][0]["title"].startswith("Origin response timeout")


def test_eo_language_sets_the_default_and_lang_overrides_it() -> None:
    assert "源站响应超时" in cli("ask", "524", env={"EO_LANGUAGE": "zh"}).stdout
    assert "Origin" in cli("ask", "--lang", "auto", "524", env={"EO_LANGUAGE": "zh"}).stdout
    bad = cli("ask", "524", env={"EO_LANGUAGE": "fr"})
    assert bad.returncode == 2
    assert "EO_LANGUAGE" in bad.stderr
    assert "Traceback" not in bad.stderr
    assert cli("ask", "--lang", "fr", "524").returncode == 2


def test_probe_in_chinese_text_and_json() -> None:
    port = closed_port()
    flags = ["--allow-network", "127.0.0.0/8", "--allow-port", str(port)]
    text = cli("probe", f"http://127.0.0.1:{port}/", "--lang", "zh", *flags)
    assert text.returncode == 0, text.stderr
    assert "EdgeOne 错误码：521" in text.stdout
    assert "故障方：源站" in text.stdout
    assert "提供给技术支持" in text.stdout
    assert "TCP 连接" in text.stdout
    data = json.loads(
        cli(
            "probe", f"http://127.0.0.1:{port}/", "--json", *flags, env={"EO_LANGUAGE": "zh"}
        ).stdout
    )
    assert data["language"] == "zh"
    assert data["connect"]["status"] == "refused"  # values and keys stay the probe's own
    assert data["diagnosis"]["code"] == 521
    english = json.loads(cli("probe", f"http://127.0.0.1:{port}/", "--json", *flags).stdout)
    assert english["language"] == "en"  # a probe has no question: auto is English
    assert set(english) == set(data)


async def test_progress_line_in_chinese() -> None:
    stream = io.StringIO()
    now = [0.0]
    progress = TerminalProgress(
        stream,
        "https://shop.example.com/",
        ["dns", "connect", "tls", "http"],
        delay=0.0,
        tick=60.0,
        clock=lambda: now[0],
        language="zh",
    )
    now[0] = 2.5
    ticker = asyncio.create_task(progress.run())
    for _ in range(10):
        if stream.getvalue():
            break
        await asyncio.sleep(0)
    await progress.phase("dns")
    ticker.cancel()
    drawn = stream.getvalue().split("\r\x1b[K")[-1]
    assert drawn == "正在探测 https://shop.example.com/：DNS ✓  连接 … 2.5 秒"


# ---------------------------------------------------------------- columns and wrapping


def _columns(line: str) -> list[int]:
    """The terminal column of each character of ``line``."""
    out, col = [], 0
    for char in line:
        out.append(col)
        col += cells(char)
    return out


def test_chinese_phase_bar_titles_sit_over_their_cells() -> None:
    timings = Timings(
        dns_ms=12.0, connect_ms=20.0, tls_ms=30.0, server_ms=84.0, transfer_ms=3.0, total_ms=149.0
    )
    titles_row, values_row, *_ = phase_bar(timings, language="zh")
    pipes = [i for i, c in enumerate(values_row) if c in "[|]"]  # ASCII: index = column
    columns = _columns(titles_row)
    for index, title in enumerate(segments("zh")):
        start = columns[titles_row.index(title)]
        end = start + cells(title)
        assert pipes[index] < start, (title, start, pipes)
        assert end <= pipes[index + 1], (title, end, pipes)


def test_chinese_text_wraps_between_characters_within_the_width() -> None:
    text = (
        "探测失败：源站在 5 秒内没有响应，请检查源站防火墙是否放行 EdgeOne 回源节点的 IP 段，"
        "然后再试一次。命令 `curl -v https://example.com/` 不会被拆开。"
    )
    rows = render_mrkdwn(text, width=24).split("\n")
    assert len(rows) > 3
    for row in rows:
        assert cells(row) <= 24 or "curl" in row, row
        assert not row.startswith(("，", "。", "：", "）")), row
    assert any(row.strip() == "`curl -v https://example.com/`" for row in rows)
    assert "".join(row.strip() for row in rows).replace(" ", "") == text.replace(" ", "")
