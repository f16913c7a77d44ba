"""The knowledge base as the diagnosis reads it: which entry fits an observation, its text in the
diagnosis language (an entry's ``zh`` block for Chinese; commands stay as they are), and the next
steps taken from it with the probe's values filled into its commands.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from bot.diagnosis.probe import PAGES_SERVER, eo_log_uuid, has_edge_markers, is_ip, server
from bot.diagnosis.say import Say
from bot.knowledge.loader import KnowledgeBase
from bot.knowledge.models import Entry, Product
from bot.probe.commands import fill
from bot.probe.models import ProbeReport, ProbeResult

# Most KB items added to the next steps after the probe-specific ones.
MAX_KB_STEPS = 3


def entry_for_code(
    kb: KnowledgeBase,
    code: int,
    product: Product = Product.SITE_ACCELERATION,
    *,
    other_products: bool = False,
) -> Entry | None:
    """The entry for a code in a product: one whose primary code it is, else any listing it.

    Another product's entry for the same number usually means something else (a Pages 429 is not
    a site's 429), so other products are only searched when the caller asks.
    """
    candidates = kb.by_code(code)
    in_product = [e for e in candidates if e.product is product]
    primary = [e for e in in_product if e.code == code]
    pool = primary or in_product or (candidates if other_products else [])
    return pool[0] if pool else None


def origin_entry(kb: KnowledgeBase, code: int) -> Entry | None:
    """The entry for the origin's own status passed through, when the KB has one."""
    return kb.get(f"sa-origin-{code}") or entry_for_code(kb, code)


def entry_by_name(kb: KnowledgeBase, name: str) -> Entry | None:
    return next((e for e in kb.entries if name in e.names), None)


def pages_entry(kb: KnowledgeBase, edge: ProbeResult, code: int) -> Entry | None:
    """On a Pages site with no error name in the body, the Pages entry when only one fits."""
    if server(edge) != PAGES_SERVER:
        return None
    pages = [e for e in kb.by_code(code) if e.product is Product.PAGES]
    return pages[0] if len(pages) == 1 else None


# ---------------------------------------------------------------- the entry's text


def title(entry: Entry | None, code: int, say: Say) -> str:
    if entry is None:
        return say._("HTTP {code}", code=code)
    if say.language == "zh" and entry.zh is not None:
        return entry.zh.title
    return entry.title


def summary_of(entry: Entry | None, say: Say) -> str:
    if entry is None:
        return say._("The knowledge base has no entry for this status.")
    if say.language == "zh" and entry.zh is not None:
        return entry.zh.summary
    return entry.summary


def kb_steps(entry: Entry | None, values: dict[str, str], say: Say) -> list[str]:
    """Up to MAX_KB_STEPS items from the entry: one runnable check, then its fixes.

    The check whose command the probe could fill completely comes first; a placeholder left for a
    person is named once, after the check's words.
    """
    if entry is None:
        return []
    chinese = entry.zh if say.language == "zh" else None
    whats = chinese.checks if chinese is not None else [c.what for c in entry.checks]
    fixes = chinese.fixes if chinese is not None else entry.fixes
    commands = [
        (what, fill(c.command, values))
        for what, c in zip(whats, entry.checks, strict=True)
        if c.command
    ]
    ready = [(what, filled) for what, filled in commands if not filled.missing]
    steps: list[str] = []
    if ready or commands:
        what, filled = (ready or commands)[0]
        if filled.missing:
            steps.append(
                say._(
                    "{check} (replace {names}): `{command}`",
                    check=say.stop(what),
                    names=", ".join(filled.missing),
                    command=filled.text,
                )
            )
        else:
            steps.append(say._("{check}: `{command}`", check=say.stop(what), command=filled.text))
    steps += fixes[: MAX_KB_STEPS - len(steps)]
    return steps


def placeholder_values(report: ProbeReport) -> dict[str, str]:
    """Values for the KB's command placeholders, where the probe knows them.

    ``fill`` checks each value's shape again before it goes into a command.
    """
    edge = report.edge
    parts = urlsplit(edge.url)
    path = parts.path.lstrip("/") + (f"?{parts.query}" if parts.query else "")
    values = {
        "SCHEME": edge.scheme,
        "HOST": edge.host,
        "PORT": str(edge.port),
        "PATH": path,
    }
    marked = has_edge_markers(edge)
    if marked and edge.connect.ip:
        values["NODE_IP"] = edge.connect.ip
    # Without markers the probed target is the origin itself.
    origin = report.origin or (None if marked else edge)
    if origin is not None:
        values["ORIGIN_PORT"] = str(origin.port)
        if origin.connect.ip:
            values["ORIGIN_IP"] = origin.connect.ip
        if not is_ip(origin.target):
            values["ORIGIN_HOST"] = origin.target
    if uuid := eo_log_uuid(edge):
        values["EO_LOG_UUID"] = values["EO_LOG_UUID_VALUE"] = uuid
    return values
