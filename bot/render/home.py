"""The App Home tab: how to use the bot, the user's recent probes and watches, a code reference.

The Home tab is the one place a user looks at the bot without asking it something, so it has to
answer "what can this do?" and "what did I run lately?" at a glance. It is published with
``views.publish`` and Slack refuses the whole view when a limit is broken (100 blocks, 3,000
characters per section, 150 per header), so everything here is packed and cut to stay inside
them however large the knowledge base or however hostile the probed URLs are.

Its language is the one the person last asked the bot in (``Conversation.home_language``: the
deployment's ``EO_LANGUAGE`` when it sets one, else their last question's, else English). Called
without one, it speaks the language of their newest probe, or English.
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
from bot.chat.words import verdict
from bot.i18n.catalogue import N_, plural, texts
from bot.i18n.language import Language
from bot.knowledge.loader import KnowledgeBase
from bot.knowledge.localized import localize
from bot.knowledge.models import Entry, Product
from bot.render.blocks import TITLE, context, cut, cut_marker, esc, header, section, short

MAX_HOME_BLOCKS = 100  # Slack's limit for a home (or modal) view
MAX_RECENT = 10
# Pack sections a little under Slack's 3,000 so a line cut to fit never lands on the edge.
SECTION_BUDGET = 2900
MAX_URL_SHOWN = 80  # a long URL would push the verdict and the thread link off the line
_CHANNEL_ID = re.compile(r"[A-Z0-9]{2,40}")

_PRODUCT_NAMES = {
    Product.SITE_ACCELERATION: N_("Site acceleration"),
    Product.EDGE_FUNCTIONS: N_("Edge Functions"),
    Product.PAGES: N_("Pages"),
}

USAGE_ASK = N_(
    "*Ask about a code, an error name or a symptom*\n"
    "`/eo 524`  ·  `/eo NODE_FUNCTION_INVOCATION_TIMEOUT`  ·  `/eo origin keeps timing out`\n\n"
    "*Probe a failing URL* (DNS, TCP, TLS, HTTP; the diagnosis goes in a thread)\n"
    "`/eo probe https://shop.example.com/cart`  ·  "
    "`/eo probe https://shop.example.com/ origin=203.0.113.9` (also hits the origin directly)"
)
USAGE_CHAT = N_(
    "*In a channel or thread*, mention me: `@eo https://shop.example.com/cart gives 522`; "
    "I answer in the thread. *In a DM*, type the same without the mention.\n"
    "*Watch a URL*: `@eo watch https://shop.example.com/ for 30m` re-probes it until it recovers "
    "(a *Cancel* button stops it).\n"
    "*On each diagnosis*: *Probe again* shows what changed  ·  *Compare with origin*  ·  "
    "*Share in channel*.\n"
    "*Alert channels*: in the channels set in `EO_WATCH_CHANNELS` I answer alerts that name "
    "a code and a URL."
)
NO_PROBES = N_("No probes yet — try `/eo probe https://your-site/`")
# `<code>` would be read as a Slack link if it were not escaped, even inside backticks.
ASK_CODE = N_("Ask `/eo &lt;code&gt;` for causes, checks and fixes.")


def home_view(
    kb: KnowledgeBase,
    recent: Sequence[RecentProbe],
    *,
    watches: Sequence[str] = (),
    language: Language | None = None,
) -> dict[str, Any]:
    """The Home tab for one user, as a ``views.publish`` view dict.

    ``recent`` is the user's recent probes in any order (the newest ``MAX_RECENT`` are shown);
    ``watches`` are one-line descriptions of the user's active watches, shown as plain text
    (``&``, ``<`` and ``>`` are escaped here, so links or mentions in them are not rendered).
    ``language``: see the module's docstring.
    """
    newest = _newest(recent)
    if language is None:
        language = newest[0].language if newest else "en"
    _ = texts(language)
    blocks: list[Block] = [
        header(_(TITLE)),
        section(_(USAGE_ASK), language=language),
        section(_(USAGE_CHAT), language=language),
        DividerBlock(),
        header(_("Your recent probes")),
    ]
    lines = [probe_line(p, language) for p in newest]
    blocks += _pack(lines, language=language) if lines else [section(_(NO_PROBES))]
    if watches:
        blocks.append(header(_("Your active watches")))
        blocks += _pack((f"• {esc(w)}" for w in watches), language=language)
    blocks += [
        DividerBlock(),
        header(_("Code quick reference")),
        context(_(ASK_CODE), language=language),
    ]
    blocks += _reference(kb.entries, language)
    return View(type="home", blocks=_budget(blocks, language)).to_dict()


def probe_line(probe: RecentProbe, language: Language = "en") -> str:
    """One recent probe as mrkdwn: status, URL, verdict, when, and a link to where it was posted."""
    _ = texts(language)
    if probe.status is not None:
        status = f"*{probe.status}*"
    elif probe.code is not None:
        status = f"*{probe.code}*"
    else:
        status = "*" + _("no response") + "*"
    # Shorten before escaping so the cut never splits an entity such as "&amp;"; backticks are
    # swapped out so a URL cannot close the code span it is shown in.
    url = esc(short(probe.url, MAX_URL_SHOWN).replace("`", "'"))
    shown = verdict(probe.code, probe.fault, probe.status, language)
    parts = [f"{status} `{url}`", esc(shown), _when(probe.at)]
    if probe.thread and _CHANNEL_ID.fullmatch(probe.channel):
        # Without the workspace's domain there is no thread permalink; app_redirect opens the
        # channel (not the thread) for whoever clicks, in their own workspace. The channel id is
        # checked above because it goes into the link unescaped.
        link = f"https://slack.com/app_redirect?channel={probe.channel}"
        parts.append(f"<{link}|{_('open channel')}>")
    return "• " + "  ·  ".join(parts)


def entry_line(entry: Entry, language: Language = "en") -> str:
    """One compact reference line: ``*524* `NAME` — Title``."""
    codes = " / ".join(str(c) for c in entry.codes)
    names = "".join(f" `{esc(n)}`" for n in entry.names)
    return f"*{codes}*{names} — {esc(localize(entry, language).title)}"


def _newest(recent: Sequence[RecentProbe]) -> list[RecentProbe]:
    # History already keeps newest first, but the view should not depend on the caller's order.
    return sorted(recent, key=lambda p: _utc(p.at), reverse=True)[:MAX_RECENT]


def _reference(entries: Iterable[Entry], language: Language) -> list[Block]:
    """The code reference by product, each product's lines sorted by code."""
    _ = texts(language)
    # Products in _PRODUCT_NAMES's order; one added to the enum later still shows, after them.
    order = [*_PRODUCT_NAMES, *(p for p in Product if p not in _PRODUCT_NAMES)]
    by_product: dict[Product, list[Entry]] = {p: [] for p in order}
    for entry in entries:
        by_product[entry.product].append(entry)
    blocks: list[Block] = []
    for product, group in by_product.items():
        if group:
            group.sort(key=lambda e: (e.codes, e.title))
            name = _(_PRODUCT_NAMES[product]) if product in _PRODUCT_NAMES else product.value
            lines = (entry_line(e, language) for e in group)
            blocks += _pack(lines, label=name, language=language)
    return blocks


def _pack(
    lines: Iterable[str], *, label: str = "", language: Language = "en"
) -> list[SectionBlock]:
    """Join lines into as few sections of at most SECTION_BUDGET characters as they fit in.

    With a ``label``, each section starts with it in bold (later ones marked "continued") so a
    reader landing on a continuation still knows what it lists.
    """
    first = f"*{label}*"
    _ = texts(language)
    more = "*" + _("{label} (continued)").format(label=label) + "*"
    room = SECTION_BUDGET - (len(more) + 1 if label else 0)
    chunks: list[list[str]] = []
    size = 0
    for raw in lines:
        line = cut(raw, room, language=language)
        if chunks and size + 1 + len(line) <= room:
            chunks[-1].append(line)
            size += 1 + len(line)
        else:
            chunks.append([line])
            size = len(line)
    if label:
        chunks = [[first if i == 0 else more, *c] for i, c in enumerate(chunks)]
    return [section("\n".join(c), language=language) for c in chunks]


def _budget(blocks: list[Block], language: Language) -> list[Block]:
    """Keep within the view's block limit, replacing the tail with a visible cut marker."""
    if len(blocks) <= MAX_HOME_BLOCKS:
        return blocks
    kept = blocks[: MAX_HOME_BLOCKS - 1]
    left = len(blocks) - len(kept)
    ngettext = plural(language)
    more = ngettext(
        "{cut}: {count} more part not shown", "{cut}: {count} more parts not shown", left
    ).format(cut=cut_marker(language), count=left)
    return [*kept, context(more, language=language)]


def _when(at: datetime) -> str:
    return _utc(at).strftime("%Y-%m-%d %H:%M UTC")


def _utc(at: datetime) -> datetime:
    # RecentProbe.at is documented as UTC; a naive value is taken at its word.
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
