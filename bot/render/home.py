"""The App Home tab: how to use the bot, the user's recent probes and watches, a code reference.

The Home tab is the one place a user looks at the bot without asking it something, so it has to
answer "what can this do?" and "what did I run lately?" at a glance. It is published with
``views.publish`` and Slack refuses the whole view when a limit is broken (100 blocks, 3,000
characters per section, 150 per header), so everything here is packed and cut to stay inside
them however large the knowledge base or however hostile the probed URLs are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    DividerBlock,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.chat.history import RecentProbe
from bot.knowledge.loader import KnowledgeBase
from bot.knowledge.models import Entry, Product
from bot.render.blocks import CUT, context, cut, esc, header, section, short

MAX_HOME_BLOCKS = 100  # Slack's limit for a home (or modal) view
MAX_RECENT = 10
# Pack sections a little under Slack's 3,000 so a line cut to fit never lands on the edge.
SECTION_BUDGET = 2900
MAX_URL_SHOWN = 80  # a long URL would push the verdict and the thread link off the line
_CHANNEL_ID = re.compile(r"[A-Z0-9]{2,40}")

_PRODUCT_NAMES = {
    Product.SITE_ACCELERATION: "Site acceleration",
    Product.EDGE_FUNCTIONS: "Edge Functions",
    Product.PAGES: "Pages",
}

USAGE_ASK = (
    "*Ask about a code, an error name or a symptom*\n"
    "`/eo 524`  ·  `/eo NODE_FUNCTION_INVOCATION_TIMEOUT`  ·  `/eo origin keeps timing out`\n\n"
    "*Probe a failing URL* (DNS, TCP, TLS, HTTP; the diagnosis goes in a thread)\n"
    "`/eo probe https://shop.example.com/cart`  ·  "
    "`/eo probe https://shop.example.com/ origin=203.0.113.9` (also hits the origin directly)"
)
USAGE_CHAT = (
    "*In a channel or thread*, mention me: `@eo https://shop.example.com/cart gives 522`; "
    "I answer in the thread. *In a DM*, type the same without the mention.\n"
    "*Watch a URL*: `@eo watch https://shop.example.com/ for 30m` re-probes it until it recovers "
    "(a *Cancel* button stops it).\n"
    "*On each diagnosis*: *Probe again* shows what changed  ·  *Compare with origin*  ·  "
    "*Share in channel*.\n"
    "*Alert channels*: in the channels set in `EO_WATCH_CHANNELS` I answer alerts that name "
    "a code and a URL."
)
NO_PROBES = "No probes yet — try `/eo probe https://your-site/`"
# `<code>` would be read as a Slack link if it were not escaped, even inside backticks.
ASK_CODE = "Ask `/eo &lt;code&gt;` for causes, checks and fixes."


def home_view(
    kb: KnowledgeBase,
    recent: Sequence[RecentProbe],
    *,
    watches: Sequence[str] = (),
) -> dict[str, Any]:
    """The Home tab for one user, as a ``views.publish`` view dict.

    ``recent`` is the user's recent probes in any order (the newest ``MAX_RECENT`` are shown);
    ``watches`` are one-line descriptions of the user's active watches, shown as plain text
    (``&``, ``<`` and ``>`` are escaped here, so links or mentions in them are not rendered).
    """
    blocks: list[Block] = [
        header("eo-bot: EdgeOne troubleshooting"),
        section(USAGE_ASK),
        section(USAGE_CHAT),
        DividerBlock(),
        header("Your recent probes"),
    ]
    lines = [probe_line(p) for p in _newest(recent)]
    blocks += _pack(lines) if lines else [section(NO_PROBES)]
    if watches:
        blocks.append(header("Your active watches"))
        blocks += _pack(f"• {esc(w)}" for w in watches)
    blocks += [DividerBlock(), header("Code quick reference"), context(ASK_CODE)]
    blocks += _reference(kb.entries)
    return View(type="home", blocks=_budget(blocks)).to_dict()


def probe_line(probe: RecentProbe) -> str:
    """One recent probe as mrkdwn: status, URL, verdict, when, and a link to where it was posted."""
    if probe.status is not None:
        status = f"*{probe.status}*"
    elif probe.code is not None:
        status = f"*{probe.code}*"
    else:
        status = "*no response*"
    # Shorten before escaping so the cut never splits an entity such as "&amp;"; backticks are
    # swapped out so a URL cannot close the code span it is shown in.
    url = esc(short(probe.url, MAX_URL_SHOWN).replace("`", "'"))
    parts = [f"{status} `{url}`", esc(probe.verdict), _when(probe.at)]
    if probe.thread and _CHANNEL_ID.fullmatch(probe.channel):
        # Without the workspace's domain there is no thread permalink; app_redirect opens the
        # channel (not the thread) for whoever clicks, in their own workspace. The channel id is
        # checked above because it goes into the link unescaped.
        parts.append(f"<https://slack.com/app_redirect?channel={probe.channel}|open channel>")
    return "• " + "  ·  ".join(parts)


def entry_line(entry: Entry) -> str:
    """One compact reference line: ``*524* `NAME` — Title``."""
    codes = " / ".join(str(c) for c in entry.codes)
    names = "".join(f" `{esc(n)}`" for n in entry.names)
    return f"*{codes}*{names} — {esc(entry.title)}"


def _newest(recent: Sequence[RecentProbe]) -> list[RecentProbe]:
    # History already keeps newest first, but the view should not depend on the caller's order.
    return sorted(recent, key=lambda p: _utc(p.at), reverse=True)[:MAX_RECENT]


def _reference(entries: Iterable[Entry]) -> list[Block]:
    """The code reference by product, each product's lines sorted by code."""
    # Products in _PRODUCT_NAMES's order; one added to the enum later still shows, after them.
    order = [*_PRODUCT_NAMES, *(p for p in Product if p not in _PRODUCT_NAMES)]
    by_product: dict[Product, list[Entry]] = {p: [] for p in order}
    for entry in entries:
        by_product[entry.product].append(entry)
    blocks: list[Block] = []
    for product, group in by_product.items():
        if group:
            group.sort(key=lambda e: (e.codes, e.title))
            name = _PRODUCT_NAMES.get(product, product.value)
            blocks += _pack((entry_line(e) for e in group), label=f"*{name}*")
    return blocks


def _pack(lines: Iterable[str], *, label: str = "") -> list[SectionBlock]:
    """Join lines into as few sections of at most SECTION_BUDGET characters as they fit in.

    With a ``label``, each section starts with it (later ones marked "continued") so a reader
    landing on a continuation still knows what it lists.
    """
    more = f"{label[:-1]} (continued)*" if label.endswith("*") else f"{label} (continued)"
    room = SECTION_BUDGET - (len(more) + 1 if label else 0)
    chunks: list[list[str]] = []
    size = 0
    for raw in lines:
        line = cut(raw, room)
        if chunks and size + 1 + len(line) <= room:
            chunks[-1].append(line)
            size += 1 + len(line)
        else:
            chunks.append([line])
            size = len(line)
    if label:
        chunks = [[label if i == 0 else more, *c] for i, c in enumerate(chunks)]
    return [section("\n".join(c)) for c in chunks]


def _budget(blocks: list[Block]) -> list[Block]:
    """Keep within the view's block limit, replacing the tail with a visible cut marker."""
    if len(blocks) <= MAX_HOME_BLOCKS:
        return blocks
    kept = blocks[: MAX_HOME_BLOCKS - 1]
    left = len(blocks) - len(kept)
    return [*kept, context(f"{CUT}: {left} more parts not shown")]


def _when(at: datetime) -> str:
    return _utc(at).strftime("%Y-%m-%d %H:%M UTC")


def _utc(at: datetime) -> datetime:
    # RecentProbe.at is documented as UTC; a naive value is taken at its word.
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
