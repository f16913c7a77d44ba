"""home_view: the App Home tab stays inside Slack's view limits and escapes what users typed."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from slack_sdk.models.views import View

from bot.chat.history import RecentProbe
from bot.knowledge import KnowledgeBase, Product
from bot.render.blocks import CUT
from bot.render.home import MAX_HOME_BLOCKS, MAX_RECENT, NO_PROBES, home_view

T0 = datetime(2026, 11, 22, 10, 4, tzinfo=UTC)


def probe(
    i: int,
    *,
    url: str | None = None,
    at: datetime | None = None,
    status: int | None = 522,
    code: int | None = 522,
    channel: str = "C0123ABC",
    thread: str | None = "1700000000.000100",
) -> RecentProbe:
    return RecentProbe(
        url=url or f"https://shop{i}.example.com/cart",
        at=at or T0 + timedelta(minutes=i),
        status=status,
        code=code,
        fault="network",
        channel=channel,
        thread=thread,
    )


def texts(view: dict[str, Any]) -> list[str]:
    """Every mrkdwn/plain text in the view, block by block."""
    out: list[str] = []
    for block in view["blocks"]:
        if "text" in block:
            out.append(block["text"]["text"])
        out += [e["text"] for e in block.get("elements", ()) if "text" in e]
    return out


def section_texts(view: dict[str, Any]) -> list[str]:
    return [b["text"]["text"] for b in view["blocks"] if b["type"] == "section"]


def assert_within_limits(view: dict[str, Any]) -> None:
    assert view["type"] == "home"
    assert 0 < len(view["blocks"]) <= MAX_HOME_BLOCKS
    for block in view["blocks"]:
        if block["type"] == "section":
            assert 0 < len(block["text"]["text"]) <= 3000
        elif block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
        elif block["type"] == "context":
            assert all(len(e["text"]) <= 3000 for e in block["elements"])
    # Slack's own models re-check type, block count and per-block limits on to_dict().
    assert View(**view).to_dict()["type"] == "home"


def esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def synthetic_kb(kb: KnowledgeBase, n: int) -> KnowledgeBase:
    base = kb.entries[0]
    products = list(Product)
    entries = tuple(
        dataclasses.replace(
            base,
            id=f"synthetic-{i}",
            product=products[i % len(products)],
            codes=[100 + i % 500],
            names=[f"SYNTHETIC_ERROR_NUMBER_{i}"],
            title=f"Synthetic entry {i} with a fairly long title to fill the reference",
            related=[],
        )
        for i in range(n)
    )
    return KnowledgeBase(entries=entries, sources={})


# ---------------------------------------------------------------- shape and usage


def test_view_is_a_valid_home_view(kb: KnowledgeBase) -> None:
    view = home_view(kb, [probe(1)])
    assert_within_limits(view)
    assert view["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "eo-bot: EdgeOne troubleshooting", "emoji": True},
    }


def test_usage_mentions_every_way_in(kb: KnowledgeBase) -> None:
    usage = "\n".join(section_texts(home_view(kb, []))[:2])
    for needle in (
        "/eo 524",
        "/eo origin keeps timing out",
        "/eo probe https://",
        "origin=",
        "@eo https://shop.example.com/cart gives 522",
        "@eo watch https://",
        "for 30m",
        "Cancel",
        "Probe again",
        "Compare with origin",
        "Share in channel",
        "EO_WATCH_CHANNELS",
        "DM",
    ):
        assert needle in usage, needle


# ---------------------------------------------------------------- recent probes


def test_no_probes_message(kb: KnowledgeBase) -> None:
    assert NO_PROBES in section_texts(home_view(kb, []))


def test_recent_probes_newest_first_and_capped(kb: KnowledgeBase) -> None:
    # Given oldest first and more than fit: only the newest MAX_RECENT are shown, newest first.
    items = [probe(i) for i in range(MAX_RECENT + 3)]
    view = home_view(kb, items)
    lines = [ln for t in section_texts(view) for ln in t.splitlines() if ln.startswith("• ")]
    shown = [int(ln.split("https://shop")[1].split(".")[0]) for ln in lines]
    assert shown == list(range(MAX_RECENT + 2, 2, -1))
    assert NO_PROBES not in section_texts(view)


def test_probe_line_content(kb: KnowledgeBase) -> None:
    text = "\n".join(section_texts(home_view(kb, [probe(0)])))
    line = next(ln for ln in text.splitlines() if "https://shop0.example.com/cart" in ln)
    assert "*522*" in line
    assert "522: fault at the network path" in line
    assert "2026-11-22 10:04 UTC" in line
    assert "<https://slack.com/app_redirect?channel=C0123ABC|" in line


def test_probe_time_is_shown_in_utc(kb: KnowledgeBase) -> None:
    plus8 = datetime(2026, 11, 22, 18, 4, tzinfo=timezone(timedelta(hours=8)))
    text = "\n".join(section_texts(home_view(kb, [probe(0, at=plus8)])))
    assert "2026-11-22 10:04 UTC" in text


def test_no_response_and_code_only(kb: KnowledgeBase) -> None:
    view = home_view(kb, [probe(0, status=None, code=None), probe(1, status=None, code=524, at=T0)])
    text = "\n".join(section_texts(view))
    assert "*no response*" in text
    assert "*524*" in text


def test_thread_link_only_when_thread_known(kb: KnowledgeBase) -> None:
    text = "\n".join(section_texts(home_view(kb, [probe(0, thread=None)])))
    assert "app_redirect" not in text
    # A channel id that is not one (it would go into the link unescaped) gets no link either.
    text = "\n".join(section_texts(home_view(kb, [probe(0, channel="C1|<!here>")])))
    assert "app_redirect" not in text
    assert "<!here>" not in text


def test_hostile_url_and_verdict_are_escaped(kb: KnowledgeBase) -> None:
    hostile = RecentProbe(
        url="https://x/<!channel>?a=1&b=<@U123>",
        at=T0,
        status=200,
        code=None,
        fault="<!everyone> & <https://evil.example|click>",
        channel="C0123ABC",
        thread="1700000000.000100",
    )
    view = home_view(kb, [hostile])
    dumped = json.dumps(view)
    for raw in ("<!channel>", "<@U123>", "<!everyone>", "<https://evil"):
        assert raw not in dumped
    text = "\n".join(section_texts(view))
    assert "https://x/&lt;!channel&gt;?a=1&amp;b=&lt;@U123&gt;" in text
    assert "&lt;!everyone&gt; &amp; &lt;https://evil.example|click&gt;" in text
    # The only angle-bracket markup left is our own thread link.
    assert dumped.count("<") == 1


def test_long_url_is_shortened(kb: KnowledgeBase) -> None:
    long_url = "https://shop.example.com/" + "a" * 2000
    text = "\n".join(section_texts(home_view(kb, [probe(0, url=long_url)])))
    line = next(ln for ln in text.splitlines() if ln.startswith("• *522*"))
    assert len(line) < 400
    assert "…" in line


# ---------------------------------------------------------------- watches


def test_watches_only_when_given(kb: KnowledgeBase) -> None:
    assert "Your active watches" not in texts(home_view(kb, []))
    view = home_view(
        kb, [], watches=["https://shop.example.com/ every 1m until 10:34 UTC", "a <!here> b"]
    )
    all_text = texts(view)
    assert "Your active watches" in all_text
    joined = "\n".join(all_text)
    assert "https://shop.example.com/ every 1m until 10:34 UTC" in joined
    assert "a &lt;!here&gt; b" in joined
    assert "<!here>" not in json.dumps(view)
    assert_within_limits(view)


# ---------------------------------------------------------------- code reference


def reference_lines(view: dict[str, Any]) -> list[str]:
    blocks = view["blocks"]
    start = next(
        i for i, b in enumerate(blocks) if b["type"] == "header" and "quick reference" in str(b)
    )
    return [
        ln for b in blocks[start:] if b["type"] == "section" for ln in b["text"]["text"].split("\n")
    ]


def test_every_entry_is_in_the_reference(kb: KnowledgeBase) -> None:
    view = home_view(kb, [])
    lines = reference_lines(view)
    for entry in kb.entries:
        assert any(
            ln.startswith(f"*{entry.code}") and ln.endswith(f"— {esc(entry.title)}") for ln in lines
        ), entry.id
    assert "/eo &lt;code&gt;" in "\n".join(texts(view))


def test_reference_grouped_by_product_and_sorted_by_code(kb: KnowledgeBase) -> None:
    lines = reference_lines(home_view(kb, []))
    labels = [ln for ln in lines if not ln.startswith("*") or not ln[1].isdigit()]
    assert labels == ["*Site acceleration*", "*Edge Functions*", "*Pages*"]
    groups: list[list[int]] = []
    for ln in lines:
        if ln in labels:
            groups.append([])
        else:
            groups[-1].append(int(ln[1:4]))
    assert [len(g) for g in groups] == [
        sum(e.product is p for e in kb.entries)
        for p in (Product.SITE_ACCELERATION, Product.EDGE_FUNCTIONS, Product.PAGES)
    ]
    assert all(g == sorted(g) for g in groups)


def test_error_names_are_shown(kb: KnowledgeBase) -> None:
    named = next(e for e in kb.entries if e.names)
    lines = reference_lines(home_view(kb, []))
    line = next(ln for ln in lines if ln.endswith(f"— {esc(named.title)}"))
    assert f"`{named.names[0]}`" in line


# ---------------------------------------------------------------- limits under load


def test_real_kb_with_ten_huge_urls_stays_in_limits(kb: KnowledgeBase) -> None:
    items = [probe(i, url="https://x.example/" + "<&>" * 700) for i in range(MAX_RECENT)]
    view = home_view(kb, items, watches=["w" * 5000] * 5)
    assert_within_limits(view)
    # Each over-long watch line is cut with a marker, but no block is dropped.
    assert sum(t.count(CUT) for t in section_texts(view)) == 5
    assert not any(b["type"] == "context" and CUT in str(b) for b in view["blocks"])
    lines = reference_lines(view)
    for entry in kb.entries:
        assert any(ln.endswith(f"— {esc(entry.title)}") for ln in lines), entry.id


def test_large_kb_fits_and_lists_every_entry(kb: KnowledgeBase) -> None:
    big = synthetic_kb(kb, 300)
    view = home_view(big, [probe(i) for i in range(MAX_RECENT)])
    assert_within_limits(view)
    lines = reference_lines(view)
    assert any(ln == "*Pages (continued)*" for ln in lines)  # split over several sections
    listed = "\n".join(lines)
    for entry in big.entries:
        assert f"`SYNTHETIC_ERROR_NUMBER_{entry.id.split('-')[1]}`" in listed


def test_enormous_kb_is_cut_visibly(kb: KnowledgeBase) -> None:
    view = home_view(synthetic_kb(kb, 3000), [probe(0)], watches=["a watch"])
    assert_within_limits(view)
    assert len(view["blocks"]) == MAX_HOME_BLOCKS
    last = view["blocks"][-1]
    assert last["type"] == "context"
    assert last["elements"][0]["text"].startswith(CUT)
    # What comes first (usage, probes, watches) survives the cut.
    joined = "\n".join(texts(view))
    assert "https://shop0.example.com/cart" in joined
    assert "a watch" in joined
