"""Rendering the regional verdict and the agents list; network text stays inert."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.agents.outcomes import AgentInfo, LiveAgent
from bot.agents.verdict import read_regions
from bot.knowledge import KnowledgeBase
from bot.render.blocks import MAX_BLOCKS
from bot.render.regions import (
    agents_message,
    headline,
    regional_message,
    render_agents,
    render_regional,
)
from tests.agents.test_verdict import report, seen

HOSTILE_UUID = "<!channel> ```\u202eevil\u200b"
NOW = datetime(2026, 5, 1, 10, 0, 30, tzinfo=UTC)


def _verdict(kb: KnowledgeBase):  # type: ignore[no-untyped-def]
    sin = report(status=502, uuid=HOSTILE_UUID, ip="198.51.100.7")
    return read_regions(
        seen(kb, fra=report(uuid="2a3b4c"), sin=sin),
        {"syd": "no agent answered in syd in time"},
    )


def test_terminal_table_and_verdict(kb: KnowledgeBase) -> None:
    verdict = _verdict(kb)
    text = render_regional(verdict, url="https://shop.example.com/cart", notes=["a note", "a note"])
    lines = text.splitlines()
    assert lines[0] == "Probe of https://shop.example.com/cart from 3 regions"
    assert lines[1].split() == [
        "region",
        "status",
        "EO",
        "code",
        "DNS",
        "connect",
        "TLS",
        "TTFB",
        "total",
        "node",
        "IP",
        "EO-LOG-UUID",
    ]
    assert lines[2].split()[:3] == ["fra", "200", "-"]
    assert "203.0.113.5" in lines[2]
    assert lines[3].split()[:3] == ["sin", "502", "502"]
    assert lines[4].split(maxsplit=1) == ["syd", "no agent answered in syd in time"]
    assert "Fails in some regions: sin" in text
    assert text.count("note: a note") == 1
    # hidden characters are shown, never passed to the terminal
    assert "\u202e" not in text
    assert "\u200b" not in text
    assert "<U+202E>evil<U+200B>" in text


def test_block_kit_escapes_network_text_and_keeps_the_code_block_closed(
    kb: KnowledgeBase,
) -> None:
    message = regional_message(_verdict(kb), url="https://shop.example.com/<!here>", notes=["n"])
    payload = json.dumps(message.block_dicts(), ensure_ascii=False)
    assert "<!channel>" not in payload
    assert "<!here>" not in payload
    assert "&lt;!channel&gt;" in payload
    assert "\u202e" not in payload
    assert "<U+202E>" not in payload  # escaped itself: &lt;U+202E&gt;
    assert "&lt;U+202E&gt;evil" in payload
    table = next(
        b
        for b in message.block_dicts()
        if b["type"] == "section" and b["text"]["text"].startswith("```")
    )
    assert table["text"]["text"].count("```") == 2
    assert "<!" not in message.text
    assert message.text.startswith("Probe of https://shop.example.com/&lt;!here&gt; from 3 regions")
    assert len(message.blocks) <= MAX_BLOCKS


def test_headlines(kb: KnowledgeBase) -> None:
    ok = read_regions(seen(kb, fra=report()))
    assert headline(ok) == "Works in every region"
    assert headline(_verdict(kb)) == "Fails in some regions: sin"
    assert headline(read_regions({}, {"fra": "x"})) == "No region answered"


def _agent(region: str, *, trusted: bool = True, name: str = "vm-1") -> LiveAgent:
    return LiveAgent(
        info=AgentInfo(region, f"{region}-1", "0.1.0", name, "Linux 6.1", "3.11.7", 7, 8),
        state="ready",
        last_seen=NOW - timedelta(seconds=3),
        interval_s=5,
        trusted=trusted,
    )


def test_agents_list() -> None:
    agents = [_agent("fra"), _agent("sin", trusted=False, name="<@U123> \u202ex")]
    text = render_agents(agents, known=("fra", "sin", "syd"), now=NOW)
    lines = text.splitlines()
    assert lines[0].split() == [
        "region",
        "agent",
        "version",
        "host",
        "last",
        "seen",
        "state",
        "trusted",
    ]
    assert lines[1].split()[:4] == ["fra", "fra-1", "0.1.0", "vm-1"]
    assert "3 s ago" in lines[1]
    assert "NO (key not listed for this region)" in lines[2]
    assert "<U+202E>x" in lines[2]
    assert lines[-1] == "No agent running in sin, syd."
    message = agents_message(agents, known=("fra", "sin", "syd"), now=NOW)
    payload = json.dumps(message.block_dicts(), ensure_ascii=False)
    assert "<@U123>" not in payload
    assert message.text == "Regional probe agents: fra"
    empty = render_agents([], now=NOW)
    assert empty == "No agent is running (none has sent a heartbeat lately)."


def test_a_long_reason_is_cut(kb: KnowledgeBase) -> None:
    verdict = read_regions({}, {"fra": "x" * 5000})
    text = render_regional(verdict, url="https://a/")
    assert max(len(line) for line in text.splitlines()) < 400
    message = regional_message(replace(verdict, reading="y" * 10_000), url="https://a/")
    assert all(len(json.dumps(b)) < 3500 for b in message.block_dicts())


def test_a_regional_answer_reports_what_was_set_aside_and_escapes_it(kb: KnowledgeBase) -> None:
    from bot.render.blocks import render
    from bot.render.chat_text import render_reply
    from tests.render.regional_replies import outcome

    notes = (
        "a malformed result for sin was rejected: <!channel> is not JSON",
        "an oversized result for sin was rejected (it is 80 KiB, more than 64 KiB)",
        "a result for fra from an agent not allowed for fra was ignored",
    )
    reply = replace(outcome(kb), notes=notes)
    payload = json.dumps(render(reply).block_dicts(), ensure_ascii=False)
    assert "<!channel>" not in payload
    assert "&lt;!channel&gt; is not JSON" in payload
    assert "more than 64 KiB" in payload
    assert "not allowed for fra was ignored" in payload
    text = render_reply(reply)
    assert text is not None
    assert text.count("note: ") == 3
